"""Content negotiation: q-values decide, the offer order only breaks ties."""

import pytest

from indexes.negotiation import (
    HTML,
    JSON,
    SIMPLE_HTML,
    SIMPLE_JSON,
    choose,
    parse_accept,
    prefers_json,
)

SIMPLE_OFFERS = (HTML, SIMPLE_HTML, SIMPLE_JSON)
API_OFFERS = (HTML, JSON, SIMPLE_JSON)
PIP = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)
UV = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)


def test_pip_gets_json():
    assert choose(PIP, SIMPLE_OFFERS) == SIMPLE_JSON
    assert choose(PIP, API_OFFERS) == SIMPLE_JSON


def test_uv_gets_json():
    assert choose(UV, SIMPLE_OFFERS) == SIMPLE_JSON


@pytest.mark.parametrize("accept", [None, "", "   ", "*/*", "*/*;q=0.8", ",,"])
def test_no_preference_gets_html(accept):
    assert choose(accept, SIMPLE_OFFERS) == HTML
    assert choose(accept, API_OFFERS) == HTML


def test_browser_gets_html():
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert choose(browser, API_OFFERS) == HTML


def test_devpi_client_gets_json():
    assert choose("application/json", API_OFFERS) == JSON


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json, text/html", HTML),  # equal q: offer order
        ("text/html, application/json", HTML),
        ("application/vnd.pypi.simple.v1+json, application/json", JSON),
        ("application/json;q=0.5, text/html;q=0.5", HTML),
    ],
)
def test_ties_are_broken_by_offer_order(accept, expected):
    assert choose(accept, API_OFFERS) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html;q=0.1, application/json", JSON),
        ("application/json;q=0.5, */*;q=0.1", JSON),
        ("text/*;q=0.3, application/json;q=0.2", HTML),
        ("text/html;q=0, */*", JSON),  # the specific range wins over */*
        ("application/*", JSON),
        ("APPLICATION/JSON", JSON),
    ],
)
def test_q_values_and_wildcards(accept, expected):
    assert choose(accept, API_OFFERS) == expected


def test_nothing_acceptable():
    assert choose("image/png", API_OFFERS) is None
    assert choose("text/html;q=0", (HTML,)) is None
    assert choose("application/json;q=oops", (JSON,)) is None


def test_latest_aliases():
    assert choose("application/vnd.pypi.simple.latest+json", SIMPLE_OFFERS) == SIMPLE_JSON
    assert choose("application/vnd.pypi.simple.latest+html", SIMPLE_OFFERS) == SIMPLE_HTML


def test_parse_accept():
    assert parse_accept("text/html; q=0.5 , application/json;level=1;q=2, x/y;q=-1, ;q=1") == (
        ("text/html", 0.5),
        ("application/json", 1.0),
        ("x/y", 0.0),
    )


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", True),
        ("text/html, application/json;q=0.1", True),
        (None, False),
        ("", False),
        ("text/html", False),
        (PIP, False),
    ],
)
def test_prefers_json(accept, expected):
    assert prefers_json(accept) is expected
