"""A cached mirror file and its PEP 658 metadata cost no query beyond the
server's serial, and keep every download header."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mirror import services

pytestmark = pytest.mark.django_db


def _get(client, url):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_warm_mirror_file_and_metadata_cost_only_the_serial(client, mirror, upstream):
    wheel = upstream.add("demo", "1.0")
    page = services.mirror_project_page(mirror, "demo")
    url = "/" + page.files[0].path
    for target in (url, url + ".metadata"):
        first, body = _get(client, target)  # fetched from upstream and stored
        assert first.status_code == 200 and body
        assert _get(client, target)[1] == body  # from the store, now remembered
        with CaptureQueriesContext(connection) as queries:
            again, body_again = _get(client, target)
        assert again.status_code == 200 and body_again == body
        assert len(queries) == 1, [q["sql"] for q in queries]
        assert again["X-Content-Type-Options"] == "nosniff"
        assert again["Content-Disposition"].startswith("attachment;")
        assert again["ETag"]
    assert body_again.startswith(b"Metadata-Version")
    assert _get(client, url)[1] == wheel.read_bytes()
    assert upstream.hits("GET /files/demo-1.0-py3-none-any.whl") == 1
    assert client.head(url).status_code == 200
