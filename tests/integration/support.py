"""Helpers for Sluice's integration tests: real uvicorn backends (examples/fastapi), a raw
recording backend, temp route dirs and the real `sluice` binary. Fixtures are in conftest.py.

All traffic stays on 127.0.0.1. Every subprocess is stopped at teardown; sluice must exit 0
on SIGTERM.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from httpraw import RawConn, request_bytes

REPO = Path(__file__).resolve().parents[2]
APP_DIR = REPO / "examples" / "fastapi"
SLUICE_BIN = Path(os.environ.get("SLUICE_BIN") or REPO / ".build" / "release" / "sluice")
HOST = "127.0.0.1"


# ---------------------------------------------------------------------------- ports

_used_ports: set[int] = set()


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (never handed out twice in one run)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if port not in _used_ports:
            _used_ports.add(port)
            return port
    raise RuntimeError("no free port")


def closed_port() -> int:
    """A port nothing listens on (connections are refused)."""
    port = free_port()
    with socket.socket() as s:
        s.settimeout(1)
        assert s.connect_ex((HOST, port)) != 0
    return port


def wait_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


# ---------------------------------------------------------------------------- backends

class Backend:
    """One uvicorn process running examples/fastapi/app.py."""

    def __init__(self, pool: str, port: int, log_path: Path):
        self.pool = pool
        self.port = port
        self.addr = f"{HOST}:{port}"
        self.log_path = log_path
        env = dict(os.environ, POOL=pool, ERROR_RATE="0", LATENCY_MS="0", HEALTH="ok",
                   PYTHONUNBUFFERED="1")
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:app", "--host", HOST, "--port", str(port),
             "--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "75"],
            cwd=APP_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"backend {self.pool}@{self.port} exited: "
                                   f"{self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                status, _ = self.get("/health", timeout=1.0)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"backend {self.pool}@{self.port} not healthy after {timeout}s")

    def get(self, path: str, method: str = "GET", timeout: float = 5.0):
        c = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            c.request(method, path)
            r = c.getresponse()
            body = r.read()
            return r.status, (json.loads(body) if body else None)
        finally:
            c.close()

    def stats(self) -> int:
        return self.get("/admin/stats")[1]["requests"]

    def configure(self, **knobs) -> None:
        q = "&".join(f"{k}={v}" for k, v in knobs.items())
        status, _ = self.get(f"/admin/config?{q}", method="POST")
        assert status == 200

    def reset(self) -> None:
        self.configure(error_rate=0, latency_ms=0, break_rate=0, health="ok")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


class Backends:
    def __init__(self, items: dict[str, Backend]):
        self._items = items

    def __getitem__(self, name: str) -> Backend:
        return self._items[name]

    def all(self):
        return list(self._items.values())

    def by_port(self, port: int) -> Backend:
        for b in self._items.values():
            if b.port == port:
                return b
        raise KeyError(port)


# ---------------------------------------------------------------------------- recording backend

HEALTH_PATH_FOR_RECORDER = "/__recorder_health"


def _complete_request_length(buf: bytes) -> int | None:
    """Length of the first complete request (head and body, by Content-Length or chunked) in
    buf, or None while incomplete. Lenient: only for answering a proxy in step."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    pos = end + 4
    head = buf[:end].lower()
    length = 0
    is_chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                length = 0
        elif name.strip() == b"transfer-encoding" and b"chunked" in value:
            is_chunked = True
    if not is_chunked:
        return pos + length if len(buf) >= pos + length else None
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(buf[pos:eol].split(b";")[0].strip() or b"0", 16)
        except ValueError:
            size = 0
        pos = eol + 2
        if size == 0:
            # trailer fields until an empty line
            while True:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    return None
                if eol == pos:
                    return pos + 2
                pos = eol + 2
        if len(buf) < pos + size + 2:
            return None
        pos += size + 2


