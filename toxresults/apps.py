from django.apps import AppConfig


class ToxresultsConfig(AppConfig):
    name = "toxresults"
    default_auto_field = "django.db.models.BigAutoField"
