#!/bin/sh
# allocate.sh BINDIR [O] - benchmark tally-allocate and tally-expire.
#
# 100,000 paid seat orders (60% Stripe Checkout, 20% Midtrans settlement,
# 20% Xendit invoices, generated in SQL as raw_events) over a pool of 2,000
# accounts (1,900 with 55 seats, 100 single-user: 104,600 seats).  Each run
# uses a fresh copy of a migrated database, runs tally-allocate once (it
# normalises every event and fulfils every order), checks the result, then
# runs tally-expire at an as-of after every plan has ended and checks that
# every seat is back.  Prints orders/s, expiries/s and the peak RSS of each
# program (the client process; the server's memory is PostgreSQL's), the
# median of RUNS runs (default 3), and the ratio to a baseline measured in
# the same run: one INSERT ... SELECT of 100,000 assignments straight into
# the same pool through the same seat trigger (no events, no policy) - the
# floor of the seat write path on this machine.
# Target: >= 5,000 orders/s.  Exit 1 if a check or the target fails.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ORDERS=${ORDERS:-100000}
ACCOUNTS=${ACCOUNTS:-2000}
TARGET=${TARGET:-5000}

bench_home alloc
SOCK="$TALLY_HOME/pg/run"
url() { echo "host=$SOCK port=5432 dbname=$1 user=tally"; }
# (sh has no locals: helper variables get names the main loop does not use)
psql_db() {
	_pdb=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -At "$(url "$_pdb")" "$@"
}

setup_sql() {
	cat <<EOF
insert into products (sku, name, kind, duration_days, price_minor, currency)
values ('seat-30', 'Seat, 30 days', 'SEAT', 30, 1999, 'USD'),
       ('seat-30-idr', 'Seat, 30 days (IDR)', 'SEAT', 30, 15000000, 'IDR');
insert into pool_accounts (email, max_seats)
select 'pool' || g || '@bench.example',
       case when g <= $ACCOUNTS - $ACCOUNTS / 20 then 55 end
  from generate_series(1, $ACCOUNTS) g;
EOF
}

