"""Strict request parsing (RFC 9112): each ambiguous or malformed shape gets 400 and the
connection closed, and not one byte of it reaches the backend (a raw recording server).
Also 414, 431, and missing/duplicate Host."""
from __future__ import annotations

import http.client
import re
import time

import pytest

from httpraw import ConnectionClosed, request_bytes
from support import HEALTH_PATH_FOR_RECORDER, route

H = b"Host: smuggle.test\r\n"


def rec_route(recorder, **extra):
    return route("rec", [recorder.addr], [recorder.addr], 0,
                 health={"path": HEALTH_PATH_FOR_RECORDER, "interval": "30s"}, **extra)


@pytest.fixture
def rec_sluice(recorder, sluice_factory):
    sl = sluice_factory([rec_route(recorder)])
    recorder.reset()
    return sl


SHAPES = {
    "cl-and-te": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "te-and-cl": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    "two-differing-cl": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "cl-list-differing": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: 5, 6\r\n\r\nhello!",
    "cl-not-a-number": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: 5x\r\n\r\nhello",
    "cl-negative": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: -5\r\n\r\nhello",
    "cl-plus-sign": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: +5\r\n\r\nhello",
    "te-gzip-alone": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\nhello",
    "te-chunked-then-gzip": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    "te-two-lines-chunked-not-last": b"POST /s HTTP/1.1\r\n" + H
    + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n",
    "te-unknown-token": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
    "obs-fold": b"GET /s HTTP/1.1\r\n" + H + b"X-Folded: a\r\n b\r\n\r\n",
    "obs-fold-tab": b"GET /s HTTP/1.1\r\n" + H + b"X-Folded: a\r\n\tb\r\n\r\n",
    "bare-cr-in-value": b"GET /s HTTP/1.1\r\n" + H + b"X-Cr: a\rb\r\n\r\n",
    "bare-cr-line-end": b"GET /s HTTP/1.1\r\n" + H + b"X-Cr: a\r\rX-Other: b\r\n\r\n",
    "bare-cr-request-line": b"GET /s\r HTTP/1.1\r\n" + H + b"\r\n",
    "space-before-colon": b"GET /s HTTP/1.1\r\n" + H + b"X-Sp : a\r\n\r\n",
    "space-before-colon-te": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    "tab-before-colon": b"GET /s HTTP/1.1\r\n" + H + b"X-Sp\t: a\r\n\r\n",
    "name-invalid-byte-paren": b"GET /s HTTP/1.1\r\n" + H + b"X-B(d: a\r\n\r\n",
    "name-invalid-byte-ctl": b"GET /s HTTP/1.1\r\n" + H + b"X-B\x01d: a\r\n\r\n",
    "name-empty": b"GET /s HTTP/1.1\r\n" + H + b": a\r\n\r\n",
    "name-space-inside": b"GET /s HTTP/1.1\r\n" + H + b"X Bad: a\r\n\r\n",
    "value-nul": b"GET /s HTTP/1.1\r\n" + H + b"X-V: a\x00b\r\n\r\n",
    "value-del": b"GET /s HTTP/1.1\r\n" + H + b"X-V: a\x7fb\r\n\r\n",
    "value-ctl": b"GET /s HTTP/1.1\r\n" + H + b"X-V: a\x1bb\r\n\r\n",
    "line-without-colon": b"GET /s HTTP/1.1\r\n" + H + b"X-No-Colon\r\n\r\n",
    "chunk-size-not-hex": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "chunk-size-negative": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
    "chunk-size-0x-prefix": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
    "chunk-size-overflow": b"POST /s HTTP/1.1\r\n" + H
    + b"Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    "chunk-size-empty": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n",
    # Chunk extensions (RFC 9112 7.1.1), from llhttp's strict corpus: once accepted and forwarded.
    "chunk-ext-no-name": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n2;\r\nhi\r\n0\r\n\r\n",
    "chunk-ext-name-not-token": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5;@@@\r\nhello\r\n0\r\n\r\n",
    "chunk-ext-unbalanced-quote": b"POST /s HTTP/1.1\r\n" + H
    + b"Transfer-Encoding: chunked\r\n\r\n5;a=\"b\r\nhello\r\n0\r\n\r\n",
    # Request targets: a fragment, dot-segments and backslashes (a byte-prefix route would not
    # see the path the backend resolves), an absolute-form target naming another host.
    "target-fragment": b"GET /s#frag HTTP/1.1\r\n" + H + b"\r\n",
    "target-dot-dot": b"GET /s/../admin HTTP/1.1\r\n" + H + b"\r\n",
    "target-encoded-dot-dot": b"GET /s/%2e%2e/admin HTTP/1.1\r\n" + H + b"\r\n",
    "target-dot-dot-semicolon": b"GET /s/..;/admin HTTP/1.1\r\n" + H + b"\r\n",
    "target-backslash": b"GET /s\\..\\admin HTTP/1.1\r\n" + H + b"\r\n",
    "absolute-form-other-host": b"GET http://internal.test/s HTTP/1.1\r\n" + H + b"\r\n",
}


