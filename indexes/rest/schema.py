"""The OpenAPI descriptions of the DRF views: what clients really send and
get, status codes and media types included (``make test-api-fuzz`` holds the
server to them).

``annotate_views()`` applies them to the view classes of the class-name
contract, imported when the document is generated; a class that does not
exist (yet) is skipped. The shapes are in ``schema_shapes``.

devpi's ``PUSH`` method is described as ``POST`` (OpenAPI knows no other
methods): both take the same JSON body.
"""

from __future__ import annotations

import importlib
import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as s

from . import schema_shapes as sh
from .schema_shapes import HTML, JSON, REASONS, TEXT, errors, ok, simple_pages

VIEWS = {
    "indexes.views.simple": ("SimpleIndexView", "SimpleProjectView", "SimpleRefreshView"),
    "indexes.views.api": (
        "RootView",
        "ApiConfigView",
        "LoginView",
        "StatusView",
        "UserView",
        "IndexView",
        "ProjectView",
        "VersionView",
    ),
}


class DevpiAuthenticationScheme(OpenApiAuthenticationExtension):
    """devpi's credentials: HTTP Basic (a password, a login token or an API
    token) or ``X-Devpi-Auth`` (base64 of ``user:token`` from ``/+login``).
    Anonymous requests are fine wherever the index allows them."""

    target_class = "indexes.rest.authentication.DevpiAuthentication"
    name = ["basicAuth", "devpiAuth"]

    def get_security_requirement(self, auto_schema):
        return [{"basicAuth": []}, {"devpiAuth": []}, {}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "basic"},
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-Devpi-Auth",
                "description": "base64 of user:token, the token from POST /+login",
            },
        ]


def _query(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, str, OpenApiParameter.QUERY, required=False, description=description
    )


FORCE = _query("force", "present: delete on a non-volatile index too (owner or root)")


REDIRECT = {302: OpenApiResponse(description=REASONS[302])}
REJECTED_BODY = (400, 413, 415)


def _op(tags: list[str], summary: str, responses: dict, **kwargs):
    kwargs.setdefault("request", None)  # no body unless one is named
    # credentials of a user locked out after failed logins: 429 anywhere
    responses = {**errors(429), **responses}
    return extend_schema(tags=tags, summary=summary, responses=responses, **kwargs)


def api_config_ops() -> dict:
    op = _op(
        ["server"],
        "devpi-client's configuration (any method answers it)",
        {
            **ok(200, sh.envelope("ApiConfigReply", "apiconfig", sh.APICONFIG), "apiconfig"),
            **errors(404),
        },
        request=None,
    )
    return dict.fromkeys(("get", "post", "put", "patch", "delete"), op)


def root_ops() -> dict:
    users = sh.envelope("UserList", "list:userconfig", s.DictField(child=sh.USER_CONFIG()))
    return {
        "get": _op(["server"], "every user and their indexes", ok(200, users, "users", html=True))
    }


def login_ops() -> dict:
    reply = sh.envelope("LoginReply", "proxyauth", sh.PROXY_AUTH)
    return {
        "get": _op(
            ["server"],
            "the web UI's login page",
            {(200, HTML): OpenApiResponse(OpenApiTypes.STR), **errors(405)},
        ),
        "post": _op(
            ["server"],
            "log in: a login token for X-Devpi-Auth",
            {**ok(200, reply, "login successful"), **errors(*REJECTED_BODY, 401, 429)},
            request={JSON: sh.LOGIN_IN},
        ),
    }


def status_ops() -> dict:
    reply = sh.envelope("StatusReply", "status", sh.STATUS)
    return {"get": _op(["server"], "the server's status", ok(200, reply, "status", html=True))}


def user_ops() -> dict:
    config = sh.envelope("UserConfigReply", "userconfig", sh.USER_CONFIG)
    password = sh.envelope("UserPasswordReply", "userpassword", sh.PROXY_AUTH)
    changed = {(200, JSON): OpenApiResponse(password, description="changed (a new login token)")}
    return {
        "get": _op(
            ["users"], "a user", {**ok(200, config, "userconfig", html=True), **errors(404)}
        ),
        "put": _op(
            ["users"],
            "create a user",
            {**ok(201, config, "created"), **errors(*REJECTED_BODY, 401, 403, 404, 409)},
            request={JSON: sh.USER_CREATE},
        ),
        "patch": _op(
            ["users"],
            "change a user (a password change answers a new login token)",
            {**changed, **errors(*REJECTED_BODY, 401, 403, 404)},
            request={JSON: sh.USER_MODIFY},
        ),
        "delete": _op(
            ["users"],
            "delete a user (not one owning a non-volatile index)",
            {**ok(200, sh.MESSAGE, "deleted"), **errors(401, 403, 404)},
        ),
    }


