"""Sticky assignment: by cookie (set by Sluice on first visit), by header and by client IP;
monotone as green's weight grows."""
from __future__ import annotations

import re
import secrets
from http.cookies import SimpleCookie

from support import route

COOKIE = {"by": "cookie", "name": "sluice_id"}
HEX = re.compile(r"^[0-9a-fA-F]{8,}$")


def get(c, path="/", headers=None):
    c.request("GET", path, headers={"Host": "sticky.test", **(headers or {})})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
    return r


def set_cookie_value(r, name="sluice_id"):
    values = []
    for h in r.headers.get_all("Set-Cookie") or []:
        c = SimpleCookie()
        c.load(h)
        if name in c:
            values.append(c[name].value)
    return values


def test_cookie_set_on_first_visit_and_kept(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("sticky", [b["blue1"].addr], [b["green1"].addr], 50,
                               sticky=COOKIE)])
    seen_pools = set()
    cookies = set()
    for visitor in range(12):
        c = sl.http()
        try:
            first = get(c, f"/visit/{visitor}")
            vals = set_cookie_value(first)
            assert len(vals) == 1, f"expected one Set-Cookie sluice_id, got {first.headers.get_all('Set-Cookie')}"
            value = vals[0]
            assert HEX.match(value), f"cookie value not random hex: {value!r}"
            assert value.lower() not in ("blue", "green") and "blue" not in value.lower() \
                and "green" not in value.lower()
            cookies.add(value)
            pool = first.getheader("X-Pool")
            for i in range(50):
                r = get(c, f"/again/{i}", {"Cookie": f"sluice_id={value}"})
                assert r.getheader("X-Pool") == pool, \
                    f"cookie {value} moved from {pool} to {r.getheader('X-Pool')} at request {i}"
            seen_pools.add(pool)
        finally:
            c.close()
    assert len(cookies) == 12, "cookie values repeat: not random"
    # at 50% twelve visitors all on one pool would be a 1-in-2048 coincidence
    assert seen_pools == {"blue", "green"}


def test_cookie_among_other_cookies(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("sticky", [b["blue1"].addr], [b["green1"].addr], 50,
                               sticky=COOKIE)])
    value = secrets.token_hex(16)
    c = sl.http()
    try:
        pools = {get(c, "/", {"Cookie": f"a=1; sluice_id={value}; b=2"}).getheader("X-Pool")
                 for _ in range(20)}
        assert len(pools) == 1
        # the same value alone lands on the same pool
        assert get(c, "/", {"Cookie": f"sluice_id={value}"}).getheader("X-Pool") in pools
    finally:
        c.close()


def pools_for(sl, users: list[str]) -> dict[str, str]:
    out = {}
    c = sl.http()
    try:
        for u in users:
            out[u] = get(c, "/m", {"Cookie": f"sluice_id={u}"}).getheader("X-Pool")
    finally:
        c.close()
    return out


def test_cookie_assignment_is_monotone(clean_backends, sluice_factory):
    """300 users at 10 -> 25 -> 50 -> 90% (a restart per step, same route): nobody in green
    ever goes back to blue, and the green share follows the weight."""
    b = clean_backends
    rng = secrets.SystemRandom()
    users = ["%032x" % rng.getrandbits(128) for _ in range(300)]
    previous: dict[str, str] | None = None
    for weight in (10, 25, 50, 90):
        sl = sluice_factory([route("sticky", [b["blue1"].addr], [b["green1"].addr], weight,
                                   sticky=COOKIE)])
        now = pools_for(sl, users)
        assert sl.stop() == 0
        share = sum(p == "green" for p in now.values()) / len(users)
        assert abs(share - weight / 100) <= 0.12, f"{weight}%: {share:.2f} of users in green"
        if previous is not None:
            back = [u for u in users if previous[u] == "green" and now[u] == "blue"]
            assert not back, f"{len(back)} users went green -> blue at {weight}%: {back[:3]}"
        previous = now


def test_cookie_assignment_is_monotone_across_routes(clean_backends, sluice_factory):
    """The same at once: four routes (one per weight) on the same backends."""
    b = clean_backends
    weights = (10, 25, 50, 90)
    routes = [route(f"w{w}", [b["blue1"].addr], [b["green1"].addr], w, prefix=f"/w{w}/",
                    sticky=COOKIE) for w in weights]
    sl = sluice_factory(routes)
    rng = secrets.SystemRandom()
    users = ["%032x" % rng.getrandbits(128) for _ in range(300)]
    c = sl.http()
    try:
        table = {u: [get(c, f"/w{w}/x", {"Cookie": f"sluice_id={u}"}).getheader("X-Pool")
                     for w in weights] for u in users}
    finally:
        c.close()
    bad = [u for u, ps in table.items()
           if any(ps[i] == "green" and ps[j] == "blue"
                  for i in range(len(ps)) for j in range(i + 1, len(ps)))]
    assert not bad, f"{len(bad)} users green at a lower weight but blue at a higher one"


def test_sticky_by_header(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("sticky", [b["blue1"].addr], [b["green1"].addr], 50,
                               sticky={"by": "header", "name": "X-User"})])
    c = sl.http()
    try:
        assignment = {}
        for u in range(60):
            ps = {get(c, "/h", {"X-User": f"user-{u}"}).getheader("X-Pool") for _ in range(5)}
            assert len(ps) == 1, f"user-{u} saw {ps}"
            assignment[u] = ps.pop()
        assert set(assignment.values()) == {"blue", "green"}
        # no Set-Cookie when stickiness is by header
        r = get(c, "/h", {"X-User": "user-0"})
        assert not any("sluice_id" in v for v in (r.headers.get_all("Set-Cookie") or []))
    finally:
        c.close()


def test_sticky_by_ip(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("sticky", [b["blue1"].addr], [b["green1"].addr], 50,
                               sticky={"by": "ip"})])
    assignment = {}
    for k in range(1, 41):
        src = f"127.0.0.{k}"
        ps = set()
        for _ in range(2):  # two connections from the same address
            c = sl.http(source=src)
            try:
                for _ in range(3):
                    ps.add(get(c, "/ip").getheader("X-Pool"))
            finally:
                c.close()
        assert len(ps) == 1, f"{src} saw {ps}"
        assignment[src] = ps.pop()
    assert set(assignment.values()) == {"blue", "green"}
