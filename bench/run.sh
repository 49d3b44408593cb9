#!/usr/bin/env bash
# Sluice against NGINX and HAProxy on the same backends, in the same run.
#
#   bench/run.sh                      # static backend, c=64,256, 3 interleaved reps, 1 worker each
#   bench/run.sh --targets static,static64k,fastapi --conns 64 --reps 5
#   bench/run.sh --targets newconn    # a new client connection per request
#   bench/run.sh --proxies nginx2,haproxy2,sluice2   # 2 workers / 2 threads each
#   bench/run.sh --tls                # the same over HTTPS (one dev certificate for every proxy)
#   bench/run.sh --tls --targets storm --conns 16   # 16 keep-alive clients measured while 64
#                                     # others make a TLS handshake per request (--storm-conns N)
#   bench/run.sh mem -n 10000         # resident memory with N idle keep-alive connections
#   bench/run.sh --proxies nginx,sluice,sluiceroll   # plain proxying against a rollout running
#   bench/run.sh --targets upload1m --conns 16       # 1 MiB POST bodies on keep-alive connections
#   bench/run.sh cost --targets static,upload1m      # instructions (perf) and heap allocations per request
#   bench/run.sh cost --callgrind --conns 16         # instructions counted by callgrind (no PMU needed)
#   bench/run.sh suite [--reps N]     # every scenario below in one results directory (~20 min)
#   bench/run.sh --proxies sluice,sluiceui --baseline sluice   # without and with 5 dashboard pages open
#   SLUICE_BASE_BIN=/path/to/old/sluice bench/run.sh cost --callgrind --proxies sluice,sluicebase
#                                     # this tree against an older build, in the same run
#   bench/run.sh --proxies sluice,sluicefleet --baseline sluice  # without and with --store (a fleet of one on etcd)
#
# Installs what it needs (nginx, haproxy, wrk from Debian, and perf, valgrind and a C compiler
# for `cost`; the project's venv for the FastAPI backend, examples/fastapi), builds the release
# binary, and prints the harness's table: req/s, p99 and the paired per-rep ratios to NGINX.
# Raw runs, summary.json, mem.json and cost.json go to bench/harness/results/.
# Traffic stays on 127.0.0.1. See bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

mode=bench
if [ $# -gt 0 ] && [[ $1 != --* ]]; then mode=$1; shift; fi

tools=(nginx haproxy wrk taskset)
case $mode in cost|suite) tools+=(perf cc valgrind);; esac
need=()
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
    pkgs=()
    for t in "${need[@]}"; do
        case $t in
            nginx) pkgs+=(nginx-light);; taskset) pkgs+=(util-linux);; perf) pkgs+=(linux-perf);; cc) pkgs+=(gcc);;
            *) pkgs+=("$t");;
        esac
    done
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
bash "$root/scripts/setup.sh" >/dev/null   # the project's .venv: FastAPI backend for the fastapi targets
PATH="/opt/swift/usr/bin:$PATH"
(cd "$root" && swift build -c release 2>&1 | tail -1)
bin="$root/.build/release/sluice"

