"""Extension points for apps that attach things to release files.

``indexes`` never imports those apps (``toxresults`` imports ``indexes``,
never the reverse); they register here from their ``AppConfig.ready()``:

- a *file POST handler*: what a ``POST`` to a release file's ``+f`` URL does
  (devpi-client's ``devpi test`` posts its tox report there);
- *file servers*: answer ``GET``/``HEAD`` of ``+f`` paths that are not release
  files (a tox result's own URL);
- *link providers*: extra ``+links`` entries of release files in the version
  JSON (``rel: toxresult``, with ``for_href`` naming the release file);
- *push hooks*: run inside the push transaction after a release file was
  copied to another index; they return their lines of the push actionlog;
- *status providers*: test results of release files, as summaries for the
  web pages and as ``devpi list -t`` lines.

Registrations are keyed by a name, so registering again replaces (Django
may call ``ready()`` more than once in tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from .models import Index, ReleaseFile

    FilePostHandler = Callable[[HttpRequest, Index, ReleaseFile], HttpResponse]
    FileServer = Callable[[HttpRequest, Index, str], "HttpResponse | None"]
    # ({release file id: its href}, files by id, base URL) -> {release file id: [link dicts]}
    LinkProvider = Callable[[dict[int, str], dict[int, ReleaseFile], str], dict[int, list[dict]]]
    # (source file, target file, acting user) -> actionlog lines
    PushHook = Callable[..., list[list]]
    # summaries(file_ids=[...]) -> {file id: [summaries]}; lines(file) -> [str]
    StatusSummaries = Callable[..., dict[int, list]]
    StatusLines = Callable[[ReleaseFile], list[str]]

_file_post_handlers: dict[str, FilePostHandler] = {}
_file_servers: dict[str, FileServer] = {}
_link_providers: dict[str, LinkProvider] = {}
_push_hooks: dict[str, PushHook] = {}
_status_providers: dict[str, tuple[StatusSummaries, StatusLines]] = {}


def register_file_post_handler(name: str, handler: FilePostHandler) -> None:
    """The handler of ``POST`` to a release file's URL. Only one may be
    registered: a POST means one thing."""
    others = set(_file_post_handlers) - {name}
    if others:
        raise RuntimeError(f"a file POST handler is already registered: {sorted(others)}")
    _file_post_handlers[name] = handler


def register_file_server(name: str, server: FileServer) -> None:
    _file_servers[name] = server


def register_link_provider(name: str, provider: LinkProvider) -> None:
    _link_providers[name] = provider


def register_push_hook(name: str, hook: PushHook) -> None:
    _push_hooks[name] = hook


def register_status_provider(name: str, summaries: StatusSummaries, lines: StatusLines) -> None:
    _status_providers[name] = (summaries, lines)


def unregister(name: str) -> None:
    """Remove every registration under ``name`` (tests)."""
    for table in (
        _file_post_handlers,
        _file_servers,
        _link_providers,
        _push_hooks,
        _status_providers,
    ):
        table.pop(name, None)


# -- used by the index core -----------------------------------------------------


def file_post_handler() -> FilePostHandler | None:
    return next(iter(_file_post_handlers.values()), None)


def serve_other_file(request, index, path: str):
    """The first registered server's response for ``+f/<path>``, or None."""
    for server in _file_servers.values():
        response = server(request, index, path)
        if response is not None:
            return response
    return None


def extra_links(
    hrefs: dict[int, str], files: dict[int, ReleaseFile], base_url: str
) -> dict[int, list[dict]]:
    """Extra ``+links`` per release file id, from every provider."""
    result: dict[int, list[dict]] = {}
    if not hrefs:
        return result
    for provider in _link_providers.values():
        for file_id, links in provider(hrefs, files, base_url).items():
            result.setdefault(file_id, []).extend(links)
    return result


def run_push_hooks(*, source_file, target_file, user) -> list[list]:
    lines: list[list] = []
    for hook in _push_hooks.values():
        lines.extend(hook(source_file=source_file, target_file=target_file, user=user))
    return lines


def file_status_summaries(file_ids: list[int]) -> dict[int, list]:
    """Test result summaries per release file id, from every provider."""
    result: dict[int, list] = {}
    for summaries, _lines in _status_providers.values():
        for file_id, items in summaries(file_ids=file_ids).items():
            result.setdefault(file_id, []).extend(items)
    return result


def file_status_lines(file: ReleaseFile) -> list[str]:
    """``devpi list -t`` lines of a release file, from every provider."""
    return [str(line) for _summaries, lines in _status_providers.values() for line in lines(file)]
