#!/bin/sh
# admin.sh BINDIR [O] - benchmark tally-admin (make bench; BENCH_ONLY=admin).
#
# One run, one machine, one embedded PostgreSQL of its own (synchronous
# commit, fsync on), 60 accounts and 256 active assignments:
#  - list:   wrk GETs /api/admin/chatgpt-accounts?page=1&per_page=50 (a
#            page of 50 accounts with the total) with a write token;
#  - extend: wrk POSTs /api/admin/account-assignments/ID/extend with
#            {"additional_days": 1} to a random one of the 256;
# each at 16 connections: requests/s and p99.  Each request is the whole
# path: the bearer check, the operation in its transaction (the extend
# with its audit row), the access-log row, the answer.
# Baseline, in the same round: pgbench at 16 clients running the same
# statements without HTTP, tokens or logs: for list, the count and the
# page in one read-only repeatable-read transaction, as ops_list runs
# them; for extend, the row lock and the UPDATE in one transaction (no
# audit row: its chain is written by the C library, not SQL).  The
# ratio is how much of the database's own rate the API keeps.
# Every figure is the median of RUNS rounds (default 3) of SECS seconds
# (default 5); the ratio is the median of per-round ratios.  After each
# run the rows are counted: every 2xx must be an access-log row, and every
# 2xx extend an audit row (exit 1 if not).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
SECS=${SECS:-5}
CONNS=16
NASG=256
CORES=$(nproc)

for tool in wrk pgbench psql; do
	command -v $tool >/dev/null || { echo "admin.sh: $tool missing (make deps-bench)" >&2; exit 1; }
done

bench_home admin
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$URL" -c "$1"; }

# the pool: 60 accounts, 256 seats on the 16 team accounts
{
	echo "email,note,max_seats"
	for i in $(seq 1 60); do
		if [ "$i" -le 16 ]; then echo "team$i@pool.example,team,16"
		else echo "solo$i@pool.example,single,"; fi
	done
} >"$WORK/accounts.csv"
"$BINDIR/tallyctl" account import "$WORK/accounts.csv" --actor bench >/dev/null 2>&1
sql "INSERT INTO customers (email) SELECT 'c' || g || '@bench.example'
     FROM generate_series(1, $NASG) g"
sql "INSERT INTO assignments (account_id, customer_id, status, starts_at, ends_at)
     SELECT 1 + (c.id - 1) % 16, c.id, 'ACTIVE', now(), now() + interval '30 days'
     FROM customers c ORDER BY c.id"
[ "$(sql "SELECT count(*) FROM assignments WHERE status = 'ACTIVE'")" = "$NASG" ] ||
	{ echo "admin.sh: seeding failed" >&2; exit 1; }
TOKEN=$("$BINDIR/tallyctl" token create bench --role write 2>/dev/null)

printf 'admin_listen = 127.0.0.1:0\n' >"$WORK/tally.conf"
serve "$WORK/admin.log" "$BINDIR/tally-admin" -c "$WORK/tally.conf"

# the baselines' statements, as the operations run them
cat >"$WORK/list.sql" <<'EOF'
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SELECT count(*) FROM pool_accounts a WHERE (NULL::text IS NULL OR a.status = NULL);
SELECT a.id, a.email, a.status, a.max_seats, a.current_seats_used AS seats_used, coalesce(a.max_seats, 1) - a.current_seats_used AS seats_free, a.note, a.created_at, a.updated_at FROM pool_accounts a WHERE (NULL::text IS NULL OR a.status = NULL) ORDER BY a.id LIMIT 50 OFFSET 0;
COMMIT;
EOF
cat >"$WORK/extend.sql" <<EOF
\\set id random(1, $NASG)
BEGIN;
SELECT id FROM assignments WHERE id = :id FOR NO KEY UPDATE;
UPDATE assignments SET ends_at = ends_at + interval '1 day' WHERE id = :id AND status = 'ACTIVE' RETURNING id, ends_at;
COMMIT;
EOF

# load MODE: one wrk run; sets REQS P99 OK2XX
load() {
	t=$CORES
	BENCH_MODE=$1 BENCH_TOKEN=$TOKEN BENCH_ASSIGNMENTS=$NASG \
	    wrk -t"$t" -c"$CONNS" -d"${SECS}s" -s "$HERE/admin/admin.lua" \
	    "http://127.0.0.1:$PORT" >"$WORK/wrk.out" 2>&1 || {
		cat "$WORK/wrk.out" >&2
		exit 1
	}
	wrk_read "$WORK/wrk.out"
}
# baseline SCRIPT: one pgbench run; sets TPS
baseline() {
	pgbench -n -c "$CONNS" -j "$CORES" -T "$SECS" -M prepared -f "$1" "$URL" \
	    >"$WORK/pgbench.out" 2>&1 || { cat "$WORK/pgbench.out" >&2; exit 1; }
	TPS=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$WORK/pgbench.out")
}
# counted WHAT BEFORE AFTER: every 2xx is a row
counted() {
	if [ $(($3 - $2)) -lt "$OK2XX" ]; then
		echo "FAIL: $1: $OK2XX answered 2xx but $(($3 - $2)) rows" >&2
		exit 1
	fi
}

echo "admin: tally-admin, thread per connection, 8 database connections, $CORES cores, $CONNS connections, ${RUNS}x${SECS}s per figure (median)"
for mode in list extend; do
	: >"$WORK/rps"; : >"$WORK/p99"; : >"$WORK/tps"; : >"$WORK/ratio"
	for r in $(seq "$RUNS"); do
		a0=$(sql "SELECT count(*) FROM admin_access_log WHERE status < 300")
		e0=$(sql "SELECT count(*) FROM audit_log WHERE action = 'assignment.extend'")
		load "$mode"
		a1=$(sql "SELECT count(*) FROM admin_access_log WHERE status < 300")
		e1=$(sql "SELECT count(*) FROM audit_log WHERE action = 'assignment.extend'")
		counted "$mode: access log" "$a0" "$a1"
		[ "$mode" = extend ] && counted "extend: audit rows" "$e0" "$e1"
		baseline "$WORK/$mode.sql"
		echo "$REQS" >>"$WORK/rps"; echo "$P99" >>"$WORK/p99"; echo "$TPS" >>"$WORK/tps"
		echo "$REQS $TPS" | awk '{ printf "%.3f\n", $1 / $2 }' >>"$WORK/ratio"
		echo "  round $r: $mode req/s=$REQS p99=${P99}ms (2xx=$OK2XX, each an access-log row$([ "$mode" = extend ] && echo " and an audit row")); pgbench tps=$TPS"
	done
	case $mode in
	list)	what="GET a page of 50 accounts" base="pgbench count+page (RR read-only)" ;;
	extend)	what="POST extend" base="pgbench lock+UPDATE" ;;
	esac
	printf 'admin %-6s conns=%s req/s=%-8s p99=%sms  %s\n' "$mode" "$CONNS" \
	    "$(median <"$WORK/rps")" "$(median <"$WORK/p99")" "$what"
	printf 'baseline %-3s clients=%s tps=%-8s %s\n' "" "$CONNS" \
	    "$(median <"$WORK/tps")" "$base"
	printf 'ratio admin %s/pgbench (median of per-round ratios): %.2fx\n' \
	    "$mode" "$(median <"$WORK/ratio")"
done
kill "$SERVER_PID"; wait "$SERVER_PID" || { echo "FAIL: tally-admin did not exit 0 after SIGTERM" >&2; exit 1; }
SERVER_PID=""
