"""``manage.py devpi index``: create, modify, delete, list or show indexes,
with devpi-client's ``key=value``, ``key+=value`` and ``key-=value`` items.
``services.indexes`` decides who may."""

from __future__ import annotations

import argparse
from typing import Any

from indexes import selectors
from indexes.errors import Invalid
from indexes.models import Index
from indexes.services import indexes as index_services

from .. import current
from ..console import Console, Verb
from ..keyvalues import check_keyvalues, keyvalue_dict, split_name_and_keyvalues
from ..server import index_url
from ..show import index_config_lines

SUMMARY = "create, modify, delete, list or show indexes"
DESCRIPTION = (
    "Without options show an index (default: the current index). 'index NAME key=value "
    "...' modifies it with devpi-client's items: key=value sets, key+=value adds to a "
    "list, key-=value removes from a list, key-= resets to the default. "
    "acl_read=USER,:GROUP: makes an index private (readers: also limited by the bases; "
    "default :ANONYMOUS:)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-c", "--create", action="store_true", help="create an index")
    group.add_argument("--delete", action="store_true", help="delete an index")
    group.add_argument(
        "-m",
        "--modify",
        action="store_true",
        help="modify an index (also without -m when key=value items follow)",
    )
    group.add_argument(
        "-l",
        "--list",
        action="store_true",
        help="list the indexes of a user (NAME, default: the --as user)",
    )
    parser.add_argument(
        "-y", dest="yes", action="store_true", help="assume 'yes' on confirmation questions"
    )
    parser.add_argument(
        "indexname",
        nargs="?",
        metavar="NAME",
        help="index as NAME (of the --as user) or USER/NAME; default: the current index",
    )
    parser.add_argument(
        "keyvalues",
        nargs="*",
        metavar="key=value",
        help="e.g. bases=USER/NAME,... volatile=False acl_upload+=USER",
    )


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    name, items = split_name_and_keyvalues(options["indexname"], options["keyvalues"])
    if options["list"]:
        username = (name or actor.username).strip("/")
        user = selectors.user_get(username)
        for ix in sorted(selectors.user_config(user).get("indexes", {})):
            out.line(f"{username}/{ix}")
        return
    if options["create"] or options["delete"]:
        if not name:
            raise Invalid("need to explicitly specify index for deletion/creation")
        if options["create"]:
            _create(out, actor, name, items)
            return
    index = current.index_for(name, acting=actor.username)
    if options["delete"]:
        if items:
            raise Invalid("cannot delete if you specify key=values")
        index_services.check_index_delete(actor=actor, index=index)  # refused before asking
        url = index_url(index.fullname)
        out.confirmed_delete(
            url,
            f"index deleted: {url}",
            lambda: index_services.index_delete(index=index, actor=actor),
        )
        return
    if options["modify"] or items:
        operations = check_keyvalues(items)
        if not operations:
            raise Invalid("nothing to modify: give key=value, key+=value or key-=value items")
        # refused before the operations are listed
        index_services.check_index_modify(actor=actor, index=index)
        for op in operations:
            out.line(f"/{index.fullname} {op}")
        index = index_services.index_modify(index=index, data=operations, actor=actor)
    show_index(out, index)


def _create(out: Console, actor: Any, name: str, items: list[str]) -> None:
    fullname = current.resolve_index_name(name, acting=actor.username)
    owner_name, _, index_name = fullname.partition("/")
    owner = selectors.user_get(owner_name)
    show_index(
        out,
        index_services.index_create(
            owner=owner, name=index_name, data=keyvalue_dict(items), actor=actor
        ),
    )


def show_index(out: Console, index: Index) -> None:
    for text in index_config_lines(index_url(index.fullname), selectors.index_config(index)):
        out.line(text)


VERB = Verb("index", SUMMARY, DESCRIPTION, add_arguments, run)
