"""Resolution: the order an index reads its bases in, and which indexes
along it show a project (mirrors last, the dependency-confusion guard)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indexes.models import Index, Project, Release, ReleaseFile
from indexes.resolution import (
    project_candidates,
    project_sources,
    resolution_order,
    visible_indexes,
)

from .conftest import SIMPLE_JSON, create_user, mirror_index, stage

# -- visible_indexes: pure, table-driven -----------------------------------------------------


def ix(id, *, mirror=False, whitelist=(), inheritance=None):
    if mirror:
        return Index(id=id, type=Index.MIRROR, config={"mirror_url": "https://x/"})
    config = {"mirror_whitelist": list(whitelist)}
    if inheritance:
        config["mirror_whitelist_inheritance"] = inheritance
    return Index(id=id, type=Index.STAGE, config=config)


# each case: the order as (id, kind, whitelist), the ids having "pkg", the visible ids
CASES = {
    "private only": ([(1, "stage", [])], {1}, [1]),
    "mirror only": ([(1, "stage", []), (9, "mirror", [])], {9}, [9]),
    "nobody": ([(1, "stage", []), (9, "mirror", [])], set(), []),
    "private hides mirror": ([(1, "stage", []), (9, "mirror", [])], {1, 9}, [1]),
    "private in a base hides mirror": (
        [(1, "stage", []), (2, "stage", []), (9, "mirror", [])],
        {2, 9},
        [2],
    ),
    "whitelisted": ([(1, "stage", ["pkg"]), (9, "mirror", [])], {1, 9}, [1, 9]),
    "star whitelists all": ([(1, "stage", ["*"]), (9, "mirror", [])], {1, 9}, [1, 9]),
    "other name whitelisted": ([(1, "stage", ["other"]), (9, "mirror", [])], {1, 9}, [1]),
    "whitelist of the child and the base (intersection)": (
        [(1, "stage", ["pkg"]), (2, "stage", ["pkg"]), (9, "mirror", [])],
        {2, 9},
        [2, 9],
    ),
    # whitelisted at the first stage already: later stages cannot undo it (as devpi)
    "whitelisted before the private base": (
        [(1, "stage", ["pkg"]), (2, "stage", []), (9, "mirror", [])],
        {1, 2, 9},
        [1, 2, 9],
    ),
    # the base whitelists, but the intersection with the child's empty list is empty
    "base whitelist cut by intersection": (
        [(1, "stage", []), (2, "stage", ["pkg"]), (9, "mirror", [])],
        {2, 9},
        [2],
    ),
    "private hit before the whitelist": (
        [(1, "stage", []), (2, "stage", ["pkg"]), (9, "mirror", [])],
        {1, 2, 9},
        [1, 2],
    ),
    "private bases always merged": (
        [(1, "stage", []), (2, "stage", []), (3, "stage", [])],
        {1, 2, 3},
        [1, 2, 3],
    ),
    "all mirrors hidden": (
        [(1, "stage", []), (8, "mirror", []), (9, "mirror", [])],
        {1, 8, 9},
        [1],
    ),
    "all mirrors shown": ([(1, "stage", []), (8, "mirror", []), (9, "mirror", [])], {8, 9}, [8, 9]),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_visible_indexes(case):
    spec, has, expected = CASES[case]
    order = [ix(i, mirror=kind == "mirror", whitelist=wl) for i, kind, wl in spec]
    assert [i.id for i in visible_indexes(order, has, "pkg")] == expected


@pytest.mark.parametrize(
    ("inheritance", "expected"), [(None, [2]), ("intersection", [2]), ("union", [2, 9])]
)
def test_union_inheritance_of_the_requested_index(inheritance, expected):
    order = [ix(1, inheritance=inheritance), ix(2, whitelist=["pkg"]), ix(9, mirror=True)]
    assert [i.id for i in visible_indexes(order, {2, 9}, "pkg")] == expected


def test_only_the_requested_index_decides_the_inheritance():
    # a base's own "union" setting does not apply when a child is asked
    order = [ix(1), ix(2, whitelist=["pkg"], inheritance="union"), ix(9, mirror=True)]
    assert [i.id for i in visible_indexes(order, {2, 9}, "pkg")] == [2]


def test_union_then_intersection_differs_for_star():
    order_union = [
        ix(1, whitelist=["a"], inheritance="union"),
        ix(2, whitelist=["*"]),
        ix(9, mirror=True),
    ]
    order_inter = [ix(1, whitelist=["a"]), ix(2, whitelist=["*"]), ix(9, mirror=True)]
    assert [i.id for i in visible_indexes(order_union, {2, 9}, "pkg")] == [2, 9]
    assert [i.id for i in visible_indexes(order_inter, {2, 9}, "pkg")] == [2]


# -- resolution_order with real rows -----------------------------------------------------------


@pytest.fixture
def users(db):
    return {name: create_user(name) for name in ("root", "alice", "bob")}


def names(order):
    return [i.fullname for i in order]


def test_order_is_breadth_first_with_mirrors_last(users):
    mirror_index(users["root"], "pypi")
    stage(users["alice"], "c")
    stage(users["alice"], "a", bases="alice/c")
    stage(users["bob"], "b", bases="alice/c, root/pypi")
    dev = stage(users["alice"], "dev", bases="root/pypi, alice/a, bob/b")
    assert names(resolution_order(dev)) == ["alice/dev", "alice/a", "bob/b", "alice/c", "root/pypi"]


def test_each_index_once_even_with_a_cycle(users):
    a = stage(users["alice"], "a")
    b = stage(users["alice"], "b", bases="alice/a")
    # a cycle cannot be configured through the API; write it directly
    a.config = {**a.config, "bases": ["alice/b", "alice/a"]}
    a.save()
    assert names(resolution_order(a)) == ["alice/a", "alice/b"]
    assert names(resolution_order(b)) == ["alice/b", "alice/a"]


def test_missing_bases_are_skipped(users):
    stage(users["alice"], "gone")
    keep = stage(users["alice"], "keep")
    dev = stage(users["alice"], "dev", bases="alice/gone, alice/keep")
    Index.objects.filter(name="gone").delete()
    dev.refresh_from_db()
    assert dev.bases == ["alice/gone", "alice/keep"]
    assert resolution_order(dev) == [dev, keep]


def test_a_mirror_resolves_to_itself(users):
    mirror = mirror_index(users["root"])
    assert resolution_order(mirror) == [mirror]


def test_one_query_per_base_level(users, django_assert_num_queries):
    stage(users["alice"], "l3")
    stage(users["alice"], "l2a", bases="alice/l3")
    stage(users["alice"], "l2b", bases="alice/l3")
    dev = stage(users["alice"], "dev", bases="alice/l2a, alice/l2b")
    with django_assert_num_queries(2):  # level 1 (l2a, l2b), level 2 (l3)
        order = resolution_order(dev)
    assert names(order) == ["alice/dev", "alice/l2a", "alice/l2b", "alice/l3"]
    alone = stage(users["bob"], "alone")
    with django_assert_num_queries(0):
        assert resolution_order(alone) == [alone]


def add_release(index, project, version, filename):
    row, _ = Project.objects.get_or_create(
        index=index, name=project, defaults={"display_name": project}
    )
    release = Release.objects.create(project=row, version=version)
    ReleaseFile.objects.create(
        release=release,
        index=index,
        filename=filename,
        sha256=f"{index.id:04d}".ljust(64, "0"),
        size=1,
        uploaded_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    return row


def test_project_sources_follow_the_guard(users):
    mirror = mirror_index(users["root"])
    base = stage(users["alice"], "base", bases="root/pypi")
    dev = stage(users["alice"], "dev", bases="alice/base")
    base_pkg = add_release(base, "pkg", "1.0", "pkg-1.0.tar.gz")
    dev_pkg = add_release(dev, "pkg", "2.0", "pkg-2.0.tar.gz")
    assert project_sources(dev, "pkg") == [(dev, dev_pkg), (base, base_pkg)]
    assert project_sources(dev, "pkg", ignore_bases=True) == [(dev, dev_pkg)]
    candidates, rows = project_candidates(dev, "pkg")
    assert candidates == [dev, base]  # the private project hides the mirror
    assert rows == {dev_pkg.id: dev_pkg, base_pkg.id: base_pkg}
    # a project no stage has: the mirror is the candidate
    candidates, rows = project_candidates(dev, "other")
    assert candidates == [mirror] and rows == {}


# -- query counts of a simple page -------------------------------------------------------------


def fill(index, count, prefix="filler"):
    """``count`` projects with one release and file each, in bulk."""
    projects = Project.objects.bulk_create(
        [
            Project(index=index, name=f"{prefix}{n}", display_name=f"{prefix}{n}")
            for n in range(count)
        ]
    )
    releases = Release.objects.bulk_create([Release(project=p, version="1.0") for p in projects])
    when = datetime(2024, 1, 1, tzinfo=UTC)
    ReleaseFile.objects.bulk_create(
        [
            ReleaseFile(
                release=r,
                index=index,
                filename=f"{r.project.name}-1.0.tar.gz",
                sha256=f"{r.id:064x}",
                size=10,
                uploaded_at=when,
            )
            for r in releases
        ]
    )


def page_queries(client, url) -> int:
    """Queries of a cold page: no cached page, no cached resolution order, no
    cached project status table."""
    from django.core.cache import cache

    from indexes import project_status, resolution

    cache.clear()
    resolution._ORDERS.clear()
    project_status._TABLE.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_ACCEPT=SIMPLE_JSON)
    assert response.status_code == 200, response.content
    files = response.json()["files"]
    assert [f["filename"] for f in files] == ["target-1.0.tar.gz"]
    return len(ctx.captured_queries)


def test_simple_page_queries_do_not_depend_on_the_number_of_projects(
    users, client, django_assert_num_queries
):
    small = stage(users["alice"], "small")
    large = stage(users["bob"], "large")
    for index, count in ((small, 5), (large, 200)):
        fill(index, count)
        add_release(index, "target", "1.0", "target-1.0.tar.gz")
    small_count = page_queries(client, "/alice/small/+simple/target/")
    large_count = page_queries(client, "/bob/large/+simple/target/")
    assert small_count == large_count
    # the index, its project rows, their files, their versions, the server
    # state for the headers: five, however many projects the index holds
    from django.core.cache import cache

    from indexes import resolution

    cache.clear()
    resolution._ORDERS.clear()
    with django_assert_num_queries(5):
        response = client.get("/bob/large/+simple/target/", HTTP_ACCEPT=SIMPLE_JSON)
    assert response.json()["name"] == "target"
    # the order is known while the serial stands: the page's own three remain
    cache.clear()
    with django_assert_num_queries(4):
        client.get("/bob/large/+simple/target/", HTTP_ACCEPT=SIMPLE_JSON)


def test_simple_page_queries_grow_by_at_most_one_per_base_level(users, client):
    levels = []
    previous = None
    for depth in range(4):
        index = stage(
            users["alice"], f"level{depth}", **({"bases": previous.fullname} if previous else {})
        )
        fill(index, 20, prefix=f"level{depth}-")
        levels.append(index)
        previous = index
    add_release(levels[0], "target", "1.0", "target-1.0.tar.gz")
    counts = [page_queries(client, f"/alice/level{depth}/+simple/target/") for depth in range(4)]
    for shallower, deeper in zip(counts, counts[1:], strict=False):
        assert deeper - shallower <= 1, counts
    assert counts[-1] - counts[0] <= 3, counts
    # the five of a warm process, and the PEP 792 status table, read once per
    # process while the serial stands
    assert counts[0] == 6, counts


def test_cached_simple_page_costs_fewer_queries(users, client):
    dev = stage(users["alice"], "dev")
    fill(dev, 50)
    add_release(dev, "target", "1.0", "target-1.0.tar.gz")
    cold = page_queries(client, "/alice/dev/+simple/target/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/alice/dev/+simple/target/", HTTP_ACCEPT=SIMPLE_JSON).status_code == 200
    assert len(ctx.captured_queries) < cold
    # a cached page with a known order: only the server state (serial) is read
    assert len(ctx.captured_queries) == 1, ctx.captured_queries
