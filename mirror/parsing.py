"""Upstream simple pages -> plain link dicts. PEP 691 JSON preferred, PEP 503
HTML understood (with PEP 592, 658/714 and ``requires-python``)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from indexes.distribution.filenames import InvalidFilename, parse_filename

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


class MalformedPage(ValueError):
    pass


def _version_of(filename: str) -> str:
    try:
        return parse_filename(filename).version
    except InvalidFilename:
        return ""


def _link(filename: str, url: str, sha256: str, requires_python: str, yanked,
          core_metadata, size=None, upload_time=None) -> dict:
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
        cm_sha256 = core_metadata[len("sha256="):].lower()
    return {
        "filename": filename, "url": url, "sha256": sha256.lower(),
        "requires_python": requires_python or "", "yanked": yanked_flag,
        "yanked_reason": reason, "core_metadata_sha256": cm_sha256,
        "size": size if isinstance(size, int) else None,
        "upload_time": upload_time if isinstance(upload_time, str) else None,
        "version": _version_of(filename),
    }


def _safe_filename(filename: str) -> bool:
    return bool(filename) and "/" not in filename and "\\" not in filename and filename not in (
        ".", "..")


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
            links.append(_link(
                filename, urldefrag(url)[0], str(hashes.get("sha256", "")),
                item.get("requires-python") or "", item.get("yanked", False),
                item.get("core-metadata", item.get("dist-info-metadata")),
                item.get("size"), item.get("upload-time")))
        return links
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
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
        url, fragment = urldefrag(urljoin(page_url, href))
        filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])  # pkg-1%212017.4 -> pkg-1!2017.4
        if not _safe_filename(filename):
            continue
        sha256 = fragment[len("sha256="):] if fragment.startswith("sha256=") else ""
        yanked = attrs["data-yanked"] if "data-yanked" in attrs else False
        if yanked is None:
            yanked = True
        core = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        links.append(_link(filename, url, sha256, attrs.get("data-requires-python") or "",
                           yanked, core))
    return links


def parse_project_page(body: bytes, content_type: str, page_url: str) -> list[dict]:
    if content_type.split(";")[0].strip().lower() == SIMPLE_JSON:
        return parse_project_json(body, page_url)
    return parse_project_html(body, page_url)


def parse_project_list(body: bytes, content_type: str) -> list[str]:
    """Names of an upstream's root simple page, not normalised."""
    if content_type.split(";")[0].strip().lower() == SIMPLE_JSON:
        try:
            return [p["name"] for p in json.loads(body)["projects"] if isinstance(p["name"], str)]
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedPage(f"malformed PEP 691 project list: {exc}") from None
    parser = _AnchorParser()
    parser.feed(body.decode("utf-8", "replace"))
    return [text for _attrs, text in parser.anchors if text]