def index_ops() -> dict:
    config = sh.envelope("IndexConfigReply", "indexconfig", sh.INDEX_CONFIG)
    actionlog = sh.envelope("ActionLog", "actionlog", sh.ACTIONLOG)
    get_answers = {
        **simple_pages(200, sh.SIMPLE_INDEX_JSON, "the simple page (installers, PEP 691)"),
        **ok(200, config, "indexconfig (with projects)", html=True),
        **errors(401, 403, 404, 502),
    }
    post_answers = {
        (200, TEXT): OpenApiResponse(OpenApiTypes.STR, description="uploaded (empty body)"),
        (200, HTML): OpenApiResponse(OpenApiTypes.STR, description="uploaded (empty body)"),
        **ok(200, actionlog, "pushed"),
        (502, JSON): OpenApiResponse(actionlog, description=REASONS[502]),
        **errors(*REJECTED_BODY, 401, 403, 404, 409, 410),
    }
    return {
        "get": _op(
            ["indexes"],
            "the index's config, its web page, or (installers) its simple page",
            get_answers,
            parameters=[_query("no_projects", "present: without the project list")],
        ),
        "put": _op(
            ["indexes"],
            "create an index",
            {**ok(200, config, "created"), **errors(*REJECTED_BODY, 401, 403, 404, 409)},
            request={JSON: sh.INDEX_CONFIG_IN},
        ),
        "patch": _op(
            ["indexes"],
            "change an index: a config to merge, or a list of key-value operations",
            {**ok(200, config, "changed"), **errors(*REJECTED_BODY, 401, 403, 404)},
            request={JSON: sh.INDEX_CONFIG_IN},
        ),
        "delete": _op(
            ["indexes"],
            "delete a volatile index (or with ?force)",
            {**ok(201, sh.MESSAGE, "deleted"), **errors(401, 403, 404)},
            parameters=[FORCE],
        ),
        "post": _op(
            ["indexes"],
            "upload (multipart form) or push a release (JSON; devpi-client sends it "
            "with the PUSH method too)",
            post_answers,
            request={"multipart/form-data": sh.UPLOAD_FORM, JSON: sh.PUSH_IN},
        ),
    }


def project_ops() -> dict:
    versions = s.DictField(child=sh.VERSION_DATA(), help_text="version -> versiondata")
    config = sh.envelope("ProjectConfigReply", "projectconfig", versions)
    status = sh.envelope("ProjectStatusReply", "projectstatus", sh.PROJECT_STATUS)
    get_answers = {
        **ok(200, config, "projectconfig", html=True),
        **simple_pages(200, sh.SIMPLE_PROJECT_JSON, "the simple page (installers)"),
        **REDIRECT,
        **errors(401, 403, 404, 502),
    }
    return {
        "get": _op(
            ["projects"],
            "a project's versions, its web page, or (installers) its simple page",
            get_answers,
            parameters=[_query("ignore_bases", "present: this index's versions only")],
        ),
        "patch": _op(
            ["projects"],
            "set the project's status (PEP 792)",
            {**ok(200, status, "set"), **errors(*REJECTED_BODY, 401, 403, 404)},
            request={JSON: sh.PROJECT_STATUS_IN},
        ),
        "delete": _op(
            ["projects"],
            "delete a project from the index",
            {**ok(200, sh.MESSAGE, "deleted"), **errors(401, 403, 404)},
            parameters=[FORCE],
        ),
    }


def version_ops() -> dict:
    data = sh.envelope("VersionDataReply", "versiondata", sh.VERSION_DATA)
    return {
        "get": _op(
            ["projects"],
            "a version's metadata and links",
            {**ok(200, data, "versiondata", html=True), **REDIRECT, **errors(401, 403, 404)},
        ),
        "patch": _op(
            ["projects"],
            "yank or un-yank a release",
            {**ok(200, sh.MESSAGE, "done"), **errors(*REJECTED_BODY, 401, 403, 404)},
            request={JSON: sh.YANK_IN},
        ),
        "delete": _op(
            ["projects"],
            "delete a version",
            {**ok(200, sh.MESSAGE, "deleted"), **errors(401, 403, 404)},
            parameters=[FORCE],
        ),
    }