# A route file for the harness's blue/green ports (90/10 split, like the NGINX and HAProxy
# configs), written per run into the harness's work directory.
# Braces are doubled: the harness fills {port}-style placeholders with str.format.
route='{{"name":"bench","pools":{{"blue":{{"backends":["127.0.0.1:{blue_port}"]}},"green":{{"backends":["127.0.0.1:{green_port}"]}}}},"weights":{{"green":10}}}}'
# With --tls, Sluice serves HTTPS on {port} (and its unused plain listener on 18070).
listen="--listen 127.0.0.1:{port}"
case " $* " in *" --tls "*) listen="--listen 127.0.0.1:18070 --tls-listen 127.0.0.1:{port} --cert {cert} --key {key}";; esac
sluice_cmd() { # $1 = workers, $2 = admin port, $3 = binary (default: this tree's release build)
    echo "mkdir -p {workdir}/routes-$1-$2 && echo '$route' > {workdir}/routes-$1-$2/bench.json && SLUICE_ADMIN_TOKEN=bench exec {wrap}${3:-$bin} serve --routes {workdir}/routes-$1-$2 $listen --workers $1 --admin 127.0.0.1:$2 --access-log off --state {workdir}/state-$1-$2 >/dev/null"
}
# `sluiceui`: `sluice` with 5 signed-in dashboard pages (GET /ui) polling its admin listener
# (127.0.0.1:18079) once a second each, from one headless Chromium that run.sh starts beside
# the harness (harness/dashboard_pages.py), outside the proxy's process tree and pinned to the
# load generator's core (cpu 1); between its runs the pages keep trying and pick up again.
# `sluiceroll`: the same route with sticky cookies, and a rollout running (10% → 100%, held
# an hour) started through the admin API as soon as Sluice answers: weights, sticky hashing,
# the judge's per-pool statistics and its once-a-second verdict all active. wrk sends no
# cookie back, so every request also gets a new sticky key and a Set-Cookie. Every run starts
# from an empty state dir: a Sluice resuming the previous run's rollout would answer the
# start with 409, and the curl loop would go on for 10 s beside the measurement.
sticky_route='{{"name":"bench","pools":{{"blue":{{"backends":["127.0.0.1:{blue_port}"]}},"green":{{"backends":["127.0.0.1:{green_port}"]}}}},"sticky":{{"by":"cookie"}}}}'
start_rollout="for i in \$(seq 100); do sleep 0.1; curl -sf -o /dev/null -H 'Authorization: Bearer bench' -d '{{\"plan\":[10,100],\"holds\":\"1h\"}}' http://127.0.0.1:18071/routes/bench/rollout && break; done"
sluiceroll_cmd="rm -rf {workdir}/state-roll && mkdir -p {workdir}/routes-roll && echo '$sticky_route' > {workdir}/routes-roll/bench.json && ($start_rollout) & SLUICE_ADMIN_TOKEN=bench exec {wrap}$bin serve --routes {workdir}/routes-roll $listen --workers 1 --admin 127.0.0.1:18071 --access-log off --state {workdir}/state-roll >/dev/null"

# `sluicefleet`: `sluice` in a fleet of its own (--store) on a one-member etcd started
# beside it, in its process group so that the harness stops both (etcd on 127.0.0.1:18075,
# peer 18076, a fresh data dir each run): lease renewals, the registration and the
# published evidence once a second, the data path as in `sluice`.
etcd_start="(etcd --name bench --data-dir {workdir}/etcd-fleet --listen-client-urls http://127.0.0.1:18075 --advertise-client-urls http://127.0.0.1:18075 --listen-peer-urls http://127.0.0.1:18076 --initial-advertise-peer-urls http://127.0.0.1:18076 --initial-cluster bench=http://127.0.0.1:18076 >/dev/null 2>&1 &); for i in \$(seq 100); do curl -sf -o /dev/null -d '{{}}' http://127.0.0.1:18075/v3/maintenance/status && break; sleep 0.1; done"
sluicefleet_cmd="rm -rf {workdir}/etcd-fleet {workdir}/state-fleet && mkdir -p {workdir}/routes-fleet && echo '$route' > {workdir}/routes-fleet/bench.json && $etcd_start; SLUICE_ADMIN_TOKEN=bench exec {wrap}$bin serve --routes {workdir}/routes-fleet $listen --workers 1 --admin 127.0.0.1:18072 --access-log off --state {workdir}/state-fleet --store etcd://127.0.0.1:18075 --instance bench --store-lease 5s >/dev/null"

