"""Release specifications: ``NAME``, ``NAME==VERSION`` or any PEP 508
specifier (``'NAME>=1.0'``), and versions sorted newest first."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from indexes.distribution.names import is_valid_project_name, normalize_name
from indexes.distribution.versions import version_key
from indexes.errors import Invalid


@dataclass(frozen=True)
class Spec:
    name: str  # as given
    specifier: SpecifierSet

    @property
    def project(self) -> str:
        return normalize_name(self.name)

    @property
    def has_versions(self) -> bool:
        return bool(str(self.specifier))

    @property
    def exact_version(self) -> str | None:
        specs = list(self.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "==="):
            return specs[0].version
        return None

    def matches(self, version: str) -> bool:
        if not self.has_versions:
            return True
        try:
            return self.specifier.contains(Version(version), prereleases=True)
        except InvalidVersion:
            # a legacy version only matches an exact pin spelled the same
            return version == self.exact_version


def parse_spec(text: str) -> Spec:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        raise Invalid(
            f"invalid release specification {text!r}, expected NAME or NAME==VERSION"
        ) from None
    if req.url or req.marker or req.extras:
        raise Invalid(f"invalid release specification {text!r}, expected NAME or NAME==VERSION")
    return Spec(req.name, req.specifier)


def parse_release(text: str) -> tuple[str, str, bool]:
    """``NAME==VERSION`` (or the old ``NAME-VERSION``) -> (name, version,
    old_style)."""
    if "==" not in text and "-" in text:
        name, _, version = text.rpartition("-")
        if name and is_valid_project_name(name) and version[:1].isdigit():
            return name, version, True
    try:
        spec = parse_spec(text)
    except Invalid:
        spec = None
    if spec is None or spec.exact_version is None:
        raise Invalid("the release specification needs to be of this form: name==version")
    return spec.name, spec.exact_version, False


def newest_first(versions) -> list[str]:
    return sorted(versions, key=version_key, reverse=True)
