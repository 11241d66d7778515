"""Pushing a release: to another index of this server (``release_push``) or
to an external index through the legacy upload API (``release_push_external``),
as devpi's ``POST``/``PUSH`` on ``/<user>/<index>`` does.

Both answer devpi's actionlog: a list of ``[status, action, ...]`` lines.

An internal push copies rows, never bytes: blobs are stored by content, so a
pushed file keeps its sha256 and with it its ``+f`` hash path under the
target. Apps attached to release files (``indexes.registry`` push hooks: tox
results) copy their rows in the same transaction. The whole push is one
transaction: a refusal part way (a non-volatile target that has one of the
files) leaves the target as it was.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from .. import outbound, permissions, registry
from ..audit import audit_record, mask_url
from ..distribution.metadata import METADATA_KEYS
from ..distribution.names import normalize_name
from ..errors import BadGateway, Conflict, Forbidden, Invalid, NotFound, Unauthorized
from ..models import DocZip, Index, Project, Release, ReleaseFile
from ..readme import description_schedule
from ..project_status import check_upload
from ..selectors import index_get
from ..storage import blob_open
from ..wire import serial_bump
from .docs import doczip_store
from .uploads import log_entry, overwrite_log

EXTERNAL_OK = (200, 201)
# PyPI answers documentation uploads with 410 Gone: not a failed push
EXTERNAL_DOCS_OK = (200, 201, 410)
REASON_MAX = 100  # characters of the remote's reason phrase we repeat
REPLY_MAX_BYTES = 64 * 1024  # of a remote's reply body (never read, only drained)
INTERNAL_KEYS = {"targetindex"}
EXTERNAL_KEYS = {"posturl", "username", "password", "register_project"}


class ExternalPushFailed(BadGateway):
    """The external index refused or could not be reached; ``actionlog``
    holds the lines up to and including the failure."""

    def __init__(self, message: str, actionlog: list):
        super().__init__(message)
        self.actionlog = actionlog


@dataclass(frozen=True)
class PushOptions:
    """A push request's JSON body, checked."""

    name: str
    version: str
    targetindex: str | None = None
    posturl: str | None = None
    username: str | None = None
    password: str | None = None
    register_project: bool = False
    no_docs: bool = False
    only_docs: bool = False


def _text(data: dict, key: str, *, required: bool = True) -> str | None:
    value = data.pop(key, None)
    if value is None:
        if required:
            raise Invalid(f"push request has no {key!r}")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(f"{key!r} of a push request must be a non-empty string")
    return value.strip() if key in ("name", "version", "targetindex", "posturl") else value


def _flag(data: dict, key: str) -> bool:
    value = data.pop(key, False)
    if not isinstance(value, bool):
        raise Invalid(f"{key!r} of a push request must be true or false")
    return value


def push_options(body) -> PushOptions:
    """Check devpi's push body: ``{"name", "version", "targetindex",
    "no_docs"?, "only_docs"?}`` or the external form ``{"name", "version",
    "posturl", "username", "password", "register_project"?, ...}``."""
    if not isinstance(body, dict):
        raise Invalid("Bad request: expected a JSON object")
    data = dict(body)
    name, version = _text(data, "name"), _text(data, "version")
    no_docs, only_docs = _flag(data, "no_docs"), _flag(data, "only_docs")
    if no_docs and only_docs:
        raise Invalid("can't use 'no_docs' and 'only_docs' together")
    if "targetindex" in data:
        targetindex = _text(data, "targetindex")
        _refuse_unknown(data)
        return PushOptions(name, version, targetindex=targetindex, no_docs=no_docs,
                           only_docs=only_docs)
    if "posturl" not in data:
        _refuse_unknown({k: v for k, v in data.items() if k not in EXTERNAL_KEYS})
        raise Invalid("push request has neither 'targetindex' nor 'posturl'")
    posturl = _text(data, "posturl")
    username = _text(data, "username")
    password = _text(data, "password", required=False)
    if password is None:
        raise Invalid("push request has no 'password'")
    register_project = _flag(data, "register_project")
    _refuse_unknown(data)
    return PushOptions(name, version, posturl=posturl, username=username, password=password,
                       register_project=register_project, no_docs=no_docs,
                       only_docs=only_docs)


def _refuse_unknown(data: dict) -> None:
    if data:
        raise Invalid(f"unknown additional options: {', '.join(sorted(data))}")


# -- what a release holds -----------------------------------------------------

@dataclass(frozen=True)
class ReleaseContent:
    release: Release
    files: list[ReleaseFile]
    doczip: DocZip | None


