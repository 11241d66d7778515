"""The errors of outbound fetches: each carries the HTTP status the server
answers with; its message names the URL and the reason, never the peer's body."""

from __future__ import annotations


class OutboundError(Exception):
    """A fetch failed; ``status`` is what the server answers (502 or 504)."""

    status = 502

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EgressRefused(OutboundError):
    """The destination is an address the egress guard refuses."""


class FetchTimeout(OutboundError):
    status = 504


class FetchTooLarge(OutboundError):
    pass
