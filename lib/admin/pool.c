/*
 * pool.c - tally-admin's database connections: at most max, made when
 * first needed, each logged in as tally_admin_api with a statement
 * timeout of the request deadline, so no request's database work
 * outlives it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "admin/internal.h"
#include "base/err.h"
#include "base/log.h"

#define ADMIN_DB_ROLE "tally_admin_api"

struct admin_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	char *url;
	long timeout_ms;
	struct db **idle;
	int nidle;
	int out;		/* connections handed out */
	int max;
};

struct admin_pool *
admin_pool_new(const char *url, int max, long statement_timeout_ms)
{
	struct admin_pool *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t ca;

	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &ca);
	pthread_condattr_destroy(&ca);
	p->url = url != NULL ? xstrdup(url) : NULL;
	p->max = max;
	p->timeout_ms = statement_timeout_ms;
	p->idle = xcalloc((size_t)max, sizeof(*p->idle));
	return p;
}

void
admin_pool_free(struct admin_pool *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->nidle; i++)
		db_free(p->idle[i]);
	free(p->idle);
	free(p->url);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static int
connect_one(struct admin_pool *p, struct db **db)
{
	char ms[24];
	const char *params[1] = { ms };
	int rc;

	rc = db_connect_url(db, p->url, "tally-admin", ADMIN_DB_ROLE);
	if (rc != 0)
		return TALLY_EUNAVAIL;
	snprintf(ms, sizeof(ms), "%ld", p->timeout_ms);
	rc = db_exec(*db, NULL, PGRES_TUPLES_OK, "SELECT set_config("
	    "'statement_timeout', $1, false)", 1, params);
	if (rc != 0) {
		log_warning("database: cannot set statement_timeout: %s",
		    db_errmsg(*db));
		db_free(*db);
		*db = NULL;
		return TALLY_EUNAVAIL;
	}
	return 0;
}

int
admin_pool_get(struct admin_pool *p, double wait, struct db **db)
{
	struct timespec until;
	int rc;

	*db = NULL;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)wait;
	until.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	while (p->nidle == 0 && p->out >= p->max)
		if (pthread_cond_timedwait(&p->freed, &p->lock, &until) ==
		    ETIMEDOUT) {
			pthread_mutex_unlock(&p->lock);
			log_warning("database: all %d connections busy for %.0f s",
			    p->max, wait);
			return TALLY_EUNAVAIL;
		}
	p->out++;
	if (p->nidle > 0) {
		*db = p->idle[--p->nidle];
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	pthread_mutex_unlock(&p->lock);
	/* connecting takes a while: not under the lock */
	if ((rc = connect_one(p, db)) != 0) {
		pthread_mutex_lock(&p->lock);
		p->out--;
		pthread_cond_signal(&p->freed);
		pthread_mutex_unlock(&p->lock);
	}
	return rc;
}

void
admin_pool_put(struct admin_pool *p, struct db *db)
{
	if (db == NULL)
		return;
	/* a connection lost, or left inside a transaction, is not reused */
	if (!db_ok(db) || PQtransactionStatus(db_conn(db)) != PQTRANS_IDLE) {
		db_free(db);
		db = NULL;
	}
	pthread_mutex_lock(&p->lock);
	p->out--;
	if (db != NULL)
		p->idle[p->nidle++] = db;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}
