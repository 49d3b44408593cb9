"""HTTP/2 to clients (SPEC section 9): ALPN h2 on the TLS listener, prior knowledge on the plain
port, --http2 off; every stream an exchange to the HTTP/1.1 pools (split per stream, logged
with its protocol); frame-level errors answered with the code RFC 9113 / RFC 7541 require and
never forwarded; the attacks bounded while another client is served; 100 MB each way with
bounded memory; GOAWAY and a drain on shutdown. Clients: curl --http2 and Python's h2
(hyperframe + hpack for frames h2 itself refuses to send)."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest
from hpack import Encoder
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame,
                              RstStreamFrame, SettingsFrame, WindowUpdateFrame)

from support import HOST, REPO, RecordingBackend, RssSampler, route

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
NO_ERROR, PROTOCOL_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR = 0x0, 0x1, 0x3, 0x6
COMPRESSION_ERROR, ENHANCE_YOUR_CALM = 0x9, 0xB
MB100 = 100 * 1024 * 1024
RSS_LIMIT_KIB = 64 * 1024


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pki")
    subprocess.run(["bash", str(REPO / "certs" / "make-dev-certs.sh"), "--out", str(out), "localhost", "127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return out


def start(sluice_factory, backends, pki: Path | None = None, green: float = 0, extra: list[str] | None = None,
          env: dict | None = None, **route_extra):
    b = backends
    args = list(extra or [])
    if pki is not None:
        from support import free_port
        tls_port = free_port()
        args += ["--tls-listen", f"{HOST}:{tls_port}", "--cert", str(pki / "localhost.crt"), "--key", str(pki / "localhost.key")]
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], green, **route_extra)],
                        extra_args=args, env=env)
    sl.tls_port = tls_port if pki is not None else None
    return sl


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True, text=True, timeout=30)


def backend_requests(backends) -> int:
    return sum(backends[n].stats() for n in ("blue1", "green1"))


# ------------------------------------------------------------------ a scripted h2 client

def h2_exchange(port: int, requests: list[tuple[str, str, bytes | None]], concurrency: int = 50,
                extra_headers: list[tuple[str, str]] | None = None, timeout: float = 60,
                read_pause: float = 0.0, rcvbuf: int | None = None, start_pause: float = 0.0,
                window: int | None = None) -> list[dict]:
    """Sends `requests` ((method, path, body)) on ONE prior-knowledge connection, at most
    `concurrency` streams open at once; returns per request {status, headers, body, reset}.
    `rcvbuf` shrinks the socket's receive buffer (set before connecting: a small TCP window);
    `start_pause` waits that long after the first requests before reading anything;
    `window` opens the client's stream and connection windows that wide (h2's are 64 KiB)."""
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((HOST, port))
    conn.initiate_connection()
    if window:
        conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        conn.increment_flow_control_window(window - 65_535)
    s.sendall(conn.data_to_send())
    results: dict[int, dict] = {}
    order: list[int] = []
    pending_bodies: dict[int, memoryview] = {}
    queue = list(enumerate(requests))
    open_streams = 0
    done = 0
    deadline = time.monotonic() + timeout

    def send_bodies():
        for sid, rest in list(pending_bodies.items()):
            while len(rest) > 0:
                window = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
                if window <= 0:
                    break
                conn.send_data(sid, rest[:window].tobytes())
                rest = rest[window:]
            if len(rest) == 0:
                conn.end_stream(sid)
                del pending_bodies[sid]
            else:
                pending_bodies[sid] = rest

    try:
        while done < len(requests):
            assert time.monotonic() < deadline, f"only {done} of {len(requests)} answered in {timeout}s"
            while queue and open_streams < concurrency:
                _, (method, path, body) = queue.pop(0)
                sid = conn.get_next_available_stream_id()
                hdrs = [(":method", method), (":path", path), (":scheme", "http"), (":authority", f"{HOST}:{port}")]
                hdrs += extra_headers or []
                if body is not None:
                    hdrs.append(("content-length", str(len(body))))
                conn.send_headers(sid, hdrs, end_stream=body is None)
                if body is not None:
                    pending_bodies[sid] = memoryview(body)
                results[sid] = {"status": None, "headers": {}, "body": bytearray(), "reset": None}
                order.append(sid)
                open_streams += 1
            send_bodies()
            s.sendall(conn.data_to_send())
            if start_pause:
                time.sleep(start_pause)
                start_pause = 0.0
            data = s.recv(1 << 20)
            if not data:
                raise AssertionError(f"connection closed after {done} answers")
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    results[ev.stream_id]["status"] = int(dict(ev.headers)[":status"])
                    results[ev.stream_id]["headers"] = dict(ev.headers)
                elif isinstance(ev, h2.events.DataReceived):
                    results[ev.stream_id]["body"] += ev.data
                    if read_pause and len(results[ev.stream_id]["body"]) >= 1 << 20 and not results[ev.stream_id].get("paused"):
                        results[ev.stream_id]["paused"] = True
                        time.sleep(read_pause)
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    done += 1
                    open_streams -= 1
                elif isinstance(ev, h2.events.StreamReset):
                    results[ev.stream_id]["reset"] = ev.error_code
                    done += 1
                    open_streams -= 1
                    pending_bodies.pop(ev.stream_id, None)
            s.sendall(conn.data_to_send())
    finally:
        s.close()
    return [results[sid] for sid in order]


class RawH2:
    """A hand-driven HTTP/2 connection (frames built with hyperframe, fields with hpack), for
    frames a conforming client never sends."""

    def __init__(self, port: int, preface: bytes = PREFACE, settings: bool = True, tls: ssl.SSLContext | None = None):
        self.sock = socket.create_connection((HOST, port), timeout=10)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")
            assert self.sock.selected_alpn_protocol() == "h2"
        self.encoder = Encoder()
        self.buf = b""
        self.sock.sendall(preface)
        if settings:
            self.send(SettingsFrame(0))

    def send(self, *frames: Frame) -> None:
        self.sock.sendall(b"".join(f.serialize() for f in frames))

    def block(self, fields: list[tuple[bytes, bytes]]) -> bytes:
        return self.encoder.encode(fields)

    def headers(self, sid: int, fields: list[tuple[bytes, bytes]], end_stream: bool = True) -> None:
        f = HeadersFrame(sid, self.block(fields))
        f.flags.add("END_HEADERS")
        if end_stream:
            f.flags.add("END_STREAM")
        self.send(f)

    def read_frame(self, timeout: float = 5.0) -> Frame | None:
        """The next frame, None on EOF. SETTINGS from the server are ACKed."""
        self.sock.settimeout(timeout)
        while True:
            while len(self.buf) < 9:
                try:
                    chunk = self.sock.recv(65536)
                except ConnectionResetError:
                    return None
                if not chunk:
                    return None
                self.buf += chunk
            frame, length = Frame.parse_frame_header(memoryview(self.buf[:9]))
            while len(self.buf) < 9 + length:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return None
                self.buf += chunk
            frame.parse_body(memoryview(self.buf[9:9 + length]))
            self.buf = self.buf[9 + length:]
            if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
                ack = SettingsFrame(0)
                ack.flags.add("ACK")
                try:
                    self.send(ack)
                except OSError:
                    pass
            return frame

    def wait_for(self, kind: type, sid: int | None = None, timeout: float = 10.0) -> Frame | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            f = self.read_frame(timeout=max(0.1, deadline - time.monotonic()))
            if f is None:
                return None
            if isinstance(f, kind) and (sid is None or f.stream_id == sid):
                return f
        return None

    def close(self) -> None:
        self.sock.close()


def request_fields(port: int, path: str = "/", method: bytes = b"GET") -> list[tuple[bytes, bytes]]:
    return [(b":method", method), (b":scheme", b"http"), (b":path", path.encode()),
            (b":authority", f"{HOST}:{port}".encode())]


def answered_within(port: int, seconds: float = 1.0) -> float:
    """Time for a fresh HTTP/1.1 client to get a 200 (asserted under `seconds`)."""
    t0 = time.monotonic()
    out = curl("--max-time", str(seconds), "-o", "/dev/null", "-w", "%{http_code}", f"http://{HOST}:{port}/other-client")
    took = time.monotonic() - t0
    assert out.stdout == "200", f"another client got {out.stdout!r} {out.stderr!r} during the attack"
    assert took < seconds
    return took


# ------------------------------------------------------------------ real clients

def test_curl_h2_over_tls_with_alpn(clean_backends, sluice_factory, pki):
    sl = start(sluice_factory, clean_backends, pki)
    out = curl("--http2", "--cacert", str(pki / "ca" / "ca.crt"), "-D", "-", "-o", "/dev/null",
               "-w", "%{http_version}", f"https://localhost:{sl.tls_port}/tls-h2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HTTP/2 200"), out.stdout
    assert out.stdout.endswith("2")
    # A client that offers only http/1.1 still gets it.
    out = curl("--http1.1", "--cacert", str(pki / "ca" / "ca.crt"), "-o", "/dev/null", "-w", "%{http_version}",
               f"https://localhost:{sl.tls_port}/tls-h1")
    assert out.stdout == "1.1", out.stderr
    time.sleep(0.3)
    log = {e["path"]: e for e in sl.access_log() if e.get("message") == "request"}
    assert log["/tls-h2"]["protocol"] == "h2" and log["/tls-h2"]["status_code"] == 200
    assert log["/tls-h1"]["protocol"] == "http/1.1"


def test_curl_prior_knowledge_on_the_plain_port(clean_backends, sluice_factory):
    sl = start(sluice_factory, clean_backends)
    out = curl("--http2-prior-knowledge", "-D", "-", f"http://{HOST}:{sl.port}/pk?x=1")
    assert out.returncode == 0, out.stderr
    head, _, body = out.stdout.partition("\n\n")  # text mode: CRLF read as LF
    assert head.startswith("HTTP/2 200"), head
    assert "x-request-id:" in head and "x-sluice-pool: blue" in head
    import json
    echo = json.loads(body)
    fields = {k: v for k, v in echo["headers"]}
    # :authority became Host; the proxy headers are there, as for HTTP/1.1.
    assert fields["host"] == f"{HOST}:{sl.port}" and fields["x-forwarded-proto"] == "http"
    assert fields["x-forwarded-for"] == HOST and echo["path"] == "/pk" and echo["query"] == "x=1"
    # The same port still serves HTTP/1.1.
    out = curl("-o", "/dev/null", "-w", "%{http_version} %{http_code}", f"http://{HOST}:{sl.port}/h1")
    assert out.stdout == "1.1 200"


def test_metrics_and_ctl_status_count_requests_by_protocol(clean_backends, sluice_factory):
    sl = start(sluice_factory, clean_backends, env={"SLUICE_ADMIN_TOKEN": "t0ken"})
    h2_exchange(sl.port, [("GET", "/p", None)] * 7)
    for _ in range(3):
        assert curl("-o", "/dev/null", f"http://{HOST}:{sl.port}/p").returncode == 0
    time.sleep(0.6)  # workers publish every 250 ms
    metrics = curl(f"http://{HOST}:{sl.admin_port}/metrics").stdout
    # +1 for the fixture's readiness probe over HTTP/1.1
    assert 'sluice_requests_by_protocol_total{protocol="h2"} 7' in metrics, metrics[-800:]
    assert 'sluice_requests_by_protocol_total{protocol="http/1.1"} 4' in metrics
    from support import SLUICE_BIN
    out = subprocess.run([str(SLUICE_BIN), "ctl", "--admin", f"http://{HOST}:{sl.admin_port}", "status"],
                         capture_output=True, text=True, timeout=30, env={"SLUICE_ADMIN_TOKEN": "t0ken"})
    assert out.returncode == 0, out.stderr
    assert "requests by protocol (all routes, since start): h2 7, http/1.1 4" in out.stdout, out.stdout


def test_http2_off_falls_back_to_http11(clean_backends, sluice_factory, pki):
    sl = start(sluice_factory, clean_backends, pki, env={"SLUICE_HTTP2": "off"})
    out = curl("--http2", "--cacert", str(pki / "ca" / "ca.crt"), "-o", "/dev/null", "-w", "%{http_version}",
               f"https://localhost:{sl.tls_port}/off")
    assert out.returncode == 0 and out.stdout == "1.1", (out.stdout, out.stderr)
    # The preface is not recognised: an HTTP/1.1 error, never an HTTP/2 answer.
    out = curl("--http2-prior-knowledge", "-o", "/dev/null", f"http://{HOST}:{sl.port}/off")
    assert out.returncode != 0


def test_http2_flag_refuses_other_values(sluice_factory, clean_backends):
    from support import SLUICE_BIN
    out = subprocess.run([str(SLUICE_BIN), "serve", "--http2", "maybe"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 2 and "--http2" in out.stderr


def test_1000_requests_50_concurrent_streams_on_one_connection(clean_backends, sluice_factory):
    sl = start(sluice_factory, clean_backends)
    results = h2_exchange(sl.port, [("GET", f"/many/{i}", None) for i in range(1000)], concurrency=50)
    assert len(results) == 1000
    assert all(r["status"] == 200 and r["reset"] is None for r in results), \
        [r for r in results if r["status"] != 200][:3]
    import json
    assert all(json.loads(bytes(r["body"]))["path"] == f"/many/{i}" for i, r in enumerate(results))
    time.sleep(0.3)
    h2_lines = [e for e in sl.access_log() if e.get("protocol") == "h2" and e["path"].startswith("/many/")]
    assert len(h2_lines) == 1000 and {e["outcome"] for e in h2_lines} == {"completed"}


def test_split_fits_30_percent_per_stream_on_one_connection(clean_backends, sluice_factory):
    sl = start(sluice_factory, clean_backends, green=30)
    results = h2_exchange(sl.port, [("GET", "/split", None) for _ in range(1000)], concurrency=20)
    pools = [r["headers"].get("x-sluice-pool") for r in results]
    green = pools.count("green")
    assert pools.count("blue") + green == 1000
    # The picker is exact per block of 100: 30% per stream, whatever the connection.
    assert 280 <= green <= 320, green


def test_post_bodies_both_framings(clean_backends, sluice_factory):
    sl = start(sluice_factory, clean_backends)
    body = os.urandom(300_000)
    # With content-length (h2_exchange sends one) ...
    r = h2_exchange(sl.port, [("POST", "/upload", body)])[0]
    import json
    j = json.loads(bytes(r["body"]))
    assert r["status"] == 200 and j["received"] == len(body) and j["sha256"] == hashlib.sha256(body).hexdigest()
    # ... and without one (sent chunked to the backend), by curl.
    p = Path(sl.workdir) / "body.bin"
    p.write_bytes(body)
    out = curl("--http2-prior-knowledge", "-H", "Content-Length:", "-H", "Transfer-Encoding: chunked",
               "--data-binary", f"@{p}", f"http://{HOST}:{sl.port}/upload")
    j = json.loads(out.stdout)
    assert j["received"] == len(body) and j["sha256"] == hashlib.sha256(body).hexdigest()


# ------------------------------------------------------------------ response trailers

# A chunked response whose trailer section holds two fields to pass on (one with surrounding
# whitespace) and fields that must not reach an HTTP/2 client.
TRAILER_BODY = b"hello, trailers"
CHUNKED_WITH_TRAILERS = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: grpc-status, x-checksum\r\n\r\n"
    b"5\r\nhello\r\na\r\n, trailers\r\n0\r\n"
    b"Grpc-Status: 0\r\nX-Checksum:  sha256=abc \r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n"
    b"Connection: close\r\nKeep-Alive: 5\r\nHost: evil.test\r\nTE: trailers\r\nTrailer: x-more\r\n"
    b"Upgrade: h2c\r\nProxy-Connection: close\r\nbad name: x\r\n\r\n")
FORWARDED_TRAILERS = [("grpc-status", "0"), ("x-checksum", "sha256=abc")]
# One whose trailer fields are all dropped: the last DATA frame ends the stream.
CHUNKED_WITH_DROPPED_TRAILERS = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n0\r\nContent-Length: 5\r\nConnection: close\r\nno-colon\r\n\r\n")


# One whose trailer section is over the 16 KiB bound: the response fails after its head.
CHUNKED_WITH_HUGE_TRAILERS = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
                              + b"x-pad: " + b"p" * 17_000 + b"\r\n\r\n")


def trailer_response(request: bytes) -> bytes:
    if b" /dropped " in request:
        return CHUNKED_WITH_DROPPED_TRAILERS
    return CHUNKED_WITH_HUGE_TRAILERS if b" /huge " in request else CHUNKED_WITH_TRAILERS


def h2_events(port: int, paths: list[str]) -> dict[int, list]:
    """GETs `paths` as concurrent streams on one prior-knowledge connection with Python's h2
    (which checks what it receives); returns each stream's h2 events in order."""
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    events: dict[int, list] = {}
    with socket.create_connection((HOST, port), timeout=10) as s:
        conn.initiate_connection()
        for path in paths:
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, [(":method", "GET"), (":path", path), (":scheme", "http"),
                                    (":authority", f"{HOST}:{port}"), ("te", "trailers")], end_stream=True)
            events[sid] = []
        s.sendall(conn.data_to_send())
        ended = 0
        while ended < len(paths):
            data = s.recv(65536)
            assert data, "connection closed before every stream ended"
            for ev in conn.receive_data(data):
                if getattr(ev, "stream_id", 0) in events:
                    events[ev.stream_id].append(ev)
                    ended += isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset))
                if isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            s.sendall(conn.data_to_send())
    return events


