#!/bin/sh
# t_replica.sh - issue 16 against a real streaming standby: a cluster of
# its own (tallyctl db up) and its embedded standby (tallyctl db replica
# up: pg_basebackup -R over the unix socket, no TCP port), both on unix
# sockets under a temporary TALLY_HOME.
#
#   - the same report at the same --as-of from the standby and from the
#     primary is byte-identical (weekly report, monthly review,
#     model-stats), and the
#     standby runs' job_runs rows are on the primary;
#   - reconcile matches on the standby: the cases land on the primary, and
#     a run on the primary at the same as-of finds exactly those again;
#   - with replay paused (pg_wal_replay_pause()) and new usage on the
#     primary, a later --as-of exits 75 with the lag in the message and
#     records nothing (read_lag_wait 0 and 1); the default as-of is then
#     the last replayed commit; resumed, the same --as-of waits for the
#     replay and equals the primary's report;
#   - idle and caught up, the default as-of is the primary's now();
#   - tallyctl status shows the standby's lag; a read database that is
#     not a copy of the primary is refused (78).
# Deterministic: no sleep; every wait is for a state (the programs poll
# the replay position themselves; pg_get_wal_replay_pause_state() and the
# replay position are polled here), bounded, and nothing asserts a
# duration.  Autovacuum is off on this cluster so nothing commits behind
# the test's back.
set -u
: "${TALLY_BINDIR:?run under tests/run.sh}"
B="$TALLY_BINDIR"
TOP=$(cd "$(dirname "$0")/.." && pwd)
FX="$TOP/tests/fixtures"
unset TALLY_DATABASE_URL TALLY_READ_DATABASE_URL TALLY_READ_LAG_WAIT
. "$TOP/tests/support/tap.sh"
tap_start t_replica
chmod 755 "$T"
export TALLY_HOME="$T/h" TALLY_CONFIG=/dev/null TALLY_TZ=UTC
cleanup() {
	"$B/tallyctl" db down >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

same() {
	if diff -r "$2" "$3" >"$T/diff" 2>&1; then ok "$1"; else
		notok "$1"
		head -20 "$T/diff" | sed 's/^/    /'
	fi
}

if ! "$B/tallyctl" db up >"$T/up.log" 2>&1; then
	cat "$T/up.log"
	exit 1
fi
P=$("$B/tallyctl" db url)
R=$("$B/tallyctl" db replica url)
P2=$(echo "$P" | sed 's/dbname=tally/dbname=rc/')
R2=$(echo "$R" | sed 's/dbname=tally/dbname=rc/')
P3=$(echo "$P" | sed 's/dbname=tally/dbname=mr/')
R3=$(echo "$R" | sed 's/dbname=tally/dbname=mr/')
ADMIN=$(echo "$P" | sed 's/dbname=tally/dbname=postgres/')
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
now_utc="select to_char(clock_timestamp() at time zone 'UTC',
    'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
q "$ADMIN" -c "alter system set autovacuum = off" -c "select pg_reload_conf()" \
    >/dev/null
# a second database for reconcile's fixtures, whose ids are the reports'
q "$ADMIN" -c "create database rc" >/dev/null
TALLY_DATABASE_URL="$P2" "$B/tallyctl" migrate >/dev/null 2>&1 ||
    notok "migrate rc"
# and a third for the monthly review's half year, whose ids clash with both
q "$ADMIN" -c "create database mr" >/dev/null
TALLY_DATABASE_URL="$P3" "$B/tallyctl" migrate >/dev/null 2>&1 ||
    notok "migrate mr"

# ---- the embedded standby ----
check "db replica up makes and starts a standby" 0 "$B/tallyctl" db replica up
has "it was copied with pg_basebackup" "$T/err" "copying the embedded cluster"
is "db replica url names its socket" "$R" \
    "host=$T/h/replica/run port=5432 dbname=tally user=tally"
[ -S "$T/h/replica/run/.s.PGSQL.5432" ] &&
    grep -q "^listen_addresses = ''" "$T/h/replica/data/tally.conf" &&
    ok "unix socket only" || notok "the standby listens elsewhere"
is "it is in recovery" "$(q "$R" -c "select pg_is_in_recovery()")" t
check "db replica up again is harmless" 0 "$B/tallyctl" db replica up
has "... and says it runs" "$T/err" "already running"
check "db status lists it" 0 "$B/tallyctl" db status
has "... as running" "$T/out" "embedded standby (PostgreSQL"
check "db replica up refuses another server's URL" 64 env \
    TALLY_DATABASE_URL="$P" "$B/tallyctl" db replica up

# ---- the same report from the standby and the primary ----
q "$P" -f "$FX/reports/weekly_basic.sql" >/dev/null
q "$P2" -f "$FX/reconcile/lib.sql" -f "$FX/reconcile/clean.sql" \
    -f "$FX/reconcile/planted.sql" >/dev/null
A=$(q "$P" -c "$now_utc")
WEEK="--week 2026-W13 --tz Europe/Berlin --as-of $A"
check "weekly report from the standby (waits for the fixture's replay)" 0 \
    env TALLY_READ_DATABASE_URL="$R" "$B/tally-weekly-report" $WEEK \
    --out "$T/w-standby"
is "its job_runs row is on the primary" "$(q "$P" -c "select count(*)
    from job_runs where program = 'tally-weekly-report' and status = 'OK'
    and as_of = '$A'")" 1
check "weekly report from the primary" 0 "$B/tally-weekly-report" $WEEK \
    --out "$T/w-primary"
same "the two weekly reports are byte-identical" "$T/w-standby" "$T/w-primary"
MS="--from 2026-03-23 --to 2026-03-29 --tz UTC"
check "model-stats from the standby" 0 env TALLY_READ_DATABASE_URL="$R" \
    "$B/tally-model-stats" $MS --as-of "$A" --out "$T/m-standby"
check "model-stats from the primary" 0 "$B/tally-model-stats" $MS \
    --as-of "$A" --out "$T/m-primary"
same "the two model-stats are byte-identical" "$T/m-standby" "$T/m-primary"
q "$P3" -f "$FX/reports/monthly_basic.sql" >/dev/null
A4=$(q "$P3" -c "$now_utc")
MONTH="--month 2026-03 --tz Europe/Berlin --as-of $A4"
check "monthly review from the standby (waits for the fixture's replay)" 0 \
    env TALLY_DATABASE_URL="$P3" TALLY_READ_DATABASE_URL="$R3" \
    "$B/tally-monthly-review" $MONTH --out "$T/mr-standby"
is "its job_runs row is on the primary" "$(q "$P3" -c "select count(*)
    from job_runs where program = 'tally-monthly-review' and status = 'OK'
    and as_of = '$A4'")" 1
check "monthly review from the primary" 0 env TALLY_DATABASE_URL="$P3" \
    "$B/tally-monthly-review" $MONTH --out "$T/mr-primary"
same "the two monthly reviews are byte-identical" "$T/mr-standby" \
    "$T/mr-primary"

# ---- reconcile: matching on the standby, cases on the primary ----
A2=$(q "$P2" -c "$now_utc")
RC="--from 2026-11-01 --to 2026-12-01 --settlement $FX/reconcile/planted_settlement.csv"
check "reconcile on the standby finds the planted problems (exit 1)" 1 env \
    TALLY_DATABASE_URL="$P2" TALLY_READ_DATABASE_URL="$R2" \
    "$B/tally-reconcile" $RC --as-of "$A2" -o "$T/rc1"
# one case per planted problem (tests/test_reconcile.c lists them)
N=$(q "$P2" -c "select count(*) from reconcile_cases where status = 'OPEN'")
[ "$N" -gt 0 ] && ok "its cases are on the primary ($N)" ||
    notok "no case on the primary"
is "its run is recorded there" "$(q "$P2" -c "select r.status || ' ' ||
    r.found || ' ' || j.status from reconcile_runs r join job_runs j
    on j.id = r.job_run_id")" "PROBLEMS $N PROBLEMS"
check "reconcile on the primary at the same as-of" 1 env \
    TALLY_DATABASE_URL="$P2" "$B/tally-reconcile" $RC --as-of "$A2" \
    -o "$T/rc2"
is "... finds the same cases again, nothing new, nothing closed" \
    "$(q "$P2" -c "select string_agg(concat_ws(' ', counts->>'found',
    counts->>'opened', counts->>'closed'), ',' order by id)
    from job_runs where program = 'tally-reconcile'")" "$N $N 0,$N 0 0"
check "a read database of another database is refused" 78 env \
    TALLY_DATABASE_URL="$P2" TALLY_READ_DATABASE_URL="$R" \
    "$B/tally-reconcile" $RC --as-of "$A2" -o "$T/rc3"
has "... saying why" "$T/err" "the read database is database tally"

# ---- tallyctl status ----
check "tallyctl status (no receiver here: exit 1)" 1 env TALLY_READ_DATABASE_URL="$R" \
    "$B/tallyctl" status --json
has "it shows the standby streaming" "$T/out" '"name": "tally_replica"'
has "... with its bytes behind" "$T/out" '"behind_bytes": '
has "... and the read database" "$T/out" '"read_database": {'

# ---- replay paused: a later --as-of waits, then exits 75 ----
q "$R" -c "select pg_wal_replay_pause()" >/dev/null
i=0
while [ "$(q "$R" -c "select pg_get_wal_replay_pause_state()")" != paused ]; do
	i=$((i + 1))
	[ $i -lt 5000 ] || { notok "replay never paused"; exit 1; }
done
q "$P" -c "insert into usage_events (event_id, user_id, model_id, kind,
    started_at, duration_ms, credits, status) values ('late1', 1, 1, 'edit',
    '2026-03-26 12:00+00', 6000, 5, 'ok')" >/dev/null
