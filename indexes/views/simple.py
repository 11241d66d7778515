"""The simple repository API views (PEP 503 / 691), also served at the plain
index URL to installers, as devpi does."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.cache import patch_vary_headers

from .. import selectors
from ..distribution.names import normalize_name
from ..errors import NotFound
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
    names = pages.project_names(index)
    prefix = root_prefix(request)
    return _response(request,
                     lambda: render.index_html(names, prefix, index.fullname),
                     lambda: render.index_json(names))


def project_page(request, index, project: str):
    normalized = normalize_name(project)
    page = pages.project_page(index, normalized)
    if page is None:
        raise NotFound(f"The project {project} does not exist.")
    prefix = root_prefix(request)
    return _response(request,
                     lambda: render.project_html(page, prefix),
                     lambda: render.project_json(page, prefix))


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