def test_response_trailers_reach_h2_clients_after_the_body(sluice_factory):
    backend = RecordingBackend(respond=trailer_response)
    try:
        sl = sluice_factory([route("app", [backend.addr], [backend.addr])])
        # Five streams at once, so the backend connections are reused after a trailer section.
        streams = h2_events(sl.port, ["/t1", "/t2", "/t3", "/dropped", "/huge"])
        huge = streams.pop(9)
        assert isinstance(huge[-1], h2.events.StreamReset) and huge[-1].error_code == 2, huge  # INTERNAL_ERROR
        assert not any(isinstance(e, h2.events.TrailersReceived) for e in huge)
        dropped = streams.pop(7)
        kinds = [type(e).__name__ for e in dropped]
        assert kinds[0] == "ResponseReceived" and kinds[-2:] == ["DataReceived", "StreamEnded"], kinds
        assert b"".join(e.data for e in dropped[1:-1]) == b"hello" and dropped[-2].stream_ended is not None
        for sid, evs in streams.items():
            kinds = [type(e).__name__ for e in evs]
            assert kinds[0] == "ResponseReceived" and kinds[-2:] == ["TrailersReceived", "StreamEnded"], (sid, kinds)
            assert set(kinds[1:-2]) == {"DataReceived"}, (sid, kinds)
            data = [e for e in evs if isinstance(e, h2.events.DataReceived)]
            assert b"".join(e.data for e in data) == TRAILER_BODY
            # The body's DATA frames leave the stream open: END_STREAM comes with the trailers.
            assert all(e.stream_ended is None for e in data), sid
            trailers = evs[-2]
            assert trailers.stream_ended is not None
            assert list(trailers.headers) == FORWARDED_TRAILERS, trailers.headers
            head = dict(evs[0].headers)
            assert head[":status"] == "200" and "transfer-encoding" not in head
        time.sleep(0.3)
        log = [e for e in sl.access_log() if e.get("message") == "request" and e["path"] in ("/t1", "/t2", "/t3")]
        assert len(log) == 3 and {e["outcome"] for e in log} == {"completed"}
        assert {e["bytes_sent"] for e in log} == {len(TRAILER_BODY)}
    finally:
        backend.stop()


