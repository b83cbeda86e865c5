#!/bin/sh
# t_admin_api.sh - the seat-pool guide's admin work through tally-admin,
# with curl exactly as a guide user types it (docs/API.md), only the
# Authorization header added: each answer is what the guide describes,
# and the state it leaves (accounts, assignments, customers, the audit
# trail) is the state the same work through tallyctl leaves in a second
# database.  The program is the built binary, on a port the kernel picks.
# Needs tests/run.sh (TALLY_BINDIR, TALLY_DATABASE_URL, TALLY_TEST_*).
set -u
BIN=$TALLY_BINDIR
TMP=$(mktemp -d /tmp/t_admin_api.XXXXXX)
PID=""
fails=0
CTL_DB="$(psql -X -q -t -A "$TALLY_DATABASE_URL" -c 'SELECT current_database()')_ctl"

finish() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	psql -X -q "$TALLY_TEST_ADMIN_URL" -c "DROP DATABASE IF EXISTS $CTL_DB" \
	    >/dev/null 2>&1
	rm -rf "$TMP"
}
trap finish EXIT

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; fails=$((fails + 1)); }
# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: got '$2', want '$3'"; fi
}
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$TALLY_DATABASE_URL" -c "$1"; }

if ! command -v jq >/dev/null 2>&1; then
	echo "skipped: jq is not installed (make deps)"
	exit 77
fi

# ---- the server -------------------------------------------------------------
cat >"$TMP/tally.conf" <<EOF
admin_listen = 127.0.0.1:0
EOF
TOKEN=$("$BIN/tallyctl" token create guide --role write 2>"$TMP/token.err")
[ -n "$TOKEN" ] && ok "tallyctl token create prints the token" ||
	{ notok "token create"; cat "$TMP/token.err"; exit 1; }
"$BIN/tally-admin" -c "$TMP/tally.conf" -n >/dev/null && ok "tally-admin -n"
"$BIN/tally-admin" -c "$TMP/tally.conf" 2>"$TMP/admin.log" &
PID=$!
PORT=""
while [ -z "$PORT" ]; do
	kill -0 "$PID" 2>/dev/null || { notok "tally-admin died"; cat "$TMP/admin.log"; exit 1; }
	PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$TMP/admin.log")
done
ok "tally-admin listens on port $PORT"

# ---- the guide's commands ----------------------------------------------------
# What a guide user has set: where the API is, and the header.
API=http://127.0.0.1:$PORT/api/admin
AUTH="Authorization: Bearer $TOKEN"

# Add a single-user account and a team account with 3 seats.
curl -s -X POST "$API/chatgpt-accounts" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"email": "solo@pool.example", "note": "Plus, single user", "status": "AVAILABLE", "max_seats": null}' \
  >"$TMP/a1"
is "add single-user: the account" "$(jq -r '[.id, .email, .status, .max_seats] | @csv' "$TMP/a1")" \
	'1,"solo@pool.example","AVAILABLE",'
curl -s -X POST "$API/chatgpt-accounts" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"email": "team@pool.example", "note": "Team, 3 seats", "status": "AVAILABLE", "max_seats": 3}' \
  >"$TMP/a2"
is "add team: 3 seats free" "$(jq -r '.seats_free' "$TMP/a2")" 3

# Import the rest from a CSV file.
cat >"$TMP/accounts.csv" <<'EOF'
email,note,max_seats,status
bulk1@pool.example,imported,,AVAILABLE
bulk2@pool.example,"imported, shared",2,AVAILABLE
EOF
curl -s -X POST "$API/chatgpt-accounts/import" \
  -H "$AUTH" \
  -H "Content-Type: text/csv" \
  --data-binary @"$TMP/accounts.csv" \
  >"$TMP/imp"
is "import: 2 accounts" "$(jq -r '.count' "$TMP/imp")" 2

# The available pool, a page at a time.
curl -s "$API/chatgpt-accounts?status=AVAILABLE&page=1&per_page=50" \
  -H "$AUTH" \
  >"$TMP/list"
is "list: total" "$(jq -r '.total' "$TMP/list")" 4
is "list: emails" "$(jq -r '[.items[].email] | join(" ")' "$TMP/list")" \
	"solo@pool.example team@pool.example bulk1@pool.example bulk2@pool.example"

# Suspend an account whose password must be reset, then bring it back.
curl -s -X PUT "$API/chatgpt-accounts/1" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"status": "SUSPENDED", "note": "Password reset needed"}' \
  >"$TMP/susp"
