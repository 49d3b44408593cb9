"""The open-file budget: under `prlimit --nofile=1024` with default flags, a flood of 1,400
idle client connections leaves every backend healthy, the rollout running, the admin API
answering, and clients served after it. Sluice's default `--max-connections` comes from
RLIMIT_NOFILE with room kept for backends, health checks and the admin API; connections
beyond it wait in the listen backlog. (Once: every descriptor went to the flood, the health
checks failed for lack of sockets, both pools were marked down and the canary reverted.)"""
from __future__ import annotations

import resource
import socket
import time
import urllib.request

from support import HOST, Sluice, route, write_routes
from test_admin import TOKEN, admin

FLOOD = 1_400
SECONDS = 10


def test_a_connection_flood_under_a_1024_file_limit_changes_nothing(clean_backends, tmp_path):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < FLOOD + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, FLOOD + 600), hard))
    b = clean_backends
    app = route("app", [b["blue1"].addr], [b["green1"].addr], 0,
                health={"path": "/health", "interval": "1s", "timeout": "1s"})
    routes_dir = write_routes(tmp_path / "routes", [app])
    # Default flags: no --workers, no --max-connections.
    sl = Sluice(routes_dir, tmp_path / "run", workers=0, env={"SLUICE_ADMIN_TOKEN": TOKEN},
                prefix=["prlimit", "--nofile=1024"])
    try:
        flood_then_serve(sl)
    finally:
        sl.stop()
    assert sl.returncode == 0


def flood_then_serve(sl: Sluice) -> None:
    flood: list[socket.socket] = []
    try:
        sl.wait_ready()
        status, body = admin(sl, "POST", "/routes/app/rollout", body={"plan": [10, 100], "holds": "5m"})
        assert status == 200 and body["state"] == "running", body
        for _ in range(FLOOD):
            s = socket.socket()
            s.settimeout(5)
            s.connect((HOST, sl.port))
            flood.append(s)
        deadline = time.monotonic() + SECONDS
        checks = 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            with urllib.request.urlopen(f"http://{HOST}:{sl.admin_port}/health", timeout=3) as r:
                assert r.status == 200
            status, route_body = admin(sl, "GET", "/routes/app")
            assert status == 200, route_body
            healthy = [bk["healthy"] for pool in route_body["pools"].values() for bk in pool["backends"]]
            assert all(healthy), f"a backend was marked down during the flood: {route_body['pools']}"
            assert route_body["rollout"]["state"] == "running", route_body["rollout"]
            assert time.monotonic() - started < 3, "the admin API answered slowly during the flood"
            checks += 1
            time.sleep(1)
        assert checks >= SECONDS // 2
    finally:
        for s in flood:
            s.close()
    # The flood is gone: clients are served again (those accepted and those in the backlog
    # are closed by the kernel or by Sluice's header timeout).
    deadline = time.monotonic() + 15
    while True:
        try:
            conn = sl.http(timeout=5)
            conn.request("GET", "/", headers={"Host": "app.test"})
            r = conn.getresponse()
            r.read()
            conn.close()
            if r.status == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "clients not served after the flood"
        time.sleep(0.2)
    assert admin(sl, "GET", "/routes/app/rollout")[1]["state"] == "running"
    assert "backend unhealthy" not in sl.stderr()
    assert "target_unhealthy" not in sl.stderr()