def test_response_trailers_seen_by_curl_and_dropped_for_http11(sluice_factory):
    backend = RecordingBackend(respond=trailer_response)
    try:
        sl = sluice_factory([route("app", [backend.addr], [backend.addr])])
        out = curl("--http2-prior-knowledge", "-D", "-", f"http://{HOST}:{sl.port}/curl")
        assert out.returncode == 0, out.stderr
        head, _, rest = out.stdout.partition("\n\n")  # text mode: CRLF read as LF
        assert head.startswith("HTTP/2 200"), head
        # curl writes the body, then the trailer fields it received.
        assert rest.startswith(TRAILER_BODY.decode()), rest
        tail = rest[len(TRAILER_BODY):].lower()
        assert "grpc-status: 0" in tail and "x-checksum: sha256=abc" in tail, tail
        assert "content-length" not in tail and "evil.test" not in tail and "bad name" not in tail, tail
        # An HTTP/1.1 client gets the body re-chunked and no trailers (docs/proxy.md).
        with socket.create_connection((HOST, sl.port), timeout=10) as s:
            s.sendall(f"GET /h1 HTTP/1.1\r\nHost: {HOST}\r\nTE: trailers\r\nConnection: close\r\n\r\n".encode())
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
        assert raw.startswith(b"HTTP/1.1 200") and raw.endswith(b"\r\n0\r\n\r\n"), raw
        assert b"grpc-status" not in raw.lower(), raw
    finally:
        backend.stop()


