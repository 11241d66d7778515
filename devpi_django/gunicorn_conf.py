"""gunicorn settings for ``make serve``, read from devpi-django's environment.

Worker model: ``gthread``, DEVPI_WEB_CONCURRENCY processes with
DEVPI_WEB_THREADS threads each, and keep-alive. A slow peer (a client
reading a big file slowly, an upstream trickling a page until its deadline)
then holds one thread, not a whole worker, and pip's and uv's keep-alive
connections are reused. Request handling is thread-safe: database
connections are per thread, caches and leases go through the database or
Redis, outbound sessions are per thread.

DEVPI_WEB_CONCURRENCY defaults to one process per CPU the server may use
(at least 2, devpi_django/env.py): processes only buy CPU parallelism, the
threads carry the concurrency. Each further process costs a whole
interpreter with Django loaded, and, without Redis, its own copy of the
page and file-lookup caches, which it fills by computing each page again.
"""

from devpi_django import env
from ops.multiproc import enable_multiprocess, mark_process_dead

bind = f"{env.HOST}:{env.PORT}"
workers = env.WEB_CONCURRENCY
worker_class = "gthread"
threads = env.WEB_THREADS
keepalive = 5
timeout = 300  # a worker whose main loop stops beating this long is restarted
accesslog: str | None = "-"
# the same access line, without the per-header atoms it does not print
# (devpi_django/gunicorn_logging.py)
logger_class = "devpi_django.gunicorn_logging.AccessLogger"
errorlog = "-"
# X-Forwarded-Proto and friends only from DEVPI_TRUSTED_PROXIES (as indexes.proxies)
forwarded_allow_ips = ",".join(env.TRUSTED_PROXIES)
# gunicorn's control socket lives in $HOME by default: several servers (tests,
# the benchmark) would fight over it, and devpi-django does not use it.
control_socket_disable = True

# Prometheus metrics summed over the workers (ops/metrics.py): the workers
# inherit the directory; the files of a previous start are dropped.
enable_multiprocess(env.METRICS_DIR, clean=True)

if env.LOG_FORMAT == "json":
    # one JSON object per line: the application logs each request itself
    # (with its id, user and route), so gunicorn's access log is off
    from ops.logs import logging_config

    accesslog = None
    logconfig_dict = logging_config("json", env.LOG_LEVEL)
    logconfig_dict["loggers"].update(
        {"gunicorn.error": {"level": "INFO"}, "gunicorn.access": {"level": "INFO"}}
    )


def child_exit(server, worker):
    mark_process_dead(worker.pid)


def post_worker_init(worker):
    # the URL conf and every view imported, the URL patterns compiled, before
    # the worker's first request rather than during it (devpi_django/warmup.py)
    from devpi_django.warmup import warm_up

    warm_up()
