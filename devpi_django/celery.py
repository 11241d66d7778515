"""The Celery application. Without a broker, tasks run eagerly in-process."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devpi_django.settings")

app = Celery("devpi_django")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
def _worker_metrics(**kwargs):
    """A worker's task counters land next to the web workers' (ops/metrics.py):
    chosen before Django (and prometheus_client) is loaded in the worker."""
    from devpi_django import env
    from ops.multiproc import enable_multiprocess

    enable_multiprocess(env.METRICS_DIR)
