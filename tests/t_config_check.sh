#!/bin/sh
# t_config_check.sh - `tallyctl config check` refuses what a program would
# refuse at start (issue 11), and says where without quoting a secret:
# a secret line of one space, a blank line, a line too long to be one
# key, a secret file group or others may read, a secret pasted into
# tally.conf, listen = nope, a port past 65535, an unknown time zone, a
# URL that is not one, a broken audit key; and what the programs check
# with their own functions: a standard-webhooks secret that is not whsec_
# and base64, a listen or admin_listen host that does not resolve,
# tally-admin's TLS pair, a read_database_url libpq cannot parse.
# tally-receiver -n (or tally-admin -n) agrees.  Needs no database.
set -u
T=${TALLY_BINDIR:-bin}/tallyctl
R=${TALLY_BINDIR:-bin}/tally-receiver
A=${TALLY_BINDIR:-bin}/tally-admin
fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }

D=$(mktemp -d /tmp/tally-confcheck.XXXXXX)
trap 'rm -rf "$D"' EXIT
unset CREDENTIALS_DIRECTORY
export TALLY_HOME="$D/home"
mkdir -p "$TALLY_HOME"
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

conf() {
	# conf EXTRA-TOP-LINES: a configuration with one source, secret in $D/st
	printf 'listen = 127.0.0.1:8080\n%s\n[source stripe]\nscheme = stripe\nsecret_file = %s/st\n' \
	    "$1" "$D" > "$D/tally.conf"
}
secret() {
	printf '%b' "$1" > "$D/st"
	chmod "${2:-600}" "$D/st"
}
# check WHAT WANT-IN-OUTPUT [PROGRAM]: config check must fail with exit 78,
# name WANT, and never print TOPSECRET; PROGRAM -n (default the receiver)
# refuses it too
check() {
	out=$("$T" config check -c "$D/tally.conf" 2>&1)
	rc=$?
	if [ "$rc" = 78 ] && printf '%s' "$out" | grep -qF -- "$2" &&
	    ! printf '%s' "$out" | grep -q TOPSECRET; then
		ok "config check refuses $1"
	else
		notok "config check on $1: exit $rc: $out"
	fi
	[ -n "${3-}" ] || set -- "$1" "$2" "$R"
	[ "$3" = none ] && return
	"$3" -n -c "$D/tally.conf" >/dev/null 2>&1
	rc=$?
	[ "$rc" = 78 ] && ok "$(basename "$3") -n refuses $1" ||
	    notok "$(basename "$3") -n on $1: exit $rc"
}

conf ""
secret "$SECRET\n"
out=$("$T" config check -c "$D/tally.conf" 2>&1) && [ "$out" = "configuration OK" ] &&
    ok "a sound configuration is OK" || notok "a sound configuration: $out"
secret "  $SECRET  \n"
"$T" config check -c "$D/tally.conf" >/dev/null 2>&1 &&
    ok "surrounding spaces are trimmed, not refused" ||
    notok "a secret with surrounding spaces is refused"

secret " \n"
check "a secret line of one space" "/st:1: empty or blank line"
secret "$SECRET\n\n"
check "a blank line after the secret" "/st:2: empty or blank line"
secret "$(head -c 1500 /dev/zero | tr '\0' 'T')OPSECRET\n"
check "a line too long to be one secret" "/st:1: line longer than 1024 bytes"
secret "$SECRET\n" 640
check "a group-readable secret file" "group or others may read it (mode 0640)"
secret "$SECRET\n" 604
check "a world-readable secret file" "group or others may read it (mode 0604)"
secret "$SECRET\n"

printf 'listen = 127.0.0.1:8080\n[source stripe]\nscheme = stripe\nsecret_file = whsec_TOPSECRETxYz9\n' \
    > "$D/tally.conf"
