from django.apps import AppConfig


class IndexesConfig(AppConfig):
    name = "indexes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401 (registers them)
