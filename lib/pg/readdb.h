/*
 * readdb.h - reading a run's snapshot from a hot standby of the primary
 * (read_database_url, TALLY_READ_DATABASE_URL), and knowing how far the
 * standby has replayed the primary.
 *
 * A standby replays the primary's WAL in commit order.  What it shows is
 * therefore complete up to an instant, and the as-of of a report read
 * from it must not be later than that instant, or the report would miss
 * rows the same report read from the primary has:
 *
 *   caught up   the standby has replayed every commit the primary had
 *               when it was asked (its replay position reached the
 *               primary's insert position, or its last replayed commit
 *               is the primary's last commit when the primary tracks
 *               commit timestamps): complete up to the primary's now(),
 *               whatever the time of its last commit.  An idle standby
 *               of an idle primary is caught up.
 *   lagging     commits are pending: complete up to the commit time of
 *               the last transaction it replayed
 *               (pg_last_xact_replay_timestamp()), no further.
 *
 * The read server may also be the primary itself (not in recovery): it is
 * then always caught up.  Rows carry the time their transaction started
 * (now()), not when it committed, so on a standby as on the primary a
 * transaction still open at the as-of shows up in a later run at the same
 * as-of; tally's writers are short, so that window is milliseconds.
 */
#ifndef TALLY_READDB_H
#define TALLY_READDB_H

#include <stdbool.h>

#include "base/period.h"
#include "base/strbuf.h"
#include "pg/db.h"

/* One look at the primary, then at the read server. */
struct readdb_look {
	bool standby;			/* the read server recovers */
	bool caught_up;			/* see above */
	struct period_instant primary_now;	/* the primary's now() */
	bool replayed_known;		/* a transaction was replayed */
	struct period_instant replayed;	/* its commit time */
	long long behind_bytes;		/* WAL not replayed yet, >= 0 */
};

/*
 * Refuse a read server that is not the primary's copy: another cluster
 * (system identifier), another database, or a server that is neither in
 * recovery nor the primary itself.  0 or TALLY_ECONFIG with the reason
 * in why; a database failure is returned as classified.
 */
int readdb_check(struct db *primary, struct db *read, struct strbuf *why);

/* The primary's position and now(), then the read server's. */
int readdb_look(struct db *primary, struct db *read, struct readdb_look *l);

/*
 * The as-of of a run that reads from read: given (an explicit --as-of)
 * once the read server is complete up to it, else (given NULL) the
 * instant it is complete up to now (above).  Waits, polling the replay
 * position, up to wait_s seconds (0: one look); then TALLY_ERETRY with
 * the lag in why.
 */
int readdb_as_of(struct db *primary, struct db *read,
    const struct period_instant *given, long wait_s,
    struct period_instant *as_of, struct strbuf *why);

/*
 * Wait, the same way, until read has replayed everything committed on
 * the primary so far (a run's own writes, before it reads them there).
 */
int readdb_catch_up(struct db *primary, struct db *read, long wait_s,
    struct strbuf *why);

#endif
