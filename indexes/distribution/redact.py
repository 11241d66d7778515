"""Credentials inside URLs (``https://user:secret@host/``), masked for output.

A ``mirror_url`` may carry Basic credentials for its upstream. They are
shown only to the index's owner and root (``indexes.selectors``); in error
messages and logs they are always masked.
"""

from __future__ import annotations

import re

MASK = "****"
# scheme://userinfo@ : userinfo runs up to the last "@" before any "/",
# "?", "#" or white space
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/?#\s]*)@")


def _masked(match: re.Match) -> str:
    user, colon, _secret = match.group("userinfo").partition(":")
    shown = f"{user}:{MASK}" if colon else MASK
    return f"{match.group('scheme')}{shown}@"


def redact_text(text: str) -> str:
    """``text`` with the credentials of every URL in it masked:
    ``https://bob:pw@host/`` -> ``https://bob:****@host/``; a user name
    alone (often a token) is masked whole."""
    if not isinstance(text, str) or "@" not in text:
        return text
    return _USERINFO.sub(_masked, text)
