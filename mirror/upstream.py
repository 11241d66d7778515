"""Where ``root/pypi`` mirrors from: resolved at initialisation, stored as
its ``mirror_url``.

Order: ``DEVPI_MIRROR_URL``; then pip's configured index (``PIP_INDEX_URL``
or pip's configuration files) unless it points at this server itself; then
pip's own default index, read from pip at run time.
"""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlsplit

from django.conf import settings

from devpi_django import env


def _pip_config_index_url() -> str | None:
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
            capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    value = proc.stdout.strip()
    return value if proc.returncode == 0 and value else None


def _pip_default_index_url() -> str:
    from pip._internal.models.index import PyPI  # pip's own default, not written here

    return PyPI.simple_url


def _points_at_self(url: str, own_urls: list[str]) -> bool:
    target = urlsplit(url)
    for own in own_urls:
        mine = urlsplit(own)
        if (target.hostname, target.port) == (mine.hostname, mine.port):
            return True
    return False


def default_mirror_url(own_urls: list[str] | None = None) -> str:
    own_urls = own_urls or []
    if settings.DEVPI["MIRROR_URL"]:
        return settings.DEVPI["MIRROR_URL"]
    for candidate in (env.PIP_INDEX_URL, _pip_config_index_url()):
        if candidate and candidate.startswith(("http://", "https://")) and not _points_at_self(
                candidate, own_urls):
            return candidate
    return _pip_default_index_url()
