"""The Celery application. Without a broker, tasks run eagerly in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devpi_django.settings")

app = Celery("devpi_django")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
