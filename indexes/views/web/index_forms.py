"""The web UI's index forms: create, edit, delete, through the same
services (and so the same validation) as the JSON API."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ... import permissions, selectors
from ...errors import DevpiError
from ...forms import IndexConfigForm, IndexCreateForm
from ...models import Index
from ...services import indexes as index_services
from .base import forbidden, login_redirect, session_user

# -- indexes: create, edit, delete ---------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def index_create(request, user) -> HttpResponse:
    owner = selectors.user_get(user)
    actor = session_user(request)
    if actor is None and request.method != "POST":
        return login_redirect(request)
    if not permissions.may_create_index(actor, user):
        return forbidden(request, f"You may not create indexes for {user}.")
    status = 200
    if request.method == "POST":
        form = IndexCreateForm(request.POST, initial=IndexCreateForm.initial_for(user))
        if form.is_valid():
            index_type = form.cleaned_data["type"]
            try:
                ix = index_services.index_create(
                    owner=owner,
                    name=form.cleaned_data["name"],
                    data=form.config_data(index_type),
                    actor=actor,
                )
            except DevpiError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Index {ix.fullname} created.")
                return redirect(f"/{ix.fullname}")
        status = 400
    else:
        form = IndexCreateForm(initial=IndexCreateForm.initial_for(user))
    return render(
        request,
        "indexes/index_create.html",
        {
            "owner": owner,
            "form": form,
            "stage_fields": [form[k] for k in form.STAGE_FIELDS],
            "mirror_only_fields": [
                form[k] for k in form.MIRROR_FIELDS if k not in form.STAGE_FIELDS
            ],
        },
        status=status,
    )


def _index_for_change(request, user, index) -> Index | HttpResponse:
    """The index when the session's user may change it, else the refusal."""
    ix = selectors.index_get(user, index)
    actor = session_user(request)
    if actor is None and request.method != "POST":
        return login_redirect(request)
    if not permissions.may_modify_index(actor, ix):
        return forbidden(request, f"You may not change the index {ix.fullname}.")
    return ix


@require_http_methods(["GET", "HEAD", "POST"])
def index_edit(request, user, index) -> HttpResponse:
    ix = _index_for_change(request, user, index)
    if isinstance(ix, HttpResponse):
        return ix
    status = 200
    if request.method == "POST":
        form = IndexConfigForm(request.POST)
        if form.is_valid():
            try:
                index_services.index_modify(
                    index=ix, data=form.config_data(ix.type), actor=session_user(request)
                )
            except DevpiError as exc:
                form.add_error(None, exc.message)
                ix.refresh_from_db()
            else:
                messages.success(request, f"Index {ix.fullname} saved.")
                return redirect(f"/{ix.fullname}")
        status = 400
    else:
        form = IndexConfigForm(initial=IndexConfigForm.initial_from(ix.config))
    return render(
        request,
        "indexes/index_edit.html",
        {
            "index": ix,
            "form": form,
            "fields": [form[k] for k in form.fields_for(ix.type)],
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def index_delete(request, user, index) -> HttpResponse:
    ix = _index_for_change(request, user, index)
    if isinstance(ix, HttpResponse):
        return ix
    error, status = None, 200
    if request.method == "POST":
        try:
            index_services.index_delete(index=ix, actor=session_user(request))
        except DevpiError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, f"Index {ix.fullname} deleted.")
            return redirect(f"/{ix.owner.username}")
    children = [
        other.fullname
        for other in Index.objects.select_related("owner")
        if ix.fullname in other.bases
    ]
    return render(
        request,
        "indexes/index_delete.html",
        {"index": ix, "error": error, "children": children},
        status=status,
    )