def test_a_chunked_body_that_uses_the_window_up_exactly_still_ends(sluice_factory):
    """A chunked response whose data fills the client's stream window to the byte: its last
    chunk (and trailers) carry no data, so the stream ends without waiting for a
    WINDOW_UPDATE that a client may only send once the response is complete."""
    window = 100
    body = b"w" * window
    def respond(request: bytes) -> bytes | tuple[bytes, bytes]:
        head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunks = b"40\r\n" + body[:64] + b"\r\n24\r\n" + body[64:] + b"\r\n"
        trailers = b"X-Checksum: abc\r\n" if b"trailers " in request else b""
        end = b"0\r\n" + trailers + b"\r\n"
        # "/late...": the last chunk comes 0.3 s after the data (read with the window shut).
        return (head + chunks, end) if b" /late" in request else head + chunks + end
    backend = RecordingBackend(respond=respond)
    try:
        sl = sluice_factory([route("app", [backend.addr], [backend.addr])])
        for path in ("/plain", "/trailers", "/late", "/late-trailers"):
            conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
            conn.local_settings = h2.settings.Settings(
                client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
            events = []
            with socket.create_connection((HOST, sl.port), timeout=5) as s:
                conn.initiate_connection()
                conn.send_headers(1, [(":method", "GET"), (":path", path), (":scheme", "http"),
                                      (":authority", f"{HOST}:{sl.port}"), ("te", "trailers")], end_stream=True)
                s.sendall(conn.data_to_send())
                # No WINDOW_UPDATE is ever sent: received data is not acknowledged.
                while not any(isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)) for e in events):
                    data = s.recv(65536)  # times out (5 s) if the end waits for window
                    assert data, "connection closed before the stream ended"
                    events += [e for e in conn.receive_data(data) if getattr(e, "stream_id", 0) == 1]
                    s.sendall(conn.data_to_send())
            assert isinstance(events[-1], h2.events.StreamEnded), (path, events)
            assert b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived)) == body, path
            trailers = [e for e in events if isinstance(e, h2.events.TrailersReceived)]
            assert [list(t.headers) for t in trailers] == ([[("x-checksum", "abc")]] if "trailers" in path else []), path
    finally:
        backend.stop()


