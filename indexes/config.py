"""Index configuration: the one validation path for the JSON API, the web UI
and ``manage.py devpi``.

Pure functions: they take the current config and the requested changes and
return the full new config, or raise ``Invalid`` with devpi's messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from . import outbound
from .distribution.names import normalize_name, split_index_name
from .errors import Invalid

ANONYMOUS = ":ANONYMOUS:"
AUTHENTICATED = ":AUTHENTICATED:"

COMMON_KEYS = ("volatile", "title", "description", "custom_data", "acl_read")
STAGE_KEYS = COMMON_KEYS + (
    "bases",
    "acl_upload",
    "acl_toxresult_upload",
    "mirror_whitelist",
    "mirror_whitelist_inheritance",
)
MIRROR_KEYS = COMMON_KEYS + (
    "mirror_url",
    "mirror_cache_expiry",
    "mirror_no_project_list",
    "mirror_use_external_urls",
    "mirror_ignore_serial_header",
    "mirror_web_url_fmt",
)
KEYS = {"stage": STAGE_KEYS, "mirror": MIRROR_KEYS}
LIST_KEYS = ("bases", "acl_upload", "acl_toxresult_upload", "mirror_whitelist", "acl_read")
# acl_read: who may read an index (absent: everyone, as devpi); at most this many entries
MAX_ACL_ENTRIES = 200
_GROUP = re.compile(r":[A-Za-z0-9][A-Za-z0-9._@-]{0,149}:")
DEFAULT_MIRROR_CACHE_EXPIRY = 1800

# what a key that is not stored means (devpi's indexes have no acl_read)
IMPLICIT = {"acl_read": [ANONYMOUS]}

# get_bases("user/index") -> that index's bases, or None when it does not exist
BasesLookup = Callable[[str], "list[str] | None"]


def default_config(index_type: str, owner: str) -> dict[str, Any]:
    if index_type == "stage":
        return {
            "volatile": True,
            "bases": [],
            "acl_upload": [owner],
            "acl_toxresult_upload": [ANONYMOUS],
            "mirror_whitelist": [],
            "mirror_whitelist_inheritance": "intersection",
        }
    if index_type == "mirror":
        return {"volatile": True, "mirror_cache_expiry": DEFAULT_MIRROR_CACHE_EXPIRY}
    raise Invalid(f"unknown index type {index_type!r}")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value.strip().lower() in ("false", "no"):
            return False
        if value.strip().lower() in ("true", "yes"):
            return True
    raise Invalid(f"Unknown boolean value {value!r}.")


def to_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        if not all(isinstance(v, str) for v in value):
            raise Invalid(f"Unknown list value {value!r}.")
        return [v.strip() for v in value if v.strip()]
    if isinstance(value, str):
        return [x.strip() for x in value.split(",") if x.strip()]
    raise Invalid(f"Unknown list value {value!r}.")


def to_acl(value: Any) -> list[str]:
    result, seen = [], set()
    for name in to_list(value):
        if name.upper() in (ANONYMOUS, AUTHENTICATED):
            name = name.upper()
        if name not in seen:
            seen.add(name)
            result.append(name)
    return result


def to_read_acl(value: Any) -> list[str]:
    """``acl_read``: user names, ``:group:`` names, ``:ANONYMOUS:`` (everyone)
    or ``:AUTHENTICATED:`` (any logged-in user). An empty list leaves the
    owner and root. Malformed entries are refused, naming each."""
    from .distribution.names import is_valid_user_or_index_name

    size = (
        len(value)
        if isinstance(value, (list, tuple))
        else (value.count(",") + 1 if isinstance(value, str) else 0)
    )
    if size > 4 * MAX_ACL_ENTRIES:  # refused before any work on a huge value
        raise Invalid(f"'acl_read' may have at most {MAX_ACL_ENTRIES} entries")
    names = to_acl(value)
    if len(names) > MAX_ACL_ENTRIES:
        raise Invalid(f"'acl_read' may have at most {MAX_ACL_ENTRIES} entries")
    bad = [
        name
        for name in names
        if name not in (ANONYMOUS, AUTHENTICATED)
        and not _GROUP.fullmatch(name)
        and (name.startswith(":") or not is_valid_user_or_index_name(name))
    ]
    if bad:
        raise Invalid(
            "'acl_read' entries must be user names, :group: names, "
            f":ANONYMOUS: or :AUTHENTICATED:, not {', '.join(map(repr, bad[:5]))}"
        )
    return names


def to_text(key: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"'{key}' must be a string")
    return value


def normalize_value(key: str, value: Any) -> Any:
    if key in (
        "volatile",
        "mirror_no_project_list",
        "mirror_use_external_urls",
        "mirror_ignore_serial_header",
    ):
        return to_bool(value)
    if key == "bases":
        return to_list(value)
    if key in ("acl_upload", "acl_toxresult_upload"):
        return to_acl(value)
    if key == "acl_read":
        return to_read_acl(value)
    if key == "mirror_whitelist":
        names = []
        for name in to_list(value):
            name = name if name == "*" else normalize_name(name)
            if name not in names:
                names.append(name)
        return names
    if key == "mirror_whitelist_inheritance":
        value = to_text(key, value).lower()
        if value not in ("intersection", "union"):
            raise Invalid(
                f"Unknown value '{value}' for mirror_whitelist_inheritance, "
                "must be 'intersection' or 'union'."
            )
        return value
    if key == "mirror_url":
        value = to_text(key, value).strip()
        if not value.startswith(("http://", "https://")):
            raise Invalid("'mirror_url' option must be a URL.")
        try:
            outbound.check_url(value)
        except outbound.EgressRefused as exc:
            raise Invalid(f"'mirror_url' {exc.message}") from None
        return value
    if key == "mirror_cache_expiry":
        if isinstance(value, bool):
            raise Invalid("'mirror_cache_expiry' option must be an integer")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise Invalid("'mirror_cache_expiry' option must be an integer") from None
        if number < 0:
            raise Invalid("'mirror_cache_expiry' option must not be negative")
        return number
    if key in ("title", "description", "mirror_web_url_fmt"):
        return to_text(key, value)
    if key == "custom_data":
        return value
    raise Invalid(f"indexconfig got unexpected keyword arguments: {key}={value}")


def apply_operations(current: dict[str, Any], operations: Iterable[Any]) -> dict[str, Any]:
    """devpi-client's key/value operations: ``k=v``, ``k+=v``, ``k-=v``, ``k-=``."""
    config = {k: (list(v) if isinstance(v, list) else v) for k, v in current.items()}
    for item in operations:
        if not isinstance(item, str) or "=" not in item:
            raise Invalid(
                f"invalid operation {item!r}, expected key=value, key+=value or key-=value"
            )
        key, _, value = item.partition("=")
        if key.endswith("+"):
            key = key[:-1]
            values = config.get(key, list(IMPLICIT.get(key, [])))
            if not isinstance(values, list):
                raise Invalid(f"The '{key}' setting is not a list")
            for v in to_list(value):
                if v not in values:
                    values.append(v)
            config[key] = values
        elif key.endswith("-"):
            key = key[:-1]
            if value == "":
                config.pop(key, None)
                continue
            values = config.get(key, list(IMPLICIT.get(key, [])))
            if not isinstance(values, list) or value not in values:
                raise Invalid(f"The '{key}' setting doesn't have value '{value}'")
            values.remove(value)
            config[key] = values
        else:
            config[key] = value
    return config


