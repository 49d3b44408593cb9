"""A small raw HTTP/1.1 client over a plain socket, for tests that must control every byte
(pipelining, smuggling shapes, slow senders) and for reading responses strictly.
Every socket has a timeout; nothing here can block forever."""
from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass

DEFAULT_TIMEOUT = 10.0


class ConnectionClosed(Exception):
    """The peer closed the connection before a complete response arrived."""


@dataclass
class Response:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    raw_head: bytes = b""
    chunked: bool = False

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def pool(self) -> str | None:
        return self.header("x-pool")

    def wants_close(self) -> bool:
        conn = (self.header("connection") or "").lower()
        if "close" in conn:
            return True
        return self.version == "HTTP/1.0" and "keep-alive" not in conn


class RawConn:
    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT,
                 source: str | None = None):
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.timeout = timeout

    # -- sending ---------------------------------------------------------
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_slowly(self, data: bytes, step: int = 1, delay: float = 0.001) -> None:
        for i in range(0, len(data), step):
            self.sock.sendall(data[i:i + step])
            if delay:
                time.sleep(delay)

    # -- receiving -------------------------------------------------------
    def _fill(self) -> bool:
        try:
            chunk = self.sock.recv(256 * 1024)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return False
        self.buf += chunk
        return True

    def _read_until(self, marker: bytes, limit: int = 1 << 20) -> bytes:
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                out, self.buf = self.buf[:i + len(marker)], self.buf[i + len(marker):]
                return out
            if len(self.buf) > limit:
                raise AssertionError(f"no {marker!r} within {limit} bytes")
            if not self._fill():
                raise ConnectionClosed(f"closed while waiting for {marker!r}; buffered {self.buf[:200]!r}")

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionClosed(f"closed with {len(self.buf)} of {n} body bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, method: str = "GET", body_sink=None) -> Response:
        """Read one response. With body_sink(bytes), the body is streamed to it and not kept."""
        head = self._read_until(b"\r\n\r\n", limit=256 * 1024)
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].decode("latin-1").split(" ", 2)
        version, status = parts[0], int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k.strip(), v.strip()))
        resp = Response(status, reason, version, headers, raw_head=head)
        if status == 101:
            return resp
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return resp
        chunks: list[bytes] = []
        sink = body_sink or chunks.append
        te = (resp.header("transfer-encoding") or "").lower()
        if "chunked" in te:
            resp.chunked = True
            while True:
                size_line = self._read_until(b"\r\n")
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    # trailers until empty line
                    while self._read_until(b"\r\n") != b"\r\n":
                        pass
                    break
                remaining = size
                while remaining:
                    piece = self._read_exact(min(remaining, 256 * 1024))
                    remaining -= len(piece)
                    sink(piece)
                if self._read_exact(2) != b"\r\n":
                    raise AssertionError("bad chunk terminator from proxy")
        elif resp.header("content-length") is not None:
            remaining = int(resp.header("content-length"))
            while remaining:
                if not self.buf and not self._fill():
                    raise ConnectionClosed(f"closed with {remaining} body bytes left")
                piece, self.buf = self.buf[:remaining], self.buf[remaining:]
                remaining -= len(piece)
                sink(piece)
        else:
            # body until close
            while True:
                if self.buf:
                    sink(self.buf)
                    self.buf = b""
                if not self._fill():
                    break
        if body_sink is None:
            resp.body = b"".join(chunks)
        return resp

    def wait_closed(self, timeout: float = 3.0) -> bool:
        """True if the peer closes (EOF or reset) within timeout, ignoring extra bytes."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.2)
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    return True
                if not chunk:
                    return True
            return False
        finally:
            self.sock.settimeout(self.timeout)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def request_bytes(method: str, path: str, host: str | None = "test.local",
                  headers: list[tuple[str, str]] | None = None, body: bytes | None = None,
                  version: str = "HTTP/1.1") -> bytes:
    lines = [f"{method} {path} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    for k, v in headers or []:
        lines.append(f"{k}: {v}")
    if body is not None and not any(k.lower() in ("content-length", "transfer-encoding")
                                    for k, _ in headers or []):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def chunked(body: bytes, size: int = 7) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def one_request(port: int, method: str = "GET", path: str = "/", host: str | None = "test.local",
                headers: list[tuple[str, str]] | None = None, body: bytes | None = None,
                timeout: float = DEFAULT_TIMEOUT, source: str | None = None) -> Response:
    with RawConn("127.0.0.1", port, timeout=timeout, source=source) as c:
        c.send(request_bytes(method, path, host, headers, body))
        return c.read_response(method)