def assert_rejected(sl, recorder, wire: bytes, status: int = 400, must_close: bool = True):
    with sl.conn(timeout=10) as c:
        c.send(wire)
        try:
            r = c.read_response()
        except ConnectionClosed as e:
            raise AssertionError(f"connection closed without a {status} response") from e
        assert r.status == status, f"expected {status}, got {r.status} {r.body[:200]!r}"
        if must_close:
            assert c.wait_closed(3.0), f"connection left open after {status}"
    got = recorder.wait_quiet()
    assert got == b"", f"{len(got)} bytes reached the backend: {got[:200]!r}"
    return r


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_smuggling_shape_rejected(rec_sluice, recorder, shape):
    assert_rejected(rec_sluice, recorder, SHAPES[shape])


def test_rejected_after_a_good_request_on_same_connection(rec_sluice, recorder):
    """The good request is served; the bad one behind it on the same connection is not."""
    good = request_bytes("GET", "/good")
    with rec_sluice.conn() as c:
        c.send(good)
        assert c.read_response().status == 200
        recorder.reset()
        c.send(SHAPES["cl-and-te"])
        assert c.read_response().status == 400
        assert c.wait_closed(3.0)
    assert recorder.wait_quiet() == b""


def test_smuggled_request_in_pipeline_not_forwarded(rec_sluice, recorder):
    """A bad request pipelined after a good one: the good one may go out, nothing after it."""
    wire = request_bytes("GET", "/first") + SHAPES["cl-and-te"] + request_bytes("GET", "/third")
    with rec_sluice.conn() as c:
        c.send(wire)
        statuses = []
        try:
            while True:
                statuses.append(c.read_response().status)
        except ConnectionClosed:
            pass
    assert statuses[:2] == [200, 400], statuses
    got = recorder.wait_quiet()
    assert b"/third" not in got and b"Transfer-Encoding" not in got, got


def test_request_line_too_long_414(rec_sluice, recorder):
    wire = b"GET /" + b"a" * (9 * 1024) + b" HTTP/1.1\r\n" + H + b"\r\n"
    assert_rejected(rec_sluice, recorder, wire, status=414, must_close=False)


def test_header_section_too_large_431(rec_sluice, recorder):
    headers = b"".join(b"X-Big-%d: %s\r\n" % (i, b"v" * 1000) for i in range(40))
    wire = b"GET /big HTTP/1.1\r\n" + H + headers + b"\r\n"
    assert_rejected(rec_sluice, recorder, wire, status=431, must_close=False)


def test_single_huge_header_431(rec_sluice, recorder):
    wire = b"GET /big HTTP/1.1\r\n" + H + b"X-Huge: " + b"v" * (40 * 1024) + b"\r\n\r\n"
    assert_rejected(rec_sluice, recorder, wire, status=431, must_close=False)


