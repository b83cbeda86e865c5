/*
 * receiver.h - tally-receiver: the HTTP webhook intake (DESIGN.md,
 * "Receiver answers").
 *
 * POST /webhooks/NAME for each [source NAME]: limits first (size from
 * Content-Length before reading, content type, header count), then the
 * signature, then the body, then one row per event queued for a group
 * commit (receiver_store.h); the request is suspended until its COMMIT
 * returned and answered 200 {"status":"stored"|"duplicate"}.  GET /healthz
 * (200 only when the database answers), GET /metrics (Prometheus text).
 *
 * A whole-request deadline (request_deadline) is enforced here, not by
 * libmicrohttpd, whose timeout only counts silence: a request still being
 * read at the deadline has its connection cut; one waiting for its commit
 * is answered 503 (never 2xx: the commit may or may not happen, and the
 * provider's retry is a duplicate either way).
 *
 * Signals: SIGTERM/SIGINT drain (stop accepting, answer what is in flight,
 * exit 0); SIGHUP reloads the configuration and secrets and keeps the old
 * ones if the new are wrong.  systemd: READY=1, RELOADING=1, STOPPING=1,
 * STATUS=, WATCHDOG=1 when WatchdogSec= is set (use 30 s or more: a
 * database connect may take 10 s), and socket activation (one socket).
 *
 * TALLY_RECEIVER_COMMITTERS (1..8, default two per core, at least 2) sets
 * the number of commit threads, each with its own database connection.
 */
#ifndef TALLY_RECEIVER_H
#define TALLY_RECEIVER_H

#include "base/strbuf.h"

/*
 * Load config_path (NULL: the usual search, see config_load) with its
 * secrets, derive every source's keys and check the listen address.
 * 0, or TALLY_ECONFIG with "file:line: message" lines in err.
 */
int receiver_check_config(const char *config_path, struct strbuf *err);

/* Run until SIGTERM/SIGINT.  0 after a clean drain; TALLY_ECONFIG for a
 * bad configuration, TALLY_EUNAVAIL when the address cannot be bound. */
int receiver_run(const char *config_path);

#endif
