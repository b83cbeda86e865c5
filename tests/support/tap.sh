# tap.sh - what the tests/t_*.sh scripts share, sourced after `set -u`:
#   . "$(dirname "$0")/support/tap.sh"; tap_start NAME
# A scratch directory $T (removed on exit unless the script sets a trap of
# its own, which must remove it too), one TAP line per check, a count of
# the failures, and the checks themselves.  tap_done ends the script.

# tap_start NAME: $T is a new directory /tmp/NAME.XXXXXX
tap_start() {
	T=$(mktemp -d "/tmp/$1.XXXXXX") || exit 1
	trap 'rm -rf "$T"' EXIT
	fails=0
	n=0
}

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }

# check DESCRIPTION EXPECTED_STATUS COMMAND...: run it, stdout in $T/out
# and stderr in $T/err; on another status show both
check() {
	_d=$1 _want=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	_got=$?
	if [ "$_got" -eq "$_want" ]; then
		ok "$_d"
	else
		notok "$_d (exit $_got, want $_want)"
		sed 's/^/    /' "$T/err"
		head -c 2000 "$T/out" | sed 's/^/    /'
	fi
}

# has DESCRIPTION FILE TEXT: FILE contains TEXT
has() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else
		notok "$1: no \"$3\" in $2"
		sed 's/^/    /' "$2"
	fi
}

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: got '$2', want '$3'"; fi
}

# sql STATEMENT: its rows, unaligned, on $TALLY_DATABASE_URL
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$TALLY_DATABASE_URL" -c "$1"; }

# unit_verifies ROOT UNIT DESCRIPTION: `systemd-analyze verify` of UNIT
# in the tree ROOT passes and says nothing
unit_verifies() {
	if systemd-analyze verify --root="$1" "$2" >"$T/verify.out" 2>&1 &&
	    [ ! -s "$T/verify.out" ]; then
		ok "$3"
	else
		notok "$3:"
		sed 's/^/#   /' "$T/verify.out"
	fi
}

# admin_start CONF LOG: tally-admin in the background with CONF (whose
# admin_listen gives port 0), its stderr in LOG; $PID is the process and
# $PORT the port it bound, read from the line it logs once listening
admin_start() {
	"$TALLY_BINDIR/tally-admin" -c "$1" 2>"$2" &
	PID=$!
	PORT=""
	while [ -z "$PORT" ]; do
		kill -0 "$PID" 2>/dev/null ||
			{ notok "tally-admin died"; cat "$2"; exit 1; }
		PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$2")
	done
}

# tap_done: the count, and the script's status
tap_done() {
	echo "$((n - fails)) passed, $fails failed"
	[ "$fails" -eq 0 ] && exit 0
	exit 1
}
