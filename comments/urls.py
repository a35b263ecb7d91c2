from django.urls import path

from . import views

app_name = "comments"

urlpatterns = [
    path("<int:pk>/", views.permalink, name="permalink"),
    path("post/<int:article_pk>/", views.post, name="post"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/vote/", views.vote, name="vote"),
]
