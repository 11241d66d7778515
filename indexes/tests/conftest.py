"""Fixtures and helpers shared by the in-process tests of ``indexes``.

Everything runs through Django's test client against the real URLs; nothing
listens on a socket. Mirror indexes are plain ORM rows whose project pages
are pre-cached (``MirrorProject`` rows fetched "now" with a long expiry), so
no upstream is ever contacted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.utils import timezone

from indexes.models import Index
from tests.fixtures import create_user, devpi_stdout, stage  # noqa: F401 (imported from here)

JSON = "application/json"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; "
    "q=0.1, text/html; q=0.01"
)
# nothing listens on the discard port of the loopback interface
DEAD_UPSTREAM = "http://127.0.0.1:9/simple/"


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache):
    """Every test starts with an empty cache (``tests.fixtures.fresh_cache``)."""


# -- users and credentials ------------------------------------------------------
# the users (root, alice, bob) and indexes (dev, prod) are tests/fixtures.py's


def basic(username: str, password: str = "pw") -> dict:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {value}"}


def devpi_auth(username: str, token: str) -> dict:
    return {"HTTP_X_DEVPI_AUTH": base64.b64encode(f"{username}:{token}".encode()).decode()}


def api(username: str | None = None, password: str = "pw") -> dict:
    """Headers of devpi-client: JSON, optionally with Basic credentials."""
    headers = {"HTTP_ACCEPT": JSON}
    if username is not None:
        headers.update(basic(username, password))
    return headers


# -- indexes --------------------------------------------------------------------


def mirror_index(owner, name: str = "pypi", **config) -> Index:
    """A mirror index row (no upstream: its pages are pre-cached)."""
    return Index.objects.create(
        owner=owner,
        name=name,
        type=Index.MIRROR,
        config={
            "volatile": False,
            "mirror_url": DEAD_UPSTREAM,
            "mirror_cache_expiry": 86400,
            "mirror_no_project_list": True,
            **config,
        },
    )


def mirror_link(
    filename: str, version: str, *, content: bytes | None = None, requires_python: str = ""
) -> dict:
    content = content if content is not None else f"mirror bytes of {filename}".encode()
    return {
        "filename": filename,
        "url": f"https://files.example.invalid/{filename}",
        "sha256": hashlib.sha256(content).hexdigest(),
        "version": version,
        "requires_python": requires_python,
        "yanked": False,
        "yanked_reason": "",
        "size": len(content),
        "upload_time": "2024-01-01T00:00:00.000000Z",
        "core_metadata_sha256": "",
    }


def mirror_cache_project(index: Index, name: str, links: list[dict]):
    """Put a fresh upstream page for ``name`` into the mirror's cache."""
    from mirror.models import MirrorProject

    return MirrorProject.objects.create(
        index=index,
        name=name,
        exists=True,
        links=links,
        versions=sorted({link["version"] for link in links}),
        fetched_at=timezone.now(),
    )


# -- uploads --------------------------------------------------------------------


def multipart(
    fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]
) -> tuple[bytes, str]:
    """A multipart/form-data body, built by hand so repeated fields and file
    names with path components reach the server exactly as given."""
    boundary = "----devpi-test-" + uuid.uuid4().hex
    out = bytearray()
    for key, value in fields:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        ).encode()
    for key, filename, data in files:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def upload(
    client,
    url: str,
    path: Path | None,
    *,
    name: str | None = None,
    version: str | None = None,
    filename: str | None = None,
    content: bytes | None = None,
    action: str | None = "file_upload",
    extra: list[tuple[str, str]] | None = None,
    headers: dict | None = None,
):
    """POST a twine-style upload of ``path`` (or ``content``/``filename``)."""
    fields = []
    if action is not None:
        fields.append((":action", action))
    if name is not None:
        fields.append(("name", name))
    if version is not None:
        fields.append(("version", version))
    fields.append(("protocol_version", "1"))
    fields.extend(extra or [])
    files = []
    if content is None and path is not None:
        content = Path(path).read_bytes()
    if content is not None:
        if not filename:
            assert path is not None, "give the filename of a content without a path"
            filename = Path(path).name
        files.append(("content", filename, content))
    body, content_type = multipart(fields, files)
    return client.generic("POST", url, body, content_type=content_type, **(headers or {}))


def blob_files(blob_dir: Path) -> list[Path]:
    if not blob_dir.exists():
        return []
    return sorted(p for p in blob_dir.rglob("*") if p.is_file())


# -- local HTTP peers ------------------------------------------------------------


@contextmanager
def serving(server) -> Iterator:
    """Serve an ``http.server`` bound to 127.0.0.1 in a thread; its base URL
    is ``server.url``. Shut down and closed afterwards."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# -- replies --------------------------------------------------------------------


def assert_error(response, status: int, message: str) -> None:
    """An error reply: the status, and the message in the JSON body with the
    standard reason phrase (devpi-client prints both), or in the text body
    and as the reason phrase (twine shows that)."""
    from http import HTTPStatus

    assert response.status_code == status, (response.status_code, response.content)
    if response["Content-Type"] == JSON:
        body = json.loads(response.content)
        assert message in body["message"], body
        assert response.reason_phrase == HTTPStatus(status).phrase, response.reason_phrase
    else:
        assert message in response.content.decode(), response.content
        assert message in response.reason_phrase, response.reason_phrase


def json_body(response) -> dict:
    assert response["Content-Type"] == JSON, response["Content-Type"]
    assert response["X-Devpi-Api-Version"] == "2"
    return json.loads(response.content)
