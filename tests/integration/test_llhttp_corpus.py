"""llhttp's strict request corpus (llhttp_requests.txt, from nodejs/llhttp's test/request/*.md)
sent raw to the real Sluice in front of a recording backend.

- Every case llhttp rejects is refused (a 4xx, or 501 for a method Sluice does not know, and
  the connection closed, or closed) and not one byte of it reaches the backend, except a chunked body whose last chunk never comes:
  its head and earlier chunks stream on before the error (docs/proxy.md says why), but the
  backend never gets a complete request.
- Every case llhttp accepts is served (or, when the input stops inside a request, waited
  for), unless it is one of STRICTER: shapes docs/proxy.md says Sluice refuses on purpose.

HTTP/1.1 requires a Host field and most cases have none, so one is added after the request
line when a case has none (the authority of an absolute-form target, else `llhttp.test`);
without it every case would be refused for the missing Host and prove nothing else."""
from __future__ import annotations

import codecs
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from httpraw import ConnectionClosed
from support import HEALTH_PATH_FOR_RECORDER, RecordingBackend, Sluice, route, write_routes

CORPUS = Path(__file__).with_name("llhttp_requests.txt")

# Cases llhttp accepts and Sluice refuses on purpose, each with the rule in docs/proxy.md
# ("Strict parsing") that refuses it.
STRICTER = {
    "sample.md:314": "HTTP/0.9 (no version): a version other than HTTP/1.0 or 1.1",
    "method.md:135": "M-SEARCH *: the asterisk form is for OPTIONS only (RFC 9112 3.2.4)",
    "method.md:372": "ICE/1.0: a version other than HTTP/1.0 or 1.1",
    "method.md:400": "RTSP/1.0: a version other than HTTP/1.0 or 1.1",
    "method.md:430": "RTSP/1.0: a version other than HTTP/1.0 or 1.1",
    "uri.md:52": "absolute-form without a path",
    "uri.md:75": "absolute-form without a path",
    "uri.md:125": "absolute-form without a path",
    "uri.md:165": "a fragment (#) in the target",
    "uri.md:222": "absolute-form with userinfo",
    "transfer-encoding.md:751": "Transfer-Encoding other than a single chunked",
    "transfer-encoding.md:793": "Transfer-Encoding other than a single chunked",
}

# Cases llhttp rejects for their method, a token it does not know as an HTTP method: Sluice
# answers those 501 Not Implemented (RFC 9110 9.1; docs/proxy.md, "Strict parsing"), not 4xx.
UNKNOWN_METHODS = {
    "invalid.md:66": "ANNOUNCE on HTTP/1.0 (llhttp allows it on RTSP only)",
    "invalid.md:356": "MKCOLA",
}

# The reject case whose error is the missing last chunk of a streamed body.
STREAMED_BODY_CUT = "transfer-encoding.md:877"

QUIET = 1.0  # seconds without a response that count as "Sluice is waiting for more"


@dataclass
class Case:
    where: str      # "<file>.md:<line>"
    title: str
    verdict: str    # reject, after-close, handover or accept
    messages: int   # requests llhttp completes
    wire: bytes

    def __str__(self):
        return f"{self.where} {self.title}"


def load_corpus() -> list[Case]:
    cases, comment = [], ""
    for line in CORPUS.read_text().splitlines():
        if line.startswith("# ") and ".md:" in line.split(" ", 2)[1]:
            comment = line[2:]
        elif line and not line.startswith("#"):
            verdict, messages, escaped = line.split(" ", 2)
            where, _, title = comment.partition(" ")
            cases.append(Case(where, title.split(" -- llhttp:")[0], verdict, int(messages),
                              codecs.escape_decode(escaped.encode())[0]))
    return cases


CASES = load_corpus()


REQUEST_LINE = re.compile(rb"(?m)^([A-Za-z-]+ (\S+) [A-Z]+/\d\.\d)\r\n")


def with_host(wire: bytes) -> bytes:
    """The case with a Host field after each well-formed request line (CRLF-terminated) when
    it has no Host field at all: the target's authority when it is absolute-form, else
    `llhttp.test`."""
    if re.search(rb"(?im)^\s*host\s*:", wire):
        return wire

    def add(m: re.Match) -> bytes:
        authority = re.match(rb"[a-zA-Z]+://(?:[^@/?#]*@)?([^/?#]+)", m.group(2))
        return m.group(1) + b"\r\nHost: " + (authority.group(1) if authority else b"llhttp.test") + b"\r\n"
    return REQUEST_LINE.sub(add, wire)


@dataclass
class Outcome:
    statuses: list[int]
    closed: bool        # Sluice closed the connection
    forwarded: bytes    # what reached the backend
    finished: bool      # the head had to be ended (see exchange)


def read_responses(c, method: str, responses: int) -> tuple[list[int], bool]:
    """Read `responses` responses, then more while they come within QUIET. Returns the
    statuses and whether Sluice closed the connection."""
    statuses = []
    try:
        while True:
            if len(statuses) >= responses:
                c.sock.settimeout(QUIET)
            statuses.append(c.read_response(method).status)
    except ConnectionClosed:
        return statuses, True
    except socket.timeout:
        return statuses, False


def exchange(sl: Sluice, recorder: RecordingBackend, wire: bytes, responses: int,
             finish: bytes = b"") -> Outcome:
    """Send the case and read its responses. When Sluice answers nothing and keeps the
    connection open (it waits for the end of the head) and `finish` is given, send `finish`
    (the CRLFs that end a head, as a client would) and read again."""
    recorder.reset()
    method = "HEAD" if wire.lstrip().startswith(b"HEAD ") else "GET"
    with sl.conn(timeout=10) as c:
        c.send(wire)
        statuses, closed = read_responses(c, method, responses)
        finished = bool(finish) and not statuses and not closed
        if finished:
            c.send(finish)
            statuses, closed = read_responses(c, method, 1)
    return Outcome(statuses, closed, recorder.wait_quiet(), finished)


