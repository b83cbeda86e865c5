#!/bin/sh
# t_backup.sh - `tallyctl db backup` and `tallyctl db restore` on a real
# database: back up one full of data, restore into a fresh empty one, and
# compare every table (row counts and contents) and every sequence; then
# the refusals (a non-empty target, a file that is no dump, a truncated
# dump rolls back whole), retention, the lock, and job_runs.
#
# Runs under tests/run.sh (TALLY_DATABASE_URL: a fresh migrated database;
# TALLY_TEST_ADMIN_URL: the cluster's maintenance database).
set -u
T=${TALLY_BINDIR:-bin}/tallyctl
fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }

if [ -z "${TALLY_DATABASE_URL:-}" ] || [ -z "${TALLY_TEST_ADMIN_URL:-}" ]; then
	echo "skipped: needs a database; run under tests/run.sh"
	exit 77
fi
if ! "$T" db backup --help >/dev/null 2>&1; then
	echo "skipped: $T has no 'db backup' yet (the two dispatch lines for" \
	    "ctl_db_backup/ctl_db_restore in lib/ctl/db.c are not in)"
	exit 77
fi

TMP=$(mktemp -d /tmp/tally-backup.XXXXXX)
SRC_URL=$TALLY_DATABASE_URL
q() {
	# q URL SQL: one query, unaligned, no header
	psql -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2"
}
SRC_DB=$(q "$SRC_URL" "SELECT current_database()")
DST_DB=${SRC_DB}_restored
BAD_DB=${SRC_DB}_truncated
DST_URL=$(printf '%s\n' "$SRC_URL" | sed "s/dbname=$SRC_DB/dbname=$DST_DB/")
BAD_URL=$(printf '%s\n' "$SRC_URL" | sed "s/dbname=$SRC_DB/dbname=$BAD_DB/")
cleanup() {
	# our own background psql, if a lock test left it running
	[ -n "${HOLDER:-}" ] && kill "$HOLDER" 2>/dev/null
	q "$TALLY_TEST_ADMIN_URL" "DROP DATABASE IF EXISTS $DST_DB" >/dev/null 2>&1
	q "$TALLY_TEST_ADMIN_URL" "DROP DATABASE IF EXISTS $BAD_DB" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---- a database with data in every corner -----------------------------------
psql -X -q -v ON_ERROR_STOP=1 "$SRC_URL" > "$TMP/seed.log" 2>&1 <<'EOF' || { cat "$TMP/seed.log"; exit 1; }
INSERT INTO customers (email, name)
SELECT 'c' || i || '@shop.test', 'Customer ' || i FROM generate_series(1, 40) i;
INSERT INTO products (sku, name, kind, duration_days, credits, price_minor, currency) VALUES
 ('seat30', '30 days', 'SEAT', 30, NULL, 1999, 'USD'),
 ('cred100', '100 credits', 'CREDITS', NULL, 100, 500000, 'IDR');
INSERT INTO pool_accounts (email, note, max_seats)
SELECT 'pool' || i || '@acc.test', 'note with ''quotes'', a tab	and é', CASE WHEN i % 2 = 0 THEN 3 END
  FROM generate_series(1, 10) i;
INSERT INTO raw_events (source, scheme, event_key, body, payload, status)
SELECT 'stripe', 'stripe', 'evt_' || i, convert_to('{"id":"evt_' || i || '"}', 'UTF8'),
       jsonb_build_object('id', 'evt_' || i, 'n', i), CASE WHEN i % 3 = 0 THEN 'DONE' ELSE 'NEW' END
  FROM generate_series(1, 50) i;
INSERT INTO orders (source, provider_ref, customer_id, product_id, amount_minor, currency, status, paid_at)
SELECT 'stripe', 'pi_' || c.id, c.id, p.id, 1999, 'USD', 'PAID', now() - c.id * interval '1 hour'
  FROM customers c, products p WHERE p.sku = 'seat30' AND c.id <= 20;
INSERT INTO payments (order_id, source, provider_payment_id, amount_minor, currency, status, paid_at)
SELECT id, source, 'ch_' || id, amount_minor, currency, 'SUCCEEDED', paid_at FROM orders;
INSERT INTO assignments (account_id, customer_id, order_id, starts_at, ends_at)
SELECT a.id, o.customer_id, o.id, now(), now() + interval '30 days'
  FROM (SELECT id, row_number() OVER (ORDER BY id) r FROM pool_accounts WHERE max_seats IS NULL) a
  JOIN (SELECT id, customer_id, row_number() OVER (ORDER BY id) r FROM orders) o ON o.r = a.r;
INSERT INTO fulfilments (order_id, kind, assignment_id)
SELECT order_id, 'SEAT', id FROM assignments;
INSERT INTO app_users (external_id, email) SELECT 'u_' || i, 'u' || i || '@img.test' FROM generate_series(1, 5) i;
INSERT INTO models (name, credit_cost, provider_cost_minor) VALUES ('qwen-image-edit', 5, 2), ('gemini-flash-image', 3, 1);
INSERT INTO usage_events (event_id, user_id, model_id, kind, started_at, duration_ms, credits, status)
SELECT 'use_' || i, (i % 5) + 1, (i % 2) + 1, CASE WHEN i % 2 = 0 THEN 'edit' ELSE 'generate' END,
       timestamptz '2026-10-01' + i * interval '7 hours', 1000 + i, 5, 'ok'
  FROM generate_series(1, 300) i;
INSERT INTO credit_ledger (user_id, delta, kind, ref)
SELECT (i % 5) + 1, -5, 'USAGE', 'use_' || i FROM generate_series(1, 300) i;
INSERT INTO audit_log (actor, action, entity, entity_id, reason, before, after)
SELECT 'admin', 'account.suspend', 'pool_account', i::text, 'test ' || i, '{"status":"AVAILABLE"}', '{"status":"SUSPENDED"}'
  FROM generate_series(1, 12) i;
EOF

# one row written by a command, so the chain ends in a keyed row (the
# seed's rows above, written without the audit key, are unkeyed)
"$T" account add anchored@shop.test --actor t >/dev/null 2>"$TMP/add.err" ||
    notok "tallyctl account add failed: $(cat "$TMP/add.err")"
ANCHOR=$("$T" audit anchor 2>/dev/null)

# ---- backup ----------------------------------------------------------------
if out=$("$T" db backup --dir "$TMP/b" --keep 7 2>"$TMP/backup.err"); then
	ok "db backup exits 0"
else
	notok "db backup failed:"
	sed 's/^/#   /' "$TMP/backup.err"
fi
DUMP=$out
case $(basename "${DUMP:-none}") in
tally-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.dump)
	ok "it prints the dump's path ($(basename "$DUMP"))" ;;
