"""TLS termination on --tls-listen: curl and Python clients through Sluice over HTTPS,
SNI choosing among certificates, ALPN, refused TLS 1.1 and plain HTTP, the header timeout
closing a stalled handshake, certificates reloaded on SIGHUP without dropping open
connections, and a bad key refusing start-up. Then TLS to https:// backends: verified
against --backend-ca, SNI, refused certificates. Certificates come from
certs/make-dev-certs.sh into a temporary directory."""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from support import HOST, REPO, SLUICE_BIN, free_port, route

MAKE_CERTS = REPO / "certs" / "make-dev-certs.sh"


def make_certs(out: Path, *names: str) -> None:
    subprocess.run(["bash", str(MAKE_CERTS), "--out", str(out), *names], check=True,
                   capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    """A dev CA with three server certificates: localhost (+127.0.0.1), alpha.test and
    beta.test, all in one directory (the CA in its ca/ subdirectory)."""
    out = tmp_path_factory.mktemp("pki")
    make_certs(out, "localhost", "127.0.0.1")
    make_certs(out, "alpha.test")
    make_certs(out, "beta.test")
    return out


def client_context(pki: Path, **versions) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki / "ca" / "ca.crt"))
    for attr, value in versions.items():
        setattr(ctx, attr, value)
    return ctx


def start_tls(sluice_factory, backends, tls_args: list[str], extra_args: list[str] | None = None,
              env: dict | None = None):
    """A Sluice with a plain and a TLS listener in front of blue1/green1; returns (sluice, tls_port)."""
    tls_port = free_port()
    b = backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)],
                        extra_args=["--tls-listen", f"{HOST}:{tls_port}", *tls_args, *(extra_args or [])],
                        env=env)
    return sl, tls_port


def single(pki: Path, name: str = "localhost") -> list[str]:
    return ["--cert", str(pki / f"{name}.crt"), "--key", str(pki / f"{name}.key")]


def https_get(pki: Path, port: int, path: str, server_name: str = "localhost") -> tuple[int, dict, bytes]:
    with socket.create_connection((HOST, port), timeout=10) as raw:
        with client_context(pki).wrap_socket(raw, server_hostname=server_name) as s:
            c = http.client.HTTPConnection(server_name, port, timeout=10)
            c.sock = s
            c.request("GET", path)
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()


