from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("comments/<int:pk>/", views.comment_detail, name="comment"),
    path("comments/<int:pk>/report/", views.report, name="report"),
    path("comments/<int:pk>/appeal/", views.appeal, name="appeal"),
    path("appeals/<int:pk>/decide/", views.decide_appeal, name="decide_appeal"),
    path("users/<int:pk>/", views.user, name="user"),
]

# POST /moderation/comments/<pk>/<action>/
urlpatterns += [
    path(f"comments/<int:pk>/{action}/", views.comment_action, {"action": action}, name=action)
    for action in ("hide", "show", "approve", "reject", "dismiss", "pin", "unpin")
]
