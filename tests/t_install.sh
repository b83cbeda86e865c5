#!/bin/sh
# t_install.sh - `make install` into a temporary DESTDIR, for the default
# PREFIX=/usr/local and for PREFIX=/usr: every program, every unit (naming
# the programs where they were installed), the sysusers entry, the example
# configuration and the README land where a Debian system looks for them;
# the installed units pass `systemd-analyze verify` in that tree; the
# example configuration is accepted by the installed tallyctl and documents
# every key lib/base/config.c knows, with its default.
#
# The programs are the ones already built in $TALLY_BINDIR: the install
# step is what is tested here (make -o all: nothing is rebuilt).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BINDIR=$(cd "${TALLY_BINDIR:-$TOP/bin}" && pwd)
. "$TOP/tests/support/tap.sh"
tap_start tally-install

programs=$(cd "$TOP/cmd" && ls *.c | sed 's/\.c$//')
units=$(cd "$TOP/systemd" && ls *.service *.timer)

for prefix in /usr/local /usr; do
	D=$T/dest$(echo "$prefix" | tr / _)
	if make -s -C "$TOP" -o all install DESTDIR="$D" PREFIX="$prefix" \
	    BINDIR="$BINDIR" > "$T/make.out" 2>&1; then
		ok "make install PREFIX=$prefix DESTDIR=... exits 0"
	else
		notok "make install PREFIX=$prefix failed:"
		sed 's/^/#   /' "$T/make.out"
		continue
	fi
	P=$D$prefix
	for p in $programs; do
		[ -x "$P/bin/$p" ] && ok "$prefix: bin/$p" ||
		    notok "$prefix: bin/$p is not installed"
	done
	for u in $units; do
		f=$P/lib/systemd/system/$u
		if [ ! -f "$f" ]; then
			notok "$prefix: unit $u is not installed"
			continue
		fi
		mode=$(stat -c %a "$f")
		[ "$mode" = 644 ] || notok "$prefix: $u is mode $mode, not 644"
		# every program a unit runs is where this install put it
		bad=$(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "$f" |
		    while read -r prog; do
			case $prog in
			*/tally*) [ -x "$D$prog" ] || echo "$prog" ;;
			esac
		    done)
		[ -z "$bad" ] && ok "$prefix: $u runs installed programs" ||
		    notok "$prefix: $u names $bad, which this install did not put there"
		if [ "$prefix" != /usr/local ] && grep -q /usr/local/ "$f"; then
			notok "$prefix: $u still names /usr/local/"
		fi
	done
	s=$P/lib/sysusers.d/tally.conf
	[ -f "$s" ] && ok "$prefix: lib/sysusers.d/tally.conf" ||
	    notok "$prefix: the sysusers entry for user tally is not installed"
	for doc in tally.conf.example README.md; do
		[ -f "$P/share/doc/tally/$doc" ] && ok "$prefix: share/doc/tally/$doc" ||
		    notok "$prefix: share/doc/tally/$doc is not installed"
	done
	# the audit key: made once, private, 64 hex digits, never replaced
	K=$D/etc/credstore/tally.audit
	if [ -f "$K" ] && [ "$(stat -c %a "$K")" = 600 ] &&
	    [ "$(stat -c %a "$D/etc/credstore")" = 700 ] &&
	    grep -qx '[0-9a-f]\{64\}' "$K"; then
		ok "$prefix: the audit key is made, mode 0600, in a 0700 credstore"
	else
		notok "$prefix: no audit key $K (mode 0600, 64 hex digits)"
	fi
	before=$(cat "$K" 2>/dev/null)
	make -s -C "$TOP" -o all install DESTDIR="$D" PREFIX="$prefix" \
	    BINDIR="$BINDIR" > "$T/make2.out" 2>&1
	[ "$(cat "$K" 2>/dev/null)" = "$before" ] &&
	    ok "$prefix: a second install keeps the audit key" ||
	    notok "$prefix: a second install replaced the audit key"
	make -s -C "$TOP" -o all install DESTDIR="$D.pkg" PREFIX="$prefix" \
	    BINDIR="$BINDIR" CREDSTORE= > "$T/make3.out" 2>&1
	[ ! -e "$D.pkg/etc/credstore" ] &&
	    ok "$prefix: CREDSTORE= (a package build) makes no key" ||
	    notok "$prefix: CREDSTORE= still made a key"
	rm -rf "$D.pkg"

	# The installed units, verified in the installed tree.
	if command -v systemd-analyze >/dev/null 2>&1 &&
	    [ -d "$P/lib/systemd/system" ]; then
		mkdir -p "$D/usr/lib/systemd/system" "$D/usr/bin"
		[ -e "$D/bin" ] || ln -s usr/bin "$D/bin"
		[ -e "$D/lib" ] || ln -s usr/lib "$D/lib"
		# the host's own units (sysinit.target, ...) next to ours; with
		# PREFIX=/usr ours are already in that directory
		cp -Rn /usr/lib/systemd/system/. "$D/usr/lib/systemd/system/"
		cp /usr/bin/kill "$D/usr/bin/kill"
		for u in $units; do
			case $u in
			*@.service) u=${u%@.service}@tally-expire.service.service ;;
			esac
			unit_verifies "$D" "$u" "$prefix: verify $u"
		done
	fi

	# The installed tallyctl runs and accepts the installed example (its
	# secrets and API keys from a stand-in credentials directory).
	if [ -x "$P/bin/tallyctl" ] && [ -f "$P/share/doc/tally/tally.conf.example" ]; then
		mkdir -p "$T/creds"
		# every secret and status API key it names (config check reads
		# both, as the receiver and tally-allocate do)
		for c in $(sed -n -E 's/^(secret_file|api_key_file) *= *//p' \
		    "$P/share/doc/tally/tally.conf.example"); do
			echo "whsec_dGVzdA==" > "$T/creds/$c"
		done
		for c in $(sed -n 's/^audit_key_file *= *//p' \
		    "$P/share/doc/tally/tally.conf.example"); do
			head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \n' \
			    > "$T/creds/$c"
		done
		chmod 600 "$T/creds"/*
		if out=$(CREDENTIALS_DIRECTORY=$T/creds "$P/bin/tallyctl" config \
		    check -c "$P/share/doc/tally/tally.conf.example" 2>&1) &&
		    [ "$out" = "configuration OK" ]; then
			ok "$prefix: the installed tallyctl accepts the installed tally.conf.example"
		else
			notok "$prefix: tallyctl config check of the example: $out"
		fi
	fi
done

# The example documents every key of lib/base/config.c: top-level keys as
# "key = value" or "# key = default" (a commented one at its default; a set
# one whose value differs names the default in a "Default:" note), and the
# keys of the [source] and [settlement] sections by name.
EX=$TOP/tally.conf.example
sed -n 's/^[[:space:]]*K\(SC\|S\|L\|A\)(\([a-z_]*\), "\([^"]*\)".*/\2 \3/p' "$TOP/lib/base/config.c" \
    > "$T/keys"
