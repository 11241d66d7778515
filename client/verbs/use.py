"""``manage.py devpi use``: show, set or forget the current index (kept in
the data dir), or list every index."""

from __future__ import annotations

import argparse
from typing import Any

from indexes import selectors
from indexes.errors import Invalid

from .. import current
from ..console import PROG, Console, Verb
from ..server import index_url, server_url, simple_url
from ..show import index_list_line

SUMMARY = "show or set the current index (kept in the data dir)"
DESCRIPTION = (
    "Without arguments show the current index and its URLs. With an index, make it "
    "current. -l lists all indexes."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "url",
        nargs="?",
        metavar="INDEX",
        help="USER/NAME, /USER/NAME, NAME (an index of the --as user) or a URL "
        "of this server; a URL without an index path unsets the current "
        "index",
    )
    parser.add_argument("-l", "--list", action="store_true", help="list all indexes of the server")
    parser.add_argument("-u", "--user", default=None, help="with -l, only the indexes of this user")
    parser.add_argument(
        "--delete", action="store_true", help="forget the current index (remove the state file)"
    )


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    if options["delete"]:
        if not current.forget_state():
            raise Invalid("NO configuration found")
        out.line(f"REMOVED configuration at {current.state_path()}")
        return
    if options["list"]:
        configs = selectors.users_configs()
        if options["user"]:
            configs = {options["user"]: selectors.user_config(selectors.user_get(options["user"]))}
        for user in sorted(configs):
            for name, config in sorted(configs[user].get("indexes", {}).items()):
                out.line(index_list_line(f"{user}/{name}", config))
        return
    spec = options["url"]
    if spec:
        if current.index_spec_path(spec).strip("/") == "":
            current.set_current_index(None)
        else:
            index = current.index_for(spec, acting=actor.username)
            current.set_current_index(index.fullname)
    show_current(out, actor)


def show_current(out: Console, actor: Any) -> None:
    """The current index and its URLs (as ``quickstart`` and ``use`` end)."""
    name = current.current_index_name()
    if name is None:
        out.line(f"using server: {server_url()}/ (acting as {actor.username})")
        out.warn(f"no current index: type 'python {PROG} use -l' to discover indexes")
        return
    index = selectors.index_get_by_fullname(name)
    out.line(f"current devpi index: {index_url(index.fullname)} (acting as {actor.username})")
    out.line(f"{'simpleindex':>19}: {simple_url(index.fullname)}")
    if not index.is_mirror:
        out.line(f"{'pypisubmit':>19}: {index_url(index.fullname)}/")
    out.line(f"{'pip':>19}: pip install -i {simple_url(index.fullname)} PKG")


VERB = Verb("use", SUMMARY, DESCRIPTION, add_arguments, run)
