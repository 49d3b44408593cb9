"""Headers Sluice adds (X-Forwarded-*, X-Request-Id), removes (hop-by-hop) and logs."""
from __future__ import annotations

import json

import pytest

from httpraw import one_request, request_bytes
from support import REQUEST_ID_RE, route


@pytest.fixture
def echo_sluice(clean_backends, sluice_factory):
    b = clean_backends
    return sluice_factory([route("echo", [b["blue1"].addr], [b["green1"].addr], 0)])


def backend_headers(resp) -> dict[str, list[str]]:
    assert resp.status == 200, (resp.status, resp.body[:300])
    out: dict[str, list[str]] = {}
    for k, v in resp.json()["headers"]:
        out.setdefault(k.lower(), []).append(v)
    return out


def test_forwarded_headers_added(echo_sluice):
    r = one_request(echo_sluice.port, "GET", "/fwd?a=1", host="shop.example.test")
    h = backend_headers(r)
    assert h.get("x-forwarded-for") == ["127.0.0.1"]
    assert h.get("x-forwarded-proto") == ["http"]
    assert h.get("x-forwarded-host") == ["shop.example.test"]
    assert len(h.get("x-request-id", [])) == 1


def test_forwarded_for_appends_client_address(echo_sluice):
    r = one_request(echo_sluice.port, "GET", "/fwd", headers=[("X-Forwarded-For", "203.0.113.7")])
    h = backend_headers(r)
    assert len(h["x-forwarded-for"]) == 1, "one X-Forwarded-For line, not two"
    hops = [x.strip() for x in h["x-forwarded-for"][0].split(",")]
    assert hops[-1] == "127.0.0.1"


def test_request_id_kept_when_valid(echo_sluice):
    rid = "abc-123.XYZ_9"
    r = one_request(echo_sluice.port, "GET", "/rid", headers=[("X-Request-Id", rid)])
    assert backend_headers(r)["x-request-id"] == [rid]
    assert r.header("x-request-id") == rid


def test_request_id_128_chars_kept(echo_sluice):
    rid = "a" * 128
    r = one_request(echo_sluice.port, "GET", "/rid", headers=[("X-Request-Id", rid)])
    assert backend_headers(r)["x-request-id"] == [rid]


@pytest.mark.parametrize("bad", ["has space", "a" * 129, "semi;colon", "slash/x", "quote\"d", ""])
def test_request_id_replaced_when_invalid(echo_sluice, bad):
    r = one_request(echo_sluice.port, "GET", "/rid", headers=[("X-Request-Id", bad)])
    ids = backend_headers(r)["x-request-id"]
    assert len(ids) == 1 and ids[0] != bad
    assert REQUEST_ID_RE.match(ids[0])
    assert r.header("x-request-id") == ids[0]


def test_request_id_generated_and_unique(echo_sluice):
    ids = []
    for _ in range(20):
        r = one_request(echo_sluice.port, "GET", "/rid")
        got = backend_headers(r)["x-request-id"]
        assert len(got) == 1 and REQUEST_ID_RE.match(got[0])
        assert r.header("x-request-id") == got[0], "client sees the id the backend saw"
        ids.append(got[0])
    assert len(set(ids)) == 20


def test_hop_by_hop_headers_removed(echo_sluice):
    headers = [
        ("Connection", "keep-alive, X-Hop-Custom"),
        ("Keep-Alive", "timeout=5, max=100"),
        ("Proxy-Connection", "keep-alive"),
        ("TE", "trailers"),
        ("Trailer", "X-Checksum"),
        ("Upgrade", "h2c"),          # not an upgrade: Connection does not name it
        ("X-Hop-Custom", "must-not-pass"),
        ("X-End-To-End", "must-pass"),
    ]
    r = one_request(echo_sluice.port, "GET", "/hop", headers=headers)
    h = backend_headers(r)
    for name in ("keep-alive", "proxy-connection", "te", "trailer", "upgrade", "x-hop-custom"):
        assert name not in h, f"hop-by-hop header {name} reached the backend: {h[name]}"
    for v in h.get("connection", []):
        assert "x-hop-custom" not in v.lower()
    assert h["x-end-to-end"] == ["must-pass"]


def test_hop_by_hop_with_body(echo_sluice):
    """Transfer-Encoding is framing: the backend gets the body, not the client's framing header
    plus a different framing."""
    body = b"0123456789" * 100
    from httpraw import chunked
    with echo_sluice.conn() as c:
        c.send(request_bytes("POST", "/hopbody", headers=[("Transfer-Encoding", "chunked"),
                                                          ("Connection", "X-Drop"),
                                                          ("X-Drop", "1")],
                             body=chunked(body, 333)))
        r = c.read_response("POST")
    j = r.json()
    assert j["body_length"] == len(body)
    h = backend_headers(r)
    assert "x-drop" not in h
    framing = h.get("transfer-encoding", []) + h.get("content-length", [])
    assert len(framing) == 1, f"exactly one framing header at the backend, got {framing}"


def test_pool_exposed_only_when_configured(clean_backends, sluice_factory):
    b = clean_backends
    hidden = route("hidden", [b["blue1"].addr], [b["green1"].addr], 0, prefix="/hidden")
    hidden["exposePool"] = False
    shown = route("shown", [b["blue1"].addr], [b["green1"].addr], 0, prefix="/shown")
    sl = sluice_factory([hidden, shown])
    assert one_request(sl.port, "GET", "/hidden/x").header("x-sluice-pool") is None
    assert one_request(sl.port, "GET", "/shown/x").header("x-sluice-pool") == "blue"


def test_access_log_off(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("quiet", [b["blue1"].addr], [b["green1"].addr], 0)], extra_args=["--access-log", "off"])
    assert one_request(sl.port, "GET", "/quiet").status == 200
    assert one_request(sl.port, "GET", "/x", host=None).status == 400
    assert sl.stop() == 0
    assert sl.access_log() == [], "no access line with --access-log off"
    assert "shutting down" in sl.stderr(), "events still go to stderr"


def test_access_log_lines(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("logged", [b["blue1"].addr], [b["green1"].addr], 0)])
    rid = "log-check-42"
    r = one_request(sl.port, "GET", "/logged/path?q=1", headers=[("X-Request-Id", rid)])
    assert r.status == 200
    assert one_request(sl.port, "GET", "/x", host=None).status == 400  # missing Host
    assert sl.stop() == 0
    out_lines = [ln for ln in sl.stdout().splitlines() if ln.strip()]
    for ln in out_lines:
        json.loads(ln)  # every stdout line is one JSON object
    err_lines = [ln for ln in sl.stderr().splitlines() if ln.strip()]
    for ln in err_lines:
        obj = json.loads(ln)
        assert {"timestamp", "level", "message"} <= obj.keys(), obj
    entries = [json.loads(ln) for ln in out_lines]
    mine = [e for e in entries if e.get("request_id") == rid]
    assert len(mine) == 1, f"no single access line with request_id {rid}: {out_lines[-5:]}"
    e = mine[0]
    for key in ("timestamp", "level", "message", "request_id", "method", "path",
                "status_code", "duration_ms", "route", "pool", "upstream"):
        assert key in e, f"access log line lacks {key}: {e}"
    assert e["method"] == "GET"
    assert e["path"].startswith("/logged/path")
    assert e["status_code"] == 200
    assert e["route"] == "logged"
    assert e["pool"] == "blue"
    assert e["upstream"] == b["blue1"].addr
    assert isinstance(e["duration_ms"], (int, float)) and e["duration_ms"] >= 0