A3=$(q "$P" -c "$now_utc")
runs() { q "$P" -c "select count(*) from job_runs"; }
before=$(runs)
check "a later --as-of with read_lag_wait 0 exits 75" 75 env \
    TALLY_READ_DATABASE_URL="$R" TALLY_READ_LAG_WAIT=0 \
    "$B/tally-model-stats" $MS --as-of "$A3" --out "$T/m-never"
has "... with the lag in the message" "$T/err" "s short of the as-of"
check "the same with read_lag_wait 1 (polls, then 75)" 75 env \
    TALLY_READ_DATABASE_URL="$R" TALLY_READ_LAG_WAIT=1 \
    "$B/tally-model-stats" $MS --as-of "$A3" --out "$T/m-never"
has "... after waiting" "$T/err" "waited 1 s (read_lag_wait)"
is "neither recorded a run" "$(runs)" "$before"
[ ! -e "$T/m-never" ] && ok "nor wrote a file" || notok "a file was written"
check "the default as-of on a lagging standby" 0 env \
    TALLY_READ_DATABASE_URL="$R" "$B/tally-model-stats" $MS --out "$T/m-lag"
is "... is its last replayed commit" "$(q "$P" -c "select as_of from job_runs
    order by id desc limit 1")" "$(q "$R" -c "select
    pg_last_xact_replay_timestamp()")"
