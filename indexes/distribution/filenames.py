"""Release file names: what a filename says about its project and version.

Wheels and sdists are parsed by ``packaging``; the legacy formats devpi accepts
(eggs, bdist_dumb archives, Windows installers, old sdists that ``packaging``
rejects) fall back to a conservative split on the known version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar")
LEGACY_SUFFIXES = (".egg", ".exe", ".msi", ".rpm", ".dmg", ".deb")


class InvalidFilename(ValueError):
    pass


@dataclass(frozen=True)
class DistFilename:
    filename: str
    packagetype: str  # bdist_wheel, sdist, bdist_egg, bdist_dumb, bdist_wininst, bdist_msi, ...
    project: str  # normalised
    version: str  # as spelled in the filename
    pyversion: str  # "source", "py3", "cp311", ...


def check_plain_filename(filename: str) -> None:
    """Refuse names that could escape a directory or confuse a URL."""
    if not filename or filename in (".", "..") or len(filename) > 255:
        raise InvalidFilename(f"invalid filename {filename!r}")
    if any(c in filename for c in "/\\\x00") or filename.startswith("."):
        raise InvalidFilename(f"filename {filename!r} must not contain path components")
    if any(ord(c) < 32 for c in filename):
        raise InvalidFilename(f"filename {filename!r} contains control characters")


def versions_equal(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False


def parse_filename(filename: str, version_hint: str | None = None) -> DistFilename:
    """Parse a release file name; ``version_hint`` helps with legacy names."""
    check_plain_filename(filename)
    lower = filename.lower()
    if lower.endswith(".whl"):
        try:
            name, version, _build, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename as exc:
            raise InvalidFilename(f"invalid wheel filename {filename!r}: {exc}") from None
        pyversions = sorted({tag.interpreter for tag in tags})
        return DistFilename(
            filename,
            "bdist_wheel",
            name,
            str(_spelled_version(filename, version)),
            ".".join(pyversions),
        )
    if lower.endswith((".tar.gz", ".zip")) and not _looks_like_bdist_dumb(filename):
        try:
            name, version = parse_sdist_filename(filename)
            return DistFilename(
                filename, "sdist", name, _spelled_version(filename, version), "source"
            )
        except (InvalidSdistFilename, InvalidVersion):
            pass  # an old name packaging refuses: the legacy rules below decide
    return _parse_legacy(filename, version_hint)


def _spelled_version(filename: str, version: Version) -> str:
    """The version as written in the file name when it normalises equal.

    A wheel's version is its second dash-separated part; an sdist's is what
    follows the last dash of the name without its suffix (``foo-1-1.0.tar.gz``
    is version ``1.0`` of ``foo-1``, whatever ``1`` compares equal to)."""
    lower = filename.lower()
    if lower.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        spelled = parts[1] if len(parts) > 1 else ""
    else:
        stem = filename
        for suffix in (".tar.gz", ".zip"):
            if lower.endswith(suffix):
                stem = filename[: -len(suffix)]
                break
        spelled = stem.rpartition("-")[2]
    if spelled and versions_equal(spelled, str(version)):
        return spelled
    return str(version)


def _looks_like_bdist_dumb(filename: str) -> bool:
    # name-1.0.linux-x86_64.tar.gz / .zip
    return bool(re.search(r"\.(linux|win|macosx|cygwin|freebsd)[-_.\w]*\.(tar\.gz|zip)$", filename))


def _ends_version(rest: str) -> bool:
    """Whether ``rest`` may follow a complete version in a legacy name:
    nothing, ``-py2.7``, or a platform (``.linux-x86_64``), but not ``.0``
    (``pkg-1.0`` does not contain version ``1``)."""
    if not rest:
        return True
    if rest[0] == "-":
        return True
    return rest[0] == "." and not rest[1:2].isdigit()


def _parse_legacy(filename: str, version_hint: str | None) -> DistFilename:
    lower = filename.lower()
    if lower.endswith(".egg"):
        packagetype, stem = "bdist_egg", filename[:-4]
    elif lower.endswith(".exe"):
        packagetype, stem = "bdist_wininst", filename[:-4]
    elif lower.endswith(".msi"):
        packagetype, stem = "bdist_msi", filename[:-4]
    elif lower.endswith((".rpm", ".dmg", ".deb")):
        packagetype, stem = "bdist_" + lower.rsplit(".", 1)[1], filename.rsplit(".", 1)[0]
    elif _looks_like_bdist_dumb(filename):
        packagetype = "bdist_dumb"
        stem = filename[: -len(".tar.gz")] if lower.endswith(".tar.gz") else filename[:-4]
    else:
        for suffix in SDIST_SUFFIXES:
            if lower.endswith(suffix):
                packagetype, stem = "sdist", filename[: -len(suffix)]
                break
        else:
            raise InvalidFilename(f"unsupported file type: {filename!r}")
    if not version_hint:
        raise InvalidFilename(f"cannot determine the version of {filename!r}")
    marker = f"-{version_hint}"
    # the first "-<version>" that ends the version part (a name may itself
    # contain "-<version>" followed by more name: "my-1pkg-1.egg")
    pos = stem.find(marker)
    while pos > 0 and not _ends_version(stem[pos + len(marker) :]):
        pos = stem.find(marker, pos + 1)
    if pos <= 0:
        raise InvalidFilename(f"filename {filename!r} does not contain version {version_hint!r}")
    name = stem[:pos]
    rest = stem[pos + len(marker) :]
    pyversion = "source" if packagetype == "sdist" else "any"
    m = re.search(r"-py(\d[\d.]*)", rest)
    if m:
        pyversion = m.group(1)
    return DistFilename(filename, packagetype, canonicalize_name(name), version_hint, pyversion)