# Runs the harness (run.py MODE ARGS...) with the --custom commands of the Sluice variants
# named in --proxies: the harness runs every --custom it is given.
harness() {
    local args=("$@") proxies="" custom=() i p
    for ((i = 0; i < ${#args[@]} - 1; i++)); do [ "${args[i]}" = --proxies ] && proxies=${args[i + 1]}; done
    for p in ${proxies//,/ }; do
        case $p in
            sluice) custom+=(--custom "sluice=$(sluice_cmd 1 18073)");;
            sluice2) custom+=(--custom "sluice2=$(sluice_cmd 2 18074)");;
            sluicebase) [[ -x ${SLUICE_BASE_BIN:-} ]] || { echo "sluicebase: set SLUICE_BASE_BIN to an older sluice binary" >&2; exit 2; }
                custom+=(--custom "sluicebase=$(sluice_cmd 1 18077 "$SLUICE_BASE_BIN")");;
            sluiceui) custom+=(--custom "sluiceui=$(sluice_cmd 1 18079)")
                taskset -c 1 "$root/.venv/bin/python" "$here/harness/dashboard_pages.py" --admin 127.0.0.1:18079 \
                    --token bench --pages 5 --wait 3600 &
                pages_pid=$!
                trap 'kill "$pages_pid" 2>/dev/null; wait "$pages_pid" 2>/dev/null' EXIT;;
            sluiceroll) custom+=(--custom "sluiceroll=$sluiceroll_cmd");;
            sluicefleet) custom+=(--custom "sluicefleet=$sluicefleet_cmd");;
        esac
    done
    (cd "$here/harness" && "$root/.venv/bin/python" run.py "$@" "${custom[@]}")
}
ulimit -n "$(ulimit -Hn)"

# `suite`: every scenario of the bench, one after the other, each in a subdirectory of one
# results directory; each part prints its table as it ends. --reps/--duration/--warmup apply
# to the wrk runs (the cost runs are always 1 rep).
if [ "$mode" = suite ]; then
    reps=3 duration=10 warmup=2
    while [ $# -gt 0 ]; do
        case $1 in
            --reps) reps=$2;; --duration) duration=$2;; --warmup) warmup=$2;;
            *) echo "suite takes --reps N, --duration S and --warmup S" >&2; exit 2;;
        esac
        shift 2
    done
    out="$here/harness/results/$(date -u +%Y%m%dT%H%M%SZ)-suite"
    wrk=(--reps "$reps" --duration "$duration" --warmup "$warmup")
    all=nginx,haproxy,sluice
    # name | harness arguments
    parts=(
        "keepalive|bench --targets static --conns 64,256 --proxies $all ${wrk[*]}"
        "targets|bench --targets newconn,static64k,upload1m --conns 64 --proxies $all ${wrk[*]}"
        "rollout|bench --targets static,returning --conns 64 --proxies nginx,sluice,sluiceroll ${wrk[*]}"
        "workers|bench --targets static --conns 64 --proxies nginx2,haproxy2,sluice2 --baseline nginx2 ${wrk[*]}"
        "mem|mem -n 10000 --proxies $all"
        "cost|cost --targets static,newconn,static64k,upload1m --conns 64 --proxies $all --reps 1 --duration $duration --warmup $warmup"
        "instructions|cost --callgrind --targets static,newconn,static64k,upload1m --conns 16 --proxies $all --reps 1 --duration 5 --warmup 1"
        "rollcost|cost --callgrind --targets static,returning --conns 16 --proxies sluice,sluiceroll --baseline sluice --reps 1 --duration 5 --warmup 1"
    )
    # 24 wrk runs per rep + 12 cost runs, each about warm-up + duration + 2 s; mem about 2 min;
    # 16 callgrind runs of about 15 s (valgrind starts slowly)
    minutes=$(( ((24 * reps + 12) * (duration + warmup + 2) + 120 + 16 * 15 + 59) / 60 ))
    echo "suite -> $out (about $minutes min)"
    start=$SECONDS failed=()
    for part in "${parts[@]}"; do
        name=${part%%|*}
        echo
        echo "=== $name: run.py ${part#*|}"
        # shellcheck disable=SC2086  # the part's arguments are split on purpose
        harness ${part#*|} --out "$out/$name" || failed+=("$name")
    done
    echo
    echo "suite: $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s; tables and JSON in $out/*/"
    [ ${#failed[@]} -eq 0 ] || { echo "failed parts: ${failed[*]}" >&2; exit 1; }
    exit 0
fi

defaults=()
case $mode in bench|cost|mem)
    case " $* " in *" --proxies "*) ;; *) defaults+=(--proxies nginx,haproxy,sluice);; esac;;
esac
if [ "$mode" = bench ]; then
    case " $* " in *" --targets "*) ;; *) defaults+=(--targets static);; esac
fi
harness "$mode" "${defaults[@]}" "$@"