def _index(value: Index | str, what: str) -> Index:
    if isinstance(value, Index):
        return value
    parts = str(value).split("/")
    if len(parts) != 2 or not all(parts):
        raise Invalid(f"{what} not in format user/index")
    return index_get(*parts)


def release_content(*, source: Index, project: str, version: str, no_docs: bool = False,
                    only_docs: bool = False) -> ReleaseContent:
    """The release files (sorted by name) and doczip a push copies, or
    ``NotFound`` when there are none."""
    if source.is_mirror:
        raise Invalid(f"pushing from mirror index {source.fullname} is not supported")
    release = Release.objects.filter(project__index=source,
                                     project__name=normalize_name(project),
                                     version=version).select_related("project").first()
    if release is None:
        raise NotFound(f"there are no files for {project} {version} on stage {source.fullname}")
    files = [] if only_docs else list(
        ReleaseFile.objects.filter(release=release, index=source).order_by("filename"))
    doczip = None if no_docs else DocZip.objects.filter(release=release).first()
    if not files and doczip is None:
        raise NotFound(f"no release/files found for {project} {version}")
    return ReleaseContent(release, files, doczip)


# -- to another index -------------------------------------------------------

def _username(user) -> str | None:
    return user.username if user is not None else None


def _check_non_volatile(target: Index, content: ReleaseContent) -> None:
    """As devpi: a non-volatile target refuses a file it has under the same
    name, even with identical bytes."""
    if target.volatile:
        return
    names = [f.filename for f in content.files]
    clash = ReleaseFile.objects.filter(index=target, filename__in=names).order_by(
        "filename").values_list("filename", flat=True).first()
    if clash is not None:
        raise Conflict(f"{clash} already exists in non-volatile index")
    if content.doczip is not None:
        existing = DocZip.objects.filter(
            index=target, release__project__name=content.release.project.name,
            release__version=content.release.version).first()
        if existing is not None:
            raise Conflict(f"{existing.filename} already exists in non-volatile index")


def _register(target: Index, release: Release) -> Release:
    """The target's release with the source's metadata (devpi overwrites)."""
    project, _ = Project.objects.get_or_create(
        index=target, name=release.project.name,
        defaults={"display_name": release.project.display_name})
    row, created = Release.objects.get_or_create(
        project=project, version=release.version,
        defaults={"metadata": dict(release.metadata),
                  "description_html": release.description_html})
    if not created and row.metadata != release.metadata:
        row.metadata = dict(release.metadata)
        row.description_html = release.description_html  # the same metadata: the same HTML
        row.save(update_fields=["metadata", "description_html", "modified"])
    if row.description_html is None:
        description_schedule(row)
    return row


def _copy_file(file: ReleaseFile, *, source: Index, target: Index, release: Release,
               who: str | None) -> ReleaseFile:
    existing = ReleaseFile.objects.select_for_update().filter(
        index=target, filename=file.filename).first()
    log = []
    if existing is not None:
        if not target.volatile:
            raise Conflict(f"{file.filename} already exists in non-volatile index")
        log = overwrite_log(existing.log)
        existing.delete()  # with what hangs on it (tox results), as devpi replaces the link
    log += [entry for entry in file.log if entry.get("what") != "overwrite"]
    log.append(log_entry("push", who, src=source.fullname, dst=target.fullname))
    return ReleaseFile.objects.create(
        release=release, index=target, filename=file.filename, sha256=file.sha256,
        size=file.size, packagetype=file.packagetype, pyversion=file.pyversion,
        requires_python=file.requires_python, core_metadata=file.core_metadata,
        core_metadata_sha256=file.core_metadata_sha256, uploaded_at=file.uploaded_at,
        uploader=file.uploader, log=log)