# ------------------------------------------------------------------ frame-level errors

STREAM_ERRORS = {
    "uppercase name": [(b"X-Upper", b"1")],
    "connection-specific field": [(b"connection", b"keep-alive")],
    "transfer-encoding": [(b"transfer-encoding", b"chunked")],
    "te other than trailers": [(b"te", b"gzip")],
    "invalid value byte": [(b"x-bad", b"a\x01b")],
    "pseudo field after a regular one": [(b"x-a", b"1"), (b":foo", b"1")],
}


@pytest.mark.parametrize("case", sorted(STREAM_ERRORS))
def test_malformed_request_is_a_stream_error_never_forwarded(clean_backends, sluice_factory, case):
    sl = start(sluice_factory, clean_backends)
    before = backend_requests(clean_backends)
    c = RawH2(sl.port)
    try:
        c.headers(1, request_fields(sl.port, "/bad") + STREAM_ERRORS[case])
        rst = c.wait_for(RstStreamFrame, 1)
        assert rst is not None and rst.error_code == PROTOCOL_ERROR, rst
        # The connection lives on: the next stream is answered.
        c.headers(3, request_fields(sl.port, "/good"))
        h = c.wait_for(HeadersFrame, 3)
        assert h is not None
    finally:
        c.close()
    assert backend_requests(clean_backends) == before + 1  # only /good


def test_content_length_that_disagrees_with_data_is_a_stream_error(clean_backends, sluice_factory):
    sl = start(sluice_factory, clean_backends)
    c = RawH2(sl.port)
    try:
        c.headers(1, request_fields(sl.port, "/upload", b"POST") + [(b"content-length", b"10")], end_stream=False)
        d = DataFrame(1, b"12345")
        d.flags.add("END_STREAM")
        c.send(d)
        rst = c.wait_for(RstStreamFrame, 1)
        assert rst is not None and rst.error_code == PROTOCOL_ERROR
    finally:
        c.close()


def raw_frame(kind: int, flags: int, sid: int, payload: bytes) -> bytes:
    """A frame as bytes, for what hyperframe refuses to build."""
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + sid.to_bytes(4, "big") + payload


def _goaway_for(port: int, frames_or_bytes, preface: bytes = PREFACE) -> GoAwayFrame | None:
    c = RawH2(port, preface=preface, settings=preface == PREFACE)
    try:
        if isinstance(frames_or_bytes, bytes):
            c.sock.sendall(frames_or_bytes)
        else:
            c.send(*frames_or_bytes)
        return c.wait_for(GoAwayFrame)
    finally:
        c.close()


