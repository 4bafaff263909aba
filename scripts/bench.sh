#!/usr/bin/env bash
# make bench: every performance target beside its floor, measured in one run
# against a throwaway redis-server, printed as one markdown table (see
# cmd/bench). Exits 1 when a target is missed. Needs redis-benchmark.
# Usage: scripts/bench.sh [-windows N] [-audit-events N] [-log FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v redis-benchmark >/dev/null 2>&1; then
	echo "scripts/bench.sh: redis-benchmark not found. Install it: apt-get install redis-tools (Debian/Ubuntu) or brew install redis" >&2
	exit 1
fi
source scripts/redis.sh
go run ./cmd/bench "$@"
