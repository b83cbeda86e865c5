/*
 * ops/report.h - the report files the report programs wrote, as their
 * job_runs rows record them (file and sha256 in outputs, the period in
 * counts): listed, and one opened for download (the contract is
 * ops/ops.h; GET /api/admin/reports and the panel's Reports page).
 */
#ifndef TALLY_OPS_REPORT_H
#define TALLY_OPS_REPORT_H

#include "ops/ops.h"

struct ops_report_list_req {
	const char *program;	/* tally-weekly-report, ...; NULL: all */
	struct ops_page page;
};

/*
 * Newest first, each file once (as its newest run wrote it): file (the
 * name to download it by), program, period, run_id, finished_at,
 * sha256.  Only runs that finished (OK or PROBLEMS), only files with a
 * sha256 (not the manifests).
 */
int ops_report_list(struct ops *o, const struct ops_report_list_req *req,
    json_t **out);

/*
 * Open the report file named name (a file of ops_report_list) for
 * reading: *fd (the caller closes it) at its start, *out the list's item
 * with "bytes" and "content_type".  What is served is what the report
 * program wrote, nothing else:
 *   - name is a plain file name (letters, digits, '.', '_', '-'; no
 *     "..", no '/'), else TALLY_EUSAGE;
 *   - it is looked up in job_runs, never joined to a directory from the
 *     request, else TALLY_ENOTFOUND;
 *   - the recorded path must lie in o->cfg's report_dir once links are
 *     resolved (a row naming /etc/passwd is refused), and is opened
 *     without following a link at its end, as a regular file;
 *   - its sha256 must still be the recorded one (TALLY_EREFUSED: the
 *     file was changed after it was written).
 */
int ops_report_open(struct ops *o, const char *name, int *fd, json_t **out);

#endif
