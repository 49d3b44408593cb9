#!/usr/bin/env python3
"""Reverse-proxy benchmark harness (stdlib only).

Sub-commands
  bench     throughput/latency matrix with wrk, interleaved A/B repetitions, summary table
            (summary.txt, and its rows as summary.json)
  cost      the same runs with the proxy's instructions (perf stat, or with --callgrind
            valgrind's callgrind, which needs no hardware PMU) and heap allocations
            (LD_PRELOAD mallocount.c) counted: per-request cost table (cost.txt, cost.json)
  mem       RSS/PSS of a proxy holding N idle keep-alive client connections
  backends  start the backends and hold them (for manual testing / developing a proxy)

Proxies: direct | nginx | nginx2 | haproxy | haproxy2 | any --custom NAME='CMD' where CMD is
a shell command template that must stay in the foreground (not daemonize, not setsid) and
listen on {port}.  Template fields: {port} {blue_port} {green_port} {workdir} {here} {nofile}
{cert} {key} (with `bench --tls`: the PEM certificate and key to serve HTTPS on {port})
{wrap} (with `cost --callgrind`: the valgrind command and options, with a trailing space, to
put in front of the proxy's binary; empty otherwise).
e.g.  --custom swift='./.build/release/proxy --listen 127.0.0.1:{port} \
                      --upstream 127.0.0.1:{blue_port}=90 --upstream 127.0.0.1:{green_port}=10'

Every process is started in its own session/process group and stopped by that group id
(SIGTERM, then SIGKILL); nothing is ever killed by name.
"""
import argparse
import atexit
import datetime as dt
import http.client
import json
import os
import re
import resource
import shutil
import signal
import ssl
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONF = HERE / "conf"
# The project's venv (made by scripts/setup.sh) and its example FastAPI app are the backend.
REPO = HERE.parent.parent
VENV_PY = REPO / ".venv" / "bin" / "python"
APP_DIR = REPO / "examples" / "fastapi"

PROXY_PORT = 18080
STATIC_PORTS = (18081, 18082)      # blue, green
APP_PORTS = (18091, 18092)         # blue, green

# backend target name -> (backend kind, request path, extra wrk request headers,
#                          request body bytes: 0 = GET, else a POST with a body that long)
TARGETS = {
    "static": ("static", "/", (), 0),        # nginx `return 200 "ok\n"`
    "static64k": ("static", "/64k", (), 0),  # nginx serving a 65536-byte file
    "newconn": ("static", "/", ("Connection: close",), 0),  # a new client connection per request
    # a client that sends its sticky cookie back (Sluice's default cookie name): sticky
    # hashing on every request, no new key or Set-Cookie; other proxies ignore the cookie
    "returning": ("static", "/", ("Cookie: sluice_id=bench-returning-client",), 0),
    "upload1m": ("static", "/upload", (), 1 << 20),  # 1 MiB POST bodies, read and dropped by nginx
    "fastapi": ("fastapi", "/", (), 0),      # uvicorn+FastAPI small JSON
    "fastapi64k": ("fastapi", "/bytes/65536", (), 0),
    # keep-alive clients measured (--conns) while --storm-conns others open a new connection
    # per request (with --tls: a TLS handshake each), as in a reconnect storm; storm_rps in
    # runs.jsonl and the storm table is the newcomers' rate (handshakes/s with --tls)
    "storm": ("static", "/", (), 0),
}

BUILTIN_PROXIES = {
    # name: (kind, workers/threads)
    "direct": ("direct", 0),
    "nginx": ("nginx", 1),
    "nginx2": ("nginx", 2),
    "haproxy": ("haproxy", 1),
    "haproxy2": ("haproxy", 2),
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- processes
NICE = 0  # set from --nice in main()


def sched_prefix(cpus):
    """argv prefix for CPU pinning (taskset execs the command, so the pid is kept)."""
    pre = []
    if cpus is not None:
        pre += ["taskset", "-c", str(cpus)]
    return pre


def set_autogroup_nice(pid):
    """With kernel.sched_autogroup_enabled=1 every new session is its own scheduling group and
    a plain nice value only matters inside that group, so also set the group's nice."""
    if NICE:
        try:
            with open(f"/proc/{pid}/autogroup", "w") as f:
                f.write(str(NICE))
        except OSError:
            pass


class Procs:
    """Registry of every process we start; each gets its own process group."""

    def __init__(self):
        self.procs = []  # (name, Popen)

    def start(self, name, argv, cpus=None, env=None, logfile=None, shell=False, stdin=None,
              stdout=None):
        if shell:  # custom command string: run via sh -c (use `exec` in it to avoid an extra sh)
            argv = ["/bin/sh", "-c", argv]
        argv = sched_prefix(cpus) + argv
        out = open(logfile, "ab") if logfile else subprocess.DEVNULL
        p = subprocess.Popen(argv, env={**os.environ, **(env or {})}, stdin=stdin or subprocess.DEVNULL,
                             stdout=stdout or out, stderr=out, start_new_session=True, cwd=str(HERE))
        set_autogroup_nice(p.pid)
        self.procs.append((name, p))
        return p

    def stop(self, p, sig=signal.SIGTERM, grace=5.0):
        pgid = p.pid  # == pid because of start_new_session
        for s, t in ((sig, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, s)
            except ProcessLookupError:
                break
            deadline = time.time() + t
            while time.time() < deadline:
                p.poll()
                try:
                    os.killpg(pgid, 0)       # any member of the group left?
                except ProcessLookupError:
                    break
                time.sleep(0.02)
            else:
                continue
            break
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.procs = [(n, q) for n, q in self.procs if q is not p]

    def stop_all(self):
        for _, p in reversed(list(self.procs)):
            self.stop(p)


PROCS = Procs()


def _cleanup(*_):
    PROCS.stop_all()


atexit.register(_cleanup)
for _s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(_s, lambda s, f: (_cleanup(), sys.exit(128 + s)))


def tree_pids(root):
    """root pid + all descendants (scans /proc)."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open(f"/proc/{d}/stat").read()
                parent[int(d)] = int(st[st.rindex(")") + 2:].split()[1])
            except (OSError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        x = todo.pop()
        out.append(x)
        todo += [c for c, pp in parent.items() if pp == x]
    return out


def cpu_ticks(pids):
    t = 0
    for pid in pids:
        try:
            st = open(f"/proc/{pid}/stat").read()
            f = st[st.rindex(")") + 2:].split()
            t += int(f[11]) + int(f[12])  # utime + stime
        except OSError:
            pass
    return t


def all_ticks():
    """{pid: utime+stime} for every process on the machine."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open(f"/proc/{d}/stat").read()
                f = st[st.rindex(")") + 2:].split()
                out[int(d)] = int(f[11]) + int(f[12])
            except (OSError, ValueError):
                pass
    return out


def core_irq():
    """{cpuN: irq+softirq jiffies}."""
    res = {}
    for line in open("/proc/stat"):
        if re.match(r"cpu\d+ ", line):
            f = line.split()
            res[f[0]] = int(f[6]) + int(f[7])
    return res


def core_times():
    """{cpuN: (busy, total)} jiffies from /proc/stat."""
    res = {}
    for line in open("/proc/stat"):
        if re.match(r"cpu\d+ ", line):
            f = line.split()
            v = list(map(int, f[1:9]))
            idle = v[3] + v[4]
            res[f[0]] = (sum(v) - idle, sum(v))
    return res


def mem_of(pids):
    """Sum of VmRSS and Pss (KiB) over pids, plus per-pid detail."""
    rss = pss = 0
    detail = []
    for pid in pids:
        try:
            comm = open(f"/proc/{pid}/comm").read().strip()
            r = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))
            p = int(re.search(r"^Pss:\s+(\d+)", open(f"/proc/{pid}/smaps_rollup").read(), re.M).group(1))
        except (OSError, AttributeError):
            continue
        rss += r
        pss += p
        detail.append({"pid": pid, "comm": comm, "rss_kib": r, "pss_kib": p})
    return rss, pss, detail


