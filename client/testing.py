"""``test``: fetch a release's files from the server over HTTP, run tox on
the sdist (and on universal wheels, with the sdist's tox configuration),
with the index as ``PIP_INDEX_URL``, and post each JSON report to its
file's URL, where devpi keeps tox results."""

from __future__ import annotations

import configparser
import re
import shutil
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import requests

from indexes.distribution.archives import MAX_MEMBERS
from indexes.distribution.names import normalize_name
from indexes.distribution.zipdirectory import (
    MAX_DIRECTORY_BYTES,
    ZipDirectoryError,
    ZipDirectoryTooLarge,
    check_zip_directory,
)
from indexes.errors import BadGateway, Invalid, NotFound

from .specs import Spec, newest_first

TIMEOUT = 120
SDIST_SUFFIXES = (".tar.gz", ".tgz", ".zip")
# what `devpi test` unpacks of one release file, at most
MAX_UNPACK_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class Link:
    href: str

    @property
    def basename(self) -> str:
        return PurePosixPath(urlsplit(self.href).path).name


class Http:
    """JSON requests to the server as the acting user."""

    def __init__(self, headers: dict[str, str]):
        self.session = requests.Session()
        self.session.headers.update(headers)

    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise BadGateway(f"cannot reach {url}: {exc}") from None

    def get_json(self, url: str) -> dict:
        r = self._request("GET", url, headers={"Accept": "application/json"})
        if r.status_code == 404:
            raise NotFound(f"GET {url}: 404 {message_of(r)}")
        if r.status_code != 200:
            raise BadGateway(f"GET {url}: {r.status_code} {message_of(r)}")
        return r.json()

    def download(self, url: str, dest: Path) -> Path:
        r = self._request("GET", url, stream=True)
        if r.status_code != 200:
            raise BadGateway(f"could not receive {url}: {r.status_code} {message_of(r)}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "wb") as fh:
            for chunk in r.iter_content(1024 * 1024):
                fh.write(chunk)
        return dest

    def post_json(self, url: str, body: bytes) -> requests.Response:
        return self._request(
            "POST",
            url,
            data=body,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )


def message_of(r: requests.Response) -> str:
    try:
        return str(r.json().get("message") or r.reason)
    except ValueError:
        return r.reason or ""


def matching_release(http: Http, index_url: str, spec: Spec) -> tuple[str, list[Link]]:
    """The newest version matching ``spec`` and its release file links."""
    data = http.get_json(f"{index_url}/{spec.project}")
    versions = data.get("result") or {}
    for version in newest_first(versions):
        if spec.matches(version):
            links = [
                Link(link["href"])
                for link in versions[version].get("+links", [])
                if link.get("rel") == "releasefile"
            ]
            if links:
                return version, links
    raise NotFound(f"could not find/receive links for {spec.name}{spec.specifier}")


def select_links(links: list[Link], select: str | None) -> tuple[list[Link], list[Link], list[str]]:
    """(sdists, wheels, warnings): every sdist; universal wheels, or with
    ``select`` (a regular expression) the wheels it matches."""
    sdists, wheels, warnings = [], [], []
    pattern = re.compile(select) if select else None
    for link in links:
        name = link.basename
        if name.endswith(SDIST_SUFFIXES):
            sdists.append(link)
        elif name.endswith(".whl"):
            if pattern is not None:
                if pattern.search(name):
                    wheels.append(link)
            elif name.endswith("py2.py3-none-any.whl"):
                wheels.append(link)
            else:
                warnings.append(
                    f"only universal wheels are tested without --select, skipping {name}"
                )
    if not sdists:
        raise Invalid("need at least one sdist distribution (its tox configuration is used)")
    if pattern is not None:
        sdists = [link for link in sdists if pattern.search(link.basename)] or sdists[:1]
    return sdists, wheels, warnings


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def unpack(
    archive: Path, dest: Path, *, max_members: int = MAX_MEMBERS, max_bytes: int = MAX_UNPACK_BYTES
) -> Path:
    """Unpack an sdist (or wheel) fetched from the index, within bounds: at
    most ``max_members`` entries and ``max_bytes`` unpacked (declared sizes,
    which zipfile and tarfile never exceed), safe paths only."""
    dest.mkdir(parents=True, exist_ok=False)
    name = archive.name.lower()
    too_large = f"{archive.name} unpacks to more than the limit of {max_bytes} bytes"
    try:
        if name.endswith((".zip", ".whl")):
            with open(archive, "rb") as fh:
                try:
                    check_zip_directory(fh, max_entries=max_members, max_bytes=MAX_DIRECTORY_BYTES)
                except ZipDirectoryTooLarge as exc:
                    raise Invalid(f"cannot unpack {archive.name}: {exc}") from None
            with zipfile.ZipFile(archive) as zf:
                bad = [m for m in zf.namelist() if not _safe_member(m)]
                if bad:
                    raise Invalid(f"{archive.name}: unsafe member {bad[0]!r}")
                if sum(info.file_size for info in zf.infolist()) > max_bytes:
                    raise Invalid(too_large)
                zf.extractall(dest)
        else:
            # member by member as the headers come: nothing is inflated past the limits
            with tarfile.open(archive, mode="r:*") as tf:
                total = 0
                for count, member in enumerate(tf, start=1):
                    total += max(member.size, 0)
                    if count > max_members:
                        raise Invalid(
                            f"cannot unpack {archive.name}: more than the limit of "
                            f"{max_members} members"
                        )
                    if total > max_bytes:
                        raise Invalid(too_large)
                    tf.extract(member, dest, filter="data")
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, ZipDirectoryError) as exc:
        raise Invalid(f"cannot unpack {archive.name}: {exc}") from None
    return dest


