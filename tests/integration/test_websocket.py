"""WebSocket (an Upgrade request) becomes a byte tunnel to the chosen backend."""
from __future__ import annotations

import base64
import os

from websockets.sync.client import connect

from httpraw import request_bytes
from support import route


def test_websocket_echo_text_and_binary(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("ws", [b["blue1"].addr], [b["green1"].addr], 100)])
    with connect(f"ws://127.0.0.1:{sl.port}/ws", open_timeout=10, close_timeout=5,
                 max_size=4 * 1024 * 1024) as ws:
        assert ws.response.headers.get("X-Pool") == "green"
        ws.send("hello through sluice")
        assert ws.recv(timeout=10) == "hello through sluice"
        ws.send(b"\x00\x01\x02\xff" * 10)
        assert ws.recv(timeout=10) == b"\x00\x01\x02\xff" * 10
        big = os.urandom(1024 * 1024)
        ws.send(big)
        assert ws.recv(timeout=20) == big
        for i in range(50):
            ws.send(f"msg {i}")
        assert [ws.recv(timeout=10) for _ in range(50)] == [f"msg {i}" for i in range(50)]


def test_websocket_raw_handshake(clean_backends, sluice_factory):
    """The 101 reaches the client with the handshake headers, and bytes flow both ways."""
    b = clean_backends
    sl = sluice_factory([route("ws", [b["blue1"].addr], [b["green1"].addr], 0)])
    key = base64.b64encode(os.urandom(16)).decode()
    with sl.conn() as c:
        c.send(request_bytes("GET", "/ws", headers=[("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                                    ("Sec-WebSocket-Key", key),
                                                    ("Sec-WebSocket-Version", "13")]))
        r = c.read_response()
        assert r.status == 101
        assert (r.header("upgrade") or "").lower() == "websocket"
        assert r.header("sec-websocket-accept")
        assert r.header("x-pool") == "blue"
        # one masked text frame "ping!"
        mask = os.urandom(4)
        payload = b"ping!"
        frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(p ^ mask[i % 4] for i, p in enumerate(payload))
        c.send(frame)
        while len(c.buf) < 2 + len(payload):
            assert c._fill(), "tunnel closed"
        assert c.buf[:2] == bytes([0x81, len(payload)])
        assert c.buf[2:2 + len(payload)] == payload
