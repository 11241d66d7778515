"""gunicorn settings for ``make serve``, read from devpi-django's environment."""

from devpi_django import env

bind = f"{env.HOST}:{env.PORT}"
workers = env.WEB_CONCURRENCY
worker_class = "sync"
timeout = 300  # large uploads on slow links
accesslog = "-"
errorlog = "-"
# X-Forwarded-Proto and friends only from DEVPI_TRUSTED_PROXIES (as indexes.proxies)
forwarded_allow_ips = ",".join(env.TRUSTED_PROXIES)
# gunicorn's control socket lives in $HOME by default: several servers (tests,
# the benchmark) would fight over it, and devpi-django does not use it.
control_socket_disable = True
