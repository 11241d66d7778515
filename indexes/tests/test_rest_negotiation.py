"""DRF content negotiation (``indexes.rest.negotiation.DevpiNegotiation``):
q-values decide, the order of a view's renderers breaks ties, installers get
simple pages; and the simple page entry points with a DRF request or a plain
Django one."""

import pytest
from django.test import RequestFactory
from rest_framework.exceptions import NotAcceptable
from rest_framework.request import Request

from indexes.negotiation import HTML, JSON, SIMPLE_HTML, SIMPLE_JSON
from indexes.rest.base import DevpiRequest, SimplePageView
from indexes.rest.negotiation import DevpiNegotiation
from indexes.rest.renderers import (
    JSON_RENDERERS,
    SIMPLE_RENDERERS,
    DevpiJSONRenderer,
    SimpleHTMLRenderer,
    SimpleJSONRenderer,
    WebPageRenderer,
)
from indexes.views import simple
from tests.factories import make_sdist

from .conftest import basic, upload

PIP = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
PIP_AGENT = 'pip/24.0 {"ci":null,"cpu":"x86_64"}'
WEB = WebPageRenderer()
# a URL that serves browsers, devpi-client and installers (the plain index URL)
MIXED = (WEB, *JSON_RENDERERS, *SIMPLE_RENDERERS)
NEGOTIATION = DevpiNegotiation()


def chosen(renderers, accept=None, agent="curl/8.0", drf=False):
    headers = {"HTTP_USER_AGENT": agent}
    if accept is not None:
        headers["HTTP_ACCEPT"] = accept
    django_request = RequestFactory().get("/", **headers)
    request = Request(django_request) if drf else DevpiRequest(django_request, SimplePageView())
    renderer, media_type = NEGOTIATION.select_renderer(request, renderers)
    assert renderer.media_type == media_type
    return renderer


@pytest.mark.parametrize("drf", [False, True])
def test_pip_gets_json(drf):
    assert isinstance(chosen(SIMPLE_RENDERERS, PIP, drf=drf), SimpleJSONRenderer)
    assert isinstance(chosen(SIMPLE_RENDERERS, PIP, PIP_AGENT, drf=drf), SimpleJSONRenderer)
    assert isinstance(chosen(MIXED, PIP, PIP_AGENT, drf=drf), SimpleJSONRenderer)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html;q=0.1, application/vnd.pypi.simple.v1+json", SIMPLE_JSON),
        ("application/vnd.pypi.simple.v1+json;q=0.5, text/html;q=0.9", HTML),
        ("application/vnd.pypi.simple.v1+html;q=0.3, text/html;q=0.2", SIMPLE_HTML),
        ("text/html;q=0, */*", SIMPLE_HTML),  # the specific range wins over */*
        ("application/*", SIMPLE_HTML),  # a tie among the application types
    ],
)
def test_q_values(accept, expected):
    assert chosen(SIMPLE_RENDERERS, accept).media_type == expected


def test_ties_follow_the_order_of_the_renderers():
    tie = "application/vnd.pypi.simple.v1+json, text/html"
    assert chosen(SIMPLE_RENDERERS, tie).media_type == HTML
    assert chosen(tuple(reversed(SIMPLE_RENDERERS)), tie).media_type == SIMPLE_JSON
    both = "application/json, text/html"
    assert chosen((WEB, *JSON_RENDERERS), both) is WEB
    assert isinstance(chosen((*JSON_RENDERERS, WEB), both), DevpiJSONRenderer)


@pytest.mark.parametrize("accept", [None, "", "*/*", "*/*;q=0.8", ",,"])
def test_no_preference_gets_the_first(accept):
    assert isinstance(chosen(SIMPLE_RENDERERS, accept), SimpleHTMLRenderer)
    assert chosen(MIXED, accept) is WEB
    assert isinstance(chosen((*JSON_RENDERERS, WEB), accept), DevpiJSONRenderer)


def test_nothing_acceptable_gets_the_first():
    # devpi answers what it has rather than 406
    assert isinstance(chosen(SIMPLE_RENDERERS, "image/png"), SimpleHTMLRenderer)
    assert chosen(MIXED, "image/png") is WEB


