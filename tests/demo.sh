#!/bin/sh
# demo.sh BINDIR - the whole story in one command (make demo).
#
# A fresh embedded database under $TALLY_HOME (default ./var/demo, wiped
# first so every run tells the same story), the receiver on loopback,
# realistic signed webhooks through all four schemes (a duplicate, a
# forgery and a relabelled Midtrans notification among them, and a payment
# too small for its product, which is held and then approved by hand), a
# refund, a few hundred usage
# events over six weeks, then every batch program and report.  Midtrans
# and Xendit are confirmed with a stand-in for their status APIs
# (demo/provider.py).  Last, the browser panel with a one-time login for
# admin user demo; at a terminal it keeps serving until Ctrl-C
# (DEMO_NO_WAIT=1: it does not).  Stops what it started.
set -eu
BINDIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
unset TALLY_DATABASE_URL
export TALLY_HOME="${TALLY_HOME:-$(pwd)/var/demo}"
D="$TALLY_HOME/files"
PORT="${DEMO_PORT:-18080}"
T0=$(date +%s)

step() { printf '\n== %s\n' "$*"; }
# come_up NAME LOG COMMAND...: wait until COMMAND succeeds (NAME is up);
# after 100 tries 0.1 s apart, show LOG and stop
come_up() {
	_name=$1 _log=$2
	shift 2
	_i=0
	until "$@" >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || { echo "$_name did not come up:"; cat "$_log"; exit 1; }
		sleep 0.1
	done
}

if [ -d "$TALLY_HOME/pg/data" ]; then
	"$BINDIR/tallyctl" db down >/dev/null 2>&1 || true
fi
rm -rf "$TALLY_HOME"
mkdir -p "$D/secrets" "$D/webhooks" "$D/reports"
chmod 755 "$TALLY_HOME"

RECEIVER_PID="" ADMIN_PID=""
PROVIDER_PID="" PANEL_USER=""
finish() {
	rc=$?
	for p in $RECEIVER_PID $ADMIN_PID $PROVIDER_PID; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	# the panel's login is this run's only: its user goes with the demo
	if [ -n "$PANEL_USER" ]; then
		"$BINDIR/tallyctl" admin-user remove "$PANEL_USER" --reason "the demo ended" \
			--actor demo-admin >/dev/null 2>&1 ||
			echo "could not remove the panel's demo user" >&2
	fi
	"$BINDIR/tallyctl" db down >/dev/null 2>&1 || true
	[ $rc -eq 0 ] || echo "demo FAILED (exit $rc); files are in $D" >&2
	exit $rc
}
trap finish EXIT

# tally-admin in the background, until its health check answers
admin_up() {
	"$BINDIR/tally-admin" -c "$D/tally.conf" 2>"$D/admin.log" &
	ADMIN_PID=$!
	come_up tally-admin "$D/admin.log" curl -fsS "http://127.0.0.1:$((PORT + 1))/healthz"
}

step "embedded database ($TALLY_HOME)"
"$BINDIR/tallyctl" db up

