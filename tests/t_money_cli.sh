#!/bin/sh
# t_money_cli.sh - issue 10's admin side end to end with the real
# programs: a 0.01 USD payment for a 20.00 USD seat and one naming a sku
# that is no product, as stored deliveries; tally-allocate holds both;
# `tallyctl order list --held` shows them, `order approve` refuses the
# unknown one and releases the underpaid one (audited); `product add`
# adds the missing product; the next tally-allocate gives both seats.
# Needs tests/run.sh (TALLY_BINDIR, TALLY_DATABASE_URL as the superuser).
set -u
CTL="$TALLY_BINDIR/tallyctl"
ALLOC="$TALLY_BINDIR/tally-allocate"
. "$(dirname "$0")/support/tap.sh"
tap_start t_money_cli

# a paid Stripe Checkout Session, stored as the receiver stores it
deliver() { # id email sku amount
	body="{\"id\":\"$1\",\"object\":\"event\",\"type\":\"checkout.session.completed\",\"created\":$(( $(date +%s) - 3600 )),\"data\":{\"object\":{\"id\":\"cs_$1\",\"object\":\"checkout.session\",\"amount_total\":$4,\"currency\":\"usd\",\"customer_details\":{\"email\":\"$2\"},\"payment_intent\":\"pi_$1\",\"payment_status\":\"paid\",\"metadata\":{\"sku\":\"$3\"}}}}"
	psql -X -q -v ON_ERROR_STOP=1 -v body="$body" -v key="$1" \
	    "$TALLY_DATABASE_URL" <<'SQL'
INSERT INTO raw_events (source, scheme, event_key, body, payload)
VALUES ('stripe', 'stripe', :'key', convert_to(:'body', 'UTF8'), :'body'::jsonb);
SQL
}

check "product" 0 "$CTL" product add --sku seat-20 --name "Seat, 30 days" \
	--kind seat --days 30 --price 20.00 --currency USD --actor t_money
check "pool account" 0 "$CTL" account add pool@money.test --max-seats 5 --actor t_money
deliver evt_cheap cheap@money.test seat-20 1
deliver evt_new early@money.test seat-new 3000

check "tally-allocate holds both (exit 1)" 1 "$ALLOC"
has "says where to look" "$T/err" "tallyctl order list --held"
is "nothing given" "$(sql "SELECT count(*) FROM assignments")" 0

check "order list --held" 0 "$CTL" order list --held --csv
has "the underpaid one, with the price" "$T/out" '"pi_evt_cheap","cheap@money.test","seat-20",0.01,"USD",20.00,,"USD","UNDERPAID"'
has "the unknown one, with its money" "$T/out" '"pi_evt_new","early@money.test","seat-new",30.00,"USD",,,,"UNKNOWN_PRODUCT"'
cheap=$(sql "SELECT id FROM orders WHERE provider_ref = 'pi_evt_cheap'")
new=$(sql "SELECT id FROM orders WHERE provider_ref = 'pi_evt_new'")

check "status warns about held orders" 1 "$CTL" status --json
if /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); o=d.get("status", d)["orders"]; sys.exit(0 if o["held"]==2 and o["state"]=="warn" else 1)' <"$T/out"; then
	ok "status: 2 held, warn"
else
	notok "status: 2 held, warn"; head -c 600 "$T/out"
fi

check "approve needs a reason" 64 "$CTL" order approve "$cheap"
check "approve of an unknown product is refused" 65 "$CTL" order approve "$new" --reason "x"
has "and says what to do" "$T/err" "tallyctl product add --sku seat-new"
check "approve, dry run" 0 "$CTL" order approve "$cheap" --reason "goodwill" --dry-run
is "dry run kept nothing" "$(sql "SELECT status FROM orders WHERE id = $cheap")" HELD
check "approve" 0 "$CTL" order approve "$cheap" --reason "goodwill: a test payment" --actor t_money
has "says who gives it" "$T/err" "the next tally-allocate gives it"
is "audited" "$(sql "SELECT concat_ws('|', actor, reason, before->>'status', after->>'status') FROM audit_log WHERE action = 'order.approve' AND entity_id = '$cheap'")" "t_money|goodwill: a test payment|HELD|PAID"

check "the missing product" 0 "$CTL" product add --sku seat-new --name "New seat" \
	--kind seat --days 30 --price 30.00 --currency usd --actor t_money
check "tally-allocate gives both (exit 0)" 0 "$ALLOC"
is "two seats" "$(sql "SELECT string_agg(o.provider_ref || ' ' || o.status || ' ' || a.status, ', ' ORDER BY o.id) FROM orders o JOIN assignments a ON a.order_id = o.id")" "pi_evt_cheap PAID ACTIVE, pi_evt_new PAID ACTIVE"
is "approved by" "$(sql "SELECT coalesce(approved_by, '-') FROM orders ORDER BY id")" "t_money
-"
check "nothing held now" 0 "$CTL" order list --held
has "empty" "$T/out" "(0 rows)"
check "audit chain intact" 0 "$CTL" audit verify

# config check reads the providers' status API keys as tally-allocate
# does: a missing one shows here, not as allocate's exit 78
printf 'whsec_x\n' >"$T/secret"
chmod 600 "$T/secret"
cat >"$T/tally.conf" <<CONF
[source midtrans]
scheme = midtrans
secret_file = $T/secret
status_url = http://127.0.0.1:9
api_key_file = $T/midtrans-api
CONF
check "config check: the api key is missing" 78 "$CTL" config check -c "$T/tally.conf"
has "names the key's file" "$T/err" "midtrans-api"
printf 'SB-Mid-server-x\n' >"$T/midtrans-api"
chmod 600 "$T/midtrans-api"
check "config check: the api key is there" 0 "$CTL" config check -c "$T/tally.conf"
has "configuration OK" "$T/out" "configuration OK"

tap_done
