#!/bin/sh
# receiver.sh BINDIR [O] - benchmark tally-receiver (make bench).
#
# One run, one machine, one embedded PostgreSQL of its own (synchronous
# commit, fsync on):
#  - tally-receiver: wrk POSTs valid signed Standard Webhooks deliveries
#    (1 KB JSON bodies, every id new; bench/receiver/gen.py signs them ahead
#    of time, since wrk's Lua has no HMAC) at 1, 16 and 64 connections:
#    requests/s, p50, p99, and the receiver's peak RSS at each level;
#  - pgbench: the same durable single-row INSERT ... ON CONFLICT DO NOTHING
#    RETURNING of a 1 KB event, one transaction each, 32 clients, prepared:
#    the one-commit-per-row limit of this machine;
#  - a peer receiver in Python (bench/receiver/peer.py: FastAPI + uvicorn,
#    one worker per core, uvloop + httptools when installed) doing the same
#    verify + INSERT + COMMIT, at 64 connections.
# Every figure is the median of RUNS runs (default 3) of SECS seconds
# (default 5).  At 64 connections each round runs the receiver, pgbench and
# the peer back to back, and the ratios are the median of the per-round
# ratios: the machine is shared, and a baseline taken minutes apart means
# little.  Each also reports its server CPU per durable event (the process
# and its PostgreSQL backends, from /proc): that figure does not move with
# other people's load, and says where the time goes.  After each run the
# rows are counted: every 2xx must be a row (exit 1 if not).  Targets at 64
# connections: >= 2x pgbench, >= 5x the peer, p99 <= 50 ms, peak RSS <= 32
# MB; a missed target is reported, not fatal.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
SECS=${SECS:-5}
LEVELS=${LEVELS:-1 16 64}
PY=/usr/bin/python3
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
CORES=$(nproc)

for tool in wrk pgbench psql; do
	command -v $tool >/dev/null || { echo "receiver.sh: $tool missing (make deps-bench)" >&2; exit 1; }
done

PPID_PEER=""
stop_servers() {
	[ -z "$PPID_PEER" ] ||
		{ kill "$PPID_PEER" 2>/dev/null && wait "$PPID_PEER" 2>/dev/null || true; }
}
bench_home recv
mkdir -p "$WORK/req"
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$URL" -c "$1"; }

(umask 077; printf '%s\n' "$SECRET" > "$WORK/secret")
cat > "$WORK/tally.conf" <<EOF
listen = 127.0.0.1:0
max_connections = 1024
per_ip_connections = 1024
[source usage]
scheme = standard-webhooks
secret_file = $WORK/secret
EOF

serve "$WORK/receiver.log" "$BINDIR/tally-receiver" -c "$WORK/tally.conf"
RPID=$SERVER_PID

