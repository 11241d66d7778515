"""The one HTTP client for every request the server makes to another host
(mirror pages, mirror files, a mirror's project list, external push).

- **Egress guard.** A connection is opened only to an address that was
  checked: the host name is resolved once, every answer is checked, and the
  socket connects to the checked address (no second lookup, so no DNS
  rebinding gap). Loopback, private, link-local, unique-local, multicast,
  shared, reserved and unspecified addresses (IPv4 and IPv6, also when
  wrapped in an IPv4-mapped, 6to4 or NAT64 address) are refused unless
  ``DEVPI_ALLOW_PRIVATE_UPSTREAMS`` lists the host name, the address or a
  network holding it (``*``: everything). Redirects open new connections
  through the same check. Proxies from the environment and ``.netrc`` are
  not used (``trust_env`` off): a proxy would resolve the target itself.
- **Total deadline.** Every fetch has a deadline for the whole exchange, not
  per read: each socket wait is at most the time left, and the time is
  checked between reads, so a peer trickling a byte at a time is cut off.
- **Byte cap.** A body larger than the caller's cap is refused, by its
  ``Content-Length`` before anything is read, else when the cap is passed.

Errors are ``OutboundError`` subclasses carrying the HTTP status the server
answers with (502, or 504 on a timeout); their messages name the URL and
the reason, never the peer's body.

Inside: ``errors`` (the exceptions), ``guard`` (the address rules and URL
checks), ``connections`` (guarded sockets and sessions), ``fetching`` (the
deadline and the cap). Callers use the names exported here.
"""

from .connections import new_session, session
from .errors import EgressRefused, FetchTimeout, FetchTooLarge, OutboundError
from .fetching import CHUNK, Deadline, Fetch, fetch
from .guard import (
    SETTING,
    Allowance,
    check_address,
    check_url,
    current_allowance,
    parse_allowance,
    refusal_reason,
    resolve_checked,
)

__all__ = [
    "CHUNK",
    "SETTING",
    "Allowance",
    "Deadline",
    "EgressRefused",
    "Fetch",
    "FetchTimeout",
    "FetchTooLarge",
    "OutboundError",
    "check_address",
    "check_url",
    "current_allowance",
    "fetch",
    "new_session",
    "parse_allowance",
    "refusal_reason",
    "resolve_checked",
    "session",
]
