#!/usr/bin/env bash
# Load script: GET /api/v1/check beside a minimal Go handler doing one Redis
# GET per request, same client, same run, same throwaway Redis, taking
# turns: throughput and p99 in closed loop at 1 to 50 connections, p99 at
# 1 000 req/s; peak throughput, and p99 at saturation (2 connections per
# core) beside the floor's (adapters/api TestLoadCheck). make bench reads
# the same lines. Targets: ≥ 0.5× the floor's throughput, p99 ≤ 2 ms.
# Usage: scripts/check-load.sh [DURATION per load, default 1s]
set -euo pipefail
cd "$(dirname "$0")/.."
d="${1:-1s}"
go test -run '^TestLoadCheck$' -count=1 -timeout 10m -v ./adapters/api/ -args -load.check="$d" | grep -E 'load_test|FAIL|ok'
