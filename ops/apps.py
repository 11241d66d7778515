from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Health checks, Prometheus metrics, request ids and structured logs."""

    name = "ops"

    def ready(self):
        from . import celery_signals  # noqa: F401  (task counters)
