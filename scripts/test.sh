#!/usr/bin/env bash
# Runs elevate's tests: go vet, then go test -race ./... against a throwaway
# redis-server on a free loopback port (no persistence), stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/redis.sh

go vet ./...
go test -race -count=1 -timeout 15m ./...
