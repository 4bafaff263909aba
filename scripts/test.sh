#!/usr/bin/env bash
# Runs elevate's tests: go vet, go test -race ./..., and the Redis memory-year
# load test, against a throwaway redis-server and a throwaway PostgreSQL on
# free loopback ports (no persistence), stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/redis.sh
source scripts/postgres.sh

go vet ./...
go test -race -count=1 -timeout 15m ./...
# Redis memory stays flat over a simulated year (issue 10): a load test, run
# without the race detector, which would make it take many minutes.
ELEVATE_MEMORY_YEAR=20 go test -count=1 -timeout 10m -run '^TestRedisMemoryOverAYear$' -v ./cmd/elevate/ | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|memory_year_test'
