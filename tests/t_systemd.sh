#!/bin/sh
# t_systemd.sh - the units in systemd/: `systemd-analyze verify` on every
# one, the sandbox exposure of the two that listen, the receiver and
# tally-admin (each must be 2.0 or better), and the rules every tally unit
# follows (a timer per batch service, OnFailure= alerts, one identical
# sandbox block, the daemons' restart policy).
#
# verify wants every Exec*= program to exist and every unit a unit pulls in
# (sysinit.target, ...) to load.  The units name /usr/local/bin, where
# `make install` puts the programs, not the build directory, and a build
# container runs no systemd.  So verify runs offline against a temporary
# root (--root): the host's own unit directory copied in, our units where
# `make install` puts them, and the programs from $TALLY_BINDIR copied to
# /usr/local/bin.  A unit that names a program the build does not make
# fails here.
#
# Needs no database; prints "ok - ..." / "not ok - ..." lines.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BINDIR=${TALLY_BINDIR:-$TOP/bin}
UNITS=$TOP/systemd
# The daemons' figures must stay at or below this (0-10 scale).
MAX_EXPOSURE=2.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skipped: systemd-analyze is not installed (apt-get install systemd)"
	exit 77
fi

. "$TOP/tests/support/tap.sh"
tap_start tally-systemd
ROOT=$T/root
# holds DESCRIPTION COMMAND...: ok when COMMAND succeeds
holds() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else notok "$_d"; fi
}

# ---- the temporary root ----------------------------------------------------
mkdir -p "$ROOT/usr/bin" "$ROOT/usr/lib/systemd" "$ROOT/usr/local/bin" \
    "$ROOT/usr/local/lib/systemd/system" "$ROOT/etc"
ln -s usr/bin "$ROOT/bin"
ln -s usr/lib "$ROOT/lib"
cp -R /usr/lib/systemd/system "$ROOT/usr/lib/systemd/"
cp "$UNITS"/*.service "$UNITS"/*.timer "$ROOT/usr/local/lib/systemd/system/"

# Every program an Exec*= line names.  The prefixes -@:+! only change how
# systemd runs it.
sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "$UNITS"/*.service |
    sort -u > "$T/programs"
while read -r prog; do
	case $prog in
	/usr/local/bin/*)
		name=${prog#/usr/local/bin/}
		if [ -x "$BINDIR/$name" ]; then
			cp "$BINDIR/$name" "$ROOT$prog"
			ok "$name (named by a unit) is built"
		else
			notok "$name is named by a unit but not built in $BINDIR"
			# a stand-in, so verify still checks the rest
			printf '#!/bin/sh\nexit 0\n' > "$ROOT$prog"
			chmod 755 "$ROOT$prog"
		fi
		;;
	/*)
		if [ -x "$prog" ]; then
			mkdir -p "$ROOT$(dirname "$prog")"
			cp "$prog" "$ROOT$prog"
		else
			notok "$prog (named by a unit) is not on this machine"
		fi
		;;
	*)
		notok "Exec line names $prog: systemd wants an absolute path"
		;;
	esac
done < "$T/programs"

# ---- systemd-analyze verify ------------------------------------------------
# Any output at all counts as a failure: verify only warns (exit 0) about
# an unknown key or a setting it ignores.
cd "$ROOT/usr/local/lib/systemd/system" || exit 1
for f in *.service *.timer; do
	case $f in
	*@.service)
		# a template is verified through an instance
		unit=${f%@.service}@tally-allocate.service.service ;;
	*)
		unit=$f ;;
	esac
	unit_verifies "$ROOT" "$unit" "systemd-analyze verify $unit"
done
cd "$TOP" || exit 1

# ---- the rules every tally unit follows ------------------------------------
unit_has() {
	# unit_has FILE LINE: the unit has exactly this line
	grep -qxF "$2" "$UNITS/$1"
}
sandbox() {
	# the block from "# Sandbox" to the end of the file
	sed -n '/^# Sandbox/,$p' "$UNITS/$1"
}

sandbox tally-allocate.service > "$T/sandbox.ref"
holds "tally-allocate.service has a sandbox block" test -s "$T/sandbox.ref"
for f in "$UNITS"/*.service; do
	f=$(basename "$f")
	holds "$f: its description names it as tally's" \
	    grep -q '^Description=tally' "$UNITS/$f"
	holds "$f: runs as a non-root user" \
	    grep -Eq '^(User=tally|DynamicUser=yes)$' "$UNITS/$f"
	holds "$f: ProtectSystem=strict" unit_has "$f" "ProtectSystem=strict"
	case $f in
	tally-receiver.service|tally-admin.service)
		continue ;;
	tally-alert@.service)
		holds "$f: has no OnFailure= (an alert about an alert loops)" \
		    sh -c "! grep -q '^OnFailure=' '$UNITS/$f'" ;;
	*)
		timer=${f%.service}.timer
		holds "$f: has $timer" test -f "$UNITS/$timer"
		holds "$f: alerts on failure" \
		    unit_has "$f" "OnFailure=tally-alert@%n.service"
		holds "$f: has a start timeout" \
		    grep -q '^TimeoutStartSec=' "$UNITS/$f" ;;
	esac
	holds "$f: Type=oneshot" unit_has "$f" "Type=oneshot"
	sandbox "$f" > "$T/sandbox.this"
	if cmp -s "$T/sandbox.ref" "$T/sandbox.this"; then
		ok "$f: the same sandbox block as tally-allocate.service"
	else
		notok "$f: its sandbox block differs from tally-allocate.service's:"
		diff "$T/sandbox.ref" "$T/sandbox.this" | sed 's/^/#   /'
	fi
done
for t in "$UNITS"/*.timer; do
	t=$(basename "$t")
	holds "$t: has its service" test -f "$UNITS/${t%.timer}.service"
	holds "$t: Persistent=true" unit_has "$t" "Persistent=true"
	holds "$t: a RandomizedDelaySec=" grep -q '^RandomizedDelaySec=' "$UNITS/$t"
	holds "$t: an OnCalendar=" grep -q '^OnCalendar=' "$UNITS/$t"
	holds "$t: enabled by timers.target" unit_has "$t" "WantedBy=timers.target"
done

# When each timer fires next, from a fixed instant: proves the calendar
# expressions mean what the issue asked for (the first elapse of each).
next() {
	# next TIMER BASE: the first elapse after BASE, as UTC
	spec=$(sed -n 's/^OnCalendar=//p' "$UNITS/$1")
	systemd-analyze calendar --base-time="$2" "$spec" 2>/dev/null |
	    sed -n 's/^ *Next elapse: *[A-Za-z]* *\([^ ]* [^ ]*\).*/\1/p' | head -1
}
expect_next() {
	got=$(TZ=UTC next "$1" "$2")
	if [ "$got" = "$3" ]; then
		ok "$1: after $2 it fires at $3"
	else
		notok "$1: after $2 it fires at '$got', expected $3"
	fi
}
# 2026-11-18 is a Wednesday.
B="2026-11-18 10:00:30 UTC"
if systemd-analyze calendar --base-time="$B" daily >/dev/null 2>&1; then
	expect_next tally-allocate.timer "$B" "2026-11-18 10:01:00"
	expect_next tally-expire.timer "$B" "2026-11-18 10:05:00"
	expect_next tally-reconcile.timer "$B" "2026-11-19 02:30:00"
	expect_next tally-model-stats.timer "$B" "2026-11-19 03:15:00"
	expect_next tally-backup.timer "$B" "2026-11-19 01:30:00"
	expect_next tally-weekly-report.timer "$B" "2026-11-23 06:00:00"
	expect_next tally-monthly-review.timer "$B" "2026-12-01 07:00:00"
