#!/bin/sh
# t_panel_browser.sh - the admin panel (/admin on tally-admin) in a real
# browser: Debian's chromium driven by python3-selenium
# (tests/support/panel_browser.py), against the built tally-admin on a
# loopback port the kernel picks, over a database seeded like a small
# live site: a pool of seat accounts (some full, one suspended), image
# users with different credit balances, models with today's calls, a
# held order, open reconcile cases, a firing alert.
#
# The six tests of issue 15 (log in and read the dashboard, sort users by
# balance, suspend an account and find the audit entry, a note with
# <script> shown as text, a form without its CSRF token refused, a
# logged-out visitor sent to the login page), then every page of the
# navigation answers 200 without a console error (which is where
# chromium reports a Content-Security-Policy violation).  A screenshot of
# every page goes to $TALLY_TEST_OUTPUT/panel-browser/PAGE.png (tests/run.sh
# sets TALLY_TEST_OUTPUT to O/test-output: build/release/test-output/...).
#
# A machine without chromium, chromium-driver or python3-selenium fails
# here, loudly: `make deps` installs them, and CI runs it.
# Run by tests/run.sh (TALLY_BINDIR, TALLY_DATABASE_URL set).
set -u
: "${TALLY_BINDIR:?run under tests/run.sh}"
: "${TALLY_DATABASE_URL:?run under tests/run.sh}"
BIN=$TALLY_BINDIR
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${TALLY_TEST_OUTPUT:-$TOP/build/test-output}/panel-browser
TMP=$(mktemp -d /tmp/t_panel_browser.XXXXXX)
PID="" RPID=""

finish() {
	for p in $PID $RPID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap finish EXIT

fail() { echo "not ok - $*"; exit 1; }
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$TALLY_DATABASE_URL" -c "$1"; }
# tallyctl as the seeding admin would run it; output kept for a failure
ctl() {
	"$BIN/tallyctl" "$@" --actor seed >"$TMP/seed.log" 2>&1 ||
		{ tail -5 "$TMP/seed.log"; fail "seeding: tallyctl $*"; }
}

# Debian's python: python3-selenium is installed for it, whatever python3
# comes first in PATH (a pyenv shim, a virtualenv)
PY=/usr/bin/python3
for f in /usr/bin/chromium /usr/bin/chromedriver "$PY"; do
	[ -x "$f" ] || fail "$f is missing: make deps installs chromium," \
	    "chromium-driver and python3-selenium"
done
"$PY" -c 'import selenium' 2>"$TMP/py.err" ||
	{ cat "$TMP/py.err"; fail "python3-selenium is missing: make deps installs it"; }

rm -rf "$OUT"
mkdir -p "$OUT" || fail "cannot create $OUT"

# ---- the data ----------------------------------------------------------------
ADMIN=ana
printf 'correct horse battery staple\n' >"$TMP/password"
"$BIN/tallyctl" admin-user add "$ADMIN" --role admin \
    --password-file "$TMP/password" >"$TMP/admin-user.log" 2>&1 ||
	{ cat "$TMP/admin-user.log"; fail "tallyctl admin-user add $ADMIN"; }

# The seat pool: team accounts partly used, single-user ones, one full,
# one already suspended.
ctl account add team-a@pool.example --max-seats 5 --note "Team, 5 seats"
ctl account add team-b@pool.example --max-seats 5 --note "Team, 5 seats"
ctl account add team-c@pool.example --max-seats 3 --note "Team, 3 seats"
ctl account add plus-1@pool.example --note "Plus, single user"
ctl account add plus-2@pool.example --note "Plus, single user"
ctl account add plus-3@pool.example --note "Plus, single user"
ctl account add plus-4@pool.example --note "Plus, single user" \
    --status SUSPENDED
i=0
for c in alice bob carol dan erin frank grace heidi ivan judy mallory; do
	i=$((i + 1))
	case $i in
	1|2|3|4) acct=team-a@pool.example ;;
	5|6|7) acct=team-c@pool.example ;;
	8) acct=plus-1@pool.example ;;
	*) acct=team-b@pool.example ;;
	esac
	# a few end this week: the dashboard's and assignments page's "ending soon"
	days=$((i * 4))
	ctl assignment assign --account "$acct" --customer "$c@example.com" \
	    --days "$days"
done
SUSPEND_ID=$(sql "SELECT id FROM pool_accounts WHERE email = 'plus-2@pool.example'")
CSRF_ID=$(sql "SELECT id FROM pool_accounts WHERE email = 'plus-3@pool.example'")

# The image service: users with distinct balances, models, and calls
# over the last week (today's among them).
sql "INSERT INTO app_users (external_id, email, registered_at, last_login_at)
     SELECT 'u' || n, e, now() - (n * interval '9 days'),
            now() - (n * interval '5 hours')
       FROM unnest(ARRAY['mia@studio.example', 'noah@pixels.example',
                         'olivia@frame.example', 'liam@render.example',
                         'emma@canvas.example', 'lucas@lens.example',
                         'ava@inkwell.example', 'leo@sketch.example'])
            WITH ORDINALITY AS t(e, n)" >/dev/null || fail "seeding users"
n=0
for u in mia noah olivia liam emma lucas ava leo; do
	n=$((n + 1))
	ctl user credit "u$n" --delta $(( (n * 37) % 11 * 120 + n * 15 )) \
	    --reason "welcome credits"