class RawServer:
    """A raw TCP server on loopback: a thread accepts connections and serves each on a thread
    of its own with `_serve(sock, record)` (subclasses); `stop()` ends it."""

    def __init__(self):
        self.port = free_port()
        self.addr = f"{HOST}:{self.port}"
        self.lock = threading.Lock()
        self.conns: list[bytearray] = []
        self.stopping = False
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, self.port))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accept_loop(self):
        while not self.stopping:
            try:
                s, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            rec = bytearray()
            with self.lock:
                self.conns.append(rec)
            threading.Thread(target=self._serve, args=(s, rec), daemon=True).start()

    def _serve(self, s: socket.socket, rec: bytearray):
        raise NotImplementedError

    def stop(self):
        self.stopping = True
        self.listener.close()
        self.thread.join(2)


class RecordingBackend(RawServer):
    """Records every byte received per connection and answers each complete request (head
    plus Content-Length or chunked body) with a fixed response, sent in one call (by default
    a 200 with the body "recorded"; `respond`, given the request's bytes, may choose another,
    or a tuple of parts sent 0.3 s apart).
    Requests to HEALTH_PATH_FOR_RECORDER (the proxy's active health checks) are excluded by
    `payload()`."""

    RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n"
                b"X-Pool: recorder\r\n\r\nrecorded")

    def __init__(self, response: bytes = RESPONSE, respond=None):
        self.response = response
        self.respond = respond
        super().__init__()

    def _serve(self, s: socket.socket, rec: bytearray):
        s.settimeout(0.5)
        pending = b""
        try:
            while not self.stopping:
                try:
                    data = s.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    return
                with self.lock:
                    rec.extend(data)
                pending += data
                while True:
                    used = _complete_request_length(pending)
                    if used is None:
                        break
                    request, pending = pending[:used], pending[used:]
                    reply = self.respond(request) if self.respond else self.response
                    for i, part in enumerate(reply if isinstance(reply, tuple) else (reply,)):
                        if i:
                            time.sleep(0.3)
                        s.sendall(part)
        except OSError:
            return
        finally:
            s.close()

    def reset(self):
        """Forget what was received so far. Connections stay tracked (a proxy keeps its
        backend connections alive), only their recorded bytes are dropped."""
        with self.lock:
            for rec in self.conns:
                rec.clear()

    def payload(self) -> bytes:
        """Every byte received since reset(), less the proxy's health-check requests."""
        out = bytearray()
        with self.lock:
            conns = [bytes(c) for c in self.conns]
        marker = b"GET " + HEALTH_PATH_FOR_RECORDER.encode() + b" "
        for data in conns:
            rest = data
            while rest.startswith(marker):
                used = _complete_request_length(rest)
                if used is None:
                    break
                rest = rest[used:]
            out.extend(rest)
        return bytes(out)

    def wait_quiet(self, settle: float = 0.4) -> bytes:
        """Give the proxy a moment to (wrongly) forward something, then return the payload."""
        time.sleep(settle)
        return self.payload()

class ScriptedBackend(RawServer):
    """For each request head it receives, plays `script` (byte strings sent as they are,
    floats slept), then closes the connection when `close` is set: a backend that breaks
    the rules on purpose."""

    def __init__(self, script: list, close: bool = True):
        self.script = script
        self.close = close
        super().__init__()

    def _serve(self, s: socket.socket, rec: bytearray):
        s.settimeout(5)
        buf = b""
        try:
            while not self.stopping:
                while b"\r\n\r\n" not in buf:
                    data = s.recv(65536)
                    if not data:
                        return
                    buf += data
                buf = buf[buf.index(b"\r\n\r\n") + 4:]
                for step in self.script:
                    if isinstance(step, float):
                        time.sleep(step)
                    else:
                        s.sendall(step)
                if self.close:
                    return
        except OSError:
            return
        finally:
            s.close()


# ---------------------------------------------------------------------------- routes and sluice

def route(name: str, blue: list[str], green: list[str], green_weight: float = 0, *,
          host: str | None = None, prefix: str | None = "/", **extra) -> dict:
    """A route file body. Extra keys (sticky, override, timeouts, ...) are merged in."""
    r: dict = {"name": name,
               "pools": {"blue": {"backends": blue}, "green": {"backends": green}},
               "stable": "blue",
               "weights": {"green": green_weight},
               "exposePool": True}
    match = {}
    if host is not None:
        match["host"] = host
    if prefix is not None:
        match["pathPrefix"] = prefix
    if match:
        r["match"] = match
    r.update(extra)
    return r


