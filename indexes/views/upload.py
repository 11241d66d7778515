"""The legacy upload API (``POST /<user>/<index>/`` multipart) that twine,
devpi-client and setuptools use."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse

from ..auth import request_user
from ..errors import Invalid, NotFound, TooLarge
from ..services.docs import doczip_upload
from ..services.uploads import (
    UploadForm,
    release_file_upload,
    release_register,
    upload_permission_check,
)
from ..uploadparser import parse_multipart

# room for the form fields around the file itself
FORM_OVERHEAD = 1024 * 1024


def _form(post) -> UploadForm:
    return UploadForm({key: post.getlist(key) for key in post})


def upload(request, index) -> HttpResponse:
    if index.is_mirror:
        raise NotFound("cannot submit to mirror index")
    limit = settings.DEVPI["MAX_UPLOAD_BYTES"]
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + FORM_OVERHEAD:
        raise TooLarge(f"upload of {length} bytes is larger than the limit of {limit} bytes")
    user = request_user(request)
    # the services refuse too; refusing here spares reading an unauthorised body
    upload_permission_check(user=user, index=index)
    post, files, unsafe_names = parse_multipart(request)
    if unsafe_names:
        raise Invalid(f"filename {unsafe_names[0]!r} must not contain path components")
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
        doc_result = doczip_upload(index=index, user=user, form=form, content=content.file)
        response = HttpResponse("")
        if not doc_result.created:
            response.reason_phrase = "Upload of identical file to non volatile index."
        return response
    result = release_file_upload(
        index=index, user=user, form=form, filename=content.name, content=content.file
    )
    response = HttpResponse("")
    if not result.created:
        response.reason_phrase = "Upload of identical file to non volatile index."
    return response
