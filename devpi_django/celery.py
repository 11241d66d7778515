"""The Celery application. Without a broker, tasks run eagerly in-process."""

import os
import sys

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devpi_django.settings")


def _is_celery_worker(argv: list[str]) -> bool:
    """``celery ... worker`` or ``python -m celery ... worker``."""
    program = os.path.basename(argv[0])
    package = os.path.basename(os.path.dirname(argv[0]))
    return (program.startswith("celery") or package == "celery") and "worker" in argv[1:]


if sys.argv and _is_celery_worker(sys.argv):
    # a worker's task counters land next to the web workers' (ops/metrics.py);
    # chosen now, before Django loads the tasks and with them prometheus_client
    from devpi_django import env
    from ops.multiproc import enable_multiprocess

    enable_multiprocess(env.METRICS_DIR)

app = Celery("devpi_django")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
