#!/bin/sh
# reconcile.sh BINDIR [O] - benchmark tally-reconcile.
#
# ROWS (default 1,000,000) Stripe settlement rows against ROWS payments.
# The database (generated in SQL) holds ROWS paid credit-package orders,
# their payments, credit grants and fulfilments, spread over November 2026;
# the settlement file (bench/reconcile/gensettlement.awk) has a charge row
# for each payment and a payout row per day, and plants 10 payments the
# file lacks, 10 settled amounts that differ and 10 charges nobody
# notified (one of each per 100,000 rows), so every run must find exactly
# those 30 cases.
#
# Each of RUNS runs (default 3) starts from the same state (settlement
# rows and cases emptied), runs tally-reconcile over November with the
# file, checks the exit status (1: cases found), the cases and the rows,
# and records wall time and the client's peak RSS (/usr/bin/time -v).
# Prints the median, and the ratio to a baseline measured in the same run:
# psql \copy of the same file into an unlogged table of text columns, the
# floor of getting those bytes into PostgreSQL at all.  Memory: the same
# run with a SMALL-row file (default 100,000) must peak within 8 MiB of
# the big one (RSS flat in the file size).
# Target: <= TARGET seconds (default 60).  Exit 1 if a check or the target
# fails.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ROWS=${ROWS:-1000000}
SMALL=${SMALL:-100000}
TARGET=${TARGET:-60}

bench_home rec
export TALLY_DATABASE_URL="$URL"
export PGOPTIONS="-c client_min_messages=warning"
psql_q() {
	psql -X -q -v ON_ERROR_STOP=1 -At "$TALLY_DATABASE_URL" "$@"
}

[ "$HAVE_TIME" = 1 ] ||
	echo "bench reconcile: no /usr/bin/time (Debian package 'time'): no RSS"

echo "bench reconcile: generating $ROWS orders, payments, grants and fulfilments"
t0=$(now)
psql_q <<EOF
insert into products (id, sku, name, kind, credits, price_minor, currency)
overriding system value values (1, 'CRED100', '100 credits', 'CREDITS', 100, 1000, 'USD');
insert into app_users (external_id, email)
select 'u_' || g, 'u' || g || '@bench.test' from generate_series(1, 10000) g;
-- one payment every 2.5 s from 2026-11-01: ROWS of them fit in November
create unlogged table bench_ord as
select g as i, timestamptz '2026-11-01 00:00:00+00' + g * interval '2.5 s' as at
  from generate_series(1, $ROWS) g;
insert into orders (id, source, provider_ref, product_id, amount_minor, currency,
    status, paid_at, created_at, updated_at)
overriding system value
select i, 'stripe', 'pi_' || i, 1, 1000, 'USD', 'PAID', at, at, at from bench_ord;
insert into payments (id, order_id, source, provider_payment_id, amount_minor,
    currency, status, paid_at, created_at)
overriding system value
select i, i, 'stripe', 'pi_' || i, 1000, 'USD', 'SUCCEEDED', at, at from bench_ord;
insert into credit_ledger (id, user_id, delta, kind, ref, order_id, created_at)
overriding system value
select i, 1 + i % 10000, 100, 'PURCHASE', 'order:' || i, i, at + interval '1 min'
  from bench_ord;
insert into fulfilments (id, order_id, kind, ledger_id, created_at)
overriding system value
select i, i, 'CREDITS', i, at + interval '1 min' from bench_ord;
drop table bench_ord;
vacuum analyze;
EOF
awk -v rows="$ROWS" -f "$HERE/reconcile/gensettlement.awk" >"$WORK/big.csv"
awk -v rows="$SMALL" -f "$HERE/reconcile/gensettlement.awk" >"$WORK/small.csv"
echo "bench reconcile: generated in $(echo "$t0 $(now)" | awk '{ printf "%.0f", $2 - $1 }') s;" \
    "file $(wc -l <"$WORK/big.csv") lines, $(du -m "$WORK/big.csv" | cut -f1) MiB"

reset_state() {
	psql_q -c "truncate settlement_rows, reconcile_cases, reconcile_runs" \
	    -c "vacuum analyze settlement_rows, reconcile_cases, reconcile_runs"
}

