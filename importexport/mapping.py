"""devpi-server's records <-> devpi-django's: users and their password
hashes, index configs, release metadata, timestamps. Pure functions, no
database access."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from indexes import config as index_config

# -- passwords --------------------------------------------------------------

ARGON2_PREFIX = "argon2"  # Django's Argon2PasswordHasher: "argon2" + the PHC string
LEGACY_PREFIX = "devpi_sha256"  # indexes.hashers.DevpiSaltedSHA256PasswordHasher


@dataclass(frozen=True)
class PasswordMapping:
    encoded: str | None  # a Django password value; None: no usable password
    problem: str | None  # why the user must be given a new password


def password_from_devpi(userconfig: dict) -> PasswordMapping:
    """A devpi user's ``pwhash`` (and ``pwsalt``) as a Django password value.

    devpi-server 4.2 and later: passlib's argon2 PHC string
    (``$argon2id$v=19$m=..,t=..,p=..$salt$hash``), which is Django's argon2
    format without its ``argon2`` prefix. Before: ``pwsalt`` plus a hex
    sha256 of salt + password, verified by ``indexes.hashers``.
    """
    pwhash, pwsalt = userconfig.get("pwhash"), userconfig.get("pwsalt")
    if not pwhash:
        return PasswordMapping(None, "no password hash in the export")
    if not isinstance(pwhash, str) or (pwsalt is not None and not isinstance(pwsalt, str)):
        return PasswordMapping(None, "malformed password hash")
    if pwsalt:
        return _legacy(pwsalt, pwhash)
    if pwhash.startswith(("$argon2id$", "$argon2i$", "$argon2d$")):
        return PasswordMapping(ARGON2_PREFIX + pwhash, None)
    if ":" in pwhash:  # passlib's devpi scheme wrote "salt:hash"
        salt, _, digest = pwhash.partition(":")
        return _legacy(salt, digest)
    scheme = pwhash.split("$")[1] if pwhash.startswith("$") and pwhash.count("$") > 1 else "unknown"
    return PasswordMapping(None, f"password hash scheme {scheme!r} cannot be verified here")


def _legacy(salt: str, digest: str) -> PasswordMapping:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()) or "$" in salt:
        return PasswordMapping(None, "malformed salted sha256 password hash")
    return PasswordMapping(f"{LEGACY_PREFIX}${salt}${digest.lower()}", None)


def unknown_password_hash() -> str:
    """devpi's ``pwhash`` for a password nobody knows: argon2id of a random
    secret, so devpi-import never creates the user with an empty password."""
    import secrets

    from indexes.hashers import DevpiArgon2PasswordHasher

    hasher = DevpiArgon2PasswordHasher()
    return hasher.encode(secrets.token_urlsafe(32), hasher.salt())[len(ARGON2_PREFIX) :]


def password_to_devpi(encoded: str) -> tuple[dict[str, str], str | None]:
    """A Django password value as devpi's user keys: an argon2 hash as it is;
    anything devpi-server (argon2 only, since 6.16) cannot verify becomes a
    random argon2 hash, with the reason (the user needs ``devpi-passwd``).
    Never no hash: devpi-import would give such a user an empty password."""
    if not encoded or encoded.startswith("!"):
        return {"pwhash": unknown_password_hash()}, "has no usable password"
    algorithm = encoded.split("$", 1)[0]
    if algorithm == ARGON2_PREFIX and encoded.startswith(ARGON2_PREFIX + "$argon2"):
        return {"pwhash": encoded[len(ARGON2_PREFIX) :]}, None
    return {"pwhash": unknown_password_hash()}, (
        f"password hash scheme {algorithm!r} cannot be verified by devpi-server "
        "(it verifies argon2 only)"
    )


# -- users ------------------------------------------------------------------

USER_PROFILE_KEYS = ("email", "title", "description", "custom_data")
# keys of devpi's userconfig that are not profile data
USER_KNOWN_KEYS = frozenset(
    USER_PROFILE_KEYS
    + ("username", "pwhash", "pwsalt", "password", "created", "modified", "indexes")
)


def user_fields_from_devpi(userconfig: dict) -> tuple[dict[str, Any], list[str]]:
    """(profile fields, unknown keys) of a devpi userconfig."""
    fields = {
        "email": _text(userconfig.get("email")),
        "title": _text(userconfig.get("title")),
        "description": _text(userconfig.get("description")),
        "custom_data": userconfig.get("custom_data"),
    }
    unknown = sorted(k for k in userconfig if k not in USER_KNOWN_KEYS)
    return fields, unknown


def _text(value) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


# -- index configs ----------------------------------------------------------


@dataclass(frozen=True)
class SkippedKey:
    key: str
    value: Any
    reason: str


def index_config_from_devpi(indexconfig: dict) -> tuple[dict[str, Any], list[SkippedKey]]:
    """An exported ``indexconfig`` as a request for ``indexes.config``:
    old names renamed as devpi-import does, keys of devpi plugins (or of
    none we know) left out and listed."""
    config = dict(indexconfig)
    index_type = config.get("type", "stage")
    skipped: list[SkippedKey] = []
    if "pypi_whitelist" in config:  # renamed in devpi-server 3.0
        whitelist = config.pop("pypi_whitelist")
        config.setdefault("mirror_whitelist", whitelist)
    if "uploadtrigger_jenkins" in config and not config["uploadtrigger_jenkins"]:
        del config["uploadtrigger_jenkins"]  # never used: devpi-import drops it too
    config.pop("projects", None)
    if index_type == "mirror" and "bases" in config:
        bases = config.pop("bases")  # old devpi-server versions gave mirrors bases
        if bases:
            skipped.append(SkippedKey("bases", bases, "mirror indexes have no bases"))
    allowed = index_config.KEYS.get(index_type)
    if allowed is None:
        return {"type": index_type}, []
    requested = {"type": index_type}
    for key, value in config.items():
        if key == "type":
            continue
        if key not in allowed:
            skipped.append(SkippedKey(key, value, "not a devpi-server option (a plugin's?)"))
            continue
        requested[key] = value
    return requested, skipped


def index_config_to_devpi(index_type: str, config: dict) -> dict[str, Any]:
    return {**config, "type": index_type}


# -- release metadata -------------------------------------------------------


@dataclass(frozen=True)
class ReleaseData:
    name: str
    version: str
    metadata: dict[str, Any]
    yanked: bool
    yanked_reason: str


def release_from_devpi(versiondata: dict, *, project: str, version: str) -> ReleaseData:
    """devpi's versiondata (metadata keys; no ``+`` keys in a dump)."""
    metadata = {
        k: v
        for k, v in versiondata.items()
        if not k.startswith("+") and k not in (":action", "yanked")
    }
    given = metadata.get("name")
    name = given if isinstance(given, str) and given else project
    metadata["name"] = name
    metadata["version"] = version
    yanked = versiondata.get("yanked")
    return ReleaseData(
        name=name,
        version=version,
        metadata=metadata,
        yanked=bool(yanked),
        yanked_reason=yanked if isinstance(yanked, str) else "",
    )


