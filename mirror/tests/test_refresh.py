"""Stale-while-revalidate (mirror.refresh), in-process: the background run is
captured instead of started, then run by the test."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mirror import refresh, services
from mirror.locks import lease_held
from mirror.models import MirrorProject
from tests.fixtures import devpi_stdout as devpi
from tests.upstream import Fault

pytestmark = pytest.mark.django_db


MIRROR_CACHE_EXPIRY = 60  # the conftest's mirror fixture


@pytest.fixture
def started(monkeypatch):
    """Background refreshes asked for: (index_id, name, token), not run."""
    runs = []
    monkeypatch.setattr(refresh, "_start_thread", lambda *args: runs.append(args))
    return runs


def expire(mirror, name):
    MirrorProject.objects.filter(index=mirror, name=name).update(
        fetched_at=timezone.now() - timedelta(seconds=61)
    )


def test_expired_page_served_at_once_and_refreshed_once(mirror, upstream, started):
    upstream.add("demo", "1.0")
    assert not services.mirror_project_page(mirror, "demo").stale
    upstream.add("demo", "2.0")
    expire(mirror, "demo")
    for _ in range(3):  # no upstream round trip, one refresh however many ask
        page = services.mirror_project_page(mirror, "demo")
        assert page.stale and page.versions == ["1.0"]
    assert upstream.hits("GET /simple/demo/") == 1
    assert len(started) == 1 and lease_held(refresh.refresh_key(mirror.id, "demo"))
    assert refresh.refresh_run(*started[0]) is True
    assert not lease_held(refresh.refresh_key(mirror.id, "demo"))
    page = services.mirror_project_page(mirror, "demo")
    assert not page.stale and page.versions == ["1.0", "2.0"]
    assert upstream.hits("GET /simple/demo/") == 2


def test_failed_refresh_waits_before_asking_again(mirror, upstream, started):
    upstream.add("demo", "1.0")
    services.mirror_project_page(mirror, "demo")
    expire(mirror, "demo")
    upstream.faults = {"/simple/demo": Fault(status=500)}
    assert services.mirror_project_page(mirror, "demo").stale
    assert refresh.refresh_run(*started[0]) is None
    # the lease stays for RETRY_SECONDS: no new refresh yet
    assert services.mirror_project_page(mirror, "demo").stale
    assert len(started) == 1
    assert "error 500" in MirrorProject.objects.get(index=mirror, name="demo").last_error


def test_invalidated_and_unknown_pages_are_fetched_in_the_request(mirror, upstream, started):
    upstream.add("demo", "1.0")
    services.mirror_project_page(mirror, "demo")
    upstream.add("demo", "2.0")
    services.mirror_project_invalidate(mirror, "demo")
    page = services.mirror_project_page(mirror, "demo")
    assert not page.stale and page.versions == ["1.0", "2.0"]
    assert started == []


def test_refresh_of_a_deleted_mirror_does_nothing(mirror, started):
    assert refresh.refresh_run(mirror.id + 1000, "demo", None) is None


def test_broker_down_falls_back_to_a_thread(mirror, upstream, started, settings, monkeypatch):
    from mirror import tasks

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(tasks.mirror_refresh_expired, "delay", refuse)
    assert refresh.refresh_schedule(mirror.id, "demo") is True
    assert len(started) == 1


# -- manage.py devpi refresh / prefetch ------------------------------------------


@pytest.fixture
def data_dir(settings, tmp_path):
    """``manage.py devpi`` keeps its state file in the data dir: one per test."""
    settings.DATA_DIR = tmp_path / "data"


@pytest.mark.usefixtures("data_dir")
def test_refresh_verb_without_broker_refreshes_here(mirror, upstream, root):
    from indexes.services.indexes import index_create as create

    upstream.add("demo", "1.0")
    services.mirror_project_page(mirror, "demo")
    upstream.add("demo", "2.0")
    stage = create(owner=mirror.owner, name="dev", data={"bases": "owner/m"})
    out = devpi("refresh", "--index", stage.fullname, "Demo", "absent")
    assert out.splitlines() == ["owner/m demo: refreshed", "owner/m absent: not found upstream"]
    page = services.mirror_project_page(mirror, "demo")
    assert not page.stale and page.versions == ["1.0", "2.0"]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no mirror among its bases"):
        devpi("refresh", "--index", create(owner=root, name="plain", data={}).fullname, "x")


@pytest.mark.usefixtures("data_dir")
def test_prefetch_verb_reads_requirements_files(mirror, upstream, root, tmp_path):
    from django.core.management.base import CommandError

    from mirror.models import MirrorFile

    upstream.add("demo", "1.0")
    upstream.add("demo", "2.0")
    upstream.add("other", "0.1")
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# pinned\n-i http://127.0.0.1:9/ignored\ndemo==1.0 --hash=sha256:00 \\\n"
        "    --hash=sha256:11\nother  # a comment\n\n"
    )
    out = devpi("prefetch", "--index", "owner/m", "-r", str(req))
    lines = out.splitlines()
    assert lines[0] == "demo==1.0: demo-1.0-py3-none-any.whl"
    assert lines[1] == "other: other-0.1-py3-none-any.whl"
    assert lines[2].startswith("prefetch: 2/2 requirements in ") and "into owner/m" in lines[2]
    assert set(MirrorFile.objects.values_list("filename", flat=True)) == {
        "demo-1.0-py3-none-any.whl",
        "other-0.1-py3-none-any.whl",
    }
    with pytest.raises(CommandError, match="1 of 2 requirements have no files"):
        devpi("prefetch", "--index", "owner/m", "demo>=2", "absent-project")
    with pytest.raises(CommandError, match="nothing to prefetch"):
        devpi("prefetch", "--index", "owner/m")
    big = tmp_path / "big.txt"
    big.write_bytes(b"x\n" * 600_000)
    with pytest.raises(CommandError, match="larger than"):
        devpi("prefetch", "--index", "owner/m", "-r", str(big))