def peer_names(pki: Path, port: int, server_name: str | None) -> list[str]:
    """The DNS names of the certificate Sluice presents for `server_name` (None: no SNI)."""
    ctx = client_context(pki)
    ctx.check_hostname = False
    with socket.create_connection((HOST, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_name) as s:
            return [v for k, v in s.getpeercert()["subjectAltName"] if k == "DNS"]


def test_curl_and_python_get_answers_over_https(clean_backends, sluice_factory, pki):
    sl, port = start_tls(sluice_factory, clean_backends, single(pki))
    # curl, verifying against the dev CA.
    out = subprocess.run(["curl", "-sS", "--cacert", str(pki / "ca" / "ca.crt"),
                          "--resolve", f"localhost:{port}:{HOST}", "-w", "\n%{http_code} %{http_version}",
                          f"https://localhost:{port}/bytes/1000"],
                         capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    body, _, status = out.stdout.rpartition(b"\n")
    # curl offers h2 and http/1.1: h2 is preferred (HTTP/2 itself: test_http2.py).
    assert status == b"200 2" and len(body) == 1000
    # Python: ALPN picks http/1.1 when the client offers no h2; TLS 1.3 by default.
    ctx = client_context(pki)
    ctx.set_alpn_protocols(["http/1.1"])
    with socket.create_connection((HOST, port), timeout=10) as raw, ctx.wrap_socket(raw, server_hostname="localhost") as s:
        assert s.selected_alpn_protocol() == "http/1.1"
        assert s.version() == "TLSv1.3"
        c = http.client.HTTPConnection("localhost", port, timeout=10)
        c.sock = s
        for _ in range(3):  # keep-alive on one TLS connection
            c.request("GET", "/bytes/70000?chunked=1")
            r = c.getresponse()
            assert r.status == 200 and r.getheader("X-Sluice-Pool") == "blue"
            assert len(r.read()) == 70000
        # A 3 MB upload streams through both buffers.
        data = bytes(range(256)) * (3 * 4096)
        c.request("POST", "/upload", body=data)
        r = c.getresponse()
        answer = json.loads(r.read())
        assert answer["received"] == len(data) and answer["sha256"] == hashlib.sha256(data).hexdigest()
    # The IP address in the certificate also verifies.
    status, _, _ = https_get(pki, port, "/bytes/10", server_name="127.0.0.1")
    assert status == 200
    # Plain HTTP keeps working on --listen.
    c = sl.http()
    c.request("GET", "/bytes/10")
    assert c.getresponse().status == 200


def test_websocket_over_tls(clean_backends, sluice_factory, pki):
    from websockets.sync.client import connect
    sl, port = start_tls(sluice_factory, clean_backends, single(pki))
    with connect(f"wss://localhost:{port}/ws", ssl=client_context(pki), open_timeout=10, close_timeout=5,
                 max_size=4 * 1024 * 1024) as ws:
        ws.send("hello over tls")
        assert ws.recv(timeout=10) == "hello over tls"
        big = bytes(range(256)) * 4096  # 1 MiB: many TLS records each way
        ws.send(big)
        assert ws.recv(timeout=20) == big


def test_backend_is_told_the_request_came_over_https(sluice_factory, pki, recorder):
    tls_port = free_port()
    sl = sluice_factory([route("rec", [recorder.addr], [recorder.addr], 0, health={"path": "/__recorder_health"})],
                        extra_args=["--tls-listen", f"{HOST}:{tls_port}", *single(pki)])
    recorder.reset()
    status, _, body = https_get(pki, tls_port, "/over-tls")
    assert status == 200 and body == b"recorded"
    assert b"X-Forwarded-Proto: https\r\n" in recorder.payload()
    recorder.reset()
    c = sl.http()
    c.request("GET", "/over-plain")
    assert c.getresponse().read() == b"recorded"
    assert b"X-Forwarded-Proto: http\r\n" in recorder.payload()


def test_flags_also_come_from_the_environment(clean_backends, sluice_factory, pki):
    port = free_port()
    b = clean_backends
    sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 0)],
                   env={"SLUICE_TLS_LISTEN": f"{HOST}:{port}", "SLUICE_CERT": str(pki / "localhost.crt"),
                        "SLUICE_KEY": str(pki / "localhost.key")})
    assert https_get(pki, port, "/bytes/5")[0] == 200


