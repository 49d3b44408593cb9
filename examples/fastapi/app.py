"""Example blue/green backend for Sluice (also the backend of the integration tests).

Run (from this directory):
    POOL=blue  uvicorn app:app --port 8001
    POOL=green uvicorn app:app --port 8002

Every HTTP response and every WebSocket handshake carries `X-Pool: <pool>`.

Endpoints
  GET  /health           200 {"status":"ok","pool":..}; 503 once health=fail. Never faulted.
  GET  /bytes/{n}        n bytes (0 <= n <= 1 GiB) streamed in 64 KiB chunks. The bytes are
                         the pattern byte[i] = i % 251 (see `pattern_bytes`), so a client can
                         check order and completeness. Sent with Content-Length, or chunked
                         with `?chunked=1`.
  POST /upload           reads the body as a stream: {"pool","received": nbytes,"sha256": hex}
  WS   /ws               echo, text and binary
  GET  /admin/config     current knobs; POST /admin/config?error_rate=..&latency_ms=..&health=ok|fail
  GET  /admin/stats      {"pool","requests": n}: non-admin, non-health requests this process saw
  POST /admin/stats/reset
  *    /{path}           any method: JSON echo {"pool","method","path","raw_path","query",
                         "headers": [[k,v],...],"body_length","client","server"}

Faults (env defaults, runtime via /admin/config, per request via query params of the same
name): ERROR_RATE (fraction 0..1 answered 500), LATENCY_MS (delay before answering) and
BREAK_RATE (fraction 0..1 whose body breaks after the 200 head: a StreamingResponse whose
generator raises half-way, so uvicorn closes the connection mid-body). They apply to the
echo, /bytes and /upload.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import random

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

POOL = os.environ.get("POOL", "blue")
CHUNK = 64 * 1024
MAX_BYTES = 1 << 30
PATTERN_MOD = 251  # prime, so 64 KiB chunk boundaries never line up with the pattern

STATE: dict[str, object] = {
    "error_rate": float(os.environ.get("ERROR_RATE", "0") or 0),
    "latency_ms": float(os.environ.get("LATENCY_MS", "0") or 0),
    "break_rate": float(os.environ.get("BREAK_RATE", "0") or 0),
    "health": os.environ.get("HEALTH", "ok"),
}
STATS = {"requests": 0}

_PATTERN = bytes(i % PATTERN_MOD for i in range(CHUNK + PATTERN_MOD))


def pattern_bytes(offset: int, size: int) -> bytes:
    """Bytes [offset, offset+size) of the /bytes stream (size <= 64 KiB)."""
    start = offset % PATTERN_MOD
    return _PATTERN[start:start + size]


def _counted(path: str) -> bool:
    return not (path == "/health" or path == "/admin" or path.startswith("/admin/"))


class PoolHeaderAndStats:
    """Pure ASGI middleware: adds X-Pool to every response (and WebSocket accept) and
    counts non-admin, non-health requests. Pure ASGI so streaming is left untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if _counted(scope.get("path", "")):
            STATS["requests"] += 1
        pool_header = (b"x-pool", POOL.encode("latin-1"))

        async def send_with_pool(message):
            t = message.get("type")
            if t in ("http.response.start", "websocket.accept"):
                headers = list(message.get("headers") or [])
                if not any(k.lower() == b"x-pool" for k, _ in headers):
                    headers.append(pool_header)
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_pool)


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
app.add_middleware(PoolHeaderAndStats)


def _knob(request: Request, name: str) -> float:
    v = request.query_params.get(name)
    if v is not None:
        try:
            return float(v)
        except ValueError:
            pass
    return float(STATE[name])  # type: ignore[arg-type]


async def _broken_body():
    yield b'{"pool": "' + POOL.encode() + b'", "partial": '
    await asyncio.sleep(0.01)
    raise RuntimeError("injected break after the head")


