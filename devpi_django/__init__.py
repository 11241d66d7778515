"""The Django project: ``env`` (the only reader of the environment),
settings, the root URL configuration, WSGI, gunicorn's configuration and
the Celery app. It wires the apps together and owns no domain rule: it
names them by dotted strings (``INSTALLED_APPS``, middleware, backends,
``include("indexes.urls")``) and never imports ``indexes``, ``mirror``,
``toxresults``, ``client`` or ``importexport``; it imports ``ops`` only,
for logging and the metrics' multiprocess mode.
"""

__version__ = "0.1.0"

from .celery import app as celery_app

__all__ = ["celery_app", "__version__"]
