#!/usr/bin/env bash
# Installs what Sluice's example and tests need, only what is missing:
# Debian packages (apt-get, as root or with passwordless sudo) and the Python venv in
# .venv with the pinned FastAPI/uvicorn backend and pytest (rebuilt only when the
# requirements or the Python version change). Used by scripts/test.sh and scripts/example.sh;
# `--build-only` (scripts/demo.sh) installs only what building Sluice needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
die() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }
build_only=0
[[ ${1:-} == --build-only ]] && build_only=1

# System packages: libssl-dev and pkg-config to build; the rest for the tests
# (prometheus: its promtool checks /metrics; openssl: the dev certificates of the TLS tests,
# made by certs/make-dev-certs.sh; zsh: checks `sluice completion zsh`; chromium and
# chromium-driver: the dashboard's test in a real headless browser; etcd-server: the etcd 3.4
# the store tests start on loopback; nghttp2-client: h2load, HTTP/2 load in tests and benches).
packages=(libssl-dev pkg-config)
[[ $build_only == 1 ]] || packages+=(openssl curl prometheus zsh chromium chromium-driver etcd-server nghttp2-client)
missing=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
PYTHON=${PYTHON:-python3}
if [[ $build_only == 0 ]]; then
    command -v "$PYTHON" >/dev/null || missing+=(python3)
    if command -v "$PYTHON" >/dev/null && ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing: ${missing[*]}"
    if [[ $(id -u) -eq 0 ]]; then
        SUDO=()
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        die "missing packages (${missing[*]}) and not root: install them, then re-run"
    fi
    "${SUDO[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "all present (${packages[*]}$([[ $build_only == 1 ]] || echo ' python3 venv'))"
fi
[[ $build_only == 1 ]] && exit 0

# The Python venv.
echo "python venv (.venv):"
REQS=(examples/fastapi/requirements.txt tests/requirements.txt)
STAMP=.venv/.sluice-requirements
want=$( { "$PYTHON" --version 2>&1; cat "${REQS[@]}"; } | sha256sum | cut -d' ' -f1)
if [[ -x .venv/bin/python && -f $STAMP && $(cat "$STAMP") == "$want" ]]; then
    echo "up to date"
else
    echo "creating .venv with ${REQS[*]}"
    rm -rf .venv
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "${REQS[0]}" -r "${REQS[1]}"
    echo "$want" > "$STAMP"
fi
.venv/bin/python -m pip --disable-pip-version-check -q check || die "python dependencies inconsistent"