def write_routes(directory: Path, routes: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.json"):
        old.unlink()
    for r in routes:
        (directory / f"{r['name']}.json").write_text(json.dumps(r, indent=2))
    return directory


class Sluice:
    """A running `sluice serve`. stdout/stderr go to files (never a pipe that could fill)."""

    def __init__(self, routes_dir: Path, workdir: Path, workers: int = 1,
                 extra_args: list[str] | None = None, env: dict | None = None,
                 prefix: list[str] | None = None):
        if not SLUICE_BIN.exists():
            pytest.fail(f"sluice binary not found at {SLUICE_BIN} (build it with "
                        f"`swift build -c release` or set SLUICE_BIN)")
        self.port = free_port()
        self.admin_port = free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = workdir / "sluice.stdout"
        self.stderr_path = workdir / "sluice.stderr"
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        # `prefix` runs the binary through a command that execs it, e.g. prlimit.
        self.args = (prefix or []) + [str(SLUICE_BIN), "serve", "--routes", str(routes_dir),
                                      "--listen", f"{HOST}:{self.port}"]
        self.args += ["--workers", str(workers)] if workers else []
        self.args += extra_args or []
        # Flags beyond the tested contract go through SLUICE_* env vars so that an older
        # binary that lacks them still starts: own admin port and state dir per instance.
        e = dict(os.environ)
        e.setdefault("SLUICE_ADMIN", f"{HOST}:{self.admin_port}")
        e.setdefault("SLUICE_STATE", str(workdir / "state"))
        e.update(env or {})
        self.proc = subprocess.Popen(self.args, cwd=workdir, env=e,
                                     stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL)
        self.returncode: int | None = None
        self.pid = self.proc.pid

    def wait_ready(self, timeout: float = 15.0) -> None:
        """Ready when the listener accepts and answers an HTTP request."""
        wait_port(self.port, timeout, self.proc)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sluice exited with {self.proc.returncode}: {self.stderr()[-3000:]}")
            try:
                with RawConn(HOST, self.port, timeout=2) as c:
                    # A host that matches no host-bound route; the path is the recorder's
                    # health path so a recording backend ignores the probe.
                    c.send(request_bytes("GET", "/__recorder_health", host="sluice-ready.invalid",
                                         headers=[("Connection", "close")]))
                    c.read_response()
                    return
            except Exception as e:  # noqa: BLE001 - retry until the deadline
                last = e
                time.sleep(0.05)
        raise RuntimeError(f"sluice not answering on {self.port}: {last!r}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40.0) -> int:
        if self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
                    self.returncode = -9999
            if self.returncode is None:
                self.returncode = self.proc.returncode
            self._out.close()
            self._err.close()
        return self.returncode

    def stdout(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        if not self._err.closed:
            self._err.flush()
        return self.stderr_path.read_text(errors="replace")

    def access_log(self) -> list[dict]:
        out = []
        for line in self.stdout().splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out

    def rss_kib(self) -> int | None:
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    # convenience
    def conn(self, timeout: float = 10.0, source: str | None = None) -> RawConn:
        return RawConn(HOST, self.port, timeout=timeout, source=source)

    def http(self, timeout: float = 10.0, source: str | None = None) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)


class RssSampler:
    """Samples a process's VmRSS every `interval` seconds in a thread; `.max_kib` after stop()."""

    def __init__(self, sluice: Sluice, interval: float = 0.05):
        self.sluice = sluice
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            v = self.sluice.rss_kib()
            if v is not None:
                self.samples.append(v)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(2)

    @property
    def max_kib(self) -> int:
        return max(self.samples) if self.samples else 0


REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class Load:
    """Steady GET traffic through Sluice from a few keep-alive connections, about `rate`
    requests a second in all, until stopped. Records (time, status, pool) per request and
    every transport error (a request lost by the proxy)."""

    def __init__(self, sluice: Sluice, rate: float = 100.0, conns: int = 4, path: str = "/load"):
        self.sluice = sluice
        self.interval = conns / rate
        self.path = path
        self.results: list[tuple[float, int, str | None]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(conns)]

    def __enter__(self) -> "Load":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)

    def _run(self, index: int) -> None:
        conn = self.sluice.http(timeout=10)
        next_at = time.monotonic() + index * self.interval / len(self._threads)
        n = 0
        while not self._stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at += self.interval
            n += 1
            try:
                conn.request("GET", f"{self.path}/{index}/{n}")
                r = conn.getresponse()
                r.read()
                with self._lock:
                    self.results.append((time.monotonic(), r.status, r.getheader("X-Sluice-Pool")))
            except Exception as e:  # noqa: BLE001 - recorded: a lost request fails the test
                with self._lock:
                    self.errors.append(repr(e))
                conn.close()
                conn = self.sluice.http(timeout=10)
        conn.close()

    def since(self, t: float) -> list[tuple[float, int, str | None]]:
        with self._lock:
            return [r for r in self.results if r[0] >= t]


class WebhookReceiver:
    """A local HTTP server that records the JSON bodies POSTed to it (Sluice's webhooks)."""

    def __init__(self, fail_first: int = 0):
        """`fail_first`: answer the first N deliveries with 503 (not recorded)."""
        import http.server
        received = self.received = []
        failures = [fail_first]
        self.refused = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if failures[0] > 0:
                    failures[0] -= 1
                    receiver.refused += 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                received.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}/hooks/sluice"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def types(self) -> list[str]:
        return [e["type"] for e in self.received]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------- etcd

