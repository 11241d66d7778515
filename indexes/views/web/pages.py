"""The web UI's pages at devpi's URLs (content negotiation in
``indexes.views.api`` picks these for text/html), search, and the project
page's status form.

The pages at devpi's URLs are built here as ``(template, context)``; the
views answer them as ``Response(context, template_name=template)``, which
``indexes.rest.renderers.WebPageRenderer`` renders."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from devpi_django import __version__

from ... import permissions, selectors, web_selectors
from ... import search as search_selectors
from ...config import ANONYMOUS
from ...errors import DevpiError
from ...models import ProjectStatus
from ...project_status import STATUSES
from ...services import project_status as project_status_services
from ..common import outside_url, read_identity
from .base import forbidden, login_redirect, session_user

METADATA_FIELDS = [
    ("author", "Author"),
    ("author_email", "Author email"),
    ("maintainer", "Maintainer"),
    ("maintainer_email", "Maintainer email"),
    ("license", "License"),
    ("license_expression", "License"),
    ("home_page", "Home page"),
    ("requires_python", "Requires Python"),
    ("keywords", "Keywords"),
    ("platform", "Platform"),
]
# a page at one of devpi's URLs: its template and context
Page = tuple[str, dict]

LIST_METADATA_FIELDS = [
    ("requires_dist", "Requires"),
    ("provides_extras", "Extras"),
    ("project_urls", "Project links"),
    ("classifiers", "Classifiers"),
]


# -- pages at devpi's URLs -------------------------------------------------------


def root_page(configs) -> Page:
    users = [
        {
            "name": name,
            "title": config.get("title", ""),
            "indexes": [
                {"name": ix_name, **ix, "fullname": f"{name}/{ix_name}"}
                for ix_name, ix in config.get("indexes", {}).items()
            ],
        }
        for name, config in configs.items()
    ]
    return "indexes/root.html", {"users": users}


def user_page(request, account, config) -> Page:
    actor = session_user(request)
    indexes = [
        {"name": name, "fullname": f"{account.username}/{name}", **ix}
        for name, ix in config.get("indexes", {}).items()
    ]
    return (
        "indexes/user.html",
        {
            "account": account,
            "config": config,
            "indexes": indexes,
            "may_create_index": permissions.may_create_index(actor, account.username),
            "may_modify_user": actor is not None
            and permissions.may_modify_user(actor, account.username, password_only=True),
        },
    )


def index_page(request, index) -> Page:
    actor = session_user(request)
    config = selectors.index_config(index, viewer=actor)
    projects = (
        None
        if index.is_mirror
        else web_selectors.index_projects(index, page=request.GET.get("page"))
    )
    return (
        "indexes/index.html",
        {
            "index": index,
            "config": config,
            "projects": projects,
            "base_url": outside_url(request),
            "may_modify": permissions.may_modify_index(actor, index),
            "may_audit": permissions.may_read_audit(actor, index),
            "readers": ", ".join(config.get("acl_read", [ANONYMOUS])) or "the owner and root",
        },
    )


def project_page(request, index, project, versions, status=None) -> Page:
    rows = web_selectors.project_version_rows(index, project, versions)
    display = next((str(data["name"]) for data in versions.values() if data.get("name")), project)
    own = (
        ProjectStatus.objects.filter(index=index, name=project).first()
        if status is not None
        else None
    )
    return (
        "indexes/project.html",
        {
            "index": index,
            "project": project,
            "display_name": display,
            "versions": rows,
            "base_url": outside_url(request),
            "status": status,
            "may_set_status": project_status_services.may_set_status(session_user(request), index),
            "statuses": STATUSES,
            "own_status": own.status if own else "active",
            "own_reason": own.reason if own else "",
        },
    )


@require_http_methods(["POST"])
@csrf_protect
def project_status_submit(request, user, index, project) -> HttpResponse:
    """The project page's status form (session user, CSRF): the same
    service and validation as ``PATCH /<user>/<index>/<project>``."""
    ix = selectors.index_get(user, index)
    actor = session_user(request)
    if actor is None:
        return login_redirect(request)
    try:
        row = project_status_services.project_status_set(
            index=ix,
            project=project,
            user=actor,
            data={"status": request.POST.get("status"), "reason": request.POST.get("reason", "")},
        )
    except DevpiError as exc:
        if exc.status in (401, 403):
            return forbidden(request, exc.message)
        return render(
            request,
            "indexes/forbidden.html",
            {"message": exc.message, "title": "Not changed"},
            status=400,
        )
    messages.success(request, f"{row.name} is {row.status} on {ix.fullname}.")
    return redirect(f"/{ix.fullname}/{row.name}")


def _metadata_rows(data: dict) -> tuple[list, list]:
    single = []
    seen = set()
    for key, label in METADATA_FIELDS:
        value = data.get(key)
        if value and value != "UNKNOWN" and label not in seen:
            seen.add(label)
            single.append((label, value))
    lists = []
    for key, label in LIST_METADATA_FIELDS:
        values = data.get(key)
        if isinstance(values, str):
            values = [values]
        if values:
            if key == "project_urls":
                values = [
                    tuple(part.strip() for part in v.split(",", 1)) if "," in v else (v, v)
                    for v in values
                ]
            lists.append((key, label, values))
    return single, lists


def version_page(request, index, project, version, data) -> Page:
    rows = web_selectors.project_version_rows(index, project, {version: data})
    source = rows[0].index if rows else index.fullname
    files = web_selectors.version_files(data, source)
    web_selectors.attach_toxresults(files)
    single, lists = _metadata_rows(data)
    docs = next((link for link in data.get("+links", []) if link.get("rel") == "doczip"), None)
    return (
        "indexes/version.html",
        {
            "index": index,
            "project": project,
            "version": version,
            "data": data,
            "name": data.get("name") or project,
            "source": source,
            "files": files,
            "has_toxresults": any(f.toxresults for f in files),
            "metadata": single,
            "metadata_lists": lists,
            "docs_url": f"/{index.fullname}/{project}/{version}/+d/index.html" if docs else None,
            "description_html": web_selectors.version_description_html(source, project, version),
            "yanked": data.get("yanked"),
            "base_url": outside_url(request),
        },
    )


def status_page(result) -> Page:
    return (
        "indexes/status.html",
        {
            "status": result,
            "mirrors": web_selectors.mirror_status_rows(result.get("mirrors", {})),
            "version": __version__,
        },
    )


# -- search --------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def search(request) -> HttpResponse:
    query = request.GET.get("query", "").strip()
    page = search_selectors.project_search(
        query=query, page=request.GET.get("page"), reader=read_identity(request)
    )
    return render(
        request,
        "indexes/search.html",
        {"query": query, "page": page, "page_extra": urlencode({"query": query}) + "&"},
    )
