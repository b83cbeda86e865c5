/*
 * status.h - tallyctl status [-c FILE] [--json].
 */
#ifndef TALLY_CTL_STATUS_H
#define TALLY_CTL_STATUS_H

#include "base/strbuf.h"

/*
 * At a glance: receiver health (GET /healthz), events waiting, the last
 * run of every program (job_runs), free seats, paid orders not fulfilled,
 * open reconcile cases and firing alerts where those tables exist.
 * Exit 0 when all is well, 1 when something wants attention, 69 when the
 * database cannot be reached, 78 for a bad configuration.
 */
int ctl_status(int argc, char **argv);

/*
 * The URL of the receiver's health check for tally.conf's listen value
 * ("host:port", "[v6addr]:port", ":port"; a wildcard host is reached on
 * loopback) into url.  A listen value that is a unix socket path
 * ("/path" or "unix:/path") puts the path in unix_path and a loopback URL
 * in url.  Returns 0, or TALLY_ECONFIG for a value it cannot read.
 */
int ctl_status_health_url(const char *listen, struct strbuf *url,
    struct strbuf *unix_path);

#endif
