"""gunicorn settings for ``make serve``, read from devpi-django's environment."""

from devpi_django import env

bind = f"{env.HOST}:{env.PORT}"
workers = env.WEB_CONCURRENCY
worker_class = "sync"
timeout = 300  # large uploads on slow links
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = "127.0.0.1,::1"
