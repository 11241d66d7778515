"""API tokens over devpi's JSON API: ``POST``/``GET /<user>/+tokens`` and
``GET``/``DELETE /<user>/+tokens/<id>``. The web UI's forms are in
``indexes.views.web`` (the settings page)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt

from .. import permissions, selectors
from ..auth import request_user
from ..errors import MethodNotAllowed
from ..negotiation import HTML, JSON, choose
from ..services import tokens
from ..wire import api_response
from .common import read_json_object, require


@csrf_exempt
def tokens_view(request, user):
    actor = request_user(request)
    if request.method == "POST":
        require(
            permissions.may_create_token(actor, user),
            request,
            f"no permission to create tokens for user {user}",
        )
        owner = selectors.user_get(user)
        token, secret = tokens.api_token_create(
            owner=owner, data=read_json_object(request), actor=actor
        )
        return api_response(
            201,
            f"token {token.public_id} created: the secret is shown only this once",
            type="apitoken",
            result={**tokens.token_summary(token), "token": secret},
        )
    if request.method in ("GET", "HEAD"):
        if choose(request.META.get("HTTP_ACCEPT"), (HTML, JSON)) == HTML:
            return redirect(f"/{user}/+settings#tokens")  # browsers manage tokens there
        require(
            permissions.may_manage_tokens(actor, user),
            request,
            f"no permission to list the tokens of user {user}",
        )
        owner = selectors.user_get(user)
        return api_response(
            200, type="list:apitoken", result=tokens.api_tokens_list(owner=owner, actor=actor)
        )
    raise MethodNotAllowed(f"method {request.method} not allowed here")


@csrf_exempt
def token_view(request, user, token_id):
    actor = request_user(request)
    if request.method not in ("GET", "HEAD", "DELETE"):
        raise MethodNotAllowed(f"method {request.method} not allowed here")
    require(
        permissions.may_manage_tokens(actor, user),
        request,
        f"no permission to manage the tokens of user {user}",
    )
    owner = selectors.user_get(user)
    if request.method == "DELETE":
        token = tokens.api_token_revoke(owner=owner, token_id=token_id, actor=actor)
        return api_response(
            200,
            f"token {token.public_id} revoked",
            type="apitoken",
            result=tokens.token_summary(token),
        )
    token = tokens.api_token_get(owner=owner, token_id=token_id)
    return api_response(200, type="apitoken", result=tokens.token_summary(token))
