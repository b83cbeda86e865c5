/*
 * jobrun.h - the job_runs row every batch program leaves behind: started
 * when the run begins, finished with its status, counts, outputs and a
 * message, on success and on failure alike.  Reports read these rows for
 * "system health" and the alerts raise "job_failed:PROGRAM" from them.
 *
 * Each call is its own statement outside any transaction (autocommit), so
 * the row survives a run whose work was rolled back.  Call jobrun_start()
 * after taking the program's lock and jobrun_finish() after the work's
 * transaction has been committed or rolled back: the batch-job spine
 * (lib/jobs/batchjob.h) does both for every batch program.
 */
#ifndef TALLY_JOBRUN_H
#define TALLY_JOBRUN_H

#include <stddef.h>

#include <jansson.h>

#include "pg/db.h"

struct jobrun;

/*
 * Insert a RUNNING row for program (as_of may be NULL).  *out gets the
 * handle (free it with jobrun_finish() or jobrun_free()).  Returns 0 or a
 * TALLY_E* code; on failure *out is NULL.
 */
int jobrun_start(struct db *db, const char *program, const char *as_of,
    struct jobrun **out);

/*
 * Mark RUNNING rows of program that no live run owns as FAILED
 * ("abandoned"): a run that crashed or was killed never finished its row.
 * Only correct while holding the program's one-run-at-a-time lock (then no
 * other run of it is alive); call before jobrun_start().  *reaped
 * (optional) gets the number of rows marked.
 */
int jobrun_reap(struct db *db, const char *program, long long *reaped);

/* The job_runs.id of the run (0 before it was started). */
long long jobrun_id(const struct jobrun *jr);

/* Set counts[key] = value (replacing an earlier value). */
void jobrun_count(struct jobrun *jr, const char *key, long long value);

/* A long long of a struct of figures, and its name among the counts. */
struct jobrun_field {
	const char *name;
	size_t offset;		/* offsetof(STRUCT, field) */
};
/* jobrun_count() every field (up to a NULL name) of the struct at base. */
void jobrun_count_fields(struct jobrun *jr, const void *base,
    const struct jobrun_field *fields);
/* Append path to outputs. */
void jobrun_output(struct jobrun *jr, const char *path);
/* The same with any JSON value (a report's {"file", "sha256"}, its rows
 * per sheet); both take the reference to value, jr NULL or not. */
void jobrun_count_json(struct jobrun *jr, const char *key, json_t *value);
void jobrun_output_json(struct jobrun *jr, json_t *value);

/*
 * Finish the row: status OK for result 0, PROBLEMS for TALLY_EPROBLEMS,
 * FAILED for anything else; message NULL means tally_strerror(result) for
 * failures and none otherwise.  The row also gets the audit chain's head
 * (audit_anchor_id, audit_anchor_mac: an anchor, lib/pg/audit.h), which
 * is logged as "PROGRAM: run N STATUS; audit anchor ID:HEX".  When the
 * connection was lost it is re-established once.  Frees jr.  Returns 0 or the TALLY_E* code of the
 * failed update (logged; the program's own exit status should not change
 * because of it).
 */
int jobrun_finish(struct jobrun *jr, int result, const char *message);

/* Free without finishing (the row stays RUNNING until reaped). */
void jobrun_free(struct jobrun *jr);

/*
 * The program's newest job_runs row, by started_at: {"status", "message",
 * "started_at", "finished_at"}, the times as UTC "2026-11-17T10:00:00Z",
 * a missing message or time null.  *out is NULL when it has no row.
 * TALLY_EDB (db_errmsg(db) says why) when job_runs cannot be read.
 */
int jobrun_last(struct db *db, const char *program, json_t **out);

#endif
