"""One renderer per media type devpi answers with.

- ``DevpiJSONRenderer``: devpi's JSON (``{"type", "result", "message"}``
  envelope or a plain object), ``application/json`` exactly, indented as
  devpi does.
- ``SimpleHTMLRenderer`` (``text/html``), ``SimpleHTMLv1Renderer`` (PEP 691's
  HTML type) and ``SimpleJSONRenderer`` (PEP 691 JSON): simple pages; their
  data is a ``SimpleRender`` (what to render and how), rendered by
  ``indexes.simple.render``.
- ``WebPageRenderer``: the web UI's HTML where a URL serves browsers too;
  its data is a context for the template the view names.

Renderers are stateless: one instance of each serves every request.
"""

from __future__ import annotations

import json

from rest_framework.renderers import BaseRenderer, TemplateHTMLRenderer

from ..negotiation import HTML, JSON, SIMPLE_HTML, SIMPLE_JSON


class DevpiJSONRenderer(BaseRenderer):
    media_type = JSON
    format = "json"
    charset = None  # devpi sends application/json without a charset

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return (json.dumps(data, indent=2) + "\n").encode()


class _SimpleRenderer(BaseRenderer):
    """``data`` has ``render(media_type) -> str``: the page for that type."""

    simple = True
    charset: str | None = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return data.render(self.media_type).encode()


class SimpleHTMLRenderer(_SimpleRenderer):
    media_type = HTML
    format = "simple-html"


class SimpleHTMLv1Renderer(_SimpleRenderer):
    media_type = SIMPLE_HTML
    format = "simple-html-v1"
    charset = None


class SimpleJSONRenderer(_SimpleRenderer):
    media_type = SIMPLE_JSON
    format = "simple-json"
    charset = None


class WebPageRenderer(TemplateHTMLRenderer):
    """The web UI: ``Response(context, template_name=...)``. The template
    sees Django's request (its session user, its messages), as the web UI's
    other pages do, not DRF's (whose user is the API's credentials)."""

    media_type = HTML
    format = "html"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        context = dict(renderer_context or {})
        request = context.get("request")
        if request is not None:
            context["request"] = getattr(request, "_request", request)
        return super().render(data, accepted_media_type, context)


SIMPLE_RENDERERS = (SimpleHTMLRenderer(), SimpleHTMLv1Renderer(), SimpleJSONRenderer())
JSON_RENDERERS = (DevpiJSONRenderer(),)