# ----------------------------------------------------------------------------- helpers
def make_workdir():
    wd = Path(tempfile.mkdtemp(prefix="rpbench."))
    wd.chmod(0o755)  # nginx workers run as an unprivileged user and must read www/
    return wd


def background_busy(interval=0.5):
    """Fraction of total CPU busy over `interval` (measured while the bench is idle)."""
    a = core_times()
    time.sleep(interval)
    b = core_times()
    busy = sum(b[k][0] - a[k][0] for k in b)
    tot = sum(b[k][1] - a[k][1] for k in b)
    return busy / max(1, tot)


def wait_quiet(args):
    """Wait (up to --quiet-timeout s) until other activity on the machine is below --quiet-max."""
    deadline = time.time() + args.quiet_timeout
    while True:
        bb = background_busy()
        if bb <= args.quiet_max or time.time() > deadline:
            return bb
        log(f"  machine busy ({bb * 100:.0f}% of all cores) before run; waiting")
        time.sleep(1)


def render(tmpl, out, **vars_):
    s = Path(tmpl).read_text()
    for k, v in vars_.items():
        s = s.replace("{{" + k + "}}", str(v))
    left = [x for x in re.findall(r"\{\{\w+\}\}", s) if x != "{{NAME}}"]
    if left:
        raise SystemExit(f"unrendered template vars in {tmpl}: {left}")
    Path(out).write_text(s)
    return out


def http_status(port, path="/", timeout=1.0, tls=False):
    try:
        if tls:
            c = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout,
                                            context=ssl._create_unverified_context())
        else:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except (OSError, http.client.HTTPException):
        return None


def wait_http(port, path, proc=None, timeout=15.0, name="?", tls=False):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{name} exited early with rc={proc.returncode}")
        if http_status(port, path, tls=tls) == 200:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} not answering 200 on :{port}{path} after {timeout}s")


