"""Tox results in devpi-export directories: the handler that
``importexport`` calls for ``toxresult`` files (registered in
``apps.py``). An imported report keeps its name
(``<file>.toxresult-<timestamp>-<n>``), history and time."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from functools import partial

from django.db import transaction

from importexport.attachments import AttachmentIn, AttachmentOut
from importexport.mapping import log_who
from indexes.errors import Conflict, Invalid
from indexes.serverstate import serial_bump

from .models import ToxResult
from .reports import InvalidReport, parse_report
from .services import toxresult_create


class ToxResultAttachments:
    def import_file(self, item: AttachmentIn) -> bool:
        file = item.release_file
        assert file is not None  # importexport passes the file a tox result is for
        existing = (
            ToxResult.objects.filter(file=file, filename=item.filename).only("sha256").first()
        )
        if existing is not None:
            if existing.sha256 == item.sha256:
                return False
            raise Conflict("another tox report with this name is here; kept")
        body = item.content.read()
        try:
            text, summary = parse_report(body)
        except InvalidReport as exc:
            raise Invalid(f"not a tox report: {exc}") from None
        with transaction.atomic():
            toxresult_create(
                file=file,
                filename=item.filename,
                report=text,
                sha256=item.sha256,
                summary=summary,
                posted_at=item.uploaded_at,
                uploader=log_who(item.log)[:150],
                log=item.log,
            )
            serial_bump(file.index_id)
        return True

    def export_files(self, index) -> Iterable[AttachmentOut]:
        results = (
            ToxResult.objects.filter(file__index=index)
            .select_related("file__release__project")
            .order_by("id")
        )
        for result in results:
            body = result.report.encode("utf-8")
            yield AttachmentOut(
                release=result.file.release,
                release_file=result.file,
                filename=result.filename,
                sha256=hashlib.sha256(body).hexdigest(),
                log=result.log,
                uploaded_at=result.posted_at,
                open=partial(io.BytesIO, body),
            )
