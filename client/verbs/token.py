"""``manage.py devpi token``: create, list or revoke API tokens through
``services.tokens`` (which decides who may)."""

from __future__ import annotations

import argparse
from typing import Any

from indexes import selectors
from indexes.errors import Invalid
from indexes.services import tokens as token_services

from ..console import Console, Verb

SUMMARY = "create, list or revoke API tokens (scoped passwords for CI) of the --as user"
DESCRIPTION = (
    "API tokens of the --as user: 'create' prints the secret once; 'list' shows them "
    "without secrets (root: of any --user); 'revoke ID' ends one."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["create", "list", "revoke"])
    parser.add_argument("token_id", nargs="?", metavar="ID", help="the token to revoke")
    parser.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        default=None,
        choices=["read", "upload", "toxresult"],
        help="a scope of the new token (repeat for several; at least one)",
    )
    parser.add_argument(
        "--index",
        dest="token_indexes",
        action="append",
        default=None,
        metavar="USER/NAME",
        help="an index the new token may be used on (repeat; default: all)",
    )
    parser.add_argument(
        "--expires",
        type=int,
        default=None,
        metavar="SECONDS",
        help="the new token expires after this many seconds (default: never)",
    )
    parser.add_argument("--description", default="", help="what the new token is for")
    parser.add_argument(
        "--user",
        dest="token_user",
        default=None,
        help="list or revoke the tokens of this user (root; default: --as)",
    )


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    owner_name = options["token_user"] or actor.username
    if options["action"] == "create":
        # a token is made for the acting user: --user names anyone else only to be refused
        token_services.check_token_create(actor=actor, owner_name=owner_name)
        data: dict[str, Any] = {
            "description": options["description"],
            "scopes": options["scopes"] or [],
        }
        if options["token_indexes"]:
            data["indexes"] = options["token_indexes"]
        if options["expires"] is not None:
            data["expires"] = options["expires"]
        token, secret = token_services.api_token_create(owner=actor, data=data, actor=actor)
        out.line(
            f"token created: {token.public_id} (user {actor.username}, scopes "
            f"{','.join(token.scopes)}, indexes "
            f"{','.join(token.indexes) if token.indexes else 'all'})"
        )
        out.line("the token is shown only this once:")
        out.line(secret)
        return
    # refused before the user is looked up, as over HTTP
    token_services.check_token_manage(actor=actor, owner_name=owner_name)
    owner = selectors.user_get(owner_name)
    if options["action"] == "list":
        for t in token_services.api_tokens_list(owner=owner, actor=actor):
            out.line(
                f"{t['id']} {t['state']} scopes={','.join(t['scopes'])} indexes="
                f"{','.join(t['indexes']) if t['indexes'] else 'all'} "
                f"expires={t['expires'] or 'never'} {t['description']}".rstrip()
            )
        return
    if not options["token_id"]:
        raise Invalid("need the id of the token to revoke")
    token = token_services.api_token_revoke(owner=owner, token_id=options["token_id"], actor=actor)
    out.line(f"token revoked: {token.public_id}")


VERB = Verb("token", SUMMARY, DESCRIPTION, add_arguments, run)
