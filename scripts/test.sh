#!/usr/bin/env bash
# Runs elevate's tests: go vet, then go test -race ./... against a throwaway
# redis-server on a free loopback port (no persistence), stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
	echo "scripts/test.sh: redis-server not found. Install it: apt-get install redis-server (Debian/Ubuntu) or brew install redis" >&2
	exit 1
fi

tmp=$(mktemp -d)
pid=""
cleanup() {
	if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for _ in $(seq 1 50); do
	port=$(( 20000 + RANDOM % 40000 ))
	port_free "$port" || continue
	redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" \
		--logfile "$tmp/redis.log" --notify-keyspace-events Ex &
	pid=$!
	for _ in $(seq 1 100); do
		if redis-cli -p "$port" ping >/dev/null 2>&1; then break 2; fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""
done
if [[ -z "$pid" ]]; then
	echo "scripts/test.sh: could not start redis-server on a free port; see $tmp/redis.log" >&2
	exit 1
fi
export ELEVATE_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
echo "redis-server for tests on 127.0.0.1:$port"

go vet ./...
if [[ -n "${BENCH:-}" ]]; then
	go test -run="^$" -bench=. -benchtime=2s ./...
else
	go test -race -count=1 -timeout 15m ./...
fi