def port_free(port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def nofile_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit
    return hard


def versions():
    def first(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except Exception as e:  # noqa
            return f"n/a ({e})"
    v = {
        "nginx": first(["nginx", "-v"]),
        "haproxy": first(["haproxy", "-v"]),
        "wrk": first(["wrk", "-v"]),
        "kernel": os.uname().release,
        "cpus": os.cpu_count(),
    }
    try:
        r = subprocess.run([str(VENV_PY), "-c",
                            "import fastapi,uvicorn,starlette,sys;print(fastapi.__version__,uvicorn.__version__,"
                            "starlette.__version__,sys.version.split()[0])"],
                           capture_output=True, text=True, timeout=30)
        fa, uv, st, py = r.stdout.split()
        v.update(fastapi=fa, uvicorn=uv, starlette=st, python=py)
    except Exception:  # noqa
        pass
    return v


# ----------------------------------------------------------------------------- backends
class Backend:
    def __init__(self, kind, workdir, cpus, nofile):
        self.kind, self.workdir, self.cpus, self.nofile = kind, Path(workdir), cpus, nofile
        self.procs = []
        self.ports = STATIC_PORTS if kind == "static" else APP_PORTS

    def start(self):
        for port in self.ports:
            if not port_free(port):
                raise SystemExit(f"port {port} busy; is another bench running?")
        if self.kind == "static":
            www = self.workdir / "www"
            www.mkdir(parents=True, exist_ok=True)
            (www / "64k").write_bytes(b"x" * 65536)
            (self.workdir / "ngx_static_tmp").mkdir(exist_ok=True)
            conf = render(CONF / "static_backend.nginx.conf.tmpl", self.workdir / "static_backend.conf",
                          WORKDIR=self.workdir, BLUE_PORT=self.ports[0], GREEN_PORT=self.ports[1],
                          NOFILE=self.nofile)
            p = PROCS.start("static-backend", ["nginx", "-e", str(self.workdir / "static_backend.err"),
                                                "-c", str(conf)],
                            cpus=self.cpus, logfile=self.workdir / "static_backend.out")
            self.procs = [p]
            for port in self.ports:
                wait_http(port, "/", p, name="static backend")
        else:
            py = str(VENV_PY) if VENV_PY.exists() else sys.executable
            for pool, port in zip(("blue", "green"), self.ports):
                p = PROCS.start(f"uvicorn-{pool}",
                                [py, "-m", "uvicorn", "--app-dir", str(APP_DIR), "app:app", "--host", "127.0.0.1",
                                 "--port", str(port), "--log-level", "warning", "--no-access-log",
                                 "--timeout-keep-alive", "300", "--backlog", "4096"],
                                cpus=self.cpus, env={"POOL": pool},
                                logfile=self.workdir / f"uvicorn_{pool}.log")
                self.procs.append(p)
            for p, port in zip(self.procs, self.ports):
                wait_http(port, "/health", p, timeout=30, name="uvicorn")
        return self

    def pids(self):
        return [x for p in self.procs for x in tree_pids(p.pid)]

    def stop(self):
        for p in self.procs:
            PROCS.stop(p)
        self.procs = []


# ----------------------------------------------------------------------------- TLS
def make_tls(workdir):
    """A dev certificate for 127.0.0.1 made by certs/make-dev-certs.sh (ECDSA P-256), as
    cert/key files and as the cert+key bundle HAProxy wants; the same for every proxy."""
    out = Path(workdir) / "tls"
    subprocess.run(["bash", str(REPO / "certs" / "make-dev-certs.sh"), "--out", str(out), "127.0.0.1", "localhost"],
                   check=True, capture_output=True)
    cert, key = out / "127.0.0.1.crt", out / "127.0.0.1.key"
    bundle = out / "bundle.pem"
    bundle.write_bytes(cert.read_bytes() + key.read_bytes())
    return {"cert": cert, "key": key, "bundle": bundle}


# ----------------------------------------------------------------------------- proxies
class Proxy:
    def __init__(self, name, args, workdir, backend_ports, nofile, custom=None):
        self.name, self.args, self.workdir = name, args, Path(workdir)
        self.blue, self.green = backend_ports
        self.nofile = nofile
        self.custom = custom
        self.proc = None
        self.alloc_dir = None  # cost mode: where mallocount.so writes each process's count
        if custom is not None:
            # Custom names ending in "2" are 2-worker variants, pinned like nginx2/haproxy2.
            self.kind, self.n = "custom", (2 if name.endswith("2") else 1)
        else:
            self.kind, self.n = BUILTIN_PROXIES[name]
        self.port = self.blue if self.kind == "direct" else args.proxy_port
        # With --tls, clients speak HTTPS to the proxy (backends stay plain HTTP).
        self.tls = getattr(args, "tls_files", None) if self.kind != "direct" else None
        self.scheme = "https" if self.tls else "http"

    def cpus(self):
        if self.args.no_pin:
            return None
        if self.n > 1:
            return self.args.cpu_proxy_multi
        return self.args.cpu_proxy

    def start(self):
        if self.kind == "direct":
            return self
        if not port_free(self.port):
            raise SystemExit(f"proxy port {self.port} busy")
        wd = self.workdir
        logf = wd / f"proxy_{self.name}.log"
        env = None
        if getattr(self.args, "mallocount", None):  # cost mode: count the proxy's allocations
            self.alloc_dir = wd / f"allocs_{self.name}"
            shutil.rmtree(self.alloc_dir, ignore_errors=True)
            self.alloc_dir.mkdir()
            self.alloc_dir.chmod(0o777)  # NGINX's workers write theirs as an unprivileged user
            env = {"LD_PRELOAD": str(self.args.mallocount), "MALLOCOUNT_DIR": str(self.alloc_dir)}
        wrap = callgrind_prefix(wd, self.name) if getattr(self.args, "callgrind", False) else []
        if wrap and self.kind == "custom" and "{wrap}" not in self.custom:
            raise SystemExit(f"--callgrind: the --custom command of {self.name} has no {{wrap}} field")
        if self.kind == "nginx":
            (wd / "ngx_proxy_tmp").mkdir(exist_ok=True)
            ssl_conf = (f"ssl_certificate {self.tls['cert']}; ssl_certificate_key {self.tls['key']}; "
                        "ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:10m;") if self.tls else ""
            conf = render(CONF / "nginx_proxy.conf.tmpl", wd / f"{self.name}.conf", WORKDIR=wd,
                          WORKERS=self.n, PORT=self.port, BLUE_PORT=self.blue, GREEN_PORT=self.green,
                          NOFILE=self.nofile, LISTEN_SSL=" ssl" if self.tls else "", SSL_CONF=ssl_conf)
            argv = wrap + ["nginx", "-e", str(wd / "nginx_proxy.err"), "-c", str(conf)]
            if wrap:  # one process, as root: callgrind_control cannot reach a worker that changed user
                argv += ["-g", "master_process off;"]
            self.proc = PROCS.start(self.name, argv, cpus=self.cpus(), env=env, logfile=logf)
        elif self.kind == "haproxy":
            conf = render(CONF / "haproxy.cfg.tmpl", wd / f"{self.name}.cfg", THREADS=self.n,
                          MAXCONN=15000, PORT=self.port, BLUE_PORT=self.blue, GREEN_PORT=self.green,
                          BIND_SSL=(f" ssl crt {self.tls['bundle']} alpn http/1.1 ssl-min-ver TLSv1.2"
                                    if self.tls else ""))
            self.proc = PROCS.start(self.name, wrap + ["haproxy", "-db", "-f", str(conf)], cpus=self.cpus(),
                                    env=env, logfile=logf)
        else:
            cmd = self.custom.format(port=self.port, blue_port=self.blue, green_port=self.green,
                                     workdir=wd, here=HERE, nofile=self.nofile, wrap=" ".join(wrap) + " " if wrap else "",
                                     cert=self.tls["cert"] if self.tls else "", key=self.tls["key"] if self.tls else "")
            self.proc = PROCS.start(self.name, cmd, cpus=self.cpus(), env=env, logfile=logf, shell=True)
        timeout = max(self.args.start_timeout, 120) if wrap else self.args.start_timeout  # valgrind starts slowly
        wait_http(self.port, "/", self.proc, timeout=timeout, name=self.name, tls=bool(self.tls))
        return self

    def pids(self):
        return tree_pids(self.proc.pid) if self.proc else []

    def stop(self):
        if self.proc:
            PROCS.stop(self.proc)
            self.proc = None


def make_proxies(args):
    customs = {}
    for spec in args.custom or []:
        if "=" not in spec:
            raise SystemExit("--custom must be NAME=CMD")
        n, cmd = spec.split("=", 1)
        if n in BUILTIN_PROXIES:
            raise SystemExit(f"custom proxy name {n} clashes with a builtin")
        customs[n] = cmd
    names = [x for x in args.proxies.split(",") if x]
    for n in customs:
        if n not in names:
            names.append(n)
    for n in names:
        if n not in BUILTIN_PROXIES and n not in customs:
            raise SystemExit(f"unknown proxy {n}")
    return names, customs


# ----------------------------------------------------------------------------- wrk
def run_wrk(args, port, path, conns, duration, cpus, scheme="http", headers=(), body=0):
    argv = ["wrk", f"-t{args.threads}", f"-c{conns}", f"-d{duration}s", "--timeout", "5s",
            "-s", str(HERE / "wrk_report.lua")]
    for h in headers:
        argv += ["-H", h]
    argv.append(f"{scheme}://127.0.0.1:{port}{path}")
    argv = sched_prefix(cpus) + argv
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True, env={**os.environ, "WRK_BODY_BYTES": str(body)})
    set_autogroup_nice(p.pid)
    PROCS.procs.append(("wrk", p))
    try:
        out, err = p.communicate(timeout=duration + 60)
    finally:
        PROCS.stop(p)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"^WRKJSON (\{.*\})$", out, re.M)
    if not m:
        raise RuntimeError(f"wrk failed rc={p.returncode}: {out[-500:]} {err[-500:]}")
    d = json.loads(m.group(1))
    d["rps"] = d["requests"] / (d["duration_us"] / 1e6)
    # request bodies sent + response bytes read (heads included), MiB per second
    d["body_bytes"] = body
    d["mib_s"] = (d["bytes"] + d["requests"] * body) / (d["duration_us"] / 1e6) / 2**20
    d["wrk_cpu_s"] = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    d["wrk_pid"] = p.pid
    return d


