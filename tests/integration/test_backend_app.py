"""The example FastAPI backend itself (no sluice): the endpoints the other tests rely on."""
from __future__ import annotations

import hashlib
import os

from websockets.sync.client import connect

from httpraw import chunked, one_request, request_bytes, RawConn
from support import HOST


def test_health_and_pool_header(clean_backends):
    for b in clean_backends.all():
        r = one_request(b.port, "GET", "/health")
        assert r.status == 200
        assert r.json() == {"status": "ok", "pool": b.pool}
        assert r.header("x-pool") == b.pool


def test_health_fail_and_no_faults_on_health(clean_backends):
    b = clean_backends["green2"]
    b.configure(error_rate=1, health="fail")
    try:
        assert one_request(b.port, "GET", "/health").status == 503
        assert one_request(b.port, "GET", "/anything").status == 500
        cfg = one_request(b.port, "GET", "/admin/config").json()
        assert cfg["error_rate"] == 1.0 and cfg["health"] == "fail" and cfg["pool"] == "green"
    finally:
        b.reset()
    assert one_request(b.port, "GET", "/health").status == 200
    assert one_request(b.port, "POST", "/admin/config?health=maybe").status == 400


def test_echo_any_method(clean_backends):
    b = clean_backends["blue1"]
    for m in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PURGE"):
        r = one_request(b.port, m, "/a/b%2Fc?x=1&y=2", headers=[("X-Dup", "1"), ("X-Dup", "2")],
                        body=b"abc" if m in ("POST", "PUT") else None)
        assert r.status == 200, (m, r.status)
        j = r.json()
        assert j["method"] == m and j["pool"] == "blue"
        assert j["raw_path"] == "/a/b%2Fc" and j["query"] == "x=1&y=2"
        assert [k for k, _ in j["headers"]].count("x-dup") == 2
        assert j["body_length"] == (3 if m in ("POST", "PUT") else 0)
        assert j["server"] == [HOST, b.port]


def test_echo_chunked_body(clean_backends):
    b = clean_backends["blue1"]
    body = os.urandom(10_000)
    r = one_request(b.port, "POST", "/c", headers=[("Transfer-Encoding", "chunked")], body=chunked(body, 999))
    assert r.json()["body_length"] == len(body)


def test_bytes_and_upload(clean_backends):
    b = clean_backends["green1"]
    n = 200_000
    r = one_request(b.port, "GET", f"/bytes/{n}")
    assert r.header("content-length") == str(n)
    assert r.body == bytes(i % 251 for i in range(n))
    r2 = one_request(b.port, "GET", f"/bytes/{n}?chunked=1")
    assert r2.chunked and r2.body == r.body
    up = one_request(b.port, "POST", "/upload", body=r.body)
    assert up.json() == {"pool": "green", "received": n, "sha256": hashlib.sha256(r.body).hexdigest()}
    assert one_request(b.port, "GET", f"/bytes/{(1 << 30) + 1}").status == 400


def test_latency_and_error_knobs(clean_backends):
    import time
    b = clean_backends["blue2"]
    t0 = time.monotonic()
    assert one_request(b.port, "GET", "/x?latency_ms=300").status == 200
    assert time.monotonic() - t0 >= 0.29
    assert one_request(b.port, "GET", "/bytes/10?error_rate=1").status == 500
    assert one_request(b.port, "POST", "/upload?error_rate=1", body=b"x").status == 500


def test_stats_count_only_traffic(clean_backends):
    b = clean_backends["blue2"]
    one_request(b.port, "POST", "/admin/stats/reset")
    one_request(b.port, "GET", "/health")
    one_request(b.port, "GET", "/admin/config")
    one_request(b.port, "GET", "/x")
    one_request(b.port, "GET", "/bytes/1")
    assert b.stats() == 2


def test_keepalive_pipelining_direct(clean_backends):
    b = clean_backends["blue1"]
    with RawConn(HOST, b.port) as c:
        c.send(b"".join(request_bytes("GET", f"/p/{i}") for i in range(5)))
        assert [c.read_response().json()["path"] for _ in range(5)] == [f"/p/{i}" for i in range(5)]


def test_websocket_direct(clean_backends):
    b = clean_backends["green1"]
    with connect(f"ws://{HOST}:{b.port}/ws", open_timeout=5, close_timeout=5) as ws:
        assert ws.response.headers.get("X-Pool") == "green"
        ws.send("t")
        assert ws.recv(timeout=5) == "t"
        ws.send(b"\x01\x02")
        assert ws.recv(timeout=5) == b"\x01\x02"


def test_recorder_backend(recorder):
    """The raw recording backend answers and records (health checks filtered)."""
    with RawConn(HOST, recorder.port) as c:
        c.send(request_bytes("GET", "/__recorder_health"))
        assert c.read_response().status == 200
        assert recorder.payload() == b""
        c.send(request_bytes("POST", "/x", body=b"hello"))
        assert c.read_response().status == 200
    assert recorder.payload().endswith(b"hello")
    recorder.reset()
    assert recorder.payload() == b""
