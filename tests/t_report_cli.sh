#!/bin/sh
# t_report_cli.sh - the report programs as an administrator or a systemd
# unit runs them: options, default periods, exit codes (64 usage, 69
# database unavailable, 73 cannot create output), dry runs that write
# nothing, outputs printed on stdout, TALLY_TZ and the config file, and a
# job_runs row for every run that reached the database.
# Run by tests/run.sh (TALLY_BINDIR, TALLY_DATABASE_URL, TALLY_CONFIG set).
set -u
: "${TALLY_BINDIR:?run under tests/run.sh}"
: "${TALLY_DATABASE_URL:?run under tests/run.sh}"
MS="$TALLY_BINDIR/tally-model-stats"
WK="$TALLY_BINDIR/tally-weekly-report"
MR="$TALLY_BINDIR/tally-monthly-review"
. "$(dirname "$0")/support/tap.sh"
tap_start t_report_cli


check "--help" 0 "$MS" --help
has "--help lists --days" "$T/out" "--days N"
check "--version" 0 "$MS" --version
has "--version prints the version" "$T/out" "tally-model-stats 0."
check "weekly has no --days" 64 "$WK" --days 3
check "unknown option" 64 "$MS" --bogus
check "missing option value" 64 "$MS" --week
check "stray argument" 64 "$MS" extra
check "impossible week" 64 "$MS" --week 2026-W99
has "the bad week is named" "$T/err" "2026-W99"
check "two periods" 64 "$MS" --week 2026-W01 --month 2026-01
check "--from without --to" 64 "$MS" --from 2026-01-01
check "unknown zone" 64 "$MS" --tz Mars/Olympus
check "bad --as-of" 64 "$MS" --as-of yesterday
check "bad --format" 64 "$MS" --format pdf
check "bad --days" 64 "$MS" --days 0
check "database unavailable" 69 env \
    TALLY_DATABASE_URL="host=$T/nowhere port=5432 dbname=x user=tally" \
    "$MS" --out "$T/never"
[ ! -e "$T/never" ] && ok "nothing written without a database" ||
    notok "output written without a database"

# dry run: counts on stdout, nothing on disk, no job_runs row
before=$(sql "select count(*) from job_runs")
check "dry run" 0 "$MS" --dry-run --as-of 2026-11-17T06:00:00Z --out "$T/dry"
has "dry run prints sheet row counts" "$T/out" "$(printf 'Daily totals\t0')"
[ ! -e "$T/dry" ] && ok "dry run writes no file" || notok "dry run wrote files"
[ "$(sql "select count(*) from job_runs")" = "$before" ] &&
    ok "dry run leaves no job_runs row" || notok "dry run left a job_runs row"

# a real run: default period is the previous day in the report zone
check "model-stats" 0 "$MS" --as-of 2026-11-17T06:00:00Z --out "$T/out1"
has "prints the workbook path" "$T/out" "$T/out1/model-stats-2026-11-16.xlsx"
has "prints the manifest path" "$T/out" \
    "$T/out1/model-stats-2026-11-16.manifest.json"
[ "$(wc -l <"$T/out")" -eq 9 ] && ok "xlsx, 7 CSVs and a manifest" ||
    notok "expected 9 outputs, got $(wc -l <"$T/out")"
for f in $(cat "$T/out"); do
	[ -s "$f" ] || notok "output $f missing"
done
[ "$(sql "select status || ' ' || (counts->'rows'->>'Calls by hour') from job_runs where program = 'tally-model-stats' order by id desc limit 1")" = "OK 24" ] &&
    ok "job_runs row OK with row counts" || notok "job_runs row for the run"

# TALLY_TZ cuts the day; --tz wins over it
check "TALLY_TZ" 0 env TALLY_TZ=Asia/Tokyo "$MS" --as-of 2026-11-17T06:00:00Z \
    --out "$T/tokyo" --format csv
has "the Tokyo day" "$T/out" "model-stats-2026-11-16-daily-totals.csv"
has "the manifest names the zone" \
    "$T/tokyo/model-stats-2026-11-16.manifest.json" '"tz": "Asia/Tokyo"'
has "the Tokyo day starts at 15:00Z" \
    "$T/tokyo/model-stats-2026-11-16.manifest.json" '"start": "2026-11-15T15:00:00Z"'
check "--tz over TALLY_TZ" 0 env TALLY_TZ=Asia/Tokyo "$MS" --tz UTC \
    --as-of 2026-11-17T06:00:00Z --out "$T/utc" --format xlsx
has "UTC zone used" "$T/utc/model-stats-2026-11-16.manifest.json" '"tz": "UTC"'
[ ! -e "$T/utc/model-stats-2026-11-16-models.csv" ] &&
    ok "--format xlsx writes no CSV" || notok "--format xlsx wrote a CSV"
check "--days" 0 "$MS" --days 7 --as-of 2026-11-17T00:00:00Z --out "$T/days" \
    --format csv
has "--days at midnight is a range of whole days" "$T/out" \
    "model-stats-2026-11-10_2026-11-16-daily-totals.csv"

# the configuration's report_dir and time zone
printf 'report_dir = %s/fromconf\ntz = Europe/Berlin\n' "$T" >"$T/tally.conf"
check "config file" 0 "$MS" -c "$T/tally.conf" --as-of 2026-11-17T06:00:00Z
has "report_dir from the config" "$T/out" "$T/fromconf/model-stats-2026-11-16.xlsx"
has "tz from the config" "$T/fromconf/model-stats-2026-11-16.manifest.json" \
    '"start": "2026-11-15T23:00:00Z"'
printf 'tz = Nowhere/City\n' >"$T/bad.conf"
check "a bad zone in the config" 78 "$MS" -c "$T/bad.conf"
check "a missing config" 78 "$MS" -c "$T/none.conf"

# cannot create the output: 73, and the run is recorded as FAILED
check "unwritable output" 73 "$MS" --as-of 2026-11-17T06:00:00Z --out /proc/tally-x
[ "$(sql "select status from job_runs where program = 'tally-model-stats' order by id desc limit 1")" = "FAILED" ] &&
    ok "job_runs row FAILED" || notok "job_runs row FAILED"
has "the error says what" "$T/err" "cannot create the output directory"

# the weekly and monthly programs: their default periods
check "weekly dry run" 0 "$WK" --dry-run --as-of 2026-11-17T06:00:00Z
check "weekly" 0 "$WK" --as-of 2026-11-17T06:00:00Z --out "$T/wk" --format csv
has "weekly defaults to the previous ISO week" "$T/out" \
    "$T/wk/weekly-2026-W46.manifest.json"
check "monthly" 0 "$MR" --as-of 2026-11-17T06:00:00Z --out "$T/mr" --format xlsx
has "monthly defaults to the previous month" "$T/out" \
    "$T/mr/monthly-2026-10.xlsx"
check "explicit week crossing a month" 0 "$WK" --week 2026-W44 --tz Europe/Berlin \
    --as-of 2026-11-17T06:00:00Z --out "$T/wk44" --format csv
has "W44 in Berlin starts 25 Oct 23:00Z" "$T/wk44/weekly-2026-W44.manifest.json" \
    '"start": "2026-10-25T23:00:00Z"'
has "and ends 1 Nov 23:00Z" "$T/wk44/weekly-2026-W44.manifest.json" \
    '"end": "2026-11-01T23:00:00Z"'

tap_done
