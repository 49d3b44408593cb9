"""Resilience on the wire: slow-header clients are closed at the header timeout without
delaying others, route files reloaded 20 times under load lose no request (an invalid set
is refused), and SIGTERM under load answers every request in flight and exits 0."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import threading
import time

from support import HOST, route


def write_route_file(directory, body: str) -> None:
    """Replace a route file atomically, as an operator's deploy tool would."""
    tmp = directory / ".app.json.tmp"
    tmp.write_text(body)
    os.replace(tmp, directory / "app.json")


class Load:
    """Keep-alive clients sending GETs until stopped; records (start, end, status)."""

    def __init__(self, sl, clients=4, path="/load", host="r.test"):
        self.sl, self.path, self.host = sl, path, host
        self.results: list[tuple[float, float, object]] = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self.run) for _ in range(clients)]

    def run(self):
        c = None
        while not self.stop_event.is_set():
            if c is None:
                c = http.client.HTTPConnection(HOST, self.sl.port, timeout=15)
            start = time.monotonic()
            try:
                c.request("GET", self.path, headers={"Host": self.host})
                r = c.getresponse()
                r.read()
                outcome: object = (r.status, r.getheader("X-Pool"))
                if r.will_close:
                    c.close()
                    c = None
            except (OSError, http.client.HTTPException) as e:
                outcome = type(e).__name__
                c.close()
                c = None
                time.sleep(0.01)
            with self.lock:
                self.results.append((start, time.monotonic(), outcome))
        if c is not None:
            c.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for t in self.threads:
            t.join(30)


def test_slow_header_clients_closed_at_timeout_while_others_are_served(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("r", [b["blue1"].addr], [b["green1"].addr], 0)],
                        extra_args=["--header-timeout", "2s"])
    slow = []
    for _ in range(500):
        s = socket.create_connection((HOST, sl.port), timeout=10)
        s.sendall(b"GET /slow HTTP/1.1\r\nHost: r.test\r\nX-Slow: ")
        slow.append(s)
    opened = time.monotonic()
    latencies = []
    c = sl.http(timeout=5)
    while time.monotonic() - opened < 3.0:
        t0 = time.monotonic()
        c.request("GET", "/normal", headers={"Host": "r.test"})
        r = c.getresponse()
        r.read()
        latencies.append(time.monotonic() - t0)
        assert r.status == 200
        time.sleep(0.05)
    c.close()
    assert max(latencies) < 1.0, f"a normal request took {max(latencies):.3f}s"

    closed = 0
    for s in slow:
        s.settimeout(max(0.1, opened + 5.0 - time.monotonic()))
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        finally:
            s.close()
        if data.startswith(b"HTTP/1.1 408"):
            closed += 1
    assert closed == 500, f"only {closed} of 500 slow clients got 408 and were closed"
    assert time.monotonic() - opened < 6.0


def test_reload_twenty_times_under_load_loses_nothing(clean_backends, sluice_factory):
    b = clean_backends
    base = route("app", [b["blue1"].addr], [b["green1"].addr], 0, host="r.test")
    sl = sluice_factory([base])
    routes_dir = sl.workdir / "routes"
    app_files = list(routes_dir.glob("*.json"))
    assert len(app_files) == 1
    app_files[0].rename(routes_dir / "app.json")
    variants = []
    for i in range(20):
        if i == 9:
            variants.append(("invalid", '{"name": "app", "pools": {"blue": {"backends": []}}}'))
            continue
        r = json.loads(json.dumps(base))
        r["weights"] = {"green": (i * 5) % 101}
        if i % 3 == 1:
            r["pools"]["blue"]["backends"].append(b["blue2"].addr)   # a backend added ...
        if i % 4 == 2:
            r["pools"]["green"]["backends"].append(b["green2"].addr)  # ... and removed again
        variants.append(("valid", json.dumps(r)))
    final = json.loads(json.dumps(base))
    final["weights"] = {"green": 100}
    variants.append(("valid", json.dumps(final)))

    with Load(sl, clients=4) as load:
        time.sleep(0.5)
        for kind, body in variants:
            write_route_file(routes_dir, body)
            sl.proc.send_signal(signal.SIGHUP)
            time.sleep(0.25)
        time.sleep(0.5)
    outcomes = [o for _, _, o in load.results]
    failed = [o for o in outcomes if not (isinstance(o, tuple) and o[0] == 200)]
    assert len(outcomes) > 200
    assert not failed, f"{len(failed)} of {len(outcomes)} requests failed during reloads: {failed[:5]}"
    err = sl.stderr()
    assert err.count("routes reloaded") == 20, err[-2000:]
    assert "reload refused" in err
    # The last valid set is in force: everything goes to green now.
    tail = [o[1] for _, _, o in load.results[-20:]]
    assert set(tail) == {"green"}, tail


