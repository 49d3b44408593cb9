"""Request and response bodies: Content-Length and chunked both ways, 100 MB each way
streamed with back-pressure while Sluice's resident memory stays under 64 MB, and a body that
the backend sends only once its head is acknowledged."""
from __future__ import annotations

import hashlib
import http.client
import os
import time

import pytest

from httpraw import chunked, request_bytes
from support import HOST, RecordingBackend, RssSampler, ScriptedBackend, route
from test_http2 import h2_exchange

MB100 = 100 * 1024 * 1024
RSS_LIMIT_KIB = 64 * 1024
PATTERN_MOD = 251
_BASE = bytes(i % PATTERN_MOD for i in range(512 * 1024 + PATTERN_MOD))


def expected_slice(offset: int, size: int) -> bytes:
    """Bytes [offset, offset+size) of the backend's /bytes stream (byte i = i % 251)."""
    s = offset % PATTERN_MOD
    return _BASE[s:s + size]


class PatternChecker:
    def __init__(self):
        self.offset = 0

    def __call__(self, piece: bytes):
        for i in range(0, len(piece), 512 * 1024):
            part = piece[i:i + 512 * 1024]
            if part != expected_slice(self.offset, len(part)):
                raise AssertionError(f"body differs from the backend's bytes near offset {self.offset}")
            self.offset += len(part)


@pytest.fixture
def sl(clean_backends, sluice_factory):
    b = clean_backends
    return sluice_factory([route("bodies", [b["blue1"].addr], [b["green1"].addr], 0,
                                 timeouts={"connect": "1s", "firstByte": "30s", "idle": "60s"})],
                          workers=2)


def test_content_length_body(sl):
    body = os.urandom(300_000)
    with sl.conn() as c:
        c.send(request_bytes("POST", "/upload", body=body))
        j = c.read_response("POST").json()
    assert j["received"] == len(body) and j["sha256"] == hashlib.sha256(body).hexdigest()


def test_chunked_request_body(sl):
    body = os.urandom(200_001)
    with sl.conn() as c:
        # with a chunk extension and a trailer section, both legal
        wire = b"5;ext=1\r\n" + body[:5] + b"\r\n" + chunked(body[5:], 4093)[:-2] + b"X-Trailer: 1\r\n\r\n"
        c.send(request_bytes("POST", "/upload", headers=[("Transfer-Encoding", "chunked")], body=wire))
        r = c.read_response("POST")
    assert r.status == 200, r.body[:200]
    j = r.json()
    assert j["received"] == len(body) and j["sha256"] == hashlib.sha256(body).hexdigest()


def test_empty_chunked_body_and_zero_length(sl):
    with sl.conn() as c:
        c.send(request_bytes("POST", "/e1", headers=[("Transfer-Encoding", "chunked")], body=b"0\r\n\r\n"))
        assert c.read_response("POST").json()["body_length"] == 0
        c.send(request_bytes("POST", "/e2", body=b""))
        assert c.read_response("POST").json()["body_length"] == 0


@pytest.mark.parametrize("chunked_resp", [False, True])
def test_response_bodies(sl, chunked_resp):
    n = 3 * 1024 * 1024 + 17
    q = "?chunked=1" if chunked_resp else ""
    check = PatternChecker()
    with sl.conn() as c:
        c.send(request_bytes("GET", f"/bytes/{n}{q}"))
        r = c.read_response(body_sink=check)
        assert r.status == 200
        assert check.offset == n
        if not chunked_resp:
            assert r.header("content-length") == str(n)
        # keep-alive still in sync
        c.send(request_bytes("GET", "/bytes/10"))
        assert c.read_response().body == expected_slice(0, 10)


def test_pipelined_large_and_small_responses_stay_whole_and_in_order(sl):
    """Length-framed bodies of 4 KiB and more leave without a copy (the head goes in front
    of them in the read buffer, which trades places with the output buffer): pipelined
    responses of every size around that must still arrive whole and in order, also when
    the client reads slowly and output piles up."""
    sizes = [65536, 10, 4095, 4096, 70000, 1, 200000, 5000, 65536 - 1, 0, 131072]
    with sl.conn() as c:
        c.send(b"".join(request_bytes("GET", f"/bytes/{n}") for n in sizes))
        time.sleep(0.3)  # let Sluice fill its output buffer before reading any of it
        for n in sizes:
            r = c.read_response()
            assert r.status == 200
            assert r.header("content-length") == str(n)
            assert r.body == expected_slice(0, n), f"body of /bytes/{n}"


@pytest.mark.parametrize("size", [4096, 5000, 70000])
def test_head_and_body_read_at_once_stay_whole_and_in_order(sluice_factory, size):
    """A backend that sends head and body in one write: the body, read with its head, leaves
    without a copy (the rewritten head goes in front of it in the read buffer). Pipelined
    responses must still arrive whole and in order while the client reads slowly."""
    body = expected_slice(0, size)
    backend = RecordingBackend(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + body)
    try:
        s = sluice_factory([route("raw", [backend.addr], [backend.addr], 0)])
        with s.conn() as c:
            c.send(b"".join(request_bytes("GET", f"/raw/{i}") for i in range(6)))
            time.sleep(0.3)  # let the output pile up before reading any of it
            for _ in range(6):
                r = c.read_response()
                assert r.status == 200 and r.header("content-length") == str(size)
                assert r.body == body
    finally:
        backend.stop()


