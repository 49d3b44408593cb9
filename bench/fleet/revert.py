"""Time to revert a green that fails 10% of its requests: the same total load spread over
a fleet of N instances (each judging nothing alone: the leader judges the sum) against one
instance without --store carrying it all. Real uvicorn backends (examples/fastapi), one
etcd, everything on loopback and started here; REPEAT rollouts of each.

    SLUICE_BIN=.build/release/sluice .venv/bin/python bench/fleet/revert.py --instances 3 --rate 90 --repeat 3
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))
from support import Backend, Etcd, Load, Sluice, free_port, route, write_routes  # noqa: E402
from test_admin import TOKEN, admin  # noqa: E402


def revert_time(instances: list[Sluice], rate: float) -> tuple[float, int]:
    """Seconds from the rollout's start to `reverted` (polled every 100 ms), and the green
    requests in the revert's figures."""
    loads = [Load(s, rate=rate / len(instances), conns=2) for s in instances]
    for load in loads:
        load.__enter__()
    try:
        time.sleep(2)
        started = time.monotonic()
        status, body = admin(instances[0], "POST", "/routes/app/rollout", body={"plan": [10, 50, 100], "holds": "5m"})
        assert status == 200, body
        while True:
            r = admin(instances[0], "GET", "/routes/app/rollout")[1]
            if r.get("state") not in (None, "idle", "running"):
                assert r["state"] == "reverted", r
                return time.monotonic() - started, r["pools"]["green"]["requests"]
            assert time.monotonic() - started < 120, "not reverted in 120 s"
            time.sleep(0.1)
    finally:
        for load in loads:
            load.stop()


def run(n: int, fleet: bool, rate: float, repeat: int, blue: Backend, green: Backend, tmp: Path) -> list[tuple[float, int]]:
    results = []
    for k in range(repeat):
        etcd = Etcd(tmp / f"etcd-{n}-{k}") if fleet else None
        r = route("app", [blue.addr], [green.addr], 0)
        instances = []
        try:
            for i in range(n):
                base = tmp / f"{'fleet' if fleet else 'one'}-{k}-{i}"
                extra = ["--access-log", "off"]
                if fleet:
                    extra += ["--store", etcd.url, "--instance", f"s{i}", "--store-lease", "2s"]
                instances.append(Sluice(write_routes(base / "routes", [r]), base, extra_args=extra, env={"SLUICE_ADMIN_TOKEN": TOKEN}))
            for s in instances:
                s.wait_ready()
            if fleet:
                time.sleep(1)  # a leader
            results.append(revert_time(instances, rate))
        finally:
            for s in instances:
                s.stop()
            if etcd:
                etcd.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--rate", type=float, default=90, help="requests a second in all")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sluice-revert-bench-") as tmp:
        tmp = Path(tmp)
        blue, green = Backend("blue", free_port(), tmp / "blue.log"), Backend("green", free_port(), tmp / "green.log")
        try:
            blue.wait_ready()
            green.wait_ready()
            green.configure(error_rate=0.1)
            for label, n, fleet in ((f"fleet of {args.instances}", args.instances, True), ("one instance", 1, False)):
                results = run(n, fleet, args.rate, args.repeat, blue, green, tmp)
                times = [t for t, _ in results]
                print(f"{label}, {args.rate:g} req/s in all: reverted after "
                      + ", ".join(f"{t:.1f} s ({g} green requests judged)" for t, g in results)
                      + f"; median {statistics.median(times):.1f} s", flush=True)
        finally:
            blue.stop()
            green.stop()


if __name__ == "__main__":
    main()
