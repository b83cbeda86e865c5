# lib.sh - what the benchmarks share; sourced first thing (. "$HERE/lib.sh"),
# with the script's own arguments: BINDIR is $1, the programs' folder, and
# RUNS the number of runs a figure is the median of (default 3).  POSIX sh
# has no locals: helpers name their variables with a leading _ so a
# script's own do not collide.
BINDIR=$(cd "$1" && pwd)
RUNS=${RUNS:-3}

# bench_home NAME: a fresh TALLY_HOME (/tmp/tally-bench-NAME.*) with the
# work folder $WORK and an embedded cluster started in it (its database
# tally: URL, as tally's programs reach it), both gone on exit.  The environment of the caller's tally is ignored: nothing but the
# bench's own cluster and an empty configuration.  A script that starts
# a server with serve() has it stopped on exit; one that starts other
# servers defines stop_servers(), which runs first on exit.
bench_home() {
	unset TALLY_DATABASE_URL TALLY_CONFIG TALLY_TZ TALLY_READ_DATABASE_URL
	export TALLY_HOME
	TALLY_HOME=$(mktemp -d "/tmp/tally-bench-$1.XXXXXX")
	chmod 755 "$TALLY_HOME"
	export TALLY_CONFIG=/dev/null
	WORK="$TALLY_HOME/work"
	mkdir -p "$WORK"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	if ! "$BINDIR/tallyctl" db up >"$WORK/db-up.log" 2>&1; then
		cat "$WORK/db-up.log" >&2
		exit 1
	fi
	URL=$("$BINDIR/tallyctl" db url)
}

bench_cleanup() {
	[ -z "${SERVER_PID:-}" ] ||
		{ kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true; }
	if type stop_servers >/dev/null 2>&1; then
		stop_servers
	fi
	"$BINDIR/tallyctl" db down >/dev/null 2>&1 || true
	rm -rf "$TALLY_HOME"
}

now() { date +%s.%N; }

# secs T0 T1: the seconds between two now()s, with BENCH_DIGITS (default
# 3) decimals
secs() {
	echo "$1 $2" | awk -v d="${BENCH_DIGITS:-3}" '{ printf("%." d "f", $2 - $1) }'
}

# the median of the numbers on stdin (one or several a line): with an
# even count the lower of the two middle ones, so it is always one of the
# figures (a whole number of KiB stays whole); "?" when there are none
median() {
	tr ' ' '\n' | grep -E '^[0-9]+([.][0-9]+)?$' | sort -g |
	    awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "?" }'
}

# /usr/bin/time -v where it exists (peak RSS); else the shell's clock only
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
	HAVE_TIME=1
else
	HAVE_TIME=0
fi

# timed WANT LOG CMD...: run CMD, which must exit WANT (else show the end
# of its stderr and exit 1), its output in LOG.out and LOG.err; its wall
# time in SECS (secs()) and its peak RSS in RSS (KiB; 0 when unknown)
timed() {
	_want=$1
	_log=$2
	shift 2
	_t0=$(now)
	set +e
	if [ "$HAVE_TIME" = 1 ]; then
		/usr/bin/time -v -o "$_log.time" "$@" >"$_log.out" 2>"$_log.err"
	else
		"$@" >"$_log.out" 2>"$_log.err"
	fi
	_rc=$?
	set -e
	_t1=$(now)
	if [ "$_rc" != "$_want" ]; then
		echo "bench: $* exited $_rc, not $_want:" >&2
		tail -20 "$_log.err" >&2
		exit 1
	fi
	RSS=0
	[ "$HAVE_TIME" = 0 ] ||
		RSS=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$_log.time")
	SECS=$(secs "$_t0" "$_t1")
}

# serve LOG CMD...: start the tally server CMD in the background, its
# stderr in LOG; its pid in SERVER_PID (stopped on exit unless the caller
# stops it and empties SERVER_PID), the port it says it listens on in PORT
serve() {
	_log=$1
	shift
	"$@" 2>"$_log" &
	SERVER_PID=$!
	PORT=""
	for _ in $(seq 100); do
		PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$_log")
		[ -n "$PORT" ] && break
		sleep 0.1
	done
	[ -n "$PORT" ] || { cat "$_log" >&2; exit 1; }
}

# The image service's usage as model-stats reads it, generated in SQL.
# usage_setup_sql: 12 models (every 7th inactive; costs in USD, EUR and
# JPY) and 20,000 users.
usage_setup_sql() {
	cat <<EOF
insert into models (name, active, credit_cost, provider_cost_minor,
    provider_currency, created_at)
select 'model-' || m, m % 7 <> 0, 1 + m % 5, 1 + m * 3,
       (array['USD', 'EUR', 'JPY'])[m % 3 + 1], '2026-01-01'
  from generate_series(1, 12) m;
insert into app_users (external_id, email, registered_at)
select 'u' || u, 'user' || u || '@example.com', '2026-01-01'
  from generate_series(1, 20000) u;
EOF
}

# usage_events_sql N: N events over the 28 days of November 2026, in time
# order as the image service reports them, 2% of them errors.
usage_events_sql() {
	cat <<EOF
insert into usage_events (event_id, user_id, model_id, kind, started_at,
    duration_ms, credits, status, error)
select 'evt_' || g,
       (select min(id) from app_users) + (g * 7919) % 20000,
       (select min(id) from models) + (g * 31 + g / 1000) % 12,
       case when g % 4 = 0 then 'edit' else 'generate' end,
       timestamptz '2026-11-01 00:00:00Z'
           + make_interval(secs => (g - 1)::float8 * 28 * 86400 / $1),
       500 + (g * 7919) % 20000,
       case when g % 50 = 0 then 0 else 1 + g % 5 end,
       case when g % 50 = 0 then 'error' else 'ok' end,
       case when g % 50 = 0
            then (array['timeout', 'nsfw_blocked', 'provider_500'])[g % 3 + 1]
       end
  from generate_series(1::bigint, $1) g;
EOF
}

# wrk_read FILE: what a wrk run (with a script that prints "LAT p50=..
# p99=.." and "NON2XX n") wrote to FILE: REQS (requests/s), P50 and P99
# (ms), OK2XX (answers in 2xx); wrk's socket errors are shown
wrk_read() {
	REQS=$(awk '/^Requests\/sec:/ { print $2 }' "$1")
	P50=$(sed -n 's/^LAT p50=\([0-9.]*\) .*/\1/p' "$1")
	P99=$(sed -n 's/^LAT .*p99=\([0-9.]*\)/\1/p' "$1")
	OK2XX=$(($(awk '/requests in/ { print $1 }' "$1") - $(awk '/^NON2XX/ { print $2 }' "$1")))
	if grep -q "Socket errors" "$1"; then
		grep "Socket errors" "$1" | sed 's/^/    wrk: /'
	fi
}
