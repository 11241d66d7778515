"""Pushing a release to another index or an external index (devpi's
``POST``/``PUSH`` on ``/<user>/<index>`` with a JSON body)."""

from __future__ import annotations

from ..auth import request_user
from ..rest.parsers import body_json
from ..services import push
from ..wire import api_response
from .common import require_read


def push_view(request, index):
    """Pushing copies what the pusher reads: the source's read check first.
    ``request``: DRF's (``IndexView``) or Django's."""
    require_read(request, index)
    options = push.push_options(body_json(request))
    user = request_user(request)
    if options.targetindex is not None:
        actionlog = push.release_push(
            source=index,
            project=options.name,
            version=options.version,
            target=options.targetindex,
            user=user,
            no_docs=options.no_docs,
            only_docs=options.only_docs,
        )
        return api_response(200, type="actionlog", result=actionlog)
    try:
        actionlog = push.release_push_external(
            source=index,
            project=options.name,
            version=options.version,
            posturl=options.posturl,
            username=options.username,
            password=options.password,
            user=user,
            no_docs=options.no_docs,
            only_docs=options.only_docs,
            register_project=options.register_project,
        )
    except push.ExternalPushFailed as exc:
        return api_response(502, exc.message, type="actionlog", result=exc.actionlog)
    return api_response(200, type="actionlog", result=actionlog)
