"""Route matching: host (exact, *.suffix, none), longest path prefix, 404 for no route,
the path and query forwarded unchanged."""
from __future__ import annotations

import pytest

from httpraw import one_request, request_bytes
from support import route


@pytest.fixture
def host_sluice(clean_backends, sluice_factory):
    """exact host -> blue1, *.example.org -> green1 (weight 100), any host -> blue2."""
    b = clean_backends
    routes = [
        route("exact", [b["blue1"].addr], [b["green1"].addr], 0, host="api.example.com"),
        route("wild", [b["blue1"].addr], [b["green1"].addr], 100, host="*.example.org"),
        route("any", [b["blue2"].addr], [b["green2"].addr], 0),
    ]
    return sluice_factory(routes)


def served_by(resp):
    assert resp.status == 200, (resp.status, resp.body[:200])
    return resp.json()["server"][1]


def test_host_exact_wildcard_and_default(backends, host_sluice):
    b = backends
    port = host_sluice.port
    assert served_by(one_request(port, host="api.example.com")) == b["blue1"].port
    assert served_by(one_request(port, host="www.example.org")) == b["green1"].port
    assert served_by(one_request(port, host="shop.example.org")) == b["green1"].port
    assert served_by(one_request(port, host="other.test")) == b["blue2"].port
    assert served_by(one_request(port, host="api.example.com.evil.test")) == b["blue2"].port
    assert served_by(one_request(port, host="notexample.org")) == b["blue2"].port


def test_host_matching_operator_conventions(backends, host_sluice):
    """What NGINX does: host names are case-insensitive, the port is not part of the name,
    and *.example.org does not match example.org itself."""
    b = backends
    port = host_sluice.port
    assert served_by(one_request(port, host="API.Example.COM")) == b["blue1"].port
    assert served_by(one_request(port, host="api.example.com:8080")) == b["blue1"].port
    assert served_by(one_request(port, host="example.org")) == b["blue2"].port


def test_no_route_is_404_json(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("only", [b["blue1"].addr], [b["green1"].addr], 0,
                               host="api.example.com", prefix="/api")])
    for host, path in (("other.test", "/api/x"), ("api.example.com", "/"),
                       ("api.example.com", "/other")):
        r = one_request(sl.port, "GET", path, host=host)
        assert r.status == 404, (host, path, r.status)
        assert "json" in (r.header("content-type") or "")
        body = r.json()
        assert isinstance(body, dict)
        assert len(r.body) < 1024
        text = r.body.decode()
        assert "127.0.0.1" not in text and str(b["blue1"].port) not in text, \
            "404 body names internals"
        assert r.header("x-pool") is None, "404 must not come from a backend"


def test_longest_prefix_wins_and_path_unchanged(clean_backends, sluice_factory):
    b = clean_backends
    routes = [
        route("root", [b["blue2"].addr], [b["green2"].addr], 0, prefix="/"),
        route("api", [b["blue1"].addr], [b["green1"].addr], 0, prefix="/api"),
        route("api-v2", [b["blue1"].addr], [b["green1"].addr], 100, prefix="/api/v2"),
    ]
    sl = sluice_factory(routes)
    cases = [
        ("/api/v2/users/7?x=1&y=%20z", b["green1"].port),
        ("/api/users", b["blue1"].port),
        ("/static/app.js", b["blue2"].port),
        ("/", b["blue2"].port),
    ]
    for target, port in cases:
        r = one_request(sl.port, "GET", target)
        assert served_by(r) == port, target
        j = r.json()
        path, _, query = target.partition("?")
        assert j["raw_path"] == path, "path forwarded unchanged"
        assert j["query"] == query, "query forwarded unchanged"
    # encoded characters are forwarded byte for byte
    r = one_request(sl.port, "GET", "/api/a%2Fb/%7Euser")
    assert r.json()["raw_path"] == "/api/a%2Fb/%7Euser"


def test_http10_without_host_is_allowed(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("any", [b["blue1"].addr], [b["green1"].addr], 0)])
    with sl.conn() as c:
        c.send(request_bytes("GET", "/old", host=None, version="HTTP/1.0"))
        r = c.read_response()
    if r.status != 200 and r.header("x-sluice-pool"):
        pytest.fail(f"the backend answered {r.status}: Sluice forwards as HTTP/1.1, so it must "
                    f"supply a Host header when an HTTP/1.0 client sent none")
    assert r.status == 200
    assert r.json()["path"] == "/old"


def test_methods_and_head(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("any", [b["blue1"].addr], [b["green1"].addr], 0)])
    with sl.conn() as c:
        for m in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            c.send(request_bytes(m, f"/m/{m}", body=b"xyz" if m in ("POST", "PUT", "PATCH") else None))
            r = c.read_response(m)
            assert r.status == 200 and r.json()["method"] == m
        c.send(request_bytes("HEAD", "/m/head"))
        r = c.read_response("HEAD")
        assert r.status == 200 and r.body == b""
        # the connection is still in sync after HEAD (no body was sent or expected)
        c.send(request_bytes("GET", "/m/after-head"))
        assert c.read_response().json()["path"] == "/m/after-head"
