"""What devpi's clients send and get, as DRF serializers for the OpenAPI
document only (``schema.py``): no view validates or renders with them.

Shapes follow the wire (DEVPI_PROTOCOL.md): devpi's envelope
``{"type", "result", "message"}``, the error body ``{"message"}``, userconfig,
indexconfig, projectconfig and versiondata, the upload form, the push body
and PEP 691's JSON pages.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers as s

JSON = "application/json"
HTML = "text/html"
TEXT = "text/plain"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"

REASONS = {
    302: "a redirect to the canonical URL (normalised project name, trailing slash)",
    400: "a bad request: invalid JSON, fields or values",
    401: "no (valid) credentials where they are needed",
    403: "credentials without the right",
    404: "no such user, index, project, version or file",
    405: "the method is not allowed here",
    409: "a conflict: it exists already, or a file differs on a non-volatile index",
    410: "the file was deleted",
    413: "the request body is over the server's limit",
    415: "the request body's media type is not understood",
    429: "too many failed logins: try again after Retry-After seconds",
    502: "the upstream (mirror) or external index failed",
}


def shape(component: str, /, **fields) -> type[s.Serializer]:
    """A named object of ``fields`` (keys may be any text: ``+links``,
    ``:action``, ``requires-python``); a class: a field of another shape is
    an instance of it, one per place."""
    return type(component, (s.Serializer,), fields)


def _text(**kwargs) -> s.CharField:
    return s.CharField(required=kwargs.pop("required", False), allow_blank=True, **kwargs)


def _texts(**kwargs) -> s.ListField:
    return s.ListField(child=s.CharField(allow_blank=True), required=False, **kwargs)


def _flag(help_text: str) -> s.BooleanField:
    return s.BooleanField(required=False, help_text=help_text)


def envelope(name: str, type_: str, result) -> type[s.Serializer]:
    """devpi's reply envelope around ``result`` of ``type``."""
    fields: dict = {
        "type": s.CharField(help_text=f"what ``result`` holds: {type_!r}"),
        "message": _text(help_text="what happened, where there is something to say"),
    }
    if result is not None:
        fields["result"] = result() if isinstance(result, type) else result
    return shape(name, **fields)


ERROR = shape(
    "Error",
    message=s.CharField(allow_blank=True, help_text="what went wrong (also the reason phrase)"),
)
MESSAGE = shape("Message", message=_text(help_text="what was done"))

INDEX_CONFIG_FIELDS: dict = {
    "type": s.ChoiceField(choices=["stage", "mirror"], required=False, help_text="immutable"),
    "bases": _texts(help_text="user/index names; a comma-separated string is accepted too"),
    "volatile": _flag("may files be overwritten and releases be deleted"),
    "acl_upload": _texts(help_text="user names, :ANONYMOUS:, :AUTHENTICATED: or :group:"),
    "acl_toxresult_upload": _texts(help_text="who may post tox results"),
    "acl_read": _texts(help_text="who may read the index (default :ANONYMOUS:)"),
    "mirror_whitelist": _texts(help_text="project names that may come from mirrors, or *"),
    "mirror_whitelist_inheritance": s.ChoiceField(
        choices=["intersection", "union"], required=False
    ),
    "title": _text(),
    "description": _text(),
    "custom_data": s.JSONField(required=False),
    "mirror_url": _text(help_text="mirror only: the upstream simple index (http or https)"),
    "mirror_cache_expiry": s.IntegerField(required=False, help_text="mirror only, seconds"),
    "mirror_no_project_list": _flag("mirror only"),
    "mirror_use_external_urls": _flag("mirror only"),
    "mirror_ignore_serial_header": _flag("mirror only"),
    "mirror_web_url_fmt": _text(help_text="mirror only"),
}
INDEX_CONFIG_IN = shape("IndexConfigIn", **INDEX_CONFIG_FIELDS)
INDEX_CONFIG = shape(
    "IndexConfig",
    **INDEX_CONFIG_FIELDS,
    projects=_texts(help_text="normalised project names (GET of the index, not ?no_projects)"),
)
INDEX_PATCH_OPS = s.ListField(
    child=s.CharField(),
    help_text='devpi-client\'s key-value form: "k=v", "k+=v", "k-=v", "k-="',
)

USER_FIELDS: dict = {
    "email": _text(),
    "title": _text(),
    "description": _text(),
    "custom_data": s.JSONField(required=False),
}
USER_CONFIG = shape(
    "UserConfig",
    username=s.CharField(),
    created=_text(),
    modified=_text(),
    indexes=s.DictField(child=INDEX_CONFIG(), required=False, help_text="index name -> config"),
    **USER_FIELDS,
)
USER_CREATE = shape("UserCreate", password=s.CharField(), **USER_FIELDS)
USER_MODIFY = shape("UserModify", password=_text(), **USER_FIELDS)

LOG_ENTRY = shape(
    "LogEntry",
    what=s.CharField(),
    who=s.CharField(allow_null=True),
    when=s.ListField(child=s.IntegerField(), help_text="[Y, M, D, h, m, s] (UTC)"),
)
LINK = shape(
    "Link",
    rel=s.ChoiceField(choices=["releasefile", "toxresult", "doczip"]),
    href=s.CharField(),
    hash_spec=_text(help_text="sha256=<hex>"),
    hashes=s.DictField(child=s.CharField(), required=False),
    log=s.ListField(child=LOG_ENTRY(), required=False),
    for_href=_text(help_text="toxresult: the release file it is for"),
)
VERSION_DATA = shape(
    "VersionData",
    name=s.CharField(),
    version=s.CharField(),
    **{
        "+links": s.ListField(child=LINK(), required=False),
        "+shadowing": s.ListField(child=s.DictField(), required=False),
    },
)
PROJECT_STATUS = shape(
    "ProjectStatusResult",
    status=s.ChoiceField(choices=["active", "archived", "quarantined", "deprecated"]),
    reason=_text(),
    index=_text(help_text="where the status was set (in GET replies)"),
)
PROJECT_STATUS_IN = shape(
    "ProjectStatusIn",
    status=s.ChoiceField(choices=["active", "archived", "quarantined", "deprecated"]),
    reason=_text(),
)
YANK_IN = shape(
    "Yank",
    yanked=s.JSONField(help_text="a reason (string, yanks), true (yanks) or false (un-yanks)"),
)