events_sql() {
	cat <<EOF
insert into raw_events (source, scheme, event_key, body, payload)
select e.scheme, e.scheme, 'bench-' || e.g, convert_to(e.p::text, 'UTF8'), e.p
  from (select g, s.scheme,
        case s.scheme
        when 'stripe' then jsonb_build_object('id', 'evt_' || g,
            'type', 'checkout.session.completed', 'api_version', '2024-06-20',
            'created', extract(epoch from now())::bigint,
            'data', jsonb_build_object('object', jsonb_build_object(
                'id', 'cs_' || g, 'object', 'checkout.session',
                'payment_intent', 'pi_' || g, 'payment_status', 'paid',
                'amount_total', 1999, 'currency', 'usd', 'mode', 'payment',
                'customer_details', jsonb_build_object(
                    'email', 'cust' || g || '@example.com', 'name', 'Customer ' || g),
                'metadata', jsonb_build_object('sku', 'seat-30'))))
        when 'midtrans' then jsonb_build_object(
            'transaction_status', 'settlement', 'fraud_status', 'accept',
            'order_id', 'ord-' || g, 'transaction_id', 'tx-' || g,
            'status_code', '200', 'gross_amount', '150000.00', 'currency', 'IDR',
            'payment_type', 'bank_transfer',
            'transaction_time', to_char(now() at time zone 'Asia/Jakarta',
                'YYYY-MM-DD HH24:MI:SS'),
            'settlement_time', to_char(now() at time zone 'Asia/Jakarta',
                'YYYY-MM-DD HH24:MI:SS'),
            'custom_field1', 'seat-30-idr', 'signature_key', repeat('0', 128),
            'customer_details', jsonb_build_object('email', 'cust' || g || '@example.com'))
        else jsonb_build_object('id', 'inv_' || g, 'external_id', 'ext-' || g,
            'user_id', 'u1', 'status', 'PAID', 'amount', 150000,
            'paid_amount', 150000, 'currency', 'IDR',
            'payer_email', 'cust' || g || '@example.com',
            'paid_at', to_char(now() at time zone 'UTC',
                'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'payment_method', 'BANK_TRANSFER', 'payment_channel', 'BCA',
            'metadata', jsonb_build_object('sku', 'seat-30-idr'))
        end as p
        from generate_series(1, $ORDERS) g
        cross join lateral (select case g % 5 when 0 then 'midtrans'
                                   when 1 then 'xendit' else 'stripe' end
                            as scheme) s) e;
EOF
}

# Midtrans and Xendit notifications are acted on only after the
# provider's status API has confirmed them (lib/books/confirm.c).  The
# bench has no provider to ask, so it records the answers the status API
# would give (the same facts the notification says), as if allocate had
# asked: what is timed is the allocation, not a round trip to a fake.
confirm_sql() {
	cat <<EOF
insert into provider_checks (raw_event_id, source, asked_at, outcome,
    http_status, answer)
select id, source, clock_timestamp(), 'ANSWERED', 200, payload
  from raw_events where scheme in ('midtrans', 'xendit');
EOF
}

check_allocated() {
	psql_db "$1" -c "select
	  (select count(*) from raw_events where status = 'DONE') = $ORDERS
	  and (select count(*) from fulfilments) = $ORDERS
	  and (select count(*) from assignments where status = 'ACTIVE') = $ORDERS
	  and (select sum(current_seats_used) from pool_accounts) = $ORDERS
	  and not exists (select 1 from pool_accounts
	                  where current_seats_used > coalesce(max_seats, 1))
	  and not exists (select 1 from pool_accounts a where a.current_seats_used <>
	      (select count(*) from assignments x where x.account_id = a.id
	          and x.status = 'ACTIVE'))"
}

check_expired() {
	psql_db "$1" -c "select
	  (select count(*) from assignments where status = 'EXPIRED') = $ORDERS
	  and (select sum(current_seats_used) from pool_accounts) = 0
	  and (select count(*) from pool_accounts where status <> 'AVAILABLE') = 0"
}

rate() { echo "$1 $2" | awk '{ printf "%.0f", ($2 > 0 ? $1 / $2 : 0) }'; }

echo "allocate bench: $ORDERS paid orders, $ACCOUNTS accounts, $RUNS run(s)," \
	"$(nproc) CPU(s), PostgreSQL $(psql_db tally -c 'show server_version')"
a_secs="" e_secs="" b_secs="" a_rss="" e_rss=""
i=1
while [ "$i" -le "$RUNS" ]; do
	db="bench_$i"
	psql_db postgres -c "create database $db template tally"
	setup_sql | psql_db "$db"
	events_sql | psql_db "$db"
	confirm_sql | psql_db "$db"
	psql_db "$db" -c "vacuum analyze"
	export TALLY_DATABASE_URL
	TALLY_DATABASE_URL=$(url "$db")

	timed 0 "$WORK/alloc$i" "$BINDIR/tally-allocate"
	[ "$(check_allocated "$db")" = t ] ||
		{ echo "bench: run $i: allocation check failed" >&2; exit 1; }
	as=$SECS ar=$RSS

	asof=$(psql_db "$db" -c "select (now() + interval '31 days')::text")
	timed 0 "$WORK/expire$i" "$BINDIR/tally-expire" --as-of "$asof" --days 0
	[ "$(check_expired "$db")" = t ] ||
		{ echo "bench: run $i: expiry check failed" >&2; exit 1; }
	es=$SECS er=$RSS
	unset TALLY_DATABASE_URL

	# baseline: the same pool and customers, one bare INSERT ... SELECT
	bdb="base_$i"
	psql_db postgres -c "create database $bdb template tally"
	setup_sql | psql_db "$bdb"
	psql_db "$bdb" -c "insert into customers (email) select 'cust' || g ||
	    '@example.com' from generate_series(1, $ORDERS) g" -c "vacuum analyze"
	t0=$(now)
	psql_db "$bdb" -c "insert into assignments (account_id, customer_id,
	    starts_at, ends_at)
	  select s.id, c.id, now(), now() + interval '30 days'
	    from (select a.id, row_number() over (order by a.id, g) as rn
	            from pool_accounts a,
	                 generate_series(1, coalesce(a.max_seats, 1)) g) s
	    join (select id, row_number() over (order by id) as rn
	            from customers) c on c.rn = s.rn"
	t1=$(now)
	bs=$(secs "$t0" "$t1")
	psql_db postgres -c "drop database $db" -c "drop database $bdb"

	printf '  run %d: allocate %ss (%s orders/s, RSS %s KiB), expire %ss (%s/s, RSS %s KiB), baseline %ss (%s/s)\n' \
		"$i" "$as" "$(rate "$ORDERS" "$as")" "$ar" "$es" "$(rate "$ORDERS" "$es")" \
		"$er" "$bs" "$(rate "$ORDERS" "$bs")"
	a_secs="$a_secs $as" e_secs="$e_secs $es" b_secs="$b_secs $bs"
	a_rss="$a_rss $ar" e_rss="$e_rss $er"
	i=$((i + 1))
done

am=$(echo "$a_secs" | median)
em=$(echo "$e_secs" | median)
bm=$(echo "$b_secs" | median)
arm=$(echo "$a_rss" | median)
erm=$(echo "$e_rss" | median)
ar=$(rate "$ORDERS" "$am")
echo "allocate: $ORDERS orders in ${am}s = $ar orders/s (median of $RUNS), peak RSS ${arm} KiB"
echo "expire:   $ORDERS assignments in ${em}s = $(rate "$ORDERS" "$em")/s (median of $RUNS), peak RSS ${erm} KiB"
echo "baseline: bare INSERT of $ORDERS assignments in ${bm}s = $(rate "$ORDERS" "$bm")/s (median of $RUNS)"
echo "ratio:    allocate takes $(echo "$am $bm" | awk '{ printf "%.1f", $1 / $2 }')x the baseline; expire $(echo "$em $bm" | awk '{ printf "%.1f", $1 / $2 }')x"
if [ "$ar" -ge "$TARGET" ]; then
	echo "target:   >= $TARGET orders/s: met"
else
	echo "target:   >= $TARGET orders/s: NOT met"
	exit 1
fi