step "configuration and secrets"
printf 'whsec_demo_stripe_%s\n' "$T0" >"$D/secrets/stripe"
# Standard Webhooks secrets are whsec_ + base64 of the key bytes
printf 'whsec_%s\n' "$(head -c 24 /dev/urandom | base64)" >"$D/secrets/images"
printf 'SB-Mid-server-demo%s\n' "$T0" >"$D/secrets/midtrans"
printf 'xnd_demo_token_%s\n' "$T0" >"$D/secrets/xendit"
# the keys of the providers' status APIs (Midtrans: the server key)
printf 'SB-Mid-server-demo%s\n' "$T0" >"$D/secrets/midtrans-api"
printf 'xnd_development_demo%s\n' "$T0" >"$D/secrets/xendit-api"
chmod 600 "$D"/secrets/*

# Midtrans and Xendit sign (almost) nothing of what a notification says,
# so tally-allocate asks their status APIs before acting.  The demo's
# stand-in answers from $D/provider/{midtrans,xendit}/ID.json.
mkdir -p "$D/provider/midtrans" "$D/provider/xendit"
python3 "$HERE/demo/provider.py" "$D/provider" "$D/secrets/midtrans-api" \
	"$D/provider.port" 2>"$D/provider.log" &
PROVIDER_PID=$!
come_up provider "$D/provider.log" test -s "$D/provider.port"
PROVIDER="http://127.0.0.1:$(cat "$D/provider.port")"
# one stand-in for both: the Xendit key is the Midtrans one here
cp "$D/secrets/midtrans-api" "$D/secrets/xendit-api"
cat >"$D/tally.conf" <<EOF
listen = 127.0.0.1:$PORT
admin_listen = 127.0.0.1:$((PORT + 1))
report_dir = $D/reports
signup_grant = 20

[source stripe]
scheme = stripe
secret_file = $D/secrets/stripe

[source midtrans]
scheme = midtrans
secret_file = $D/secrets/midtrans
status_url = $PROVIDER
api_key_file = $D/secrets/midtrans-api

[source xendit]
scheme = xendit
secret_file = $D/secrets/xendit
status_url = $PROVIDER
api_key_file = $D/secrets/xendit-api

[source images]
scheme = standard-webhooks
secret_file = $D/secrets/images
EOF
export TALLY_CONFIG="$D/tally.conf"
"$BINDIR/tallyctl" config check

step "products, pool accounts and models (every change audited)"
ctl() { "$BINDIR/tallyctl" "$@" --actor demo-admin; }
quiet() { "$@" >/dev/null; }
quiet ctl product add --sku seat-30 --name "Seat, 30 days" --kind seat --days 30 --price 15.00 --currency USD
quiet ctl product add --sku seat-7 --name "Seat, 7 days" --kind seat --days 7 --price 5.00 --currency USD
quiet ctl product add --sku seat-30-idr --name "Seat, 30 days (IDR)" --kind seat --days 30 --price 150000.00 --currency IDR
quiet ctl product add --sku credits-100 --name "100 credits" --kind credits --credits 100 --price 9.99 --currency USD
quiet ctl product add --sku credits-500 --name "500 credits" --kind credits --credits 500 --price 39.00 --currency USD
quiet ctl product add --sku credits-500-idr --name "500 credits (IDR)" --kind credits --credits 500 --price 450000.00 --currency IDR
cat >"$D/accounts.csv" <<'EOF'
email,note,max_seats,status
team-a@pool.example,"shared, 3 seats",3,AVAILABLE
solo-1@pool.example,single user,,AVAILABLE
solo-2@pool.example,single user,,AVAILABLE
EOF
quiet ctl account import "$D/accounts.csv"
quiet ctl model set qwen-image-edit --active --credit-cost 5 --provider-cost 0.02 --currency USD
quiet ctl model set gemini-flash-image --active --credit-cost 3 --provider-cost 0.04 --currency USD
# the models bill in USD and credits also sell in IDR: a rate lets the
# monthly margins put the two together (audited like every admin act)
quiet ctl fx set USD IDR 16250 --from "$(date -u -d @"$((T0 - 90 * 86400))" +%Y-%m-%d)"
"$BINDIR/tallyctl" fx list
"$BINDIR/tallyctl" product list
"$BINDIR/tallyctl" account list

step "receiver on 127.0.0.1:$PORT"
"$BINDIR/tally-receiver" -c "$D/tally.conf" -n
"$BINDIR/tally-receiver" -c "$D/tally.conf" 2>"$D/receiver.log" &
RECEIVER_PID=$!
come_up receiver "$D/receiver.log" curl -fsS "http://127.0.0.1:$PORT/healthz"
echo "receiver healthy"

step "payments through Stripe, Midtrans and Xendit"
W="$D/webhooks"
ago() { echo $((T0 - $1 * 86400)); }
stripe_checkout() { # id email sku amount currency created pi
	cat >"$W/$1.json" <<EOF
{"id":"$1","object":"event","type":"checkout.session.completed","created":$6,"api_version":"2024-06-20","livemode":false,"data":{"object":{"id":"cs_$1","object":"checkout.session","amount_total":$4,"currency":"$5","customer_details":{"email":"$2"},"payment_intent":"$7","payment_status":"paid","metadata":{"sku":"$3"}}}}
EOF
	"$BINDIR/tallyctl" send stripe "$W/$1.json"
}
stripe_checkout evt_alice alice@example.com seat-30 1500 usd "$(ago 3)" pi_alice
stripe_checkout evt_bob bob@example.com credits-100 999 usd "$(ago 2)" pi_bob
stripe_checkout evt_erin erin@example.com seat-7 500 usd "$(ago 10)" pi_erin
stripe_checkout evt_dave dave@example.com seat-30 1500 usd "$(ago 1)" pi_dave
cat >"$W/midtrans_budi.json" <<EOF
{"transaction_time":"$(date -u -d @"$(ago 4)" '+%Y-%m-%d %H:%M:%S')","transaction_status":"settlement","transaction_id":"b1c2d3e4-0001","status_code":"200","gross_amount":"150000.00","currency":"IDR","payment_type":"bank_transfer","order_id":"mt-1001","fraud_status":"accept","custom_field1":"seat-30-idr","customer_details":{"email":"budi@example.co.id"}}
EOF
"$BINDIR/tallyctl" send midtrans "$W/midtrans_budi.json"
# what Midtrans's status API says about that order: the same
cp "$W/midtrans_budi.json" "$D/provider/midtrans/mt-1001.json"
cat >"$W/xendit_citra.json" <<EOF
{"id":"inv_citra_1","external_id":"order-citra-1","user_id":"demo","status":"PAID","amount":450000,"paid_amount":450000,"currency":"IDR","payer_email":"citra@example.co.id","paid_at":"$(date -u -d @"$(ago 5)" '+%Y-%m-%dT%H:%M:%S.000Z')","payment_method":"BANK_TRANSFER","metadata":{"sku":"credits-500-idr"}}
EOF
"$BINDIR/tallyctl" send xendit "$W/xendit_citra.json"
cp "$W/xendit_citra.json" "$D/provider/xendit/inv_citra_1.json"

# the image service's users buy their credits too (matched by email)
for u in 1 2 3; do
	stripe_checkout "evt_user$u" "user$u@example.com" credits-500 3900 usd "$(ago 44)" "pi_user$u"
done
for u in 4 5; do
	cat >"$W/xendit_user$u.json" <<EOF
{"id":"inv_user$u","external_id":"order-user$u","user_id":"demo","status":"PAID","amount":450000,"paid_amount":450000,"currency":"IDR","payer_email":"user$u@example.com","paid_at":"$(date -u -d @"$(ago 44)" '+%Y-%m-%dT%H:%M:%S.000Z')","payment_method":"EWALLET","metadata":{"sku":"credits-500-idr"}}
EOF
	"$BINDIR/tallyctl" send xendit "$W/xendit_user$u.json"
	cp "$W/xendit_user$u.json" "$D/provider/xendit/inv_user$u.json"
done

step "a payment that is wrong for its product (held, not given anything)"
stripe_checkout evt_greg greg@example.com seat-30 100 usd "$(ago 1)" pi_greg

step "a duplicate delivery (acknowledged, stored once) and a forgery (rejected)"
"$BINDIR/tallyctl" send stripe "$W/evt_alice.json"
code=$(curl -s -o "$D/forged.out" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' \
	-H "Stripe-Signature: t=$(date +%s),v1=$(printf '%064d' 0)" \
	--data-binary @"$W/evt_bob.json" "http://127.0.0.1:$PORT/webhooks/stripe")
echo "forged delivery: HTTP $code $(cat "$D/forged.out")"
[ "$code" = 401 ]
# Midtrans signs status_code but not transaction_status: Budi's order
# relabelled from its signed "pending" (201) to "settlement" is refused
sed -e 's/"status_code":"200"/"status_code":"201"/' \
	-e 's/"transaction_id":"b1c2d3e4-0001"/"transaction_id":"b1c2d3e4-0002"/' \
	"$W/midtrans_budi.json" >"$W/midtrans_relabelled.json"
"$BINDIR/tallyctl" send midtrans "$W/midtrans_relabelled.json" || [ $? -eq 65 ]

step "a refund (Dave's seat will be revoked)"
cat >"$W/evt_dave_refund.json" <<EOF
{"id":"evt_dave_refund","object":"event","type":"charge.refunded","created":$T0,"api_version":"2024-06-20","livemode":false,"data":{"object":{"id":"ch_dave","object":"charge","amount":1500,"amount_refunded":1500,"currency":"usd","payment_intent":"pi_dave","refunded":true,"billing_details":{"email":"dave@example.com"},"metadata":{"sku":"seat-30"}}}}
EOF
"$BINDIR/tallyctl" send stripe "$W/evt_dave_refund.json"

step "usage from the image service: $((${DEMO_USAGE:-400} + 5)) events as one NDJSON delivery"
awk -v NOW="$T0" -v N="${DEMO_USAGE:-400}" -f "$HERE/demo/usage.awk" >"$W/usage.ndjson"
"$BINDIR/tallyctl" send images "$W/usage.ndjson" --content-type application/x-ndjson

step "receiver: stop (SIGTERM drains)"
kill -TERM "$RECEIVER_PID"
wait "$RECEIVER_PID" || true
RECEIVER_PID=""
psql -X -q "$("$BINDIR/tallyctl" db url)" -c \
	"SELECT source, count(*) AS stored FROM raw_events GROUP BY source ORDER BY source"

step "tally-allocate: orders, payments, seats, credits, refunds, usage"
"$BINDIR/tally-allocate" || [ $? -eq 1 ]
# exit 1: Greg's order is held (1.00 paid for a 15.00 seat), a case is open
"$BINDIR/tally-allocate" || [ $? -eq 1 ]
"$BINDIR/tallyctl" assignment list
"$BINDIR/tallyctl" user list --sort balance

step "a held order, approved by hand (Greg's 1.00 was a promised discount)"
"$BINDIR/tallyctl" order list --held
greg=$(psql -X -q -t -A "$("$BINDIR/tallyctl" db url)" -c \
	"SELECT id FROM orders WHERE provider_ref = 'pi_greg'")
ctl order approve "$greg" --reason "discount promised by support, ticket 7"
# the next run gives the seat, without checking the price again
"$BINDIR/tally-allocate"
"$BINDIR/tallyctl" order list --customer greg@example.com
"$BINDIR/tallyctl" audit list --action order.approve

step "tally-expire: nothing has ended yet; a week from now Erin's 7-day plan will have"
"$BINDIR/tally-expire" || [ $? -eq 1 ]
"$BINDIR/tally-expire" --dry-run --as-of "$(date -u -d @"$(ago -8)" +%Y-%m-%dT%H:%M:%SZ)" || [ $? -eq 1 ]

step "tally-reconcile against a Stripe settlement file with discrepancies"
cat >"$D/stripe_settlement.csv" <<EOF
automatic_payout_id,automatic_payout_effective_at_utc,balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,source_id,description,customer_email,charge_id,payment_intent_id,payment_metadata[sku]
po_demo_1,$(date -u -d @"$T0" '+%Y-%m-%d %H:%M:%S'),txn_alice,$(date -u -d @"$(ago 3)" '+%Y-%m-%d %H:%M:%S'),$(date -u -d @"$(ago 1)" '+%Y-%m-%d %H:%M:%S'),usd,15.00,0.74,14.26,charge,ch_alice,Seat,alice@example.com,ch_alice,pi_alice,seat-30
po_demo_1,$(date -u -d @"$T0" '+%Y-%m-%d %H:%M:%S'),txn_bob,$(date -u -d @"$(ago 2)" '+%Y-%m-%d %H:%M:%S'),$(date -u -d @"$(ago 1)" '+%Y-%m-%d %H:%M:%S'),usd,9.90,0.59,9.31,charge,ch_bob,"Credits, 100",bob@example.com,ch_bob,pi_bob,credits-100
po_demo_1,$(date -u -d @"$T0" '+%Y-%m-%d %H:%M:%S'),txn_frank,$(date -u -d @"$(ago 2)" '+%Y-%m-%d %H:%M:%S'),$(date -u -d @"$(ago 1)" '+%Y-%m-%d %H:%M:%S'),usd,15.00,0.74,14.26,charge,ch_frank,Seat,frank@example.com,ch_frank,pi_frank,seat-30
po_demo_1,$(date -u -d @"$T0" '+%Y-%m-%d %H:%M:%S'),txn_erin,$(date -u -d @"$(ago 10)" '+%Y-%m-%d %H:%M:%S'),$(date -u -d @"$(ago 8)" '+%Y-%m-%d %H:%M:%S'),usd,5.00,0.45,4.50,charge,ch_erin,Seat,erin@example.com,ch_erin,pi_erin,seat-7
po_demo_1,$(date -u -d @"$T0" '+%Y-%m-%d %H:%M:%S'),po_demo_1,$(date -u -d @"$T0" '+%Y-%m-%d %H:%M:%S'),$(date -u -d @"$T0" '+%Y-%m-%d %H:%M:%S'),usd,-42.00,0.00,-42.00,payout,po_demo_1,STRIPE PAYOUT,,,,
EOF
echo "planted: Bob's amount differs (9.90 vs 9.99), Frank paid but no webhook ever came,"
echo "Erin's net is not gross - fee, the payout total is off, Dave was refunded"
"$BINDIR/tally-reconcile" --from "$(date -u -d @"$(ago 40)" +%Y-%m-%d)" \
	--to "$(date -u -d @"$(ago -1)" +%Y-%m-%d)" \
	--settlement "$D/stripe_settlement.csv" --out "$D/reports" || [ $? -eq 1 ]
"$BINDIR/tallyctl" case list --open

step "reports"
"$BINDIR/tally-weekly-report" --out "$D/reports"
"$BINDIR/tally-monthly-review" --out "$D/reports" --as-of "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
"$BINDIR/tally-model-stats" --out "$D/reports" --days 42

step "the Summary sheet of each workbook, as an admin reads it first"
for f in "$D"/reports/weekly-*.xlsx "$D"/reports/monthly-*.xlsx \
    "$D"/reports/model-stats-*.xlsx "$D"/reports/reconcile-*.xlsx; do
	printf -- '--- %s\n' "$(basename "$f")"
	/usr/bin/python3 "$HERE/support/xlsx_read.py" --text Summary "$f"
done

step "the admin API: tally-admin on 127.0.0.1:$((PORT + 1)), driven with curl"
TOKEN=$("$BINDIR/tallyctl" token create demo-script --role write)
admin_up
API=http://127.0.0.1:$((PORT + 1))/api/admin
AUTH="Authorization: Bearer $TOKEN"
# api METHOD PATH [JSON]: one call, its answer in $D/api.json; a failed
# call (no answer, or not a 2xx) stops the demo with what the API said
api() {
	echo "$1 $API$2"
	if [ -n "${3-}" ]; then
		_code=$(curl -sS -o "$D/api.json" -w '%{http_code}' -X "$1" \
		    "$API$2" -H "$AUTH" -H "Content-Type: application/json" \
		    -d "$3") || _code="no answer"
	else
		_code=$(curl -sS -o "$D/api.json" -w '%{http_code}' -X "$1" \
		    "$API$2" -H "$AUTH") || _code="no answer"
	fi
	case $_code in
	2??) ;;
	*)	echo "demo: $1 $API$2 failed ($_code):" >&2
		cat "$D/api.json" >&2 2>/dev/null || true
		echo >&2
		exit 1 ;;
	esac
}
api POST /chatgpt-accounts '{"email": "team-b@pool.example", "note": "Team, 5 seats", "status": "AVAILABLE", "max_seats": 5}'
jq -c '{id, email, status, max_seats, seats_free}' "$D/api.json"
api GET "/account-assignments?status=ACTIVE&per_page=1"
ASG=$(jq '.items[0].id' "$D/api.json")
[ "$ASG" != null ] || { echo "demo: no ACTIVE assignment to extend" >&2; exit 1; }
api POST "/account-assignments/$ASG/extend" '{"additional_days": 7}'
jq -c '{id, customer, status, ends_at}' "$D/api.json"
api GET "/audit-logs?page=1&per_page=3"
jq -r '.items[] | [.id, .at, .actor, .action, .entity, .entity_id] | @tsv' "$D/api.json"
echo "tallyctl audit access (every request, reads included):"
"$BINDIR/tallyctl" audit access --limit 5
kill -TERM "$ADMIN_PID"
wait "$ADMIN_PID" || true
ADMIN_PID=""

step "status (the receiver was stopped above, so its check fails)"
"$BINDIR/tallyctl" status || true
"$BINDIR/tallyctl" audit verify

step "files written"
find "$D/reports" -type f | sort

step "the browser panel: tally-admin at http://127.0.0.1:$((PORT + 1))/admin"
# a one-time login: a fresh random password, and the user is removed when
# the demo ends (finish), so neither outlives this run
PANEL_PW=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
(umask 077 && printf '%s' "$PANEL_PW" >"$D/secrets/panel-demo")
"$BINDIR/tallyctl" admin-user add demo --role admin --actor demo-admin \
	--password-file "$D/secrets/panel-demo" >/dev/null
PANEL_USER=demo
admin_up
PANEL=http://127.0.0.1:$((PORT + 1))/admin
# log in as a browser would (the login page's cookie and CSRF token, then
# the form), and see the dashboard answer
csrf=$(curl -s -c "$D/panel.jar" "$PANEL/login" |
	sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
code=$(curl -s -o /dev/null -b "$D/panel.jar" -c "$D/panel.jar" -w '%{http_code}' \
	"$PANEL/login" --data-urlencode "name=demo" --data-urlencode "csrf=$csrf" \
	--data-urlencode "password@$D/secrets/panel-demo")
[ "$code" = 303 ] || { echo "panel login: HTTP $code"; exit 1; }
code=$(curl -s -o "$D/panel-dashboard.html" -b "$D/panel.jar" -w '%{http_code}' "$PANEL")
[ "$code" = 200 ] || { echo "panel dashboard: HTTP $code"; exit 1; }
rm -f "$D/panel.jar" "$D/secrets/panel-demo"
echo "dashboard: $(grep -c 'class="figure"' "$D/panel-dashboard.html") figures, as tallyctl status --json has them"
echo
echo "  panel:    $PANEL"
echo "  user:     demo (role admin)"
echo "  password: $PANEL_PW"
echo "  (one-time: made for this run, and removed with its sessions when the demo ends)"
# at a terminal, keep serving so the panel can be opened; CI has none
if [ -t 1 ] && [ "${DEMO_NO_WAIT:-0}" != 1 ]; then
	printf '\nserving the panel until Ctrl-C (DEMO_NO_WAIT=1 does not wait)\n'
	trap 'exit 0' INT
	wait "$ADMIN_PID" || true
	exit 0
fi
printf '\ndemo finished in %ss; database stopped (start it again with: TALLY_HOME=%s %s/tallyctl db up)\n' \
	"$(( $(date +%s) - T0 ))" "$TALLY_HOME" "$BINDIR"