*)
	notok "it printed '$DUMP', not a dump path"; exit 1 ;;
esac
[ -f "$DUMP" ] && ok "the dump exists" || notok "no file at $DUMP"
mode=$(stat -c %a "$DUMP" 2>/dev/null)
[ "$mode" = 600 ] && ok "the dump is mode 0600 (customer data)" ||
    notok "the dump is mode $mode"
dmode=$(stat -c %a "$TMP/b" 2>/dev/null)
[ "$dmode" = 700 ] && ok "the backup directory is mode 0700" ||
    notok "the backup directory is mode $dmode"
ls -A "$TMP/b" | grep -q partial && notok "a temporary file is left" ||
    ok "no temporary file is left"
pg_restore --list "$DUMP" >/dev/null 2>&1 && ok "pg_restore reads the dump" ||
    notok "pg_restore cannot read the dump"
M=$DUMP.manifest
[ -f "$M" ] && [ "$(stat -c %a "$M")" = 600 ] &&
    ok "the manifest is beside the dump, mode 0600" || notok "no manifest $M (mode 0600)"
[ "$(sed -n 's/^sha256 //p' "$M")" = "$(sha256sum "$DUMP" | cut -d' ' -f1)" ] &&
    ok "the manifest has the dump's sha256" || notok "the manifest's sha256 is wrong"
