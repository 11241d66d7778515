from django.contrib import admin
from django.urls import include, path

# devpi's own routes first: installers' requests (simple pages, files) then
# match at the first patterns tried. No pattern there can match the paths of
# the others ("+openapi.json", "+api/docs/", "+admin/...", "+health/...",
# "+metrics": user and index names never start with "+", the "+..." routes
# there are exact).
# a path no route matches gets devpi's 404 (JSON {"message"} or text)
handler404 = "indexes.rest.exceptions.page_not_found"

urlpatterns = [
    path("", include("indexes.urls")),
    path("", include("indexes.rest.urls")),
    path("+admin/", admin.site.urls),
    path("", include("ops.urls")),
]
