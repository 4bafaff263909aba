# Sourced by test.sh: starts a throwaway PostgreSQL (initdb in a temp dir,
# fsync off) on a free loopback port, with its unix socket in that dir,
# exports ELEVATE_TEST_POSTGRES_DSN, and stops it when the calling script
# exits. It never touches a server already running on the machine. With
# ELEVATE_TEST_POSTGRES_DSN already set, it uses that server instead.
# initdb and postgres refuse to run as root: as root they run as the
# postgres user (or nobody), which owns the temp dir.

if [[ -n "${ELEVATE_TEST_POSTGRES_DSN:-}" ]]; then
	echo "PostgreSQL for tests: ELEVATE_TEST_POSTGRES_DSN as given"
	return 0
fi

pg_bin=""
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
	pg_bin=$(dirname "$(command -v initdb)")
else
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then pg_bin=$d; break; fi
	done
fi
if [[ -z "$pg_bin" ]]; then
	echo "$0: PostgreSQL (initdb, pg_ctl) not found. Install it: apt-get install postgresql (Debian/Ubuntu) or brew install postgresql" >&2
	# Under CI the tests would fail without it; elsewhere they skip.
	if [[ -n "${CI:-}" ]]; then exit 1; fi
	return 0
fi

pg_tmp=$(mktemp -d)
pg_as=()
if [[ $(id -u) == 0 ]]; then
	pg_user=postgres
	id -u "$pg_user" >/dev/null 2>&1 || pg_user=nobody
	chown "$pg_user" "$pg_tmp"
	pg_as=("$(command -v runuser || echo /usr/sbin/runuser)" -u "$pg_user" --)
fi
pg_started=""
postgres_cleanup() {
	if [[ -n "$pg_started" ]]; then "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_tmp/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
	rm -rf "$pg_tmp"
}
# Run before whatever EXIT trap the caller set already (scripts/redis.sh's).
pg_prev_trap=$(trap -p EXIT)
if [[ -n "$pg_prev_trap" ]]; then
	eval "${pg_prev_trap/#trap -- \'/trap -- \'postgres_cleanup; }"
else
	trap postgres_cleanup EXIT
fi

if ! "${pg_as[@]}" "$pg_bin/initdb" -D "$pg_tmp/data" -U elevate -A trust -E UTF8 --locale=C --no-sync >"$pg_tmp/initdb.log" 2>&1; then
	echo "$0: initdb failed:" >&2
	cat "$pg_tmp/initdb.log" >&2
	exit 1
fi

pg_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 20); do
	pg_port=$(( 20000 + RANDOM % 40000 ))
	pg_port_free "$pg_port" || continue
	if "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_tmp/data" -l "$pg_tmp/postgres.log" -w -t 20 start \
		-o "-p $pg_port -k $pg_tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null 2>&1; then
		pg_started=1
		break
	fi
done
if [[ -z "$pg_started" ]]; then
	echo "$0: could not start PostgreSQL on a free port; see $pg_tmp/postgres.log" >&2
	cat "$pg_tmp/postgres.log" >&2 || true
	exit 1
fi
export ELEVATE_TEST_POSTGRES_DSN="postgres://elevate@127.0.0.1:$pg_port/postgres?sslmode=disable"
echo "PostgreSQL for tests on 127.0.0.1:$pg_port"