def release_push(*, source: Index | str, project: str, version: str, target: Index | str, user,
                 no_docs: bool = False, only_docs: bool = False) -> list:
    """Copy ``project`` ``version`` with its files, their tox results and its
    docs from ``source`` to ``target`` as ``user`` (who needs upload rights
    on the target). Returns devpi's actionlog."""
    source = _index(source, "source index")
    target = _index(target, "targetindex")
    if no_docs and only_docs:
        raise Invalid("can't use 'no_docs' and 'only_docs' together")
    content = release_content(source=source, project=project, version=version,
                              no_docs=no_docs, only_docs=only_docs)
    who = _username(user)
    if not permissions.may_upload(user, target):
        raise Unauthorized(f"user {who!r} cannot upload to {target.fullname!r}")
    if target.pk == source.pk:
        raise Invalid(f"cannot push {project} {version} to its own index {source.fullname}")
    check_upload(target, project)
    _check_non_volatile(target, content)
    actionlog: list = [[200, "register", project, version, "->", target.fullname]]
    try:
        with transaction.atomic():
            release = _register(target, content.release)
            for file in content.files:
                new = _copy_file(file, source=source, target=target, release=release, who=who)
                actionlog.append([200, "store_releasefile", f"{target.fullname}/+f/{new.hash_path}"])
                actionlog.extend(registry.run_push_hooks(source_file=file, target_file=new,
                                                         user=user))
            if content.doczip is not None:
                doczip = content.doczip
                log = list(doczip.log) + [log_entry("push", who, src=source.fullname,
                                                    dst=target.fullname)]
                new_doc, _ = doczip_store(index=target, release=release, sha256=doczip.sha256,
                                          size=doczip.size, uploaded_at=doczip.uploaded_at,
                                          log=log, uploader=doczip.uploader)
                actionlog.append([200, "store_doczip", f"{target.fullname}/+f/{new_doc.hash_path}"])
            audit_record("release.push", target=f"{target.fullname}/{content.release.project.name}"
                         f"/{content.release.version}", index=target.fullname,
                         detail={"source": source.fullname, "files": len(content.files),
                                 "docs": content.doczip is not None})
            serial_bump(target.id)
    except IntegrityError:
        raise Conflict(f"{project} {version} was changed on {target.fullname} concurrently, "
                       f"try again") from None
    return actionlog


# -- to an external index ----------------------------------------------------

class StreamingMultipart:
    """A ``multipart/form-data`` body of form fields and one file, read in
    blocks: requests sends it with a Content-Length (``__len__``, ``tell``)
    without holding the file in memory."""

    BLOCK = 64 * 1024

    def __init__(self, fields: list[tuple[str, str]], file_field: str, filename: str,
                 fileobj: BinaryIO, size: int):
        self.boundary = uuid.uuid4().hex
        head = bytearray()
        for key, value in fields:
            head += (f"--{self.boundary}\r\nContent-Disposition: form-data; "
                     f"name=\"{_quote(key)}\"\r\n\r\n").encode() + value.encode() + b"\r\n"
        head += (f"--{self.boundary}\r\nContent-Disposition: form-data; "
                 f"name=\"{_quote(file_field)}\"; filename=\"{_quote(filename)}\"\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n").encode()
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._parts: list[BinaryIO] = [io.BytesIO(bytes(head)), fileobj, io.BytesIO(tail)]
        self._length = len(head) + size + len(tail)
        self._position = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._length

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while self._parts and (size is None or size < 0 or len(out) < size):
            wanted = -1 if size is None or size < 0 else size - len(out)
            chunk = self._parts[0].read(wanted)
            if not chunk:
                self._parts.pop(0)
                continue
            out += chunk
        self._position += len(out)
        return bytes(out)

    def __iter__(self):
        while block := self.read(self.BLOCK):
            yield block


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "\\\"").replace("\r", " ").replace("\n", " ")


def _form_fields(release: Release) -> list[tuple[str, str]]:
    """The release's metadata as legacy upload form fields."""
    metadata = release.metadata
    fields: list[tuple[str, str]] = [("name", str(metadata.get("name") or
                                                  release.project.display_name)),
                                     ("version", release.version)]
    for key in METADATA_KEYS:
        if key in ("name", "version"):
            continue
        value = metadata.get(key)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and item:
                fields.append((key, item))
    return fields


def _check_posturl(posturl: str) -> None:
    parts = urlsplit(posturl)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"posturl {posturl!r} is not an http or https URL")
    try:
        outbound.check_url(posturl)
    except outbound.EgressRefused as exc:
        raise Invalid(f"posturl {_shown_url(posturl)}: {exc.message}") from None