else
	echo "# systemd-analyze calendar has no --base-time here: schedules not checked"
fi

# The receiver: what the issue asks of it, line by line.
R=tally-receiver.service
holds "$R: Type=notify" unit_has $R "Type=notify"
holds "$R: a watchdog" grep -q '^WatchdogSec=[1-9]' "$UNITS/$R"
holds "$R: Restart=on-failure" unit_has $R "Restart=on-failure"
holds "$R: no restart on usage or config errors" \
    unit_has $R "RestartPreventExitStatus=64 78"
holds "$R: secrets through LoadCredential=" grep -q '^LoadCredential=' "$UNITS/$R"
holds "$R: a StateDirectory=" grep -q '^StateDirectory=' "$UNITS/$R"
holds "$R: alerts on failure" unit_has $R "OnFailure=tally-alert@%n.service"
holds "$R: enabled by multi-user.target" unit_has $R "WantedBy=multi-user.target"

# tally-admin: a daemon like the receiver.
D=tally-admin.service
holds "$D: Type=notify" unit_has $D "Type=notify"
holds "$D: Restart=on-failure" unit_has $D "Restart=on-failure"
holds "$D: no restart on usage or config errors" \
    unit_has $D "RestartPreventExitStatus=64 78"
holds "$D: alerts on failure" unit_has $D "OnFailure=tally-alert@%n.service"
holds "$D: enabled by multi-user.target" unit_has $D "WantedBy=multi-user.target"
holds "$D: only local clients unless widened" unit_has $D "IPAddressAllow=localhost"
holds "$D: reads report_dir, writes nothing" \
    sh -c "! grep -q '^ReadWritePaths=' '$UNITS/$D'"

# Every credential a unit loads is the one tally.conf.example names.
if [ -f "$TOP/tally.conf.example" ]; then
	sed -n 's/^[[:space:]]*secret_file[[:space:]]*=[[:space:]]*\([^ #]*\).*/\1/p' \
	    "$TOP/tally.conf.example" | sort -u > "$T/conf.creds"
	for c in $(cat "$T/conf.creds"); do
		holds "$R loads credential $c that tally.conf.example names" \
		    unit_has $R "LoadCredential=$c"
	done
else
	notok "tally.conf.example is missing"
fi

# ---- the sysusers entry ----------------------------------------------------
if command -v systemd-sysusers >/dev/null 2>&1; then
	if systemd-sysusers --root="$ROOT" "$UNITS/tally.sysusers" \
	    > "$T/sysusers.out" 2>&1 &&
	    grep -q '^tally:x:[0-9]*:[0-9]*:.*:/var/lib/tally:' "$ROOT/etc/passwd" &&
	    grep -q '^tally:x:' "$ROOT/etc/group"; then
		ok "tally.sysusers creates user and group tally"
	else
		notok "tally.sysusers:"
		sed 's/^/#   /' "$T/sysusers.out"
	fi
fi

# ---- exposure ----------------------------------------------------------------
for f in "$UNITS"/*.service; do
	line=$(systemd-analyze security --offline=true "$f" 2>/dev/null |
	    grep 'Overall exposure level')
	fig=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')
	case $(basename "$f") in
	tally-receiver.service|tally-admin.service)
		u=$(basename "$f")
		echo "# $u exposure: $fig (must be <= $MAX_EXPOSURE)"
		if [ -n "$fig" ] && awk -v f="$fig" -v m="$MAX_EXPOSURE" \
		    'BEGIN { exit !(f <= m) }'; then
			ok "$u exposure $fig <= $MAX_EXPOSURE"
		else
			notok "$u exposure '$fig' > $MAX_EXPOSURE"
		fi
		;;
	*)
		echo "# $(basename "$f") exposure: ${fig:-unknown}"
		;;
	esac
done

tap_done
