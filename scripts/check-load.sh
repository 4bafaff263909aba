#!/usr/bin/env bash
# Load script: GET /api/v1/check beside a minimal Go handler doing one Redis
# GET per request, same client, same run, same throwaway Redis: saturated
# throughput and p99 at 1 000 req/s. Targets: ≥ 0.5× throughput, p99 ≤ 2 ms.
# Usage: scripts/check-load.sh [DURATION per phase, default 1s]
set -euo pipefail
cd "$(dirname "$0")/.."
d="${1:-1s}"
go test -run '^TestLoadCheck$' -count=1 -timeout 10m -v ./adapters/api/ -args -load.check="$d" | grep -E 'load_test|FAIL|ok'
