#!/bin/sh
# t_ctl_cli.sh - tallyctl's admin commands end to end through the binary:
# exit codes, output formats, CSV import from a file and from stdin,
# refusals, and audit verify catching a row rewritten behind its back.
# Needs tests/run.sh (TALLY_BINDIR, TALLY_DATABASE_URL as the superuser).
set -u
CTL="$TALLY_BINDIR/tallyctl"
FIX=$(cd "$(dirname "$0")/fixtures/ctl" && pwd)
TMP=$(mktemp -d /tmp/t_ctl_cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; fails=$((fails + 1)); }
# check DESCRIPTION EXPECTED_STATUS COMMAND...: run, compare the status
check() {
	desc=$1 want=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$desc"
	else
		notok "$desc (exit $got, wanted $want)"
		sed 's/^/    /' "$TMP/out" "$TMP/err"
	fi
}
# has DESCRIPTION FILE TEXT: FILE contains TEXT
has() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else
		notok "$1: no '$3' in"
		sed 's/^/    /' "$2"
	fi
}
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$TALLY_DATABASE_URL" -c "$1"; }

if "$CTL" account --help 2>&1 | grep -q "unknown command"; then
	echo "skipped: this tallyctl does not dispatch the account command yet"
	exit 77
fi

check "import the fixture" 0 "$CTL" account import "$FIX/accounts.csv" --actor t_cli
has "import says how many" "$TMP/err" "imported 3 accounts"
[ "$(sql "SELECT count(*) FROM pool_accounts")" = 3 ] && ok "3 accounts" || notok "3 accounts"

# BOM + CRLF from standard input
printf '\357\273\277email,note\r\nstdin@example.com,"a, b"\r\n' >"$TMP/in.csv"
check "import from stdin" 0 sh -c "\"$CTL\" account import - < \"$TMP/in.csv\""
[ "$(sql "SELECT note FROM pool_accounts WHERE email = 'stdin@example.com'")" = "a, b" ] &&
	ok "quoted comma kept" || notok "quoted comma kept"

check "bad import refused" 65 "$CTL" account import "$FIX/accounts_bad.csv"
has "bad value line named" "$TMP/err" "accounts_bad.csv:4: max_seats:"
has "duplicate lines named" "$TMP/err" "accounts_bad.csv:5: email: DUP@example.com is a duplicate of line 3"
[ "$(sql "SELECT count(*) FROM pool_accounts WHERE email ILIKE 'ok@example.com'")" = 0 ] &&
	ok "nothing imported" || notok "nothing imported"

check "list as JSON" 0 "$CTL" account list --json
if /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if len(d)==4 else 1)' <"$TMP/out"; then
	ok "JSON parses, 4 accounts"
else
	notok "JSON parses, 4 accounts"
fi
check "list as CSV" 0 "$CTL" account list --status SUSPENDED --csv
has "CSV header" "$TMP/out" '"id","email","status"'
has "CSV row" "$TMP/out" '"pool-c@example.com","SUSPENDED"'
check "list as a table" 0 "$CTL" account list
has "table footer" "$TMP/out" "(4 rows)"

check "assign a seat" 0 "$CTL" assignment assign --account pool-b@example.com \
	--customer buyer@example.com --days 30 --reason "manual sale" --json
aid=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <"$TMP/out")
check "assign to the full account" 65 "$CTL" assignment assign \
	--account pool-b@example.com --customer other@example.com --days 30
has "full is explained" "$TMP/err" "is full"
check "assign to a suspended account" 65 "$CTL" assignment assign \
	--account pool-c@example.com --customer other@example.com --days 30
check "revoke needs a reason" 64 "$CTL" assignment revoke "$aid"
check "revoke" 0 "$CTL" assignment revoke "$aid" --reason "refund"
check "revoke twice" 65 "$CTL" assignment revoke "$aid" --reason "again"
check "extend a revoked one" 65 "$CTL" assignment extend "$aid" --days 3
check "reactivate an active account" 65 "$CTL" account reactivate pool-a@example.com
check "unknown option" 64 "$CTL" account list --bogus
check "unknown verb" 64 "$CTL" assignment frob

check "audit list" 0 "$CTL" audit list --actor t_cli --csv
has "import audited" "$TMP/out" '"account.import"'
check "audit verify intact" 0 "$CTL" audit verify
has "intact" "$TMP/out" "audit log intact"

victim=$(sql "SELECT id FROM audit_log WHERE action = 'assignment.revoke' ORDER BY id LIMIT 1")
sql "ALTER TABLE audit_log DISABLE TRIGGER USER;
     UPDATE audit_log SET reason = 'nothing to see' WHERE id = $victim;
     ALTER TABLE audit_log ENABLE TRIGGER USER" >/dev/null
check "audit verify catches the edit" 1 "$CTL" audit verify
has "the altered row is named" "$TMP/out" "BROKEN at row $victim:"

[ "$fails" -eq 0 ]