class Etcd:
    """An etcd cluster (Debian's etcd-server) of `members` members on free loopback ports,
    its data in `directory`. `kill(m)` SIGKILLs member m (every member without m),
    `start(m)` brings it back on the same ports and data, `pause(m)` freezes it."""

    def __init__(self, directory: Path, members: int = 1):
        self.binary = next((p for p in ("/usr/bin/etcd", "/usr/local/bin/etcd") if os.path.exists(p)), None)
        if self.binary is None:
            pytest.fail("etcd is not installed: run scripts/setup.sh (Debian package etcd-server)")
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.client_ports = [free_port() for _ in range(members)]
        self.peer_ports = [free_port() for _ in range(members)]
        self.url = "etcd://" + ",".join(f"{HOST}:{p}" for p in self.client_ports)
        self.cluster = ",".join(f"m{m}=http://{HOST}:{p}" for m, p in enumerate(self.peer_ports))
        self.procs: list[subprocess.Popen | None] = [None] * members
        self._log = open(directory / "etcd.log", "ab")
        for m in range(members):
            self._spawn(m)
        for m in range(members):
            self._wait(m)

    def _spawn(self, m: int) -> None:
        client, peer = f"http://{HOST}:{self.client_ports[m]}", f"http://{HOST}:{self.peer_ports[m]}"
        self.procs[m] = subprocess.Popen(
            [self.binary, "--name", f"m{m}", "--data-dir", str(self.directory / f"m{m}"),
             "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", self.cluster, "--initial-cluster-state", "new",
             "--initial-cluster-token", self.directory.name],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def _wait(self, m: int) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.procs[m].poll() is not None:
                raise RuntimeError(f"etcd member m{m} exited with {self.procs[m].returncode}")
            try:
                c = http.client.HTTPConnection(HOST, self.client_ports[m], timeout=1)
                c.request("POST", "/v3/kv/range", body=b'{"key":"AA=="}')
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"etcd member m{m} did not answer within 20 s")

    def start(self, m: int | None = None) -> None:
        for n in ([m] if m is not None else range(len(self.procs))):
            self._spawn(n)
        for n in ([m] if m is not None else range(len(self.procs))):
            self._wait(n)

    def kill(self, m: int | None = None) -> None:
        for n in ([m] if m is not None else range(len(self.procs))):
            proc = self.procs[n]
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)

    def pause(self, m: int) -> None:
        """SIGSTOP member m: its connections stay open and silent, like a partition."""
        self.procs[m].send_signal(signal.SIGSTOP)

    def stop(self) -> None:
        self.kill()
        self._log.close()
