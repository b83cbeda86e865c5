#!/bin/sh
# report.sh BINDIR [O] - benchmark the report engine (make bench).
#
# 1. tally-model-stats over 10 million usage events (generated in SQL with
#    generate_series: 12 models, 20,000 users, 28 days of November 2026,
#    2% errors), run as its daily timer runs it: the default period (the
#    previous day, ~357,000 events), whose "Peak hours" and "Calls by
#    hour" sheets read the week before (~2.5 million events) and whose
#    last-access lookups go through every model's index, against the
#    same seven queries run by psql in the same kind of transaction
#    (REPEATABLE READ READ ONLY, the engine's session settings, JIT off
#    included, PREPARE + EXECUTE with the same typed parameters) with its
#    output sent to /dev/null.  Target: <= 1.3x.
# 2. One XLSX sheet of 1,000,000 rows x 10 columns (numbers, text,
#    datetimes, money, booleans, percentages) written three ways, same
#    cells, same formats:
#      engine  bench/report/xlsx_engine.c: lib/report/engine.c reading the rows
#              from PostgreSQL (generate_series) in single-row mode
#      limit   bench/report/xlsx_limit.c: the cells generated in C and
#              written straight with libxlsxwriter, constant_memory
#      python  bench/report/xlsx_python.py: Debian's python3-xlsxwriter,
#              constant_memory
#    Targets: engine >= 0.8x the limit's speed, >= 3.5x Python's, peak RSS
#    <= 64 MB.
# Every figure is the median of RUNS runs (default 3; the three writers
# take turns within a round so machine noise hits them alike), with peak
# RSS from /usr/bin/time -v (the client process; the server's memory is
# PostgreSQL's).  Sizes: REPORT_EVENTS (default 10000000) and
# REPORT_ROWS (default 1000000) scale it down; the full run takes about
# ten minutes on 2 cores.  Exit 1 if a run fails or a target is missed.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TOP=$(cd "$HERE/.." && pwd)
O=$(cd "${2:-$TOP/build/release}" && pwd)
EVENTS=${REPORT_EVENTS:-10000000}
ROWS=${REPORT_ROWS:-1000000}
PY=/usr/bin/python3

BENCH_DIGITS=2
bench_home report

for need in "$O/libtally.a" "$BINDIR/tally-model-stats" "$BINDIR/tallyctl"; do
	[ -e "$need" ] || { echo "bench report: $need missing: make first" >&2; exit 1; }
done
if ! "$PY" -c 'import xlsxwriter' 2>/dev/null; then
	echo "bench report: $PY cannot import xlsxwriter (make deps-bench)" >&2
	exit 1
fi

# the two C programs, with the project's flags
CFLAGS="-std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -include $TOP/lib/base/banned.h -I$TOP/lib -I$O"
PKGS="libpq xlsxwriter libmicrohttpd libcurl libcrypto jansson libsystemd"
# shellcheck disable=SC2046
cc $CFLAGS $(pkg-config --cflags $PKGS) -o "$WORK/xlsx_engine" \
    "$HERE/report/xlsx_engine.c" "$O/libtally.a" $(pkg-config --libs $PKGS) -lcsv -lm
# shellcheck disable=SC2046
cc $CFLAGS $(pkg-config --cflags xlsxwriter) -o "$WORK/xlsx_limit" \
    "$HERE/report/xlsx_limit.c" $(pkg-config --libs xlsxwriter)

psql_q() { psql -X -q -v ON_ERROR_STOP=1 -At "$URL" "$@"; }

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
fails=0
verdict() {
	# verdict WHAT VALUE OP TARGET
	if awk -v v="$2" -v t="$4" -v op="$3" 'BEGIN { exit !((op == "<=") ? v <= t : v >= t) }'; then
		echo "    $1: $2 (target $3 $4) ok"
	else
		echo "    $1: $2 (target $3 $4) MISSED"
		fails=$((fails + 1))
	fi
}

# the machine is shared: say how busy it was, since it moves every figure
echo "report: load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

# ---- part 1: model-stats over EVENTS usage events ---------------------
echo "report: generating $EVENTS usage events in SQL"
_t0=$(now)
{
	usage_setup_sql
	usage_events_sql "$EVENTS"
	echo "vacuum analyze usage_events;"
	echo "vacuum analyze models;"
	echo "vacuum analyze app_users;"
} | psql_q
_t1=$(now)
echo "report: loaded in $(echo "$_t0 $_t1" | awk '{ printf "%.0f", $2 - $1 }') s"