[ "$(sed -n 's/^bytes //p' "$M")" = "$(stat -c %s "$DUMP")" ] &&
    ok "the manifest has the dump's size" || notok "the manifest's size is wrong"
case $ANCHOR in
[0-9]*:????????????????????????????????????????????????????????????????)
	[ "$(sed -n 's/^audit_anchor //p' "$M")" = "$ANCHOR" ] &&
	    ok "the manifest has the audit anchor ($ANCHOR)" ||
	    notok "the manifest's anchor is '$(sed -n 's/^audit_anchor //p' "$M")', not $ANCHOR" ;;
*)
	notok "tallyctl audit anchor printed '$ANCHOR'" ;;
esac
run=$(q "$SRC_URL" "SELECT status || ' ' || (outputs->>0 = '$DUMP')::text
    || ' ' || (counts->>'bytes')::bigint FROM job_runs
    WHERE program = 'tally-backup' ORDER BY id DESC LIMIT 1")
size=$(stat -c %s "$DUMP")
[ "$run" = "OK true $size" ] && ok "job_runs records the backup (OK, its path, $size bytes)" ||
    notok "job_runs says '$run', expected 'OK true $size'"
# the run's own anchor (the head when it finished: no row was written
# since the dump began) is the manifest's, in its job_runs row and its
# log line
MANCHOR=$(sed -n 's/^audit_anchor //p' "$M")
ranchor=$(q "$SRC_URL" "SELECT audit_anchor_id || ':' || encode(audit_anchor_mac, 'hex')
    FROM job_runs WHERE program = 'tally-backup' ORDER BY id DESC LIMIT 1")
[ -n "$MANCHOR" ] && [ "$ranchor" = "$MANCHOR" ] &&
    ok "the backup's job_runs row has the manifest's anchor (id and MAC)" ||
    notok "the backup's job_runs anchor is '$ranchor', the manifest's '$MANCHOR'"
grep "tally-backup" "$TMP/backup.err" | grep -qF "audit anchor $MANCHOR" &&
    ok "the backup's log line has the anchor" ||
    notok "no 'audit anchor $MANCHOR' in the backup's log: $(cat "$TMP/backup.err")"

# ---- restore into a fresh, empty database -----------------------------------
q "$TALLY_TEST_ADMIN_URL" "CREATE DATABASE $DST_DB TEMPLATE template0" >/dev/null
if TALLY_DATABASE_URL=$DST_URL "$T" db restore "$DUMP" > "$TMP/restore.out" 2>&1; then
	ok "db restore into an empty database exits 0"
else
	notok "db restore failed:"
	sed 's/^/#   /' "$TMP/restore.out"
fi

# Every table: its row count and a digest of its rows; every sequence:
# where it stands.  Partitions are tables of their own here.
snapshot() {
	q "$1" "SELECT c.relname || ' ' ||
	    (xpath('/row/n/text()', query_to_xml(format(
	      'SELECT count(*) || '':'' || coalesce(md5(string_agg(t::text, '','' ORDER BY t::text)), ''-'') AS n FROM %I.%I t',
	      n.nspname, c.relname), false, true, '')))[1]::text
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE n.nspname = 'public' AND c.relkind = 'r'
	 UNION ALL
	SELECT 'sequence ' || sequencename || ' ' || coalesce(last_value::text, 'unused')
	  FROM pg_sequences WHERE schemaname = 'public'
	 ORDER BY 1"
}
snapshot "$SRC_URL" > "$TMP/src.snap"
snapshot "$DST_URL" > "$TMP/dst.snap"
tables=$(grep -vc '^sequence ' "$TMP/src.snap")
rows=$(grep -v '^sequence ' "$TMP/src.snap" | awk '{ split($2, a, ":"); s += a[1] } END { print s }')
if [ "$tables" -gt 20 ] && [ "$rows" -gt 700 ]; then
	ok "the source has $rows rows in $tables tables"
else
	notok "the source has only $rows rows in $tables tables: the seed failed"
fi
# the job_runs row of the backup itself was RUNNING inside the dump and is
# finished in the source since: the one difference there is to expect
grep -v '^job_runs ' "$TMP/src.snap" > "$TMP/src.cmp"
grep -v '^job_runs ' "$TMP/dst.snap" > "$TMP/dst.cmp"
if cmp -s "$TMP/src.cmp" "$TMP/dst.cmp"; then
	ok "every table's row count and contents, and every sequence, are the same after the restore"
else
	notok "the restored database differs:"
	diff "$TMP/src.cmp" "$TMP/dst.cmp" | sed 's/^/#   /' | head -20
fi
src_runs=$(q "$SRC_URL" "SELECT count(*) FROM job_runs")
dst_runs=$(q "$DST_URL" "SELECT count(*) FROM job_runs")
[ "$src_runs" = "$dst_runs" ] && ok "job_runs has $dst_runs rows in both" ||
    notok "job_runs: $src_runs rows in the source, $dst_runs restored"
grep -q "restored .* into $DST_DB: [0-9]* tables" "$TMP/restore.out" &&
    ok "restore says what it restored" || notok "restore printed: $(cat "$TMP/restore.out")"

analyzed=$(q "$DST_URL" "SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
[ "$analyzed" -ge "$tables" ] && ok "restore analyzed the $analyzed restored tables" ||
    notok "restore analyzed $analyzed tables of $tables"

# The restored database works: the audit chain verifies and continues,
# identities go on after the restored rows, the roles' grants are back.
if TALLY_DATABASE_URL=$DST_URL "$T" audit verify --anchor "$ANCHOR" \
    > "$TMP/verify.out" 2>&1 && grep -q "reaches anchor $ANCHOR (--anchor)" "$TMP/verify.out"; then
	ok "the restored audit chain verifies and reaches the manifest's anchor"
else
	notok "verify of the restored chain: $(cat "$TMP/verify.out")"
fi
TALLY_DATABASE_URL=$DST_URL "$T" account add after@shop.test --actor t >/dev/null 2>&1
next=$(q "$DST_URL" "SELECT max(id) FROM audit_log")
max=$(q "$SRC_URL" "SELECT max(id) FROM audit_log")
[ "$next" = $((max + 1)) ] && ok "the audit log continues at id $next" ||
    notok "the next audit row got id $next after $max"
TALLY_DATABASE_URL=$DST_URL "$T" audit verify --anchor "$ANCHOR" >/dev/null 2>&1 &&
    ok "the chain still verifies with a new row" ||
    notok "a new row broke the chain"
cid=$(q "$DST_URL" "INSERT INTO customers (email) VALUES ('new@shop.test') RETURNING id")
[ "$cid" = 41 ] && ok "a new customer gets id 41 (identity restored)" ||
    notok "a new customer got id $cid"
grant=$(q "$DST_URL" "SELECT has_any_column_privilege('tally_receiver', 'raw_events', 'INSERT')
    AND NOT has_table_privilege('tally_receiver', 'orders', 'SELECT')")
[ "$grant" = t ] && ok "the roles' grants are restored" ||
    notok "the grants of tally_receiver are not as migrated"

# ---- refusals ---------------------------------------------------------------
before=$(snapshot "$DST_URL" | md5sum)
TALLY_DATABASE_URL=$DST_URL "$T" db restore "$DUMP" > "$TMP/again.out" 2>&1
rc=$?
[ "$rc" = 65 ] && ok "restore into a non-empty database is refused (exit 65)" ||
    notok "restore into a non-empty database exited $rc"
grep -q "is not empty" "$TMP/again.out" && ok "... saying the database is not empty" ||
    notok "... with no clear message: $(cat "$TMP/again.out")"
after=$(snapshot "$DST_URL" | md5sum)
[ "$before" = "$after" ] && ok "... and the database is untouched" ||
    notok "the refused restore changed the database"

printf 'not a dump\n' > "$TMP/junk.dump"
TALLY_DATABASE_URL=$DST_URL "$T" db restore "$TMP/junk.dump" >/dev/null 2>&1
rc=$?
[ "$rc" = 65 ] && ok "a file that is no dump is refused (exit 65)" ||
    notok "a file that is no dump: exit $rc"
TALLY_DATABASE_URL=$DST_URL "$T" db restore "$TMP/missing.dump" >/dev/null 2>&1
rc=$?
[ "$rc" != 0 ] && ok "a missing file is an error (exit $rc)" ||
    notok "a missing file: exit 0"

# A dump cut short at its end: its table of contents still reads, the
# data of its last table does not.  The restore fails, and its one
# transaction leaves the target as empty as it was.
size=$(stat -c %s "$DUMP")
head -c $((size - 1000)) "$DUMP" > "$TMP/short.dump"
pg_restore --list "$TMP/short.dump" >/dev/null 2>&1 &&
    ok "the truncated dump's table of contents still reads" ||
    notok "the truncated dump does not even list: the test below tests nothing"
q "$TALLY_TEST_ADMIN_URL" "CREATE DATABASE $BAD_DB TEMPLATE template0" >/dev/null
TALLY_DATABASE_URL=$BAD_URL "$T" db restore "$TMP/short.dump" >"$TMP/short.out" 2>&1
rc=$?
[ "$rc" = 70 ] && ok "restoring it fails (exit 70)" ||
    notok "restoring a truncated dump: exit $rc"
left=$(q "$BAD_URL" "SELECT count(*) FROM pg_class c JOIN pg_namespace n
    ON n.oid = c.relnamespace WHERE n.nspname = 'public'")
[ "$left" = 0 ] && ok "... and leaves the database empty (one transaction)" ||
    notok "... and left $left relations behind"

# ---- the password never on a command line -----------------------------------
# A stand-in pg_dump (TALLY_PG_BINDIR) records what it was given, then runs
# the real one.  The trust-authenticated test cluster ignores the password.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
mkdir -p "$TMP/fakebin"
{
	echo '#!/bin/sh'
	echo "printf '%s\\n' \"\$@\" > '$TMP/dump.argv'"
	echo "printf '%s\\n' \"\${PGPASSWORD:-none}\" > '$TMP/dump.pw'"
	echo "exec '$PGBIN/pg_dump' \"\$@\""
} > "$TMP/fakebin/pg_dump"
chmod 755 "$TMP/fakebin/pg_dump"
ln -s "$PGBIN/pg_restore" "$TMP/fakebin/pg_restore"
if TALLY_PG_BINDIR=$TMP/fakebin TALLY_DATABASE_URL="$SRC_URL password=SeCrEt-42" \
    "$T" db backup --dir "$TMP/pw" --keep 0 >/dev/null 2>"$TMP/pw.err"; then
	ok "a backup with a password in TALLY_DATABASE_URL works"
else
	notok "a backup with a password failed: $(cat "$TMP/pw.err")"
fi
grep -q -- --dbname "$TMP/dump.argv" && ok "the stand-in pg_dump was the one run" ||
    notok "the stand-in pg_dump did not run: TALLY_PG_BINDIR ignored"
grep -q SeCrEt "$TMP/dump.argv" && notok "the password is on pg_dump's command line" ||
    ok "the password is not on pg_dump's command line"
[ "$(cat "$TMP/dump.pw")" = SeCrEt-42 ] && ok "pg_dump gets it as PGPASSWORD" ||
    notok "pg_dump's PGPASSWORD is '$(cat "$TMP/dump.pw")'"
grep -q SeCrEt "$TMP/pw.err" && notok "the password is in the log" ||
    ok "the password is not in the log"

# ---- retention ----------------------------------------------------------------
R=$TMP/r
mkdir -p "$R"
old30=tally-$(date -u -d '30 days ago' +%Y%m%dT%H%M%SZ).dump
old10=tally-$(date -u -d '10 days ago' +%Y%m%dT%H%M%SZ).dump
new2=tally-$(date -u -d '2 days ago' +%Y%m%dT%H%M%SZ).dump
oldpart=.tally-$(date -u -d '3 days ago' +%Y%m%dT%H%M%SZ).dump.partial
newpart=.tally-$(date -u -d '1 hour ago' +%Y%m%dT%H%M%SZ).dump.partial
for f in "$old30" "$old10" "$new2" notes.txt tally-manual.dump "$oldpart" "$newpart" \
    "$old30.manifest" "$new2.manifest"; do
	echo x > "$R/$f"
done
touch -d '3 days ago' "$R/$oldpart"
touch -d '1 hour ago' "$R/$newpart"
touch -d '60 days ago' "$R/notes.txt" "$R/tally-manual.dump"
made=$("$T" db backup --dir "$R" --keep 7 2>"$TMP/ret.err") ||
    notok "backup with retention failed: $(cat "$TMP/ret.err")"
for f in "$old30" "$old10" "$oldpart" "$old30.manifest"; do
	[ -e "$R/$f" ] && notok "retention kept $f" || ok "retention removed $f"
done
for f in "$new2" notes.txt tally-manual.dump "$newpart" "$(basename "$made")" \
    "$new2.manifest" "$(basename "$made").manifest"; do
	[ -e "$R/$f" ] && ok "retention kept $f" || notok "retention removed $f"
done
removed=$(q "$SRC_URL" "SELECT counts->>'removed' FROM job_runs
    WHERE program = 'tally-backup' ORDER BY id DESC LIMIT 1")
[ "$removed" = 3 ] && ok "job_runs counts 3 removed" || notok "job_runs counts '$removed' removed"
sleep 1
"$T" db backup --dir "$R" --keep 0 >/dev/null 2>&1
[ -e "$R/$new2" ] && ok "--keep 0 keeps every dump" || notok "--keep 0 removed $new2"

# ---- one at a time, and usage ---------------------------------------------------
psql -X -q "$SRC_URL" -c "SELECT pg_advisory_lock(7283391, hashtext('tally-backup'));
    SELECT pg_sleep(600)" >/dev/null 2>&1 &
HOLDER=$!
# pg_locks is the whole cluster's, and tests beside this one hold tally's
# advisory locks in their own databases: only this database's count
MYLOCK="locktype = 'advisory' AND classid = 7283391
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
while [ "$(q "$SRC_URL" "SELECT count(*) FROM pg_locks WHERE $MYLOCK
    AND granted")" = 0 ] && kill -0 "$HOLDER" 2>/dev/null; do
	sleep 0.1
done
"$T" db backup --dir "$TMP/locked" >/dev/null 2>"$TMP/locked.err"
rc=$?
[ "$rc" = 75 ] && ok "a second backup at once exits 75" || notok "a second backup at once: exit $rc"
grep -q "another backup" "$TMP/locked.err" && ok "... saying another backup runs" ||
    notok "... saying: $(cat "$TMP/locked.err")"
# end the holder's session on the server too: its pg_sleep would go on
q "$SRC_URL" "SELECT pg_terminate_backend(pid) FROM pg_locks
    WHERE $MYLOCK" >/dev/null 2>&1
wait "$HOLDER" 2>/dev/null
HOLDER=

touch "$TMP/afile"
"$T" db backup --dir "$TMP/afile/sub" >/dev/null 2>&1
rc=$?
[ "$rc" = 73 ] && ok "a directory that cannot be made: exit 73" || notok "unmakeable directory: exit $rc"
"$T" db backup --keep soon >/dev/null 2>&1
rc=$?
[ "$rc" = 64 ] && ok "--keep soon is a usage error" || notok "--keep soon: exit $rc"
"$T" db backup extra >/dev/null 2>&1
rc=$?
[ "$rc" = 64 ] && ok "an extra argument is a usage error" || notok "an extra argument: exit $rc"
"$T" db restore >/dev/null 2>&1
rc=$?
[ "$rc" = 64 ] && ok "restore without a file is a usage error" || notok "restore without a file: exit $rc"

if [ "$fails" -ne 0 ]; then
	echo "$fails failed"
	exit 1
fi
exit 0
