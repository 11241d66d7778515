"""Pushing a release to another index or an external index (devpi's
``POST``/``PUSH`` on ``/<user>/<index>``)."""

from __future__ import annotations

from ..errors import Invalid


def push_view(request, index):
    raise Invalid("pushing releases is not supported by this server yet")
