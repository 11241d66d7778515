"""Simple page data: plain values, rendered by ``indexes.simple.render``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SimpleFile:
    filename: str
    path: str  # from the server root: "user/index/+f/abc/def.../name.whl", or an absolute URL
    sha256: str
    size: int | None
    upload_time: str | None
    requires_python: str = ""
    yanked: bool = False
    yanked_reason: str = ""
    core_metadata_sha256: str = ""
    version: str = ""

    @property
    def is_absolute(self) -> bool:
        return self.path.startswith(("http://", "https://"))


@dataclass(frozen=True)
class SimpleProjectPage:
    name: str  # normalised
    files: list[SimpleFile]
    versions: list[str] = field(default_factory=list)
    stale: bool = False
    mirror_expiry: int | None = None  # seconds, when mirror files are on the page
    status: str = ""  # PEP 792 project status, "" when none is set (active)
    status_reason: str = ""


@dataclass
class KindPage:
    """What a non-stage index (a mirror) shows for one project."""

    name: str
    files: list[SimpleFile]
    versions: list[str] = field(default_factory=list)
    stale: bool = False  # served from cache because the upstream failed
