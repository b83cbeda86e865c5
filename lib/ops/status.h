/*
 * ops/status.h - tally at a glance: what `tallyctl status` prints and
 * GET /api/admin/status answers.  The contract is ops/ops.h, with one
 * difference: status is a report about failures, so it answers even when
 * the database cannot be reached.
 */
#ifndef TALLY_OPS_STATUS_H
#define TALLY_OPS_STATUS_H

#include "base/strbuf.h"
#include "ops/ops.h"

/*
 * Every check, with the thresholds of o->cfg (defaults when NULL):
 *   receiver   GET /healthz where the config's listen says (2 s; libcurl
 *              must be initialised: curl_global_init())
 *   database   reachable, and which (ops_connect(): a face may connect
 *              with a read-only role)
 *   events     raw events waiting for tally-allocate, and failed ones
 *   pool       free seats, against alert_seat_threshold; accounts by
 *              status (with room, assigned = full, suspended)
 *   orders     paid orders without their seat or credits, and those older
 *              than fulfil_sla_minutes; orders held for an admin (warn:
 *              tallyctl order list --held)
 *   reconcile  open reconcile cases, warning from reconcile_severity
 *   alerts     alerts firing, and alerts alert_url did not take
 *   usage      today's model calls (report time zone), per model: a fact
 *              for the panel's dashboard, never a warning
 *   replicas   each standby streaming from the primary (its state, bytes
 *              of WAL behind, replay lag), slots no standby uses, and the
 *              read database (read_database_url): caught up, or how far
 *              behind; warns past read_lag_wait, fails when the programs
 *              could not read there
 *   programs   job_runs: the last run of each program, its result, the
 *              last success, and whether a scheduled one is overdue
 *
 * *out is always set: {"status": {"at": ISO time, CHECK: {"state":
 * ok|warn|fail|-, "summary": TEXT, ...facts}, ..., "state": the worst},
 * "programs": {"items", "columns"}} (the programs table as people read
 * it).  Returns 0, or TALLY_EUNAVAIL (no database: the database check
 * fails and the checks after it are missing), TALLY_ECONFIG (a tz the
 * database does not know) or another code, with ops->err; *out then
 * holds what could be found.
 */
int ops_status(struct ops *o, json_t **out);

/*
 * The URL of the receiver's health check for the config's listen value
 * ("host:port", "[v6addr]:port", ":port"; a wildcard host is reached on
 * loopback) into url.  A listen value that is a unix socket path ("/path"
 * or "unix:/path") puts the path in unix_path and a loopback URL in url.
 * Returns 0, or TALLY_ECONFIG for a value it cannot read.
 */
int ops_status_health_url(const char *listen, struct strbuf *url,
    struct strbuf *unix_path);

#endif