def test_connection_errors_end_in_goaway_with_the_rfc_code(clean_backends, sluice_factory):
    sl = start(sluice_factory, clean_backends)
    port = sl.port
    # 6.1: DATA on stream 0.
    assert _goaway_for(port, raw_frame(0x0, 0, 0, b"x")).error_code == PROTOCOL_ERROR
    # 4.2: a frame over SETTINGS_MAX_FRAME_SIZE (16384).
    big = HeadersFrame(1, b"\x00" * 20000)
    big.flags.add("END_HEADERS")
    assert _goaway_for(port, [big]).error_code == FRAME_SIZE_ERROR
    # RFC 7541 2.3.3: an index beyond both tables is a COMPRESSION_ERROR.
    bad = HeadersFrame(1, b"\xff\x7f")  # indexed field 254+127
    bad.flags.add("END_HEADERS")
    bad.flags.add("END_STREAM")
    assert _goaway_for(port, [bad]).error_code == COMPRESSION_ERROR
    # 6.9.1: a connection window over 2^31-1.
    assert _goaway_for(port, [WindowUpdateFrame(0, 2**31 - 1)]).error_code == FLOW_CONTROL_ERROR
    # 5.1.1: an even stream id from the client.
    c = RawH2(port)
    try:
        c.headers(2, request_fields(port))
        assert c.wait_for(GoAwayFrame).error_code == PROTOCOL_ERROR
    finally:
        c.close()
    # 6.10: CONTINUATION without a HEADERS before it.
    cont = ContinuationFrame(1, b"")
    cont.flags.add("END_HEADERS")
    assert _goaway_for(port, [cont]).error_code == PROTOCOL_ERROR
    # Another client is served throughout.
    answered_within(port)


def test_wrong_preface_after_alpn_h2_is_a_protocol_error(clean_backends, sluice_factory, pki):
    """RFC 9113 3.4: over TLS the handshake chose h2, so a wrong preface is a connection error.
    (On the plain port only the exact preface selects HTTP/2; anything else is HTTP/1.1.)"""
    sl = start(sluice_factory, clean_backends, pki)
    ctx = ssl.create_default_context(cafile=str(pki / "ca" / "ca.crt"))
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    c = RawH2(sl.tls_port, preface=b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", settings=False, tls=ctx)
    try:
        g = c.wait_for(GoAwayFrame)
        assert g is not None and g.error_code == PROTOCOL_ERROR
    finally:
        c.close()


# ------------------------------------------------------------------ attacks

def test_rapid_reset_is_bounded_and_others_are_served(clean_backends, sluice_factory):
    """CVE-2023-44487: 5,000 streams opened and reset at once."""
    sl = start(sluice_factory, clean_backends)
    for n in ("blue1", "green1"):
        clean_backends[n].get("/admin/stats/reset", method="POST")
    c = RawH2(sl.port)
    goaway = None
    try:
        block = c.block(request_fields(sl.port, "/reset"))
        batch = []
        for i in range(5000):
            sid = 1 + 2 * i
            h = HeadersFrame(sid, block)
            h.flags.add("END_HEADERS")
            h.flags.add("END_STREAM")
            batch += [h.serialize(), RstStreamFrame(sid, 0x8).serialize()]
            if len(batch) >= 200:
                try:
                    c.sock.sendall(b"".join(batch))
                except OSError:
                    break
                batch = []
        took = answered_within(sl.port)
        goaway = c.wait_for(GoAwayFrame, timeout=5)
    finally:
        c.close()
    assert goaway is not None and goaway.error_code == ENHANCE_YOUR_CALM
    time.sleep(0.5)
    reached = backend_requests(clean_backends) - 1  # the other client's request
    print(f"rapid reset: 5000 streams reset, {reached} reached a backend; another client answered in {took * 1000:.0f} ms")
    assert reached < 500


def test_continuation_flood_is_bounded(clean_backends, sluice_factory):
    """CVE-2024-27316: CONTINUATION frames that never end the header block."""
    sl = start(sluice_factory, clean_backends)
    c = RawH2(sl.port)
    try:
        h = HeadersFrame(1, c.block(request_fields(sl.port)))
        c.send(h)
        sent = 0
        try:
            for _ in range(10_000):
                c.send(ContinuationFrame(1, b"\x40\x01a\x01b"))  # literal fields, never END_HEADERS
                sent += 1
        except OSError:
            pass
        g = c.wait_for(GoAwayFrame)
        assert g is not None and g.error_code in (ENHANCE_YOUR_CALM, PROTOCOL_ERROR), g
    finally:
        c.close()
    answered_within(sl.port)


def test_hpack_bomb_is_answered_431_without_decoding_it(clean_backends, sluice_factory):
    """One 4,000-byte field in the dynamic table, then referenced 2,000 times by one-byte
    indices: 8 MB decoded from a 2 KB block. The list stops at the 32 KiB limit: 431."""
    from support import RssSampler
    sl = start(sluice_factory, clean_backends)
    before = backend_requests(clean_backends)
    c = RawH2(sl.port)
    try:
        with RssSampler(sl) as rss:
            block = c.block(request_fields(sl.port, "/bomb") + [(b"x-big", b"a" * 4000)] * 2000)
            assert len(block) < 16384
            h = HeadersFrame(1, block)
            h.flags.add("END_HEADERS")
            h.flags.add("END_STREAM")
            c.send(h)
            answer = c.wait_for(HeadersFrame, 1)
            answered_within(sl.port)
        assert answer is not None
        from hpack import Decoder
        fields = {k if isinstance(k, str) else k.decode(): v for k, v in Decoder().decode(answer.data)}
        assert fields[":status"] in (b"431", "431"), fields
    finally:
        c.close()
    assert backend_requests(clean_backends) == before + 1  # only the other client's
    assert rss.max_kib < RSS_LIMIT_KIB


@pytest.mark.parametrize("flood", ["settings", "ping", "empty data"])
def test_control_frame_floods_end_in_goaway(clean_backends, sluice_factory, flood):
    sl = start(sluice_factory, clean_backends)
    c = RawH2(sl.port)
    try:
        if flood == "empty data":
            c.headers(1, request_fields(sl.port, "/upload", b"POST"), end_stream=False)
        frames = []
        for i in range(2000):
            if flood == "settings":
                frames.append(SettingsFrame(0))
            elif flood == "ping":
                frames.append(PingFrame(0, opaque_data=i.to_bytes(8, "big")))
            else:
                frames.append(DataFrame(1, b""))
        try:
            c.send(*frames)
        except OSError:
            pass
        g = c.wait_for(GoAwayFrame)
        assert g is not None and g.error_code == ENHANCE_YOUR_CALM, g
    finally:
        c.close()
    answered_within(sl.port)


def test_a_window_kept_shut_ends_the_connection_after_the_stall_timeout(clean_backends, sluice_factory):
    """A client that asks for a body and gives no window for it (SETTINGS_INITIAL_WINDOW_SIZE 0,
    never a WINDOW_UPDATE) gets the response head, then after --http2-stall-timeout GOAWAY
    ENHANCE_YOUR_CALM; another client is answered meanwhile, and the stream is logged once."""
    sl = start(sluice_factory, clean_backends, extra=["--http2-stall-timeout", "1s"])
    c = RawH2(sl.port, settings=False)
    try:
        c.send(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0}))
        c.headers(1, request_fields(sl.port, f"/bytes/{1 << 20}"))
        t0 = time.monotonic()
        assert c.wait_for(HeadersFrame, 1) is not None
        answered_within(sl.port)
        frames = []
        while (f := c.read_frame(timeout=10)) is not None and not isinstance(f, GoAwayFrame):
            frames.append(f)
        took = time.monotonic() - t0
        assert isinstance(f, GoAwayFrame) and f.error_code == ENHANCE_YOUR_CALM, (f, frames)
        assert took >= 0.9, took  # not before the stall timeout
        assert not any(isinstance(x, DataFrame) and x.data for x in frames), "data sent without window"
    finally:
        c.close()
    time.sleep(0.3)
    lines = [e for e in sl.access_log() if e.get("path") == f"/bytes/{1 << 20}"]
    assert len(lines) == 1 and lines[0]["protocol"] == "h2", lines


