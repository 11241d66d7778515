"""A push to an external index through the legacy upload API, as devpi's
push to ``pypi:NAME`` does: the release's metadata as form fields, then each
file and the doczip, streamed from blob storage. ``posturl`` goes through
the egress guard; a remote's refusal is reported by its status and a short
reason phrase, never its body."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from django.conf import settings

from ... import outbound, permissions
from ...audit import audit_record, mask_url
from ...distribution.metadata import METADATA_KEYS
from ...errors import BadGateway, Forbidden, Invalid, Unauthorized
from ...models import Index, Release
from ...storage import blob_open
from .content import ReleaseContent, index_of, release_content, source_read_check

if TYPE_CHECKING:
    from django.contrib.auth.models import User

EXTERNAL_OK = (200, 201)
# PyPI answers documentation uploads with 410 Gone: not a failed push
EXTERNAL_DOCS_OK = (200, 201, 410)
REASON_MAX = 100  # characters of the remote's reason phrase we repeat
REPLY_MAX_BYTES = 64 * 1024  # of a remote's reply body (never read, only drained)


class ExternalPushFailed(BadGateway):
    """The external index refused or could not be reached; ``actionlog``
    holds the lines up to and including the failure."""

    def __init__(self, message: str, actionlog: list):
        super().__init__(message)
        self.actionlog = actionlog


class StreamingMultipart:
    """A ``multipart/form-data`` body of form fields and one file, read in
    blocks: requests sends it with a Content-Length (``__len__``, ``tell``)
    without holding the file in memory."""

    BLOCK = 64 * 1024

    def __init__(
        self,
        fields: list[tuple[str, str]],
        file_field: str,
        filename: str,
        fileobj: BinaryIO,
        size: int,
    ):
        self.boundary = uuid.uuid4().hex
        head = bytearray()
        for key, value in fields:
            head += (
                (
                    f"--{self.boundary}\r\nContent-Disposition: form-data; "
                    f'name="{_quote(key)}"\r\n\r\n'
                ).encode()
                + value.encode()
                + b"\r\n"
            )
        head += (
            f"--{self.boundary}\r\nContent-Disposition: form-data; "
            f'name="{_quote(file_field)}"; filename="{_quote(filename)}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
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

    def __iter__(self) -> Iterator[bytes]:
        while block := self.read(self.BLOCK):
            yield block


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def _form_fields(release: Release) -> list[tuple[str, str]]:
    """The release's metadata as legacy upload form fields."""
    metadata = release.metadata
    fields: list[tuple[str, str]] = [
        ("name", str(metadata.get("name") or release.project.display_name)),
        ("version", release.version),
    ]
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


def _post(
    posturl: str,
    fields: list[tuple[str, str]],
    *,
    auth: tuple[str, str],
    filename: str | None = None,
    fileobj: BinaryIO | None = None,
    size: int = 0,
) -> outbound.Fetch:
    seconds = float(settings.DEVPI.get("TRANSFER_TIMEOUT", 600))
    if fileobj is None:  # multipart too, as upload endpoints expect
        return outbound.fetch(
            "POST",
            posturl,
            auth=auth,
            seconds=seconds,
            max_bytes=REPLY_MAX_BYTES,
            allow_redirects=False,
            files=[(key, (None, value)) for key, value in fields],
        )
    body = StreamingMultipart(fields, "content", filename or "content", fileobj, size)
    return outbound.fetch(
        "POST",
        posturl,
        auth=auth,
        data=body,
        seconds=seconds,
        max_bytes=REPLY_MAX_BYTES,
        allow_redirects=False,
        headers={"Content-Type": body.content_type},
    )


def _failure_text(response: outbound.Fetch) -> str:
    """The remote's reason phrase, short and printable: never its body."""
    reason = response.response.reason or ""
    if isinstance(reason, bytes):
        reason = reason.decode("latin-1")
    cleaned = "".join(ch if ch.isprintable() and ch.isascii() else " " for ch in reason)
    return " ".join(cleaned.split())[:REASON_MAX]


