"""Only the protocols a route allows are tunnelled (`upgrades`, `["websocket"]` by default),
never `h2c`, and `Upgrade` on HTTP/1.0 is ignored (RFC 9110 7.8). Once, any token was
tunnelled: after `Upgrade: h2c` was answered 101 by a lenient backend, the client's next
request reached the backend verbatim, past host and path routing, header rewriting,
override stripping, logging and metrics."""
from __future__ import annotations

import pytest

from httpraw import request_bytes
from support import HEALTH_PATH_FOR_RECORDER, RecordingBackend, route


def lenient(request: bytes) -> bytes:
    """Switches to whatever protocol is asked for, like a careless backend."""
    if b"\r\nupgrade:" in request.lower():
        token = request.lower().split(b"\r\nupgrade:", 1)[1].split(b"\r\n", 1)[0].strip()
        return b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: " + token + b"\r\n\r\n"
    return RecordingBackend.RESPONSE


@pytest.fixture
def backend():
    b = RecordingBackend(respond=lenient)
    yield b
    b.stop()


def app_route(backend, **extra) -> dict:
    return route("app", [backend.addr], [backend.addr], 0, prefix="/app",
                 health={"path": HEALTH_PATH_FOR_RECORDER, "interval": "30s"}, **extra)


def send_then_smuggle(sl, upgrade: str, version: str = "HTTP/1.1"):
    """Asks to upgrade, then sends a request that no route takes on the same connection.
    Returns the first response and the second (None if the connection was a tunnel that
    answered with the backend's bytes instead)."""
    with sl.conn() as c:
        first = request_bytes("GET", "/app/x", headers=[("Upgrade", upgrade), ("Connection", "Upgrade"),
                                                      ("HTTP2-Settings", "AAMAAABkAAQAoAAAAAIAAAAA")])
        if version != "HTTP/1.1":
            first = first.replace(b" HTTP/1.1\r\n", f" {version}\r\n".encode(), 1).replace(
                b"Connection: Upgrade", b"Connection: keep-alive, Upgrade")
        c.send(first)
        r1 = c.read_response()
        c.send(b"GET /internal/admin HTTP/1.1\r\nHost: internal\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n")
        r2 = c.read_response()
        return r1, r2


@pytest.mark.parametrize("upgrade", ["h2c", "H2C", "websocket, h2c", "foo/1"])
def test_a_protocol_the_route_does_not_allow_is_not_tunnelled(sluice_factory, backend, upgrade):
    sl = sluice_factory([app_route(backend)])
    backend.reset()
    r1, r2 = send_then_smuggle(sl, upgrade)
    assert r1.status == 200, f"{upgrade}: got {r1.status}"
    assert r2.status == 404, "the next request must be routed by Sluice, not tunnelled"
    got = backend.wait_quiet()
    assert b"/internal/admin" not in got
    assert b"upgrade:" not in got.lower() and b"connection: upgrade" not in got.lower()


def test_upgrade_on_http_1_0_is_ignored(sluice_factory, backend):
    sl = sluice_factory([app_route(backend)])
    backend.reset()
    r1, r2 = send_then_smuggle(sl, "websocket", version="HTTP/1.0")
    assert r1.status == 200 and r2.status == 404
    got = backend.wait_quiet()
    assert b"upgrade:" not in got.lower() and b"/internal/admin" not in got


def test_a_protocol_the_route_lists_is_tunnelled(sluice_factory, backend):
    sl = sluice_factory([app_route(backend, upgrades=["websocket", "foo"])])
    backend.reset()
    with sl.conn() as c:
        c.send(request_bytes("GET", "/app/x", headers=[("Upgrade", "foo/1"), ("Connection", "Upgrade")]))
        r = c.read_response()
        assert r.status == 101 and (r.header("upgrade") or "").lower() == "foo/1"
        c.send(b"GET /inside/the/tunnel HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_response().status == 200
    assert b"/inside/the/tunnel" in backend.wait_quiet()

