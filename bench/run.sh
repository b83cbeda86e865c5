#!/bin/sh
# run.sh BINDIR O - every benchmark in one run (make bench).  Each part
# prints its own figures and its ratio to the baseline it measured in the
# same run: the machine is shared and noisy, so ratios mean more than
# absolute times.  BENCH_ONLY="receiver report" runs a subset.
set -u
BINDIR=$(cd "$1" && pwd)
O=$(cd "$2" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
export BINDIR O
status=0
for part in receiver allocate report reconcile replica admin; do
	case " ${BENCH_ONLY:-receiver allocate report reconcile replica admin} " in
	*" $part "*) ;;
	*) continue ;;
	esac
	if [ ! -f "$HERE/$part.sh" ]; then
		echo "== bench $part: not present"
		continue
	fi
	echo "== bench $part ($(date -u +%H:%M:%S))"
	if ! sh "$HERE/$part.sh" "$BINDIR" "$O"; then
		echo "== bench $part FAILED"
		status=1
	fi
done
exit $status
