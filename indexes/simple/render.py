"""Rendering of simple pages: PEP 503 HTML (with PEP 592, 629, 658/714
attributes) and PEP 691 JSON (with PEP 700's versions, size, upload-time),
and PEP 792's project status markers (repository version 1.4)."""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import quote

from ..negotiation import SIMPLE_JSON
from .data import SimpleFile, SimpleProjectPage

API_VERSION = "1.4"  # PEP 792 raised it to 1.4


def _href(root_prefix: str, file: SimpleFile) -> str:
    if file.is_absolute:
        return file.path
    return root_prefix + quote(file.path, safe="/+")


def project_html(page: SimpleProjectPage, root_prefix: str) -> str:
    out = [
        "<!DOCTYPE html>\n<html>\n  <head>\n",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n',
    ]
    if page.status:
        out.append(f'    <meta name="pypi:project-status" content="{escape(page.status)}">\n')
        if page.status_reason:
            out.append(
                f'    <meta name="pypi:project-status-reason" '
                f'content="{escape(page.status_reason)}">\n'
            )
    out += [
        f"    <title>Links for {escape(page.name)}</title>\n  </head>\n  <body>\n",
        f"    <h1>Links for {escape(page.name)}</h1>\n",
    ]
    for f in page.files:
        # every value is escaped, whatever its source (a mirror's page is
        # untrusted even after parsing checked it)
        href = escape(_href(root_prefix, f))
        attrs = [f'href="{href}#sha256={escape(f.sha256)}"' if f.sha256 else f'href="{href}"']
        if f.requires_python:
            attrs.append(f'data-requires-python="{escape(f.requires_python)}"')
        if f.yanked:
            attrs.append(f'data-yanked="{escape(f.yanked_reason)}"')
        if f.core_metadata_sha256:
            digest = escape(f.core_metadata_sha256)
            attrs.append(f'data-core-metadata="sha256={digest}"')
            attrs.append(f'data-dist-info-metadata="sha256={digest}"')
        out.append(f"    <a {' '.join(attrs)}>{escape(f.filename)}</a><br>\n")
    out.append("  </body>\n</html>\n")
    return "".join(out)


def project_json(page: SimpleProjectPage, root_prefix: str) -> str:
    files = []
    for f in page.files:
        entry: dict[str, Any] = {
            "filename": f.filename,
            "url": _href(root_prefix, f),
            "hashes": {"sha256": f.sha256},
            "yanked": (f.yanked_reason or True) if f.yanked else False,
        }
        if f.size is not None:
            entry["size"] = f.size
        if f.upload_time:
            entry["upload-time"] = f.upload_time
        if f.requires_python:
            entry["requires-python"] = f.requires_python
        if f.core_metadata_sha256:
            meta = {"sha256": f.core_metadata_sha256}
            entry["core-metadata"] = meta
            entry["dist-info-metadata"] = meta
        files.append(entry)
    data: dict[str, Any] = {
        "meta": {"api-version": API_VERSION},
        "name": page.name,
        "versions": page.versions,
        "files": files,
    }
    if page.status:
        data["project-status"] = {"status": page.status}
        if page.status_reason:
            data["project-status"]["reason"] = page.status_reason
    return json.dumps(data)


def index_html(names: list[str], root_prefix: str, index_fullname: str) -> str:
    out = [
        "<!DOCTYPE html>\n<html>\n  <head>\n",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n',
        f"    <title>Simple index of {escape(index_fullname)}</title>\n  </head>\n  <body>\n",
    ]
    base = f"{root_prefix}{quote(index_fullname)}/+simple/"
    out.extend(f'    <a href="{base}{quote(n)}/">{escape(n)}</a><br>\n' for n in names)
    out.append("  </body>\n</html>\n")
    return "".join(out)


def index_json(names: list[str]) -> str:
    return json.dumps(
        {"meta": {"api-version": API_VERSION}, "projects": [{"name": n} for n in names]}
    )


class ProjectRender:
    """A project page to render as the negotiated type (the data of
    ``indexes.rest.renderers``' simple renderers)."""

    __slots__ = ("page", "root_prefix")

    def __init__(self, page: SimpleProjectPage, root_prefix: str) -> None:
        self.page, self.root_prefix = page, root_prefix

    def render(self, media_type: str) -> str:
        if media_type == SIMPLE_JSON:
            return project_json(self.page, self.root_prefix)
        return project_html(self.page, self.root_prefix)


class IndexRender:
    """An index's project list to render as the negotiated type."""

    __slots__ = ("index_fullname", "names", "root_prefix")

    def __init__(self, names: list[str], root_prefix: str, index_fullname: str) -> None:
        self.names, self.root_prefix, self.index_fullname = names, root_prefix, index_fullname

    def render(self, media_type: str) -> str:
        if media_type == SIMPLE_JSON:
            return index_json(self.names)
        return index_html(self.names, self.root_prefix, self.index_fullname)
