"""The simple repository API views (PEP 503 / 691), also served at the plain
index URL to installers, as devpi does.

DRF negotiates (``indexes.rest.negotiation``: q-values, devpi's tie order =
the order of ``SIMPLE_RENDERERS``). Pages come from ``indexes.simple.cache``:
rendered by the chosen renderer once per change of what they show, then their
stored bytes go out directly, answered with 304 to a matching
``If-None-Match``, gzipped when the client accepts it.
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect

from .. import selectors
from ..distribution.names import normalize_name
from ..errors import MethodNotAllowed, NotFound
from ..kinds import kind_for
from ..middleware import header_entries, quick_headers, set_headers
from ..negotiation import HTML, choose
from ..resolution import resolution_order
from ..rest.base import SimplePageView
from ..rest.renderers import SIMPLE_RENDERERS
from ..simple import cache, pages, render
from ..wire import request_state
from .common import readable_index, require_read, root_prefix

# devpi's tie order: text/html, the PEP 691 HTML type, then its JSON
OFFERS = tuple(r.media_type for r in SIMPLE_RENDERERS)
_RENDERER = {r.media_type: r for r in SIMPLE_RENDERERS}
_CONTENT_TYPE = {
    r.media_type: f"{r.media_type}; charset={r.charset}" if r.charset else r.media_type
    for r in SIMPLE_RENDERERS
}
STALE = (("X-Devpi-Stale", "cached page past its expiry: refresh pending or upstream unreachable"),)
INCOMPLETE = (("X-Devpi-Project-List", "incomplete"),)


def _negotiated(request):
    """``(django request, media type, renderer)``: DRF's choice when
    ``request`` is a DRF ``Request`` that chose a simple renderer, else
    devpi's negotiation over the simple types (a plain ``HttpRequest``, or a
    DRF view whose choice was not a simple page)."""
    django_request = getattr(request, "_request", request)
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is not None and getattr(renderer, "simple", False):
        return django_request, request.accepted_media_type, renderer
    wanted = choose(django_request.META.get("HTTP_ACCEPT"), OFFERS) or HTML
    return django_request, wanted, _RENDERER[wanted]


def _accepts_gzip(request) -> bool:
    return "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")


# what every page reply varies on (a new response has no Vary yet)
VARY = header_entries(("Vary", "Accept, Accept-Encoding"))


def _respond(request, page: cache.CachedPage) -> HttpResponse:
    if request.META.get("HTTP_IF_NONE_MATCH") == page.etag:
        response = quick_headers(HttpResponseNotModified())
    elif page.gzipped is not None and _accepts_gzip(request):
        response = quick_headers(HttpResponse(page.gzipped, content_type=page.content_type))
        response["Content-Encoding"] = "gzip"
    else:
        response = quick_headers(HttpResponse(page.body, content_type=page.content_type))
    # the ETag (a quoted hex digest) and the page's own headers (constants of
    # this module) are plain ASCII on one line
    set_headers(response, (("etag", ("ETag", page.etag)),))
    if page.headers:
        set_headers(response, [(key.lower(), (key, value)) for key, value in page.headers])
    set_headers(response, VARY)
    return response


def _not_modified_early(request, key: str) -> HttpResponse | None:
    """A 304 without touching the page: the key says it has not changed."""
    etag = cache.etag_for(key)
    if request.META.get("HTTP_IF_NONE_MATCH") == etag:
        response = quick_headers(HttpResponseNotModified())
        set_headers(response, (("etag", ("ETag", etag)),))
        set_headers(response, VARY)
        return response
    return None


def index_list(request, index, order=None):
    """The simple list of ``index`` (``request``: a DRF ``Request`` after
    negotiation, or a Django ``HttpRequest``)."""
    django_request, wanted, renderer = _negotiated(request)
    prefix = root_prefix(django_request)
    order = order if order is not None else resolution_order(index)
    key = cache.page_key("list", order, f"{wanted}|{prefix}")
    page = cache.get(key)
    if page is None:
        names, complete = pages.project_names(index, order)
        body = renderer.render(render.IndexRender(names, prefix, index.fullname), wanted)
        headers = () if complete else INCOMPLETE
        page = cache.make_page(key, body, _CONTENT_TYPE[wanted], headers)
        # an incomplete list is being fetched in the background: look again soon
        cache.put(key, page, None if complete else 2)
    return _respond(django_request, page)


def project_page(request, index, project: str, order=None):
    """The simple page of ``project`` on ``index`` (``request`` as for
    ``index_list``)."""
    django_request, wanted, renderer = _negotiated(request)
    normalized = normalize_name(project)
    prefix = root_prefix(django_request)
    order = order if order is not None else resolution_order(index)
    key = cache.page_key(f"project|{normalized}", order, f"{wanted}|{prefix}")
    if (early := _not_modified_early(django_request, key)) is not None:
        return early
    page = cache.get(key)
    if page is None:
        data = pages.project_page(index, normalized, order, request_state(django_request)[1])
        if data is None:
            raise NotFound(f"The project {project} does not exist.")
        body = renderer.render(render.ProjectRender(data, prefix), wanted)
        page = cache.make_page(key, body, _CONTENT_TYPE[wanted], STALE if data.stale else ())
        if not data.stale:
            cache.put(key, page, data.mirror_expiry)
    return _respond(django_request, page)


def _simple_url(request, normalized: str) -> str:
    return f"{request.path[: request.path.rindex('+simple/')]}+simple/{normalized}/"


class SimpleIndexView(SimplePageView):
    """``/<user>/<index>/+simple/``: the index's project list (any method,
    as devpi answers it)."""

    renderers = SIMPLE_RENDERERS

    def get(self, request, user, index):
        django_request = request._request
        ix, order = readable_index(django_request, user, index)
        if not django_request.path_info.endswith("/"):
            return redirect(django_request.path + "/")
        return index_list(request, ix, order)

    head = post = put = patch = delete = options = push = trace = get


class SimpleProjectView(SimplePageView):
    """``/<user>/<index>/+simple/<project>/``: a project's files; other
    spellings of the name and the URL without its slash redirect."""

    renderers = SIMPLE_RENDERERS

    def get(self, request, user, index, project):
        django_request = request._request
        ix, order = readable_index(django_request, user, index)
        normalized = normalize_name(project)
        if normalized != project or not django_request.path_info.endswith("/"):
            return redirect(_simple_url(django_request, normalized))
        return project_page(request, ix, project, order)

    head = post = put = patch = delete = options = push = trace = get


def installer_project(request, user, index, project):
    """A project's simple page at devpi's plain URL (pip.conf ``index-url =
    http://host/user/index``)."""
    ix, order = readable_index(getattr(request, "_request", request), user, index)
    return project_page(request, ix, project, order)


def installer_index(request, user, index):
    ix, order = readable_index(getattr(request, "_request", request), user, index)
    return index_list(request, ix, order)


class SimpleRefreshView(SimplePageView):
    """devpi's refresh button: forget cached mirror pages of ``project`` along
    the resolution order, then back to the page (POST only)."""

    renderers = SIMPLE_RENDERERS

    def post(self, request, user, index, project):
        django_request = request._request
        ix = selectors.index_get(user, index)
        order = resolution_order(ix)
        require_read(django_request, ix, order)
        normalized = normalize_name(project)
        for base in order:
            kind = kind_for(base) if base.is_mirror else None
            if kind is not None:
                kind.invalidate(base, normalized)
        return redirect(_simple_url(django_request, normalized))

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise MethodNotAllowed("use POST to refresh")

    options = http_method_not_allowed
