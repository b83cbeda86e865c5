#!/bin/sh
# t_wings.sh - lib/ is in wings, and a wing includes only its own headers
# and those of the wings below it (docs/ARCHITECTURE.md).  An include that
# goes up, or names no wing, fails here: every quoted include of lib/,
# cmd/, tests/ and bench/ is "WING/NAME.h", but for the exceptions below.
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

# Quoted includes that name no wing, and where they may appear:
#   support/NAME.h  the tests' shared helpers (tests/support), tests only.
# A header the build generates (under -I$(O)) would be listed here too;
# there is none today (embedded.c includes the real pg/embedded.h).
exempt() {	# FILE INCLUDE
	case $1:$2 in
	tests/*:support/[a-z_0-9]*.h) return 0 ;;
	esac
	return 1
}

rank() {
	case $1 in
	base) echo 0 ;; pg) echo 1 ;; out) echo 2 ;; report) echo 3 ;;
	intake) echo 4 ;; books) echo 5 ;; jobs) echo 6 ;; ops) echo 7 ;;
	ctl|admin) echo 8 ;;
	*) echo -1 ;;
	esac
}

# Every quoted include of a file, as written ("db.h", "pg/db.h", ...),
# also with blanks around the '#'.
quoted() {
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}

# A wing's name when inc is "WING/NAME.h" of a known wing, else nothing.
wing_of() {
	case $1 in
	*/*/*|*[!a-z_0-9./]*) return ;;
	[a-z]*/[a-z_0-9]*.h) ;;
	*) return ;;
	esac
	w=${1%%/*}
	[ "$(rank "$w")" -ge 0 ] && echo "$w"
}

bad=0 n=0
# the rule itself: what it must refuse and let through
for c in "lib/pg/x.c db.h" "lib/pg/x.c support/testdb.h" "lib/pg/x.c pg/sub/x.h" \
    "lib/pg/x.c shared/x.h" "lib/pg/x.c ../pg/db.h" "cmd/x.c db.h" \
    "tests/x.c embedded.h" "tests/x.c support/../db.h"; do
	set -- $c
	if [ -n "$(wing_of "$2")" ] || exempt "$1" "$2"; then
		echo "self-check: \"$2\" in $1 was let through"
		bad=$((bad + 1))
	fi
done
for c in "lib/pg/x.c pg/db.h" "tests/x.c support/testdb.h"; do
	set -- $c
	if [ -z "$(wing_of "$2")" ] && ! exempt "$1" "$2"; then
		echo "self-check: \"$2\" in $1 was refused"
		bad=$((bad + 1))
	fi
done
# lib/: a known wing, and one below the file's own
for f in lib/*/*.c lib/*/*.h; do
	wing=${f#lib/}
	wing=${wing%%/*}
	me=$(rank "$wing")
	if [ "$me" -lt 0 ]; then
		echo "$f: lib/$wing is not a wing"
		bad=$((bad + 1))
		continue
	fi
	for inc in $(quoted "$f"); do
		n=$((n + 1))
		them=$(wing_of "$inc")
		if [ -z "$them" ]; then
			exempt "$f" "$inc" && continue
			echo "$f includes \"$inc\": name the wing (\"$wing/...\")"
			bad=$((bad + 1))
			continue
		fi
		[ "$them" = "$wing" ] && continue
		if [ "$(rank "$them")" -ge "$me" ]; then
			echo "$f includes $them/: lib/$wing may use only wings below it"
			bad=$((bad + 1))
		fi
	done
done
# the programs, tests and benchmarks may use any wing, but name it
for f in $(find cmd tests bench -name '*.[ch]' | sort); do
	for inc in $(quoted "$f"); do
		n=$((n + 1))
		[ -n "$(wing_of "$inc")" ] && continue
		exempt "$f" "$inc" && continue
		echo "$f includes \"$inc\": name the wing (\"pg/db.h\")"
		bad=$((bad + 1))
	done
done
ls lib/*.c lib/*.h >/dev/null 2>&1 && {
	echo "files directly in lib/: $(ls lib/*.c lib/*.h 2>/dev/null | tr '\n' ' ')"
	bad=$((bad + 1))
}
echo "$n includes checked, $bad wrong"
[ "$bad" -eq 0 ]
