#!/usr/bin/env bash
# Load script: N windows (default 10000) end in the same second on a real
# Redis with R replicas (default 3) running schedulers; prints how late the
# targets' revoke calls came after each window's end (p50, p99, max).
# Usage: scripts/load-expiry.sh [N [R]]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
r="${2:-3}"
go test -run '^TestLoadMassExpiry$' -count=1 -timeout 20m -v ./cmd/elevate/ -args -load.windows="$n" -load.replicas="$r" | grep -E 'opened|revoke called|FAIL|ok'
