"""gunicorn settings for ``make serve``, read from devpi-django's environment."""

from devpi_django import env
from ops.multiproc import enable_multiprocess, mark_process_dead

bind = f"{env.HOST}:{env.PORT}"
workers = env.WEB_CONCURRENCY
worker_class = "sync"
timeout = 300  # large uploads on slow links
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = "127.0.0.1,::1"
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
    logconfig_dict["loggers"].update({"gunicorn.error": {"level": "INFO"},
                                      "gunicorn.access": {"level": "INFO"}})


def child_exit(server, worker):
    mark_process_dead(worker.pid)