done
ctl user credit u3 --delta -40 --reason "refund of a failed batch"
ctl model set sdxl-turbo --credit-cost 2 --provider-cost 0.01
ctl model set flux-pro --credit-cost 8 --provider-cost 0.05
ctl model set upscale-4x --credit-cost 1 --provider-cost 0.01
ctl model set legacy-v1 --inactive --credit-cost 3
sql "INSERT INTO usage_events (event_id, user_id, model_id, kind, started_at,
                                duration_ms, credits, status)
     SELECT 'ev' || g, u.id, m.id, CASE WHEN g % 4 = 0 THEN 'edit' ELSE 'generate' END,
            now() - ((g % 7) * interval '1 day') - ((g % 13) * interval '1 minute'),
            800 + (g * 37) % 2400, m.credit_cost,
            CASE WHEN g % 29 = 0 THEN 'error' ELSE 'ok' END
       FROM generate_series(1, 240) g
       JOIN app_users u ON u.external_id = 'u' || (1 + g % 8)
       JOIN models m ON m.name = (ARRAY['sdxl-turbo', 'flux-pro',
            'sdxl-turbo', 'upscale-4x', 'sdxl-turbo', 'flux-pro',
            'sdxl-turbo'])[1 + (g / 7) % 7]" >/dev/null ||
	fail "seeding usage"

# A payment too small for its product: tally-allocate holds the order.
ctl product add --sku seat-20 --name "Seat, 30 days" --kind seat --days 30 \
    --price 20.00 --currency USD
body='{"id":"evt_cheap","object":"event","type":"checkout.session.completed","created":1700000000,"data":{"object":{"id":"cs_cheap","object":"checkout.session","amount_total":1,"currency":"usd","customer_details":{"email":"cheap@example.com"},"payment_intent":"pi_cheap","payment_status":"paid","metadata":{"sku":"seat-20"}}}}'
psql -X -q -v ON_ERROR_STOP=1 -v body="$body" "$TALLY_DATABASE_URL" <<'SQL' ||
INSERT INTO raw_events (source, scheme, event_key, body, payload)
VALUES ('stripe', 'stripe', 'evt_cheap', convert_to(:'body', 'UTF8'), :'body'::jsonb);
SQL
	fail "seeding the held order's event"
# (it exits 1 for a run with problems: a held order is one)
"$BIN/tally-allocate" >"$TMP/allocate.log" 2>&1
[ "$(sql "SELECT count(*) FROM orders WHERE status = 'HELD'")" = 1 ] ||
	{ cat "$TMP/allocate.log"; fail "tally-allocate did not hold the order"; }

# What reconcile would have found (the held order raised an alert).
sql "INSERT INTO reconcile_cases (category, fingerprint, keys, severity,
                                   currency, amount_minor, first_seen, last_seen)
     VALUES ('AMOUNT_MISMATCH', 'pb-1', '{\"order\": 1}', 'error', 'USD', 1999,
             now() - interval '2 days', now()),
            ('DISPUTE_OPEN', 'pb-2', '{\"dispute\": \"dp_1\"}', 'warning', 'USD',
             2000, now() - interval '1 day', now()),
            ('STUCK_ASSIGNED', 'pb-3', '{\"account\": 1}', 'warning', NULL, NULL,
             now() - interval '3 hours', now()),
            ('CREDITS_OVERDRAWN', 'pb-4', '{\"user\": \"u3\"}', 'info', NULL, NULL,
             now() - interval '1 hour', now())" >/dev/null ||
	fail "seeding cases"
USER_ID=$(sql "SELECT id FROM app_users WHERE external_id = 'u1'")

# ---- the servers -------------------------------------------------------------
# port_of PID LOG: the port the program says it listens on, once it does
port_of() {
	port=""
	while [ -z "$port" ]; do
		kill -0 "$1" 2>/dev/null ||
			{ cat "$2" >&2; echo "not ok - it died: $2" >&2; exit 1; }
		port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$2")
	done
	echo "$port"
}
# The receiver runs too, so that the dashboard's checks (tallyctl
# status) find it answering, as on a live site.
printf 'whsec_panel_browser_test\n' >"$TMP/stripe.secret"
chmod 600 "$TMP/stripe.secret"
source_conf() {
	printf '[source stripe]\nscheme = stripe\nsecret_file = %s\n' \
	    "$TMP/stripe.secret"
}
{ echo "listen = 127.0.0.1:0"; source_conf; } >"$TMP/receiver.conf"
"$BIN/tally-receiver" -c "$TMP/receiver.conf" 2>"$TMP/receiver.log" &
RPID=$!
RPORT=$(port_of "$RPID" "$TMP/receiver.log") || exit 1
# tally-admin and every tallyctl status of the test read the same file
{
	echo "listen = 127.0.0.1:$RPORT"
	echo "admin_listen = 127.0.0.1:0"
	source_conf
} >"$TMP/tally.conf"
"$BIN/tally-admin" -c "$TMP/tally.conf" 2>"$TMP/admin.log" &
PID=$!
PORT=$(port_of "$PID" "$TMP/admin.log") || exit 1
echo "ok - tally-receiver listens on port $RPORT, tally-admin on $PORT"

# ---- the browser --------------------------------------------------------------
PANEL_BASE=http://127.0.0.1:$PORT \
PANEL_ADMIN=$ADMIN \
PANEL_PASSWORD_FILE=$TMP/password \
PANEL_OUT=$OUT \
PANEL_TMP=$TMP \
TALLY_CONFIG=$TMP/tally.conf \
PANEL_SUSPEND_ID=$SUSPEND_ID \
PANEL_CSRF_ID=$CSRF_ID \
PANEL_USER_ID=$USER_ID \
	"$PY" "$TOP/tests/support/panel_browser.py"
rc=$?
if [ $rc -ne 0 ]; then
	echo "tally-admin's log (last lines):"
	tail -20 "$TMP/admin.log"
	echo "screenshots: $OUT"
fi
exit $rc