is "suspend" "$(jq -r '.status + " " + .note' "$TMP/susp")" \
	"SUSPENDED Password reset needed"
curl -s -X PUT "$API/chatgpt-accounts/1" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"status": "AVAILABLE", "note": "Password reset done"}' \
  >"$TMP/react"
is "reactivate" "$(jq -r '.status' "$TMP/react")" AVAILABLE

# Give a customer a seat by hand on the team account.
curl -s -X POST "$API/account-assignments" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"account_id": 2, "customer_email": "alice@example.com", "days": 30}' \
  >"$TMP/asg1"
is "assign: active for alice" "$(jq -r '.status + " " + .customer' "$TMP/asg1")" \
	"ACTIVE alice@example.com"
curl -s -X POST "$API/account-assignments" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"account_id": 2, "customer_email": "bob@example.com", "days": 5}' \
  >"$TMP/asg2"

# Which seats end within a week?
curl -s "$API/account-assignments?status=ACTIVE&ending_soon=true&days=7" \
  -H "$AUTH" \
  >"$TMP/soon"
is "ending soon: bob's" "$(jq -r '[.items[].customer] | join(" ")' "$TMP/soon")" \
	"bob@example.com"

# Extend bob's by 30 days; revoke alice's after a refund.
curl -s -X POST "$API/account-assignments/2/extend" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"additional_days": 30}' \
  >"$TMP/ext"
is "extend: still active" "$(jq -r '.status' "$TMP/ext")" ACTIVE
curl -s -X POST "$API/account-assignments/1/revoke" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"reason": "Refund issued"}' \
  >"$TMP/rev"
is "revoke" "$(jq -r '.status + " " + .reason' "$TMP/rev")" "REVOKED Refund issued"

# The audit log shows who did it.
curl -s "$API/audit-logs?page=1&per_page=50" \
  -H "$AUTH" \
  >"$TMP/audit"
is "audit: newest first, by the token" \
	"$(jq -r '.items[0] | .action + " " + .actor' "$TMP/audit")" \
	"assignment.revoke token:guide"
is "audit: every change" "$(jq -r '[.items[] | select(.actor == "token:guide")] | length' "$TMP/audit")" 10

# A mistake is answered as a problem, and changes nothing.
code=$(curl -s -o "$TMP/prob" -w '%{http_code}' -X POST "$API/account-assignments/1/extend" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"additional_days": 30}')
is "extend a revoked one: 422" "$code" 422
is "problem+json type" "$(jq -r '.type' "$TMP/prob")" "urn:tally:problem:refused"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/chatgpt-accounts")
is "without the header: 401" "$code" 401

# ---- the same through tallyctl, in another database -------------------------
psql -X -q "$TALLY_TEST_ADMIN_URL" -c "CREATE DATABASE $CTL_DB TEMPLATE $TALLY_TEST_TEMPLATE" ||
	{ notok "create $CTL_DB"; exit 1; }
CTL_URL="host=$TALLY_TEST_HOST port=5432 dbname=$CTL_DB user=tally"
ctl() { TALLY_DATABASE_URL=$CTL_URL "$BIN/tallyctl" "$@" --actor token:guide >/dev/null 2>"$TMP/ctl.err" ||
	{ notok "tallyctl $*"; cat "$TMP/ctl.err"; }; }
TALLY_DATABASE_URL=$CTL_URL "$BIN/tallyctl" token create guide --role write >/dev/null 2>&1
ctl account add solo@pool.example --note "Plus, single user" --status AVAILABLE
ctl account add team@pool.example --note "Team, 3 seats" --status AVAILABLE --max-seats 3
ctl account import "$TMP/accounts.csv"
ctl account suspend 1 --note "Password reset needed"
ctl account reactivate 1 --note "Password reset done"
ctl assignment assign --account 2 --customer alice@example.com --days 30
ctl assignment assign --account 2 --customer bob@example.com --days 5
ctl assignment extend 2 --days 30
ctl assignment revoke 1 --reason "Refund issued"

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
state "$TALLY_DATABASE_URL" >"$TMP/state.api"
state "$CTL_URL" >"$TMP/state.ctl"
if cmp -s "$TMP/state.api" "$TMP/state.ctl"; then
	ok "the API left what tallyctl leaves ($(wc -l <"$TMP/state.api") rows)"
else
	notok "the API and tallyctl left different states:"
	diff "$TMP/state.ctl" "$TMP/state.api" | sed 's/^/    /'
