"""What an import or export did: counts per kind of object, what was
skipped and why, and the users whose passwords could not be carried over."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

KINDS = ("users", "indexes", "projects", "releases", "release files", "tox results", "doc zips")


@dataclass(frozen=True)
class Skipped:
    what: str  # "user alice", "packages/stable: simpy-1.0.tar.gz", ...
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass
class ImportReport:
    path: str
    dumpversion: str = ""
    source_version: str | None = None  # devpi-server version that wrote the export
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    kept: list[Skipped] = field(default_factory=list)  # differs from the export; left as is
    password_resets: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def skip(self, what: str, reason: str) -> None:
        self.skipped.append(Skipped(what, reason))

    def lines(self) -> list[str]:
        source = f"devpi-server {self.source_version}, " if self.source_version else ""
        lines = [f"import of {self.path} ({source}dumpversion {self.dumpversion}):"]
        for kind in KINDS:
            parts = [
                f"{counter[kind]} {label}"
                for counter, label in (
                    (self.created, "created"),
                    (self.updated, "updated"),
                    (self.unchanged, "already there"),
                )
                if counter[kind]
            ]
            if parts:
                lines.append(f"  {kind}: " + ", ".join(parts))
        if not self.changed:
            lines.append("  nothing changed: everything in the export was already here")
        _section(lines, "skipped", self.skipped)
        _section(lines, "kept as they are here (they differ from the export)", self.kept)
        _section(
            lines, "users who need a new password (set_unusable_password)", self.password_resets
        )
        lines.extend(f"  note: {note}" for note in self.notes)
        return lines


@dataclass
class ExportReport:
    path: str
    exported: Counter = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    password_resets: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, what: str, reason: str) -> None:
        self.skipped.append(Skipped(what, reason))

    def lines(self) -> list[str]:
        lines = [f"export to {self.path}:"]
        for kind in KINDS:
            if self.exported[kind]:
                lines.append(f"  {kind}: {self.exported[kind]}")
        _section(lines, "skipped", self.skipped)
        _section(
            lines,
            "users exported with a random password (set theirs with devpi-passwd USER)",
            self.password_resets,
        )
        lines.extend(f"  note: {note}" for note in self.notes)
        return lines


def _section(lines: list[str], title: str, items: list[Skipped]) -> None:
    if items:
        lines.append(f"  {title} ({len(items)}):")
        lines.extend(f"    - {item}" for item in items)
