"""Long descriptions as safe HTML, with readme-renderer (the renderer PyPI
uses): reStructuredText, Markdown or plain text by
``description_content_type``. readme-renderer cleans its output with nh3, so
scripts, event handlers and ``javascript:`` links never reach the page.

Rendering is slow (seconds for a large reStructuredText document), so it
happens once per release, when its metadata is stored
(``description_schedule``, after the commit: upload, register, push,
import), and the HTML is kept in ``Release.description_html``. Pages show
the stored HTML (``release_description_html``); a release stored before
that column existed is rendered at its first view and stored then. A
description longer than ``DEVPI_DESCRIPTION_MAX_RENDER_BYTES`` is not run
through the markup renderers: its start is shown as plain text."""

from __future__ import annotations

import io
from email.message import Message
from functools import partial

import readme_renderer.markdown
import readme_renderer.rst
import readme_renderer.txt


def _parse_content_type(content_type: str) -> tuple[str, dict[str, str]]:
    message = Message()
    message["Content-Type"] = content_type or "text/x-rst"
    params = {k.lower(): v for k, v in (message.get_params() or [])[1:]}
    return message.get_content_type(), params


def render_description(text: str, content_type: str = "", *, max_bytes: int | None = None) -> str:
    """HTML for a release's long description; empty for no description. A
    reStructuredText description that does not parse is shown as text, and
    so is the start of one over ``max_bytes``."""
    if not text or not text.strip() or text.strip() == "UNKNOWN":
        return ""
    if max_bytes is not None and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        shown = text.encode("utf-8", "surrogatepass")[:max_bytes].decode("utf-8", "ignore")
        return (
            f"<p><em>The description is longer than {max_bytes} bytes: its start is "
            f"shown as plain text.</em></p>" + (readme_renderer.txt.render(shown) or "")
        )
    kind, params = _parse_content_type(content_type)
    if kind == "text/markdown":
        html = readme_renderer.markdown.render(text, variant=params.get("variant", "GFM"))
    elif kind == "text/plain":
        html = None
    else:
        html = readme_renderer.rst.render(text, stream=io.StringIO())
    if html is None:
        html = readme_renderer.txt.render(text)
    return html or ""


def description_of(metadata: dict) -> str:
    from django.conf import settings

    return render_description(
        str(metadata.get("description") or ""),
        str(metadata.get("description_content_type") or ""),
        max_bytes=settings.DEVPI["DESCRIPTION_MAX_RENDER_BYTES"],
    )


def description_store(release_id: int) -> str | None:
    """Render a release's description from its stored metadata and keep the
    HTML, unless the metadata changed meanwhile (that change scheduled its
    own rendering)."""
    from .models import Release

    row = Release.objects.filter(pk=release_id).values("metadata", "modified").first()
    if row is None:
        return None
    html = description_of(row["metadata"])
    Release.objects.filter(pk=release_id, modified=row["modified"]).update(description_html=html)
    return html


def description_schedule(release) -> None:
    """The release's metadata was just written: forget the old HTML now (in
    the same transaction) and render the new one once the transaction has
    committed, outside its write lock."""
    from django.db import transaction

    from .models import Release

    if release.description_html is not None:
        Release.objects.filter(pk=release.pk).update(description_html=None)
        release.description_html = None
    transaction.on_commit(partial(description_store, release.pk))


def release_description_html(release) -> str:
    """The stored HTML; a release stored without it is rendered once now."""
    if release.description_html is not None:
        return release.description_html
    html = description_store(release.pk)
    return html if html is not None else description_of(release.metadata)
