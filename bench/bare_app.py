"""The stack's limit: a bare Django view that returns page bytes from memory.

Run by gunicorn with devpi-django's own ``gunicorn_conf.py`` (same workers,
worker class, access log), so the only difference to devpi-django is the work
done per request. The pages are the files of ``BENCH_BARE_PAGES`` (a folder),
read once at start-up: ``GET /<file name>`` returns that file's bytes with
the content type its suffix names.
"""

from __future__ import annotations

import os
from pathlib import Path

SECRET_KEY = "bench-bare-view"  # nothing is signed
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/vnd.pypi.simple.v1+json",
    ".whl": "application/zip",  # a download, as bench.profile_pages asks for one
    ".metadata": "text/plain; charset=utf-8",
}

PAGES: dict[str, tuple[bytes, str]] = {}


def _load_pages() -> None:
    folder = os.environ.get("BENCH_BARE_PAGES")
    if not folder:
        return
    for path in Path(folder).iterdir():
        if path.suffix in CONTENT_TYPES:
            PAGES[path.name] = (path.read_bytes(), CONTENT_TYPES[path.suffix])


def page(request, name):
    from django.http import HttpResponse, HttpResponseNotFound

    found = PAGES.get(name)
    if found is None:
        return HttpResponseNotFound(b"no such page\n")
    body, content_type = found
    return HttpResponse(body, content_type=content_type)


def _urlpatterns():
    from django.urls import path

    return [path("<str:name>", page)]


_load_pages()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__)

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
urlpatterns = _urlpatterns()
