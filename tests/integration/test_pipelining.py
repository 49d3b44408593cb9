"""Pipelined requests answered in order; a request trickled in byte by byte still works."""
from __future__ import annotations

import pytest

from httpraw import chunked, request_bytes
from support import route


@pytest.fixture
def sl(clean_backends, sluice_factory):
    b = clean_backends
    # 50% so that consecutive pipelined requests go to different backends: order must
    # still be kept
    return sluice_factory([route("pipe", [b["blue1"].addr], [b["green1"].addr], 50)])


def test_twenty_pipelined_requests_in_order(sl):
    payload = b"".join(request_bytes("GET", f"/pipe/{i}?n={i}") for i in range(20))
    with sl.conn() as c:
        c.send(payload)
        pools = set()
        for i in range(20):
            r = c.read_response()
            assert r.status == 200
            j = r.json()
            assert j["path"] == f"/pipe/{i}", f"response {i} is for {j['path']}"
            pools.add(j["pool"])
        assert pools == {"blue", "green"}
        # and the connection is still usable
        c.send(request_bytes("GET", "/pipe/after"))
        assert c.read_response().json()["path"] == "/pipe/after"


def test_pipelined_mixed_methods_and_bodies(sl):
    reqs = []
    expect = []
    for i in range(12):
        if i % 3 == 0:
            body = bytes([i]) * (i * 1000 + 1)
            reqs.append(request_bytes("POST", f"/mix/{i}", body=body))
            expect.append((f"/mix/{i}", "POST", len(body)))
        elif i % 3 == 1:
            body = b"z" * (i * 500 + 3)
            reqs.append(request_bytes("PUT", f"/mix/{i}", headers=[("Transfer-Encoding", "chunked")],
                                      body=chunked(body, 100)))
            expect.append((f"/mix/{i}", "PUT", len(body)))
        else:
            reqs.append(request_bytes("GET", f"/mix/{i}"))
            expect.append((f"/mix/{i}", "GET", 0))
    with sl.conn() as c:
        c.send(b"".join(reqs))
        for path, method, length in expect:
            j = c.read_response(method).json()
            assert (j["path"], j["method"], j["body_length"]) == (path, method, length)


def test_pipelined_with_head_in_between(sl):
    with sl.conn() as c:
        c.send(request_bytes("GET", "/h/1") + request_bytes("HEAD", "/h/2") + request_bytes("GET", "/h/3"))
        assert c.read_response().json()["path"] == "/h/1"
        r = c.read_response("HEAD")
        assert r.status == 200 and r.body == b""
        assert c.read_response().json()["path"] == "/h/3"


def test_request_sent_byte_by_byte(sl):
    body = b"slow-body-" * 20
    req = request_bytes("POST", "/slow/one?x=1", headers=[("X-Slow", "yes")], body=body)
    with sl.conn(timeout=20) as c:
        c.send_slowly(req, step=1, delay=0.002)
        r = c.read_response("POST")
    j = r.json()
    assert r.status == 200
    assert (j["path"], j["query"], j["body_length"]) == ("/slow/one", "x=1", len(body))
    assert ["x-slow", "yes"] in j["headers"]


def test_chunked_request_sent_byte_by_byte(sl):
    body = bytes(range(256)) * 3
    req = request_bytes("POST", "/upload", headers=[("Transfer-Encoding", "chunked")],
                        body=chunked(body, 50))
    import hashlib
    with sl.conn(timeout=20) as c:
        c.send_slowly(req, step=1, delay=0.001)
        r = c.read_response("POST")
    assert r.status == 200
    assert r.json()["received"] == len(body)
    assert r.json()["sha256"] == hashlib.sha256(body).hexdigest()


def test_two_requests_split_at_odd_boundaries(sl):
    data = request_bytes("GET", "/split/a") + request_bytes("POST", "/split/b", body=b"12345")
    with sl.conn() as c:
        c.send_slowly(data, step=7, delay=0.01)
        assert c.read_response().json()["path"] == "/split/a"
        j = c.read_response("POST").json()
        assert (j["path"], j["body_length"]) == ("/split/b", 5)
