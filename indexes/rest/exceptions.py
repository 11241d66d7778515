"""The one exception handler (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``): domain
errors and DRF's own become devpi's status, reason phrase and ``{"message"}``
body (``indexes.wire.error_response``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import Resolver404
from rest_framework import exceptions as drf

from .. import errors
from ..wire import error_response

_BY_STATUS = {
    400: errors.Invalid,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    405: errors.MethodNotAllowed,
    413: errors.TooLarge,
    415: errors.UnsupportedMediaType,
    429: errors.TooManyRequests,
}


def _message(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_message(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_message(item) for item in detail)
    return str(detail)


def domain_error(exc: Exception, request) -> errors.DevpiError | None:
    """The domain error an exception stands for, or None (a server error)."""
    if isinstance(exc, errors.DevpiError):
        return exc
    if isinstance(exc, drf.MethodNotAllowed):
        return errors.MethodNotAllowed(f"method {request.method} not allowed here")
    if isinstance(exc, Http404):
        return errors.NotFound(str(exc) or "not found")
    if isinstance(exc, PermissionDenied):
        return errors.Forbidden(str(exc) or "forbidden")
    if isinstance(exc, drf.APIException):
        kind = _BY_STATUS.get(exc.status_code)
        if kind is errors.TooManyRequests:
            return errors.TooManyRequests(_message(exc.detail), retry_after=1)
        if kind is not None:
            return kind(_message(exc.detail))
        error = errors.DevpiError(_message(exc.detail))
        error.status = exc.status_code
        return error
    return None


def exception_handler(exc, context):
    request = context["request"]
    error = domain_error(exc, request)
    if error is None:
        return None
    response = error_response(request._request, error)
    if error.status == 405:
        view = context.get("view")
        if view is not None:
            response["Allow"] = ", ".join(view.allowed_methods)
    return response


def page_not_found(request, exception=None):
    """Django's ``handler404`` (devpi_django/urls.py): a path no route
    matches (a user or index name starting with "+", a "/" too many) and an
    ``Http404`` outside DRF answer as every other 404 does, JSON
    ``{"message"}`` or text, never Django's HTML page."""
    detail = "" if isinstance(exception, Resolver404) or exception is None else str(exception)
    return error_response(request, errors.NotFound(detail or f"not found: {request.path}"))
