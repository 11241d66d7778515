"""What the API views at URLs that browsers share share: the renderers a
method may answer with, and the web UI's page as a DRF ``Response``."""

from __future__ import annotations

from rest_framework.response import Response

from ..negotiation import is_installer
from ..rest.base import DevpiView
from ..rest.renderers import JSON_RENDERERS, DevpiJSONRenderer, WebPageRenderer

WEB_PAGE = WebPageRenderer()
JSON_RENDERER: DevpiJSONRenderer = JSON_RENDERERS[0]


class PageView(DevpiView):
    """GET and HEAD negotiate among ``renderers`` (devpi's tie order: the web
    UI's HTML, then JSON), or, for an installer, ``installer_renderers``
    where the URL serves installers too; every other method answers JSON
    whatever the ``Accept`` (as devpi does)."""

    renderers: tuple = (WEB_PAGE, JSON_RENDERER)
    installer_renderers: tuple = ()

    def get_renderers(self):
        request = self.request
        if request.method not in ("GET", "HEAD"):
            return JSON_RENDERERS
        if self.installer_renderers and is_installer(request):
            return self.installer_renderers
        return self.renderers

    def perform_content_negotiation(self, request, force=False):
        renderers = self.get_renderers()
        try:
            return self.get_content_negotiator().select_renderer(request, renderers)
        except Exception:
            if force:
                return renderers[0], renderers[0].media_type
            raise


def wants_page(request) -> bool:
    """Whether the negotiated answer is the web UI's page."""
    return request.accepted_renderer is WEB_PAGE


def wants_simple(request) -> bool:
    """Whether the negotiated answer is a simple page (PEP 503/691)."""
    return getattr(request.accepted_renderer, "simple", False)


def answer_json(request) -> None:
    """Answer JSON whatever was negotiated (devpi's default where no offer
    is acceptable)."""
    request.accepted_renderer = JSON_RENDERER
    request.accepted_media_type = JSON_RENDERER.media_type


def web_page(page: tuple[str, dict], status: int = 200) -> Response:
    """A page of ``web.pages`` (template, context), for ``WebPageRenderer``."""
    template, context = page
    return Response(context, status=status, template_name=template)
