"""A stored file's ``+f`` identity, as devpi's URLs give it: the hash path
``<h[:3]>/<h[3:16]>/<filename>`` of a sha256 and a file name, the path
``<user>/<index>/+f/<hash path>`` from the server root, and both read back.

Release files, doczips, mirrored files and tox results (in their release
file's hash directory) all live under it. Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

MARKER = "/+f/"


@dataclass(frozen=True)
class HashPath:
    """A parsed hash path: the first 16 hex digits of the sha256 that it
    shows (a prefix to match stored digests against) and the file name."""

    prefix: str
    filename: str


def hash_path(sha256: str, filename: str) -> str:
    """``<h[:3]>/<h[3:16]>/<filename>``: the path after ``+f/``."""
    return f"{sha256[:3]}/{sha256[3:16]}/{filename}"


def file_path(index_fullname: str, sha256: str, filename: str) -> str:
    """``<user>/<index>/+f/<h[:3]>/<h[3:16]>/<filename>``, from the server root
    (one call: simple pages build it for every file)."""
    return f"{index_fullname}/+f/{sha256[:3]}/{sha256[3:16]}/{filename}"


def parse_hash_path(path: str) -> HashPath | None:
    """The digest prefix and file name of ``<h[:3]>/<h[3:16]>/<filename>``;
    None for anything else."""
    parts = path.split("/")
    if len(parts) != 3 or len(parts[0]) != 3 or len(parts[1]) != 13 or not parts[2]:
        return None
    return HashPath(prefix=parts[0] + parts[1], filename=parts[2])


def split_file_url(url: str) -> tuple[str, str] | None:
    """``.../<user>/<index>/+f/<hash path>`` -> (``user/index``, the hash
    path); None for other URLs (a mirror's external links)."""
    head, sep, path = url.partition(MARKER)
    if not sep:
        return None
    parts = head.rstrip("/").rsplit("/", 2)
    if len(parts) < 3:
        return None
    return f"{parts[1]}/{parts[2]}", path
