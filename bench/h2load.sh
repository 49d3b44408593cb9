#!/usr/bin/env bash
# HTTP/2 to clients: h2load through Sluice, NGINX and HAProxy (h2 with prior knowledge on a
# plain port), on the harness's static backend (nginx: "ok\n" and a 64 KiB file), in the same
# run, proxies interleaved in every repetition.
#
#   bash bench/h2load.sh                       # 3 reps of 10 s, 2 s warm-up
#   bash bench/h2load.sh --reps 5 --duration 10
#   bash bench/h2load.sh --callgrind 20000     # instructions per request instead (valgrind)
#
# --callgrind N runs each proxy under valgrind's callgrind, one at a time, and prints its
# user-space instructions per request over N requests of each scenario (after N/5 unmeasured
# ones): the steady figure on a noisy box. In both modes SLUICE_BASE_BIN=<an older sluice>
# adds a row `sluicebase` for that binary, for before/after figures in one run.
#
# Scenarios: c=64 clients with 10 streams each (-c64 -m10) and 1 client with 100 streams
# (-c1 -m100), each with small ("/") and 64 KiB ("/64k") responses. Every proxy has one
# worker/thread pinned to cpu0; the backend and h2load share cpu1. Same 90/10 split and
# upstream keep-alive as bench/run.sh. Prints per scenario and proxy the median req/s and
# the median p99 (from h2load's per-request log), and each rep's req/s ratio to NGINX.
# Uses ports 18080-18082 like bench/run.sh: run one bench at a time. See bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
reps=3 duration=10 warmup=2 callgrind=
while [ $# -gt 0 ]; do
    case $1 in
        --reps) reps=$2;; --duration) duration=$2;; --warmup) warmup=$2;;
        --callgrind) callgrind=$2;;
        -h|--help) sed -n '2,22p' "$0"; exit 0;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2;;
    esac
    shift 2
done
for tool in nginx haproxy h2load taskset; do
    command -v "$tool" >/dev/null || { echo "needs $tool (nginx-light, haproxy, nghttp2-client, util-linux)" >&2; exit 1; }
