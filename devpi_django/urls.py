from django.contrib import admin
from django.urls import include, path

# devpi's own routes first: installers' requests (simple pages, files) then
# match at the first patterns tried. No pattern there can match the paths of
# the others ("+openapi.json", "+api/docs/", "+admin/...", "+health/...",
# "+metrics": user and index names never start with "+", the "+..." routes
# there are exact).
urlpatterns = [
    path("", include("indexes.urls")),
    path("", include("indexes.rest.urls")),
    path("+admin/", admin.site.urls),
    path("", include("ops.urls")),
]