def cpu_set(spec):
    out = set()
    for part in str(spec).split(","):
        a, _, b = part.partition("-")
        out |= set(range(int(a), int(b or a) + 1))
    return out


def foreign_cpu(args, proxy, d):
    """CPU (in cores) used during the run on the cores the bench occupies, minus what proxy,
    backend and wrk used: kernel work not charged to them + other processes on the machine."""
    if args.no_pin:
        cores = set(range(os.cpu_count()))
    else:
        cores = cpu_set(args.cpu_backend) | cpu_set(args.cpu_wrk)
        if proxy.kind != "direct":
            cores |= cpu_set(proxy.cpus())
    busy = sum(v for k, v in d["cores_busy"].items() if int(k[3:]) in cores)
    return busy - d["proxy_cpu"] - d["backend_cpu"] - d["wrk_cpu"]


class Storm:
    """A wrk of --storm-conns connections with `Connection: close` beside the measured one,
    started before its warm-up and running past its end; `result` is that wrk's report."""

    def __init__(self, args, proxy, path, cpus):
        seconds = args.warmup + args.duration + 2
        self.result = None
        self.thread = threading.Thread(target=self._run, args=(args, proxy, path, cpus, seconds), daemon=True)

    def _run(self, args, proxy, path, cpus, seconds):
        self.result = run_wrk(args, proxy.port, path, args.storm_conns, seconds, cpus, proxy.scheme,
                              ("Connection: close",))

    def start(self):
        self.thread.start()
        time.sleep(0.5)
        return self

    def join(self):
        self.thread.join()
        return self.result


def measure(args, proxy, backend, path, conns, headers=(), body=0, storm=False):
    cpus_wrk = None if args.no_pin else args.cpu_wrk
    stormer = Storm(args, proxy, path, cpus_wrk).start() if storm else None
    if args.warmup > 0:
        run_wrk(args, proxy.port, path, conns, args.warmup, cpus_wrk, proxy.scheme, headers, body)
    hz = os.sysconf("SC_CLK_TCK")
    ppids, bpids = proxy.pids(), backend.pids()
    cost = CostProbe(args, proxy, ppids).start() if args.cost else None
    a0, i0 = all_ticks(), core_irq()
    c0, p0, b0, t0 = core_times(), cpu_ticks(ppids), cpu_ticks(bpids), time.time()
    d = run_wrk(args, proxy.port, path, conns, args.duration, cpus_wrk, proxy.scheme, headers, body)
    c1, p1, b1, t1 = core_times(), cpu_ticks(ppids), cpu_ticks(bpids), time.time()
    a1, i1 = all_ticks(), core_irq()
    if cost:
        d.update(cost.stop(d["requests"]))
    wall = t1 - t0
    mine = set(ppids) | set(bpids) | {os.getpid(), d["wrk_pid"]}
    d["foreign_cpu"] = sum(v - a0.get(pid, 0) for pid, v in a1.items() if pid not in mine) / hz / wall
    d["irq_cpu"] = {k: (i1[k] - i0[k]) / hz / wall for k in i1}
    d["proxy_cpu"] = (p1 - p0) / hz / wall          # 1.0 == one full core
    d["backend_cpu"] = (b1 - b0) / hz / wall
    d["wrk_cpu"] = d.pop("wrk_cpu_s") / wall
    d["cores_busy"] = {k: (c1[k][0] - c0[k][0]) / max(1, c1[k][1] - c0[k][1]) for k in c1}
    if stormer:
        s = stormer.join()
        d["storm_rps"] = s["rps"]
        d["storm_p99_us"] = s["p99_us"]
        d["storm_errors"] = s["err_status"]
    return d


# ----------------------------------------------------------------------------- cost
def build_mallocount(workdir):
    """Compile mallocount.c (the LD_PRELOAD allocation counter) into the workdir."""
    so = Path(workdir) / "mallocount.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-pthread", "-o", str(so), str(HERE / "mallocount.c")],
                   check=True)
    return so


def callgrind_prefix(workdir, name):
    """`cost --callgrind`: the command that runs a proxy under valgrind's callgrind, counting
    nothing until CostProbe turns instrumentation on (the warm-up is not counted)."""
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={workdir}/callgrind.{name}.%p"]


def callgrind_control(pids, *options):
    for pid in pids:  # a pid that is not under valgrind (a wrapping shell) just fails
        subprocess.run(["callgrind_control", *options, str(pid)], capture_output=True, timeout=120)


