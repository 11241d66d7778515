"""The audit trail: ``GET /+audit`` (root) and ``GET /<user>/<index>/+audit``
(the index owner and root), as JSON ``{"type": "auditlog", "result": [...]}``
(newest first; ``?action=``, ``?user=``, ``?page=``, ``?size=``) or as a web
page. API clients authenticate by headers; browsers by their session."""

from __future__ import annotations

import json

from django.shortcuts import redirect, render
from django.utils.http import urlencode

from .. import permissions, selectors
from ..audit import ACTIONS, audit_events, event_json
from ..auth import request_user
from ..errors import Forbidden, MethodNotAllowed, Unauthorized
from ..negotiation import HTML, JSON, choose
from ..wire import api_response
from .web import session_user


def _page_url(request, number: int) -> str:
    """This URL with its query, at page ``number``."""
    params = {k: v for k, v in request.GET.items() if k != "page"}
    params["page"] = number
    return f"{request.path}?{urlencode(params)}"


def _serve(request, *, user=None, index=None):
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed(f"method {request.method} not allowed here")
    wants_html = choose(request.META.get("HTTP_ACCEPT"), (HTML, JSON)) == HTML
    actor = session_user(request) if wants_html else None
    if actor is None:
        actor = request_user(request)
    what = f"the audit trail of {user}/{index}" if index is not None else "the audit trail"
    if actor is None:  # refused before the index is looked up: no hint of what exists
        if wants_html:
            return redirect(f"/+login?next={request.get_full_path()}")
        raise Unauthorized(f"no permission to read {what}")
    if index is not None:
        index = selectors.index_get(user, index)
    # an index's trail also needs the right to read the index: an owner whose
    # index inherits from a private base they cannot read sees neither
    if not permissions.may_read_audit(actor, index) or (
        index is not None and not permissions.may_read(actor, index)
    ):
        raise Forbidden(f"no permission to read {what}")
    query = request.GET
    page = audit_events(
        index=index.fullname if index is not None else None,
        action=query.get("action") or None,
        user=query.get("user") or None,
        page=query.get("page"),
        size=query.get("size"),
    )
    events = [event_json(e) for e in page.events]
    if wants_html:
        for event in events:
            event["detail_text"] = json.dumps(event["detail"], indent=1, sort_keys=True)
    next_url = _page_url(request, page.page + 1) if page.has_next else None
    if wants_html:
        return render(
            request,
            "indexes/audit.html",
            {
                "index": index,
                "events": events,
                "page": page,
                "next_url": next_url,
                "prev_url": _page_url(request, page.page - 1) if page.page > 1 else None,
                "actions": ACTIONS,
                "action": query.get("action", ""),
                "user_filter": query.get("user", ""),
            },
        )
    response = api_response(200, type="auditlog", result=events)
    if next_url:
        response["Link"] = f'<{next_url}>; rel="next"'
    return response


def root_audit(request):
    return _serve(request)


def index_audit(request, user, index):
    return _serve(request, user=user, index=index)
