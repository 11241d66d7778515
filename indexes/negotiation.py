"""Content negotiation with q-values (RFC 9110).

The offer order only breaks ties: devpi's order is text/html, then
application/json, then the PEP 691 JSON type. No ``Accept`` or ``*/*`` gets
the first offer.
"""

from __future__ import annotations

import re
from functools import lru_cache

HTML = "text/html"
JSON = "application/json"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
_ALIASES = {
    "application/vnd.pypi.simple.latest+json": SIMPLE_JSON,
    "application/vnd.pypi.simple.latest+html": SIMPLE_HTML,
}


@lru_cache(maxsize=512)
def parse_accept(header: str) -> tuple[tuple[str, float], ...]:
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        media = _ALIASES.get(media, media)
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return tuple(ranges)


def _quality(offer: str, ranges) -> float:
    best_specificity, best_q = -1, 0.0
    main = offer.split("/")[0]
    for media, q in ranges:
        if media == offer:
            specificity = 2
        elif media == f"{main}/*":
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_q = specificity, q
    return best_q


@lru_cache(maxsize=1024)
def choose(accept: str | None, offers: tuple[str, ...]) -> str | None:
    """The best offer for an Accept header; None when none is acceptable."""
    if not accept or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best, best_q = None, 0.0
    for offer in offers:
        q = _quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best


def prefers_json(accept: str | None) -> bool:
    """devpi's test for an API client: errors then come as JSON."""
    return bool(accept and "application/json" in accept)


INSTALLER_USER_AGENT = re.compile(r"([^ ]* )*(distribute|setuptools|pip|pex|uv)/")


@lru_cache(maxsize=256)
def installer_agent(user_agent: str) -> bool:
    """pip, uv and their kin by User-Agent (kept per User-Agent)."""
    return bool(INSTALLER_USER_AGENT.match(user_agent))


def is_installer(request) -> bool:
    """pip, uv and their kin: at a URL that serves the web UI too, they get
    the simple page (devpi's rule)."""
    return installer_agent(request.META.get("HTTP_USER_AGENT", ""))
