#!/usr/bin/env bash
# Sluice's one test command: installs what is missing, builds, runs the Swift unit tests and
# the Python integration tests against the real binary (the exchange-heavy ones also against
# the debug binary, assertions on). Exits non-zero if anything fails.
#
#   bash scripts/test.sh                  # everything
#   bash scripts/test.sh --unit-only      # build + swift test
#   bash scripts/test.sh --integration-only [-- PYTEST ARGS]   # build + pytest only
#   bash scripts/test.sh -- -k smuggling  # extra arguments after -- go to pytest
#
# Environment:
#   SLUICE_SCRATCH   a --scratch-path for swift build/test (default: .build)
#   SLUICE_BIN       use this binary for the integration tests instead of the fresh build
#   SLUICE_JOBS      -j for swift build/test
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

RUN_UNIT=1
RUN_INTEGRATION=1
PYTEST_ARGS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --unit-only) RUN_INTEGRATION=0 ;;
        --integration-only) RUN_UNIT=0 ;;
        --) shift; PYTEST_ARGS=("$@"); break ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

START=$(date +%s)
phase() { printf '\n==> [%s +%ss] %s\n' "$(date +%H:%M:%S)" "$(( $(date +%s) - START ))" "$*"; }
die() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- 1-2. packages and venv
phase "system packages and python venv (scripts/setup.sh)"
bash scripts/setup.sh || die "setup failed"
PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || die "swift not found (expected on PATH or at /opt/swift/usr/bin)"

# ---------------------------------------------------------------- 3. limits
phase "limits"
hard=$(ulimit -Hn)
target=65536
if [[ $hard != unlimited && $hard -lt $target ]]; then target=$hard; fi
ulimit -Sn "$target" 2>/dev/null || echo "could not raise ulimit -n (hard limit $hard)"
echo "ulimit -n = $(ulimit -n)"

# ---------------------------------------------------------------- 4. build
SWIFT_FLAGS=()
[[ -n ${SLUICE_SCRATCH:-} ]] && SWIFT_FLAGS+=(--scratch-path "$SLUICE_SCRATCH")
[[ -n ${SLUICE_JOBS:-} ]] && SWIFT_FLAGS+=(-j "$SLUICE_JOBS")

phase "build: swift build -c release ${SWIFT_FLAGS[*]}"
swift build -c release "${SWIFT_FLAGS[@]}" || die "swift build failed"
BIN_DIR=$(swift build -c release "${SWIFT_FLAGS[@]}" --show-bin-path)
export SLUICE_BIN=${SLUICE_BIN:-$BIN_DIR/sluice}
[[ -x $SLUICE_BIN ]] || die "no binary at $SLUICE_BIN"
echo "binary: $SLUICE_BIN"

results=()
failed=0

# ---------------------------------------------------------------- 5. unit tests
if [[ $RUN_UNIT -eq 1 ]]; then
    phase "unit tests: swift test ${SWIFT_FLAGS[*]}"
    if swift test "${SWIFT_FLAGS[@]}"; then
        results+=("unit tests (swift test): ok")
    else
        results+=("unit tests (swift test): FAILED")
        failed=1
    fi
fi

# ---------------------------------------------------------------- 6. debug-build integration tests
# The exchange's assertions (impossible transitions) are compiled out of release builds: the
# integration tests that drive it hardest (HTTP/2 streams included) also run against the debug
# binary `swift test` built.
DEBUG_BIN=$(swift build "${SWIFT_FLAGS[@]}" --show-bin-path)/sluice
if [[ $RUN_UNIT -eq 1 && $RUN_INTEGRATION -eq 1 && ${#PYTEST_ARGS[@]} -eq 0 ]]; then
    phase "integration tests on the debug binary (assertions on): $DEBUG_BIN"
    swift build "${SWIFT_FLAGS[@]}" --product sluice >/dev/null || die "debug build failed"
    set +e
    SLUICE_BIN=$DEBUG_BIN timeout --signal=TERM --kill-after=30 900 \
        .venv/bin/python -m pytest -q -p no:cacheprovider -k "not canary" \
        tests/integration/test_outcomes.py tests/integration/test_failures.py tests/integration/test_pipelining.py \
        tests/integration/test_bodies.py tests/integration/test_websocket.py tests/integration/test_smuggling.py \
        tests/integration/test_http2.py
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
        results+=("integration tests on the debug binary (pytest): ok")
    else
        results+=("integration tests on the debug binary (pytest): FAILED (exit $rc)")
        failed=1
    fi
fi

# ---------------------------------------------------------------- 7. integration tests
if [[ $RUN_INTEGRATION -eq 1 ]]; then
    phase "integration tests: pytest tests/integration (SLUICE_BIN=$SLUICE_BIN)"
    set +e
    timeout --signal=TERM --kill-after=30 2400 \
        .venv/bin/python -m pytest tests/integration -q -p no:cacheprovider "${PYTEST_ARGS[@]}"
    rc=$?
    set -e
    case $rc in
        0) results+=("integration tests (pytest): ok") ;;
        5) results+=("integration tests (pytest): NO TESTS RAN (exit 5) - counted as a failure"); failed=1 ;;
        124) results+=("integration tests (pytest): TIMED OUT"); failed=1 ;;
        *) results+=("integration tests (pytest): FAILED (exit $rc)"); failed=1 ;;
    esac
fi

phase "summary"
printf '  %s\n' "${results[@]}"
if [[ $failed -ne 0 ]]; then
    echo "RESULT: FAILED"
    exit 1
fi
echo "RESULT: OK"
