#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 parsers and the chunked decoder (Sources/HTTP1), or with --http2 the
# HTTP/2 frame parser, HPACK and connection state machine (Sources/HTTP2), with libFuzzer for
# a bounded time. Exits non-zero if libFuzzer finds a crash (or a leak, timeout or OOM).
#
#   bash scripts/fuzz.sh              # HTTP/1.1, 60 seconds
#   bash scripts/fuzz.sh 600          # 10 minutes
#   bash scripts/fuzz.sh --http2 600  # HTTP/2, 10 minutes
#   bash scripts/fuzz.sh 60 -- -seed=1 -max_len=4096     # extra libFuzzer flags after --
#   bash scripts/fuzz.sh [--http2] --repro .build-fuzz/crashes/crash-<sha1>   # rerun one input
#
# Builds .build-fuzz/http1-fuzz from fuzz/HTTP1Fuzz.swift + Tests/HTTP1Tests/MessageEvents.swift +
# Sources/HTTP1/*.swift (or .build-fuzz/http2-fuzz from fuzz/HTTP2Fuzz.swift + Sources/HTTP2,
# HTTP1 linked as a static library) with `swiftc -sanitize=fuzzer,address -O` (not package
# targets: `swift build` never sees them). Seeds are read from fuzz/corpus/ or
# fuzz/corpus-http2/ (committed, never written); inputs libFuzzer finds go to
# fuzz/corpus-work/ or fuzz/corpus-work-http2/ (gitignored; FUZZ_WORK=dir to use another);
# crashes to .build-fuzz/crashes/.
# One process, one core: no -jobs/-workers (the machine is shared).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/.build-fuzz
CRASHES=$OUT/crashes
TARGET=http1
[[ ${1:-} == --http2 ]] && { TARGET=http2; shift; }
if [[ $TARGET == http1 ]]; then
    BIN=$OUT/http1-fuzz
    WORK=${FUZZ_WORK:-$ROOT/fuzz/corpus-work}
    SEEDS=$ROOT/fuzz/corpus
    DICT=$ROOT/fuzz/http1.dict
else
    BIN=$OUT/http2-fuzz
    WORK=${FUZZ_WORK:-$ROOT/fuzz/corpus-work-http2}
    SEEDS=$ROOT/fuzz/corpus-http2
    DICT=$ROOT/fuzz/http2.dict
fi

SECONDS_TO_RUN=60
REPRO=()
EXTRA=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --repro) shift; REPRO=("$@"); break ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *[!0-9]*|'') echo "usage: bash scripts/fuzz.sh [SECONDS] [-- LIBFUZZER FLAGS] | --repro FILE..." >&2; exit 2 ;;
        *) SECONDS_TO_RUN=$1 ;;
    esac
    shift
done

mkdir -p "$OUT" "$CRASHES" "$WORK"

# Rebuild when the binary is missing or older than any source.
HTTP1_SOURCES=("$ROOT"/Sources/HTTP1/*.swift)
if [[ $TARGET == http1 ]]; then
    SOURCES=("$ROOT"/fuzz/HTTP1Fuzz.swift "$ROOT"/Tests/HTTP1Tests/MessageEvents.swift "${HTTP1_SOURCES[@]}")
else
    mapfile -t HTTP2_SOURCES < <(find "$ROOT/Sources/HTTP2" -name '*.swift' | sort)
    SOURCES=("$ROOT"/fuzz/HTTP2Fuzz.swift "${HTTP2_SOURCES[@]}")
fi
needs_build=0
[[ -x $BIN ]] || needs_build=1
for f in "${SOURCES[@]}" "${HTTP1_SOURCES[@]}"; do [[ $f -nt $BIN ]] && needs_build=1; done
if [[ $needs_build == 1 ]]; then
    echo "fuzz.sh: building $BIN" >&2
    LINKER=()
    command -v ld.lld >/dev/null 2>&1 && LINKER=(-use-ld=lld)
    # The language mode and upcoming features of the targets in Package.swift.
    FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6
           -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault)
    if [[ $TARGET == http1 ]]; then
        swiftc "${FLAGS[@]}" -module-name HTTP1Fuzz "${LINKER[@]}" \
            "${SOURCES[@]}" -o "$BIN.tmp" 2> >(grep -v "warning: Cannot export local symbol" >&2)
    else
        # HTTP2 imports HTTP1: build HTTP1 as a module and a static library first.
        mkdir -p "$OUT/http1-module"
        swiftc "${FLAGS[@]}" -module-name HTTP1 -emit-module -emit-module-path "$OUT/http1-module/HTTP1.swiftmodule" \
            -emit-library -static -o "$OUT/http1-module/libHTTP1.a" "${HTTP1_SOURCES[@]}"
        swiftc "${FLAGS[@]}" -module-name HTTP2Fuzz "${LINKER[@]}" -I "$OUT/http1-module" -L "$OUT/http1-module" -lHTTP1 \
            "${SOURCES[@]}" -o "$BIN.tmp" 2> >(grep -v "warning: Cannot export local symbol" >&2)
    fi
    mv "$BIN.tmp" "$BIN"
fi

# A trap in Swift must end the process at once so libFuzzer saves the input: the Swift
# runtime's interactive backtracer would otherwise keep the crashed process waiting.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:symbolize=1:quarantine_size_mb=64}

if [[ ${#REPRO[@]} -gt 0 ]]; then
    exec "$BIN" "${REPRO[@]}"
fi

LOG=$OUT/fuzz.log
[[ $TARGET == http2 ]] && LOG=$OUT/fuzz-http2.log
echo "fuzz.sh: fuzzing for ${SECONDS_TO_RUN}s; log $LOG; new inputs -> ${WORK#$ROOT/}; crashes -> ${CRASHES#$ROOT/}" >&2
set +e
nice -n 5 "$BIN" \
    -max_total_time="$SECONDS_TO_RUN" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -max_len=17000 \
    -dict="$DICT" \
    -artifact_prefix="$CRASHES/" \
    -print_final_stats=1 \
    "${EXTRA[@]}" \
    "$WORK" "$SEEDS" >"$LOG" 2>&1
rc=$?
set -e

# The summary: libFuzzer's last status line (#N DONE cov: ... exec/s) and its final stats.
grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|^Done [0-9]+ runs" "$LOG" >&2 || true
if [[ $rc -ne 0 ]]; then
    echo "fuzz.sh: libFuzzer exited with $rc; the report:" >&2
    grep -E -A40 "ERROR: |==ERROR|deadly signal|Fatal error|invariant broken" "$LOG" | head -80 >&2 || tail -40 "$LOG" >&2
    echo "fuzz.sh: saved inputs:" >&2
    ls -1 "$CRASHES" >&2
    echo "fuzz.sh: reproduce with: bash scripts/fuzz.sh --repro <file>" >&2
fi
exit $rc
