"""devpi's JSON API for indexes, projects and versions (``IndexView``,
``ProjectView``, ``VersionView``), with the web UI's pages and, for
installers, the simple pages at the same URLs."""

from __future__ import annotations

from django.shortcuts import redirect
from rest_framework.response import Response

from .. import permissions, project_status, selectors
from ..auth import request_user
from ..distribution.names import normalize_name
from ..errors import Invalid, NotFound
from ..rest.parsers import LimitedJSONParser, StrictMultiPartParser, body_json
from ..rest.renderers import SIMPLE_RENDERERS
from ..rest.response import envelope
from ..services import indexes as index_services
from ..services import project_status as project_status_services
from ..services import removal, yank
from ..wire import request_state
from . import push, simple, upload, web
from .common import force_requested, outside_url, readable_index, request_json_object, require
from .negotiated import JSON_RENDERER, WEB_PAGE, PageView, wants_page, wants_simple, web_page

# the renderers' single instances (text/html's simple page, PEP 691's types)
_, SIMPLE_HTML_V1_RENDERER, SIMPLE_JSON_RENDERER = SIMPLE_RENDERERS


class IndexView(PageView):
    """``/<user>/<index>``: the index's config (JSON), page (HTML), project
    list (installers, PEP 691 JSON); create, modify, delete; upload (a
    multipart POST) and push (a JSON POST or devpi's PUSH)."""

    renderers = (WEB_PAGE, JSON_RENDERER, SIMPLE_JSON_RENDERER)
    installer_renderers = SIMPLE_RENDERERS
    parsers = (LimitedJSONParser(), StrictMultiPartParser())

    def get(self, request, user, index):
        ix, order = readable_index(request._request, user, index)
        if wants_simple(request):
            return simple.index_list(request, ix, order)
        if wants_page(request):
            return web_page(web.index_page(request._request, ix))
        result = selectors.index_config(ix, viewer=request_user(request._request))
        if "no_projects" not in request.query_params:
            result["projects"] = selectors.index_project_names(ix)
        return Response(envelope("indexconfig", result))

    def put(self, request, user, index):
        actor = request.user
        owner = selectors.user_get(user)
        require(
            permissions.may_create_index(actor, user),
            request,
            f"no permission to create index {user}/{index}",
        )
        data = request_json_object(request)
        ix = index_services.index_create(owner=owner, name=index, data=data, actor=actor)
        return Response(envelope("indexconfig", selectors.index_config(ix, viewer=actor)))

    def patch(self, request, user, index):
        actor = request.user
        ix = selectors.index_get(user, index)
        require(
            permissions.may_modify_index(actor, ix),
            request,
            f"no permission to modify index {ix.fullname}",
        )
        ix = index_services.index_modify(index=ix, data=body_json(request), actor=actor)
        return Response(envelope("indexconfig", selectors.index_config(ix, viewer=actor)))

    def delete(self, request, user, index):
        actor = request.user
        ix = selectors.index_get(user, index)
        require(
            permissions.may_modify_index(actor, ix),
            request,
            f"no permission to delete index {ix.fullname}",
        )
        force = force_requested(request._request, ix)
        index_services.index_delete(index=ix, force=force, actor=actor)
        return Response(envelope(message=f"index {ix.fullname} deleted"), status=201)

    def post(self, request, user, index):
        ix = selectors.index_get(user, index)
        if request._request.content_type.startswith("multipart/"):
            return upload.upload(request, ix)
        return push.push_view(request, ix)

    def push(self, request, user, index):
        return push.push_view(request, selectors.index_get(user, index))


def _quarantine_links(versions: dict, status) -> dict:
    """A quarantined project lists no files: its versions keep their
    metadata, without ``+links``."""
    if status is None or status.status != "quarantined":
        return versions
    return {version: {**data, "+links": []} for version, data in versions.items()}


def _status_extra(status) -> dict | None:
    """PEP 792's ``project-status`` beside devpi's envelope (devpi-client
    reads only ``result``, whose keys are versions)."""
    if status is None:
        return None
    data = {"status": status.status}
    if status.reason:
        data["reason"] = status.reason
    if status.index:
        data["index"] = status.index
    return {"project-status": data}