def test_sigterm_under_load_answers_in_flight_and_exits_zero(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("r", [b["blue1"].addr, b["blue2"].addr], [b["green1"].addr], 0)],
                        extra_args=["--drain", "10s"])
    with Load(sl, clients=8, path="/slow?latency_ms=300") as load:
        time.sleep(1.5)
        term_at = time.monotonic()
        sl.proc.send_signal(signal.SIGTERM)
        rc = sl.proc.wait(15)
        time.sleep(0.2)
    assert rc == 0, sl.stderr()[-2000:]
    in_flight = [o for start, _, o in load.results if start < term_at]
    assert len(in_flight) >= 16
    bad = [o for o in in_flight if not (isinstance(o, tuple) and o[0] == 200)]
    assert not bad, f"{len(bad)} requests in flight at SIGTERM were not answered: {bad[:5]}"
    assert sum(1 for s, e, o in load.results if s < term_at < e) >= 4, "the test had no request in flight"
    assert "stopped" in sl.stderr()


def test_slow_readers_cost_bounded_memory_and_delay_no_one(clean_backends, sluice_factory):
    """Ten clients ask for 100 MB each and never read; Sluice stops reading the backend for
    them (back-pressure), its memory stays bounded, and a normal client is still answered fast."""
    from support import RssSampler
    b = clean_backends
    sl = sluice_factory([route("r", [b["blue1"].addr], [b["green1"].addr], 0)])
    stalled = []
    with RssSampler(sl) as rss:
        for _ in range(10):
            s = socket.create_connection((HOST, sl.port), timeout=10)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /bytes/104857600 HTTP/1.1\r\nHost: r.test\r\n\r\n")
            stalled.append(s)
        time.sleep(2.0)
        c = sl.http(timeout=5)
        for _ in range(20):
            t0 = time.monotonic()
            c.request("GET", "/normal", headers={"Host": "r.test"})
            r = c.getresponse()
            r.read()
            assert r.status == 200
            assert time.monotonic() - t0 < 1.0
        c.close()
    for s in stalled:
        s.close()
    assert rss.max_kib < 64 * 1024, f"sluice VmRSS peaked at {rss.max_kib / 1024:.1f} MiB"


def test_backend_connection_limit(clean_backends, sluice_factory):
    """With --max-backend-connections 1, two slow requests in flight fill both blue
    backends; a third concurrent one has no backend with room and gets 503."""
    b = clean_backends
    sl = sluice_factory([route("r", [b["blue1"].addr, b["blue2"].addr], [b["green1"].addr], 0)],
                        extra_args=["--max-backend-connections", "1"])
    statuses = []
    lock = threading.Lock()

    def one(i):
        c = sl.http(timeout=10)
        c.request("GET", f"/slow{i}?latency_ms=800", headers={"Host": "r.test"})
        r = c.getresponse()
        r.read()
        with lock:
            statuses.append(r.status)
        c.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.1)
    for t in threads:
        t.join(15)
    assert sorted(statuses) == [200, 200, 503], statuses
    # Once they are done, the backends have room again.
    c = sl.http(timeout=10)
    c.request("GET", "/after", headers={"Host": "r.test"})
    assert c.getresponse().status == 200
    c.close()


def test_idle_connections_are_parked_and_woken(clean_backends, sluice_factory):
    """After a second without a request a keep-alive connection is parked (its buffers and
    exchange state freed): the next requests on it, pipelined or not, are answered; a
    connection that never sent anything wakes too; the idle timeout still closes a parked
    connection, and so does a shutdown."""
    from httpraw import RawConn, request_bytes
    b = clean_backends
    sl = sluice_factory([route("r", [b["blue1"].addr], [b["green1"].addr], 0)],
                        extra_args=["--idle-timeout", "4s"])
    get = request_bytes("GET", "/p", host="r.test")
    used, silent, expiring = (RawConn(HOST, sl.port) for _ in range(3))
    for conn in (used, expiring):
        conn.send(get)
        assert conn.read_response().status == 200
    time.sleep(1.8)  # parked at the first tick after a second idle
    used.send(get)
    assert used.read_response().status == 200, "a parked connection serves its next request"
    time.sleep(1.8)
    used.send(get + get)
    assert [used.read_response().status for _ in range(2)] == [200, 200], "pipelined after waking"
    silent.send(get)
    assert silent.read_response().status == 200, "a connection parked before its first request"
    assert expiring.wait_closed(timeout=4.0), "the idle timeout closes a parked connection"
    time.sleep(1.8)
    t0 = time.monotonic()
    sl.proc.send_signal(signal.SIGTERM)
    assert used.wait_closed(timeout=5.0), "a shutdown closes a parked connection"
    assert sl.proc.wait(10) == 0
    assert time.monotonic() - t0 < 5.0, "parked connections do not hold up the drain"
    for conn in (used, silent, expiring):
        conn.close()