# read there indeed: the primary has the new usage, the standby not yet
if diff -q "$T"/m-standby/*-per-model-per-day.csv \
    "$T"/m-lag/*-per-model-per-day.csv >/dev/null; then
	ok "... and its report has not the new usage: it read the standby"
else
	notok "the lagging standby's report has the new usage"
fi
q "$R" -c "select pg_wal_replay_resume()" >/dev/null
check "resumed, the same --as-of waits for the replay" 0 env \
    TALLY_READ_DATABASE_URL="$R" "$B/tally-model-stats" $MS --as-of "$A3" \
    --out "$T/m-late-standby"
check "... and the primary's report at that as-of" 0 \
    "$B/tally-model-stats" $MS --as-of "$A3" --out "$T/m-late-primary"
same "... is byte-identical" "$T/m-late-standby" "$T/m-late-primary"
if ! diff -q -r "$T/m-standby" "$T/m-late-standby" >/dev/null; then
	ok "... and has the new usage"
else
	notok "the report after the new usage did not change"
fi

# ---- idle and caught up: the default as-of is the primary's now ----
LSN=$(q "$P" -c "select pg_current_wal_insert_lsn()")
i=0
while [ "$(q "$R" -c "select pg_last_wal_replay_lsn() >= '$LSN'")" != t ]; do
	i=$((i + 1))
	[ $i -lt 5000 ] || { notok "the standby never caught up"; exit 1; }
done
T0=$(q "$P" -c "$now_utc")
check "the default as-of on a caught-up standby" 0 env \
    TALLY_READ_DATABASE_URL="$R" "$B/tally-model-stats" $MS --out "$T/m-idle"
is "... is the primary's now, not its last commit" "$(q "$P" -c "select
    as_of >= '$T0' from job_runs order by id desc limit 1")" t

# ---- down ----
check "db replica down stops it" 0 "$B/tallyctl" db replica down
[ ! -S "$T/h/replica/run/.s.PGSQL.5432" ] && ok "its socket is gone" ||
    notok "it still listens"
check "tallyctl status with the standby down" 1 "$B/tallyctl" status
has "it shows the slot holding WAL" "$T/out" "tally_replica no standby"
check "db replica down --drop removes it" 0 "$B/tallyctl" db replica down --drop
[ ! -e "$T/h/replica" ] && ok "its directory is gone" || notok "still there"
is "... and its slot" "$(q "$P" -c "select count(*) from pg_replication_slots")" 0
tap_done
