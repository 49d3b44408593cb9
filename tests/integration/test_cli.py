"""The command line: --help, `sluice check`, start-up refusal, signals."""
from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from support import REPO, SLUICE_BIN, free_port, route, write_routes


def run(*args, timeout=30, cwd=None):
    if not SLUICE_BIN.exists():
        pytest.fail(f"sluice binary not found at {SLUICE_BIN}")
    env = dict(os.environ)
    if cwd is not None:
        env.setdefault("SLUICE_STATE", str(cwd / "state"))
        env.setdefault("SLUICE_ADMIN", f"127.0.0.1:{free_port()}")
    return subprocess.run([str(SLUICE_BIN), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd, env=env)


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"], ["check", "--help"]])
def test_help(args):
    p = run(*args)
    assert p.returncode == 0, p.stderr
    text = p.stdout + p.stderr
    assert len(text.strip()) > 20
    assert "usage" in text.lower()
    if args == ["--help"]:
        for sub in ("serve", "check"):
            assert sub in text
    if args[0] == "serve":
        assert "--routes" in text and "--listen" in text and "--workers" in text


def test_binary_does_not_load_foundation():
    """Resident memory: Foundation and ICU would add ~17 MiB of library pages to every
    Sluice process (bench/README.md, memory). Only the standard library, Dispatch, libc and
    OpenSSL may be linked."""
    p = subprocess.run(["ldd", str(SLUICE_BIN)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    libraries = [line.split()[0] for line in p.stdout.splitlines() if line.strip()]
    assert "libswiftCore.so" in libraries
    unwanted = [lib for lib in libraries if "Foundation" in lib or "icu" in lib.lower()]
    assert unwanted == [], f"sluice links {unwanted}"


def test_unknown_option_is_usage_error():
    p = run("serve", "--no-such-flag")
    assert p.returncode != 0


def test_bad_access_log_value_is_usage_error():
    p = run("serve", "--access-log", "/var/log/x")
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "--access-log: '/var/log/x' is not stdout or off" in p.stderr


def test_check_repo_routes():
    routes_dir = REPO / "routes"
    if not list(routes_dir.glob("*.json")):
        pytest.skip("routes/ has no route file yet")
    p = run("check", "--routes", str(routes_dir))
    assert p.returncode == 0, p.stdout + p.stderr


def test_check_valid_dir(tmp_path):
    d = write_routes(tmp_path / "ok", [
        route("a", ["127.0.0.1:8001"], ["127.0.0.1:8002"], 10, host="api.example.com",
              sticky={"by": "cookie", "name": "sluice_id"},
              override={"header": "X-Sluice-Pool", "allowFrom": ["127.0.0.0/8", "::1"]},
              timeouts={"connect": "1s", "firstByte": "30s", "idle": "60s"},
              retries={"attempts": 2, "on": ["connect-failure", "reset-before-response"]},
              health={"path": "/health", "interval": "2s"}),
        route("b", ["127.0.0.1:8003"], ["127.0.0.1:8004"], 12.25, prefix="/b"),
    ])
    p = run("check", "--routes", str(d))
    assert p.returncode == 0, p.stdout + p.stderr


def broken_dir(tmp_path):
    d = tmp_path / "broken"
    d.mkdir()
    # distinct matches: two routes with the same host and prefix would be an error of their own
    good = route("good", ["127.0.0.1:8001"], ["127.0.0.1:8002"], 10, prefix="/good")
    (d / "good.json").write_text(json.dumps(good))
    (d / "syntax.json").write_text('{"name": "syntax", "pools": ')
    bad = route("bad", ["127.0.0.1:8001"], ["127.0.0.1:8002"], 150, prefix="/bad",
                timeouts={"connect": "5 parsecs"})
    (d / "bad.json").write_text(json.dumps(bad))
    bad2 = route("bad2", ["not an address"], ["127.0.0.1:8002"], 10, prefix="/bad2",
                 sticky={"by": "moon-phase"})
    (d / "bad2.json").write_text(json.dumps(bad2))
    return d


def test_check_reports_every_error_with_file_and_key_path(tmp_path):
    d = broken_dir(tmp_path)
    p = run("check", "--routes", str(d))
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    out = p.stdout + p.stderr
    lines = [ln for ln in out.splitlines() if ln.strip()]

    def line_for(fname, key):
        return [ln for ln in lines if fname in ln and key in ln]

    assert line_for("syntax.json", ":"), out
    assert line_for("bad.json", "weights.green"), out
    assert line_for("bad.json", "timeouts.connect"), out
    assert line_for("bad2.json", "pools.blue.backends"), out
    assert line_for("bad2.json", "sticky.by"), out
    assert not [ln for ln in lines if "good.json:" in ln], "a valid file was reported"
    # FILE: KEY.PATH: message
    for ln in line_for("bad.json", "weights.green"):
        parts = ln.split(": ", 2)
        assert len(parts) == 3 and parts[0].endswith("bad.json") and parts[1] == "weights.green", ln


def test_serve_refuses_broken_routes(tmp_path):
    d = broken_dir(tmp_path)
    p = run("serve", "--routes", str(d), "--listen", f"127.0.0.1:{free_port()}", "--workers", "1",
            timeout=20, cwd=tmp_path)
    assert p.returncode != 0


def test_sigint_exits_zero(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("s", [b["blue1"].addr], [b["green1"].addr], 0)])
    assert sl.stop(signal.SIGINT) == 0


def test_sigterm_finishes_in_flight_request(clean_backends, sluice_factory):
    """A request in flight when SIGTERM arrives is answered, then Sluice exits 0."""
    import threading
    import time
    b = clean_backends
    sl = sluice_factory([route("s", [b["blue1"].addr], [b["green1"].addr], 0)])
    result = {}

    def slow():
        c = sl.http(timeout=20)
        try:
            c.request("GET", "/drain?latency_ms=1500", headers={"Host": "drain.test"})
            r = c.getresponse()
            r.read()
            result["status"] = r.status
        except Exception as e:  # noqa: BLE001
            result["error"] = repr(e)
        finally:
            c.close()

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.5)
    assert sl.stop(signal.SIGTERM) == 0
    t.join(20)
    assert result.get("status") == 200, result
