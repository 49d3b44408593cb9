"""Backend health: active checks flip a backend after results in a row, a pool without a
healthy backend sends its share to the stable pool, 503 when neither pool has one, a
killed backend costs no client more than its in-flight requests, and a backend brought
back is used again once its checks pass."""
from __future__ import annotations

import http.client
import json
import signal
import threading
import time

from support import HOST, Backend, free_port, route

FAST_HEALTH = {"path": "/health", "interval": "200ms", "timeout": "500ms",
               "unhealthyAfter": 2, "healthyAfter": 2}


def get(sl, path, host="health.test"):
    c = sl.http(timeout=10)
    try:
        c.request("GET", path, headers={"Host": host})
        r = c.getresponse()
        return r.status, r.getheader("X-Pool"), r.read()
    finally:
        c.close()


def wait_until(predicate, timeout=10.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_unhealthy_backend_skipped_then_used_again(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("h", [b["blue1"].addr, b["blue2"].addr], [b["green1"].addr], 0,
                               health=FAST_HEALTH)])
    b["blue2"].configure(health="fail")
    assert wait_until(lambda: "backend unhealthy" in sl.stderr()), sl.stderr()
    before = b["blue2"].stats()
    for i in range(40):
        assert get(sl, f"/u{i}")[0] == 200
    assert b["blue2"].stats() == before, "an unhealthy backend still got requests"

    b["blue2"].configure(health="ok")
    assert wait_until(lambda: "backend healthy" in sl.stderr()), sl.stderr()
    for i in range(40):
        assert get(sl, f"/b{i}")[0] == 200
    assert b["blue2"].stats() > before, "a backend healthy again got no requests"


def test_unhealthy_pool_sends_its_share_to_stable_then_503(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("h", [b["blue1"].addr], [b["green1"].addr], 50, health=FAST_HEALTH)])
    b["green1"].configure(health="fail")
    assert wait_until(lambda: "backend unhealthy" in sl.stderr())
    pools = [get(sl, f"/s{i}")[1] for i in range(40)]
    assert set(pools) == {"blue"}, pools

    b["blue1"].configure(health="fail")
    assert wait_until(lambda: sl.stderr().count("backend unhealthy") >= 2)
    status, _, body = get(sl, "/none")
    assert status == 503
    assert json.loads(body)["status"] == 503


def test_killed_backend_costs_only_its_in_flight_requests_and_comes_back(clean_backends, sluice_factory, tmp_path):
    b = clean_backends
    port = free_port()
    extra = Backend("blue", port, tmp_path / "extra.log")
    extra.wait_ready()
    sl = sluice_factory([route("h", [b["blue1"].addr, extra.addr], [b["green1"].addr], 0,
                               health=FAST_HEALTH)])
    results: list[tuple[float, int]] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client():
        c = http.client.HTTPConnection(HOST, sl.port, timeout=10)
        while not stop.is_set():
            try:
                c.request("GET", "/load", headers={"Host": "health.test"})
                r = c.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                status = -1
                c.close()
                c = http.client.HTTPConnection(HOST, sl.port, timeout=10)
            with lock:
                results.append((time.monotonic(), status))
        c.close()

    clients = [threading.Thread(target=client) for _ in range(4)]
    for t in clients:
        t.start()
    try:
        time.sleep(1.0)
        killed_at = time.monotonic()
        extra.proc.send_signal(signal.SIGKILL)
        extra.proc.wait(5)
        time.sleep(2.0)
    finally:
        stop.set()
        for t in clients:
            t.join(15)
        extra.stop()
    failed = [(t - killed_at, s) for t, s in results if s != 200]
    ok_after = [t for t, s in results if s == 200 and t > killed_at + 0.5]
    assert len(results) > 200, len(results)
    # Only requests in flight on the killed backend may fail: at most one per client.
    assert len(failed) <= 4, failed
    assert all(dt < 0.5 for dt, _ in failed), failed
    assert len(ok_after) > 50

    back = Backend("blue", port, tmp_path / "extra-back.log")
    try:
        back.wait_ready()
        assert wait_until(lambda: "backend healthy" in sl.stderr(), timeout=10), sl.stderr()
        for i in range(20):
            assert get(sl, f"/back{i}")[0] == 200
        assert back.stats() > 0, "the backend brought back got no requests"
    finally:
        back.stop()