def callgrind_instructions(workdir, name, pids):
    """Dumps each process's counts since instrumentation was turned on and sums their
    instructions (the `summary:` line of each dump file; callgrind counts user space only)."""
    callgrind_control(pids, "-d")
    callgrind_control(pids, "-i", "off")
    total, found = 0, False
    for pid in pids:
        for f in Path(workdir).glob(f"callgrind.{name}.{pid}.*"):
            for line in f.read_text(errors="replace").splitlines():
                if line.startswith("summary:") or line.startswith("totals:"):
                    total += int(line.split()[1])
                    found = True
                    break
    return total if found else None


def read_allocs(adir, pids):
    """{pid: allocation calls so far} from the counter files mallocount.so writes (none when
    the proxy runs without it)."""
    out = {}
    for pid in pids if adir else ():
        try:
            out[pid] = int((adir / str(pid)).read_text())
        except (OSError, ValueError):
            pass
    return out


class CostProbe:
    """The proxy's instructions (`perf stat`, or callgrind with --callgrind) and heap allocation
    calls (mallocount.so, preloaded by Proxy.start) over the measured window, divided by the
    requests wrk completed in it."""

    def __init__(self, args, proxy, pids):
        self.args, self.pids, self.adir = args, pids, proxy.alloc_dir
        self.workdir, self.name = proxy.workdir, proxy.name
        self.perf_out = proxy.workdir / f"perf_{proxy.name}.csv"

    def start(self):
        time.sleep(0.3)  # the counter files trail by up to 100 ms: let them take in the warm-up
        self.allocs0 = read_allocs(self.adir, self.pids)
        self.perf = None
        if self.args.callgrind:
            callgrind_control(self.pids, "-i", "on")
        elif shutil.which("perf") and self.pids:
            self.perf = PROCS.start("perf", ["perf", "stat", "-x,", "-e", "instructions", "-o", str(self.perf_out),
                                             "-p", ",".join(map(str, self.pids))],
                                    cpus=None if self.args.no_pin else self.args.cpu_wrk)
            time.sleep(0.3)  # attached before wrk starts (the proxy is idle meanwhile)
        return self

    def stop(self, requests):
        instructions = None
        if self.args.callgrind:
            instructions = callgrind_instructions(self.workdir, self.name, self.pids)
        elif self.perf:
            PROCS.stop(self.perf, sig=signal.SIGINT)  # perf stat writes its counts on SIGINT
            for line in (self.perf_out.read_text() if self.perf_out.exists() else "").splitlines():
                f = line.split(",")
                if len(f) > 2 and f[2].startswith("instructions") and f[0].isdigit():
                    instructions = int(f[0])  # stays None when "<not supported>" (no PMU, e.g. in a VM)
        time.sleep(0.3)
        allocs1 = read_allocs(self.adir, self.pids)
        allocs = (sum(allocs1[p] - self.allocs0[p] for p in allocs1 if p in self.allocs0)
                  if allocs1 and self.allocs0 else None)
        per = (lambda x: x / requests if x is not None and requests else None)
        return {"instructions": instructions, "allocs": allocs,
                "instr_per_req": per(instructions), "allocs_per_req": per(allocs)}


# ----------------------------------------------------------------------------- summary
def med(xs):
    return statistics.median(xs) if xs else float("nan")


def med_known(xs):
    """Median of the values that are not None (None if there are none)."""
    xs = [x for x in xs if x is not None]
    return med(xs) if xs else None


def fmt_opt(v, spec):
    """format(v, spec), or n/a for None."""
    return "n/a" if v is None else format(v, spec)


def spread3(xs):
    """{median, min, max} of a list (None when empty)."""
    return {"median": med(xs), "min": min(xs), "max": max(xs)} if xs else None


def summary_rows(runs, names, baseline):
    """One row per target, connection count and proxy: medians over the reps, and the per-rep
    paired ratios to the baseline as median/min/max. summary.json holds these rows; the tables
    below print them. runs: dicts with target, conns, rep, proxy, rps, p50_us, p99_us ..."""
    rows = []
    groups = {}
    for r in runs:
        groups.setdefault((r["target"], r["conns"]), []).append(r)
    for (target, conns), rs in groups.items():
        base = baseline if any(r["proxy"] == baseline for r in rs) else names[0]
        reps = sorted({r["rep"] for r in rs})
        by = {(r["proxy"], r["rep"]): r for r in rs}
        for n in names:
            xs = [by[(n, k)] for k in reps if (n, k) in by]
            if not xs:
                continue
            paired = [(by[(n, k)], by[(base, k)]) for k in reps if (n, k) in by and (base, k) in by]
            busy = [(x, b) for x, b in paired if x["proxy_cpu"] > 0.05 and b["proxy_cpu"] > 0.05]
            eff = [x["rps"] / x["proxy_cpu"] / 1000 for x in xs if x["proxy_cpu"] > 0.05]
            row = {
                "target": target, "conns": conns, "proxy": n, "baseline": base, "reps": len(reps),
                "rps": spread3([x["rps"] for x in xs]),
                "p50_ms": med([x["p50_us"] for x in xs]) / 1000,
                "p99_ms": med([x["p99_us"] for x in xs]) / 1000,
                "mib_s": med([x["mib_s"] for x in xs]),
                "requests": med([x["requests"] for x in xs]),
                "rps_ratio": spread3([x["rps"] / b["rps"] for x, b in paired]),
                "p99_ratio": spread3([x["p99_us"] / b["p99_us"] for x, b in paired if b["p99_us"]]),
                "proxy_cpu": med([x["proxy_cpu"] for x in xs]),
                "backend_cpu": med([x["backend_cpu"] for x in xs]),
                "wrk_cpu": med([x["wrk_cpu"] for x in xs]),
                "other_cpu": med([x.get("other_cpu", 0) for x in xs]),
                "foreign_cpu": med([x.get("foreign_cpu", 0) for x in xs]),
                "cores_busy": {c: med([x["cores_busy"].get(c, 0) for x in xs]) for c in sorted(xs[0]["cores_busy"])},
                "kreq_per_cpu_s": med(eff) if eff else None,
                "eff_ratio": spread3([(x["rps"] / x["proxy_cpu"]) / (b["rps"] / b["proxy_cpu"]) for x, b in busy]),
                "errors": sum(x["err_connect"] + x["err_read"] + x["err_write"] + x["err_timeout"] + x["err_status"]
                              for x in xs),
            }
            if "allocs_per_req" in xs[0]:  # cost mode
                row["instr_per_req"] = med_known([x["instr_per_req"] for x in xs])
                row["allocs_per_req"] = med_known([x["allocs_per_req"] for x in xs])
            rows.append(row)
    return rows


