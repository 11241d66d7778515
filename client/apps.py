from django.apps import AppConfig


class ClientConfig(AppConfig):
    name = "client"
    verbose_name = "manage.py devpi (the devpi-client workflow)"
