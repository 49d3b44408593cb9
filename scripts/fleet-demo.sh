#!/usr/bin/env bash
# A fleet on loopback (docs/fleet.md): one etcd, a blue and a green FastAPI backend, three
# Sluice instances with a 2 s lease, load spread over the three. A canary starts on one
# instance; at its second step the leader is killed with SIGKILL; another instance takes
# over and the rollout goes on to `promoted`. Prints `sluice ctl fleet` and the rollout as
# it goes, and how many requests failed (only those sent to the killed instance can).
# Exit 0 when the rollout was promoted after the leader's death.
#
#   bash scripts/fleet-demo.sh                        # builds the debug binary first
#   SLUICE_BIN=.build/release/sluice bash scripts/fleet-demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
bash scripts/setup.sh >&2
if [[ -z ${SLUICE_BIN:-} ]]; then
    PATH="/opt/swift/usr/bin:$PATH"
    swift build 2>&1 | tail -1 >&2
    SLUICE_BIN="$(swift build --show-bin-path)/sluice"
fi
export SLUICE_ADMIN_TOKEN=fleet-demo
WORK=$(mktemp -d /tmp/sluice-fleet-demo.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

port() { "$ROOT/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing on port $1" >&2; exit 1; }
ctl() { "$SLUICE_BIN" ctl --admin "127.0.0.1:$1" "${@:2}"; }

ETCD_PORT=$(port) PEER_PORT=$(port)
etcd --name demo --data-dir "$WORK/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
     --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$PEER_PORT" \
     --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-cluster "demo=http://127.0.0.1:$PEER_PORT" \
     >"$WORK/etcd.log" 2>&1 &
PIDS+=($!)
for pool in blue green; do
    p=$(port)
    (cd examples/fastapi && POOL=$pool exec "$ROOT/.venv/bin/python" -m uvicorn app:app --host 127.0.0.1 --port "$p" \
        --log-level warning --no-access-log) >"$WORK/$pool.log" 2>&1 &
    PIDS+=($!)
    declare "${pool}_port=$p"
done
wait_port "$ETCD_PORT"; wait_port "$blue_port"; wait_port "$green_port"
mkdir -p "$WORK/routes"
cat >"$WORK/routes/app.json" <<EOF
{"name": "app", "pools": {"blue": {"backends": ["127.0.0.1:$blue_port"]}, "green": {"backends": ["127.0.0.1:$green_port"]}},
 "stable": "blue", "weights": {"green": 0}, "exposePool": true,
 "analysis": {"minRequests": 40, "latency": {"maxIncrease": "200ms"}}}
EOF

LISTEN=() ADMIN=() SLUICE=()
for i in 0 1 2; do
    LISTEN+=("$(port)") ADMIN+=("$(port)")
    "$SLUICE_BIN" serve --routes "$WORK/routes" --listen "127.0.0.1:${LISTEN[i]}" --admin "127.0.0.1:${ADMIN[i]}" \
        --state "$WORK/state$i" --workers 1 --access-log off --store "etcd://127.0.0.1:$ETCD_PORT" \
        --instance "sluice-$i" --store-lease 2s >"$WORK/sluice$i.log" 2>&1 &
    SLUICE+=($!)
    PIDS+=($!)
done
for i in 0 1 2; do wait_port "${LISTEN[i]}"; done
sleep 1

# Load: 30 requests a second to each instance; every status other than 200 is counted.
"$ROOT/.venv/bin/python" - "${LISTEN[@]}" >"$WORK/load.txt" 2>&1 <<'EOF' &
import http.client, json, sys, threading, time
done = {p: 0 for p in sys.argv[1:]}; failed = {p: 0 for p in sys.argv[1:]}
def run(port):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
    while True:
        try:
            c.request("GET", "/demo"); r = c.getresponse(); r.read()
            if r.status != 200: failed[port] += 1
        except Exception:
            failed[port] += 1; c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
        done[port] += 1
        time.sleep(1 / 30)
for port in sys.argv[1:]:
    threading.Thread(target=run, args=(port,), daemon=True).start()
while True:
    time.sleep(1)
    print(json.dumps({"done": done, "failed": failed}), flush=True)
EOF
PIDS+=($!)

echo "== the fleet"
ctl "${ADMIN[0]}" fleet
LEADER=$(ctl "${ADMIN[0]}" fleet --json | "$ROOT/.venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["leader"])')
L=${LEADER#sluice-}
OTHER=$(( (L + 1) % 3 ))
echo
echo "== a canary 10% -> 50% -> 100%, 4 s holds, started on sluice-$OTHER (the leader is $LEADER)"
ctl "${ADMIN[OTHER]}" rollout app --plan 10,50,100 --hold 4s --reason "fleet demo"
for _ in $(seq 150); do
    ctl "${ADMIN[OTHER]}" status app --json | grep -q '"step":2' && break
    sleep 0.2
done
echo
echo "== step 2 reached: SIGKILL to the leader $LEADER (pid ${SLUICE[L]})"
kill -9 "${SLUICE[L]}"
KILLED=$(date +%s%N)
for _ in $(seq 100); do
    NEW=$(ctl "${ADMIN[OTHER]}" fleet --json | "$ROOT/.venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["leader"] or "")')
    [[ -n $NEW && $NEW != "$LEADER" ]] && break
    sleep 0.1
done
echo "new leader $NEW $(( ($(date +%s%N) - KILLED) / 1000000 )) ms after the kill"
ctl "${ADMIN[OTHER]}" fleet
echo
echo "== waiting for the rollout on sluice-$OTHER"
set +e
ctl "${ADMIN[OTHER]}" wait app --timeout 90s
OUTCOME=$?
set -e
echo
tail -1 "$WORK/load.txt" | "$ROOT/.venv/bin/python" -c '
import json, sys
load, killed = json.load(sys.stdin), sys.argv[1]
for port in load["done"]:
    what = "the killed leader" if port == killed else "a survivor"
    done, failed = load["done"][port], load["failed"][port]
    print(f"instance on :{port} ({what}): {done} requests, {failed} failed")
' "${LISTEN[L]}"
[[ $OUTCOME == 0 ]] && echo "fleet demo: promoted after the leader was killed" || echo "fleet demo: the rollout was not promoted (ctl wait exit $OUTCOME)"
exit "$OUTCOME"
