#!/bin/sh
# t_admin_user.sh - `tallyctl admin-user` as an operator types it (the
# password from --password-file, as a script gives it: no terminal),
# then a login through the built tally-admin with curl: the cookie, the
# dashboard, and a disabled user shut out.
# Needs tests/run.sh (TALLY_BINDIR, TALLY_DATABASE_URL).
set -u
. "$(dirname "$0")/support/tap.sh"
tap_start t_admin_user
BIN=$TALLY_BINDIR
TMP=$T
PID=""

finish() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap finish EXIT

ctl() { "$BIN/tallyctl" admin-user "$@"; }

printf 'a long enough secret\n' >"$TMP/pw"
printf '\n' >"$TMP/empty"
printf 'short\n' >"$TMP/short"

ctl add carol --role write --password-file "$TMP/pw" >"$TMP/add.out" 2>&1
is "admin-user add" "$?" 0
grep -q "a long enough secret" "$TMP/add.out" && notok "the password is echoed" ||
	ok "the password is not echoed"
is "only a yescrypt hash is kept" \
	"$(sql "SELECT password_hash LIKE '\$y\$%' AND position('secret' IN password_hash) = 0 FROM admin_users WHERE name = 'carol'")" t
is "the add is audited, without the hash" \
	"$(sql "SELECT count(*) FROM audit_log WHERE action = 'admin_user.add' AND NOT after ? 'password_hash' AND position('\$y\$' IN after::text) = 0")" 1
ctl add carol --role read --password-file "$TMP/pw" >/dev/null 2>&1
is "a name is never reused: exit 65" "$?" 65
ctl add dave --role read --password-file "$TMP/empty" >/dev/null 2>"$TMP/empty.err"
is "an empty password: exit 64" "$?" 64
grep -q "empty" "$TMP/empty.err" && ok "and says so" || notok "empty: $(cat "$TMP/empty.err")"
ctl add dave --role read --password-file "$TMP/short" >/dev/null 2>&1
is "a short password: exit 64" "$?" 64
ctl add dave --role root --password-file "$TMP/pw" >/dev/null 2>&1
is "an unknown role: exit 64" "$?" 64
ctl add dave --password-file "$TMP/pw" >/dev/null 2>&1
is "no role: exit 64" "$?" 64
# with no terminal at all (setsid: not even the one a developer runs the
# tests from), it says to use --password-file
if command -v setsid >/dev/null 2>&1; then
	setsid -w "$BIN/tallyctl" admin-user add dave --role read </dev/null \
	    >/dev/null 2>"$TMP/tty.err"
	is "no terminal, no file: exit 64" "$?" 64
	grep -q -- "--password-file" "$TMP/tty.err" && ok "and names --password-file" ||
		notok "no terminal: $(cat "$TMP/tty.err")"
fi
is "dave was never added" "$(sql "SELECT count(*) FROM admin_users WHERE name = 'dave'")" 0

# ---- the panel ---------------------------------------------------------------
cat >"$TMP/tally.conf" <<EOF2
admin_listen = 127.0.0.1:0
EOF2
admin_start "$TMP/tally.conf" "$TMP/admin.log"
URL=http://127.0.0.1:$PORT/admin
# as a browser: the login page (its tally_login cookie and the form's
# CSRF token), then the form
login() {
	local csrf
	rm -f "$TMP/jar"
	csrf=$(curl -s -c "$TMP/jar" "$URL/login" |
	    sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
	curl -s -o /dev/null -b "$TMP/jar" -c "$TMP/jar" -w '%{http_code}' \
	    "$URL/login" --data-urlencode "name=$1" \
	    --data-urlencode "password@$2" --data-urlencode "csrf=$csrf"
}
# curl's @file keeps the line end: a file without one
printf 'a long enough secret' >"$TMP/pw.raw"
is "login" "$(login carol "$TMP/pw.raw")" 303
is "the dashboard with the cookie" \
	"$(curl -s -o "$TMP/dash.html" -b "$TMP/jar" -w '%{http_code}' "$URL")" 200
grep -q '<span class="user">carol</span>' "$TMP/dash.html" && ok "names the user" ||
	notok "dashboard: $(head -c 300 "$TMP/dash.html")"
grep -q "tally_session" "$TMP/admin.log" && notok "the cookie is logged" ||
	ok "the cookie is not logged"
grep -q "secret" "$TMP/admin.log" && notok "the password is logged" ||
	ok "the password is not logged"

printf 'another long secret' >"$TMP/pw2.raw"
printf 'another long secret\n' >"$TMP/pw2"
ctl passwd carol --password-file "$TMP/pw2" >/dev/null 2>&1
is "admin-user passwd" "$?" 0
is "passwd ends the sessions" \
	"$(curl -s -o /dev/null -b "$TMP/jar" -w '%{http_code}' "$URL")" 303
is "the old password no longer works" "$(login carol "$TMP/pw.raw")" 401
is "the new one does" "$(login carol "$TMP/pw2.raw")" 303
ctl disable carol --reason "on leave" >/dev/null 2>&1
is "admin-user disable" "$?" 0
is "disable ends the sessions" \
	"$(curl -s -o /dev/null -b "$TMP/jar" -w '%{http_code}' "$URL")" 303
is "a disabled user cannot log in" "$(login carol "$TMP/pw2.raw")" 401
ctl disable carol >/dev/null 2>&1
is "disable twice: refused, exit 65" "$?" 65
ctl enable carol >/dev/null 2>&1
is "admin-user enable" "$?" 0
is "logs in again" "$(login carol "$TMP/pw2.raw")" 303
is "list" "$(ctl list --json | jq -r '.[] | "\(.name) \(.role) \(.state) \(.last_login_at != null)"')" \
	"carol write active true"
ctl remove carol >/dev/null 2>&1
is "admin-user remove" "$?" 0
is "removed: out" "$(curl -s -o /dev/null -b "$TMP/jar" -w '%{http_code}' "$URL")" 303
is "list hides removed users" "$(ctl list --json | jq -r 'length')" 0
is "list --all shows them" "$(ctl list --all --json | jq -r '.[0].state')" removed
ctl enable carol >/dev/null 2>&1
is "a removed user cannot be enabled: exit 65" "$?" 65
is "every change is audited" \
	"$(sql "SELECT string_agg(action, ' ' ORDER BY id) FROM audit_log WHERE entity = 'admin_user' AND action LIKE 'admin_user.%'")" \
	"admin_user.add admin_user.passwd admin_user.disable admin_user.enable admin_user.remove"

tap_done