def test_sni_picks_the_certificate_by_name(clean_backends, sluice_factory, pki, tmp_path):
    certs = tmp_path / "sni"
    certs.mkdir()
    for name in ("alpha.test", "beta.test"):
        for ext in ("crt", "key"):
            shutil.copy(pki / f"{name}.{ext}", certs / f"{name}.{ext}")
    shutil.copytree(pki / "ca", certs / "ca")  # a subdirectory: ignored
    sl, port = start_tls(sluice_factory, clean_backends, ["--certs", str(certs)])
    # check_hostname is on: each handshake verifies the name against the certificate.
    assert https_get(pki, port, "/bytes/3", server_name="alpha.test")[0] == 200
    assert https_get(pki, port, "/bytes/3", server_name="beta.test")[0] == 200
    assert peer_names(pki, port, "beta.test") == ["beta.test"]
    assert peer_names(pki, port, "BETA.test") == ["beta.test"]
    # No SNI, or a name no certificate has: the first pair by name is the default.
    assert peer_names(pki, port, None) == ["alpha.test"]
    assert peer_names(pki, port, "unknown.test") == ["alpha.test"]
    listening = [json.loads(line) for line in sl.stderr().splitlines() if '"listening"' in line][0]
    assert listening["certificates"] == [["alpha.test"], ["beta.test"]]


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls11_and_plain_http_are_refused_and_sluice_keeps_serving(clean_backends, sluice_factory, pki):
    sl, port = start_tls(sluice_factory, clean_backends, single(pki))
    # TLS 1.1: the client is told "protocol version" (alert 70).
    old = client_context(pki, minimum_version=ssl.TLSVersion.TLSv1_1, maximum_version=ssl.TLSVersion.TLSv1_1)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    with socket.create_connection((HOST, port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError) as refused:
            old.wrap_socket(raw, server_hostname="localhost")
    assert "PROTOCOL_VERSION" in str(refused.value).upper()
    # TLS 1.2 and 1.3 are served.
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = client_context(pki, minimum_version=version, maximum_version=version)
        with socket.create_connection((HOST, port), timeout=10) as raw, ctx.wrap_socket(raw, server_hostname="localhost") as s:
            assert s.version() == version.name.replace("v1_", "v1.")
    # Plain HTTP on the TLS port: closed without an answer.
    with socket.create_connection((HOST, port), timeout=5) as s:
        s.sendall(b"GET /bytes/3 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        assert not data.startswith(b"HTTP/")
    # Garbage instead of a ClientHello: closed too.
    with socket.create_connection((HOST, port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01\x00\x05hello" + bytes(100))
        try:
            assert s.recv(4096)[:1] in (b"", b"\x15")  # nothing, or a TLS alert record
        except ConnectionResetError:
            pass
    assert https_get(pki, port, "/bytes/3")[0] == 200
    c = sl.http()
    c.request("GET", "/bytes/3")
    assert c.getresponse().status == 200


def test_stalled_handshake_is_closed_by_the_header_timeout(clean_backends, sluice_factory, pki):
    sl, port = start_tls(sluice_factory, clean_backends, single(pki), extra_args=["--header-timeout", "1s"])
    stalled = []
    for first_bytes in (b"", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"):  # connect only; half a ClientHello
        s = socket.create_connection((HOST, port), timeout=5)
        if first_bytes:
            s.sendall(first_bytes)
        stalled.append(s)
    start = time.monotonic()
    # Meanwhile others are served.
    assert https_get(pki, port, "/bytes/3")[0] == 200
    for s in stalled:
        s.settimeout(4)
        try:
            assert s.recv(4096) == b""
        except ConnectionResetError:
            pass
        s.close()
    elapsed = time.monotonic() - start
    assert 0.6 <= elapsed <= 3.5, elapsed


def test_sighup_swaps_the_certificate_for_new_connections_only(clean_backends, sluice_factory, pki, tmp_path):
    certs = tmp_path / "live"
    make_certs(certs, "localhost", "first.test")
    sl, port = start_tls(sluice_factory, clean_backends, ["--certs", str(certs)],
                         env={"SLUICE_ADMIN_TOKEN": "tok"})
    ca = certs / "ca" / "ca.crt"
    ctx = ssl.create_default_context(cafile=str(ca))
    raw = socket.create_connection((HOST, port), timeout=10)
    kept = ctx.wrap_socket(raw, server_hostname="localhost")
    old = http.client.HTTPConnection("localhost", port, timeout=10)
    old.sock = kept
    old.request("GET", "/bytes/5")
    assert old.getresponse().read() == b"\x00\x01\x02\x03\x04"
    first_serial = kept.getpeercert()["serialNumber"]

    def presented() -> tuple[list[str], str]:
        with socket.create_connection((HOST, port), timeout=10) as r, ctx.wrap_socket(r, server_hostname="localhost") as s:
            cert = s.getpeercert()
            return [v for k, v in cert["subjectAltName"] if k == "DNS"], cert["serialNumber"]

    make_certs(certs, "localhost", "second.test")  # same file names, new certificate
    sl.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while presented()[0] != ["localhost", "second.test"] and time.monotonic() < deadline:
        time.sleep(0.05)
    names, serial = presented()
    assert names == ["localhost", "second.test"] and serial != first_serial
    assert "routes reloaded" in sl.stderr()
    # The open keep-alive connection still works, on the same socket and certificate.
    old.request("GET", "/bytes/3")
    assert old.getresponse().read() == b"\x00\x01\x02"
    assert old.sock is kept and kept.getpeercert()["serialNumber"] == first_serial

    # POST /reload does the same and names the certificates.
    c = http.client.HTTPConnection(HOST, sl.admin_port, timeout=10)
    c.request("POST", "/reload", headers={"Authorization": "Bearer tok"})
    r = c.getresponse()
    assert r.status == 200 and json.loads(r.read())["certificates"] == [["localhost", "second.test"]]

    # A key that no longer matches: the reload is refused whole, the last good set serves.
    shutil.copy(pki / "beta.test.key", certs / "localhost.key")
    c.request("POST", "/reload", headers={"Authorization": "Bearer tok"})
    r = c.getresponse()
    answer = json.loads(r.read())
    assert r.status == 422 and "localhost.key" in answer["detail"][0], answer
    assert presented() == (names, serial)
    kept.close()


def test_session_resumption(clean_backends, sluice_factory, pki):
    sl, port = start_tls(sluice_factory, clean_backends, single(pki), extra_args=["--workers", "2"])
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = client_context(pki, maximum_version=version)
        session, reused = None, []
        for _ in range(3):
            with socket.create_connection((HOST, port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
                    s.sendall(b"GET /bytes/2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    while s.recv(65536):
                        pass  # reads the TLS 1.3 tickets too
                    reused.append(s.session_reused)
                    session = s.session
        assert reused == [False, True, True], (version, reused)


@pytest.mark.parametrize("case", ["mismatch", "garbage", "encrypted", "missing", "lone-crt"])
def test_bad_key_refuses_startup(pki, tmp_path, case):
    key = tmp_path / "bad.key"
    args = ["--cert", str(pki / "localhost.crt"), "--key", str(key)]
    if case == "mismatch":
        shutil.copy(pki / "alpha.test.key", key)
        expect = "does not match"
    elif case == "garbage":
        key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        expect = "cannot load the private key"
    elif case == "encrypted":  # refused, never a passphrase prompt
        subprocess.run(["openssl", "pkey", "-in", str(pki / "localhost.key"), "-aes256", "-passout", "pass:secret",
                        "-out", str(key)], check=True, capture_output=True, timeout=30)
        expect = "cannot load the private key"
    elif case == "missing":
        expect = "No such file"
    else:
        (tmp_path / "dir").mkdir()
        shutil.copy(pki / "localhost.crt", tmp_path / "dir" / "site.crt")
        args = ["--certs", str(tmp_path / "dir")]
        key = tmp_path / "dir" / "site.crt"
        expect = "no private key site.key"
    routes = tmp_path / "routes"
    routes.mkdir()
    (routes / "app.json").write_text(json.dumps(route("app", ["127.0.0.1:9"], ["127.0.0.1:9"])))
    out = subprocess.run([str(SLUICE_BIN), "serve", "--routes", str(routes), "--listen", f"{HOST}:{free_port()}",
                          "--tls-listen", f"{HOST}:{free_port()}", *args, "--admin", f"{HOST}:{free_port()}",
                          "--state", str(tmp_path / "state")], capture_output=True, text=True, timeout=30,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 1, out
    line = json.loads(out.stderr.strip().splitlines()[-1])
    assert line["file"] == str(key) and expect in line["error"], line
    assert "refusing to start" in line["message"]


def test_certificate_options_need_tls_listen():
    out = subprocess.run([str(SLUICE_BIN), "serve", "--cert", "x.crt", "--key", "x.key"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "--tls-listen" in out.stderr


# ---------------------------------------------------------------------------- https:// backends

class TLSBackend:
    """A TLS server thread answering every request with 200 "ok"; records the SNI names
    clients sent."""

    def __init__(self, pki: Path, name: str):
        self.port = free_port()
        self.server_names: list[str | None] = []
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(pki / f"{name}.crt", pki / f"{name}.key")
        ctx.sni_callback = lambda sock, server_name, _ctx: self.server_names.append(server_name)
        self.ctx = ctx
        self.listener = socket.create_server((HOST, self.port))
        self.listener.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                raw, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            with self.ctx.wrap_socket(raw, server_side=True) as s:
                s.settimeout(5)
                buf = b""
                while not self.stopping:
                    data = s.recv(65536)
                    if not data:
                        return
                    buf += data
                    while b"\r\n\r\n" in buf:
                        _, _, buf = buf.partition(b"\r\n\r\n")
                        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pool: tls-backend\r\n\r\nok")
        except (OSError, ssl.SSLError):
            return

    def stop(self):
        self.stopping = True
        self.listener.close()
        self.thread.join(2)


def uvicorn_tls(pki: Path, tmp_path: Path):
    """The example FastAPI app served over TLS with the localhost certificate (IP SAN 127.0.0.1)."""
    port = free_port()
    log = open(tmp_path / "uvicorn-tls.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app:app", "--host", HOST, "--port", str(port),
                             "--log-level", "warning", "--ssl-keyfile", str(pki / "localhost.key"),
                             "--ssl-certfile", str(pki / "localhost.crt")],
                            cwd=REPO / "examples" / "fastapi", env=dict(os.environ, POOL="blue"),
                            stdout=log, stderr=subprocess.STDOUT)
    ctx = client_context(pki)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1) as raw, ctx.wrap_socket(raw, server_hostname="localhost"):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("uvicorn with TLS did not start")


def test_https_backend_verified_against_the_backend_ca(sluice_factory, pki, tmp_path):
    proc, port = uvicorn_tls(pki, tmp_path)
    try:
        sl = sluice_factory([route("tls", [f"https://{HOST}:{port}"], [f"https://{HOST}:{port}"], 0)],
                            extra_args=["--backend-ca", str(pki / "ca" / "ca.crt")])
        c = sl.http()
        for _ in range(3):  # keep-alive on both sides
            c.request("GET", "/bytes/70000")
            r = c.getresponse()
            assert r.status == 200 and r.getheader("X-Pool") == "blue" and len(r.read()) == 70000
        data = bytes(range(256)) * 8192
        c.request("POST", "/upload", body=data)
        answer = json.loads(c.getresponse().read())
        assert answer["sha256"] == hashlib.sha256(data).hexdigest()
        time.sleep(2.5)  # a health check over TLS has run
        assert "backend unhealthy" not in sl.stderr()
        c.request("GET", "/bytes/5")
        assert c.getresponse().status == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_https_backend_sni_and_failed_verification(sluice_factory, pki):
    good = TLSBackend(pki, "localhost")
    wrong_name = TLSBackend(pki, "alpha.test")
    try:
        sl = sluice_factory([route("sni", [f"https://localhost:{good.port}"], [f"https://localhost:{good.port}"], 0,
                                   host="good.test"),
                             route("bad", [f"https://localhost:{wrong_name.port}"], [f"https://localhost:{wrong_name.port}"], 0,
                                   host="bad.test")],
                            extra_args=["--backend-ca", str(pki / "ca" / "ca.crt")])
        c = sl.http()
        c.request("GET", "/", headers={"Host": "good.test"})
        r = c.getresponse()
        assert r.status == 200 and r.read() == b"ok"
        assert "localhost" in good.server_names
        # A certificate for another name: 502, never the backend's answer; the health check says why.
        c = sl.http()
        c.request("GET", "/", headers={"Host": "bad.test"})
        r = c.getresponse()
        assert r.status == 502, r.read()
        deadline = time.monotonic() + 15
        while "tls_error" not in sl.stderr() and time.monotonic() < deadline:
            time.sleep(0.2)
        line = [json.loads(l) for l in sl.stderr().splitlines() if "tls_error" in l][0]
        assert line["message"] == "backend unhealthy" and "certificate verify failed" in line["tls_error"]
        assert line["backend"] == f"localhost:{wrong_name.port}"
    finally:
        good.stop()
        wrong_name.stop()


def test_https_backend_needs_a_trusted_ca(sluice_factory, pki):
    backend = TLSBackend(pki, "localhost")
    try:
        sl = sluice_factory([route("tls", [f"https://localhost:{backend.port}"], [f"https://localhost:{backend.port}"], 0)])
        c = sl.http()
        c.request("GET", "/")
        assert c.getresponse().status == 502  # the dev CA is not in the system trust store
    finally:
        backend.stop()
