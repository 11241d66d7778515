"""The devpi JSON API and upload API calls that fill both servers: the same
requests, in the same order, whichever server answers them."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests


class ApiError(RuntimeError):
    pass


class DevpiApi:
    """A devpi client speaking the wire protocol (login token in X-Devpi-Auth)."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self._local = threading.local()
        self._auth: dict[str, str] = {}

    @property
    def session(self) -> requests.Session:
        """One session per thread (uploads run in a small thread pool)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # 127.0.0.1 only, never a proxy
        return session

    def _check(self, response: requests.Response, *ok: int) -> requests.Response:
        if response.status_code not in ok:
            raise ApiError(
                f"{response.request.method} {response.url} answered "
                f"{response.status_code} {response.reason}: {response.text[:500]}"
            )
        return response

    def login(self, user: str, password: str) -> None:
        r = self._check(
            self.session.post(
                f"{self.url}/+login",
                json={"user": user, "password": password},
                headers={"Accept": "application/json"},
                timeout=60,
            ),
            200,
        )
        token = r.json()["result"]["password"]
        pair = base64.b64encode(f"{user}:{token}".encode()).decode()
        self._auth = {"X-Devpi-Auth": pair}

    def call(self, method: str, path: str, body=None, *ok: int) -> requests.Response:
        headers = {"Accept": "application/json", **self._auth}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        r = self.session.request(
            method, f"{self.url}/{path.lstrip('/')}", data=data, headers=headers, timeout=120
        )
        return self._check(r, *(ok or (200,)))

    def create_user(self, user: str, password: str) -> None:
        self.call("PUT", f"/{user}", {"password": password, "email": f"{user}@example.com"}, 201)

    def create_index(self, fullname: str, **config) -> None:
        self.call("PUT", f"/{fullname}", config, 200, 201)

    def upload(self, index: str, wheel: Path, name: str, version: str) -> None:
        """One wheel through the legacy upload API, with the fields twine sends."""
        data = wheel.read_bytes()
        fields = {
            ":action": "file_upload",
            "protocol_version": "1",
            "metadata_version": "2.1",
            "name": name,
            "version": version,
            "filetype": "bdist_wheel",
            "pyversion": "py3",
            "sha256_digest": hashlib.sha256(data).hexdigest(),
            "summary": "generated",
        }
        r = self.session.post(
            f"{self.url}/{index}/",
            data=fields,
            files={"content": (wheel.name, data, "application/octet-stream")},
            headers=self._auth,
            timeout=120,
        )
        self._check(r, 200)

    def upload_many(self, index: str, items: list[tuple[Path, str, str]], threads: int = 4) -> None:
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(self.upload, index, *item) for item in items]:
                future.result()
