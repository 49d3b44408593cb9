"""Admin API and `sluice ctl`: bearer-token auth (401 without or with a wrong token, 403
when no token is configured, health open), weight changes in force in every worker before
the command returns, refused invalid input, reload through the API, ctl exit codes."""
from __future__ import annotations

import http.client
import json
import subprocess

from support import HOST, SLUICE_BIN, route

TOKEN = "test-token-123"


def admin(sl, method, path, token=TOKEN, body=None):
    c = http.client.HTTPConnection(HOST, sl.admin_port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = json.dumps(body).encode() if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None)
    finally:
        c.close()


def ctl(sl, *args, token=TOKEN):
    env = {"SLUICE_ADMIN_TOKEN": token} if token else {}
    return subprocess.run([str(SLUICE_BIN), "ctl", "--admin", f"http://{HOST}:{sl.admin_port}", *args],
                          capture_output=True, text=True, timeout=30, env=env)


def pools_seen(sl, n=40, conns=8):
    seen = []
    cs = [sl.http(timeout=10) for _ in range(conns)]
    try:
        for i in range(n):
            c = cs[i % conns]
            c.request("GET", f"/w{i}", headers={"Host": "admin.test"})
            r = c.getresponse()
            r.read()
            seen.append(r.getheader("X-Pool"))
    finally:
        for c in cs:
            c.close()
    return seen


def test_auth(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)], env={"SLUICE_ADMIN_TOKEN": TOKEN})
    assert admin(sl, "GET", "/health", token=None)[0] == 200
    assert admin(sl, "GET", "/routes", token=None)[0] == 401
    assert admin(sl, "GET", "/routes", token="wrong")[0] == 401
    status, body = admin(sl, "PUT", "/routes/app/weights", token="wrong", body={"green": 100})
    assert status == 401 and "error" in body
    assert set(pools_seen(sl, 20)) == {"blue"}, "a refused request changed the split"
    status, body = admin(sl, "GET", "/routes")
    assert status == 200 and body["routes"][0]["name"] == "app"


def test_no_token_configured_is_403(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)], env={"SLUICE_ADMIN_TOKEN": ""})
    assert admin(sl, "GET", "/health", token=None)[0] == 200
    assert admin(sl, "GET", "/routes", token=None)[0] == 403
    assert admin(sl, "PUT", "/routes/app/weights", token="anything", body={"green": 50})[0] == 403


def test_ctl_weights_live_in_every_worker_on_return(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)], workers=2,
                        env={"SLUICE_ADMIN_TOKEN": TOKEN})
    for weight, expected in ((100, {"green"}), (0, {"blue"}), (100, {"green"})):
        r = ctl(sl, "weights", "app", f"green={weight}")
        assert r.returncode == 0, r.stderr
        # Right after the command returns, every worker uses the new split.
        assert set(pools_seen(sl)) == expected
    r = ctl(sl, "status", "--json")
    assert r.returncode == 0
    assert json.loads(r.stdout)["routes"][0]["weights"] == {"blue": 0, "green": 100}
    r = ctl(sl, "status")
    assert r.returncode == 0 and "app" in r.stdout


def test_invalid_weights_refused(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)], env={"SLUICE_ADMIN_TOKEN": TOKEN})
    for body in ({"green": 101}, {"green": 10.555}, {"green": "ten"}, {"green": 10, "blue": 10}, {"red": 5}, {}):
        assert admin(sl, "PUT", "/routes/app/weights", body=body)[0] == 422, body
    assert admin(sl, "PUT", "/routes/nope/weights", body={"green": 5})[0] == 404
    r = ctl(sl, "weights", "app", "green=250")
    assert r.returncode == 2 and "green=250" in r.stderr, "ctl can tell 250 is no percentage: a usage error"
    r = ctl(sl, "weights", "app", "green=10.555")
    assert r.returncode == 1 and "422" in r.stderr, "the server judges the decimals"
    r = ctl(sl, "weights", "app", "green=40", "blue=50")
    assert r.returncode == 1 and "422" in r.stderr
    assert set(pools_seen(sl, 20)) == {"blue"}


def test_reload_through_api(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)], env={"SLUICE_ADMIN_TOKEN": TOKEN})
    routes_dir = sl.workdir / "routes"
    (routes_dir / "zz-broken.json").write_text('{"name": "broken"}')
    status, body = admin(sl, "POST", "/reload")
    assert status == 422 and body["detail"], body
    assert set(pools_seen(sl, 10)) == {"blue"}
    (routes_dir / "zz-broken.json").unlink()
    r = ctl(sl, "reload")
    assert r.returncode == 0, r.stderr


def test_ctl_exit_codes(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)], env={"SLUICE_ADMIN_TOKEN": TOKEN})
    assert ctl(sl, "frobnicate").returncode == 2
    assert ctl(sl, "weights", "app").returncode == 2
    assert ctl(sl, "status", token="wrong").returncode == 1
    r = subprocess.run([str(SLUICE_BIN), "ctl", "--admin", "http://127.0.0.1:1", "status"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "cannot connect" in r.stderr
    r = subprocess.run([str(SLUICE_BIN), "ctl", "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "weights" in r.stdout


def kill9(sl):
    """SIGKILL, as a crash would; the fixture's exit-0 check does not apply."""
    sl.proc.kill()
    sl.proc.wait(10)
    sl.returncode = 0


def test_weights_survive_kill9_and_corrupt_state_stops_start(clean_backends, sluice_factory, tmp_path):
    b = clean_backends
    routes = [route("app", [b["blue1"].addr], [b["green1"].addr], 0)]
    state_dir = tmp_path / "shared-state"
    env = {"SLUICE_ADMIN_TOKEN": TOKEN, "SLUICE_STATE": str(state_dir)}
    first = sluice_factory(routes, workers=2, env=env)
    assert ctl(first, "weights", "app", "green=100").returncode == 0
    kill9(first)
    # The state file is never left half-written: it parses after the crash.
    saved = json.loads((state_dir / "state.json").read_text())
    assert saved["routes"]["app"]["greenWeight"] == 10_000

    second = sluice_factory(routes, workers=2, env=env)
    assert set(pools_seen(second)) == {"green"}, "a restart flipped traffic"
    status, body = admin(second, "GET", "/events?since=0")
    assert status == 200
    types = [e["type"] for e in body["events"]]
    assert "weights" in types and types.count("start") == 2
    weights = next(e for e in body["events"] if e["type"] == "weights")
    assert weights["route"] == "app" and weights["actor"] == "admin"
    assert weights["details"] == {"from": {"blue": 100, "green": 0}, "to": {"blue": 0, "green": 100}}
    r = ctl(second, "events", "--since", str(body["latest"] - 1))
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 2, r.stdout  # the header and the event
    kill9(second)

    (state_dir / "state.json").write_text('{"version": 1, "rou')
    broken = sluice_factory(routes, env=env, wait=False)
    assert broken.proc.wait(15) == 1
    broken.returncode = 0
    assert "--reset-state" in broken.stderr() and "state.json" in broken.stderr()

    reset = sluice_factory(routes, env=env, extra_args=["--reset-state"])
    assert set(pools_seen(reset, 10)) == {"blue"}, "--reset-state starts from the route files"
