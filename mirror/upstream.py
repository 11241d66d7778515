"""Where ``root/pypi`` mirrors from: resolved at initialisation, stored as
its ``mirror_url``.

Order: ``DEVPI_MIRROR_URL``; then pip's configured index (``PIP_INDEX_URL``
or pip's configuration files) unless it points at this server itself; then
pip's own default index, read from pip at run time.
"""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import urlsplit

from django.conf import settings

from devpi_django import env


def _pip_config_index_url() -> str | None:
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = proc.stdout.strip()
    return value if proc.returncode == 0 and value else None


def _pip_default_index_url() -> str:
    """pip's own default index, read from its public ``--help`` text (no
    import of pip's internals; the host is not written here)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    match = re.search(r"--index-url <url>.*?\(default\s+(https?://[^\s)]+)\)", proc.stdout, re.S)
    if match is None:
        raise RuntimeError("cannot tell pip's default index: set DEVPI_MIRROR_URL")
    return match.group(1)


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
        if (
            candidate
            and candidate.startswith(("http://", "https://"))
            and not _points_at_self(candidate, own_urls)
        ):
            return candidate
    return _pip_default_index_url()


# -- talking to the upstream ----------------------------------------------

from dataclasses import dataclass, field  # noqa: E402

from indexes import outbound  # noqa: E402

from .parsing import SIMPLE_JSON, MalformedPage, parse_project_list, parse_project_page  # noqa: E402

ACCEPT = f"{SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"


class UpstreamError(Exception):
    def __init__(self, message: str, status: int = 502):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class UpstreamPage:
    status: int  # 200, 304 (not modified) or 404
    links: list[dict] = field(default_factory=list)
    etag: str = ""
    last_modified: str = ""
    serial: int | None = None


def page_seconds() -> float:
    """Total deadline of a project page fetch."""
    return float(settings.DEVPI.get("MIRROR_TIMEOUT", 20))


def transfer_seconds() -> float:
    """Total deadline of a file download or of the full project list."""
    return float(settings.DEVPI.get("TRANSFER_TIMEOUT", 600))


def timeouts() -> tuple[float, float]:
    seconds = page_seconds()
    return (min(seconds, 10.0), seconds)


def max_page_bytes() -> int:
    return int(settings.DEVPI.get("MIRROR_MAX_PAGE_BYTES", 64 * 1024 * 1024))


def max_file_bytes() -> int:
    return int(
        settings.DEVPI.get("MIRROR_MAX_FILE_BYTES")
        or settings.DEVPI.get("MAX_UPLOAD_BYTES", 1024**3)
    )


def project_url(mirror_url: str, name: str) -> str:
    return f"{mirror_url.rstrip('/')}/{name}/"


def _get(url: str, headers: dict, *, seconds: float, max_bytes: int) -> outbound.Fetch:
    try:
        return outbound.fetch("GET", url, headers=headers, seconds=seconds, max_bytes=max_bytes)
    except outbound.OutboundError as exc:
        raise UpstreamError(exc.message, status=exc.status) from None


def _read_body(response: outbound.Fetch, url: str) -> bytes:
    try:
        return response.read()
    except outbound.OutboundError as exc:
        raise UpstreamError(exc.message, status=exc.status) from None


def fetch_project(
    mirror_url: str,
    name: str,
    *,
    etag: str = "",
    last_modified: str = "",
    ignore_serial: bool = False,
) -> UpstreamPage:
    url = project_url(mirror_url, name)
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    response = _get(url, headers, seconds=page_seconds(), max_bytes=max_page_bytes())
    if response.status == 304:
        response.close()
        return UpstreamPage(304, etag=etag, last_modified=last_modified)
    if response.status in (404, 410):
        response.close()
        return UpstreamPage(404)
    if response.status != 200:
        response.close()
        raise UpstreamError(f"error {response.status} getting {url}")
    body = _read_body(response, url)
    try:
        links = parse_project_page(body, response.headers.get("Content-Type", ""), response.url)
    except MalformedPage as exc:
        raise UpstreamError(f"error malformed page ({exc}) getting {url}") from None
    serial = None
    if not ignore_serial:
        try:
            serial = int(response.headers.get("X-PyPI-Last-Serial", ""))
        except ValueError:
            serial = None
    return UpstreamPage(
        200,
        links,
        etag=response.headers.get("ETag", ""),
        last_modified=response.headers.get("Last-Modified", ""),
        serial=serial,
    )


def fetch_project_list(mirror_url: str, *, etag: str = "") -> tuple[list[str] | None, str]:
    """(names, etag); names is None when upstream says not modified."""
    url = f"{mirror_url.rstrip('/')}/"
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    response = _get(url, headers, seconds=transfer_seconds(), max_bytes=max_page_bytes())
    if response.status == 304:
        response.close()
        return None, etag
    if response.status != 200:
        response.close()
        raise UpstreamError(f"error {response.status} getting {url}")
    body = _read_body(response, url)
    try:
        names = parse_project_list(body, response.headers.get("Content-Type", ""))
    except MalformedPage as exc:
        raise UpstreamError(f"error malformed project list ({exc}) getting {url}") from None
    return names, response.headers.get("ETag", "")


def open_file(url: str, *, max_bytes: int | None = None) -> outbound.Fetch:
    """A streaming GET of a file under the transfer deadline and the file
    cap; raises UpstreamError unless 200 (or when the announced length is
    over the cap), before any byte of the body is read."""
    response = _get(
        url,
        {"Accept": "*/*", "Accept-Encoding": "identity"},
        seconds=transfer_seconds(),
        max_bytes=max_file_bytes() if max_bytes is None else max_bytes,
    )
    if response.status != 200:
        response.close()
        status = 404 if response.status == 404 else 502
        raise UpstreamError(f"error {response.status} getting {url}", status=status)
    try:
        response.check_length()
    except outbound.OutboundError as exc:
        raise UpstreamError(exc.message, status=exc.status) from None
    return response