def groups_of(rows):
    """rows grouped by (target, conns), in order."""
    out = {}
    for r in rows:
        out.setdefault((r["target"], r["conns"]), []).append(r)
    return out.values()


def format_summary(rows):
    fmt_r = (lambda v: f"{v['median']:.3f} [{v['min']:.2f}..{v['max']:.2f}]" if v else "-")
    lines = []
    for rs in groups_of(rows):
        g = rs[0]
        base = g["baseline"]
        lines.append(f"\n## target={g['target']} conns={g['conns']}  (reps={g['reps']}; ratios are per-rep paired "
                     f"vs {base}: median [min..max])")
        hdr = (f"{'proxy':<10} {'req/s med':>10} {'min..max':>16} {'spread':>6} {'p50 ms':>7} "
               f"{'p99 ms':>7} {'MiB/s':>7} {'rps/' + base:>20} {'p99/' + base:>20} {'pxCPU':>5} {'bkCPU':>5} "
               f"{'wrkCPU':>6} {'other':>5} {'frgn':>4} {'cores busy':>10} {'kreq/pxCPUs':>11} {'eff/' + base:>20} {'errs':>5}")
        lines.append(hdr)
        lines.append("-" * len(hdr))
        for r in rs:
            rps = r["rps"]
            spread = (rps["max"] - rps["min"]) / rps["median"] * 100 if rps["median"] else 0
            cores = "/".join(f"{v * 100:.0f}" for v in r["cores_busy"].values())
            eff = f"{r['kreq_per_cpu_s']:.1f}" if r["kreq_per_cpu_s"] else "-"
            lines.append(
                f"{r['proxy']:<10} {rps['median']:>10.0f} {rps['min']:>7.0f}..{rps['max']:<7.0f} {spread:>5.1f}% "
                f"{r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['mib_s']:>7.1f} "
                f"{fmt_r(r['rps_ratio']):>20} {fmt_r(r['p99_ratio']):>20} {r['proxy_cpu'] * 100:>4.0f}% "
                f"{r['backend_cpu'] * 100:>4.0f}% {r['wrk_cpu'] * 100:>5.0f}% "
                f"{r['other_cpu'] * 100:>4.0f}% {r['foreign_cpu'] * 100:>3.0f}% {cores:>10} {eff:>11} "
                f"{fmt_r(r['eff_ratio']):>20} {r['errors']:>5}")
    return "\n".join(lines)


