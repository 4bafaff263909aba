#!/usr/bin/env bash
# Runs elevate's tests: go vet, then go test -race ./... against a throwaway
# redis-server and a throwaway PostgreSQL on free loopback ports (no
# persistence), stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/redis.sh
source scripts/postgres.sh

go vet ./...
go test -race -count=1 -timeout 15m ./...