def test_a_strict_renderer_list_refuses_with_406():
    class Strict(DevpiJSONRenderer):
        lenient = False

    with pytest.raises(NotAcceptable):
        chosen((Strict(),), "image/png")
    with pytest.raises(NotAcceptable):
        chosen((), "text/html")


@pytest.mark.parametrize(
    "agent",
    [PIP_AGENT, "uv/0.5.0", "setuptools/69.0 Python-urllib/3.11", "Python-urllib/3.11 pex/2.1"],
)
def test_an_installer_gets_only_simple_renderers(agent):
    # text/html: the simple page, not the web UI's
    assert isinstance(chosen(MIXED, None, agent), SimpleHTMLRenderer)
    assert isinstance(chosen(MIXED, "text/html", agent), SimpleHTMLRenderer)
    # devpi-client's JSON is not a simple page: the first simple one instead
    assert isinstance(chosen(MIXED, JSON, agent), SimpleHTMLRenderer)
    assert isinstance(chosen(MIXED, PIP, agent), SimpleJSONRenderer)
    # where no renderer is a simple one, the list stays as it is
    assert isinstance(chosen(JSON_RENDERERS, JSON, agent), DevpiJSONRenderer)


def test_a_browser_or_client_is_no_installer():
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert chosen(MIXED, browser, "Mozilla/5.0") is WEB
    assert isinstance(chosen(MIXED, JSON, "devpi-client/7.0"), DevpiJSONRenderer)


def test_a_renderer_list_may_be_a_list():
    assert isinstance(chosen(list(SIMPLE_RENDERERS), PIP), SimpleJSONRenderer)


def test_the_choice_is_made_once_per_header_and_list():
    first = chosen(SIMPLE_RENDERERS, PIP, PIP_AGENT)
    assert chosen(SIMPLE_RENDERERS, PIP, PIP_AGENT) is first
    # another list with the same media types chooses among its own renderers
    others = (SimpleHTMLRenderer(), SIMPLE_RENDERERS[1], SimpleJSONRenderer())
    assert chosen(others, PIP, PIP_AGENT) is others[2]


# -- the entry points that the plain index URL's views call ------------------------


@pytest.fixture
def page(client, dev, tmp_path):
    """``alice/dev`` with ``pkg`` 1.0."""
    sdist = make_sdist(tmp_path, "pkg", "1.0")
    response = upload(
        client, "/alice/dev/", sdist, name="pkg", version="1.0", headers=basic("alice")
    )
    assert response.status_code == 200
    return dev


def _drf_request(path, accept):
    """A DRF request after negotiation, as a view of the plain URL hands it on."""
    django_request = RequestFactory().get(path, HTTP_ACCEPT=accept)
    request = DevpiRequest(django_request, SimplePageView())
    request.accepted_renderer, request.accepted_media_type = NEGOTIATION.select_renderer(
        request, MIXED
    )
    return request


@pytest.mark.parametrize("drf", [False, True])
@pytest.mark.parametrize("accept", [SIMPLE_JSON, SIMPLE_HTML])
def test_entry_points_take_a_drf_or_a_django_request(page, drf, accept):
    project_url, list_url = "/alice/dev/pkg/", "/alice/dev/"
    if drf:
        project_request = _drf_request(project_url, accept)
        list_request = _drf_request(list_url, accept)
    else:
        project_request = RequestFactory().get(project_url, HTTP_ACCEPT=accept)
        list_request = RequestFactory().get(list_url, HTTP_ACCEPT=accept)
    response = simple.project_page(project_request, page, "pkg")
    assert response.status_code == 200
    assert response["Content-Type"] == accept
    assert b"pkg-1.0.tar.gz" in response.content
    response = simple.index_list(list_request, page)
    assert response.status_code == 200
    assert response["Content-Type"] == accept
    assert b"pkg" in response.content


def test_a_drf_choice_that_is_no_simple_page_falls_back(page):
    """A view of the plain URL that chose the web UI or devpi's JSON and
    still asks for the simple page gets devpi's choice among simple types."""
    request = _drf_request("/alice/dev/pkg/", "text/html")
    assert request.accepted_renderer is WEB
    response = simple.project_page(request, page, "pkg")
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"<a href=" in response.content
