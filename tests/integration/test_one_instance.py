"""One Sluice per address and state directory (SPEC section 2): a second `sluice serve` on an
address or state dir in use exits 1 within 5 s naming it, and the first keeps all of its
traffic and its admin API; the workers of one process and a reload still share the port."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from support import HOST, REPO, SLUICE_BIN, free_port, route, write_routes
from test_admin import TOKEN, admin, pools_seen


def second_instance(tmp_path, routes, args, env=None):
    """Runs another `sluice serve` with `args`; returns (exit code, stderr, seconds taken)."""
    routes_dir = write_routes(tmp_path / "second-routes", routes)
    e = dict(os.environ, SLUICE_ADMIN_TOKEN=TOKEN)
    e.setdefault("SLUICE_STATE", str(tmp_path / "second-state"))
    e.update(env or {})
    start = time.monotonic()
    try:
        p = subprocess.run([str(SLUICE_BIN), "serve", "--routes", str(routes_dir), "--workers", "2", *args],
                           capture_output=True, text=True, timeout=5, env=e, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the second instance was still running after 5 s: {e.stderr!r}")
    return p.returncode, p.stderr, time.monotonic() - start


def first_keeps_everything(sl):
    """Every request reaches the first instance (its split: all green) and its admin API
    answers every call with 200."""
    assert set(pools_seen(sl, 40)) == {"green"}
    assert all(admin(sl, "GET", "/routes")[0] == 200 for _ in range(10))


@pytest.fixture
def first(clean_backends, sluice_factory):
    b = clean_backends
    routes = [route("app", [b["blue1"].addr], [b["green1"].addr], 100, host="admin.test")]
    sl = sluice_factory(routes, workers=2, env={"SLUICE_ADMIN_TOKEN": TOKEN})
    return sl, routes


def test_second_instance_on_the_listen_address_is_refused(first, tmp_path):
    sl, routes = first
    code, err, _ = second_instance(tmp_path, routes, ["--listen", f"{HOST}:{sl.port}", "--admin", f"{HOST}:{free_port()}"])
    assert code == 1 and f"{HOST}:{sl.port}" in err and "in use" in err, err
    first_keeps_everything(sl)


def test_second_instance_on_the_admin_address_is_refused(first, tmp_path):
    sl, routes = first
    code, err, _ = second_instance(tmp_path, routes, ["--listen", f"{HOST}:{free_port()}", "--admin", f"{HOST}:{sl.admin_port}"])
    assert code == 1 and f"{HOST}:{sl.admin_port}" in err and "in use" in err, err
    first_keeps_everything(sl)


def test_second_instance_on_the_state_directory_is_refused(first, tmp_path):
    sl, routes = first
    state = sl.workdir / "state"
    code, err, _ = second_instance(tmp_path, routes, ["--listen", f"{HOST}:{free_port()}", "--admin", f"{HOST}:{free_port()}"],
                                   env={"SLUICE_STATE": str(state)})
    assert code == 1 and str(state) in err and f"pid {sl.pid}" in err, err
    first_keeps_everything(sl)
    status, body = admin(sl, "GET", "/events?since=0")
    assert [e["type"] for e in body["events"]].count("start") == 1


def test_second_instance_on_the_tls_address_is_refused(clean_backends, sluice_factory, tmp_path):
    b = clean_backends
    pki = tmp_path / "pki"
    subprocess.run(["bash", str(REPO / "certs" / "make-dev-certs.sh"), "--out", str(pki), "localhost"],
                   check=True, capture_output=True, timeout=60)
    tls_port = free_port()
    tls = ["--tls-listen", f"{HOST}:{tls_port}", "--cert", str(pki / "localhost.crt"), "--key", str(pki / "localhost.key")]
    routes = [route("app", [b["blue1"].addr], [b["green1"].addr], 100, host="admin.test")]
    sl = sluice_factory(routes, workers=2, extra_args=tls, env={"SLUICE_ADMIN_TOKEN": TOKEN})
    code, err, _ = second_instance(tmp_path, routes, ["--listen", f"{HOST}:{free_port()}", "--admin", f"{HOST}:{free_port()}", *tls])
    assert code == 1 and f"{HOST}:{tls_port}" in err and "in use" in err, err
    first_keeps_everything(sl)


def test_listen_and_admin_on_one_address_is_refused(tmp_path, clean_backends):
    b = clean_backends
    port = free_port()
    code, err, _ = second_instance(tmp_path, [route("app", [b["blue1"].addr], [b["green1"].addr], 0)],
                                   ["--listen", f"{HOST}:{port}", "--admin", f"{HOST}:{port}"])
    assert code == 1 and f"{HOST}:{port}" in err and "--admin" in err, err


def test_workers_share_the_port_and_a_reload_keeps_it(clean_backends, sluice_factory):
    """Four workers of one process each bind the port (their sockets join the first one's)
    and serve, before and after a SIGHUP reload."""
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 100, host="admin.test")], workers=4,
                        env={"SLUICE_ADMIN_TOKEN": TOKEN})
    listeners = subprocess.run(["ss", "-Hltn", f"sport = :{sl.port}"], capture_output=True, text=True)
    if listeners.returncode == 0:
        assert len(listeners.stdout.strip().splitlines()) == 4, listeners.stdout
    assert set(pools_seen(sl, 40, conns=20)) == {"green"}
    sl.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert set(pools_seen(sl, 40, conns=20)) == {"green"}
    assert sl.proc.poll() is None
