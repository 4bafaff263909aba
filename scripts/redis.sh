# Sourced by test.sh and bench.sh: starts a throwaway redis-server on a free
# loopback port (no persistence), exports ELEVATE_TEST_REDIS_URL, and stops
# it when the calling script exits.

if ! command -v redis-server >/dev/null 2>&1; then
	echo "$0: redis-server not found. Install it: apt-get install redis-server (Debian/Ubuntu) or brew install redis" >&2
	exit 1
fi

redis_tmp=$(mktemp -d)
redis_pid=""
redis_cleanup() {
	if [[ -n "$redis_pid" ]]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
	rm -rf "$redis_tmp"
}
trap redis_cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for _ in $(seq 1 50); do
	port=$(( 20000 + RANDOM % 40000 ))
	port_free "$port" || continue
	redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$redis_tmp" \
		--logfile "$redis_tmp/redis.log" --notify-keyspace-events Ex &
	redis_pid=$!
	for _ in $(seq 1 100); do
		if redis-cli -p "$port" ping >/dev/null 2>&1; then break 2; fi
		kill -0 "$redis_pid" 2>/dev/null || break
		sleep 0.05
	done
	kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; redis_pid=""
done
if [[ -z "$redis_pid" ]]; then
	echo "$0: could not start redis-server on a free port; see $redis_tmp/redis.log" >&2
	exit 1
fi
export ELEVATE_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
echo "redis-server for tests on 127.0.0.1:$port"
