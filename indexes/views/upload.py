"""The legacy upload API (``POST /<user>/<index>/`` multipart) that twine,
devpi-client and setuptools use."""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework.request import Request

from ..auth import request_user
from ..errors import Invalid, NotFound
from ..rest.parsers import UPLOAD_PARSERS
from ..services.docs import doczip_upload
from ..services.uploads import (
    UploadForm,
    release_file_upload,
    release_register,
    upload_permission_check,
)
from ..wire import empty_response

IDENTICAL = "Upload of identical file to non volatile index."


def _form(post) -> UploadForm:
    return UploadForm({key: post.getlist(key) for key in post})


def _strict(request) -> Request:
    """The request whose form ``StrictMultiPartParser`` alone reads (a plain
    Django request is wrapped)."""
    if not isinstance(request, Request):
        return Request(request, parsers=UPLOAD_PARSERS)
    request.parsers = UPLOAD_PARSERS
    return request


def _answer(created: bool) -> HttpResponse:
    return empty_response(None if created else IDENTICAL)


def upload(request, index) -> HttpResponse:
    if index.is_mirror:
        raise NotFound("cannot submit to mirror index")
    request = _strict(request)
    user = request_user(request)
    # the services refuse too; refusing here spares reading an unauthorised body
    upload_permission_check(user=user, index=index)
    post, files = request.POST, request.FILES
    action = post.get(":action")
    if not action:
        raise Invalid(":action field not found")
    form = _form(post)
    if action == "submit":
        release_register(index=index, user=user, form=form)
        return HttpResponse("")
    if action not in ("file_upload", "doc_upload"):
        raise Invalid(f"action {action!r} not supported")
    content = files.get("content")
    if content is None:
        raise Invalid("content file field not found")
    if action == "doc_upload":
        doc = doczip_upload(index=index, user=user, form=form, content=content.file)
        return _answer(doc.created)
    result = release_file_upload(
        index=index, user=user, form=form, filename=content.name, content=content.file
    )
    return _answer(result.created)