[ -s "$T/keys" ] && ok "lib/base/config.c has $(wc -l < "$T/keys") top-level keys" ||
    notok "cannot read the key table of lib/base/config.c"
while read -r key dflt; do
	set_line=$(sed -n "s/^$key[[:space:]]*=[[:space:]]*\([^#]*\).*/\1/p" "$EX" |
	    sed 's/[[:space:]]*$//' | head -1)
	doc_line=$(sed -n "s/^#[[:space:]]*$key[[:space:]]*=[[:space:]]*\([^#]*\).*/\1/p" "$EX" |
	    sed 's/[[:space:]]*$//' | head -1)
	if grep -q "^$key[[:space:]]*=" "$EX"; then
		# an empty default is written "Default: none"
		if [ "$set_line" = "$dflt" ] ||
		    grep -q "Default: ${dflt:-none}\( \|\$\)" "$EX"; then
			ok "tally.conf.example sets $key and tells its default"
		else
			notok "tally.conf.example sets $key = $set_line without its default ($dflt)"
		fi
	elif grep -q "^#[[:space:]]*$key[[:space:]]*=" "$EX"; then
		[ "$doc_line" = "$dflt" ] &&
		    ok "tally.conf.example shows $key at its default ($dflt)" ||
		    notok "tally.conf.example shows $key = '$doc_line', the default is '$dflt'"
	else
		notok "tally.conf.example does not mention $key"
	fi
done < "$T/keys"
for k in $(grep -o 'S[ST]([a-z_]*)' "$TOP/lib/base/config.c" |
    sed 's/^S[ST](\(.*\))$/\1/' | grep -vx n | sort -u) scheme tolerance; do
	grep -qw "$k" "$EX" && ok "tally.conf.example documents section key $k" ||
	    notok "tally.conf.example does not document section key $k"
done

tap_done