def test_upload_100mb_memory_bounded(sl):
    """100 MB upload while the backend first sleeps 1.5 s before reading (so Sluice has to
    hold back the client, not buffer it). RSS sampled every 50 ms."""
    block = os.urandom(1024 * 1024)
    h = hashlib.sha256()
    with sl.conn(timeout=60) as c, RssSampler(sl) as rss:
        c.send(request_bytes("POST", "/upload?latency_ms=1500",
                             headers=[("Content-Length", str(MB100))], body=None))
        t0 = time.monotonic()
        for i in range(100):
            # vary each block so reordering would show in the hash
            piece = bytes([i]) + block[1:]
            h.update(piece)
            c.send(piece)
        r = c.read_response("POST")
        elapsed = time.monotonic() - t0
    assert r.status == 200, r.body[:200]
    j = r.json()
    assert j["received"] == MB100
    assert j["sha256"] == h.hexdigest()
    assert rss.samples, "could not read VmRSS"
    print(f"upload 100 MB: peak VmRSS {rss.max_kib / 1024:.1f} MiB, {len(rss.samples)} samples")
    assert rss.max_kib < RSS_LIMIT_KIB, \
        f"sluice VmRSS peaked at {rss.max_kib / 1024:.1f} MiB during a 100 MB upload ({elapsed:.1f}s)"


def test_chunked_upload_30mb_memory_bounded(sl):
    block = os.urandom(256 * 1024)
    h = hashlib.sha256()
    total = 0
    with sl.conn(timeout=60) as c, RssSampler(sl) as rss:
        c.send(request_bytes("POST", "/upload?latency_ms=500",
                             headers=[("Transfer-Encoding", "chunked")], body=None))
        for i in range(120):
            piece = bytes([i % 256]) + block[1:]
            h.update(piece)
            total += len(piece)
            c.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        c.send(b"0\r\n\r\n")
        r = c.read_response("POST")
    assert r.status == 200, r.body[:200]
    j = r.json()
    assert j["received"] == total and j["sha256"] == h.hexdigest()
    print(f"chunked upload 30 MB: peak VmRSS {rss.max_kib / 1024:.1f} MiB")
    assert rss.max_kib < RSS_LIMIT_KIB, f"VmRSS peaked at {rss.max_kib / 1024:.1f} MiB"


@pytest.mark.parametrize("chunked_resp", [False, True])
def test_download_100mb_memory_bounded(sl, chunked_resp):
    """100 MB download; the client stops reading for 1.5 s after the first MB, so Sluice must
    stop reading from the backend instead of buffering."""
    q = "?chunked=1" if chunked_resp else ""
    check = PatternChecker()
    paused = [False]

    def sink(piece: bytes):
        check(piece)
        if not paused[0] and check.offset >= 1024 * 1024:
            paused[0] = True
            time.sleep(1.5)

    with sl.conn(timeout=60) as c, RssSampler(sl) as rss:
        c.send(request_bytes("GET", f"/bytes/{MB100}{q}"))
        r = c.read_response(body_sink=sink)
    assert r.status == 200
    assert check.offset == MB100
    assert rss.samples
    print(f"download 100 MB: peak VmRSS {rss.max_kib / 1024:.1f} MiB, {len(rss.samples)} samples")
    assert rss.max_kib < RSS_LIMIT_KIB, \
        f"sluice VmRSS peaked at {rss.max_kib / 1024:.1f} MiB during a 100 MB download"


@pytest.mark.parametrize("protocol", ["http/1.1", "h2"])
def test_a_body_sent_once_its_head_is_acknowledged_is_not_held(sluice_factory, protocol):
    """A backend with Nagle's algorithm on (no TCP_NODELAY) that writes a head, then the body,
    sends the body only once the head is acknowledged. Sluice acknowledges a part of a response
    at once. Left to the kernel's delayed ACK (the request just sent makes the connection look
    interactive), every such response waited for its 40 ms timer: 44 ms each before the fix,
    0.3 ms after. Counted, not timed: at most a quarter of 20 may reach the timer."""
    backend = ScriptedBackend([b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", b"x" * 2000], close=False)
    try:
        sl = sluice_factory([route("app", [backend.addr], [backend.addr], 0)])
        took = []
        client = http.client.HTTPConnection(HOST, sl.port, timeout=10)
        for _ in range(20):
            start = time.monotonic()
            if protocol == "h2":
                [r] = h2_exchange(sl.port, [("GET", "/acked", None)], timeout=10)
                status, body = r["status"], r["body"]
            else:
                client.request("GET", "/acked")
                response = client.getresponse()
                status, body = response.status, response.read()
            took.append(time.monotonic() - start)
            assert status == 200 and body == b"x" * 2000
        client.close()
        held = sum(1 for t in took if t >= 0.040)
        assert held <= 5, f"{held} of 20 responses waited for the delayed-ACK timer: " \
            + " ".join(f"{t * 1000:.1f}" for t in took) + " ms"
    finally:
        backend.stop()
