"""Structured logs: one JSON object per line (``DEVPI_LOG_FORMAT=json``), with
time, level, logger, message, and the request id, user and route of the
request being served. Plain text stays the default."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

from .context import current_request, route_of, user_of


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``user`` and ``route`` to every record (empty
    outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request.get()
        if request is None:
            record.request_id = getattr(record, "request_id", "")
            record.user = getattr(record, "user", "")
            record.route = getattr(record, "route", "")
        else:
            record.request_id = getattr(request, "request_id", "")
            record.user = user_of(request)
            record.route = route_of(request)
        return True


def json_formatter() -> JsonFormatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user)s %(route)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def logging_config(log_format: str, level: str = "INFO") -> dict:
    """The ``LOGGING`` setting (also gunicorn's ``logconfig_dict``)."""
    formatter = (
        {"()": "ops.logs.json_formatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # credentials inside URLs (a mirror_url's) are masked in every record
        "filters": {
            "request": {"()": "ops.logs.RequestContextFilter"},
            "redact": {"()": "indexes.logfilters.RedactCredentials"},
        },
        "formatters": {"devpi": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "devpi",
                "filters": ["request", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            name: {"level": level}
            for name in ("devpi_django", "indexes", "mirror", "toxresults", "ops")
        },
    }
