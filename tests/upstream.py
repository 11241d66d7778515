"""A local upstream package index for tests: a threaded HTTP server on
127.0.0.1 serving generated wheels in PEP 503 and PEP 691 form, with a
request log and injectable faults (slow, 5xx, reset mid-file, wrong
sha256, malformed pages)."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from packaging.utils import canonicalize_name

from .factories import core_metadata, make_wheel

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass
class Fault:
    status: int | None = None  # answer this status instead
    delay: float = 0.0  # seconds before answering
    reset_after: int | None = None  # bytes of body sent before the connection is cut
    corrupt: bool = False  # serve other bytes than the page's sha256 announces
    malformed: bool = False  # garbage instead of a page


@dataclass
class Upstream:
    directory: Path
    projects: dict[str, list[Path]] = field(default_factory=dict)
    extra_names: list[str] = field(default_factory=list)  # listed, without pages
    # path prefix -> fault; a key starting with "=" matches that exact path only
    faults: dict[str, Fault] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None, "started"
        return f"http://127.0.0.1:{self.server.server_address[1]}/simple/"

    def add(self, name: str, version: str, **kwargs) -> Path:
        wheel = make_wheel(
            self.directory / canonicalize_name(name) / version, name, version, **kwargs
        )
        self.projects.setdefault(canonicalize_name(name), []).append(wheel)
        return wheel

    def hits(self, path_part: str) -> int:
        with self.lock:
            return sum(1 for entry in self.log if path_part in entry)

    def fault_for(self, path: str) -> Fault | None:
        for key, fault in self.faults.items():
            if key.startswith("=") and path == key[1:]:
                return fault
            if not key.startswith("=") and path.startswith(key):
                return fault
        return None

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _handler(upstream: Upstream):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY, as any real index (nginx, a CDN) answers: headers and
        # body go out in two writes, and with Nagle on, a client reusing its
        # keep-alive connection waits ~40 ms (delayed ACK) for every body
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str,
            headers=None,
            reset_after: int | None = None,
        ):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command == "HEAD":
                return
            if reset_after is not None:
                self.wfile.write(body[:reset_after])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            with upstream.lock:
                upstream.log.append(f"{self.command} {path}")
            fault = upstream.fault_for(path)
            if fault and fault.delay:
                time.sleep(fault.delay)
            if fault and fault.status:
                return self._send(fault.status, b"upstream trouble\n", "text/plain")
            wants_json = JSON_TYPE in self.headers.get("Accept", "")
            if path == "/simple/":
                return self._list(wants_json, fault)
            if path.startswith("/simple/"):
                return self._project(path[len("/simple/") :].strip("/"), wants_json, fault)
            if path.startswith("/files/"):
                return self._file(path[len("/files/") :], fault)
            return self._send(404, b"not found\n", "text/plain")

        def _list(self, wants_json, fault):
            names = sorted(set(upstream.projects) | set(upstream.extra_names))
            if wants_json:
                body = json.dumps(
                    {"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in names]}
                ).encode()
                return self._send(200, body, JSON_TYPE)
            body = "".join(f'<a href="{n}/">{n}</a>\n' for n in names).encode()
            return self._send(200, b"<html><body>\n" + body + b"</body></html>", "text/html")

        def _project(self, name, wants_json, fault):
            wheels = upstream.projects.get(canonicalize_name(name))
            if wheels is None:
                return self._send(404, b"no such project\n", "text/plain")
            if fault and fault.malformed:
                return self._send(200, b"\x00\xff not a page", "text/html")
            files = []
            for wheel in wheels:
                data = wheel.read_bytes()
                meta = _metadata_of(wheel)
                files.append(
                    {
                        "filename": wheel.name,
                        "url": f"/files/{wheel.name}",
                        "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                        "requires-python": ">=3.8",
                        "size": len(data),
                        "core-metadata": {"sha256": hashlib.sha256(meta).hexdigest()},
                    }
                )
            etag = '"' + hashlib.sha256(json.dumps(files).encode()).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if wants_json:
                body = json.dumps(
                    {"meta": {"api-version": "1.1"}, "name": name, "files": files}
                ).encode()
                return self._send(200, body, JSON_TYPE, {"ETag": etag})
            anchors = "".join(
                f'<a href="../../files/{f["filename"]}#sha256={f["hashes"]["sha256"]}" '
                f'data-requires-python="&gt;=3.8" '
                f'data-core-metadata="sha256={f["core-metadata"]["sha256"]}">{f["filename"]}</a>\n'
                for f in files
            )
            return self._send(
                200, f"<html><body>{anchors}</body></html>".encode(), "text/html", {"ETag": etag}
            )

        def _file(self, filename, fault):
            metadata = filename.endswith(".metadata")
            base = filename[: -len(".metadata")] if metadata else filename
            for wheels in upstream.projects.values():
                for wheel in wheels:
                    if wheel.name == base:
                        data = _metadata_of(wheel) if metadata else wheel.read_bytes()
                        if fault and fault.corrupt:
                            data = data[:-1] + bytes([data[-1] ^ 0xFF])
                        return self._send(
                            200,
                            data,
                            "application/octet-stream",
                            reset_after=fault.reset_after if fault else None,
                        )
            return self._send(404, b"no such file\n", "text/plain")

    return Handler


def _metadata_of(wheel: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(wheel) as zf:
        # the top-level .dist-info (real wheels may vendor others, setuptools does)
        (name,) = [
            n for n in zf.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1
        ]
        return zf.read(name)


def start_upstream(directory: Path) -> Upstream:
    upstream = Upstream(directory=Path(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream))
    server.daemon_threads = True
    upstream.server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return upstream


__all__ = ["Fault", "Upstream", "start_upstream", "core_metadata"]