def _every_method(operation) -> dict:
    """devpi answers a simple page whatever the method: each is described."""
    return dict.fromkeys(("get", "post", "put", "patch", "delete"), operation)


def simple_index_ops() -> dict:
    answers = {
        **simple_pages(200, sh.SIMPLE_INDEX_JSON, "the project list"),
        **REDIRECT,
        **errors(401, 403, 404, 502),
    }
    return _every_method(_op(["simple"], "the simple index (PEP 503/691)", answers))


def simple_project_ops() -> dict:
    answers = {
        **simple_pages(200, sh.SIMPLE_PROJECT_JSON, "the project's files"),
        **REDIRECT,
        **errors(401, 403, 404, 502),
    }
    return _every_method(_op(["simple"], "a project's simple page (PEP 503/691)", answers))


def simple_refresh_ops() -> dict:
    return {
        "post": _op(
            ["simple"],
            "clear the mirror caches of a project, then back to its page",
            {**REDIRECT, **errors(401, 403, 404)},
            request=None,
        )
    }


ANNOTATIONS = {
    "ApiConfigView": api_config_ops,
    "RootView": root_ops,
    "LoginView": login_ops,
    "StatusView": status_ops,
    "UserView": user_ops,
    "IndexView": index_ops,
    "ProjectView": project_ops,
    "VersionView": version_ops,
    "SimpleIndexView": simple_index_ops,
    "SimpleProjectView": simple_project_ops,
    "SimpleRefreshView": simple_refresh_ops,
}


def annotate(view: type, ops: dict) -> None:
    """Attach ``ops`` (method name -> ``extend_schema``) to the methods
    ``view`` has, once."""
    if view.__dict__.get("_openapi_annotated"):
        return
    for method, decorate in ops.items():
        if callable(getattr(view, method, None)):
            setattr(view, method, decorate(_own_copy(view, method)))
    view._openapi_annotated = True  # type: ignore[attr-defined]


def _own_copy(view: type, method: str):
    """The view's method as a function of its own: one function serves
    several methods (``post = put = get``) or comes from a base class, and
    each needs its own description."""
    function = getattr(view, method)

    def handler(self, request, *args, **kwargs):
        return function(self, request, *args, **kwargs)

    handler.__name__ = method
    handler.__doc__ = function.__doc__
    return handler


def annotate_views() -> None:
    """Describe every view of the class-name contract that exists."""
    for module_name, names in VIEWS.items():
        module = importlib.import_module(module_name)
        for name in names:
            view = getattr(module, name, None)
            if isinstance(view, type):
                annotate(view, ANNOTATIONS[name]())


class DevpiEndpointEnumerator(EndpointEnumerator):
    """OpenAPI's methods only (``PUSH`` is described under ``POST``)."""

    def get_path_from_regex(self, path_regex: str) -> str:
        # a path() route ("+api") is read as a regex, where "+" would vanish
        return super().get_path_from_regex(PLUS_SEGMENT.sub(r"\1\\+", path_regex))

    def get_allowed_methods(self, callback) -> list[str]:
        return [m for m in super().get_allowed_methods(callback) if m in OPENAPI_METHODS]


PLUS_SEGMENT = re.compile(r"(^|/)\+")
OPENAPI_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")


class DevpiAutoSchema(AutoSchema):
    """Operation ids from the method and the path (one view serves several
    paths: ``get_user_index_api``)."""

    def get_operation_id(self) -> str:
        words = [WORD.sub("", word) for word in self.path.split("/")]
        return "_".join([self.method.lower(), *([w for w in words if w] or ["root"])])


WORD = re.compile(r"[^A-Za-z0-9_]")


class DevpiSchemaGenerator(SchemaGenerator):
    """drf-spectacular's generator with the descriptions of this module
    applied first (``SPECTACULAR_SETTINGS["DEFAULT_GENERATOR_CLASS"]``)."""

    endpoint_inspector_cls = DevpiEndpointEnumerator

    def get_schema(self, request=None, public=False):
        annotate_views()
        return super().get_schema(request=request, public=public)


PATH_PARAMETERS = {
    "user": "a user name",
    "index": "an index name of that user",
    "project": "a project name (a non-normalised name redirects where pages are served)",
    "version": "a version of that project",
}


def describe_path_parameters(result, generator, request, public):
    """A postprocessing hook (``SPECTACULAR_SETTINGS``): what the path
    parameters name."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] in PATH_PARAMETERS:
                    parameter.setdefault("description", PATH_PARAMETERS[parameter["name"]])
    return result
