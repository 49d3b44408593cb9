"""What an operator meets (issue 14): long-running commands stop on SIGINT and SIGTERM, ctl
checks that it talks to the admin API, takes both weights and --force, says what is invalid
before asking, pages the audit log correctly; the admin API answers a wrong method with 405
and Allow, 401 with WWW-Authenticate; route files refuse duplicate keys; the command line's
help, usage errors and messages point the right way."""
from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time

import pytest

from support import HOST, REPO, SLUICE_BIN, free_port, route, wait_port, write_routes
from test_admin import TOKEN, admin, ctl, pools_seen


def ctl_popen(sl, *args, **kwargs):
    env = dict(os.environ, SLUICE_ADMIN_TOKEN=TOKEN)
    return subprocess.Popen([str(SLUICE_BIN), "ctl", "--admin", f"http://{HOST}:{sl.admin_port}", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL, **kwargs)


def stops_within(proc, sig, seconds=3.0):
    """Sends `sig` and returns the seconds the process took to exit (fails past `seconds`)."""
    start = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        pytest.fail(f"still running {seconds} s after signal {sig}")
    return time.monotonic() - start


@pytest.fixture
def app(clean_backends, sluice_factory):
    b = clean_backends
    return sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0, host="admin.test")],
                          env={"SLUICE_ADMIN_TOKEN": TOKEN})


# ---------------------------------------------------------------------------- bug 2: signals

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_long_running_ctl_commands_stop_on_signals(app, sig):
    assert admin(app, "POST", "/routes/app/rollout", body={"plan": [10, 100], "holds": "1h"})[0] == 200
    for args in (["wait", "app"], ["events", "--follow"], ["status", "--watch"], ["status", "app", "--watch"]):
        p = ctl_popen(app, *args)
        time.sleep(1.2)
        assert p.poll() is None, (args, p.communicate())
        stops_within(p, sig)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_demo_stops_on_signals_and_gives_the_cursor_back(sig):
    """On a terminal (a pty) the live view hides the cursor; a signal ends the demo within
    3 s, and the last thing written shows the cursor again."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(str(SLUICE_BIN), [str(SLUICE_BIN), "demo", "--rate", "50"])
    out = b""
    deadline = time.monotonic() + 20
    while b"\x1b[?25l" not in out or b"Split" not in out:
        assert time.monotonic() < deadline, out[-500:]
        if select.select([fd], [], [], 0.5)[0]:
            out += os.read(fd, 65536)
    start = time.monotonic()
    os.kill(pid, sig)
    while True:
        assert time.monotonic() - start < 3, "the demo did not stop within 3 s"
        if select.select([fd], [], [], 0.2)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    _, status = os.waitpid(pid, 0) if not done else (done, status)
    assert os.waitstatus_to_exitcode(status) == 128 + sig
    assert out.rstrip(b"\r\n").endswith(b"\x1b[?25h") or out.rfind(b"\x1b[?25h") > out.rfind(b"\x1b[?25l"), out[-300:]


def test_demo_without_a_terminal_writes_no_escape_codes():
    p = subprocess.Popen([str(SLUICE_BIN), "demo", "--rate", "50"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    time.sleep(2.5)
    stops_within(p, signal.SIGTERM)
    out = p.stdout.read()
    assert b"warming up" in out and b"\x1b" not in out, out[:300]


# ---------------------------------------------------------------------------- bug 3, 4: ctl

def test_ctl_pointed_at_the_proxy_fails_clearly(clean_backends, sluice_factory):
    """The proxy's port forwards to a backend, which answers 200 with JSON of its own."""
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)], env={"SLUICE_ADMIN_TOKEN": TOKEN})
    # and a proxy whose only route is bound to a host: its own 404 with a JSON error
    hosted = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0, host="app.test")])
    for port in (sl.port, hosted.port):
        for args in (["status"], ["status", "app"], ["events"], ["wait", "app"], ["reload"]):
            r = subprocess.run([str(SLUICE_BIN), "ctl", "--admin", f"http://{HOST}:{port}", *args],
                               capture_output=True, text=True, timeout=30, env=dict(os.environ, SLUICE_ADMIN_TOKEN=TOKEN))
            assert r.returncode == 1, (args, r.stdout)
            assert "not Sluice's admin API" in r.stderr and "?" not in r.stdout, r


