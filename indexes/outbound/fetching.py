"""Fetches under a total deadline (each socket wait at most the time left,
checked between reads) and a byte cap (by ``Content-Length`` before
reading, else when passed), through this thread's guarded session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

from .connections import session
from .errors import FetchTimeout, FetchTooLarge, OutboundError

CHUNK = 64 * 1024


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def check(self, url: str) -> float:
        left = self.left()
        if left <= 0:
            raise FetchTimeout(f"error timeout ({self.seconds:g} s) getting {url}")
        return left

    def timeout(self, url: str, connect: float = 10.0) -> tuple[float, float]:
        left = self.check(url)
        return (min(connect, left), left)


class Fetch:
    """A response being read under its deadline and byte cap."""

    def __init__(self, response: requests.Response, deadline: Deadline, max_bytes: int, url: str):
        self.response = response
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.requested_url = url
        self.received = 0

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> requests.structures.CaseInsensitiveDict:
        return self.response.headers

    @property
    def url(self) -> str:
        return self.response.url

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> Fetch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def check_length(self) -> None:
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            self.close()
            raise FetchTooLarge(
                f"error too large ({length} bytes, at most {self.max_bytes}) "
                f"getting {self.requested_url}"
            )

    def iter_chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The body as it arrives, raising ``FetchTimeout`` past the deadline
        and ``FetchTooLarge`` past the cap."""
        self.check_length()
        raw = self.response.raw
        url = self.requested_url
        try:
            while True:
                left = self.deadline.check(url)
                sock = getattr(getattr(raw, "connection", None), "sock", None)
                if sock is not None:
                    sock.settimeout(left)
                chunk = raw.read1(size, decode_content=True)
                if not chunk:
                    return
                self.received += len(chunk)
                if self.received > self.max_bytes:
                    raise FetchTooLarge(
                        f"error too large (more than {self.max_bytes} bytes) getting {url}"
                    )
                yield chunk
        except OutboundError:
            self.close()
            raise
        except (OSError, requests.RequestException, ValueError) as exc:
            self.close()
            if isinstance(exc, TimeoutError) or "timed out" in str(exc):
                raise FetchTimeout(f"error timeout getting {url}") from None
            raise OutboundError(f"error {exc.__class__.__name__} getting {url}") from None
        except Exception as exc:  # urllib3's protocol errors
            self.close()
            name = exc.__class__.__name__
            if "Timeout" in name:
                raise FetchTimeout(f"error timeout getting {url}") from None
            raise OutboundError(f"error {name} getting {url}") from None

    def read(self) -> bytes:
        try:
            return b"".join(self.iter_chunks())
        finally:
            self.close()


def fetch(
    method: str,
    url: str,
    *,
    seconds: float,
    max_bytes: int,
    headers: dict | None = None,
    data=None,
    files=None,
    auth=None,
    allow_redirects: bool = True,
) -> Fetch:
    """Start a request through the guarded session; the body is read with
    ``Fetch.iter_chunks`` or ``Fetch.read``. Raises ``OutboundError``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundError(f"error not an http or https URL: {url}")
    deadline = Deadline(seconds)

    def past_deadline(response, *args, **kwargs) -> None:  # every hop, redirects too
        deadline.check(url)

    if data is not None and hasattr(data, "read"):
        data = _DeadlineBody(data, deadline, url)
    try:
        response = session().request(
            method,
            url,
            headers=headers,
            data=data,
            files=files,
            auth=auth,
            stream=True,
            timeout=deadline.timeout(url),
            allow_redirects=allow_redirects,
            hooks={"response": past_deadline},
        )
    except OutboundError:
        raise
    except requests.Timeout:
        raise FetchTimeout(f"error timeout getting {url}") from None
    except requests.TooManyRedirects:
        raise OutboundError(f"error too many redirects getting {url}") from None
    except requests.RequestException as exc:
        raise OutboundError(f"error {exc.__class__.__name__} getting {url}") from None
    return Fetch(response, deadline, max_bytes, url)


class _DeadlineBody:
    """A request body read in blocks, cut off when the deadline passes."""

    def __init__(self, body, deadline: Deadline, url: str):
        self._body = body
        self._deadline = deadline
        self._url = url

    def __len__(self) -> int:
        return len(self._body)

    def tell(self) -> int:
        return self._body.tell()

    def read(self, size: int = -1) -> bytes:
        self._deadline.check(self._url)
        return self._body.read(size)