def release_to_devpi(
    *, display_name: str, version: str, metadata: dict, yanked: bool, yanked_reason: str
) -> dict[str, Any]:
    data = {k: v for k, v in metadata.items() if not k.startswith("+")}
    if not data.get("name"):
        data["name"] = display_name
    data["version"] = version
    if yanked:
        data["yanked"] = yanked_reason or True
    return data


# -- timestamps -------------------------------------------------------------


def parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


def parse_iso(value: str | None) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def log_time(log: list | None, what: str = "upload") -> datetime | None:
    """The time of the first ``what`` entry of a devpi file log."""
    for entry in log or []:
        when = entry.get("when") if isinstance(entry, dict) else None
        if entry.get("what") == what and isinstance(when, list) and len(when) == 6:
            try:
                return datetime.fromtimestamp(
                    calendar.timegm(tuple(int(x) for x in when) + (0, 0, 0)), UTC
                )
            except (TypeError, ValueError, OverflowError):
                return None
    return None


def log_who(log: list | None, what: str = "upload") -> str:
    for entry in log or []:
        if isinstance(entry, dict) and entry.get("what") == what:
            who = entry.get("who")
            return who if isinstance(who, str) else ""
    return ""


def import_log_entry(index: str) -> dict:
    """The log devpi-import gives a file whose dump has none."""
    return {"what": "upload", "who": "<import>", "when": list(time.gmtime()[:6]), "dst": index}
