"""The search selector: matching by name and summary, relevance order,
pagination. Runs on SQLite (scoring fallback) and PostgreSQL (full text)."""

import pytest
from django.contrib.auth import get_user_model

from indexes.distribution.names import normalize_name
from indexes.models import Index, Project, Release
from indexes.search import project_search, search_terms
from indexes.services.indexes import index_create

pytestmark = pytest.mark.django_db


def release(index, name, version, summary=""):
    project, _ = Project.objects.get_or_create(
        index=index, name=normalize_name(name), defaults={"display_name": name}
    )
    return Release.objects.create(
        project=project,
        version=version,
        metadata={"name": name, "version": version, "summary": summary},
    )


def names(page):
    return [(hit.index, hit.name) for hit in page.object_list]


def test_search_terms_are_lower_case_distinct_words():
    assert search_terms("  Foo BAR foo, baz!  ") == ["foo", "bar", "baz"]
    assert search_terms("zope.interface my_pkg") == ["zope.interface", "my_pkg"]
    assert search_terms("") == []
    assert search_terms("!!! ???") == []
    assert len(search_terms(" ".join(f"w{i}" for i in range(30)))) == 8


def test_empty_query_finds_nothing(dev):
    release(dev, "anything", "1.0", "some summary")
    page = project_search(query="   ")
    assert page.object_list == []
    assert page.paginator.count == 0


def test_ranking_exact_name_then_prefix_then_contains_then_summary(dev):
    release(dev, "unrelated", "1.0", "has nothing to do with it")
    release(dev, "ranker-tools", "1.0", "helpers")
    release(dev, "myranker", "2.0", "another one")
    release(dev, "other", "1.0", "a ranker for search results")
    release(dev, "Ranker", "0.9", "the ranker itself")
    page = project_search(query="ranker")
    assert names(page) == [
        ("alice/dev", "ranker"),
        ("alice/dev", "ranker-tools"),
        ("alice/dev", "myranker"),
        ("alice/dev", "other"),
    ]
    scores = [hit.score for hit in page.object_list]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4
    top = page.object_list[0]
    assert (top.display_name, top.version, top.summary) == ("Ranker", "0.9", "the ranker itself")


def test_name_query_is_normalised(dev):
    release(dev, "Foo_Bar", "1.0")
    release(dev, "foo-bar-baz", "1.0")
    assert names(project_search(query="FOO.bar")) == [
        ("alice/dev", "foo-bar"),
        ("alice/dev", "foo-bar-baz"),
    ]


def test_summary_words_and_more_matching_words_rank_higher(dev):
    release(dev, "alpha", "1.0", "fast json parser")
    release(dev, "beta", "1.0", "json tools")
    release(dev, "gamma", "1.0", "xml parser")
    page = project_search(query="json parser")
    assert names(page)[0] == ("alice/dev", "alpha")
    assert set(names(page)) == {
        ("alice/dev", "alpha"),
        ("alice/dev", "beta"),
        ("alice/dev", "gamma"),
    }


def test_across_indexes_and_latest_version_with_its_summary(alice, dev):
    other_user = get_user_model().objects.create(username="bob")
    prod = index_create(owner=other_user, name="prod", data={})
    release(dev, "shared", "1.0", "old summary")
    release(dev, "shared", "1.10", "new summary")
    release(dev, "shared", "1.9", "middle")
    release(prod, "shared", "3.0", "prod's")
    page = project_search(query="shared")
    assert names(page) == [("alice/dev", "shared"), ("bob/prod", "shared")]
    assert [(h.version, h.summary) for h in page.object_list] == [
        ("1.10", "new summary"),
        ("3.0", "prod's"),
    ]


def test_yanked_latest_is_skipped_for_the_summary(dev):
    release(dev, "pkg", "1.0", "good")
    bad = release(dev, "pkg", "2.0", "bad")
    bad.yanked = True
    bad.save()
    [hit] = project_search(query="pkg").object_list
    assert (hit.version, hit.summary) == ("1.0", "good")


def test_mirror_indexes_are_not_searched(alice, dev):
    mirror = Index.objects.create(
        owner=alice,
        name="mirror",
        type=Index.MIRROR,
        config={"mirror_url": "http://127.0.0.1:9/simple/"},
    )
    Project.objects.create(index=mirror, name="cached", display_name="cached")
    release(dev, "cached-too", "1.0")
    assert names(project_search(query="cached")) == [("alice/dev", "cached-too")]


def test_pagination(dev):
    for n in range(7):
        release(dev, f"pager-{n}", "1.0")
    first = project_search(query="pager", per_page=3)
    third = project_search(query="pager", page=3, per_page=3)
    assert first.paginator.count == 7 and first.paginator.num_pages == 3
    assert names(first) == [("alice/dev", f"pager-{n}") for n in range(3)]
    assert names(third) == [("alice/dev", "pager-6")]
    assert names(project_search(query="pager", page="junk", per_page=3)) == names(first)


def test_query_with_sql_and_like_characters_is_plain_text(dev):
    release(dev, "percent", "1.0", "100% safe")
    assert names(project_search(query="%")) == []
    assert names(project_search(query="'; drop table x; --")) == []
    assert names(project_search(query="percent%")) == [("alice/dev", "percent")]


def test_summary_words_are_stemmed_on_postgresql_only(dev):
    from django.db import connection

    release(dev, "runner", "1.0", "Running the tests quickly")
    assert names(project_search(query="tests")) == [("alice/dev", "runner")]
    stemmed = names(project_search(query="tested"))
    if connection.vendor == "postgresql":  # full text search: "tested" and "tests" stem alike
        assert stemmed == [("alice/dev", "runner")]
    else:  # the fallback matches words as they are
        assert stemmed == []