@pytest.fixture(scope="module")
def corpus_sluice(tmp_path_factory):
    """One Sluice for the whole corpus, in front of one recording backend."""
    recorder = RecordingBackend()
    base = tmp_path_factory.mktemp("llhttp")
    health = {"path": HEALTH_PATH_FOR_RECORDER, "interval": "30s"}
    routes = write_routes(base / "routes", [route("rec", [recorder.addr], [recorder.addr], 0,
                                                  health=health)])
    sl = Sluice(routes, base)
    try:
        sl.wait_ready()
        yield sl, recorder
    finally:
        rc = sl.stop()
        recorder.stop()
    assert rc == 0, f"sluice exited with {rc} on SIGTERM"


def assert_refused(case: Case, got: Outcome, status_ok=lambda s: 400 <= s < 500):
    assert len(got.statuses) <= 1 and all(status_ok(s) for s in got.statuses), \
        f"{case}: answered {got.statuses}"
    assert got.closed, f"{case}: answered {got.statuses} and left the connection open"
    assert got.forwarded == b"", f"{case}: {len(got.forwarded)} bytes reached the backend: " \
                                 f"{got.forwarded[:200]!r}"


@pytest.mark.parametrize("case", [c for c in CASES if c.verdict == "reject"], ids=str)
def test_llhttp_reject_case_refused_and_not_forwarded(corpus_sluice, case):
    """Refused as soon as the head is complete: a case that stops inside the head (llhttp
    refuses at the bad byte) is refused once the client ends it."""
    sl, recorder = corpus_sluice
    got = exchange(sl, recorder, with_host(case.wire), 0, finish=b"\r\n\r\n")
    if case.where in UNKNOWN_METHODS:
        assert got.statuses == [501], got
        assert_refused(case, got, status_ok=lambda s: s == 501)
        return
    assert_refused(case, got)


def test_llhttp_missing_last_chunk_streamed(corpus_sluice):
    """The missing last-chunk case with its good chunk sent first and its bad end later, as
    a streaming client sends it: the head and the good chunk are forwarded before the error
    arrives (docs/proxy.md, "Strict parsing"), then the client gets 400 and a close and the
    backend connection is closed mid-body: it never holds a complete request."""
    sl, recorder = corpus_sluice
    case = next(c for c in CASES if c.where == STREAMED_BODY_CUT)
    wire = with_host(case.wire)
    good, bad = wire[:wire.index(b"foo\r\n") + 5], wire[wire.index(b"foo\r\n") + 5:]
    assert bad == b"\r\n"
    recorder.reset()
    with sl.conn(timeout=10) as c:
        c.send(good)
        deadline = time.monotonic() + 5
        while b"foo" not in recorder.payload() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert b"foo" in recorder.payload(), "the good chunk was not streamed on"
        c.send(bad)
        statuses, closed = read_responses(c, "GET", 0)
    assert len(statuses) <= 1 and all(400 <= s < 500 for s in statuses) and closed, (statuses, closed)
    forwarded = recorder.wait_quiet()
    assert forwarded.startswith(b"PUT /url HTTP/1.1\r\n") and not forwarded.endswith(b"0\r\n\r\n"), forwarded


@pytest.mark.parametrize("case", [c for c in CASES if c.verdict == "after-close"], ids=str)
def test_llhttp_data_after_connection_close_not_forwarded(corpus_sluice, case):
    """The first request is served and the connection closed: what follows its
    `Connection: close` (or HTTP/1.0's default close) never reaches the backend."""
    sl, recorder = corpus_sluice
    got = exchange(sl, recorder, with_host(case.wire), 1)
    assert got.statuses == [200] and got.closed, got
    assert got.forwarded.count(b" HTTP/1.1\r\n") == 1, got.forwarded


@pytest.mark.parametrize("case", [c for c in CASES if c.verdict == "accept"], ids=str)
def test_llhttp_accept_case_served(corpus_sluice, case):
    """Served (a 200 per request llhttp completes), or, when the input stops inside a
    request, forwarded so far and waited for; a STRICTER case is refused instead."""
    sl, recorder = corpus_sluice
    got = exchange(sl, recorder, with_host(case.wire), case.messages)
    if case.where in STRICTER:
        assert_refused(case, got)
        return
    assert got.statuses == [200] * case.messages, f"{case}: answered {got.statuses}"
    assert got.forwarded.count(b"X-Forwarded-For") >= max(case.messages, 1), \
        f"{case}: backend got {got.forwarded[:300]!r}"


@pytest.mark.parametrize("case", [c for c in CASES if c.verdict == "handover"], ids=str)
def test_llhttp_handover_case(corpus_sluice, case):
    """Where llhttp completes a request and pauses to hand the connection over: CONNECT and
    the HTTP/2 preface (PRI *) are refused and not forwarded (Sluice tunnels neither); an
    Upgrade request goes to the backend as one request, and as this backend declines the
    upgrade (200), nothing after it is tunnelled."""
    sl, recorder = corpus_sluice
    got = exchange(sl, recorder, with_host(case.wire), 1)
    if case.wire.startswith((b"CONNECT ", b"PRI ")):
        assert_refused(case, got)
        return
    assert got.statuses == [200], f"{case}: answered {got.statuses}"
    assert got.forwarded.count(b"X-Forwarded-For") == 1, got.forwarded