# ------------------------------------------------------------------ big bodies, memory

def test_upload_and_download_100mb_with_bounded_memory(clean_backends, sluice_factory):
    sl = start(sluice_factory, clean_backends, timeouts={"connect": "1s", "firstByte": "30s", "idle": "60s"})
    block = os.urandom(1 << 20)
    body = b"".join(bytes([i]) + block[1:] for i in range(100))
    with RssSampler(sl) as rss:
        up = h2_exchange(sl.port, [("POST", "/upload?latency_ms=1000", body)], timeout=120)[0]
        # The client stops reading for 1.5 s after the first MB: Sluice must stop reading the backend.
        down = h2_exchange(sl.port, [("GET", f"/bytes/{MB100}", None)], timeout=120, read_pause=1.5)[0]
    import json
    j = json.loads(bytes(up["body"]))
    assert up["status"] == 200 and j["received"] == MB100 and j["sha256"] == hashlib.sha256(body).hexdigest()
    assert down["status"] == 200 and len(down["body"]) == MB100
    expected = bytes(i % 251 for i in range(251)) * (MB100 // 251 + 1)
    assert bytes(down["body"]) == expected[:MB100]
    print(f"h2 100 MB up and down: peak VmRSS {rss.max_kib / 1024:.1f} MiB")
    assert rss.samples and rss.max_kib < RSS_LIMIT_KIB, f"VmRSS peaked at {rss.max_kib / 1024:.1f} MiB"


def test_large_bodies_on_concurrent_streams_arrive_intact(clean_backends, sluice_factory):
    """40 streams at once on one connection, each a body of its own length (both framings):
    the payloads Sluice writes from each stream's buffer without a copy, while the client
    reads slower than the backends answer, arrive whole, in order and each on its stream."""
    sl = start(sluice_factory, clean_backends)
    sizes = [150_000 + 7_919 * i for i in range(40)]
    paths = [f"/bytes/{n}" + ("?chunked=1" if i % 2 else "") for i, n in enumerate(sizes)]
    # A small TCP window and a client that reads nothing for a while keep Sluice's writes
    # partial, so payloads stay pending while the streams read on.
    results = h2_exchange(sl.port, [("GET", p, None) for p in paths], concurrency=40, timeout=60, rcvbuf=4096,
                          start_pause=1.0, window=1 << 30)
    expected = bytes(i % 251 for i in range(251)) * (max(sizes) // 251 + 1)
    for path, n, r in zip(paths, sizes, results):
        assert r["status"] == 200 and r["reset"] is None, (path, r["status"], r["reset"])
        assert bytes(r["body"]) == expected[:n], path


def test_client_reset_and_disconnect_end_streams_as_client_gone(clean_backends, sluice_factory):
    """A stream the client resets, and one whose connection goes away, while the backend is
    still thinking: each is logged once as the client's doing (499), nothing is left open."""
    sl = start(sluice_factory, clean_backends)
    c = RawH2(sl.port)
    c.headers(1, request_fields(sl.port, "/reset-me?latency_ms=600"))
    c.headers(3, request_fields(sl.port, "/drop-me?latency_ms=600"))
    time.sleep(0.2)
    c.send(RstStreamFrame(1, 0x8))  # CANCEL
    time.sleep(0.1)
    c.close()
    time.sleep(1.0)
    log = [e for e in sl.access_log() if e.get("protocol") == "h2"]
    by_path = {e["path"]: e for e in log}
    assert len(log) == 2, log
    assert by_path["/reset-me"]["outcome"] == "client_closed_before_head" and by_path["/reset-me"]["status_code"] == 499
    assert by_path["/drop-me"]["outcome"] == "client_closed_before_head" and by_path["/drop-me"]["status_code"] == 499
    answered_within(sl.port)


def test_a_request_body_that_stops_coming_is_answered_408_and_other_streams_go_on(clean_backends, sluice_factory):
    """--body-timeout applies per stream, as on HTTP/1.1: a stream whose body stops coming gets
    408 and its side is ended (RST_STREAM NO_ERROR), logged as rejected; a stream opened on the
    same connection meanwhile is answered, and the connection stays open."""
    from hpack import Decoder
    sl = start(sluice_factory, clean_backends, extra=["--body-timeout", "1s"])
    c = RawH2(sl.port)
    try:
        c.headers(1, request_fields(sl.port, "/stalled-upload", b"POST") + [(b"content-length", b"1000")], end_stream=False)
        c.send(DataFrame(1, b"x" * 100))
        t0 = time.monotonic()
        c.headers(3, request_fields(sl.port, "/meanwhile"))
        decoder, status, reset, took = Decoder(), {}, None, None
        while time.monotonic() - t0 < 8 and (1 not in status or reset is None):
            f = c.read_frame(timeout=8)
            if f is None:
                break
            if isinstance(f, HeadersFrame):
                fields = {k if isinstance(k, str) else k.decode(): v for k, v in decoder.decode(f.data)}
                status[f.stream_id] = int(fields[":status"])
                if f.stream_id == 1:
                    took = time.monotonic() - t0
            elif isinstance(f, RstStreamFrame) and f.stream_id == 1:
                reset = f.error_code
        assert status.get(3) == 200 and status.get(1) == 408, status
        assert took is not None and took >= 0.9, took  # it waited for the body, then gave up
        assert reset == NO_ERROR
        c.headers(5, request_fields(sl.port, "/after"))
        assert c.wait_for(HeadersFrame, 5) is not None
    finally:
        c.close()
    time.sleep(0.3)
    line = next(e for e in sl.access_log() if e.get("path") == "/stalled-upload")
    assert line["protocol"] == "h2" and line["status_code"] == 408 and line["outcome"] == "rejected", line


# ------------------------------------------------------------------ shutdown

def frames_around(sl, event) -> list:
    """Opens a connection with one slow stream (1), calls `event()` while it is in flight, and
    returns every frame Sluice sends until it closes the connection."""
    c = RawH2(sl.port)
    try:
        c.headers(1, request_fields(sl.port, "/slow?latency_ms=800"))
        time.sleep(0.3)
        event()
        frames = []
        while (f := c.read_frame(timeout=10)) is not None:
            frames.append(f)
        return frames
    finally:
        c.close()


def assert_goaway_and_stream_1_finished(frames):
    goaways = [f for f in frames if isinstance(f, GoAwayFrame)]
    assert goaways and goaways[0].error_code == NO_ERROR and goaways[0].last_stream_id == 1, frames
    assert any(isinstance(f, HeadersFrame) and f.stream_id == 1 for f in frames)
    assert any(isinstance(f, DataFrame) and f.stream_id == 1 and "END_STREAM" in f.flags for f in frames)


def test_shutdown_sends_goaway_and_finishes_streams_in_flight(clean_backends, sluice_factory):
    sl = start(sluice_factory, clean_backends)
    stopper = threading.Thread(target=sl.stop)
    assert_goaway_and_stream_1_finished(frames_around(sl, stopper.start))
    stopper.join(30)
    assert sl.returncode == 0


def test_reload_sends_goaway_and_finishes_streams_in_flight(clean_backends, sluice_factory):
    """SIGHUP: the open connection gets GOAWAY(NO_ERROR) naming the stream in flight, which
    finishes; the connection then closes, Sluice keeps running and a new connection is served."""
    sl = start(sluice_factory, clean_backends)
    assert_goaway_and_stream_1_finished(frames_around(sl, lambda: sl.proc.send_signal(signal.SIGHUP)))
    assert sl.proc.poll() is None, "Sluice exited on SIGHUP"
    out = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                          f"http://127.0.0.1:{sl.port}/"], capture_output=True, text=True, timeout=10)
    assert out.stdout == "2 200", out
