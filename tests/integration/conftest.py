"""pytest fixtures for Sluice's integration tests (helpers live in support.py)."""
from __future__ import annotations

import pytest

from support import Backend, Backends, RecordingBackend, Sluice, free_port, write_routes


@pytest.fixture(scope="session")
def backends(tmp_path_factory) -> Backends:
    """Four long-lived uvicorn backends: blue1, blue2 (POOL=blue), green1, green2 (POOL=green)."""
    logdir = tmp_path_factory.mktemp("backend-logs")
    items = {}
    try:
        for name in ("blue1", "blue2", "green1", "green2"):
            pool = name.rstrip("0123456789")
            items[name] = Backend(pool, free_port(), logdir / f"{name}.log")
        for b in items.values():
            b.wait_ready()
        yield Backends(items)
    finally:
        for b in items.values():
            b.stop()


@pytest.fixture
def clean_backends(backends):
    """The session backends with faults and health reset before and after the test."""
    for b in backends.all():
        b.reset()
    yield backends
    for b in backends.all():
        if b.proc.poll() is None:
            b.reset()


@pytest.fixture
def recorder():
    r = RecordingBackend()
    yield r
    r.stop()


@pytest.fixture
def sluice_factory(tmp_path):
    """start(routes, workers=1, extra_args=None) -> running, ready Sluice. Each instance is
    stopped with SIGTERM at teardown and must exit 0."""
    started: list[Sluice] = []
    counter = [0]

    def start(routes: list[dict], workers: int = 1, extra_args: list[str] | None = None,
              env: dict | None = None, wait: bool = True) -> Sluice:
        counter[0] += 1
        base = tmp_path / f"sluice{counter[0]}"
        routes_dir = write_routes(base / "routes", routes)
        s = Sluice(routes_dir, base, workers=workers, extra_args=extra_args, env=env)
        started.append(s)
        if wait:
            s.wait_ready()
        return s

    yield start

    failures = []
    for s in started:
        rc = s.stop()
        if rc != 0:
            failures.append(f"sluice pid {s.pid} exited with {rc} on SIGTERM; stderr tail:\n"
                            f"{s.stderr()[-2000:] if s.stderr_path.exists() else ''}")
    if failures:
        pytest.fail("\n".join(failures))
