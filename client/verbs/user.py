"""``manage.py devpi user``: create, modify, delete, list or show users.
``services.users`` decides who may."""

from __future__ import annotations

import argparse
from typing import Any

from indexes import selectors
from indexes.errors import Invalid
from indexes.services import users as user_services

from ..console import Console, Verb
from ..keyvalues import keyvalue_dict, split_name_and_keyvalues
from ..server import server_url
from ..show import user_config_lines

SUMMARY = "create, modify, delete, list or show users"
DESCRIPTION = (
    "Without options show a user (default: the --as user). key=value items: password, "
    "email, title, description."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-c", "--create", action="store_true", help="create a user")
    group.add_argument("--delete", action="store_true", help="delete a user")
    group.add_argument("-m", "--modify", action="store_true", help="modify a user")
    group.add_argument("-l", "--list", action="store_true", help="list user names")
    parser.add_argument(
        "-y", dest="yes", action="store_true", help="assume 'yes' on confirmation questions"
    )
    parser.add_argument("username", nargs="?", help="user name")
    parser.add_argument(
        "keyvalues",
        nargs="*",
        metavar="key=value",
        help="configuration items, e.g. password=... email=...",
    )


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    name, items = split_name_and_keyvalues(options["username"], options["keyvalues"])
    if options["list"]:
        for username in sorted(selectors.users_configs()):
            out.line(username)
        return
    if options["create"] or options["delete"]:
        if not name:
            raise Invalid("need to specify a username")
        if options["create"]:
            user_services.user_create(username=name, data=keyvalue_dict(items), actor=actor)
            out.line(f"user created: {name}")
        else:
            _delete(out, actor, name, items)
    elif options["modify"] or items:
        _modify(out, actor, name or actor.username, items)
    else:
        name = name or actor.username
        user = selectors.user_get(name)
        for text in user_config_lines(f"{server_url()}/{name}", selectors.user_config(user)):
            out.line(text)


def _delete(out: Console, actor: Any, name: str, items: list[str]) -> None:
    if items:
        raise Invalid("cannot delete if you specify key=values")
    user = selectors.user_get(name)
    user_services.check_user_delete(actor=actor, username=name)  # refused before asking
    out.confirmed_delete(
        f"{server_url()}/{name}",
        f"user deleted: {name}",
        lambda: user_services.user_delete(user=user, actor=actor),
    )


def _modify(out: Console, actor: Any, name: str, items: list[str]) -> None:
    data = keyvalue_dict(items)
    if not data:
        raise Invalid("nothing to modify: give key=value items")
    user = selectors.user_get(name)
    # refused before the changes are listed
    user_services.check_user_modify(actor=actor, username=name, data=data)
    for key, value in sorted(data.items()):
        shown = "********" if key == "password" else value
        out.line(f"/{name} changing {key}: {shown}")
    user_services.user_modify(user=user, data=data, actor=actor)
    out.line(f"user modified: {name}")


VERB = Verb("user", SUMMARY, DESCRIPTION, add_arguments, run)