# what every big run must have found and stored
check_big() {
	_got=$(psql_q -c "select string_agg(category || '=' || n, ' ' order by category)
	    from (select category, count(*) n from reconcile_cases
	           where status = 'OPEN' group by category) x")
	_k=$((ROWS / 100000))
	_want="AMOUNT_MISMATCH=$_k MISSING_IN_SETTLEMENT=$_k MISSING_WEBHOOK=$_k"
	if [ "$_got" != "$_want" ]; then
		echo "bench: cases: got '$_got', want '$_want'" >&2
		exit 1
	fi
	_n=$(psql_q -c "select count(*) from settlement_rows where kind = 'charge'")
	if [ "$_n" != "$ROWS" ]; then
		echo "bench: $_n charge rows stored, want $ROWS" >&2
		exit 1
	fi
	_m=$(psql_q -c "select count(*) from settlement_rows where payment_id is not null")
	if [ "$_m" != "$((ROWS - _k))" ]; then
		echo "bench: $_m rows matched, want $((ROWS - _k))" >&2
		exit 1
	fi
}

REC="$BINDIR/tally-reconcile --from 2026-11-01 --to 2026-12-01 --as-of 2026-12-05T00:00:00Z -o $WORK/out"

# baseline: the bytes into PostgreSQL, nothing else
: >"$WORK/base.times"
i=1
while [ "$i" -le "$RUNS" ]; do
	psql_q -c "drop table if exists bench_raw" -c "create unlogged table bench_raw (
	    balance_transaction_id text, created_utc text, available_on_utc text,
	    currency text, gross text, fee text, net text, reporting_category text,
	    source_id text, payment_intent_id text, charge_id text,
	    automatic_payout_id text, description text)"
	timed 0 "$WORK/base$i" psql -X -q -v ON_ERROR_STOP=1 "$TALLY_DATABASE_URL" \
	    -c "\\copy bench_raw from '$WORK/big.csv' with (format csv, header true)"
	echo "$SECS" >>"$WORK/base.times"
	i=$((i + 1))
done
psql_q -c "drop table bench_raw"

: >"$WORK/rec.times"
: >"$WORK/rec.rss"
i=1
while [ "$i" -le "$RUNS" ]; do
	reset_state
	# shellcheck disable=SC2086
	timed 1 "$WORK/rec$i" $REC --settlement "$WORK/big.csv"
	check_big
	echo "bench reconcile: run $i: ${SECS} s, peak RSS ${RSS} KiB"
	echo "$SECS" >>"$WORK/rec.times"
	echo "$RSS" >>"$WORK/rec.rss"
	i=$((i + 1))
done
# the same file again: every row is already there and unchanged
# shellcheck disable=SC2086
timed 1 "$WORK/again" $REC --settlement "$WORK/big.csv"
check_big
AGAIN=$SECS
AGAIN_RSS=$RSS
# the small file, for the memory comparison
reset_state
# shellcheck disable=SC2086
timed 1 "$WORK/small" $REC --settlement "$WORK/small.csv"
SMALL_SECS=$SECS
SMALL_RSS=$RSS

BASE=$(median <"$WORK/base.times")
MED=$(median <"$WORK/rec.times")
MRSS=$(median <"$WORK/rec.rss")
echo "bench reconcile: $ROWS settlement rows vs $ROWS payments, median of $RUNS runs"
echo "  tally-reconcile (load, match, 19 categories, cases, report): ${MED} s" \
    "($(echo "$ROWS $MED" | awk '{ printf "%.0f", $1 / $2 }') rows/s)," \
    "peak RSS $((MRSS / 1024)) MiB"
# printf, not echo: dash's echo would read "\c" as "stop here"
printf '  baseline psql \\copy of the same file into an unlogged text table: %s s; ratio %sx\n' \
    "$BASE" "$(echo "$MED $BASE" | awk '{ printf "%.1f", $1 / $2 }')"
echo "  rerun with the same file (all rows unchanged): ${AGAIN} s, peak RSS" \
    "$((AGAIN_RSS / 1024)) MiB"
echo "  $SMALL-row file: ${SMALL_SECS} s, peak RSS $((SMALL_RSS / 1024)) MiB" \
    "(vs $((MRSS / 1024)) MiB for $ROWS rows)"
echo "  log of the last big run:"
sed 's/^/    /' "$WORK/again.err" | grep -v ' info: [A-Z_]*: ' || true
fail=0
if awk -v m="$MED" -v t="$TARGET" 'BEGIN { exit !(m > t) }'; then
	echo "bench reconcile: FAIL: median ${MED} s is over the ${TARGET} s target"
	fail=1
fi
if [ "$HAVE_TIME" = 1 ] && [ $((MRSS - SMALL_RSS)) -gt 8192 ]; then
	echo "bench reconcile: FAIL: memory grows with the file" \
	    "(${SMALL_RSS} KiB -> ${MRSS} KiB)"
	fail=1
fi
[ "$fail" = 0 ] && echo "bench reconcile: target met (<= ${TARGET} s, memory flat)"
exit "$fail"