AS_OF=2026-11-29T06:00:00Z	# the default period: 2026-11-28 (UTC)
# the psql baseline: the same files, parameters and transaction
{
	echo "begin isolation level repeatable read read only;"
	# the session settings the engine uses (lib/report/engine.c: begin_snapshot)
	echo "select set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),"
	echo "  set_config('extra_float_digits', '1', true), set_config('jit', 'off', true);"
	i=0
	for f in "$TOP"/reports/model-stats/*.sql; do
		i=$((i + 1))
		echo "prepare s$i(timestamptz, timestamptz, timestamptz, text, jsonb) as"
		cat "$f"
		echo ";"
		echo "execute s$i('2026-11-28T00:00:00Z', '2026-11-29T00:00:00Z',"
		echo "    '$AS_OF', 'UTC', '{\"inactive_model_days\": 7}');"
	done
	echo "commit;"
} >"$WORK/psql.sql"

: >"$WORK/ms.engine" ; : >"$WORK/ms.psql" ; : >"$WORK/ms.rss"
r=1
while [ "$r" -le "$RUNS" ]; do
	rm -rf "$WORK/out"
	timed 0 "$WORK/ms-engine-$r" env TALLY_DATABASE_URL="$URL" \
	    "$BINDIR/tally-model-stats" --as-of "$AS_OF" --tz UTC --out "$WORK/out"
	echo "$SECS" >>"$WORK/ms.engine"
	echo "$RSS" >>"$WORK/ms.rss"
	timed 0 "$WORK/ms-psql-$r" psql -X -q -v ON_ERROR_STOP=1 -o /dev/null \
	    -f "$WORK/psql.sql" "$URL"
	echo "$SECS" >>"$WORK/ms.psql"
	echo "    run $r: engine $(tail -1 "$WORK/ms.engine") s, psql $SECS s"
	r=$((r + 1))
done
E=$(median <"$WORK/ms.engine")
P=$(median <"$WORK/ms.psql")
RSS_MS=$(median <"$WORK/ms.rss")
ROWS_OUT=$(awk '/"rows":/ { gsub(/[^0-9]/, ""); s += $0 } END { print s }' \
    "$WORK"/out/*.manifest.json)
echo "report: tally-model-stats, $EVENTS events, default period (a day), $ROWS_OUT rows out (median of $RUNS)"
echo "    engine (xlsx + 7 csv + manifest) $E s, peak RSS $(mb "$RSS_MS") MB"
echo "    psql -o /dev/null (same queries)  $P s"
verdict "engine / psql" "$(awk -v e="$E" -v p="$P" 'BEGIN { printf "%.2f", e / p }')" "<=" 1.3

# ---- part 2: XLSX writing, 1M rows x 10 columns ------------------------
: >"$WORK/x.engine" ; : >"$WORK/x.limit" ; : >"$WORK/x.python"
: >"$WORK/r.engine" ; : >"$WORK/r.limit" ; : >"$WORK/r.python"
r=1
while [ "$r" -le "$RUNS" ]; do
	rm -rf "$WORK/xout"
	mkdir -p "$WORK/xout"
	timed 0 "$WORK/x-engine-$r" env TALLY_DATABASE_URL="$URL" \
	    "$WORK/xlsx_engine" "$WORK/xout" "$ROWS"
	echo "$SECS" >>"$WORK/x.engine"; echo "$RSS" >>"$WORK/r.engine"
	_e=$SECS
	timed 0 "$WORK/x-limit-$r" "$WORK/xlsx_limit" "$WORK/xout/limit.xlsx" "$ROWS"
	echo "$SECS" >>"$WORK/x.limit"; echo "$RSS" >>"$WORK/r.limit"
	_l=$SECS
	timed 0 "$WORK/x-python-$r" "$PY" "$HERE/report/xlsx_python.py" \
	    "$WORK/xout/python.xlsx" "$ROWS"
	echo "$SECS" >>"$WORK/x.python"; echo "$RSS" >>"$WORK/r.python"
	echo "    run $r: engine $_e s, limit $_l s, python $SECS s"
	r=$((r + 1))
done
# the three files hold the same cells: compare a sample read back
"$PY" - "$WORK/xout/bench-2026-11-01.xlsx" "$WORK/xout/limit.xlsx" \
    "$WORK/xout/python.xlsx" <<'EOF' || { echo "bench report: the three workbooks differ" >&2; exit 1; }
import sys
import openpyxl
rows = []
for path in sys.argv[1:]:
    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows.append([[c.value for c in r] for r in ws.iter_rows(max_row=2000)])
# the engine writes human headers ("Started at") where the two baselines
# write the column names: compare headers by name, then every value
def name(h):
    return str(h).strip().lower().replace(" ", "_")
for other in rows[1:]:
    if [name(h) for h in rows[0][0]] != [name(h) for h in other[0]]:
        print("headers differ:", rows[0][0], other[0])
        sys.exit(1)
    for a, b in zip(rows[0][1:], other[1:]):
        for x, y in zip(a, b):
            if x != y and not (isinstance(x, float) and abs(x - y) < 1e-6):
                print("differ:", a, b)
                sys.exit(1)
EOF
XE=$(median <"$WORK/x.engine"); XL=$(median <"$WORK/x.limit"); XP=$(median <"$WORK/x.python")
RE=$(median <"$WORK/r.engine"); RL=$(median <"$WORK/r.limit"); RP=$(median <"$WORK/r.python")
echo "report: XLSX $ROWS rows x 10 columns (median of $RUNS)"
echo "    engine  $XE s  ($(awk -v n="$ROWS" -v s="$XE" 'BEGIN { printf "%.0f", n / s }') rows/s)  peak RSS $(mb "$RE") MB"
echo "    limit   $XL s  ($(awk -v n="$ROWS" -v s="$XL" 'BEGIN { printf "%.0f", n / s }') rows/s)  peak RSS $(mb "$RL") MB"
echo "    python  $XP s  ($(awk -v n="$ROWS" -v s="$XP" 'BEGIN { printf "%.0f", n / s }') rows/s)  peak RSS $(mb "$RP") MB"
echo "    limit / python: $(awk -v l="$XL" -v p="$XP" 'BEGIN { printf "%.2f", p / l }')x"
verdict "engine speed / limit's" "$(awk -v e="$XE" -v l="$XL" 'BEGIN { printf "%.2f", l / e }')" ">=" 0.8
verdict "engine speed / python's" "$(awk -v e="$XE" -v p="$XP" 'BEGIN { printf "%.2f", p / e }')" ">=" 3.5
echo "report: load average at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
verdict "engine peak RSS (MB)" "$(mb "$RE")" "<=" 64
verdict "model-stats peak RSS (MB)" "$(mb "$RSS_MS")" "<=" 64
[ "$fails" -eq 0 ]
