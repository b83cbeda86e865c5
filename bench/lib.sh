# lib.sh - what the benchmarks share; sourced (. "$HERE/lib.sh") after
# BINDIR is set.  POSIX sh has no locals: helpers name their variables
# with a leading _ so a script's own do not collide.

# bench_home NAME: a fresh TALLY_HOME (/tmp/tally-bench-NAME.*) with the
# work folder $WORK and an embedded cluster started in it, both gone on
# exit.  The environment of the caller's tally is ignored: nothing but the
# bench's own cluster and an empty configuration.  A script that starts
# servers of its own defines stop_servers(), which runs first on exit.
bench_home() {
	unset TALLY_DATABASE_URL TALLY_CONFIG TALLY_TZ TALLY_READ_DATABASE_URL
	export TALLY_HOME
	TALLY_HOME=$(mktemp -d "/tmp/tally-bench-$1.XXXXXX")
	chmod 755 "$TALLY_HOME"
	export TALLY_CONFIG=/dev/null
	WORK="$TALLY_HOME/work"
	mkdir -p "$WORK"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	if ! "$BINDIR/tallyctl" db up >"$WORK/db-up.log" 2>&1; then
		cat "$WORK/db-up.log" >&2
		exit 1
	fi
}

bench_cleanup() {
	if type stop_servers >/dev/null 2>&1; then
		stop_servers
	fi
	"$BINDIR/tallyctl" db down >/dev/null 2>&1 || true
	rm -rf "$TALLY_HOME"
}

now() { date +%s.%N; }

# secs T0 T1: the seconds between two now()s, with BENCH_DIGITS (default
# 3) decimals
secs() {
	echo "$1 $2" | awk -v d="${BENCH_DIGITS:-3}" '{ printf("%." d "f", $2 - $1) }'
}

# the median of the numbers on stdin (one or several a line): with an
# even count the lower of the two middle ones, so it is always one of the
# figures (a whole number of KiB stays whole); "?" when there are none
median() {
	tr ' ' '\n' | grep -E '^[0-9]+([.][0-9]+)?$' | sort -g |
	    awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "?" }'
}

# /usr/bin/time -v where it exists (peak RSS); else the shell's clock only
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
	HAVE_TIME=1
else
	HAVE_TIME=0
fi

# timed WANT LOG CMD...: run CMD, which must exit WANT (else show the end
# of its stderr and exit 1), its output in LOG.out and LOG.err; its wall
# time in SECS (secs()) and its peak RSS in RSS (KiB; 0 when unknown)
timed() {
	_want=$1
	_log=$2
	shift 2
	_t0=$(now)
	set +e
	if [ "$HAVE_TIME" = 1 ]; then
		/usr/bin/time -v -o "$_log.time" "$@" >"$_log.out" 2>"$_log.err"
	else
		"$@" >"$_log.out" 2>"$_log.err"
	fi
	_rc=$?
	set -e
	_t1=$(now)
	if [ "$_rc" != "$_want" ]; then
		echo "bench: $* exited $_rc, not $_want:" >&2
		tail -20 "$_log.err" >&2
		exit 1
	fi
	RSS=0
	[ "$HAVE_TIME" = 0 ] ||
		RSS=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$_log.time")
	SECS=$(secs "$_t0" "$_t1")
}
