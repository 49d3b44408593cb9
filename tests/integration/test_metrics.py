"""GET /metrics: Prometheus text that `promtool check metrics` accepts, open without a
token, with request counts per route/pool/class that match what was sent (merged from
every worker), duration histograms, weights, backend health and rejections."""
from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import time

from support import HOST, SLUICE_BIN, route


def scrape(sl) -> str:
    c = http.client.HTTPConnection(HOST, sl.admin_port, timeout=10)
    try:
        c.request("GET", "/metrics")
        r = c.getresponse()
        assert r.status == 200
        assert r.getheader("Content-Type").startswith("text/plain")
        return r.read().decode()
    finally:
        c.close()


def value(text: str, name: str, **labels) -> float:
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        m = re.match(r"^([a-z_]+)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(m.group(4))
    raise AssertionError(f"no sample {name}{labels}")


def test_metrics_counts_match_and_promtool_accepts(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("m", [b["blue1"].addr], [b["green1"].addr], 25)], workers=2,
                        env={"SLUICE_ADMIN_TOKEN": "t"})
    time.sleep(0.6)
    before = scrape(sl)  # the fixture's readiness probe is already counted

    def delta(text, name, **labels):
        try:
            old = value(before, name, **labels)
        except AssertionError:
            old = 0
        return value(text, name, **labels) - old

    sent = {"blue": 0, "green": 0}
    errors = 0
    conns = [sl.http(timeout=10) for _ in range(6)]
    for i in range(300):
        c = conns[i % len(conns)]
        path = f"/m{i}?error_rate=1" if i % 50 == 0 else f"/m{i}"
        c.request("GET", path, headers={"Host": "metrics.test"})
        r = c.getresponse()
        r.read()
        if r.status == 500:
            errors += 1
        else:
            sent[r.getheader("X-Pool")] += 1
    for c in conns:
        c.close()
    raw = sl.conn()
    raw.send(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
    raw.close()
    time.sleep(0.8)  # workers publish every 250 ms
    text = scrape(sl)

    total_2xx = sum(delta(text, "sluice_requests_total", route="m", pool=p, **{"class": "2xx"}) for p in ("blue", "green"))
    total_5xx = sum(delta(text, "sluice_requests_total", route="m", pool=p, **{"class": "5xx"}) for p in ("blue", "green"))
    assert total_2xx == sent["blue"] + sent["green"] == 300 - errors
    for pool in ("blue", "green"):
        assert delta(text, "sluice_requests_total", route="m", pool=pool, **{"class": "2xx"}) == sent[pool]
    assert total_5xx == errors == 6
    for pool in ("blue", "green"):
        count = value(text, "sluice_request_duration_seconds_count", route="m", pool=pool)
        inf = value(text, "sluice_request_duration_seconds_bucket", route="m", pool=pool, le="+Inf")
        assert count == inf > 0
    assert value(text, "sluice_pool_weight_percent", route="m", pool="green") == 25
    assert value(text, "sluice_backend_healthy", route="m", pool="blue", backend=b["blue1"].addr) == 1
    assert value(text, "sluice_build_info", version=subprocess.run([str(SLUICE_BIN), "--version"], capture_output=True,
                                                                   text=True).stdout.split()[1]) == 1
    assert value(text, "sluice_rejected_requests_total", reason="bad_request") >= 1

    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing (scripts/setup.sh installs Debian's prometheus package)"
    check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
