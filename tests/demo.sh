#!/bin/sh
# demo.sh BINDIR - the whole story in one command (make demo).
# Starts the embedded database (./var unless TALLY_HOME is set), migrates
# it, and shows what is there.
set -eu
BINDIR=$(cd "$1" && pwd)
unset TALLY_DATABASE_URL
export TALLY_HOME="${TALLY_HOME:-$(pwd)/var}"

echo "== embedded database"
"$BINDIR/tallyctl" db up
"$BINDIR/tallyctl" db status
URL=$("$BINDIR/tallyctl" db url)
echo "connection: $URL"

echo "== schema"
psql -X -q "$URL" -c "SELECT name AS migration, applied_at FROM schema_migrations ORDER BY name"
psql -X -q "$URL" -c "SELECT c.relname AS table, CASE c.relkind WHEN 'p' THEN 'partitioned' ELSE '' END AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1"
psql -X -q "$URL" -c "SELECT rolname AS role FROM pg_roles WHERE rolname LIKE 'tally\_%' ORDER BY 1"
echo "== done; stop the database with: $BINDIR/tallyctl db down"