def test_ctl_weights_takes_both_pools_and_force(app):
    r = ctl(app, "weights", "app", "green=40", "blue=60", "--reason", "both")
    assert r.returncode == 0, r.stderr
    assert admin(app, "GET", "/routes/app")[1]["weights"] == {"blue": 60, "green": 40}
    assert ctl(app, "weights", "app", "green=10", "green=20").returncode == 2
    assert ctl(app, "weights", "app", "blue=100").returncode == 0
    assert admin(app, "POST", "/routes/app/rollout", body={"plan": [10, 100], "holds": "1h"})[0] == 200
    r = ctl(app, "weights", "app", "green=0")
    assert r.returncode == 1 and "--force" in r.stderr
    r = ctl(app, "weights", "app", "green=0", "--force")
    assert r.returncode == 0, r.stderr
    assert admin(app, "GET", "/routes/app/rollout")[1]["state"] == "paused"
    assert set(pools_seen(app, 20)) == {"blue"}
    # The stderr line of the change: numbers, the reason kept.
    lines = [json.loads(ln) for ln in app.stderr().splitlines() if '"weights changed"' in ln]
    assert lines[0]["green"] == 40 and lines[0]["blue"] == 60 and lines[0]["reason"] == "both", lines[0]


def test_ctl_tells_invalid_values_before_asking(app):
    for args in (["rollout", "app", "--plan", "fast"], ["rollout", "app", "--plan", "canary", "--to", "red"],
                 ["rollout", "app", "--plan", "10,500", "--hold", "1m"], ["rollout", "app", "--plan", "canary", "--analysis", "{"],
                 ["weights", "app", "green=x"], ["events", "--limit", "0"], ["rollout", "app", "--plan", "10,100", "--hold", "1x"]):
        r = ctl(app, *args)
        assert r.returncode == 2 and "sluice ctl --help" in r.stderr, (args, r.stderr)
    assert admin(app, "GET", "/routes/app/rollout")[1]["state"] == "idle"


def test_ctl_rollout_analysis_overrides(app):
    r = ctl(app, "rollout", "app", "--plan", "10,100", "--hold", "1h", "--min-requests", "7",
            "--analysis", '{"minRequests": 3}')
    assert r.returncode == 0, r.stderr
    assert admin(app, "GET", "/routes/app/rollout")[1]["minRequests"] == 7


