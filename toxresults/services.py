"""Writes: storing a posted tox report, and copying reports with a pushed file."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from indexes.audit import audit_record
from indexes.distribution.hashpath import file_path
from indexes.errors import Conflict, Invalid
from indexes.models import ReleaseFile
from indexes.serverstate import serial_bump
from indexes.services.uploads import log_entry

from .models import ToxEnvResult, ToxResult
from .reports import EnvSummary, InvalidReport, ReportSummary, parse_report

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ATTEMPTS = 5


def toxresult_path(result: ToxResult) -> str:
    """``<user>/<index>/+f/<h[:3]>/<h[3:16]>/<file>.toxresult-<when>-<n>``."""
    return file_path(result.file.index.fullname, result.file.sha256, result.filename)


def toxresult_create(
    *,
    file: ReleaseFile,
    filename: str,
    report: str,
    sha256: str,
    summary: ReportSummary,
    posted_at: datetime,
    uploader: str,
    log: list,
) -> ToxResult:
    """The one writer of a ``ToxResult`` row and its environments' rows, for
    a posted report, an imported one and a pushed copy (``summary``: what the
    report says, parsed, or read back from the row being copied)."""
    result = ToxResult.objects.create(
        file=file,
        filename=filename,
        report=report,
        sha256=sha256,
        host=summary.host,
        platform=summary.platform,
        toxversion=summary.toxversion,
        reportversion=summary.reportversion,
        posted_at=posted_at,
        uploader=uploader,
        log=log,
    )
    ToxEnvResult.objects.bulk_create(
        [
            ToxEnvResult(
                toxresult=result,
                envname=env.name,
                python_version=env.python_version,
                setup=env.setup,
                tests=env.tests,
                status=env.status,
            )
            for env in summary.envs
        ]
    )
    return result


def stored_summary(result: ToxResult) -> ReportSummary:
    """What a stored report's row says, as ``parse_report`` said it (for a
    copy; an environment's status follows from its setup and tests)."""
    return ReportSummary(
        host=result.host,
        platform=result.platform,
        toxversion=result.toxversion,
        reportversion=result.reportversion,
        envs=[
            EnvSummary(env.envname, env.python_version, env.setup, env.tests)
            for env in result.envs.all()
        ],
    )


def toxresult_store(
    *, file: ReleaseFile, body: bytes, user: User | None, posted_at: datetime | None = None
) -> ToxResult:
    """Check and store a tox report for ``file``, named as devpi names it
    (``<file>.toxresult-<YYYYmmddHHMMSS>-<n>``, ``n`` counting the file's
    earlier reports). A malformed report raises ``Invalid`` and stores
    nothing. Permission checks are the caller's."""
    try:
        text, summary = parse_report(body)
    except InvalidReport as exc:
        raise Invalid(str(exc)) from None
    who = user.username if user is not None else None
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    for _attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                n = ToxResult.objects.filter(file=file).count()
                result = toxresult_create(
                    file=file,
                    filename=f"{file.filename}.toxresult-{stamp}-{n}",
                    report=text,
                    sha256=hashlib.sha256(body).hexdigest(),
                    summary=summary,
                    posted_at=posted_at or timezone.now(),
                    uploader=who or "",
                    log=[log_entry("upload", who, dst=file.index.fullname)],
                )
                audit_record(
                    "toxresult.upload",
                    target=toxresult_path(result),
                    index=file.index.fullname,
                    detail={
                        "file": file.filename,
                        "host": str(summary.host or "")[:200],
                        "platform": str(summary.platform or "")[:200],
                    },
                )
                serial_bump()  # a serial, not a generation: no simple page changes
            return result
        except IntegrityError:
            continue  # another report for this file got the same name: count again
    raise Conflict(f"tox results for {file.filename} are being posted concurrently, try again")


def toxresults_copy(
    *, source_file: ReleaseFile, target_file: ReleaseFile, user: User | None
) -> list[list]:
    """Copy ``source_file``'s tox results to ``target_file`` (a push hook:
    runs inside the push transaction). Names, reports and their history are
    kept; a ``push`` entry is added to each log. Returns actionlog lines."""
    who = user.username if user is not None else None
    lines: list[list] = []
    for source in ToxResult.objects.filter(file=source_file).prefetch_related("envs"):
        log = [entry for entry in source.log if entry.get("what") != "overwrite"]
        log.append(
            log_entry("push", who, src=source_file.index.fullname, dst=target_file.index.fullname)
        )
        copy = toxresult_create(
            file=target_file,
            filename=source.filename,
            report=source.report,
            sha256=source.sha256,
            summary=stored_summary(source),
            posted_at=source.posted_at,
            uploader=source.uploader,
            log=log,
        )
        lines.append([200, "store_toxresult", toxresult_path(copy)])
    return lines
