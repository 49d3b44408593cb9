#!/usr/bin/env bash
# Sluice's first run on a fresh machine: builds the binary, starts the example FastAPI
# app as a blue pool (:8001) and a green pool (:8002), runs `sluice serve` on the
# shipped routes/ (green at 10%) on :8080, sends 20 requests through it and shows
# which pool answered each, then keeps serving until Ctrl-C.
#
#   bash scripts/example.sh            # serve until Ctrl-C
#   bash scripts/example.sh --once     # show the split, then stop everything
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
once=0
[[ ${1:-} == --once ]] && once=1

bash scripts/setup.sh
PATH="/opt/swift/usr/bin:$PATH"
swift build -c release 2>&1 | tail -1
bin=$(swift build -c release --show-bin-path)/sluice

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
for pool in blue green; do
    port=$([[ $pool == blue ]] && echo 8001 || echo 8002)
    (cd examples/fastapi && POOL=$pool exec ../../.venv/bin/uvicorn app:app --host 127.0.0.1 --port "$port" --log-level warning) &
    pids+=($!)
done
"$bin" serve --routes routes --listen 127.0.0.1:8080 > .sluice-access.log &
pids+=($!)
for _ in $(seq 50); do
    curl -sf -o /dev/null http://127.0.0.1:8001/health && curl -sf -o /dev/null http://127.0.0.1:8002/health \
        && curl -s -o /dev/null http://127.0.0.1:8080/ && break
    sleep 0.2
done
echo "20 requests through Sluice (routes/example.json: green at 10%, chosen per request):"
for i in $(seq 20); do
    curl -s -D - -o /dev/null "http://127.0.0.1:8080/hello?n=$i" | tr -d '\r' | awk -v i="$i" 'tolower($1)=="x-sluice-pool:" {printf "  request %2d -> %s\n", i, $2}'
done
echo "Force green with the override header (allowed from 127.0.0.0/8):"
curl -s -H 'X-Sluice-Pool: green' http://127.0.0.1:8080/hello; echo
echo "Access log (JSON lines): .sluice-access.log"
if [[ $once == 1 ]]; then exit 0; fi
echo "Sluice serves on http://127.0.0.1:8080 - Ctrl-C to stop."
wait