def _project_redirect(request, project: str):
    normalized = normalize_name(project)
    if normalized != project:
        path = request.path_info
        start = path.rindex(project)
        new_path = path[:start] + normalized + path[start + len(project) :]
        query = request.META.get("QUERY_STRING")
        return redirect(request.build_absolute_uri(new_path + (f"?{query}" if query else "")))
    return None


def _versions(request, ix, order, project: str, ignore_bases: bool = False):
    """The project's versions as the reader sees them, and its status."""
    versions = selectors.project_versions(
        ix, project, outside_url(request), ignore_bases=ignore_bases
    )
    status = project_status.status_of(ix, normalize_name(project), order, request_state(request)[1])
    return _quarantine_links(versions, status), status


class ProjectView(PageView):
    """``/<user>/<index>/<project>``: the project's versions (JSON), page
    (HTML) or simple page (installers, PEP 691); its status (PATCH);
    delete."""

    renderers = (WEB_PAGE, JSON_RENDERER, SIMPLE_JSON_RENDERER, SIMPLE_HTML_V1_RENDERER)
    installer_renderers = SIMPLE_RENDERERS

    def get(self, request, user, index, project):
        django_request = request._request
        ix, order = readable_index(django_request, user, index)
        if wants_simple(request):
            return simple.project_page(request, ix, project, order)
        if (response := _project_redirect(django_request, project)) is not None:
            return response
        ignore_bases = "ignore_bases" in request.query_params
        versions, status = _versions(django_request, ix, order, project, ignore_bases)
        if wants_page(request):
            return web_page(web.project_page(django_request, ix, project, versions, status))
        return Response(envelope("projectconfig", versions, extra=_status_extra(status)))

    def patch(self, request, user, index, project):
        ix = selectors.index_get(user, index)
        row = project_status_services.project_status_set(
            index=ix, project=project, data=body_json(request), user=request.user
        )
        return Response(
            envelope(
                "projectstatus",
                {"status": row.status, "reason": row.reason},
                f"project {row.name} is {row.status} on {ix.fullname}",
            )
        )

    def delete(self, request, user, index, project):
        actor = request.user
        ix = selectors.index_get(user, index)
        require(
            permissions.may_delete_entries(actor, ix),
            request,
            f"no permission to delete project {project} on {ix.fullname}",
        )
        force = force_requested(request._request, ix)
        removal.check_volatile(ix, force, "project")
        removal.project_delete(index=ix, project=project, force=force, actor=actor)
        message = f"project {normalize_name(project)} deleted from stage {ix.fullname}"
        return Response(envelope(message=message))


class VersionView(PageView):
    """``/<user>/<index>/<project>/<version>``: the version's data (JSON) or
    page (HTML); yank (PATCH); delete."""

    def get(self, request, user, index, project, version):
        django_request = request._request
        ix, order = readable_index(django_request, user, index)
        if (response := _project_redirect(django_request, project)) is not None:
            return response
        versions, status = _versions(django_request, ix, order, project)
        if version not in versions:
            raise NotFound(f"The version {version} of project {project} does not exist.")
        if wants_page(request):
            page = web.version_page(django_request, ix, project, version, versions[version])
            return web_page(page)
        return Response(envelope("versiondata", versions[version], extra=_status_extra(status)))

    def patch(self, request, user, index, project, version):
        actor = request.user
        ix = selectors.index_get(user, index)
        require(
            permissions.may_delete_entries(actor, ix),
            request,
            f"no permission to modify {project} {version} on {ix.fullname}",
        )
        data = request_json_object(request)
        if set(data) != {"yanked"}:
            raise Invalid('expected a JSON object {"yanked": "<reason>"} or {"yanked": false}')
        release = selectors.release_get(ix, project, version)
        release = yank.release_yank(release=release, yanked=data["yanked"], actor=actor)
        state = "yanked" if release.yanked else "un-yanked"
        return Response(
            envelope(message=f"{release.project.name} {version} {state} on {ix.fullname}")
        )

    def delete(self, request, user, index, project, version):
        actor = request.user
        ix = selectors.index_get(user, index)
        require(
            permissions.may_delete_entries(actor, ix),
            request,
            f"no permission to delete {project} {version} on {ix.fullname}",
        )
        force = force_requested(request._request, ix)
        removal.check_volatile(ix, force, "version")
        removal.release_delete(index=ix, project=project, version=version, force=force, actor=actor)
        message = f"project {normalize_name(project)!r} version {version!r} deleted"
        return Response(envelope(message=message))
