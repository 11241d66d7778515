"""Mirror cache policy in-process, against the local test upstream."""

import pytest

from indexes.models import Index
from mirror import services
from mirror.models import MirrorProject, MirrorProjectList
from mirror.upstream import UpstreamError
from tests.upstream import Fault

pytestmark = pytest.mark.django_db


def test_page_cached_until_expiry_then_revalidated_with_etag(mirror, upstream):
    upstream.add("demo", "1.0")
    page = services.mirror_project_page(mirror, "Demo")
    assert [f.filename for f in page.files] == ["demo-1.0-py3-none-any.whl"]
    assert page.files[0].path.startswith("owner/m/+f/")
    services.mirror_project_page(mirror, "demo")
    assert upstream.hits("GET /simple/demo/") == 1
    services.mirror_project_invalidate(mirror, "demo")
    assert services.mirror_project_page(mirror, "demo").files
    assert upstream.hits("GET /simple/demo/") == 2
    assert MirrorProject.objects.get(index=mirror, name="demo").etag  # 304 path used


def test_unknown_project_cached_negatively(mirror, upstream):
    assert services.mirror_project_page(mirror, "nothing") is None
    assert services.mirror_project_page(mirror, "nothing") is None
    assert upstream.hits("GET /simple/nothing/") == 1


def test_external_urls_and_no_project_list(mirror, upstream):
    upstream.add("demo", "1.0")
    mirror.config = {
        **mirror.config,
        "mirror_use_external_urls": True,
        "mirror_no_project_list": True,
    }
    mirror.save()
    page = services.mirror_project_page(mirror, "demo")
    assert page.files[0].path == f"{upstream.url[: -len('simple/')]}files/demo-1.0-py3-none-any.whl"
    names, complete = services.mirror_project_names(mirror)
    assert names == ["demo"] and complete is True
    assert upstream.hits("GET /simple/ ") == 0 and not MirrorProjectList.objects.exists()


def test_project_list_failure_backs_off(mirror, upstream, settings):
    upstream.faults = {"=/simple/": Fault(status=500)}
    with pytest.raises(UpstreamError):
        services.mirror_project_list_refresh(mirror.id)
    row = MirrorProjectList.objects.get(index=mirror)
    assert "error 500" in row.last_error and row.fetched_at is None and row.last_attempt
    scheduled = []
    original = services.mirror_project_list_schedule
    services.mirror_project_list_schedule = lambda index: scheduled.append(index)
    try:
        names, complete = services.mirror_project_names(mirror)
    finally:
        services.mirror_project_list_schedule = original
    assert complete is False and scheduled == []  # no retry within the back-off delay


def test_prefetch_stores_newest_matching(mirror, upstream):
    upstream.add("demo", "1.0")
    newest = upstream.add("demo", "1.1")
    upstream.add("demo", "2.0")
    result = services.mirror_prefetch(mirror, ["demo<2", "# comment", "-r other.txt", "nope==1"])
    assert result == {"demo<2": [newest.name], "nope==1": []}
    assert services.mirror_status(mirror)["cached_files"] == 1
    assert Index.objects.get(pk=mirror.pk).type == "mirror"


def test_lease_waits_are_bounded_and_answer_with_retry_after(mirror, upstream, settings, rf):
    """Another worker holds the fetch of a page or file: wait at most
    DEVPI_MIRROR_TIMEOUT, then 504 (page) / 503 (file) with Retry-After."""
    import time

    from indexes.errors import GatewayTimeout, ServiceUnavailable
    from mirror.locks import lease_acquire

    settings.DEVPI = {**settings.DEVPI, "MIRROR_TIMEOUT": 1}
    upstream.add("demo", "1.0")
    lease_acquire(f"mirror-page:{mirror.id}:held", 120)
    started = time.monotonic()
    with pytest.raises(GatewayTimeout) as page_wait:
        services.mirror_project_page(mirror, "held")
    assert page_wait.value.retry_after and time.monotonic() - started < 3
    assert upstream.hits("GET /simple/held/") == 0

    page = services.mirror_project_page(mirror, "demo")
    link = MirrorProject.objects.get(index=mirror, name="demo").links[0]
    lease_acquire(f"mirror-file:{mirror.id}:{link['sha256']}", 120)
    path = page.files[0].path.split("/+f/", 1)[1]
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as file_wait:
        services.mirror_serve_file(rf.get("/"), mirror, path)
    assert file_wait.value.retry_after and time.monotonic() - started < 3
    assert upstream.hits("GET /files/") == 0


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://127.0.0.1:8080/pkg/pkg-1.0.zip", "http_127.0.0.1_8080_pkg"),
        ("https://files.example/a/b%20c/x-1.0.tar.gz?q=1", "https_files.example_a_b_20c"),
        ("http://[::1]:9/x-1.0.zip", "http____1__9"),
    ],
)
def test_external_dir_as_devpi_names_it(url, expected):
    """devpi's +e directory: scheme, host, port and path joined by "_", anything else "_"."""
    assert services.external_dir(url) == expected
