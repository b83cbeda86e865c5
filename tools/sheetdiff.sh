#!/bin/sh
# sheetdiff.sh URL REV FROM TO AS_OF [TZ [EXTRA]] - run every report sheet
# (reports/*/*.sql) as git has it at REV and as the working tree has it,
# over the database URL, and say which differ: the columns' names and
# types, or the rows.  For a change to the sheets or to the functions they
# call that must not change what the reports say.
#
# Each sheet runs as the report engine runs it (lib/report/engine.c): its
# parameters typed ($1 FROM, $2 TO, $3 AS_OF timestamptz, $4 TZ text, $5
# the default settings jsonb, $6 EXTRA text: reconcile's run id), in a
# read-only repeatable-read transaction with the engine's session
# settings.  The database must have the working tree's migrations (the
# sheets at REV run against them too).  Outputs are kept in a temporary
# folder, named on a difference.  Exit 0 when every sheet agrees, 1 when
# one differs or fails, 64 on bad usage.
set -eu
[ $# -ge 5 ] || { sed -n '2,4p' "$0" >&2; exit 64; }
URL=$1 REV=$2 FROM=$3 TO=$4 ASOF=$5 TZ=${6:-UTC} EXTRA=${7:-0}
SETTINGS='{"alert_seat_threshold":5,"alert_suspensions":3,"amount_tolerance":0,"ending_soon_days":7,"fulfil_sla_minutes":5,"inactive_model_days":7,"settlement_grace_days":2}'
OUT=$(mktemp -d /tmp/sheetdiff.XXXXXX)
ARGS="'$FROM', '$TO', '$ASOF', '$TZ', '$SETTINGS', '$EXTRA'"
SET="select set_config('TimeZone', '$TZ', true), set_config('DateStyle', 'ISO, YMD', true), set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true), set_config('jit', 'off', true) \\g /dev/null"

# run SQL_FILE OUT_FILE: the columns' names and types, then the rows (CSV)
run() {
	{
		echo "prepare s(timestamptz, timestamptz, timestamptz, text, jsonb, text) as"
		cat "$1"
		printf '\n;\n'
		# the types: a result kept in a table (which a read-only
		# transaction may not create)
		echo "begin; $SET"
		echo "create temp table t on commit drop as execute s($ARGS);"
		echo "\\pset format unaligned"
		echo "\\pset tuples_only on"
		echo "select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', '"
		echo "    order by attnum) from pg_attribute"
		echo "  where attrelid = 't'::regclass and attnum > 0;"
		echo "rollback;"
		echo "\\pset format csv"
		echo "\\pset tuples_only off"
		echo "begin isolation level repeatable read read only; $SET"
		echo "execute s($ARGS);"
		echo "rollback;"
	} | psql -X -q -v ON_ERROR_STOP=1 "$URL" >"$2" 2>&1 ||
		echo "FAILED" >>"$2"
}

differ=0
for f in reports/*/*.sql; do
	n=$(echo "$f" | tr / _)
	if git cat-file -e "$REV:$f" 2>/dev/null; then
		git show "$REV:$f" >"$OUT/$n.old.sql"
		run "$OUT/$n.old.sql" "$OUT/$n.old"
	else
		echo "new at $REV..: $f" >"$OUT/$n.old"
	fi
	run "$f" "$OUT/$n.new"
	if ! cmp -s "$OUT/$n.old" "$OUT/$n.new"; then
		echo "differs: $f ($OUT/$n.old, $OUT/$n.new)"
		differ=1
	elif grep -q '^FAILED$' "$OUT/$n.new"; then
		echo "fails both ways: $f ($OUT/$n.new)"
		differ=1
	fi
done
if [ "$differ" = 0 ]; then
	echo "sheetdiff: every sheet agrees with $REV"
	rm -rf "$OUT"
fi
exit "$differ"
