"""Pushing a release: to another index of this server (``release_push``,
``internal``) or to an external index through the legacy upload API
(``release_push_external``, ``external``), as devpi's ``POST``/``PUSH`` on
``/<user>/<index>`` does. ``options`` checks the request's JSON body;
``content`` selects what a push takes from the source.

Both answer devpi's actionlog: a list of ``[status, action, ...]`` lines.
"""

from .content import ReleaseContent, release_content
from .external import ExternalPushFailed, StreamingMultipart, release_push_external
from .internal import release_push
from .options import PushOptions, docs_selection_check, push_options

__all__ = [
    "ExternalPushFailed",
    "PushOptions",
    "ReleaseContent",
    "StreamingMultipart",
    "docs_selection_check",
    "push_options",
    "release_content",
    "release_push",
    "release_push_external",
]
