"""Propagation of a weight change through a fleet: N Sluice instances on one etcd (both on
loopback, started here), COUNT weight changes sent round-robin to the instances' admin
APIs; for each, the time from sending the PUT until every instance's admin API shows the
new weight (one poller per instance, about every 2 ms), and from the PUT's answer (commit
and local install) until the last other instance shows it. Prints p50/p90/p99/max.

    SLUICE_BIN=.build/release/sluice .venv/bin/python bench/fleet/propagation.py --instances 3 --count 100
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))
from support import HOST, Etcd, Sluice, closed_port, route, write_routes  # noqa: E402

TOKEN = "bench-token"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Poller(threading.Thread):
    """Asks one instance for the route's weights until told to stop; records when it first
    shows `target`."""

    def __init__(self, sluice: Sluice):
        super().__init__(daemon=True)
        self.sluice = sluice
        self.target: float | None = None
        self.seen_at: float | None = None
        self.stop = False
        self.lock = threading.Lock()

    def expect(self, green: float) -> None:
        with self.lock:
            self.target, self.seen_at = green, None

    def run(self) -> None:
        c = http.client.HTTPConnection(HOST, self.sluice.admin_port, timeout=5)
        while not self.stop:
            c.request("GET", "/routes/app", headers={"Authorization": f"Bearer {TOKEN}"})
            green = json.loads(c.getresponse().read())["weights"]["green"]
            now = time.monotonic()
            with self.lock:
                if self.target is not None and self.seen_at is None and green == self.target:
                    self.seen_at = now
            time.sleep(0.002)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sluice-fleet-bench-") as tmp:
        tmp = Path(tmp)
        etcd = Etcd(tmp / "etcd")
        r = route("app", [f"{HOST}:{closed_port()}"], [f"{HOST}:{closed_port()}"], 0)
        instances = []
        try:
            for i in range(args.instances):
                routes_dir = write_routes(tmp / f"s{i}" / "routes", [r])
                instances.append(Sluice(routes_dir, tmp / f"s{i}", extra_args=[
                    "--store", etcd.url, "--instance", f"s{i}", "--store-lease", "2s", "--access-log", "off"],
                    env={"SLUICE_ADMIN_TOKEN": TOKEN}))
            for s in instances:
                s.wait_ready()
            pollers = [Poller(s) for s in instances]
            for p in pollers:
                p.start()
            from_send, from_answer = [], []
            for k in range(args.count):
                green = 10.0 if k % 2 == 0 else 20.0
                for p in pollers:
                    p.expect(green)
                target = instances[k % len(instances)]
                c = http.client.HTTPConnection(HOST, target.admin_port, timeout=10)
                sent = time.monotonic()
                c.request("PUT", "/routes/app/weights", body=json.dumps({"green": green}),
                          headers={"Authorization": f"Bearer {TOKEN}"})
                answer = c.getresponse()
                answer.read()
                answered = time.monotonic()
                assert answer.status == 200, answer.status
                deadline = answered + 5
                while any(p.seen_at is None for p in pollers) and time.monotonic() < deadline:
                    time.sleep(0.001)
                assert all(p.seen_at is not None for p in pollers), f"change {k} not everywhere after 5 s"
                last = max(p.seen_at for p in pollers)
                from_send.append((last - sent) * 1000)
                from_answer.append(max(0.0, max(p.seen_at for p in pollers if p.sluice is not target) - answered) * 1000
                                   if len(pollers) > 1 else 0.0)
                time.sleep(0.05)
            for p in pollers:
                p.stop = True
            print(f"instances {args.instances}, changes {args.count}, poll interval ~2 ms")
            for name, values in (("PUT sent -> all instances show it", from_send),
                                 ("PUT answered -> the last other instance shows it", from_answer)):
                print(f"  {name}: p50 {percentile(values, 0.5):.1f} ms, p90 {percentile(values, 0.9):.1f} ms, "
                      f"p99 {percentile(values, 0.99):.1f} ms, max {max(values):.1f} ms, mean {statistics.mean(values):.1f} ms")
        finally:
            for s in instances:
                s.stop()
            etcd.stop()


if __name__ == "__main__":
    main()