def package_dir(unpacked: Path, project: str, version: str) -> Path:
    """The ``NAME-VERSION`` directory of an unpacked sdist."""
    wanted = normalize_name(project)
    dirs = [p for p in unpacked.iterdir() if p.is_dir()]
    for d in dirs:
        name, _, ver = d.name.rpartition("-")
        if normalize_name(name) == wanted and ver == version:
            return d
    if len(dirs) == 1:
        return dirs[0]
    raise Invalid(f"couldn't find the unpacked package {project}-{version} in {unpacked}")


def _has_section(path: Path, section: str) -> bool:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return False
    return parser.has_section(section)


def tox_config(package: Path, *, explicit: str | None = None, fallback: str | None = None) -> Path:
    """tox.ini, pyproject.toml with [tool.tox], setup.cfg with [tox:tox], else
    the fallback (a path, or a name inside the package)."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise NotFound(f"tox configuration {explicit} does not exist")
        return path
    if (package / "tox.ini").is_file():
        return package / "tox.ini"
    pyproject = package / "pyproject.toml"
    if pyproject.is_file():
        try:
            if "tox" in tomllib.loads(pyproject.read_text()).get("tool", {}):
                return pyproject
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            pass
    if (package / "setup.cfg").is_file() and _has_section(package / "setup.cfg", "tox:tox"):
        return package / "setup.cfg"
    if fallback:
        for candidate in (Path(fallback), package / fallback):
            if candidate.is_file():
                return candidate
    raise NotFound(f"no tox.ini/pyproject.toml/setup.cfg file found in {package}")


def find_tox() -> str | None:
    """tox next to this Python (the server's venv), else on PATH."""
    beside = Path(sys.executable).parent / "tox"
    if beside.is_file():
        return str(beside)
    return shutil.which("tox")


def tox_command(
    tox: str,
    *,
    installpkg: Path,
    report: Path,
    config: Path,
    envname: str | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    cmd = [
        tox,
        "--installpkg",
        str(installpkg),
        "--recreate",
        "--result-json",
        str(report),
        "-c",
        str(config),
    ]
    if envname:
        cmd.extend(["-e", envname])
    cmd.extend(extra or [])
    return cmd
