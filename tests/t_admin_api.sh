#!/bin/sh
# t_admin_api.sh - the seat-pool guide's admin work through tally-admin,
# with the curl command a guide user types (docs/API.md; api() below),
# only the Authorization header added: each answer is what the guide
# describes, and the state it leaves (accounts, assignments, customers, the audit
# trail) is the state the same work through tallyctl leaves in a second
# database.  The program is the built binary, on a port the kernel picks.
# Needs tests/run.sh (TALLY_BINDIR, TALLY_DATABASE_URL, TALLY_TEST_*).
set -u
BIN=$TALLY_BINDIR
. "$(dirname "$0")/support/tap.sh"
tap_start t_admin_api
PID=""
CTL_DB="$(psql -X -q -t -A "$TALLY_DATABASE_URL" -c 'SELECT current_database()')_ctl"

finish() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	psql -X -q "$TALLY_TEST_ADMIN_URL" -c "DROP DATABASE IF EXISTS $CTL_DB" \
	    >/dev/null 2>&1
	rm -rf "$T"
}
trap finish EXIT


if ! command -v jq >/dev/null 2>&1; then
	echo "skipped: jq is not installed (make deps)"
	exit 77
fi

# ---- the server -------------------------------------------------------------
cat >"$T/tally.conf" <<EOF
admin_listen = 127.0.0.1:0
EOF
TOKEN=$("$BIN/tallyctl" token create guide --role write 2>"$T/token.err")
[ -n "$TOKEN" ] && ok "tallyctl token create prints the token" ||
	{ notok "token create"; cat "$T/token.err"; exit 1; }
"$BIN/tally-admin" -c "$T/tally.conf" -n >/dev/null && ok "tally-admin -n"
admin_start "$T/tally.conf" "$T/admin.log"
ok "tally-admin listens on port $PORT"

# ---- the guide's commands ----------------------------------------------------
# What a guide user has set: where the API is, and the header.
API=http://127.0.0.1:$PORT/api/admin
AUTH="Authorization: Bearer $TOKEN"
# api METHOD PATH JSON OUT [HEADER]: the guide's curl command for METHOD
# PATH under $API, with the JSON body (none when empty) and the header
# (default $AUTH, none when empty): the answer in $T/OUT, its status in
# $code
api() {
	_auth=${5-$AUTH}
	if [ -n "$3" ]; then
		code=$(curl -s -o "$T/$4" -w '%{http_code}' -X "$1" "$API$2" \
		    ${_auth:+-H "$_auth"} -H "Content-Type: application/json" \
		    -d "$3")
	else
		code=$(curl -s -o "$T/$4" -w '%{http_code}' -X "$1" "$API$2" \
		    ${_auth:+-H "$_auth"})
	fi
}

# Where things stand (docs/API.md's first command).
curl -s "$API/status" -H "$AUTH" >"$T/status0"
is "status: the database is reached" "$(jq -r '.database.state' "$T/status0")" ok

# Add a single-user account and a team account with 3 seats.
api POST /chatgpt-accounts '{"email": "solo@pool.example", "note": "Plus, single user", "status": "AVAILABLE", "max_seats": null}' a1
is "add single-user: the account" "$(jq -r '[.id, .email, .status, .max_seats] | @csv' "$T/a1")" \
	'1,"solo@pool.example","AVAILABLE",'
api POST /chatgpt-accounts '{"email": "team@pool.example", "note": "Team, 3 seats", "status": "AVAILABLE", "max_seats": 3}' a2
is "add team: 3 seats free" "$(jq -r '.seats_free' "$T/a2")" 3

# Import the rest from a CSV file.
cat >"$T/accounts.csv" <<'EOF'
email,note,max_seats,status
bulk1@pool.example,imported,,AVAILABLE
bulk2@pool.example,"imported, shared",2,AVAILABLE
EOF
curl -s -X POST "$API/chatgpt-accounts/import" \
  -H "$AUTH" \
  -H "Content-Type: text/csv" \
  --data-binary @"$T/accounts.csv" \
  >"$T/imp"
is "import: 2 accounts" "$(jq -r '.count' "$T/imp")" 2