fi

# ---- the access log ----------------------------------------------------------
n=$("$BIN/tallyctl" audit access --token guide --csv | tail -n +2 | wc -l)
is "tallyctl audit access --token guide: every request" "$n" 13
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
curl -s -X POST "$API/products" \
  -H "$ADMIN_AUTH" \
  -H "Content-Type: application/json" \
  -d '{"sku": "seat-20", "name": "Seat, 30 days", "kind": "seat", "days": 30, "price": "20.00", "currency": "USD"}' \
  >"$TMP/prod"
is "add a product: exact price" "$(jq -r '.price' "$TMP/prod")" "20.00"
"$BIN/tally-allocate" >/dev/null 2>&1
curl -s "$API/orders?held=true" -H "$AUTH" >"$TMP/held"
is "held orders: the underpaid one, with why" \
	"$(jq -r '.items[] | .customer + " " + .hold_reason' "$TMP/held")" \
	"cheap@example.com UNDERPAID"
ORDER=$(jq -r '.items[0].id' "$TMP/held")
code=$(curl -s -o "$TMP/appr" -w '%{http_code}' -X POST "$API/orders/$ORDER/approve" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{}')
is "approve needs a reason: 400" "$code" 400
curl -s -X POST "$API/orders/$ORDER/approve" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"reason": "goodwill: a test payment"}' \
  >"$TMP/appr"
is "approve: paid, queued for its seat" "$(jq -r '.status + " " + (.queued | tostring)' "$TMP/appr")" "PAID true"
is "approve: audited as the token" \
	"$(sql "SELECT actor FROM audit_log WHERE action = 'order.approve'")" "token:guide"
curl -s -X PUT "$API/products/seat-20" \
  -H "$ADMIN_AUTH" \
  -H "Content-Type: application/json" \
  -d '{"price": "18.00", "reason": "spring price"}' \
  >"$TMP/upd"
is "update a product" "$(jq -r '.price + " " + (.held_released | tostring)' "$TMP/upd")" "18.00 0"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$API/products/seat-20" \
  -H "$AUTH" -H "Content-Type: application/json" -d '{"price": "1.00"}')
is "a write token may not change prices: 403" "$code" 403
sql "UPDATE raw_events SET status = 'FAILED', error = 'provider said no' WHERE event_key = 'evt_cheap'" >/dev/null
EVENT=$(sql "SELECT id FROM raw_events WHERE event_key = 'evt_cheap'")
curl -s -X POST "$API/events/$EVENT/retry" \
  -H "$AUTH" \
  -H "Content-Type: application/json" \
  -d '{"reason": "provider fixed"}' \
  >"$TMP/retry"
is "retry an event: NEW again" "$(jq -r '.status + " " + (.attempts | tostring)' "$TMP/retry")" "NEW 0"
code=$(curl -s -o "$TMP/retry2" -w '%{http_code}' -X POST "$API/events/$EVENT/retry" \
  -H "$AUTH" -H "Content-Type: application/json" -d '{}')
is "retry one that is not FAILED: 409" "$code" 409

# ---- tallyctl token ----------------------------------------------------------
"$BIN/tallyctl" token create guide --role read >/dev/null 2>"$TMP/dup.err"
is "a name is never reused: exit 65" "$?" 65
"$BIN/tallyctl" token create late --role read --expires 2020-01-01 >/dev/null 2>&1
is "an expiry in the past: exit 64" "$?" 64
"$BIN/tallyctl" token create nobody --role root >/dev/null 2>&1
is "an unknown role: exit 64" "$?" 64
is "token list: the token, active, used" \
	"$("$BIN/tallyctl" token list --json | jq -r '.[] | select(.name == "guide") | "\(.role) \(.state) \(.last_used_at != null)"')" \
	"write active true"
is "the table holds no token, only its hash" \
	"$(sql "SELECT count(*) FROM api_tokens WHERE position('$TOKEN' IN encode(token_hash, 'escape')) > 0 OR key_id = '$TOKEN'")" 0
"$BIN/tallyctl" token revoke guide --reason "test over" >/dev/null 2>&1
is "token revoke" "$?" 0
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/chatgpt-accounts" -H "$AUTH")
is "a revoked token: 401 at once" "$code" 401
is "the revoke is audited" \
	"$(sql "SELECT count(*) FROM audit_log WHERE action = 'token.revoke' AND reason = 'test over'")" 1

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
exit 0
