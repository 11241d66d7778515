"""Request body parsers with devpi-django's limits.

- ``LimitedJSONParser``: at most ``DEVPI_MAX_JSON_BYTES``, nesting bounded
  (``distribution.jsondepth``); 413 beyond the size, 400 for bad JSON.
- ``StrictMultiPartParser``: the upload form; a file name with path
  components is refused with 400, never cut down and stored.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.parsers import BaseParser, MultiPartParser

from ..distribution import jsondepth
from ..errors import Invalid, TooLarge


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


def _declared_length(meta) -> int:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class LimitedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        length = _declared_length(request.META) if request is not None else 0
        body = read_limited(stream, length, settings.DEVPI["MAX_JSON_BYTES"])
        return json_loads(body)


class StrictMultiPartParser(MultiPartParser):
    """Filled in by the upload work (issue 13): the strict file-name check of
    ``indexes.uploadparser`` as a DRF parser."""


JSON_PARSERS = (LimitedJSONParser(),)
