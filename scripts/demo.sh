#!/usr/bin/env bash
# Sluice's first run: builds the release binary (installing libssl-dev and pkg-config
# first if they are missing) and runs `sluice demo`, which needs nothing else: in-process
# blue and green backends, the proxy, a load generator, a canary that the judge reverts
# and one that it promotes. Arguments go to the demo (`--headless` for plain lines).
#
#   bash scripts/demo.sh              # live view in the terminal
#   bash scripts/demo.sh --headless   # plain lines; exit 0 when both outcomes happened
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --build-only >&2
PATH="/opt/swift/usr/bin:$PATH"
swift build -c release 2>&1 | tail -1 >&2
exec "$(swift build -c release --show-bin-path)/sluice" demo "$@"
