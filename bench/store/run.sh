#!/usr/bin/env bash
# Starts a one-member etcd on loopback in a temporary directory and runs store-bench
# against it: bash bench/store/run.sh [--count N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
command -v etcd >/dev/null || { echo "etcd not found: bash scripts/setup.sh installs etcd-server" >&2; exit 1; }
PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product store-bench >/dev/null
DIR=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); PEER=$(free_port)
etcd --name bench --data-dir "$DIR/data" --listen-client-urls "http://127.0.0.1:$PORT" \
    --advertise-client-urls "http://127.0.0.1:$PORT" --listen-peer-urls "http://127.0.0.1:$PEER" \
    --initial-advertise-peer-urls "http://127.0.0.1:$PEER" --initial-cluster "bench=http://127.0.0.1:$PEER" \
    >"$DIR/etcd.log" 2>&1 &
ETCD=$!
trap 'kill $ETCD 2>/dev/null; wait $ETCD 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
"$(swift build -c release --show-bin-path)/store-bench" --port "$PORT" "$@"