class _Remote:
    """The external index as one push talks to it: each request's status
    goes into ``actionlog``; an unreachable remote or a refusal ends the push
    with ``ExternalPushFailed``."""

    def __init__(self, posturl: str, auth: tuple[str, str]) -> None:
        self.posturl = posturl
        self.shown = _shown_url(posturl)
        self.auth = auth
        self.actionlog: list = []

    def send(
        self,
        what: str,
        ok: tuple[int, ...],
        data: list[tuple[str, str]],
        *,
        filename: str | None = None,
        fileobj: BinaryIO | None = None,
        size: int = 0,
    ) -> tuple[int, str | None]:
        """The status and, unless it is in ``ok``, the remote's reason."""
        try:
            response = _post(
                self.posturl, data, auth=self.auth, filename=filename, fileobj=fileobj, size=size
            )
        except outbound.OutboundError as exc:
            reason = exc.message.replace(self.posturl, self.shown)
            self.actionlog.append([-1, f"exception on {what}:", reason])
            raise ExternalPushFailed(
                f"error pushing {what} to {self.shown}: {reason}", self.actionlog
            ) from None
        with response:
            return response.status, (None if response.status in ok else _failure_text(response))

    def record(
        self,
        line: list,
        status: int,
        failure: str | None,
        message: str,
        *,
        with_reason: bool = True,
    ) -> None:
        """Log the request's line (``with_reason``: and the remote's reason
        for a refusal); a refusal ends the push with ``message``."""
        self.actionlog.append(line + ([failure] if failure is not None and with_reason else []))
        if failure is not None:
            raise ExternalPushFailed(f"{message} failed: {status} {failure}", self.actionlog)


def _external_push_check(user: User | None, source: Index) -> None:
    if not permissions.may_upload(user, source):
        refusal = Unauthorized if user is None or not user.is_authenticated else Forbidden
        who = user.username if user is not None else None
        raise refusal(
            f"user {who!r} cannot push from {source.fullname!r}: "
            f"an external push needs upload rights on the source index"
        )


def _send_files(
    remote: _Remote, source: Index, content: ReleaseContent, fields: list[tuple[str, str]]
) -> None:
    for file in content.files:
        data = fields + [
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("filetype", file.packagetype or "sdist"),
            ("pyversion", file.pyversion or "source"),
            ("sha256_digest", file.sha256),
        ]
        with blob_open(file.sha256) as fh:
            status, failure = remote.send(
                f"upload of {file.filename}",
                EXTERNAL_OK,
                data,
                filename=file.filename,
                fileobj=fh,
                size=file.size,
            )
        remote.record(
            [status, "upload", f"{source.fullname}/+f/{file.hash_path}"],
            status,
            failure,
            f"upload of {file.filename} to {remote.shown}",
        )


def _send_docs(
    remote: _Remote, content: ReleaseContent, fields: list[tuple[str, str]], what: str
) -> None:
    doczip = content.doczip
    if doczip is None:
        return
    name = content.release.project.name
    data = fields + [(":action", "doc_upload"), ("protocol_version", "1")]
    with blob_open(doczip.sha256) as fh:
        status, failure = remote.send(
            "documentation upload",
            EXTERNAL_DOCS_OK,
            data,
            filename=f"{name}.zip",
            fileobj=fh,
            size=doczip.size,
        )
    remote.record(
        [status, "docfile", name],
        status,
        failure,
        f"documentation upload of {what} to {remote.shown}",
    )


def release_push_external(
    *,
    source: Index | str,
    project: str,
    version: str,
    posturl: str,
    username: str,
    password: str,
    user: User | None,
    no_docs: bool = False,
    only_docs: bool = False,
    register_project: bool = False,
) -> list:
    """Upload the release's files (and its doczip) to ``posturl`` with the
    legacy upload API, as devpi's push to ``pypi:NAME`` does. Stops at the
    first refusal and raises ``ExternalPushFailed`` (502) with the actionlog
    so far. ``user`` needs upload rights on the source index (unlike devpi,
    where anyone may ask): the server makes the requests. ``posturl`` goes
    through the egress guard; a remote's refusal is reported by its status
    and a short reason phrase, never its body."""
    source = index_of(source, "source index")
    source_read_check(user, source)
    _external_push_check(user, source)
    _check_posturl(posturl)
    content = release_content(
        source=source, project=project, version=version, no_docs=no_docs, only_docs=only_docs
    )
    fields = _form_fields(content.release)
    remote = _Remote(posturl, (username, password))
    if register_project:
        status, failure = remote.send(
            "register", EXTERNAL_DOCS_OK, fields + [(":action", "submit")]
        )
        remote.record(
            [status, "register", project, version],
            status,
            failure,
            f"register of {project} {version} at {remote.shown}",
            with_reason=False,
        )
    _send_files(remote, source, content, fields)
    _send_docs(remote, content, fields, f"{project} {version}")
    audit_record(
        "release.push",
        target=mask_url(posturl),
        index=source.fullname,
        detail={
            "source": source.fullname,
            "project": content.release.project.name,
            "version": content.release.version,
            "files": len(content.files),
            "external_user": username,
        },
    )
    return remote.actionlog
