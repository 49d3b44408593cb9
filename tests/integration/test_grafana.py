"""examples/grafana/sluice.json: it parses, it covers what the issue asks (per route and pool
request rate, error rate, latency quantiles, weights, rollout state and step, reverts, backend
health), every metric and label it queries is in a real Sluice's /metrics, and a real
Prometheus (Debian's) scraping that Sluice answers every one of its queries with data."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from support import HOST, REPO, Load, closed_port, free_port, route, wait_port
from test_admin import TOKEN, admin

DASHBOARD = REPO / "examples" / "grafana" / "sluice.json"
ENV = {"SLUICE_ADMIN_TOKEN": TOKEN}
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def queries(dashboard: dict) -> list[tuple[str, str]]:
    """(expr, legend) of every panel target and the PromQL of every query variable."""
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            out.append((target["expr"], target.get("legendFormat", "")))
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            out.append((variable["definition"], ""))
    return out


def exposition(text: str) -> dict[str, dict[str, set[str]]]:
    """Series name -> label name -> the values seen, from Prometheus text."""
    series: dict[str, dict[str, set[str]]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, line
        labels = series.setdefault(m.group(1), {})
        for name, value in LABEL.findall(m.group(2) or ""):
            labels.setdefault(name, set()).add(value)
    return series


def used_labels(expr: str, legend: str) -> tuple[set[str], dict[str, str]]:
    """The label names an expression and its legend use, and its literal matchers (name -> value)."""
    names = set(re.findall(r"\{\{\s*([a-zA-Z_]\w*)\s*\}\}", legend))
    literal = {}
    for selector in re.findall(r"\{([^{}]*)\}", expr):
        for name, op, value in re.findall(r'([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"([^"]*)"', selector):
            names.add(name)
            if op == "=" and "$" not in value:
                literal[name] = value
    for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        names |= {n.strip() for n in group.split(",") if n.strip()}
    names |= set(re.findall(r"label_values\(\s*\w+\s*,\s*(\w+)\s*\)", expr))
    return names, literal


def test_grafana_dashboard_queries_what_sluice_exports(clean_backends, sluice_factory, tmp_path):
    dashboard = json.loads(DASHBOARD.read_text())
    found = queries(dashboard)
    metrics_used = set(re.findall(r"\bsluice_\w+", " ".join(e for e, _ in found)))
    assert {"sluice_requests_total", "sluice_request_duration_seconds_bucket", "sluice_pool_weight_percent",
            "sluice_rollout_state", "sluice_rollout_step", "sluice_rollout_reverts_total",
            "sluice_backend_healthy"} <= metrics_used, metrics_used
    assert any("histogram_quantile(0.99" in e for e, _ in found) and any('class="5xx"' in e for e, _ in found)

    # A Sluice with traffic and one automatic revert (green has no healthy backend), so
    # every family has series with their labels.
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [f"{HOST}:{closed_port()}"], 0,
                               health={"path": "/health", "interval": "1s", "timeout": "1s", "unhealthyAfter": 1})],
                        env=ENV)
    with Load(sl, rate=50):
        time.sleep(2.5)
        status, body = admin(sl, "POST", "/routes/app/rollout", body={"plan": [10, 100], "holds": "1m"})
        assert status == 200, body
        deadline = time.monotonic() + 15
        while admin(sl, "GET", "/routes/app/rollout")[1]["state"] != "reverted":
            assert time.monotonic() < deadline, "the rollout to an unhealthy pool was not reverted"
            time.sleep(0.2)

        with urllib.request.urlopen(f"http://{HOST}:{sl.admin_port}/metrics", timeout=10) as r:
            series = exposition(r.read().decode())
        for expr, legend in found:
            metrics = set(re.findall(r"\bsluice_\w+", expr))
            missing = metrics - set(series)
            assert not missing, f"{expr}: no {missing} in /metrics"
            available: dict[str, set[str]] = {}
            for metric in metrics:
                for name, values in series[metric].items():
                    available.setdefault(name, set()).update(values)
            names, literal = used_labels(expr, legend)
            assert names <= set(available), f"{expr}: labels {names - set(available)} not on {metrics}"
            for name, value in literal.items():
                assert value in available[name], f"{expr}: {name}={value!r} never exported (have {available[name]})"

        # A real Prometheus scraping this Sluice answers every query with data.
        prometheus = shutil.which("prometheus")
        assert prometheus, "prometheus is missing (scripts/setup.sh installs it)"
        port = free_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(f"global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: sluice\n"
                          f"    static_configs: [{{targets: ['{HOST}:{sl.admin_port}']}}]\n")
        log = open(tmp_path / "prometheus.log", "wb")
        proc = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                 f"--web.listen-address={HOST}:{port}"], stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_port(port, 30, proc)

            def query(promql: str) -> dict:
                url = f"http://{HOST}:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
                with urllib.request.urlopen(url, timeout=10) as r:
                    return json.load(r)

            def scraped_enough() -> bool:
                try:  # 503 until Prometheus has opened its storage
                    return bool(query("count_over_time(up{job='sluice'}[1m]) >= 4")["data"]["result"])
                except urllib.error.HTTPError as e:
                    if e.code != 503:
                        raise
                    return False

            deadline = time.monotonic() + 60
            while not scraped_enough():
                assert time.monotonic() < deadline, "Prometheus did not scrape Sluice 4 times in 60 s"
                time.sleep(0.5)
            for expr, _ in found:
                promql = (expr.replace("$__rate_interval", "10s").replace("$__range", "1h").replace("$route", ".*"))
                if promql.startswith("label_values("):
                    metric, label = re.match(r"label_values\((\w+), (\w+)\)", promql).groups()
                    url = f"http://{HOST}:{port}/api/v1/label/{label}/values?match[]={metric}"
                    with urllib.request.urlopen(url, timeout=10) as r:
                        assert json.load(r)["data"] == ["app"], promql
                    continue
                answer = query(promql)
                assert answer["status"] == "success" and answer["data"]["result"], (promql, answer)
        finally:
            proc.terminate()
            proc.wait(15)
            log.close()