done
PATH="/opt/swift/usr/bin:$PATH"
(cd "$root" && swift build -c release 2>&1 | tail -1)
bin="$root/.build/release/sluice"
work="$here/harness/results/$(date -u +%Y%m%dT%H%M%SZ)-h2load"
mkdir -p "$work/www" "$work/ngx_static_tmp" "$work/ngx_proxy_tmp" "$work/routes"
head -c 65536 /dev/zero | tr '\0' 'x' > "$work/www/64k"
nofile=$(ulimit -Hn); ulimit -n "$nofile"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
render() { # template out NAME=VALUE...
    local tmpl=$1 out=$2; shift 2
    cp "$tmpl" "$out"
    for kv in "$@"; do
        local k=${kv%%=*} v=${kv#*=}
        python3 - "$out" "$k" "$v" <<'EOF'
import sys
p, k, v = sys.argv[1:]
s = open(p).read().replace("{{" + k + "}}", v)
open(p, "w").write(s)
EOF
    done
}
conf="$here/harness/conf"
render "$conf/static_backend.nginx.conf.tmpl" "$work/static.conf" WORKDIR="$work" NOFILE="$nofile" BLUE_PORT=18081 GREEN_PORT=18082
taskset -c 1 nginx -e "$work/static.err" -c "$work/static.conf" & pids+=($!)
render "$conf/nginx_proxy.conf.tmpl" "$work/nginx.conf" WORKDIR="$work" NOFILE="$nofile" WORKERS=1 PORT=18080 \
    BLUE_PORT=18081 GREEN_PORT=18082 LISTEN_SSL=" http2" SSL_CONF=""
render "$conf/haproxy.cfg.tmpl" "$work/haproxy.cfg" THREADS=1 MAXCONN=10000 PORT=18080 BLUE_PORT=18081 GREEN_PORT=18082 \
    BIND_SSL=" proto h2"
echo '{"name":"bench","pools":{"blue":{"backends":["127.0.0.1:18081"]},"green":{"backends":["127.0.0.1:18082"]}},"weights":{"green":10}}' \
    > "$work/routes/bench.json"
sleep 1

# The command line of a proxy in `argv` (under callgrind when `wrap` is set).
proxy_argv() {
    case $1 in
        nginx) argv=(nginx -e "$work/nginx.err" -c "$work/nginx.conf")
               [ -n "${wrap:-}" ] && argv+=(-g "master_process off;");;
        haproxy) argv=(haproxy -db -f "$work/haproxy.cfg");;
        sluice|sluicebase)
            local b=$bin; [ "$1" = sluicebase ] && b=$SLUICE_BASE_BIN
            argv=("$b" serve --routes "$work/routes" --listen 127.0.0.1:18080 --workers 1 --admin 127.0.0.1:18073
                  --state "$work/state-$1" --access-log off);;
    esac
    if [ -n "${wrap:-}" ]; then argv=(valgrind --tool=callgrind --instr-atstart=no "--callgrind-out-file=$work/cg.$1.%p" "${argv[@]}"); fi
}
wait_port() { for _ in $(seq 100); do curl -s -o /dev/null --http2-prior-knowledge http://127.0.0.1:18080/ && return 0; sleep 0.1; done; return 1; }

# scenario name | h2load arguments | path
scenarios=("c64m10-small|-c64 -m10|/" "c64m10-64k|-c64 -m10|/64k" "c1m100-small|-c1 -m100|/" "c1m100-64k|-c1 -m100|/64k")
proxies=(nginx haproxy sluice); [ -n "${SLUICE_BASE_BIN:-}" ] && proxies+=(sluicebase)
if [ -n "$callgrind" ]; then
    command -v valgrind >/dev/null || { echo "--callgrind needs valgrind" >&2; exit 1; }
    wrap=1
    printf '%-14s%-12s%14s\n' scenario proxy instr/req | tee "$work/callgrind.txt"
    for sc in "${scenarios[@]}"; do
        IFS='|' read -r name args path <<< "$sc"
        for proxy in "${proxies[@]}"; do
            proxy_argv "$proxy"
            SLUICE_ADMIN_TOKEN=bench taskset -c 0 "${argv[@]}" > "$work/$proxy.out" 2>&1 & ppid=$!
            for _ in $(seq 300); do curl -s -o /dev/null --http2-prior-knowledge http://127.0.0.1:18080/ && break; sleep 0.2; done
            # shellcheck disable=SC2086
            taskset -c 1 h2load $args -n $((callgrind / 5)) -t1 "http://127.0.0.1:18080$path" > /dev/null
            callgrind_control -i on "$ppid" > /dev/null 2>&1
            # shellcheck disable=SC2086
            done_n=$(taskset -c 1 h2load $args -n "$callgrind" -t1 "http://127.0.0.1:18080$path" | sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p')
            callgrind_control -d "$ppid" > /dev/null 2>&1
            kill "$ppid"
            for _ in $(seq 50); do kill -0 "$ppid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$ppid" 2>/dev/null || true; wait "$ppid" 2>/dev/null || true
            while ss -ltn | grep -q ':18080 '; do sleep 0.1; done
            # The dump (files *.1) holds the measured requests only.
            total=$(cat "$work"/cg."$proxy".*.1 | sed -n 's/^summary: //p' | awk '{s += $1} END {printf "%.0f", s}')
            rm -f "$work"/cg."$proxy".*
            [ "$done_n" = "$callgrind" ] || { echo "$proxy: only $done_n of $callgrind requests succeeded" >&2; exit 1; }
            printf '%-14s%-12s%14d\n' "$name" "$proxy" $((total / callgrind)) | tee -a "$work/callgrind.txt"
        done
    done
    echo "raw: $work"
    exit 0
fi

results="$work/results.tsv"
printf 'rep\tscenario\tproxy\treqs\tp99ms\tfailed\n' > "$results"
for rep in $(seq "$reps"); do
    for sc in "${scenarios[@]}"; do
        IFS='|' read -r name args path <<< "$sc"
        for proxy in "${proxies[@]}"; do
            proxy_argv "$proxy"
            SLUICE_ADMIN_TOKEN=bench taskset -c 0 "${argv[@]}" > "$work/$proxy.out" 2>&1 & ppid=$!
            wait_port || { echo "$proxy did not answer; see $work/$proxy.out" >&2; exit 1; }
            log="$work/$rep-$name-$proxy.log"
            # shellcheck disable=SC2086
            out=$(taskset -c 1 h2load $args -D "$duration" --warm-up-time "$warmup" -t1 --log-file "$log" \
                  "http://127.0.0.1:18080$path" 2>&1)
            echo "$out" > "$work/$rep-$name-$proxy.txt"
            kill "$ppid"; wait "$ppid" 2>/dev/null || true
            reqs=$(echo "$out" | sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p')
            failed=$(echo "$out" | sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p')
            p99=$(python3 -c '
import sys
d = sorted(int(l.split()[2]) for l in open(sys.argv[1]) if l.strip())
print(f"{d[int(len(d) * 0.99) - 1] / 1000:.2f}" if d else "nan")' "$log")
            rm -f "$log"
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$name" "$proxy" "$reqs" "$p99" "$failed" | tee -a "$results"
        done
    done
done
python3 - "$results" <<'EOF' | tee "$work/summary.txt"
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
by = {}
for rep, sc, proxy, reqs, p99, failed in rows:
    by.setdefault((sc, proxy), []).append((int(rep), float(reqs or 0), float(p99), int(failed or 0)))
print(f"{'scenario':<14}{'proxy':<9}{'req/s':>10}{'p99 ms':>9}{'failed':>8}  ratio to nginx per rep")
for sc in dict.fromkeys(r[1] for r in rows):
    base = {rep: r for rep, r, _, _ in by[(sc, "nginx")]}
    for proxy in dict.fromkeys(r[2] for r in rows):
        xs = by[(sc, proxy)]
        ratios = " ".join(f"{r / base[rep]:.2f}" for rep, r, _, _ in xs if base.get(rep))
        print(f"{sc:<14}{proxy:<9}{statistics.median(x[1] for x in xs):>10.0f}{statistics.median(x[2] for x in xs):>9.2f}"
              f"{sum(x[3] for x in xs):>8}  {ratios}")
EOF
echo "raw: $work"