async def _inject(request: Request) -> JSONResponse | StreamingResponse | None:
    """Apply the configured latency, then maybe answer with an injected 500 or a 200 whose
    body breaks after the head."""
    lat = _knob(request, "latency_ms")
    if lat > 0:
        await asyncio.sleep(lat / 1000.0)
    rate = _knob(request, "error_rate")
    if rate > 0 and random.random() < rate:
        return JSONResponse({"pool": POOL, "error": "injected"}, status_code=500)
    brk = _knob(request, "break_rate")
    if brk > 0 and random.random() < brk:
        return StreamingResponse(_broken_body(), media_type="application/json")
    return None


@app.get("/health")
async def health():
    ok = STATE["health"] == "ok"
    return JSONResponse({"status": "ok" if ok else "fail", "pool": POOL},
                        status_code=200 if ok else 503)


@app.get("/bytes/{n}")
async def nbytes(n: int, request: Request):
    err = await _inject(request)
    if err is not None:
        return err
    if n < 0 or n > MAX_BYTES:
        return JSONResponse({"pool": POOL, "error": f"n must be in [0, {MAX_BYTES}]"}, status_code=400)

    async def body():
        sent = 0
        while sent < n:
            size = min(CHUNK, n - sent)
            yield pattern_bytes(sent, size)
            sent += size

    headers = {}
    if request.query_params.get("chunked") not in ("1", "true", "yes"):
        headers["Content-Length"] = str(n)
    return StreamingResponse(body(), media_type="application/octet-stream", headers=headers)


@app.post("/upload")
async def upload(request: Request):
    err = await _inject(request)
    if err is not None:
        return err
    h = hashlib.sha256()
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        h.update(chunk)
    return JSONResponse({"pool": POOL, "received": received, "sha256": h.hexdigest()})


@app.websocket("/ws")
async def ws_echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            msg = await websocket.receive()
            if msg["type"] == "websocket.disconnect":
                return
            if msg.get("text") is not None:
                await websocket.send_text(msg["text"])
            elif msg.get("bytes") is not None:
                await websocket.send_bytes(msg["bytes"])
    except WebSocketDisconnect:
        return


@app.get("/admin/config")
async def get_config():
    return JSONResponse({"pool": POOL, **STATE})


@app.post("/admin/config")
async def set_config(request: Request):
    q = request.query_params
    try:
        if "error_rate" in q:
            rate = float(q["error_rate"])
            if not 0.0 <= rate <= 1.0:
                raise ValueError("error_rate must be in [0, 1]")
            STATE["error_rate"] = rate
        if "break_rate" in q:
            rate = float(q["break_rate"])
            if not 0.0 <= rate <= 1.0:
                raise ValueError("break_rate must be in [0, 1]")
            STATE["break_rate"] = rate
        if "latency_ms" in q:
            lat = float(q["latency_ms"])
            if lat < 0:
                raise ValueError("latency_ms must be >= 0")
            STATE["latency_ms"] = lat
        if "health" in q:
            if q["health"] not in ("ok", "fail"):
                raise ValueError("health must be ok or fail")
            STATE["health"] = q["health"]
    except ValueError as e:
        return JSONResponse({"pool": POOL, "error": str(e)}, status_code=400)
    return JSONResponse({"pool": POOL, **STATE})


@app.get("/admin/stats")
async def get_stats():
    return JSONResponse({"pool": POOL, **STATS})


@app.post("/admin/stats/reset")
async def reset_stats():
    STATS["requests"] = 0
    return JSONResponse({"pool": POOL, **STATS})


class Echo:
    """Catch-all for every method (a raw ASGI endpoint, so Starlette allows any method)."""

    async def __call__(self, scope, receive, send):
        request = Request(scope, receive)
        err = await _inject(request)
        if err is not None:
            return await err(scope, receive, send)
        body_length = 0
        async for chunk in request.stream():
            body_length += len(chunk)
        resp = JSONResponse({
            "pool": POOL,
            "method": request.method,
            "path": scope["path"],
            "raw_path": (scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
            "query": scope.get("query_string", b"").decode("latin-1"),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "body_length": body_length,
            "client": list(scope["client"]) if scope.get("client") else None,
            "server": list(scope["server"]) if scope.get("server") else None,
        })
        await resp(scope, receive, send)


app.router.routes.append(Route("/{path:path}", Echo()))