def build_config(
    *,
    index_type: str,
    owner: str,
    fullname: str,
    current: dict[str, Any] | None,
    requested: dict[str, Any],
    get_bases: BasesLookup,
) -> dict[str, Any]:
    """Validate ``requested`` over ``current`` (None: a new index).

    Returns the complete config to store (without ``type``).
    """
    if not isinstance(requested, dict):
        raise Invalid("index config must be a JSON object")
    requested = dict(requested)
    requested.pop("projects", None)  # read-only, devpi ignores it too
    requested_type = requested.pop("type", index_type)
    if requested_type != index_type:
        if current is None:
            raise Invalid(f"unknown index type {requested_type!r}")
        raise Invalid("the 'type' of an index can't be changed")
    allowed = KEYS[index_type]
    unknown = {k: v for k, v in requested.items() if k not in allowed}
    if unknown:
        raise Invalid(
            "indexconfig got unexpected keyword arguments: "
            + ", ".join(f"{k}={v}" for k, v in sorted(unknown.items()))
        )
    config = dict(default_config(index_type, owner) if current is None else current)
    messages = []
    for key, value in requested.items():
        try:
            config[key] = normalize_value(key, value)
        except Invalid as exc:
            messages.append(exc.message)
    if messages:
        raise Invalid(", ".join(messages))
    if index_type == "stage":
        config["bases"] = validate_bases(fullname, config.get("bases", []), get_bases)
    for key in ("title", "description", "mirror_web_url_fmt"):
        if config.get(key) == "":
            config.pop(key)
    return config


def validate_bases(fullname: str, bases: list[str], get_bases: BasesLookup) -> list[str]:
    messages, result = [], []
    for base in bases:
        parts = split_index_name(base)
        if parts is None:
            messages.append(f"invalid base index spec: {base!r}")
            continue
        name = "/".join(parts)
        if name == fullname:
            messages.append(f"index {fullname!r} cannot be its own base")
        elif get_bases(name) is None:
            messages.append(f"base index {name!r} does not exist")
        elif name not in result:
            result.append(name)
    if messages:
        raise Invalid(", ".join(messages))
    # refuse cycles: walk the bases of the bases and never meet ourselves
    seen, todo = set(), list(result)
    while todo:
        name = todo.pop()
        if name == fullname:
            raise Invalid(f"bases of {fullname!r} would form a cycle")
        if name in seen:
            continue
        seen.add(name)
        todo.extend(get_bases(name) or [])
    return result
