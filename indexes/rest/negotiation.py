"""DRF content negotiation with q-values and devpi's tie order
(``indexes.negotiation``), and pip's rule: an installer's User-Agent at a URL
that also serves the web UI gets a simple page, not the web UI's HTML.

A view lists its renderers in devpi's tie order (text/html first); the
choice for one (Accept, installer) pair is computed once per view class.
"""

from __future__ import annotations

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import BaseContentNegotiation

from ..negotiation import choose, is_installer


class DevpiNegotiation(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        content_type = request.content_type or ""
        for parser in parsers:
            if content_type.startswith(parser.media_type):
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        installer = is_installer(request)
        if installer:
            simple = [r for r in renderers if getattr(r, "simple", False)]
            if simple:
                renderers = simple
        offers = tuple(r.media_type for r in renderers)
        wanted = choose(request.META.get("HTTP_ACCEPT"), offers)
        if wanted is None:
            if installer or getattr(renderers[0], "lenient", True):
                # devpi answers what it has rather than 406
                wanted = offers[0]
            else:
                raise NotAcceptable(available_renderers=renderers)
        for renderer in renderers:
            if renderer.media_type == wanted:
                return renderer, wanted
        raise NotAcceptable(available_renderers=renderers)  # pragma: no cover
