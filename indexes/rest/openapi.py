"""The OpenAPI 3 document of the DRF views (``/+openapi.json``) and Swagger
UI for it (``/+api/docs/``).

The document is drf-spectacular's, generated from the views and the
descriptions in ``schema.py`` (applied by its generator just before each
generation, so views added later are described too). The docs page is our own template: Swagger
UI's files from the sidecar package and a start script from our static files,
no inline script or style, so it works under the site's
Content-Security-Policy ('self' only; images may also be data: URLs, for the
icons in Swagger UI's stylesheet).
"""

from __future__ import annotations

from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from ..middleware import CONTENT_SECURITY_POLICY

SCHEMA_URL_NAME = "openapi-schema"
# the site's policy, and the small SVG icons of Swagger UI's stylesheet
# (data: URLs, images only: no script runs in an image)
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "img-src 'self'", "img-src 'self' data:"
)


class OpenAPISchemaView(SpectacularJSONAPIView):
    """``GET /+openapi.json``: the document, ``application/json`` unless
    ``application/vnd.oai.openapi+json`` is asked for."""

    renderer_classes = [OpenApiJsonRenderer2, OpenApiJsonRenderer]


class APIDocsView(SpectacularSwaggerView):
    """``GET /+api/docs/``: Swagger UI, all of it from our own static files."""

    url_name = SCHEMA_URL_NAME
    template_name = "openapi/swagger_ui.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response
