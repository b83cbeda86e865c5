#!/bin/sh
# t_wings.sh - lib/ is in wings, and a wing includes only its own headers
# and those of the wings below it (docs/ARCHITECTURE.md).  An include that
# goes up, or names no wing, fails here.
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

rank() {
	case $1 in
	base) echo 0 ;; pg) echo 1 ;; out) echo 2 ;; report) echo 3 ;;
	intake) echo 4 ;; books) echo 5 ;; jobs) echo 6 ;; ops) echo 7 ;;
	ctl|admin) echo 8 ;;
	*) echo -1 ;;
	esac
}

bad=0 n=0
for f in lib/*/*.c lib/*/*.h; do
	wing=${f#lib/}
	wing=${wing%%/*}
	me=$(rank "$wing")
	if [ "$me" -lt 0 ]; then
		echo "$f: lib/$wing is not a wing"
		bad=$((bad + 1))
		continue
	fi
	for inc in $(sed -n 's/^#include "\([a-z]*\)\/[a-z_0-9]*\.h".*/\1/p' "$f"); do
		n=$((n + 1))
		[ "$inc" = "$wing" ] && continue
		them=$(rank "$inc")
		if [ "$them" -lt 0 ] || [ "$them" -ge "$me" ]; then
			echo "$f includes $inc/: lib/$wing may use only wings below it"
			bad=$((bad + 1))
		fi
	done
done
ls lib/*.c lib/*.h >/dev/null 2>&1 && {
	echo "files directly in lib/: $(ls lib/*.c lib/*.h 2>/dev/null | tr '\n' ' ')"
	bad=$((bad + 1))
}
echo "$n includes checked, $bad wrong"
[ "$bad" -eq 0 ]
