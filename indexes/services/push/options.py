"""A push request: devpi's JSON body checked into ``PushOptions``, and the
rule on which parts of a release a push takes (``docs_selection_check``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

from ...errors import Invalid

INTERNAL_KEYS = {"targetindex"}
EXTERNAL_KEYS = {"posturl", "username", "password", "register_project"}


def docs_selection_check(
    *, no_docs: bool, only_docs: bool, names: tuple[str, str] = ("no_docs", "only_docs")
) -> None:
    """A push takes the files and docs, the files only (``no_docs``) or the
    docs only (``only_docs``): never both flags. ``names``: the flags as the
    asker spelled them, for the message."""
    if no_docs and only_docs:
        raise Invalid(f"can't use {names[0]!r} and {names[1]!r} together")


@dataclass(frozen=True)
class PushOptions:
    """A push request's JSON body, checked."""

    name: str
    version: str
    targetindex: str | None = None
    posturl: str | None = None
    username: str | None = None
    password: str | None = None
    register_project: bool = False
    no_docs: bool = False
    only_docs: bool = False


@overload
def _text(data: dict, key: str) -> str: ...


@overload
def _text(data: dict, key: str, *, required: bool) -> str | None: ...


def _text(data: dict, key: str, *, required: bool = True) -> str | None:
    value = data.pop(key, None)
    if value is None:
        if required:
            raise Invalid(f"push request has no {key!r}")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(f"{key!r} of a push request must be a non-empty string")
    return value.strip() if key in ("name", "version", "targetindex", "posturl") else value


def _flag(data: dict, key: str) -> bool:
    value = data.pop(key, False)
    if not isinstance(value, bool):
        raise Invalid(f"{key!r} of a push request must be true or false")
    return value


def push_options(body: object) -> PushOptions:
    """Check devpi's push body: ``{"name", "version", "targetindex",
    "no_docs"?, "only_docs"?}`` or the external form ``{"name", "version",
    "posturl", "username", "password", "register_project"?, ...}``."""
    if not isinstance(body, dict):
        raise Invalid("Bad request: expected a JSON object")
    data = dict(body)
    name, version = _text(data, "name"), _text(data, "version")
    no_docs, only_docs = _flag(data, "no_docs"), _flag(data, "only_docs")
    docs_selection_check(no_docs=no_docs, only_docs=only_docs)
    if "targetindex" in data:
        targetindex = _text(data, "targetindex")
        _refuse_unknown(data)
        return PushOptions(
            name, version, targetindex=targetindex, no_docs=no_docs, only_docs=only_docs
        )
    if "posturl" not in data:
        _refuse_unknown({k: v for k, v in data.items() if k not in EXTERNAL_KEYS})
        raise Invalid("push request has neither 'targetindex' nor 'posturl'")
    posturl = _text(data, "posturl")
    username = _text(data, "username")
    password = _text(data, "password", required=False)
    if password is None:
        raise Invalid("push request has no 'password'")
    register_project = _flag(data, "register_project")
    _refuse_unknown(data)
    return PushOptions(
        name,
        version,
        posturl=posturl,
        username=username,
        password=password,
        register_project=register_project,
        no_docs=no_docs,
        only_docs=only_docs,
    )


def _refuse_unknown(data: dict) -> None:
    if data:
        raise Invalid(f"unknown additional options: {', '.join(sorted(data))}")