# The available pool, a page at a time.
api GET "/chatgpt-accounts?status=AVAILABLE&page=1&per_page=50" "" list
is "list: total" "$(jq -r '.total' "$T/list")" 4
is "list: emails" "$(jq -r '[.items[].email] | join(" ")' "$T/list")" \
	"solo@pool.example team@pool.example bulk1@pool.example bulk2@pool.example"

# Suspend an account whose password must be reset, then bring it back.
api PUT /chatgpt-accounts/1 '{"status": "SUSPENDED", "note": "Password reset needed"}' susp
is "suspend" "$(jq -r '.status + " " + .note' "$T/susp")" \
	"SUSPENDED Password reset needed"
api PUT /chatgpt-accounts/1 '{"status": "AVAILABLE", "note": "Password reset done"}' react
is "reactivate" "$(jq -r '.status' "$T/react")" AVAILABLE

# Give a customer a seat by hand on the team account.
api POST /account-assignments '{"account_id": 2, "customer_email": "alice@example.com", "days": 30}' asg1
is "assign: active for alice" "$(jq -r '.status + " " + .customer' "$T/asg1")" \
	"ACTIVE alice@example.com"
api POST /account-assignments '{"account_id": 2, "customer_email": "bob@example.com", "days": 5}' asg2

# Which seats end within a week?
api GET "/account-assignments?status=ACTIVE&ending_soon=true&days=7" "" soon
is "ending soon: bob's" "$(jq -r '[.items[].customer] | join(" ")' "$T/soon")" \
	"bob@example.com"

# Extend bob's by 30 days; revoke alice's after a refund.
api POST /account-assignments/2/extend '{"additional_days": 30}' ext
is "extend: still active" "$(jq -r '.status' "$T/ext")" ACTIVE
api POST /account-assignments/1/revoke '{"reason": "Refund issued"}' rev
is "revoke" "$(jq -r '.status + " " + .reason' "$T/rev")" "REVOKED Refund issued"
# Release a seat early (the guide's third).
api POST /account-assignments '{"account_id": 2, "customer_email": "carol@example.com", "days": 30}' asg3
curl -s -X POST "$API/account-assignments/3/release" -H "$AUTH" >"$T/rel"
is "release: carol's seat ends early" \
	"$(jq -r '.status + " " + .customer' "$T/rel")" "EXPIRED carol@example.com"

# The audit log shows who did it.
api GET "/audit-logs?page=1&per_page=50" "" audit
is "audit: newest first, by the token" \
	"$(jq -r '.items[0] | .action + " " + .actor' "$T/audit")" \
	"assignment.release token:guide"
is "audit: every change" "$(jq -r '[.items[] | select(.actor == "token:guide")] | length' "$T/audit")" 12

# A mistake is answered as a problem, and changes nothing.
api POST /account-assignments/1/extend '{"additional_days": 30}' prob
is "extend a revoked one: 422" "$code" 422
is "problem+json type" "$(jq -r '.type' "$T/prob")" "urn:tally:problem:refused"
api GET /chatgpt-accounts "" ignored ""
is "without the header: 401" "$code" 401

# ---- the same through tallyctl, in another database -------------------------
psql -X -q "$TALLY_TEST_ADMIN_URL" -c "CREATE DATABASE $CTL_DB TEMPLATE $TALLY_TEST_TEMPLATE" ||
	{ notok "create $CTL_DB"; exit 1; }
CTL_URL="host=$TALLY_TEST_HOST port=5432 dbname=$CTL_DB user=tally"
ctl() { TALLY_DATABASE_URL=$CTL_URL "$BIN/tallyctl" "$@" --actor token:guide >/dev/null 2>"$T/ctl.err" ||
	{ notok "tallyctl $*"; cat "$T/ctl.err"; }; }
TALLY_DATABASE_URL=$CTL_URL "$BIN/tallyctl" token create guide --role write >/dev/null 2>&1
ctl account add solo@pool.example --note "Plus, single user" --status AVAILABLE
ctl account add team@pool.example --note "Team, 3 seats" --status AVAILABLE --max-seats 3
ctl account import "$T/accounts.csv"
ctl account suspend 1 --note "Password reset needed"
ctl account reactivate 1 --note "Password reset done"
ctl assignment assign --account 2 --customer alice@example.com --days 30
ctl assignment assign --account 2 --customer bob@example.com --days 5
ctl assignment extend 2 --days 30
ctl assignment revoke 1 --reason "Refund issued"
ctl assignment assign --account 2 --customer carol@example.com --days 30
ctl assignment release 3