def _shown_url(url: str) -> str:
    """The URL without credentials, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc).geturl()


def _post(posturl: str, fields, *, auth, filename: str | None = None,
          fileobj: BinaryIO | None = None, size: int = 0) -> outbound.Fetch:
    seconds = float(settings.DEVPI.get("TRANSFER_TIMEOUT", 600))
    if fileobj is None:  # multipart too, as upload endpoints expect
        return outbound.fetch("POST", posturl, auth=auth, seconds=seconds,
                              max_bytes=REPLY_MAX_BYTES, allow_redirects=False,
                              files=[(key, (None, value)) for key, value in fields])
    body = StreamingMultipart(fields, "content", filename or "content", fileobj, size)
    return outbound.fetch("POST", posturl, auth=auth, data=body, seconds=seconds,
                          max_bytes=REPLY_MAX_BYTES, allow_redirects=False,
                          headers={"Content-Type": body.content_type})


def _failure_text(response: outbound.Fetch) -> str:
    """The remote's reason phrase, short and printable: never its body."""
    reason = response.response.reason or ""
    if isinstance(reason, bytes):
        reason = reason.decode("latin-1")
    cleaned = "".join(ch if ch.isprintable() and ch.isascii() else " " for ch in reason)
    return " ".join(cleaned.split())[:REASON_MAX]


def release_push_external(*, source: Index | str, project: str, version: str, posturl: str,
                          username: str, password: str, user, no_docs: bool = False,
                          only_docs: bool = False, register_project: bool = False) -> list:
    """Upload the release's files (and its doczip) to ``posturl`` with the
    legacy upload API, as devpi's push to ``pypi:NAME`` does. Stops at the
    first refusal and raises ``ExternalPushFailed`` (502) with the actionlog
    so far. ``user`` needs upload rights on the source index (unlike devpi,
    where anyone may ask): the server makes the requests. ``posturl`` goes
    through the egress guard; a remote's refusal is reported by its status
    and a short reason phrase, never its body."""
    source = _index(source, "source index")
    if not permissions.may_upload(user, source):
        refusal = Unauthorized if user is None or not user.is_authenticated else Forbidden
        raise refusal(f"user {_username(user)!r} cannot push from {source.fullname!r}: "
                      f"an external push needs upload rights on the source index")
    _check_posturl(posturl)
    if no_docs and only_docs:
        raise Invalid("can't use 'no_docs' and 'only_docs' together")
    content = release_content(source=source, project=project, version=version,
                              no_docs=no_docs, only_docs=only_docs)
    fields = _form_fields(content.release)
    actionlog: list = []
    shown = _shown_url(posturl)
    auth = (username, password)

    def send(what: str, ok, data, **file):
        try:
            response = _post(posturl, data, auth=auth, **file)
        except outbound.OutboundError as exc:
            reason = exc.message.replace(posturl, shown)
            actionlog.append([-1, f"exception on {what}:", reason])
            raise ExternalPushFailed(f"error pushing {what} to {shown}: {reason}",
                                     actionlog) from None
        with response:
            return response.status, (None if response.status in ok
                                     else _failure_text(response))

    if register_project:
        status, failure = send("register", EXTERNAL_DOCS_OK, fields + [(":action", "submit")])
        actionlog.append([status, "register", project, version])
        if failure is not None:
            raise ExternalPushFailed(f"register of {project} {version} at {shown} failed: "
                                     f"{status} {failure}", actionlog)
    for file in content.files:
        data = fields + [(":action", "file_upload"), ("protocol_version", "1"),
                         ("filetype", file.packagetype or "sdist"),
                         ("pyversion", file.pyversion or "source"),
                         ("sha256_digest", file.sha256)]
        with blob_open(file.sha256) as fh:
            status, failure = send(f"upload of {file.filename}", EXTERNAL_OK, data,
                                   filename=file.filename, fileobj=fh, size=file.size)
        line = [status, "upload", f"{source.fullname}/+f/{file.hash_path}"]
        actionlog.append(line + ([failure] if failure is not None else []))
        if failure is not None:
            raise ExternalPushFailed(f"upload of {file.filename} to {shown} failed: "
                                     f"{status} {failure}", actionlog)
    if content.doczip is not None:
        doczip = content.doczip
        data = fields + [(":action", "doc_upload"), ("protocol_version", "1")]
        with blob_open(doczip.sha256) as fh:
            status, failure = send("documentation upload", EXTERNAL_DOCS_OK, data,
                                   filename=f"{content.release.project.name}.zip",
                                   fileobj=fh, size=doczip.size)
        actionlog.append([status, "docfile", content.release.project.name]
                         + ([failure] if failure is not None else []))
        if failure is not None:
            raise ExternalPushFailed(f"documentation upload of {project} {version} to "
                                     f"{shown} failed: {status} {failure}", actionlog)
    audit_record("release.push", target=mask_url(posturl), index=source.fullname,
                 detail={"source": source.fullname, "project": content.release.project.name,
                         "version": content.release.version, "files": len(content.files),
                         "external_user": username})
    return actionlog
