#!/bin/bash
# run.sh O BINDIR [NAME...] - run tally's tests, two at a time.
#
# Starts a throwaway PostgreSQL (the project's own embedded cluster, via
# `tallyctl db up` with TALLY_HOME in a temporary directory: unix socket
# only), migrates a template database, and gives every test program and
# every tests/t_*.sh script a fresh copy of it in TALLY_DATABASE_URL.  The
# cluster is stopped and removed on exit, whatever happened.
# Each test has its own database and listens only on ports the kernel
# picks, so TALLY_TEST_JOBS of them (default 2, one per core here) run at
# once.  TALLY_UNIT_ONLY=1: no database; tests that need one skip (exit 77).
# Prints "N passed, N failed, N skipped" last; exits 1 if any failed.
set -u
O=$(cd "$1" && pwd)
BINDIR=$(cd "$2" && pwd)
shift 2
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TALLY_BINDIR="$BINDIR"
# what a test leaves for people to look at (screenshots): kept after the
# run, one folder per build (build/release/test-output/NAME)
export TALLY_TEST_OUTPUT="$O/test-output"

TMP=$(mktemp -d /tmp/tally-test.XXXXXX)
chmod 755 "$TMP"
export TALLY_HOME="$TMP/home"
unset TALLY_DATABASE_URL TALLY_CONFIG
# tests must not read an administrator's /etc/tally/tally.conf
export TALLY_CONFIG=/dev/null
SOCK="$TALLY_HOME/pg/run"

cleanup() {
	if [ -d "$TALLY_HOME/pg/data" ]; then
		"$BINDIR/tallyctl" db down >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql_admin() {
	psql -X -q -v ON_ERROR_STOP=1 "host=$SOCK port=5432 dbname=postgres user=tally" "$@"
}

if [ -z "${TALLY_UNIT_ONLY:-}" ]; then
	# a throwaway cluster: no fsync (lib/pg/pgembed.c); tests that start
	# their own clusters with `tallyctl db up` inherit this too
	export TALLY_PG_NO_FSYNC=1
	if ! "$BINDIR/tallyctl" db up >"$TMP/db-up.log" 2>&1; then
		echo "run.sh: cannot start the test database:" >&2
		cat "$TMP/db-up.log" >&2
		exit 1
	fi
	# a pristine, migrated template nobody connects to
	psql_admin -c "CREATE DATABASE tally_template TEMPLATE tally" || exit 1
	export TALLY_TEST_ADMIN_URL="host=$SOCK port=5432 dbname=postgres user=tally"
	export TALLY_TEST_TEMPLATE=tally_template
	export TALLY_TEST_HOST="$SOCK"
fi

JOBS=${TALLY_TEST_JOBS:-2}
n=0
mkdir -p "$TMP/logs" "$TMP/results"

# One test in the background: its own database, its log, and a result
# line "RC SECS" that the summary reads once every test has ended.
run_one() {
	local name=$1 db start rc secs
	shift
	n=$((n + 1))
	if [ -z "${TALLY_UNIT_ONLY:-}" ]; then
		db="t_run_$n"
		psql_admin -c "CREATE DATABASE $db TEMPLATE tally_template" || exit 1
	fi
	(
		[ -n "${TALLY_UNIT_ONLY:-}" ] ||
			export TALLY_DATABASE_URL="host=$SOCK port=5432 dbname=$db user=tally"
		start=$(date +%s)
		"$@" >"$TMP/logs/$name.log" 2>&1
		rc=$?
		secs=$(( $(date +%s) - start ))
		echo "$rc $secs" >"$TMP/results/$name"
		case $rc in
		0)	echo "ok   $name (${secs}s)"
			[ -n "${TALLY_VERBOSE:-}" ] && cat "$TMP/logs/$name.log" ;;
		77)	echo "skip $name: $(tail -1 "$TMP/logs/$name.log")" ;;
		*)	echo "FAIL $name (exit $rc, ${secs}s):"
			tail -60 "$TMP/logs/$name.log" | sed 's/^/    /' ;;
		esac
	) &
	# a free slot before the next one starts
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
}

wanted() {
	[ $# -eq 0 ] && return 0
	for w in $SELECT; do
		[ "$w" = "$1" ] && return 0
	done
	return 1
}
SELECT="$*"

for t in "$O"/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	[ -n "$SELECT" ] && ! wanted "$name" $SELECT && continue
	run_one "$name" "$t"
done
for s in "$TOP"/tests/t_*.sh; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .sh)
	[ -n "$SELECT" ] && ! wanted "$name" $SELECT && continue
	if [ -n "${TALLY_UNIT_ONLY:-}" ]; then
		echo "77 0" >"$TMP/results/$name"
		echo "skip $name: shell integration test needs a database"
		continue
	fi
	run_one "$name" sh "$s"
done

wait
pass=0 fail=0 skip=0 failed=""
for r in "$TMP"/results/*; do
	[ -f "$r" ] || continue
	read -r rc _ <"$r"
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); failed="$failed $(basename "$r")" ;;
	esac
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
