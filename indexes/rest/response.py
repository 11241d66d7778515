"""devpi's JSON shapes as data, for ``rest_framework.response.Response``
and ``renderers.DevpiJSONRenderer``."""

from __future__ import annotations


def envelope(
    type: str | None = None,
    result=None,
    message: str | None = None,
    extra: dict | None = None,
) -> dict:
    """devpi's ``{"type", "result", "message"}`` envelope (``extra``: keys
    beside them, which devpi-client ignores)."""
    data: dict = dict(extra or {})
    if result is not None or type is not None:
        data["result"] = result
        data["type"] = type
    if message:
        data["message"] = message
    return data
