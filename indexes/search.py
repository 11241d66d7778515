"""Reads: search for projects across the stage indexes by name and summary.

Relevance, highest first:
- the name is the whole query (normalised): 100;
- the name starts with the query: 40;
- the name contains a word of the query: 20 per word;
- the summary matches: on PostgreSQL full text search (``websearch``
  syntax, English stemming, the name weighted above the summary) adds up to
  50 x ``ts_rank``; on other databases each word of the query found in a
  summary adds 5.

Mirror indexes are not searched: their projects live upstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce
from operator import add, or_
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Exists, F, FloatField, OuterRef, Q, Subquery, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from . import permissions
from .distribution.names import normalize_name
from .models import Index, Project, Release
from .web_selectors import latest_releases

MAX_TERMS = 8
MAX_QUERY_LENGTH = 200
PER_PAGE = 50
_WORD = re.compile(r"[\w.-]+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    index: str  # "user/index"
    name: str  # normalised
    display_name: str
    version: str
    summary: str
    score: float


def search_terms(query: str) -> list[str]:
    """The distinct lower-case words of a query, at most ``MAX_TERMS``."""
    terms: list[str] = []
    for word in _WORD.findall((query or "")[:MAX_QUERY_LENGTH].lower()):
        word = word.strip(".-_")
        if word and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _name_score(query: str, terms: list[str]):
    whole = normalize_name(query.strip())
    parts = [
        Case(When(name=whole, then=Value(100.0)), default=Value(0.0), output_field=FloatField()),
        Case(
            When(name__startswith=whole, then=Value(40.0)),
            default=Value(0.0),
            output_field=FloatField(),
        ),
    ]
    for term in terms:
        parts.append(
            Case(
                When(name__contains=normalize_name(term), then=Value(20.0)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        )
    return reduce(add, parts)


def _text_match_and_score(query: str, terms: list[str]):
    """(a filter true when a release's summary matches, the summary's score)."""
    releases = Release.objects.filter(project=OuterRef("pk"))
    if _is_postgresql():
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("project__display_name", weight="A", config="english") + SearchVector(
            KT("metadata__summary"), weight="B", config="english"
        )
        # any of the words (ranking puts documents with more of them first)
        search_query = reduce(
            or_, [SearchQuery(term, search_type="plain", config="english") for term in terms]
        )
        match = Q(Exists(releases.annotate(document=vector).filter(document=search_query)))
        rank = Subquery(
            releases.annotate(rank=SearchRank(vector, search_query))
            .order_by("-rank")
            .values("rank")[:1],
            output_field=FloatField(),
        )
        return match, Coalesce(rank, Value(0.0), output_field=FloatField()) * Value(50.0)
    summary_hits = [Exists(releases.filter(metadata__summary__icontains=term)) for term in terms]
    match = reduce(or_, [Q(hit) for hit in summary_hits])
    score = reduce(
        add,
        [
            Case(When(hit, then=Value(5.0)), default=Value(0.0), output_field=FloatField())
            for hit in summary_hits
        ],
    )
    return match, score


ALL_READERS = object()  # no read filter (the server's own commands)


def project_search(
    *, query: str, page: int | str = 1, per_page: int = PER_PAGE, reader=ALL_READERS
) -> Page:
    """A page of ``SearchHit`` (``page.object_list``), best first; ties by
    name, then index. With ``reader`` (the acting identity, None when
    anonymous) only projects of indexes it may read are found
    (``permissions.may_read``): a private project is never listed."""
    terms = search_terms(query)
    if not terms:
        return Paginator([], per_page).get_page(1)
    query = " ".join(terms)
    name_score = _name_score(query, terms)
    text_match, text_score = _text_match_and_score(query, terms)
    stages = Project.objects.filter(index__type=Index.STAGE)
    if reader is not ALL_READERS:
        everything = list(Index.objects.select_related("owner"))
        readable = permissions.readable_indexes(reader, everything)
        if len(readable) != len(everything):
            stages = stages.filter(index_id__in=[ix.id for ix in readable if not ix.is_mirror])
    projects = (
        stages.annotate(name_score=name_score)
        .filter(Q(name_score__gt=0) | text_match)
        .annotate(score=F("name_score") + text_score)
        .order_by("-score", "name", "index__owner__username", "index__name")
        .values("id", "name", "display_name", "score", "index__owner__username", "index__name")
    )
    result: Page[Any] = Paginator(projects, per_page).get_page(page)
    rows = list(result.object_list)
    latest = latest_releases([row["id"] for row in rows])
    result.object_list = [
        SearchHit(
            index=f"{row['index__owner__username']}/{row['index__name']}",
            name=row["name"],
            display_name=row["display_name"],
            version=latest[row["id"]].version if row["id"] in latest else "",
            summary=latest[row["id"]].summary if row["id"] in latest else "",
            score=float(row["score"]),
        )
        for row in rows
    ]
    return result
