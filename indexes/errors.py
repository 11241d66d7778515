"""Domain errors. One place (``indexes.wire``) maps them to HTTP responses and
``manage.py`` commands map them to one-line messages."""


class DevpiError(Exception):
    """``json=True``: the reply is devpi's JSON ``{"message"}`` whatever the
    client accepts, where devpi answers with JSON for everyone (a refused tox
    result, a mirror file that could not be fetched)."""

    status = 400

    def __init__(self, message: str, *, retry_after: int | None = None, json: bool = False):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after  # seconds, sent as Retry-After
        self.json = json


class Invalid(DevpiError):
    status = 400


class Unauthorized(DevpiError):
    """No (valid) credentials where some are needed: 401 with a Basic challenge."""

    status = 401


class Forbidden(DevpiError):
    status = 403


class NotFound(DevpiError):
    status = 404


class Conflict(DevpiError):
    status = 409


class Gone(DevpiError):
    status = 410


class TooLarge(DevpiError):
    status = 413


class UnsupportedMediaType(DevpiError):
    status = 415


class BadGateway(DevpiError):
    status = 502


class MethodNotAllowed(DevpiError):
    status = 405


class GatewayTimeout(DevpiError):
    status = 504


class ServiceUnavailable(DevpiError):
    status = 503


class TooManyRequests(DevpiError):
    """Throttled (failed logins): 429 with ``Retry-After`` seconds."""

    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
