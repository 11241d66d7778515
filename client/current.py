"""The current index of ``manage.py devpi use``, kept in a small JSON file in
the data dir, and how index arguments name an index.

An index argument is ``USER/NAME``, ``/USER/NAME``, ``NAME`` (an index of the
acting user, as devpi-client resolves it against the logged-in user) or a URL
whose path starts with ``/USER/NAME``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from indexes.distribution.names import is_valid_user_or_index_name
from indexes.errors import Invalid
from indexes.models import Index
from indexes.selectors import index_get

STATE_FILENAME = "devpi-use.json"
NO_INDEX = (
    "no current index: choose one with 'manage.py devpi use USER/NAME' or pass --index USER/NAME"
)


def state_path() -> Path:
    return Path(settings.DATA_DIR) / STATE_FILENAME


def read_state() -> dict:
    try:
        data = json.loads(state_path().read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise Invalid(f"cannot read {state_path()}: {exc}") from None
    return data if isinstance(data, dict) else {}


def write_state(data: dict) -> None:
    """Written to a temporary name and renamed, so a reader never sees half."""
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def current_index_name() -> str | None:
    name = read_state().get("index")
    return name if isinstance(name, str) and name else None


def set_current_index(fullname: str | None) -> None:
    data = read_state()
    if fullname is None:
        data.pop("index", None)
    else:
        data["index"] = fullname
    write_state(data)


def forget_state() -> bool:
    """Remove the state file; False when there was none."""
    try:
        state_path().unlink()
    except FileNotFoundError:
        return False
    return True


def index_spec_path(spec: str) -> str:
    """The path part of an index argument: a URL's path, else the argument."""
    if spec.startswith(("http://", "https://")):
        return urlsplit(spec).path
    return spec


def resolve_index_name(spec: str, *, acting: str) -> str:
    """``spec`` as ``user/name``. Raises ``Invalid`` when malformed."""
    path = index_spec_path(spec).strip()
    parts = [p for p in path.strip("/").split("/") if p]
    if spec.startswith(("http://", "https://")):
        parts = parts[:2]  # a URL may go on: /user/index/+simple/, /user/index/project
    if len(parts) == 1 and not path.startswith("/"):
        parts = [acting, parts[0]]
    if len(parts) != 2 or not all(is_valid_user_or_index_name(p) for p in parts):
        raise Invalid(f"index {spec!r} not of form USER/NAME or NAME")
    return "/".join(parts)


def index_for(spec: str | None, *, acting: str) -> Index:
    """The index an argument names, else the current index."""
    name: str | None
    if spec:
        name = resolve_index_name(spec, acting=acting)
    else:
        name = current_index_name()
        if name is None:
            raise Invalid(NO_INDEX)
    user, _, index = name.partition("/")
    return index_get(user, index)