def test_large_but_allowed_headers_pass(rec_sluice, recorder):
    """Positive control: 24 KiB of headers and a 6 KiB request line are under the limits."""
    headers = b"".join(b"X-Big-%d: %s\r\n" % (i, b"v" * 1000) for i in range(24))
    wire = b"GET /" + b"p" * 6000 + b" HTTP/1.1\r\n" + H + headers + b"\r\n"
    with rec_sluice.conn() as c:
        c.send(wire)
        assert c.read_response().status == 200
    assert b"X-Big-23" in recorder.wait_quiet(0.1)


@pytest.mark.parametrize("method", ["CONNECT", "TRACE"])
def test_connect_and_trace_405(rec_sluice, recorder, method):
    assert_rejected(rec_sluice, recorder, method.encode() + b" /s HTTP/1.1\r\n" + H + b"\r\n", status=405)


@pytest.mark.parametrize("method", ["MKCOLA", "ANNOUNCE", "get", "PRI"])
def test_unknown_method_501(rec_sluice, recorder, method):
    """A method outside IANA's registry and the few llhttp knows: 501, closed, not forwarded,
    and counted as a rejection (docs/proxy.md, "Strict parsing")."""
    r = assert_rejected(rec_sluice, recorder, method.encode() + b" /s HTTP/1.1\r\n" + H + b"\r\n", status=501)
    assert r.reason == "Not Implemented"
    deadline = time.monotonic() + 3  # workers publish their counters every 250 ms
    while True:
        c = http.client.HTTPConnection("127.0.0.1", rec_sluice.admin_port, timeout=10)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        if re.search(r'^sluice_rejected_requests_total\{reason="method_not_implemented"\} [1-9]', text, re.M):
            break
        assert time.monotonic() < deadline, text
        time.sleep(0.1)


def test_absolute_form_is_served_as_origin_form(rec_sluice, recorder):
    """RFC 9112 3.2.2: a server must accept an absolute-form target; its authority is the Host
    (which must name the same one), and the backend gets the origin form."""
    with rec_sluice.conn() as c:
        c.send(b"GET HTTP://Smuggle.test/abs?q=1 HTTP/1.1\r\n" + H + b"\r\n")
        assert c.read_response().status == 200
    got = recorder.wait_quiet(0.1)
    assert got.startswith(b"GET /abs?q=1 HTTP/1.1\r\n"), got[:80]
    assert b"smuggle.test" in got.lower() and b"http://" not in got.lower()


def test_missing_host_400(rec_sluice, recorder):
    assert_rejected(rec_sluice, recorder, b"GET /nohost HTTP/1.1\r\nX-A: b\r\n\r\n", must_close=False)


def test_duplicate_host_400(rec_sluice, recorder):
    assert_rejected(rec_sluice, recorder,
                    b"GET /twohosts HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", must_close=False)


def test_recorder_sees_valid_requests(rec_sluice, recorder):
    """Positive control: the recording backend does receive what is valid (so the zero-byte
    assertions above are not vacuous), both framings."""
    with rec_sluice.conn() as c:
        c.send(request_bytes("POST", "/valid-cl", body=b"hello"))
        assert c.read_response("POST").status == 200
        c.send(request_bytes("POST", "/valid-te", headers=[("Transfer-Encoding", "chunked")],
                             body=b"5\r\nhello\r\n0\r\n\r\n"))
        assert c.read_response("POST").status == 200
        # identical repeated Content-Length is allowed by RFC 9112 6.3
        c.send(b"POST /valid-cl2 HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello")
        r = c.read_response("POST")
        assert r.status in (200, 400)  # either is defensible; it must not desync:
        if r.status == 200:
            c.send(request_bytes("GET", "/valid-after"))
            assert c.read_response().status == 200
    got = recorder.wait_quiet(0.2)
    assert b"/valid-cl" in got and b"/valid-te" in got and b"hello" in got
