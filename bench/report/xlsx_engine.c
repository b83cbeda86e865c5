/*
 * xlsx_engine.c - drive the report engine (lib/report/engine.c) over the query
 * that yields the same cells as xlsx_limit.c: ROWS rows x 10 columns
 * from PostgreSQL (generate_series), streamed in single-row mode, typed
 * from the column types, written as one XLSX sheet (no CSV).  The engine
 * is what tally-weekly-report and friends run; only the SQL differs.
 *
 *   xlsx_engine OUT_DIR ROWS      (TALLY_DATABASE_URL or the embedded db)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/db.h"
#include "base/err.h"
#include "base/log.h"
#include "base/period.h"
#include "report/engine.h"
#include "base/strbuf.h"

static const char sql[] =
    "-- sheet: rows\n"
    "-- money: cost=USD\n"
    "-- percent: ratio\n"
    "select g as id,\n"
    "       'user' || g || '@example.com' as email,\n"
    "       (array['qwen-image-edit', 'gemini-flash-image', 'flux-dev',\n"
    "              'flux-schnell', 'sdxl-turbo', 'imagen-3', 'dall-e-3',\n"
    "              'ideogram-2'])[g % 8 + 1] as model,\n"
    "       case when g % 4 = 0 then 'edit' else 'generate' end as kind,\n"
    "       timestamp '2026-11-01' + g * interval '1 second' as started_at,\n"
    "       (g * 7919) % 60000 as duration_ms,\n"
    "       g % 10 as credits,\n"
    "       round((g % 1000) / 100.0, 2) as cost,\n"
    "       g % 10 <> 0 as ok,\n"
    "       (g % 997) / 997.0::float8 as ratio\n"
    "  from generate_series(1::bigint, $6::bigint) g\n";

int
main(int argc, char **argv)
{
	struct report_source src = { "bench/10_rows.sql", sql };
	const char *extra[1];
	struct report_opts o;
	struct report_result res;
	struct period p;
	struct db *db = NULL;
	int rc;

	log_init(argv[0]);
	if (argc != 3 || strtol(argv[2], NULL, 10) < 1) {
		fprintf(stderr, "usage: xlsx_engine OUT_DIR ROWS\n");
		return 64;
	}
	extra[0] = argv[2];
	if ((rc = db_connect(&db, "xlsx_engine", NULL)) != 0)
		return tally_exit_code(rc);
	if (period_day(&p, (struct period_date){ 2026, 11, 1 }, "UTC") != 0)
		return 70;
	memset(&o, 0, sizeof(o));
	o.period = &p;
	o.as_of = p.end;
	o.tz = "UTC";
	o.out_dir = argv[1];
	o.formats = REPORT_XLSX;
	o.extra = extra;
	o.nextra = 1;
	o.sources = &src;
	o.nsources = 1;
	report_result_init(&res);
	rc = report_run(db, "bench", &o, &res);
	if (rc != 0)
		log_err("%s", strbuf_str(&res.err));
	else
		printf("%llu rows\n", res.sheets[0].rows);
	report_result_release(&res);
	db_free(db);
	return tally_exit_code(rc);
}
