"""Issue 13: every endpoint of devpi's wire protocol is a DRF view on
``indexes.rest.base.DevpiView``, whose handler is the one
``REST_FRAMEWORK["EXCEPTION_HANDLER"]``."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import resolve

from indexes.rest.base import DevpiView

ENDPOINTS = {
    # the simple repository API (PEP 503 / 691)
    "/alice/dev/+simple/": "get",
    "/alice/dev/+simple/example/": "get",
    "/alice/dev/+simple/example/refresh": "post",
    # installer pages and the JSON API at the plain URLs; upload and push
    # (POST / PUSH on the index), yank (PATCH on the version)
    "/": "get",
    "/alice": "put",
    "/alice/dev": "post",
    "/alice/dev/example": "get",
    "/alice/dev/example/1.0": "patch",
    "/+api": "get",
    "/alice/+api": "get",
    "/alice/dev/+api": "get",
    "/+login": "post",
    "/+status": "get",
}


@pytest.mark.parametrize("path, method", sorted(ENDPOINTS.items()))
def test_each_endpoint_resolves_to_a_drf_view(path, method):
    view = resolve(path).func
    view_class = getattr(view, "cls", None)
    assert view_class is not None, f"{path} is not a DRF view"
    assert issubclass(view_class, DevpiView)
    assert callable(getattr(view_class, method, None)), f"{path} has no {method}"


def test_the_index_takes_devpi_push_method():
    view_class = resolve("/alice/dev").func.cls
    assert "push" in view_class.http_method_names
    assert callable(view_class.push)


def test_one_exception_handler():
    assert (
        settings.REST_FRAMEWORK["EXCEPTION_HANDLER"] == "indexes.rest.exceptions.exception_handler"
    )
