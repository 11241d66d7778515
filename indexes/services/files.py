"""Release file rows: ``release_file_create`` is the one function that writes
them, for an upload, a push and an import alike.

A ``ReleaseFile`` row is what makes a file visible (simple pages, ``+f``
URLs, the JSON API). Every writer follows the same rules:

- the bytes are verified and stored first: the caller checks their hashes
  (an upload against the form's digests, an import against the export's
  recorded hashes; a push copies a row whose bytes were checked when they
  came in) and puts the blob (``storage.blob_put``) before the row, so a
  row never points to bytes that are not there;
- the caller holds the transaction in which the row, its release and the
  serial bump become visible together;
- a file name that an index has already is replaced only on a volatile
  index (else ``Conflict``), and the replacing link's history then starts
  with devpi's ``overwrite`` entry;
- the link's history (``log``) ends with the entry that says what put it
  here (``upload``, ``push``); an import keeps the history the export has.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime

from ..errors import Conflict
from ..models import Index, Release, ReleaseFile


@dataclass(frozen=True)
class FileFacts:
    """What a release file row records about stored, verified bytes."""

    filename: str
    sha256: str
    size: int
    packagetype: str = ""
    pyversion: str = ""
    requires_python: str = ""
    # a wheel's METADATA (a memoryview when copied from a row on PostgreSQL)
    core_metadata: bytes | memoryview | None = None


def log_entry(what: str, who: str | None, **extra: object) -> dict:
    """One entry of a link's history, as devpi keeps it: what happened (upload,
    push, overwrite), who did it, when (UTC, ``[Y, M, D, h, m, s]``) and
    from/to which index (``src``, ``dst``)."""
    entry: dict[str, object] = {"what": what, "who": who, "when": list(time.gmtime()[:6])}
    entry.update(extra)
    return entry


def overwrite_log(previous: list) -> list:
    """The start of the history of a link that replaces one of the same name
    (on a volatile index): an ``overwrite`` entry counting the replacements
    so far, as devpi writes it. The replaced link's other entries go."""
    count = sum(
        entry.get("count", 0)
        for entry in previous
        if isinstance(entry, dict) and entry.get("what") == "overwrite"
    )
    return [log_entry("overwrite", None, count=count + 1)]


def release_file_locked(*, index: Index, filename: str) -> ReleaseFile | None:
    """The index's row of that name, locked until the transaction ends."""
    return ReleaseFile.objects.select_for_update().filter(index=index, filename=filename).first()


def overwrite_check(index: Index, filename: str) -> None:
    """As devpi: a non-volatile index keeps the file it has under a name."""
    if not index.volatile:
        raise Conflict(f"{filename} already exists in non-volatile index")


def release_file_create(
    *,
    index: Index,
    release: Release,
    facts: FileFacts,
    history: list,
    entry: dict | None,
    uploaded_at: datetime,
    uploader: str,
    replacing: ReleaseFile | None = None,
    keep_attached: bool = False,
) -> ReleaseFile:
    """Write the row that makes the stored bytes ``facts`` visible in
    ``index`` as a file of ``release``; call it inside a transaction, after
    the blob is stored.

    ``history``: the link's earlier entries (a push: the source's; an import:
    the export's); ``entry``: the one for this write, appended (None: none).
    ``replacing``: the index's locked row of that name (``release_file_locked``),
    refused on a non-volatile index; it is deleted with what hangs on it (tox
    results), or, with ``keep_attached`` (an upload), rewritten in place.
    """
    log = list(history)
    row = None
    if replacing is not None:
        overwrite_check(index, facts.filename)
        log = overwrite_log(replacing.log) + log
        if keep_attached:
            row = replacing
        else:
            replacing.delete()  # as devpi replaces the link, with its dependents
    if row is None:
        row = ReleaseFile(index=index, filename=facts.filename)
    if entry is not None:
        log.append(entry)
    core_metadata = facts.core_metadata
    row.release = release
    row.sha256 = facts.sha256
    row.size = facts.size
    row.packagetype = facts.packagetype
    row.pyversion = facts.pyversion[:64]
    row.requires_python = facts.requires_python[:255]
    row.core_metadata = core_metadata
    row.core_metadata_sha256 = (
        hashlib.sha256(core_metadata).hexdigest() if core_metadata is not None else ""
    )
    row.uploaded_at = uploaded_at
    row.uploader = uploader[:150]
    row.log = log
    row.save()
    return row
