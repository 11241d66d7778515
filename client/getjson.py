"""``getjson``: devpi's JSON for a path, read from the database through the
same selectors the JSON API uses (no HTTP)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from indexes import selectors
from indexes.errors import Invalid, NotFound

SHAPES = "/, /USER, /USER/INDEX, /USER/INDEX/PROJECT or /USER/INDEX/PROJECT/VERSION"


def resolve_path(path_or_url: str, current_index: str | None) -> tuple[list[str], dict]:
    """Path segments from the server root, and the query."""
    parts = urlsplit(path_or_url)
    path = parts.path
    if not path_or_url.startswith(("http://", "https://")) and not path.startswith("/"):
        if current_index is None:
            raise Invalid("cannot use a relative path without a current index")
        path = f"/{current_index}/{path}"
    segments = [s for s in path.split("/") if s]
    return segments, parse_qs(parts.query, keep_blank_values=True)


def getjson(
    path_or_url: str, *, current_index: str | None, base_url: str, reader=selectors.EVERYTHING
) -> dict:
    """``reader``: who acts (``--as``); what it may not read is left out of
    listings and refused (``selectors.index_readable``), as over HTTP."""
    segments, query = resolve_path(path_or_url, current_index)
    if len(segments) > 4 or any(s.startswith("+") for s in segments):
        raise Invalid(f"getjson shows {SHAPES}, not {path_or_url!r}")
    if not segments:
        return {"type": "list:userconfig", "result": selectors.users_configs(reader)}
    if len(segments) == 1:
        return {
            "type": "userconfig",
            "result": selectors.user_config(selectors.user_get(segments[0]), reader=reader),
        }
    index = selectors.index_readable(selectors.index_get(segments[0], segments[1]), reader)
    if len(segments) == 2:
        result = selectors.index_config(index)
        if "no_projects" not in query:
            result["projects"] = selectors.index_project_names(index)
        return {"type": "indexconfig", "result": result}
    versions = selectors.project_versions(
        index, segments[2], base_url, ignore_bases="ignore_bases" in query
    )
    if len(segments) == 3:
        return {"type": "projectconfig", "result": versions}
    if segments[3] not in versions:
        raise NotFound(f"The version {segments[3]} of project {segments[2]} does not exist.")
    return {"type": "versiondata", "result": versions[segments[3]]}
