from django.urls import include, path
from peerblog import views

urlpatterns = [
    path("articles/<int:pk>/", views.article_detail, name="article"),
    path("comments/", include("django_comments_xtd.urls")),
]
