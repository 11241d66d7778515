"""Request body parsers with devpi-django's limits.

- ``LimitedJSONParser``: at most ``DEVPI_MAX_JSON_BYTES``, nesting bounded
  (``distribution.jsondepth``); 413 beyond the size, 400 for bad JSON.
- ``StrictMultiPartParser``: the upload form (twine, devpi-client,
  setuptools); a declared ``Content-Length`` over ``DEVPI_MAX_UPLOAD_BYTES``
  (plus room for the form fields) is refused with 413 before anything is
  read, and a file name with path components with 400 as soon as its part
  header is read: never cut down and stored.
"""

from __future__ import annotations

from django.conf import settings
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.parsers import BaseParser, DataAndFiles, MultiPartParser
from rest_framework.request import Request

from ..distribution import jsondepth
from ..errors import Invalid, TooLarge
from ..negotiation import JSON


def read_limited(stream, length: int, limit: int, what: str = "request body") -> bytes:
    """At most ``limit`` bytes of ``stream``, 413 beyond (a declared length
    over the limit is refused before reading)."""
    if length > limit:
        raise TooLarge(f"{what} of {length} bytes is larger than the limit of {limit} bytes")
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise TooLarge(f"{what} is larger than the limit of {limit} bytes")
    return body


def json_loads(body: bytes):
    if not body.strip():
        return {}
    try:
        return jsondepth.loads(body)
    except jsondepth.TooDeep as exc:
        raise Invalid(f"Bad request: {exc}") from None
    except (ValueError, UnicodeDecodeError):
        raise Invalid("Bad request: could not decode JSON body") from None


def declared_length(meta) -> int:
    """A request's ``Content-Length``; 0 when absent or not a number."""
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class LimitedJSONParser(BaseParser):
    media_type = JSON

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        length = declared_length(request.META) if request is not None else 0
        body = read_limited(stream, length, settings.DEVPI["MAX_JSON_BYTES"])
        return json_loads(body)


def body_json(request):
    """The body of a (DRF or Django) request as JSON whatever its declared
    content type, as devpi reads a push (devpi-client sends
    ``application/json``; ``curl -d`` a form type): ``request.data`` through
    ``LimitedJSONParser`` for JSON, the same limits and errors otherwise."""
    if (
        isinstance(request, Request)
        and (request.content_type or "").startswith(JSON)
        and any(isinstance(parser, LimitedJSONParser) for parser in request.parsers)
    ):
        return request.data
    django_request = getattr(request, "_request", request)
    length = declared_length(django_request.META)
    return json_loads(read_limited(django_request, length, settings.DEVPI["MAX_JSON_BYTES"]))


# room for the form fields around the uploaded file itself
FORM_OVERHEAD = 1024 * 1024


class _StrictFormParser(DjangoMultiPartParser):
    """Django's multipart parser, refusing what it would silently cut down
    (``../x-1.0.tar.gz`` to ``x-1.0.tar.gz``)."""

    def sanitize_file_name(self, file_name):
        cleaned = super().sanitize_file_name(file_name)
        if cleaned != file_name:
            raise Invalid(f"filename {file_name!r} must not contain path components")
        return cleaned


class StrictMultiPartParser(MultiPartParser):
    """The upload form: ``request.POST`` (the fields) and ``request.FILES``."""

    def parse(self, stream, media_type=None, parser_context=None):
        context = parser_context or {}
        request = context["request"]
        limit = settings.DEVPI["MAX_UPLOAD_BYTES"]
        length = declared_length(request.META)
        if length > limit + FORM_OVERHEAD:
            raise TooLarge(f"upload of {length} bytes is larger than the limit of {limit} bytes")
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = context.get("encoding") or settings.DEFAULT_CHARSET
        try:
            parser = _StrictFormParser(meta, stream, request.upload_handlers, encoding)
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise Invalid(f"Bad request: multipart form parse error - {exc}") from None
        return DataAndFiles(data, files)


JSON_PARSERS = (LimitedJSONParser(),)
UPLOAD_PARSERS = (StrictMultiPartParser(),)