# gen PREFIX THREADS PER_THREAD: fresh signed deliveries for one run
gen() {
	rm -f "$WORK"/req/*.tsv
	"$PY" "$HERE/receiver/gen.py" "$WORK/req" "$1" "$2" "$3" "$SECRET"
}

# load URL_BASE CONNS PREFIX: one wrk run; sets REQS P50 P99 ACKED WRAPPED
load() {
	t=$CORES
	[ "$2" -lt "$t" ] && t=$2
	BENCH_DIR="$WORK/req" BENCH_PREFIX="$3" wrk -t"$t" -c"$2" -d"${SECS}s" \
	    -s "$HERE/receiver/post.lua" "$1" >"$WORK/wrk.out" 2>&1 || {
		cat "$WORK/wrk.out" >&2
		exit 1
	}
	wrk_read "$WORK/wrk.out"
	ACKED=$OK2XX
	WRAPPED=$(awk '/^EXHAUSTED/ { print $2 }' "$WORK/wrk.out")
}

# check PREFIX: every acknowledged delivery of the run is a row
check_rows() {
	rows=$(sql "SELECT count(*) FROM raw_events WHERE source = 'usage' AND event_key LIKE '$1\\_%'")
	if [ "$WRAPPED" -eq 0 ] && [ "$rows" -lt "$ACKED" ]; then
		echo "FAIL: $1: $ACKED acknowledged but $rows rows" >&2
		exit 1
	fi
	CHECK="acked=$ACKED rows=$rows"
	[ "$WRAPPED" -gt 0 ] && CHECK="$CHECK (request files ran out: some 2xx were duplicates)"
	return 0
}

per_thread() {	# expected requests per wrk thread for a level, with margin
	case $1 in
	1) echo $((SECS * 4000)) ;;
	*) echo $((SECS * 24000 / CORES)) ;;
	esac
}

# ticks PID...: CPU time (user + system, clock ticks) of processes
ticks() {	# "-1" when one of them is gone: no honest sum then
	for p in "$@"; do
		awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo gone
	done | awk '/gone/ { bad = 1 } { s += $1 } END { print bad ? -1 : s + 0 }'
}
backends() {	# PIDs of the server processes serving application NAME
	sql "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'" | tr '\n' ' '
}
HZ=$(getconf CLK_TCK)
cpu_us() {	# ticks_before ticks_after events -> microseconds of CPU per event
	awk -v a="$1" -v b="$2" -v n="$3" -v hz="$HZ" 'BEGIN {
		if (a < 0 || b < 0 || b < a || n <= 0) print "?"
		else printf "%.0f", (b - a) * 1e6 / hz / n }'
}

echo "receiver: tally-receiver, commit threads ${TALLY_RECEIVER_COMMITTERS:-2 per core}, $CORES cores, ${RUNS}x${SECS}s per figure (median)"
for c in $LEVELS; do
	[ "$c" = 64 ] && continue	# measured below, interleaved with the baselines
	: >"$WORK/rps" ; : >"$WORK/p50" ; : >"$WORK/p99"
	echo 5 >"/proc/$RPID/clear_refs" 2>/dev/null || true
	for r in $(seq "$RUNS"); do
		t=$CORES
		[ "$c" -lt "$t" ] && t=$c
		gen "c${c}n$r" "$t" "$(per_thread "$c")"
		load "http://127.0.0.1:$PORT" "$c" "c${c}n$r"
		check_rows "c${c}n$r"
		echo "$REQS" >>"$WORK/rps"; echo "$P50" >>"$WORK/p50"; echo "$P99" >>"$WORK/p99"
		echo "  run $r: conns=$c req/s=$REQS p50=${P50}ms p99=${P99}ms $CHECK"
	done
	rss=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$RPID/status")
	printf 'receiver  conns=%-3s req/s=%-8s p50=%sms p99=%sms peak_rss=%sMB\n' \
	    "$c" "$(median <"$WORK/rps")" "$(median <"$WORK/p50")" \
	    "$(median <"$WORK/p99")" "$rss"
done

# pgbench: one durable row per transaction, the same statement shape
"$PY" - "$WORK/pgbench.sql" <<'EOF2'
import json, sys
ev = {"id": "X", "type": "usage.recorded", "occurred_at": "2026-01-01T00:00:00Z",
      "user": {"id": "u_1", "email": "u1@example.com"}, "model": "qwen-image-edit",
      "kind": "edit", "duration_ms": 8123, "credits": 5, "status": "ok", "pad": ""}
ev["pad"] = "x" * (1024 - len(json.dumps(ev, separators=(",", ":"))))
body = json.dumps(ev, separators=(",", ":"))
open(sys.argv[1], "w").write(
    "\\set k random(1, 9223372036854775806)\n"
    "INSERT INTO raw_events (source, scheme, event_key, content_type, sig_headers, body, payload) "
    "VALUES ('pgbench', 'standard-webhooks', 'pg_' || :client_id || '_' || :k, 'application/json', "
    "'{\"webhook-id\":\"x\",\"webhook-timestamp\":\"1\",\"webhook-signature\":\"v1,x\"}'::jsonb, "
    "convert_to('%s', 'UTF8'), '%s'::text::jsonb) "
    "ON CONFLICT (source, event_key) DO NOTHING RETURNING source, event_key;\n" % (body, body))
EOF2

# the peer, started once and kept for the interleaved rounds
PEER_OK=0 PPORT="" HOW=""
if "$PY" -c 'import fastapi, uvicorn, psycopg2' 2>/dev/null; then
	PPORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	extra="" HOW="asyncio + h11"
	if "$PY" -c 'import uvloop, httptools' 2>/dev/null; then
		extra="--loop uvloop --http httptools" HOW="uvloop + httptools"
	fi
	# shellcheck disable=SC2086
	PEER_DSN="$URL" PEER_SECRET="$SECRET" "$PY" -m uvicorn peer:app \
	    --app-dir "$HERE/receiver" --host 127.0.0.1 --port "$PPORT" \
	    --workers "$CORES" --no-access-log --log-level warning $extra \
	    >"$WORK/peer.log" 2>&1 &
	PPID_PEER=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$PPORT/" && break
		sleep 0.1
	done
	PEER_OK=1
else
	echo "peer: python3-fastapi, python3-uvicorn or python3-psycopg2 missing (make deps-bench): skipped"
fi

# 64 connections: each round runs the receiver, pgbench and the peer back
# to back, so the three see the same machine; ratios are per round.
echo "64 connections, interleaved with pgbench (32 clients) and the peer:"
: >"$WORK/rps" ; : >"$WORK/p50" ; : >"$WORK/p99" ; : >"$WORK/tps"
: >"$WORK/peer" ; : >"$WORK/peer99" ; : >"$WORK/r_pg" ; : >"$WORK/r_peer"
: >"$WORK/cpu_r" ; : >"$WORK/cpu_pg" ; : >"$WORK/cpu_peer"
echo 5 >"/proc/$RPID/clear_refs" 2>/dev/null || true
for r in $(seq "$RUNS"); do
	gen "c64n$r" "$CORES" "$(per_thread 64)"
	bp=$(backends tally-receiver)
	before=$(sql "SELECT count(*) FROM raw_events WHERE source = 'usage'")
	t0=$(ticks "$RPID" $bp)
	load "http://127.0.0.1:$PORT" 64 "c64n$r"
	t1=$(ticks "$RPID" $bp)
	check_rows "c64n$r"
	after=$(sql "SELECT count(*) FROM raw_events WHERE source = 'usage'")
	cpu=$(cpu_us "$t0" "$t1" $((after - before)))
	echo "$REQS" >>"$WORK/rps"; echo "$P50" >>"$WORK/p50"; echo "$P99" >>"$WORK/p99"
	echo "$cpu" >>"$WORK/cpu_r"
	echo "  round $r: receiver req/s=$REQS p50=${P50}ms p99=${P99}ms cpu=${cpu}us/event $CHECK"
	rreqs=$REQS

	# CPU is sampled inside the run, which lasts 2 s past the window:
	# the backends must still be there for the second sample
	pgbench -n -c 32 -j "$CORES" -T $((SECS + 2)) -M prepared -f "$WORK/pgbench.sql" "$URL" >"$WORK/pgbench.out" 2>&1 &
	pgb=$!
	sleep 1
	bp=$(backends pgbench)
	c0=$(sql "SELECT count(*) FROM raw_events WHERE source = 'pgbench'")
	t0=$(ticks $bp)
	sleep $((SECS - 2))
	t1=$(ticks $bp)
	c1=$(sql "SELECT count(*) FROM raw_events WHERE source = 'pgbench'")
	wait "$pgb" || { cat "$WORK/pgbench.out" >&2; exit 1; }
	tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$WORK/pgbench.out")
	n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
	cpu=$(cpu_us "$t0" "$t1" $((c1 - c0)))
	echo "$tps" >>"$WORK/tps"; echo "$cpu" >>"$WORK/cpu_pg"
	echo "$rreqs $tps" | awk '{ printf "%.3f\n", $1 / $2 }' >>"$WORK/r_pg"
	echo "  round $r: pgbench tps=$tps transactions=$n cpu=${cpu}us/row (server backends)"

	if [ "$PEER_OK" = 1 ]; then
		gen "peer$r" "$CORES" $((SECS * 3000 / CORES))
		workers=$(pgrep -P "$PPID_PEER" | tr '\n' ' ')
		bp=$(backends bench-peer)
		before=$(sql "SELECT count(*) FROM raw_events WHERE source = 'usage'")
		t0=$(ticks $workers $bp)
		load "http://127.0.0.1:$PPORT" 64 "peer$r"
		t1=$(ticks $workers $bp)
		bp2=$(backends bench-peer)
		check_rows "peer$r"
		after=$(sql "SELECT count(*) FROM raw_events WHERE source = 'usage'")
		cpu=$(cpu_us "$t0" "$t1" $((after - before)))
		# connections the pool opened during the run are not counted
		[ "$bp" = "$bp2" ] || cpu="$cpu(+new connections)"
		echo "$REQS" >>"$WORK/peer"; echo "$P99" >>"$WORK/peer99"
		echo "${cpu%%(*}" >>"$WORK/cpu_peer"
		echo "$rreqs $REQS" | awk '{ printf "%.3f\n", $1 / $2 }' >>"$WORK/r_peer"
		echo "  round $r: peer req/s=$REQS p50=${P50}ms p99=${P99}ms cpu=${cpu}us/event $CHECK"
	fi
done
rss64=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$RPID/status")
rps64=$(median <"$WORK/rps"); p99_64=$(median <"$WORK/p99")
printf 'receiver  conns=64  req/s=%-8s p50=%sms p99=%sms peak_rss=%sMB cpu=%sus/event\n' \
    "$rps64" "$(median <"$WORK/p50")" "$p99_64" "$rss64" "$(median <"$WORK/cpu_r")"
printf 'pgbench   clients=32 single-row INSERT+COMMIT tps=%s cpu=%sus/row\n' \
    "$(median <"$WORK/tps")" "$(median <"$WORK/cpu_pg")"
if [ "$PEER_OK" = 1 ]; then
	printf 'peer      conns=64  req/s=%-8s p99=%sms cpu=%sus/event (FastAPI %s, uvicorn %s, %s workers, %s, psycopg2 pool)\n' \
	    "$(median <"$WORK/peer")" "$(median <"$WORK/peer99")" "$(median <"$WORK/cpu_peer")" \
	    "$("$PY" -c 'import fastapi; print(fastapi.__version__)')" \
	    "$("$PY" -c 'import uvicorn; print(uvicorn.__version__)')" "$CORES" "$HOW"
	kill "$PPID_PEER" 2>/dev/null; wait "$PPID_PEER" 2>/dev/null || true
	PPID_PEER=""
fi

curl -s "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics" || true
batches=$(awk '/^tally_receiver_commit_batch_requests_count/ { print $2 }' "$WORK/metrics")
breqs=$(awk '/^tally_receiver_commit_batch_requests_sum/ { print $2 }' "$WORK/metrics")
csum=$(awk '/^tally_receiver_commit_seconds_sum/ { print $2 }' "$WORK/metrics")
kill "$RPID"; wait "$RPID" || { echo "FAIL: tally-receiver did not exit 0 after SIGTERM" >&2; exit 1; }
SERVER_PID=""

awk -v rpg="$(median <"$WORK/r_pg")" -v rpeer="$(median <"$WORK/r_peer")" \
    -v p99="$p99_64" -v rss="$rss64" -v b="${batches:-0}" -v q="${breqs:-0}" \
    -v cs="${csum:-0}" -v cr="$(median <"$WORK/cpu_r")" -v cp="$(median <"$WORK/cpu_pg")" \
    -v cq="$(median <"$WORK/cpu_peer")" -v peer="$PEER_OK" '
function verdict(ok) { return ok ? "met" : "MISSED" }
BEGIN {
	printf "ratio receiver/pgbench at 64 conns (median of per-round ratios): %.2fx (target >= 2: %s)\n", rpg, verdict(rpg >= 2)
	if (peer)
		printf "ratio receiver/peer at 64 conns (median of per-round ratios):    %.2fx (target >= 5: %s)\n", rpeer, verdict(rpeer >= 5)
	printf "p99 at 64 conns: %s ms (target <= 50: %s); peak RSS %s MB (target <= 32: %s)\n", p99, verdict(p99 <= 50), rss, verdict(rss <= 32)
	printf "server CPU per durable event: receiver %s us (process + its backends), pgbench %s us (backends)", cr, cp
	if (peer)
		printf ", peer %s us (workers + backends)", cq
	printf "\n"
	if (b > 0)
		printf "group commit over the whole receiver run: %d requests in %d commits (%.1f per commit), %.2f ms database time per commit\n", q, b, q / b, cs * 1000 / b
}'
