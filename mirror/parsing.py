"""Upstream simple pages -> plain link dicts. PEP 691 JSON preferred, PEP 503
HTML understood (with PEP 592, 658/714 and ``requires-python``)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from indexes.distribution.filenames import (
    LEGACY_SUFFIXES,
    SDIST_SUFFIXES,
    InvalidFilename,
    check_plain_filename,
    parse_filename,
)

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


class MalformedPage(ValueError):
    pass


def _version_of(filename: str) -> str:
    try:
        return parse_filename(filename).version
    except InvalidFilename:
        return ""


def _link(
    filename: str,
    url: str,
    sha256: str,
    requires_python: str,
    yanked,
    core_metadata,
    size=None,
    upload_time=None,
) -> dict:
    if yanked is True or yanked == "":
        yanked_flag, reason = True, ""
    elif isinstance(yanked, str):
        yanked_flag, reason = True, yanked
    else:
        yanked_flag, reason = False, ""
    cm_sha256 = ""
    if isinstance(core_metadata, dict):
        cm_sha256 = str(core_metadata.get("sha256", "")).lower()
    elif isinstance(core_metadata, str) and core_metadata.startswith("sha256="):
        cm_sha256 = core_metadata[len("sha256=") :].lower()
    return {
        "filename": filename,
        "url": url,
        "sha256": sha256.lower(),
        "requires_python": requires_python or "",
        "yanked": yanked_flag,
        "yanked_reason": reason,
        "core_metadata_sha256": cm_sha256,
        "size": size if isinstance(size, int) else None,
        "upload_time": upload_time if isinstance(upload_time, str) else None,
        "version": _version_of(filename),
    }


# an upstream page is untrusted: hashes must be hex of their algorithm's
# length, file names distribution file names, URLs http(s), attribute values
# short and printable (they are escaped when rendered, too)
HASH_LENGTHS = {
    "md5": 32,
    "sha1": 40,
    "sha224": 56,
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
    "blake2b": 128,
    "blake2s": 64,
    "sha3_256": 64,
    "sha3_512": 128,
}
_HEX = re.compile(r"[0-9a-fA-F]+")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._+!~-]+")
MAX_ATTRIBUTE = 1024


def hash_ok(algorithm: str, value: object) -> bool:
    """Hex, no longer than a known algorithm's digest (unknown algorithms:
    False). Shorter hex is kept, as devpi keeps it (devpi-client's own suite
    lists a link with ``#sha256=1234`` under ``+f/123/4/``): only hex
    characters ever reach a page or a path, and such a file never passes
    verification, so it is never stored or served."""
    length = HASH_LENGTHS.get(str(algorithm).lower())
    return (
        length is not None
        and isinstance(value, str)
        and 0 < len(value) <= length
        and _HEX.fullmatch(value) is not None
    )


def _safe_filename(filename: str) -> bool:
    """A distribution file name: one that ``parse_filename`` takes, or an
    older one with a known suffix and plain characters."""
    try:
        check_plain_filename(filename)
    except InvalidFilename:
        return False
    try:
        parse_filename(filename)
        return True
    except InvalidFilename:
        pass
    return (
        filename.lower().endswith(SDIST_SUFFIXES + LEGACY_SUFFIXES + (".whl",))
        and _PLAIN_NAME.fullmatch(filename) is not None
    )


def _attribute(value) -> str:
    """An attribute value kept: a printable string, at most MAX_ATTRIBUTE long."""
    if not isinstance(value, str) or len(value) > MAX_ATTRIBUTE:
        return ""
    return value if value.isprintable() else ""


def _checked(link: dict) -> dict | None:
    """The link when it is acceptable, cleaned; None when it is refused."""
    if not link["url"].startswith(("http://", "https://")):
        return None
    if link["sha256"] and not hash_ok("sha256", link["sha256"]):
        return None
    if link["core_metadata_sha256"] and not hash_ok("sha256", link["core_metadata_sha256"]):
        link["core_metadata_sha256"] = ""
    link["requires_python"] = _attribute(link["requires_python"])
    link["yanked_reason"] = _attribute(link["yanked_reason"])
    if link["upload_time"] is not None and (
        len(link["upload_time"]) > 64 or not link["upload_time"].isprintable()
    ):
        link["upload_time"] = None
    if link["size"] is not None and link["size"] < 0:
        link["size"] = None
    return link


def _all_checked(links: list[dict]) -> list[dict]:
    return [checked for checked in map(_checked, links) if checked is not None]


def parse_project_json(body: bytes, page_url: str) -> list[dict]:
    try:
        data = json.loads(body)
        files = data["files"]
        if not isinstance(files, list):
            raise TypeError("files is not a list")
        links = []
        for item in files:
            filename = item["filename"]
            url = urljoin(page_url, item["url"])
            hashes = item.get("hashes") or {}
            if not isinstance(filename, str) or not _safe_filename(filename):
                continue
            if not isinstance(hashes, dict) or not all(
                hash_ok(algorithm, value)
                for algorithm, value in hashes.items()
                if str(algorithm).lower() in HASH_LENGTHS
            ):
                continue
            links.append(
                _link(
                    filename,
                    urldefrag(url)[0],
                    str(hashes.get("sha256", "")),
                    item.get("requires-python") or "",
                    item.get("yanked", False),
                    item.get("core-metadata", item.get("dist-info-metadata")),
                    item.get("size"),
                    item.get("upload-time"),
                )
            )
        return links
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise MalformedPage(f"malformed PEP 691 page: {exc}") from None


class _AnchorParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict, str]] = []
        self._current: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._current = dict(attrs)
            self._text = []

    def handle_data(self, data):
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._current is not None:
            self.anchors.append((self._current, "".join(self._text).strip()))
            self._current = None


def parse_project_html(body: bytes, page_url: str) -> list[dict]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPage("page is not UTF-8") from None
    if "<" not in text:
        return []  # as pip and devpi: whatever the content type, no anchors is no files
    parser = _AnchorParser()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # HTMLParser raises little, but be safe on garbage
        raise MalformedPage(f"malformed HTML page: {exc}") from None
    links = []
    for attrs, _text in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        try:
            url, fragment = urldefrag(urljoin(page_url, href))
            filename = unquote(
                urlsplit(url).path.rsplit("/", 1)[-1]
            )  # pkg-1%212017.4 -> pkg-1!2017.4
        except ValueError:  # e.g. "Invalid IPv6 URL": not a link we can follow
            continue
        if not _safe_filename(filename):
            continue
        algorithm, _, value = fragment.partition("=")
        if fragment and algorithm.lower() in HASH_LENGTHS and not hash_ok(algorithm, value):
            continue
        sha256 = value if algorithm.lower() == "sha256" else ""
        yanked = attrs.get("data-yanked", False)
        if yanked is None:
            yanked = True
        core = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        links.append(
            _link(filename, url, sha256, attrs.get("data-requires-python") or "", yanked, core)
        )
    return links


def parse_project_page(body: bytes, content_type: str, page_url: str) -> list[dict]:
    if content_type.split(";")[0].strip().lower() == SIMPLE_JSON:
        return _all_checked(parse_project_json(body, page_url))
    return _all_checked(parse_project_html(body, page_url))


def parse_project_list(body: bytes, content_type: str) -> list[str]:
    """Names of an upstream's root simple page, not normalised."""
    if content_type.split(";")[0].strip().lower() == SIMPLE_JSON:
        try:
            return [p["name"] for p in json.loads(body)["projects"] if isinstance(p["name"], str)]
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise MalformedPage(f"malformed PEP 691 project list: {exc}") from None
    parser = _AnchorParser()
    parser.feed(body.decode("utf-8", "replace"))
    return [text for _attrs, text in parser.anchors if text]