LOGIN_IN = shape("Login", user=s.CharField(), password=s.CharField())
PROXY_AUTH = shape(
    "ProxyAuth",
    password=s.CharField(help_text="the login token (X-Devpi-Auth: base64 of user:token)"),
    expiration=s.IntegerField(help_text="seconds"),
)
APICONFIG = shape(
    "ApiConfig",
    login=s.CharField(),
    authstatus=s.ListField(child=s.JSONField(), help_text='["noauth"|"ok", user, groups]'),
    features=_texts(),
    index=_text(help_text="index level only"),
    simpleindex=_text(help_text="index level only"),
    pypisubmit=_text(help_text="index level, stage only: where to upload"),
)
STATUS = shape(
    "Status",
    serial=s.IntegerField(),
    uuid=s.CharField(),
    role=s.CharField(),
    versioninfo=s.DictField(child=s.CharField()),
    mirrors=s.JSONField(required=False),
)

UPLOAD_FORM = shape(
    "UploadForm",
    **{
        ":action": s.ChoiceField(choices=["file_upload", "doc_upload", "submit"]),
        "name": s.CharField(),
        "version": s.CharField(),
        "content": s.FileField(required=False, help_text="the file (file_upload, doc_upload)"),
        "filetype": _text(help_text="sdist, bdist_wheel, ..."),
        "pyversion": _text(),
        "metadata_version": _text(),
        "sha256_digest": _text(help_text="checked against the file"),
        "blake2_256_digest": _text(help_text="checked against the file"),
        "md5_digest": _text(),
        "summary": _text(),
        "requires_python": _text(),
        "provides_extra": _texts(help_text="repeated field"),
        "requires_dist": _texts(help_text="repeated field"),
        "classifiers": _texts(help_text="repeated field"),
        "protocol_version": _text(),
    },
)
PUSH_IN = shape(
    "Push",
    name=s.CharField(),
    version=s.CharField(),
    targetindex=_text(help_text="user/index on this server (or posturl for another server)"),
    posturl=_text(help_text="an external index's upload URL"),
    username=_text(help_text="with posturl"),
    password=_text(help_text="with posturl"),
    no_docs=_flag("push no documentation"),
    only_docs=_flag("push only the documentation"),
    register_project=_flag("with posturl: register the project first"),
)
ACTIONLOG = s.ListField(
    child=s.ListField(child=s.JSONField()),
    help_text='entries like [200, "register", name, version, "->", target]',
)

_META = shape("SimpleMeta", **{"api-version": s.CharField(), "_last-serial": s.IntegerField()})
SIMPLE_INDEX_JSON = shape(
    "SimpleIndexJSON",
    meta=_META(),
    projects=s.ListField(child=shape("SimpleProjectName", name=s.CharField())()),
)
SIMPLE_FILE = shape(
    "SimpleFile",
    filename=s.CharField(),
    url=s.CharField(),
    hashes=s.DictField(child=s.CharField()),
    **{
        "requires-python": _text(),
        "yanked": s.JSONField(required=False, help_text="false or the reason"),
        "core-metadata": s.JSONField(required=False),
        "dist-info-metadata": s.JSONField(required=False),
        "data-dist-info-metadata": s.JSONField(required=False),
        "upload-time": _text(),
        "size": s.IntegerField(required=False),
    },
)
SIMPLE_PROJECT_JSON = shape(
    "SimpleProjectJSON",
    meta=_META(),
    name=s.CharField(),
    files=s.ListField(child=SIMPLE_FILE()),
    versions=_texts(),
    **{"project-status": s.JSONField(required=False)},
)


def errors(*codes: int) -> dict:
    """``{"message"}`` as JSON for clients that accept JSON, else the
    message as text (and as the reason phrase)."""
    found: dict = {}
    for code in codes:
        found[(code, JSON)] = OpenApiResponse(ERROR, description=REASONS[code])
        found[(code, TEXT)] = OpenApiResponse(OpenApiTypes.STR, description=REASONS[code])
    return found


def ok(code: int, body, description: str, *, html: bool = False) -> dict:
    """A JSON answer; with ``html``, the web UI's page for browsers (devpi's
    tie order puts text/html first: ``Accept: */*`` gets the page)."""
    found: dict = {(code, JSON): OpenApiResponse(body, description=description)}
    if html:
        found[(code, HTML)] = OpenApiResponse(OpenApiTypes.STR, description="the web UI's page")
    return found


def simple_pages(code: int, json_shape, description: str) -> dict:
    """The simple API's answers: HTML (PEP 503; v1 HTML of PEP 691) and
    PEP 691's JSON, by ``Accept`` (installers' ``User-Agent`` gets them at
    the index and project URLs too)."""
    return {
        (code, HTML): OpenApiResponse(OpenApiTypes.STR, description=description),
        (code, SIMPLE_HTML): OpenApiResponse(OpenApiTypes.STR, description=description),
        (code, SIMPLE_JSON): OpenApiResponse(json_shape, description=description),
    }
