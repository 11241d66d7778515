"""Fixtures of the in-process tox result tests: uploaded release files made
through the index core's own services. The users (alice, bob) and indexes
(dev, prod) are tests/fixtures.py's, as in the index core's tests."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from indexes.services.uploads import UploadForm, release_file_upload
from tests.factories import make_sdist, make_wheel

DATA = Path(__file__).parent / "data"
JSON = "application/json"


def report_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def report_json(name: str) -> dict:
    return json.loads(report_bytes(name))


def basic(username: str, password: str = "pw") -> dict:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {value}", "HTTP_ACCEPT": JSON}


def put_file(index, path: Path, name: str, version: str):
    with open(path, "rb") as fh:
        return release_file_upload(
            index=index,
            user=index.owner,
            filename=path.name,
            content=fh,
            form=UploadForm({"name": [name], "version": [version]}),
        ).file


def post_report(client, file, body: bytes, headers: dict | None = None, content_type: str = JSON):
    return client.generic(
        "POST",
        f"/{file.index.fullname}/+f/{file.hash_path}",
        body,
        content_type=content_type,
        **(headers or {"HTTP_ACCEPT": JSON}),
    )


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache):
    """Every test starts with an empty cache (``tests.fixtures.fresh_cache``)."""


@pytest.fixture
def wheel(dev, tmp_path):
    return put_file(dev, make_wheel(tmp_path / "w", "example", "1.0"), "example", "1.0")


@pytest.fixture
def sdist(dev, tmp_path):
    return put_file(dev, make_sdist(tmp_path / "s", "example", "1.0"), "example", "1.0")
