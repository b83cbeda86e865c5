#!/bin/sh
# replica.sh BINDIR [O] - reading from a hot standby (make bench; the
# figures of docs/SCALING.md).  One embedded cluster (fsync on) and its
# embedded standby (tallyctl db replica up) on this machine:
#  1. catch-up: EVENTS usage events (default 2,000,000, generated in SQL as
#     report.sh does: 12 models, 20,000 users, 28 days of November 2026)
#     inserted on the primary in one statement; then how long the standby
#     takes to replay them after the commit (its replay position polled
#     every 10 ms) and the WAL it replays per second;
#  2. tally-model-stats, default period (one day, ~EVENTS/28 events; its
#     peak-hours sheets read the week before), from the primary and from
#     the standby (read_database_url), in turns, RUNS times (default 3):
#     the median wall time of each, the ratio standby / primary, and the
#     CPU each server spent on the run (its postmaster's own and reaped
#     children's time plus its live children's, from /proc): what moving
#     the report moves off the primary.  The two outputs must be
#     byte-identical.
# Both servers share this machine's cores, so the wall times say what a
# standby costs, not what a second machine gains; the CPU figures say
# that.  Exit 1 if a run fails or the outputs differ.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
EVENTS=${EVENTS:-2000000}

BENCH_DIGITS=2
bench_home replica
"$BINDIR/tallyctl" db replica up >"$WORK/replica-up.log" 2>&1 ||
    { cat "$WORK/replica-up.log" >&2; exit 1; }
P=$URL
R=$("$BINDIR/tallyctl" db replica url)
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
TICK=$(getconf CLK_TCK)
# CPU seconds a cluster has spent: its postmaster, the children it has
# reaped, and those alive now.  A client's backend counts once the
# postmaster has reaped it, so first wait for that (no client backend, no
# zombie; the walsender stays).
cpu() {
	pm=$(head -1 "$TALLY_HOME/$1/data/postmaster.pid")
	while ps -o stat=,args= --ppid "$pm" | grep -v walsender |
	    grep -qE '^Z|\[local\]'; do
		sleep 0.05
	done
	{
		awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat"
		for c in $(ps -o pid= --ppid "$pm"); do
			awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || true
		done
	} | awk -v t="$TICK" '{ s += $1 } END { printf "%.2f", s / t }'
}

echo "replica: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
usage_setup_sql | q "$P"
L0=$(q "$P" -c "select pg_current_wal_insert_lsn()")
t0=$(now)
usage_events_sql "$EVENTS" | q "$P"
t1=$(now)
L1=$(q "$P" -c "select pg_current_wal_insert_lsn()")
WAL=$(q "$P" -c "select pg_wal_lsn_diff('$L1', '$L0')::bigint")
behind=$(q "$R" -c "select pg_wal_lsn_diff('$L1', pg_last_wal_replay_lsn())::bigint")
while [ "$(q "$R" -c "select pg_last_wal_replay_lsn() >= '$L1'")" != t ]; do
	sleep 0.01
done
t2=$(now)
q "$P" -c "vacuum analyze usage_events" -c "vacuum analyze models" \
    -c "vacuum analyze app_users"
SIZE=$(q "$P" -c "select sum(pg_total_relation_size(c.oid))
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'usage_events'::regclass")
LOAD=$(secs "$t0" "$t1")
CATCH=$(secs "$t1" "$t2")
echo "replica: $EVENTS usage events loaded on the primary in $LOAD s," \
    "$(awk -v w="$WAL" 'BEGIN { printf "%.0f", w / 1048576 }') MB of WAL"
echo "    usage_events with its indexes:" \
    "$(awk -v b="$SIZE" -v n="$EVENTS" 'BEGIN { printf "%.0f MB, %.0f bytes an event", b / 1048576, b / n }')," \
    "WAL $(awk -v w="$WAL" -v n="$EVENTS" 'BEGIN { printf "%.0f", w / n }') bytes an event"
echo "    the standby was $(awk -v b="$behind" 'BEGIN { printf "%.1f", b / 1048576 }') MB behind at the commit and caught up $CATCH s after it" \
    "($(awk -v w="$WAL" -v s="$t2" -v a="$t0" 'BEGIN { printf "%.0f", w / 1048576 / (s - a) }') MB/s of WAL from the load's start)"

# wait until every vacuum is replayed too: both runs read the same rows
L2=$(q "$P" -c "select pg_current_wal_insert_lsn()")
while [ "$(q "$R" -c "select pg_last_wal_replay_lsn() >= '$L2'")" != t ]; do
	sleep 0.01
done
AS_OF=2026-11-29T06:00:00Z
: >"$WORK/t.p"; : >"$WORK/t.s"; : >"$WORK/c.pp"; : >"$WORK/c.sp"; : >"$WORK/c.ss"
r=1
while [ "$r" -le "$RUNS" ]; do
	rm -rf "$WORK/op" "$WORK/os"
	c0=$(cpu pg)
	t0=$(now)
	"$BINDIR/tally-model-stats" --as-of "$AS_OF" --out "$WORK/op" \
	    >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
	t1=$(now)
	c1=$(cpu pg)
	s0=$(cpu replica)
	env TALLY_READ_DATABASE_URL="$R" "$BINDIR/tally-model-stats" \
	    --as-of "$AS_OF" --out "$WORK/os" >/dev/null 2>"$WORK/err" ||
	    { cat "$WORK/err" >&2; exit 1; }
	t2=$(now)
	c2=$(cpu pg)
	s1=$(cpu replica)
	diff -r "$WORK/op" "$WORK/os" >/dev/null ||
	    { echo "replica: the two reports differ" >&2; exit 1; }
	echo "$(secs "$t0" "$t1")" >>"$WORK/t.p"
	echo "$(secs "$t1" "$t2")" >>"$WORK/t.s"
	echo "$(secs "$c0" "$c1")" >>"$WORK/c.pp"
	echo "$(secs "$c1" "$c2")" >>"$WORK/c.sp"
	echo "$(secs "$s0" "$s1")" >>"$WORK/c.ss"
	echo "    run $r: primary $(tail -1 "$WORK/t.p") s, standby $(tail -1 "$WORK/t.s") s"
	r=$((r + 1))
done
TP=$(grep . "$WORK/t.p" | median); TS=$(grep . "$WORK/t.s" | median)
echo "replica: tally-model-stats, default period (a day), $EVENTS events (median of $RUNS; outputs byte-identical)"
echo "    read on the primary:  $TP s; the primary's CPU $(grep . "$WORK/c.pp" | median) s"
echo "    read on the standby:  $TS s; the primary's CPU $(grep . "$WORK/c.sp" | median) s, the standby's $(grep . "$WORK/c.ss" | median) s"
echo "    standby / primary: $(awk -v s="$TS" -v p="$TP" 'BEGIN { printf "%.2f", s / p }')x"
echo "replica: load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
