"""Long descriptions as safe HTML, with readme-renderer (the renderer PyPI
uses): reStructuredText, Markdown or plain text by
``description_content_type``. readme-renderer cleans its output with nh3, so
scripts, event handlers and ``javascript:`` links never reach the page."""

from __future__ import annotations

import io
from email.message import Message

import readme_renderer.markdown
import readme_renderer.rst
import readme_renderer.txt


def _parse_content_type(content_type: str) -> tuple[str, dict[str, str]]:
    message = Message()
    message["Content-Type"] = content_type or "text/x-rst"
    params = {k.lower(): v for k, v in message.get_params()[1:]}
    return message.get_content_type(), params


def render_description(text: str, content_type: str = "") -> str:
    """HTML for a release's long description; empty for no description. A
    reStructuredText description that does not parse is shown as text."""
    if not text or not text.strip() or text.strip() == "UNKNOWN":
        return ""
    kind, params = _parse_content_type(content_type)
    if kind == "text/markdown":
        html = readme_renderer.markdown.render(text, variant=params.get("variant", "GFM"))
    elif kind == "text/plain":
        html = None
    else:
        html = readme_renderer.rst.render(text, stream=io.StringIO())
    if html is None:
        html = readme_renderer.txt.render(text)
    return html
