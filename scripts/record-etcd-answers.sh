#!/usr/bin/env bash
# Records real answers of etcd's v3 JSON gateway as test fixtures for the store codec
# (Tests/ControlTests/Fixtures/etcd/NAME.http: the raw HTTP response, head and body as sent,
# chunked framing included). Starts its own one-member etcd on loopback in a temporary
# directory and stops it at the end. Re-run after an etcd upgrade and review the diff:
#
#   bash scripts/record-etcd-answers.sh [CLIENT_PORT]     # default 32379 (peer port +1)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=Tests/ControlTests/Fixtures/etcd
PORT=${1:-32379}
PEER=$((PORT + 1))
URL=http://127.0.0.1:$PORT
command -v etcd >/dev/null || { echo "etcd not found: bash scripts/setup.sh installs etcd-server" >&2; exit 1; }
DIR=$(mktemp -d)
etcd --name rec --data-dir "$DIR/data" --listen-client-urls "$URL" --advertise-client-urls "$URL" \
    --listen-peer-urls "http://127.0.0.1:$PEER" --initial-advertise-peer-urls "http://127.0.0.1:$PEER" \
    --initial-cluster "rec=http://127.0.0.1:$PEER" >"$DIR/etcd.log" 2>&1 &
ETCD=$!
trap 'kill $ETCD 2>/dev/null; wait $ETCD 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done
mkdir -p "$OUT"

b64() { printf '%s' "$1" | base64 -w0; }
# rec NAME PATH JSON: one request, its raw answer saved as NAME.http.
rec() { curl -s -i --raw -X POST "$URL$2" -d "$3" >"$OUT/$1.http"; }
# field NAME KEY: a string field of a saved answer's body (lease IDs, revisions).
field() { sed -n "s/.*\"$2\":\"\([0-9]*\)\".*/\1/p" "$OUT/$1.http" | head -1; }

W=$(b64 /sluice/weights/api)
P=$(b64 /sluice/); E=$(b64 /sluice0)
rec range-empty /v3/kv/range "{\"key\":\"$P\",\"range_end\":\"$E\"}"
rec put /v3/kv/put "{\"key\":\"$W\",\"value\":\"$(b64 '{"green":10}')\"}"
rec put-prev-kv /v3/kv/put "{\"key\":\"$W\",\"value\":\"$(b64 '{"green":25}')\",\"prev_kv\":true}"
rec range-prefix /v3/kv/range "{\"key\":\"$P\",\"range_end\":\"$E\"}"
rec lease-grant /v3/lease/grant '{"TTL":"5"}'
LEASE=$(field lease-grant ID)
L=$(b64 "/sluice/leader/$LEASE")
# Campaign: create the leadership key only if it does not exist (create_revision == 0).
CAMPAIGN="{\"compare\":[{\"key\":\"$L\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}],\
\"success\":[{\"request_put\":{\"key\":\"$L\",\"value\":\"$(b64 a)\",\"lease\":\"$LEASE\"}}],\
\"failure\":[{\"request_range\":{\"key\":\"$L\"}}]}"
rec txn-succeeded /v3/kv/txn "$CAMPAIGN"
rec txn-failed /v3/kv/txn "$CAMPAIGN"
CREATED=$(field txn-succeeded revision)
# Fencing: a write conditioned on the leadership key's create revision, with a wrong one.
rec txn-fenced /v3/kv/txn "{\"compare\":[{\"key\":\"$L\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"$((CREATED + 100))\"}],\
\"success\":[{\"request_put\":{\"key\":\"$W\",\"value\":\"$(b64 '{"green":50}')\"}}]}"
rec range-leaders /v3/kv/range "{\"key\":\"$(b64 /sluice/leader/)\",\"range_end\":\"$(b64 /sluice/leader0)\",\"sort_order\":\"ASCEND\",\"sort_target\":\"CREATE\"}"
rec lease-keepalive /v3/lease/keepalive "{\"ID\":\"$LEASE\"}"
rec lease-timetolive /v3/kv/lease/timetolive "{\"ID\":\"$LEASE\",\"keys\":true}"
rec deleterange /v3/kv/deleterange "{\"key\":\"$W\"}"
rec deleterange-none /v3/kv/deleterange "{\"key\":\"$W\"}"
rec lease-revoke /v3/lease/revoke "{\"ID\":\"$LEASE\"}"
rec lease-keepalive-expired /v3/lease/keepalive "{\"ID\":\"$LEASE\"}"
rec error-lease-not-found /v3/kv/put "{\"key\":\"$W\",\"value\":\"$(b64 x)\",\"lease\":\"$LEASE\"}"
rec error-no-key /v3/kv/put "{\"value\":\"$(b64 x)\"}"
rec error-bad-json /v3/kv/range '{"key":'

# A range larger than the gateway's buffer: is it still framed by Content-Length?
big=$(head -c 6000 /dev/zero | tr '\0' 'x')
for i in 1 2 3; do curl -s -X POST "$URL/v3/kv/put" -d "{\"key\":\"$(b64 /sluice/big/$i)\",\"value\":\"$(b64 "$big")\"}" >/dev/null; done
rec range-large /v3/kv/range "{\"key\":\"$(b64 /sluice/big/)\",\"range_end\":\"$(b64 /sluice/big0)\"}"

# A watch on the prefix: created, a PUT (no "type"), another with prev_kv, a DELETE.
curl -s -i --raw -N -m 3 -X POST "$URL/v3/watch" \
    -d "{\"create_request\":{\"key\":\"$P\",\"range_end\":\"$E\",\"prev_kv\":true}}" >"$OUT/watch-events.http" &
WATCH=$!
sleep 0.5
curl -s -X POST "$URL/v3/kv/put" -d "{\"key\":\"$W\",\"value\":\"$(b64 '{"green":10}')\"}" >/dev/null
curl -s -X POST "$URL/v3/kv/put" -d "{\"key\":\"$W\",\"value\":\"$(b64 '{"green":20}')\"}" >/dev/null
curl -s -X POST "$URL/v3/kv/deleterange" -d "{\"key\":\"$W\"}" >/dev/null
wait $WATCH || true

# Compaction, then a watch from a compacted revision: created, then cancelled with compact_revision.
REV=$(curl -s -X POST "$URL/v3/kv/range" -d "{\"key\":\"$W\"}" | sed -n 's/.*"revision":"\([0-9]*\)".*/\1/p')
rec compaction /v3/kv/compaction "{\"revision\":\"$REV\",\"physical\":true}"
curl -s -i --raw -N -m 2 -X POST "$URL/v3/watch" \
    -d "{\"create_request\":{\"key\":\"$P\",\"range_end\":\"$E\",\"start_revision\":\"2\"}}" >"$OUT/watch-compacted.http" || true
rec error-range-compacted /v3/kv/range "{\"key\":\"$W\",\"revision\":\"2\"}"
echo "recorded $(ls "$OUT" | wc -l) answers of $(etcd --version | head -1) in $OUT"