# The state, without the instants (the two runs are seconds apart).
state() {
	psql -X -q -t -A -v ON_ERROR_STOP=1 "$1" <<'EOF'
SELECT 'account', id, email, status, max_seats, current_seats_used, note
  FROM pool_accounts ORDER BY id;
SELECT 'assignment', s.id, s.account_id, c.email, s.status,
       s.ends_at - s.starts_at, s.reason, s.ended_at IS NULL
  FROM assignments s JOIN customers c ON c.id = s.customer_id ORDER BY s.id;
SELECT 'customer', id, email FROM customers ORDER BY id;
-- an import's reason names its source: the file, or "the CSV body"
SELECT 'audit', row_number() OVER (ORDER BY id), actor, action, entity,
       entity_id, regexp_replace(reason, '^.* (line [0-9]+)$', '\1'),
       (before - 'updated_at' - 'created_at' - 'starts_at' - 'ends_at'
        - 'ended_at')::text,
       (after - 'updated_at' - 'created_at' - 'starts_at' - 'ends_at'
        - 'ended_at')::text
  FROM audit_log WHERE entity <> 'token' ORDER BY id;
EOF
}
state "$TALLY_DATABASE_URL" >"$T/state.api"
state "$CTL_URL" >"$T/state.ctl"
if cmp -s "$T/state.api" "$T/state.ctl"; then
	ok "the API left what tallyctl leaves ($(wc -l <"$T/state.api") rows)"
else
	notok "the API and tallyctl left different states:"
	diff "$T/state.ctl" "$T/state.api" | sed 's/^/    /'
fi

# ---- status: what tallyctl status --json says ------------------------------
# The same facts but the instant they were gathered at (and the ages
# counted from it, which may tick between the two).
curl -s "$API/status" -H "$AUTH" >"$T/status.api"
"$BIN/tallyctl" status -c "$T/tally.conf" --json >"$T/status.ctl" 2>"$T/status.err"
nostamp='del(.at) | walk(if type == "object" then with_entries(select(.key | startswith("oldest") | not)) else . end)'
jq -S "$nostamp" "$T/status.api" >"$T/status.api.n"
jq -S "$nostamp" "$T/status.ctl" >"$T/status.ctl.n" || cat "$T/status.err"
if cmp -s "$T/status.api.n" "$T/status.ctl.n"; then
	ok "GET /status is tallyctl status --json ($(jq 'keys | length' "$T/status.api") checks)"
else
	notok "GET /status and tallyctl status --json differ:"
	diff "$T/status.ctl.n" "$T/status.api.n" | sed 's/^/    /'
fi

# ---- the access log ----------------------------------------------------------
requests=$("$BIN/tallyctl" audit access --token guide --csv | tail -n +2 | wc -l)
is "tallyctl audit access --token guide: every request" "$requests" 17
is "...including the refused one" \
	"$(sql "SELECT count(*) FROM admin_access_log WHERE status = 422 AND actor = 'token:guide'")" 1
is "the 401 is logged without a token" \
	"$(sql "SELECT count(*) FROM admin_access_log WHERE status = 401 AND actor IS NULL")" 1

