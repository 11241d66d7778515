"""DRF content negotiation with q-values and devpi's tie order
(``indexes.negotiation``), and pip's rule: an installer's User-Agent at a URL
that also serves the web UI gets a simple page, not the web UI's HTML.

A view lists its renderers in devpi's tie order (text/html first); the
choice for one (renderers, Accept, installer) triple is computed once and
kept (``_choice``), as is the installer test of a User-Agent
(``indexes.negotiation.installer_agent``).
"""

from __future__ import annotations

from functools import lru_cache

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import BaseContentNegotiation

from ..negotiation import choose, installer_agent


@lru_cache(maxsize=1024)
def _choice(renderers: tuple, accept: str | None, installer: bool):
    """``(renderer, media type)``, or None when nothing is acceptable."""
    if not renderers:
        return None
    if installer:
        simple = tuple(r for r in renderers if getattr(r, "simple", False))
        if simple:
            renderers = simple
    offers = tuple(r.media_type for r in renderers)
    wanted = choose(accept, offers)
    if wanted is None:
        if not installer and not getattr(renderers[0], "lenient", True):
            return None
        # devpi answers what it has rather than 406
        wanted = offers[0]
    for renderer in renderers:
        if renderer.media_type == wanted:
            return renderer, wanted
    return None  # pragma: no cover


class DevpiNegotiation(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        content_type = request.content_type or ""
        for parser in parsers:
            if content_type.startswith(parser.media_type):
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        meta = request.META
        if type(renderers) is not tuple:
            renderers = tuple(renderers)
        chosen = _choice(
            renderers,
            meta.get("HTTP_ACCEPT"),
            installer_agent(meta.get("HTTP_USER_AGENT", "")),
        )
        if chosen is None:
            raise NotAcceptable(available_renderers=renderers)
        return chosen