check "a secret pasted as secret_file" "tally.conf:4: [source stripe] secret_file (value not shown"
conf "tolerance_TOPSECRET"
check "a secret pasted as a line" "tally.conf:2: expected 'key = value'"
conf "listen = nope"
check "listen = nope" "tally.conf:2: listen = nope: expected HOST:PORT"
conf "listen = 127.0.0.1:99999"
check "port 99999" "port 99999 is out of range"
conf "tz = Mars/Olympus_Mons"
check "an unknown time zone" "tz = Mars/Olympus_Mons: not a time zone"
conf "alert_url = hooks.example.com/TOPSECRET"
check "an alert_url that is not a URL" "tally.conf:2: alert_url: not a valid value"
conf "max_body = 99999999999"
check "a max_body out of range" "max_body: 99999999999 is out of range"
conf "max_inflight_bytes = 1000"
check "a max_inflight_bytes out of range" "max_inflight_bytes: 1000 is out of range"

# what the programs check at start with their own functions
printf 'listen = 127.0.0.1:8080\n[source sw]\nscheme = standard-webhooks\nsecret_file = %s/st\n' \
    "$D" > "$D/tally.conf"
secret "whsec_TOPSECRET!!not*base64\n"
check "a standard-webhooks secret that is not whsec_ and base64" \
    "source sw: secret 1: a standard-webhooks secret is whsec_ followed by base64"
secret "$SECRET\n"
"$T" config check -c "$D/tally.conf" >/dev/null 2>&1 &&
    ok "a whsec_ secret for standard-webhooks is OK" ||
    notok "a whsec_ secret for standard-webhooks is refused"
conf "listen = nosuchhost.invalid:80"
check "a listen host that does not resolve" "listen = nosuchhost.invalid:80"
conf "admin_listen = nosuchhost.invalid:80"
check "an admin_listen host that does not resolve" \
    "admin_listen = nosuchhost.invalid:80" "$A"
printf 'not really a certificate\n' > "$D/cert.pem"
printf 'not really a TOPSECRET key\n' > "$D/key.pem"
chmod 600 "$D/key.pem"
conf "admin_tls_cert_file = $D/cert.pem"
check "admin_tls_cert_file without admin_tls_key_file" \
    "admin_tls_cert_file and admin_tls_key_file go together" "$A"
conf "admin_tls_cert_file = $D/nonexistent.pem
admin_tls_key_file = $D/key.pem"
check "an admin_tls_cert_file that cannot be read" \
    "admin_tls_cert_file = $D/nonexistent.pem: No such file" "$A"
chmod 644 "$D/key.pem"
conf "admin_tls_cert_file = $D/cert.pem
admin_tls_key_file = $D/key.pem"
check "an admin_tls_key_file others may read" \
    "admin_tls_key_file = $D/key.pem: group or others may read it" "$A"
conf "read_database_url = host=replica port"
check "a read_database_url libpq cannot parse" \
    "read_database_url (TALLY_READ_DATABASE_URL) is not a valid connection string" none
conf "read_database_url = postgresql://tally@replica.example/tally"
"$T" config check -c "$D/tally.conf" >/dev/null 2>&1 &&
    ok "a read_database_url URL is OK" || notok "a read_database_url URL is refused"

# the audit key: a programs that audits would refuse these too
conf "audit_key_file = $D/audit.key"
printf '%s\n' 0123TOPSECRET > "$D/audit.key"
chmod 600 "$D/audit.key"
out=$("$T" config check -c "$D/tally.conf" 2>&1)
rc=$?
[ "$rc" = 78 ] && printf '%s' "$out" | grep -q "audit.key:1: not 64 to 128 hex digits" &&
    ! printf '%s' "$out" | grep -q TOPSECRET &&
    ok "config check refuses a short audit key" || notok "short audit key: exit $rc: $out"
head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \n' > "$D/audit.key"
chmod 644 "$D/audit.key"
out=$("$T" config check -c "$D/tally.conf" 2>&1)
[ $? = 78 ] && printf '%s' "$out" | grep -q "may read it" &&
    ok "config check refuses a readable audit key" || notok "readable audit key: $out"
chmod 600 "$D/audit.key"
out=$("$T" config check -c "$D/tally.conf" 2>&1) && [ "$out" = "configuration OK" ] &&
    ok "a sound audit key is OK" || notok "a sound audit key: $out"
# the receiver never needs it
chmod 644 "$D/audit.key"
"$R" -n -c "$D/tally.conf" >/dev/null 2>&1 &&
    ok "tally-receiver -n does not read the audit key" ||
    notok "tally-receiver -n read the audit key"

if [ "$fails" -ne 0 ]; then
	echo "$fails failed"
	exit 1
fi
exit 0