def test_ctl_token_from_a_file(app, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    base = [str(SLUICE_BIN), "ctl", "--admin", f"http://{HOST}:{app.port and app.admin_port}", "status"]
    env = {k: v for k, v in os.environ.items() if k != "SLUICE_ADMIN_TOKEN"}
    assert subprocess.run(base, capture_output=True, timeout=30, env=env).returncode == 1
    assert subprocess.run(base + ["--admin-token-file", str(token_file)], capture_output=True, timeout=30, env=env).returncode == 0
    env["SLUICE_ADMIN_TOKEN_FILE"] = str(token_file)
    assert subprocess.run(base, capture_output=True, timeout=30, env=env).returncode == 0


def test_ctl_status_watch_redraws(app):
    p = ctl_popen(app, "status", "--watch")
    time.sleep(2.5)
    stops_within(p, signal.SIGTERM)
    out = p.stdout.read().decode()
    assert out.count("ROUTE/POOL") >= 2 and "app" in out and "\x1b" not in out, out


# ---------------------------------------------------------------------------- bug 5: the admin API

def raw_admin(sl, method, path, headers=None, body=b""):
    import http.client
    c = http.client.HTTPConnection(HOST, sl.admin_port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def test_wrong_method_auth_scheme_and_length_errors(app):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for method, path, allow in (("GET", "/routes/app/weights", "PUT"), ("DELETE", "/routes/app", "GET"),
                                ("GET", "/reload", "POST"), ("PUT", "/routes/app/rollout", "GET, POST"),
                                ("POST", "/health", "GET"), ("POST", "/metrics", "GET")):
        status, headers, body = raw_admin(app, method, path, auth)
        assert status == 405 and headers.get("Allow") == allow, (method, path, status, headers)
        assert set(json.loads(body)) == {"error", "detail"}
    status, headers, body = raw_admin(app, "GET", "/routes")
    assert status == 401 and headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert raw_admin(app, "GET", "/routes", {"Authorization": f"bearer {TOKEN}"})[0] == 200
    assert raw_admin(app, "GET", "/routes", {"Authorization": f"BEARER {TOKEN}"})[0] == 200
    assert raw_admin(app, "GET", "/routes", {"Authorization": f"Basic {TOKEN}"})[0] == 401
    status, _, body = raw_admin(app, "PUT", "/routes/app/weights", {**auth, "Transfer-Encoding": "chunked"}, b"")
    assert status == 411 and set(json.loads(body)) == {"error", "detail"}
    status, _, body = raw_admin(app, "PUT", "/routes/app/weights", {**auth, "Content-Length": str(2 << 20)}, b"")
    assert status == 413 and set(json.loads(body)) == {"error", "detail"}


# ---------------------------------------------------------------------------- bug 6: events paging

def test_events_paging_is_correct(app):
    for g in range(5):
        assert admin(app, "PUT", "/routes/app/weights", body={"green": g})[0] == 200
    status, body = admin(app, "GET", "/events?since=1&limit=2")
    assert status == 200 and [e["id"] for e in body["events"]] == [2, 3]
    assert body["next"] == 3 and body["more"] is True and body["latest"] >= 6
    seen, since = [], 0
    while True:
        body = admin(app, "GET", f"/events?since={since}&limit=2")[1]
        seen += [e["id"] for e in body["events"]]
        since = body["next"]
        if not body["more"]:
            break
    assert seen == list(range(1, body["latest"] + 1))
    weights = admin(app, "GET", "/events?since=0&type=weights&route=app&limit=3")[1]
    assert [e["type"] for e in weights["events"]] == ["weights"] * 3 and weights["more"] is True
    assert admin(app, "GET", "/events?type=nonsense")[0] == 400
    r = ctl(app, "events", "--type", "weights", "--limit", "2")
    lines = r.stdout.strip().splitlines()
    assert r.returncode == 0 and len(lines) == 3 and lines[0].split()[:3] == ["ID", "TIME", "TYPE"], r.stdout
    assert "blue 100% → 100%, green 0% → 0%" in lines[1] and "blue 100% → 99%, green 0% → 1%" in lines[2], r.stdout
    r = ctl(app, "events", "--json", "--limit", "2")
    assert [json.loads(ln)["id"] for ln in r.stdout.splitlines()] == [1, 2]


# ---------------------------------------------------------------------------- bug 7: duplicate keys

def test_route_file_with_a_duplicate_key_is_refused(tmp_path):
    d = tmp_path / "routes"
    d.mkdir()
    (d / "a.json").write_text('{"name": "a", "name": "a2", "pools": {"blue": {"backends": ["127.0.0.1:1"]},'
                              ' "green": {"backends": ["127.0.0.1:2"], "backends": []}}, "stable": "blue"}')
    r = subprocess.run([str(SLUICE_BIN), "check", "--routes", str(d)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "a.json: name: the key is given twice" in r.stdout, r.stdout
    assert "a.json: pools.green.backends: the key is given twice" in r.stdout, r.stdout


# ---------------------------------------------------------------------------- bug 8: the command line

def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(SLUICE_BIN), *args], capture_output=True, text=True, timeout=30, env=e,
                          stdin=subprocess.DEVNULL)


def test_help_version_and_usage_errors():
    r = run("help", "serve")
    assert r.returncode == 0 and r.stdout.startswith("Usage: sluice serve")
    r = run("--help")
    assert "--version" in r.stdout
    r = run()
    assert r.returncode == 2 and "Usage: sluice <command>" in r.stderr
    r = run("help", "env")
    assert r.returncode == 0 and "SLUICE_PID_FILE" in r.stdout and "SLUICE_ADMIN_TOKEN_FILE" in r.stdout and "SLUICE_CACERT" in r.stdout
    assert run("help", "nonsense").returncode == 2
    r = run("serve", "--no-such-flag")
    assert r.returncode == 2 and "sluice serve --help" in r.stderr
    r = run("ctl", "status", "--no-such-flag")
    assert r.returncode == 2 and "sluice ctl --help" in r.stderr


def test_serve_messages(tmp_path, clean_backends):
    b = clean_backends
    routes = write_routes(tmp_path / "routes", [route("app", [b["blue1"].addr], [b["green1"].addr], 0)])
    r = run("serve", "--routes", str(routes), "--listen", "proxy.example:8080")
    assert r.returncode == 2 and "HOST:PORT" in r.stderr and "proxy.example" in r.stderr and "localhost:8080" in r.stderr
    r = run("serve", "--routes", str(tmp_path / "missing"), "--listen", f"{HOST}:{free_port()}",
            env={"SLUICE_ADMIN": f"{HOST}:{free_port()}", "SLUICE_STATE": str(tmp_path / "s1")})
    assert r.returncode == 1 and "invalid route file" not in r.stderr and "no such routes directory" in r.stderr, r.stderr


def test_serve_listens_on_localhost(tmp_path, clean_backends):
    b = clean_backends
    routes = write_routes(tmp_path / "routes", [route("app", [b["blue1"].addr], [b["green1"].addr], 0)])
    port = free_port()
    env = dict(os.environ, SLUICE_ADMIN=f"{HOST}:{free_port()}", SLUICE_STATE=str(tmp_path / "state"))
    p = subprocess.Popen([str(SLUICE_BIN), "serve", "--routes", str(routes), "--listen", f"localhost:{port}", "--workers", "1"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        wait_port(port, 15, p)
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 0


def test_serve_takes_the_admin_url_ctl_takes_and_warns_without_token(tmp_path, clean_backends):
    b = clean_backends
    routes = write_routes(tmp_path / "routes", [route("app", [b["blue1"].addr], [b["green1"].addr], 0)])
    admin_port, port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "SLUICE_ADMIN_TOKEN"}
    env.update(SLUICE_ADMIN=f"http://{HOST}:{admin_port}", SLUICE_STATE=str(tmp_path / "state"))
    p = subprocess.Popen([str(SLUICE_BIN), "serve", "--routes", str(routes), "--listen", f"{HOST}:{port}", "--workers", "1"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        r = None
        for _ in range(50):
            r = subprocess.run([str(SLUICE_BIN), "ctl", "status"], capture_output=True, text=True, timeout=30, env=env)
            if "403" in r.stderr:
                break
            time.sleep(0.1)
        assert r.returncode == 1 and "403" in r.stderr, r.stderr
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 0
    assert "will answer 403" in p.stderr.read().decode()


# ---------------------------------------------------------------------------- features

def test_check_one_file_json_and_state_warning(tmp_path, clean_backends, sluice_factory):
    b = clean_backends
    routes = [route("app", [b["blue1"].addr], [b["green1"].addr], 0)]
    sl = sluice_factory(routes, env={"SLUICE_ADMIN_TOKEN": TOKEN})
    assert admin(sl, "PUT", "/routes/app/weights", body={"green": 100})[0] == 200
    state = sl.workdir / "state"
    routes_dir = sl.workdir / "routes"
    r = run("check", str(routes_dir / "app.json"), "--state", str(state))
    assert r.returncode == 0 and "1 route(s) OK: app" in r.stdout
    assert "warning:" in r.stdout and "green 100%" in r.stdout and "--reset-state" in r.stdout, r.stdout
    r = run("check", str(routes_dir), "--state", str(state), "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["valid"] is True and out["routes"] == ["app"] and len(out["warnings"]) == 1
    (routes_dir / "bad.json").write_text('{"name": "bad"}')
    r = run("check", str(routes_dir / "bad.json"), "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 1 and out["valid"] is False and out["errors"][0]["file"].endswith("bad.json")
    (routes_dir / "bad.json").unlink()
    # --reset-state would flip the live split back to blue: refused without --confirm-reset.
    sl.stop()
    sl.returncode = 0
    env = dict(os.environ, SLUICE_STATE=str(state), SLUICE_ADMIN=f"{HOST}:{free_port()}")
    r = subprocess.run([str(SLUICE_BIN), "serve", "--routes", str(routes_dir), "--listen", f"{HOST}:{free_port()}",
                        "--reset-state"], capture_output=True, text=True, timeout=10, env=env, stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "--confirm-reset" in r.stderr and "app" in r.stderr, r.stderr


def test_pid_file_and_pid_in_the_listening_line(clean_backends, sluice_factory, tmp_path):
    b = clean_backends
    pid_file = tmp_path / "sluice.pid"
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)], extra_args=["--pid-file", str(pid_file)])
    assert pid_file.read_text() == f"{sl.pid}\n"
    listening = next(json.loads(ln) for ln in sl.stderr().splitlines() if '"listening"' in ln)
    assert listening["pid"] == sl.pid
    assert sl.stop() == 0
    assert not pid_file.exists()


def test_ended_rollout_shows_no_hold(app):
    assert admin(app, "POST", "/routes/app/rollout", body={"plan": [10, 100], "holds": "1h"})[0] == 200
    running = admin(app, "GET", "/routes/app/rollout")[1]
    assert "holdLeft" in running and "held" in running
    assert admin(app, "POST", "/routes/app/rollout/pause")[0] == 200
    r = ctl(app, "status", "app")
    assert r.returncode == 0 and "paused" in r.stdout and "hold extended" not in r.stdout, r.stdout
    assert "over this rollout" in r.stdout and "since Sluice started" in r.stdout
    assert admin(app, "POST", "/routes/app/rollout/abort")[0] == 200
    ended = admin(app, "GET", "/routes/app/rollout")[1]
    assert ended["state"] == "aborted" and "holdLeft" not in ended and "held" not in ended


def test_ctl_rollout_dry_run_and_history(app):
    r = ctl(app, "rollout", "app", "--plan", "10,100", "--hold", "1h", "--min-requests", "50", "--dry-run")
    assert r.returncode == 0 and "would roll out green" in r.stdout and "10%, 100%" in r.stdout and "minRequests 50" in r.stdout, r.stdout
    assert admin(app, "GET", "/routes/app/rollout")[1]["state"] == "idle", "a dry run changed nothing"
    assert ctl(app, "rollout", "app", "--plan", "10,100", "--hold", "1h", "--reason", "v2").returncode == 0
    r = ctl(app, "rollout", "app", "--plan", "canary", "--dry-run")
    assert r.returncode == 1 and "would be refused" in r.stdout, r.stdout
    assert ctl(app, "abort", "app", "--reason", "bad smoke test").returncode == 0
    assert ctl(app, "rollout", "app", "--plan", "10,100", "--hold", "1h").returncode == 0
    r = ctl(app, "history", "app")
    lines = r.stdout.strip().splitlines()
    assert r.returncode == 0 and lines[0].split()[:4] == ["STARTED", "TO", "OUTCOME", "DURATION"] and len(lines) == 3, r.stdout
    assert "aborted" in lines[1] and "v2 → bad smoke test" in lines[1], lines[1]
    assert "running" in lines[2], lines[2]


def test_shell_completion():
    script = run("completion", "bash").stdout
    def complete(*words):
        cmd = (f"source /dev/stdin; COMP_WORDS=({' '.join(words)}); COMP_CWORD={len(words) - 1}; _sluice; "
               'echo "${COMPREPLY[@]}"')
        return subprocess.run(["bash", "-c", cmd], input=script, capture_output=True, text=True, timeout=30).stdout.split()
    assert complete("sluice", "ct") == ["ctl"]
    assert complete("sluice", "ctl", "hi") == ["history"]
    assert complete("sluice", "serve", "--pid") == ["--pid-file"]
    assert complete("sluice", "ctl", "status", "--wa") == ["--watch"]
    assert complete("sluice", "completion", "z") == ["zsh"]
    zsh = subprocess.run(["zsh", "-c", "autoload -U compinit && compinit -u; source <(\"$0\" completion zsh); print -- ${_comps[sluice]}",
                          str(SLUICE_BIN)], capture_output=True, text=True, timeout=30)
    assert "_sluice" in zsh.stdout, zsh.stdout + zsh.stderr
    assert run("completion", "fish").returncode == 2


def test_check_effective_applies_the_state_and_round_trips(tmp_path, clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)], env={"SLUICE_ADMIN_TOKEN": TOKEN})
    assert admin(sl, "PUT", "/routes/app/weights", body={"green": 30})[0] == 200
    r = run("check", str(sl.workdir / "routes"), "--state", str(sl.workdir / "state"), "--effective")
    assert r.returncode == 0 and r.stdout.startswith("# route app: weights and stable pool from the state directory"), r.stdout
    r = run("check", str(sl.workdir / "routes"), "--state", str(sl.workdir / "state"), "--effective", "--json")
    [effective] = json.loads(r.stdout)
    assert effective["weights"] == {"blue": 70, "green": 30} and effective["timeouts"] == {"connect": "1s", "firstByte": "30s", "idle": "1m"}
    assert effective["health"]["unhealthyAfter"] == 3 and effective["analysis"]["minRequests"] == 200
    # What --effective prints is a route file that loads as the same route.
    again = write_routes(tmp_path / "again", [effective])
    r = run("check", str(again), "--state", str(tmp_path / "none"), "--effective", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == [effective]


def test_admin_api_over_tls(clean_backends, sluice_factory, tmp_path):
    pki = tmp_path / "pki"
    subprocess.run(["bash", str(REPO / "certs" / "make-dev-certs.sh"), "--out", str(pki), "localhost", "127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)], env={"SLUICE_ADMIN_TOKEN": TOKEN},
                        extra_args=["--admin-cert", str(pki / "localhost.crt"), "--admin-key", str(pki / "localhost.key")])
    base = [str(SLUICE_BIN), "ctl", "--admin", f"https://127.0.0.1:{sl.admin_port}"]
    env = dict(os.environ, SLUICE_ADMIN_TOKEN=TOKEN)
    ca = ["--cacert", str(pki / "ca" / "ca.crt")]
    r = subprocess.run(base + ca + ["weights", "app", "green=20"], capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(base + ca + ["status", "app"], capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0 and "app" in r.stdout, r.stderr
    r = subprocess.run(base + ["status"], capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 1 and "certificate verify failed" in r.stderr, r.stderr
    r = subprocess.run([str(SLUICE_BIN), "ctl", "--admin", f"http://127.0.0.1:{sl.admin_port}", "status"],
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 1
    out = subprocess.run(["curl", "-sS", "--cacert", str(pki / "ca" / "ca.crt"), f"https://127.0.0.1:{sl.admin_port}/health"],
                         capture_output=True, text=True, timeout=30)
    assert json.loads(out.stdout) == {"status": "ok"}, out.stderr
    assert set(pools_seen_any(sl)) == {"blue", "green"}


def pools_seen_any(sl, n=60):
    seen = []
    c = sl.http(timeout=10)
    try:
        for i in range(n):
            c.request("GET", f"/t{i}")
            r = c.getresponse()
            r.read()
            seen.append(r.getheader("X-Sluice-Pool") or r.getheader("X-Pool"))
    finally:
        c.close()
    return seen
