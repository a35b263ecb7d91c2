from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("<slug:category_slug>/<int:pk>-<str:slug>/", views.article_detail, name="detail"),
    path("<slug:category_slug>/<int:pk>/", views.article_detail, {"slug": ""}, name="detail-short"),
    path("<slug:slug>/", views.category_detail, name="category"),
]