def format_cost(rows):
    """The cost table: instructions and heap allocation calls of the proxy per request."""
    lines = []
    for rs in groups_of(rows):
        g = rs[0]
        lines.append(f"\n## cost per request: target={g['target']} conns={g['conns']} (reps={g['reps']}, medians)")
        hdr = f"{'proxy':<10} {'requests':>10} {'instr/req':>10} {'allocs/req':>10} {'CPU us/req':>10}"
        lines.append(hdr)
        lines.append("-" * len(hdr))
        for r in rs:
            cpu_us = 1000 / r["kreq_per_cpu_s"] if r["kreq_per_cpu_s"] else None
            lines.append(f"{r['proxy']:<10} {r['requests']:>10.0f} {fmt_opt(r['instr_per_req'], ',.0f'):>10} "
                         f"{fmt_opt(r['allocs_per_req'], '.2f'):>10} {fmt_opt(cpu_us, '.1f'):>10}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- commands
def cmd_bench(args):
    nofile = nofile_limit()
    names, customs = make_proxies(args)
    targets = [t for t in args.targets.split(",") if t]
    for t in targets:
        if t not in TARGETS:
            raise SystemExit(f"unknown target {t}; choose from {list(TARGETS)}")
    concs = [int(c) for c in args.conns.split(",")]
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    tag = "-".join(x for x in (args.tag, "cost" if args.cost else "") if x)
    outdir = Path(args.out) if args.out else HERE / "results" / f"{stamp}{'-' + tag if tag else ''}"
    outdir.mkdir(parents=True, exist_ok=True)
    workdir = make_workdir()
    if args.tls:
        args.tls_files = make_tls(workdir)
    if args.cost and not args.callgrind:  # under valgrind the counter is not reliable (HAProxy's read 0)
        args.mallocount = build_mallocount(workdir)  # Proxy.start preloads it into the proxy
    meta = {"argv": sys.argv, "tls": args.tls, "versions": versions(), "started": stamp, "nofile": nofile,
            "pinning": None if args.no_pin else {"proxy": args.cpu_proxy, "proxy_multi": args.cpu_proxy_multi,
                                                 "backend": args.cpu_backend, "wrk": args.cpu_wrk},
            "customs": customs, "nice": os.getpriority(os.PRIO_PROCESS, 0)}
    (outdir / "meta.json").write_text(json.dumps(meta, indent=2))
    log(f"results -> {outdir}   workdir -> {workdir}")
    runs = []
    jl = open(outdir / "runs.jsonl", "a")
    try:
        # group targets by backend kind so each backend is started once
        for kind in dict.fromkeys(TARGETS[t][0] for t in targets):
            be = Backend(kind, workdir, None if args.no_pin else args.cpu_backend, nofile).start()
            try:
                for t in [t for t in targets if TARGETS[t][0] == kind]:
                    _, path, headers, body = TARGETS[t]
                    for c in concs:
                        for rep in range(args.reps):
                            order = names[rep % len(names):] + names[:rep % len(names)]  # rotate
                            for n in order:
                                for attempt in range(args.retries + 1):
                                    bg = wait_quiet(args)
                                    px = Proxy(n, args, workdir, be.ports, nofile, customs.get(n))
                                    px.start()
                                    try:
                                        d = measure(args, px, be, path, c, headers, body, storm=t == "storm")
                                    finally:
                                        px.stop()
                                    other = foreign_cpu(args, px, d)
                                    d.update(target=t, conns=c, rep=rep, proxy=n, ts=time.time(),
                                             bg_busy_before=bg, other_cpu=other, attempt=attempt,
                                             discarded=(min(d["foreign_cpu"], other) > args.max_other
                                                        and attempt < args.retries))
                                    jl.write(json.dumps(d) + "\n")
                                    jl.flush()
                                    log(f"[{t} c={c} rep={rep}] {n:<9} {d['rps']:>9.0f} req/s  "
                                        f"p50={d['p50_us'] / 1000:.2f}ms p99={d['p99_us'] / 1000:.2f}ms "
                                        f"pxCPU={d['proxy_cpu'] * 100:.0f}% other={other * 100:.0f}% "
                                        f"foreign={d['foreign_cpu'] * 100:.0f}% "
                                        f"errs(status)={d['err_status']}"
                                        + (f"  instr/req={fmt_opt(d['instr_per_req'], ',.0f')} "
                                           f"allocs/req={fmt_opt(d['allocs_per_req'], '.2f')}" if args.cost else "")
                                        + (f"  storm={d['storm_rps']:.0f} new conns/s" if "storm_rps" in d else "")
                                        + ("  DISCARDED (interference), retrying" if d["discarded"] else ""))
                                    time.sleep(args.cooldown)
                                    if not d["discarded"]:
                                        break
                                runs.append(d)
            finally:
                be.stop()
    finally:
        jl.close()
        PROCS.stop_all()
        if not args.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    rows = summary_rows(runs, names, args.baseline)
    if args.cost:
        head = (f"# cost per request over wrk -t{args.threads} -d{args.duration}s (warmup {args.warmup}s), "
                f"reps={args.reps}: the proxy's instructions "
                + ("(user space, valgrind --tool=callgrind; the proxy runs many times slower under it; no "
                   "allocation counts in this mode) " if args.callgrind else "(perf stat -p; n/a without a hardware PMU) ")
                + "and heap "
                "allocation calls (malloc/calloc/realloc/aligned_alloc/posix_memalign/memalign, LD_PRELOAD "
                "mallocount.so) divided by the requests wrk completed; CPU us/req from the proxy's CPU time.\n"
                "# The counters slow the proxy: these runs' req/s are not throughput figures.")
        text = head + "\n" + format_cost(rows)
        (outdir / "cost.txt").write_text(text + "\n")
        (outdir / "cost.json").write_text(json.dumps(rows, indent=2))
        print(text)
        return
    table = format_summary(rows)
    storms = [d for d in runs if "storm_rps" in d]
    if storms:
        table += ("\n\n# storm: --storm-conns clients opening a new connection per request beside the measured "
                  "keep-alive clients; median over reps\n| proxy | keep-alive req/s | keep-alive p99 ms | new conns/s |\n|---|---|---|---|")
        for n in names:
            mine = [d for d in storms if d["proxy"] == n and not d["discarded"]]
            if mine:
                table += (f"\n| {n} | {med([d['rps'] for d in mine]):.0f} | {med([d['p99_us'] for d in mine]) / 1000:.2f} "
                          f"| {med([d['storm_rps'] for d in mine]):.0f} |")
    head = (f"# wrk -t{args.threads} -d{args.duration}s (warmup {args.warmup}s), reps={args.reps}, "
            + ("HTTPS to the proxies (TLS 1.3, ECDSA P-256, keep-alive: no handshake per request), " if args.tls else "") +
            f"pinning={'none' if args.no_pin else f'proxy:{args.cpu_proxy} (multi:{args.cpu_proxy_multi}) backend:{args.cpu_backend} wrk:{args.cpu_wrk}'}\n"
            "# pxCPU/bkCPU/wrkCPU: CPU used by proxy/backend/wrk during the measured window (100% = one core); "
            "cores busy: per-core utilisation cpu0/cpu1; other: busy CPU on the cores the run uses minus (px+bk+wrk) = uncharged kernel work + foreign processes; frgn: CPU of processes not started by the bench\n"
            "# MiB/s: request bodies sent + response bytes read by wrk; "
            "kreq/pxCPUs: thousand requests per proxy CPU-second (proxy efficiency); eff/base: its paired ratio")
    (outdir / "summary.txt").write_text(head + "\n" + table + "\n")
    (outdir / "summary.json").write_text(json.dumps(rows, indent=2))
    print(head)
    print(table)


def cmd_mem(args):
    nofile = nofile_limit()
    names, customs = make_proxies(args)
    workdir = make_workdir()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    outdir = Path(args.out) if args.out else HERE / "results" / f"{stamp}-mem"
    outdir.mkdir(parents=True, exist_ok=True)
    modes = args.modes.split(",")
    rows = []
    try:
        be = Backend("static", workdir, None if args.no_pin else args.cpu_backend, nofile).start()
        try:
            for n in names:
                if n == "direct":
                    continue
                for mode in modes:
                    px = Proxy(n, args, workdir, be.ports, nofile, customs.get(n)).start()
                    try:
                        for _ in range(20):          # touch it a bit so lazily-allocated pools exist
                            http_status(px.port, "/")
                        time.sleep(1)
                        rss0, pss0, _ = mem_of(px.pids())
                        cl = PROCS.start("idle-client",
                                         [sys.executable, str(HERE / "idle_conns.py"), "--port", str(px.port),
                                          "--conns", str(args.n), "--mode", mode, "--hold", "600"],
                                         cpus=None if args.no_pin else args.cpu_wrk,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                        line = cl.stdout.readline().decode().strip()
                        m = re.match(r"READY ok=(\d+) failed=(\d+)", line)
                        if not m:
                            raise RuntimeError(f"idle client failed: {line!r}")
                        ok, failed = int(m.group(1)), int(m.group(2))
                        time.sleep(args.settle)
                        est = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{px.port} )"],
                                             capture_output=True, text=True).stdout.count("\n")
                        rss1, pss1, detail = mem_of(px.pids())
                        cl.stdin.write(b"done\n")
                        cl.stdin.flush()
                        tail = cl.stdout.readline().decode().strip()
                        PROCS.stop(cl)
                    finally:
                        px.stop()
                    row = {"proxy": n, "mode": mode, "conns_ok": ok, "conns_failed": failed,
                           "server_side_established": est, "rss0_mib": rss0 / 1024, "rss_mib": rss1 / 1024,
                           "pss0_mib": pss0 / 1024, "pss_mib": pss1 / 1024,
                           "delta_rss_kib_per_conn": (rss1 - rss0) / max(1, ok),
                           "client_tail": tail, "detail": detail}
                    rows.append(row)
                    log(json.dumps({k: v for k, v in row.items() if k != "detail"}))
        finally:
            be.stop()
    finally:
        PROCS.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    out = [f"# idle keep-alive connections held by the proxy (N={args.n}); RSS/PSS summed over the proxy's "
           f"process tree; 'before' = after 20 warm-up requests",
           f"{'proxy':<10} {'mode':<8} {'ok':>6} {'estab':>6} {'RSS before':>10} {'RSS held':>9} "
           f"{'PSS before':>10} {'PSS held':>9} {'dRSS/conn':>10}  per-process RSS (held)"]
    for r in rows:
        per = ", ".join(f"{d['comm']}:{d['rss_kib'] / 1024:.1f}" for d in r["detail"])
        out.append(f"{r['proxy']:<10} {r['mode']:<8} {r['conns_ok']:>6} {r['server_side_established']:>6} "
                   f"{r['rss0_mib']:>8.1f}Mi {r['rss_mib']:>7.1f}Mi {r['pss0_mib']:>8.1f}Mi {r['pss_mib']:>7.1f}Mi "
                   f"{r['delta_rss_kib_per_conn']:>7.2f}KiB  {per}")
    text = "\n".join(out)
    (outdir / "mem.txt").write_text(text + "\n")
    (outdir / "mem.json").write_text(json.dumps(rows, indent=2))
    print(text)


