"""The simple repository API views (PEP 503 / 691), also served at the plain
index URL to installers, as devpi does.

Pages come from ``indexes.simple.cache``: built once per change of what they
show, answered with 304 to a matching ``If-None-Match``, gzipped when the
client accepts it.
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt

from .. import selectors
from ..distribution.names import normalize_name
from ..errors import MethodNotAllowed, NotFound
from ..kinds import kind_for
from ..middleware import header_entries, quick_headers, set_headers
from ..negotiation import HTML, SIMPLE_HTML, SIMPLE_JSON, choose
from ..resolution import resolution_order
from ..simple import cache, pages, render
from ..wire import request_state
from .common import readable_index, require_read, root_prefix

OFFERS = (HTML, SIMPLE_HTML, SIMPLE_JSON)
HTML_TYPE = "text/html; charset=utf-8"


def _content_type(wanted: str) -> str:
    return {SIMPLE_JSON: SIMPLE_JSON, SIMPLE_HTML: SIMPLE_HTML}.get(wanted, HTML_TYPE)


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


def _index_and_order(request, user: str, index: str):
    """The index and its cached order, after the read check (no query for a
    public order: ``permissions.may_read`` decides from the cached rows)."""
    return readable_index(request, user, index)


def index_list(request, index, order=None):
    wanted = choose(request.META.get("HTTP_ACCEPT"), OFFERS) or HTML
    prefix = root_prefix(request)
    order = order if order is not None else resolution_order(index)
    key = cache.page_key("list", order, f"{wanted}|{prefix}")
    page = cache.get(key)
    if page is None:
        names, complete = pages.project_names(index, order)
        body = (
            render.index_json(names)
            if wanted == SIMPLE_JSON
            else render.index_html(names, prefix, index.fullname)
        )
        headers = () if complete else (("X-Devpi-Project-List", "incomplete"),)
        page = cache.make_page(key, body, _content_type(wanted), headers)
        # an incomplete list is being fetched in the background: look again soon
        cache.put(key, page, None if complete else 2)
    return _respond(request, page)


def project_page(request, index, project: str, order=None):
    normalized = normalize_name(project)
    wanted = choose(request.META.get("HTTP_ACCEPT"), OFFERS) or HTML
    prefix = root_prefix(request)
    order = order if order is not None else resolution_order(index)
    key = cache.page_key(f"project|{normalized}", order, f"{wanted}|{prefix}")
    if (early := _not_modified_early(request, key)) is not None:
        return early
    page = cache.get(key)
    if page is None:
        data = pages.project_page(index, normalized, order, request_state(request)[1])
        if data is None:
            raise NotFound(f"The project {project} does not exist.")
        body = (
            render.project_json(data, prefix)
            if wanted == SIMPLE_JSON
            else render.project_html(data, prefix)
        )
        headers: tuple[tuple[str, str], ...] = ()
        if data.stale:
            headers = (
                (
                    "X-Devpi-Stale",
                    "cached page past its expiry: refresh pending or upstream unreachable",
                ),
            )
        page = cache.make_page(key, body, _content_type(wanted), headers)
        if not data.stale:
            cache.put(key, page, data.mirror_expiry)
    return _respond(request, page)


def simple_index(request, user, index):
    ix, order = _index_and_order(request, user, index)
    if not request.path_info.endswith("/"):
        return redirect(request.path + "/")
    return index_list(request, ix, order)


def simple_project(request, user, index, project):
    ix, order = _index_and_order(request, user, index)
    normalized = normalize_name(project)
    if normalized != project or not request.path_info.endswith("/"):
        return redirect(f"{request.path[: request.path.rindex('+simple/')]}+simple/{normalized}/")
    return project_page(request, ix, project, order)


def installer_project(request, user, index, project):
    """A project's simple page at devpi's plain URL (pip.conf ``index-url =
    http://host/user/index``)."""
    ix, order = _index_and_order(request, user, index)
    return project_page(request, ix, project, order)


def installer_index(request, user, index):
    ix, order = _index_and_order(request, user, index)
    return index_list(request, ix, order)


@csrf_exempt
def simple_refresh(request, user, index, project):
    """devpi's refresh button: forget cached mirror pages of ``project`` along
    the resolution order, then back to the page."""
    if request.method != "POST":
        raise MethodNotAllowed("use POST to refresh")
    ix = selectors.index_get(user, index)
    order = resolution_order(ix)
    require_read(request, ix, order)
    normalized = normalize_name(project)
    for base in order:
        kind = kind_for(base) if base.is_mirror else None
        if kind is not None:
            kind.invalidate(base, normalized)
    return redirect(f"{request.path[: request.path.rindex('+simple/')]}+simple/{normalized}/")
