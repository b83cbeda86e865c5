#!/bin/sh
# t_db_embedded.sh - `tallyctl db` on its own clusters: first start,
# idempotent up, status/url, down, and the clear errors of issue 2 (binaries
# missing, data directory of another version, socket taken by another
# server, a bad TALLY_DATABASE_URL).
set -u
CTL="$TALLY_BINDIR/tallyctl"
unset TALLY_DATABASE_URL
T=$(mktemp -d /tmp/tally-tdb.XXXXXX)
chmod 755 "$T"
fails=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }
cleanup() {
	TALLY_HOME="$T/a" "$CTL" db down >/dev/null 2>&1
	TALLY_HOME="$T/b" "$CTL" db down >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

export TALLY_HOME="$T/a"
"$CTL" db up >"$T/up1.log" 2>&1
check "db up creates and starts a cluster" '[ $? -eq 0 ] && grep -q "creating the embedded cluster" "$T/up1.log"'
# the audit chain's key (lib/pg/audit.c audit_key_create(), at the path
# config_audit_key_path() gives without audit_key_file): 64 hex digits
# and a newline, the owner's only
KEY="$T/a/audit.key"
check "db up creates the audit key, mode 600" '[ -f "$KEY" ] && [ "$(stat -c %a "$KEY")" = 600 ]'
check "the audit key is 64 hex digits and a newline" '[ "$(wc -c <"$KEY")" -eq 65 ] && grep -Eqx "[0-9a-f]{64}" "$KEY" && [ "$(wc -l <"$KEY")" -eq 1 ]'
check "db up says it created the key, without printing it" 'grep -q "created the audit key $KEY" "$T/up1.log" && ! grep -qF "$(cat "$KEY")" "$T/up1.log"'
KEYSUM=$(sha256sum <"$KEY")
"$CTL" db up >"$T/up2.log" 2>&1
check "db up again is harmless" '[ $? -eq 0 ] && grep -q "already running" "$T/up2.log" && grep -q "0 migrations applied" "$T/up2.log"'
check "db up again keeps the audit key as it was" '[ "$(sha256sum <"$KEY")" = "$KEYSUM" ] && [ "$(stat -c %a "$KEY")" = 600 ] && ! grep -q "created the audit key" "$T/up2.log"'
check "no TCP listener, unix socket only" '[ -S "$T/a/pg/run/.s.PGSQL.5432" ] && grep -q "^listen_addresses = '"''"'" "$T/a/pg/data/tally.conf"'
"$CTL" db status >"$T/st.log" 2>&1
check "db status says running" '[ $? -eq 0 ] && grep -q "running" "$T/st.log"'
URL=$("$CTL" db url)
check "db url points at the socket" '[ "$URL" = "host=$T/a/pg/run port=5432 dbname=tally user=tally" ]'
check "the url works" 'psql -X -q -t -A "$URL" -c "SELECT count(*) FROM schema_migrations" | grep -qv "^0$"'

# another version's data directory
"$CTL" db down >/dev/null 2>&1
"$CTL" db status >/dev/null 2>&1
check "db status exits 69 when stopped" '[ $? -eq 69 ]'
cp "$T/a/pg/data/PG_VERSION" "$T/PG_VERSION.saved"
echo 11 >"$T/a/pg/data/PG_VERSION"
"$CTL" db up >"$T/ver.log" 2>&1
rc=$?
check "a data directory of another version is refused (exit 78)" '[ $rc -eq 78 ] && grep -q "belongs to PostgreSQL 11" "$T/ver.log"'
cp "$T/PG_VERSION.saved" "$T/a/pg/data/PG_VERSION"

# binaries missing
mkdir -p "$T/nopg"
TALLY_PG_LIBDIR="$T/nopg" TALLY_HOME="$T/c" "$CTL" db up >"$T/miss.log" 2>&1
rc=$?
check "missing PostgreSQL names the package (exit 69)" '[ $rc -eq 69 ] && grep -q "install the Debian package .postgresql." "$T/miss.log"'

# the socket taken by a server that is not this cluster
"$CTL" db up >/dev/null 2>&1
mkdir -p "$T/b/pg"
chmod 755 "$T/b"
ln -s "$T/a/pg/run" "$T/b/pg/run"
TALLY_HOME="$T/b" "$CTL" db up >"$T/busy.log" 2>&1
rc=$?
check "a socket in use by another server is reported" '[ $rc -eq 69 ] && grep -q "another server already listens" "$T/busy.log"'

# a malformed URL is a configuration error, a dead one an outage
TALLY_DATABASE_URL="host=x port=5432 nonsense" "$CTL" migrate >"$T/badurl.log" 2>&1
rc=$?
check "malformed TALLY_DATABASE_URL exits 78" '[ $rc -eq 78 ] && grep -q "not a valid connection string" "$T/badurl.log"'
TALLY_DATABASE_URL="host=$T/nowhere port=5432 connect_timeout=2" "$CTL" migrate >"$T/down.log" 2>&1
rc=$?
check "unreachable database exits 69" '[ $rc -eq 69 ] && grep -q "cannot connect to the database" "$T/down.log"'

"$CTL" db down >/dev/null 2>&1
check "db down stops it" '! [ -S "$T/a/pg/run/.s.PGSQL.5432" ]'
[ $fails -eq 0 ]