def cmd_backends(args):
    nofile = nofile_limit()
    workdir = make_workdir()
    be = Backend(args.kind, workdir, None if args.no_pin else args.cpu_backend, nofile).start()
    print(f"{args.kind} backends up: blue=127.0.0.1:{be.ports[0]} green=127.0.0.1:{be.ports[1]} "
          f"(workdir {workdir}); Ctrl-C to stop", flush=True)
    try:
        while all(p.poll() is None for p in be.procs):
            time.sleep(0.5)
    finally:
        be.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--proxies", default="direct,nginx,haproxy",
                       help="comma list from: " + ",".join(BUILTIN_PROXIES) + " and custom names")
        p.add_argument("--custom", action="append", metavar="NAME=CMD",
                       help="custom proxy command template (foreground, listens on {port})")
        p.add_argument("--proxy-port", type=int, default=PROXY_PORT)
        p.add_argument("--start-timeout", type=float, default=15)
        p.add_argument("--no-pin", action="store_true", help="no taskset pinning at all")
        p.add_argument("--cpu-proxy", default="0", help="cpu list for single-worker proxies")
        p.add_argument("--cpu-proxy-multi", default="0,1", help="cpu list for 2-worker proxies")
        p.add_argument("--cpu-backend", default="1")
        p.add_argument("--cpu-wrk", default="1")
        p.add_argument("--out", help="results directory (default results/<timestamp>)")
        p.add_argument("--nice", type=int, default=0,
                       help="nice value for the harness and everything it starts (root only; 0 = leave)")

    def wrk_opts(p):  # bench and cost
        common(p)
        p.add_argument("--targets", default="static,fastapi", help="comma list from " + ",".join(TARGETS))
        p.add_argument("--conns", default="64,256")
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--storm-conns", type=int, default=64,
                       help="target storm: clients opening a new connection per request beside the measured ones")
        p.add_argument("--duration", type=int, default=10)
        p.add_argument("--warmup", type=int, default=2)
        p.add_argument("--reps", type=int, default=3)
        p.add_argument("--cooldown", type=float, default=0.5)
        p.add_argument("--baseline", default="nginx")
        p.add_argument("--quiet-max", type=float, default=0.05,
                       help="max fraction of all-core CPU busy (other activity) before starting a run")
        p.add_argument("--quiet-timeout", type=float, default=0,
                       help="seconds to wait for an idle machine before each run (0 = don't wait)")
        p.add_argument("--max-other", type=float, default=0.10,
                       help="redo a run if both foreign processes and the unexplained busy time on the "
                            "bench's cores exceeded this many cores")
        p.add_argument("--retries", type=int, default=3)
        p.add_argument("--tag", default="")
        p.add_argument("--keep-workdir", action="store_true")
        p.add_argument("--tls", action="store_true",
                       help="clients speak HTTPS to every proxy with the same dev certificate (certs/make-dev-certs.sh); "
                            "'direct' stays plain HTTP")

    b = sub.add_parser("bench", help="wrk throughput/latency matrix")
    wrk_opts(b)
    b.set_defaults(fn=cmd_bench, cost=False, callgrind=False)

    c = sub.add_parser("cost", help="instructions and heap allocations of the proxy per request "
                                    "(perf stat + an LD_PRELOAD malloc counter; not throughput figures)")
    wrk_opts(c)
    c.set_defaults(fn=cmd_bench, cost=True, targets="static", conns="64", reps=1)
    c.add_argument("--callgrind", action="store_true",
                   help="count instructions with valgrind's callgrind instead of perf stat: user space "
                        "only, needs no hardware PMU (perf cannot count in most VMs); allocations are "
                        "not counted then; custom commands must put {wrap} in front of the binary")

    m = sub.add_parser("mem", help="RSS with N idle keep-alive client connections")
    common(m)
    m.set_defaults(proxies="nginx,haproxy")
    m.add_argument("-n", type=int, default=10000)
    m.add_argument("--modes", default="request,connect")
    m.add_argument("--settle", type=float, default=2.0)
    m.set_defaults(fn=cmd_mem)

    k = sub.add_parser("backends", help="start backends and hold them")
    k.add_argument("kind", choices=["static", "fastapi"])
    k.add_argument("--no-pin", action="store_true")
    k.add_argument("--cpu-backend", default="1")
    k.set_defaults(fn=cmd_backends)

    args = ap.parse_args()
    if getattr(args, "nice", 0) and os.geteuid() == 0:
        # Every process we start inherits this priority, so on a shared box foreign CPU hogs
        # (nice 0) get ~1% of a core that the bench is using (CFS weight 88761 vs 1024).
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)
        global NICE
        NICE = args.nice
    args.fn(args)


if __name__ == "__main__":
    main()
