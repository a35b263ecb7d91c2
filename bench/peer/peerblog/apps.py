from django.apps import AppConfig


class PeerblogConfig(AppConfig):
    name = "peerblog"
    default_auto_field = "django.db.models.BigAutoField"
