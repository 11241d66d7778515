"""Headers of +f downloads: never a type a browser renders."""

import pytest
from django.http import HttpResponse

from indexes.blobresponse import content_type_for, download_headers


@pytest.mark.parametrize(
    "filename, expected",
    [
        ("x-1.0-py3-none-any.whl", "application/zip"),
        ("x-1.0.tar.gz", "application/gzip"),
        ("x-1.0.zip", "application/zip"),
        ("x-1.0.tar.bz2", "application/x-bzip2"),
        ("x-1.html", "application/octet-stream"),
        ("x-1.svg", "application/octet-stream"),
        ("x-1.0.exe", "application/octet-stream"),
        ("x.whl.metadata", "text/plain; charset=utf-8"),
    ],
)
def test_content_types(filename, expected):
    assert content_type_for(filename) == expected


@pytest.mark.parametrize(
    "served", ["text/html; charset=utf-8", "image/svg+xml", "application/xhtml+xml", "text/xml"]
)
def test_active_types_become_octet_stream_attachments(served):
    response = download_headers(
        HttpResponse(b"<svg onload=alert(1)>", content_type=served), 'x-1.svg"; evil'
    )
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    # the quote is escaped: the name cannot end the parameter early
    assert response["Content-Disposition"] == 'attachment; filename="x-1.svg\\"; evil"'


def test_json_reports_stay_viewable():
    response = download_headers(
        HttpResponse(b"{}", content_type="application/json"), "x.whl.toxresult-1"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Disposition" not in response
