"""The simple repository API views (PEP 503 / 691), also served at the plain
index URL to installers, as devpi does."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from .. import selectors
from ..distribution.names import normalize_name
from ..errors import MethodNotAllowed, NotFound
from ..kinds import kind_for
from ..resolution import resolution_order
from ..negotiation import HTML, SIMPLE_HTML, SIMPLE_JSON, choose
from ..simple import pages, render
from .common import root_prefix

OFFERS = (HTML, SIMPLE_HTML, SIMPLE_JSON)


def _response(request, body_html, body_json) -> HttpResponse:
    wanted = choose(request.META.get("HTTP_ACCEPT"), OFFERS) or HTML
    if wanted == SIMPLE_JSON:
        response = HttpResponse(body_json(), content_type=SIMPLE_JSON)
    else:
        content_type = SIMPLE_HTML if wanted == SIMPLE_HTML else "text/html; charset=utf-8"
        response = HttpResponse(body_html(), content_type=content_type)
    patch_vary_headers(response, ("Accept",))
    return response


def index_list(request, index):
    names, complete = pages.project_names(index)
    prefix = root_prefix(request)
    response = _response(request,
                         lambda: render.index_html(names, prefix, index.fullname),
                         lambda: render.index_json(names))
    if not complete:
        response["X-Devpi-Project-List"] = "incomplete"
    return response


def project_page(request, index, project: str):
    normalized = normalize_name(project)
    page = pages.project_page(index, normalized)
    if page is None:
        raise NotFound(f"The project {project} does not exist.")
    prefix = root_prefix(request)
    response = _response(request,
                         lambda: render.project_html(page, prefix),
                         lambda: render.project_json(page, prefix))
    if page.stale:
        response["X-Devpi-Stale"] = "upstream unreachable, serving cached page"
    return response


def simple_index(request, user, index):
    ix = selectors.index_get(user, index)
    if not request.path_info.endswith("/"):
        return redirect(request.path + "/")
    return index_list(request, ix)


def simple_project(request, user, index, project):
    ix = selectors.index_get(user, index)
    normalized = normalize_name(project)
    if normalized != project or not request.path_info.endswith("/"):
        return redirect(f"{request.path[: request.path.rindex('+simple/')]}+simple/{normalized}/")
    return project_page(request, ix, project)


@csrf_exempt
def simple_refresh(request, user, index, project):
    """devpi's refresh button: forget cached mirror pages of ``project`` along
    the resolution order, then back to the page."""
    if request.method != "POST":
        raise MethodNotAllowed("use POST to refresh")
    ix = selectors.index_get(user, index)
    normalized = normalize_name(project)
    for base in resolution_order(ix):
        kind = kind_for(base) if base.is_mirror else None
        if kind is not None:
            kind.invalidate(base, normalized)
    return redirect(f"{request.path[: request.path.rindex('+simple/')]}+simple/{normalized}/")
