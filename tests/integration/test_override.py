"""The override header forces a pool, only from allowed addresses."""
from __future__ import annotations

from support import route

OVERRIDE = {"header": "X-Sluice-Pool", "allowFrom": ["127.0.0.1/32", "::1"]}


def pools(sl, n, headers=None, source=None):
    c = sl.http(source=source)
    out = []
    try:
        for i in range(n):
            c.request("GET", f"/o/{i}", headers={"Host": "o.test", **(headers or {})})
            r = c.getresponse()
            r.read()
            assert r.status == 200
            out.append(r.getheader("X-Pool"))
    finally:
        c.close()
    return out


def test_override_forces_green_at_zero(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("o", [b["blue1"].addr], [b["green1"].addr], 0, override=OVERRIDE)])
    assert set(pools(sl, 20)) == {"blue"}
    assert set(pools(sl, 20, {"X-Sluice-Pool": "green"})) == {"green"}
    # case-insensitive header name
    assert set(pools(sl, 5, {"x-sluice-pool": "green"})) == {"green"}


def test_override_forces_blue_at_hundred(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("o", [b["blue1"].addr], [b["green1"].addr], 100, override=OVERRIDE)])
    assert set(pools(sl, 10)) == {"green"}
    assert set(pools(sl, 10, {"X-Sluice-Pool": "blue"})) == {"blue"}


def test_override_ignored_from_other_addresses(clean_backends, sluice_factory):
    b = clean_backends
    only_2 = {"header": "X-Sluice-Pool", "allowFrom": ["127.0.0.2/32"]}
    sl = sluice_factory([route("o", [b["blue1"].addr], [b["green1"].addr], 0, override=only_2)])
    # 127.0.0.1 is not allowed: the header changes nothing
    assert set(pools(sl, 10, {"X-Sluice-Pool": "green"}, source="127.0.0.1")) == {"blue"}
    # 127.0.0.2 is
    assert set(pools(sl, 10, {"X-Sluice-Pool": "green"}, source="127.0.0.2")) == {"green"}


def test_override_beats_sticky(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("o", [b["blue1"].addr], [b["green1"].addr], 0, override=OVERRIDE,
                               sticky={"by": "header", "name": "X-User"})])
    assert set(pools(sl, 10, {"X-User": "u1", "X-Sluice-Pool": "green"})) == {"green"}
    assert set(pools(sl, 10, {"X-User": "u1"})) == {"blue"}