# ---- held orders, event retry, product update (issue 10) -------------------
ADMIN_TOKEN=$("$BIN/tallyctl" token create guide-admin --role admin 2>/dev/null)
ADMIN_AUTH="Authorization: Bearer $ADMIN_TOKEN"
# a 0.01 USD payment for a 20.00 USD seat, stored as the receiver stores it
body='{"id":"evt_cheap","object":"event","type":"checkout.session.completed","created":1700000000,"data":{"object":{"id":"cs_cheap","object":"checkout.session","amount_total":1,"currency":"usd","customer_details":{"email":"cheap@example.com"},"payment_intent":"pi_cheap","payment_status":"paid","metadata":{"sku":"seat-20"}}}}'
psql -X -q -v ON_ERROR_STOP=1 -v body="$body" "$TALLY_DATABASE_URL" <<'SQL'
INSERT INTO raw_events (source, scheme, event_key, body, payload)
VALUES ('stripe', 'stripe', 'evt_cheap', convert_to(:'body', 'UTF8'), :'body'::jsonb);
SQL
api POST /products '{"sku": "seat-20", "name": "Seat, 30 days", "kind": "seat", "days": 30, "price": "20.00", "currency": "USD"}' prod "$ADMIN_AUTH"
is "add a product: exact price" "$(jq -r '.price' "$T/prod")" "20.00"
"$BIN/tally-allocate" >/dev/null 2>&1
api GET "/orders?held=true" "" held
is "held orders: the underpaid one, with why" \
	"$(jq -r '.items[] | .customer + " " + .hold_reason' "$T/held")" \
	"cheap@example.com UNDERPAID"
ORDER=$(jq -r '.items[0].id' "$T/held")
api POST /orders/$ORDER/approve '{}' appr
is "approve needs a reason: 400" "$code" 400
api POST /orders/$ORDER/approve '{"reason": "goodwill: a test payment"}' appr
is "approve: paid, queued for its seat" "$(jq -r '.status + " " + (.queued | tostring)' "$T/appr")" "PAID true"
is "approve: audited as the token" \
	"$(sql "SELECT actor FROM audit_log WHERE action = 'order.approve'")" "token:guide"
api PUT /products/seat-20 '{"price": "18.00", "reason": "spring price"}' upd "$ADMIN_AUTH"
is "update a product" "$(jq -r '.price + " " + (.held_released | tostring)' "$T/upd")" "18.00 0"
api PUT /products/seat-20 '{"price": "1.00"}' ignored
is "a write token may not change prices: 403" "$code" 403
sql "UPDATE raw_events SET status = 'FAILED', error = 'provider said no' WHERE event_key = 'evt_cheap'" >/dev/null
EVENT=$(sql "SELECT id FROM raw_events WHERE event_key = 'evt_cheap'")
api POST /events/$EVENT/retry '{"reason": "provider fixed"}' retry
is "retry an event: NEW again" "$(jq -r '.status + " " + (.attempts | tostring)' "$T/retry")" "NEW 0"
api POST /events/$EVENT/retry '{}' retry2
is "retry one that is not FAILED: 409" "$code" 409

# ---- tallyctl token ----------------------------------------------------------
"$BIN/tallyctl" token create guide --role read >/dev/null 2>"$T/dup.err"
is "a name is never reused: exit 65" "$?" 65
"$BIN/tallyctl" token create late --role read --expires 2020-01-01 >/dev/null 2>&1
is "an expiry in the past: exit 64" "$?" 64
"$BIN/tallyctl" token create nobody --role root >/dev/null 2>&1
is "an unknown role: exit 64" "$?" 64
LATER=$("$BIN/tallyctl" token create later --role read --expires 2099-12-31T12:00Z 2>"$T/later.err")
is "an expiry in the future: made" "$?" 0
api GET /chatgpt-accounts "" ignored "Authorization: Bearer $LATER"
is "...and it works until then" "$code" 200
is "token list: its expiry" \
	"$("$BIN/tallyctl" token list --json | jq -r '.[] | select(.name == "later") | "\(.state) \(.expires_at | startswith("2099-12-31"))"')" \
	"active true"
is "token list: the token, active, used" \
	"$("$BIN/tallyctl" token list --json | jq -r '.[] | select(.name == "guide") | "\(.role) \(.state) \(.last_used_at != null)"')" \
	"write active true"
is "the table holds no token, only its hash" \
	"$(sql "SELECT count(*) FROM api_tokens WHERE position('$TOKEN' IN encode(token_hash, 'escape')) > 0 OR key_id = '$TOKEN'")" 0
"$BIN/tallyctl" token revoke guide --reason "test over" >/dev/null 2>&1
is "token revoke" "$?" 0
api GET /chatgpt-accounts "" ignored
is "a revoked token: 401 at once" "$code" 401
is "the revoke is audited" \
	"$(sql "SELECT count(*) FROM audit_log WHERE action = 'token.revoke' AND reason = 'test over'")" 1

tap_done
