from django.apps import AppConfig


class IndexesConfig(AppConfig):
    name = "indexes"
    default_auto_field = "django.db.models.BigAutoField"
