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
            capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    value = proc.stdout.strip()
    return value if proc.returncode == 0 and value else None


def _pip_default_index_url() -> str:
    """pip's own default index, read from its public ``--help`` text (no
    import of pip's internals; the host is not written here)."""
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    match = re.search(r"--index-url <url>.*?\(default\s+(https?://[^\s)]+)\)", proc.stdout,
                      re.S)
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
        if candidate and candidate.startswith(("http://", "https://")) and not _points_at_self(
                candidate, own_urls):
            return candidate
    return _pip_default_index_url()


# -- talking to the upstream ----------------------------------------------

import threading  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import requests  # noqa: E402

from .parsing import SIMPLE_JSON, MalformedPage, parse_project_list, parse_project_page  # noqa: E402

ACCEPT = f"{SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
MAX_PAGE_BYTES = 256 * 1024 * 1024
_local = threading.local()


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


def session() -> requests.Session:
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
        s.headers["User-Agent"] = "devpi-django mirror"
    return s


def timeouts() -> tuple[float, float]:
    seconds = float(settings.DEVPI.get("MIRROR_TIMEOUT", 20))
    return (min(seconds, 10.0), seconds)


def project_url(mirror_url: str, name: str) -> str:
    return f"{mirror_url.rstrip('/')}/{name}/"


def _get(url: str, headers: dict, *, stream: bool = False) -> requests.Response:
    try:
        return session().get(url, headers=headers, timeout=timeouts(), stream=stream)
    except requests.Timeout:
        raise UpstreamError(f"error timeout getting {url}", status=504) from None
    except requests.RequestException as exc:
        raise UpstreamError(f"error {exc.__class__.__name__} getting {url}") from None


def _read_body(response: requests.Response, url: str) -> bytes:
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(1024 * 1024):
            size += len(chunk)
            if size > MAX_PAGE_BYTES:
                raise UpstreamError(f"error page too large getting {url}")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise UpstreamError(f"error {exc.__class__.__name__} getting {url}") from None
    finally:
        response.close()
    return b"".join(chunks)


def fetch_project(mirror_url: str, name: str, *, etag: str = "", last_modified: str = "",
                  ignore_serial: bool = False) -> UpstreamPage:
    url = project_url(mirror_url, name)
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    response = _get(url, headers, stream=True)
    if response.status_code == 304:
        response.close()
        return UpstreamPage(304, etag=etag, last_modified=last_modified)
    if response.status_code in (404, 410):
        response.close()
        return UpstreamPage(404)
    if response.status_code != 200:
        response.close()
        raise UpstreamError(f"error {response.status_code} getting {url}")
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
    return UpstreamPage(200, links, etag=response.headers.get("ETag", ""),
                        last_modified=response.headers.get("Last-Modified", ""), serial=serial)


def fetch_project_list(mirror_url: str, *, etag: str = "") -> tuple[list[str] | None, str]:
    """(names, etag); names is None when upstream says not modified."""
    url = f"{mirror_url.rstrip('/')}/"
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    response = _get(url, headers, stream=True)
    if response.status_code == 304:
        response.close()
        return None, etag
    if response.status_code != 200:
        response.close()
        raise UpstreamError(f"error {response.status_code} getting {url}")
    body = _read_body(response, url)
    try:
        names = parse_project_list(body, response.headers.get("Content-Type", ""))
    except MalformedPage as exc:
        raise UpstreamError(f"error malformed project list ({exc}) getting {url}") from None
    return names, response.headers.get("ETag", "")


def open_file(url: str) -> requests.Response:
    """A streaming GET of a file; raises UpstreamError unless 200."""
    response = _get(url, {"Accept": "*/*", "Accept-Encoding": "identity"}, stream=True)
    if response.status_code != 200:
        response.close()
        status = 404 if response.status_code == 404 else 502
        raise UpstreamError(f"error {response.status_code} getting {url}", status=status)
    return response
