"""Documentation zips in exports, through ``indexes.services.docs``: the zip
is checked as an upload is, stored, unpacked, and recorded."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from indexes.errors import Conflict
from indexes.models import DocZip
from indexes.services.docs import check_doczip_content, doc_tree_unpack, doczip_store
from indexes.storage import blob_open, blob_put

from . import mapping
from .attachments import AttachmentIn, AttachmentOut


class DocZipAttachments:
    def import_file(self, item: AttachmentIn) -> bool:
        existing = DocZip.objects.filter(release=item.release).only("sha256").first()
        if existing is not None:
            if existing.sha256 == item.sha256:
                return False
            raise Conflict("other documentation for this version is here; kept")
        members = check_doczip_content(item.content)
        blob_put(item.content, item.sha256)
        doc_tree_unpack(item.content, members, item.sha256)
        _row, created = doczip_store(
            index=item.index,
            release=item.release,
            sha256=item.sha256,
            size=item.size,
            uploaded_at=item.uploaded_at,
            log=item.log,
            uploader=mapping.log_who(item.log)[:150],
        )
        return created

    def export_files(self, index) -> Iterable[AttachmentOut]:
        for doczip in (
            DocZip.objects.filter(index=index).select_related("release__project").order_by("id")
        ):
            yield AttachmentOut(
                release=doczip.release,
                release_file=None,
                filename=doczip.filename,
                sha256=doczip.sha256,
                log=doczip.log,
                uploaded_at=doczip.uploaded_at,
                open=partial(blob_open, doczip.sha256),
            )
