/*
 * ratelimit.c - failed authentication per client address.
 *
 * A fixed window per address: the first failure opens it; limit failures
 * within it block the address until it ends.  What the limit buys is
 * time: a token has 256 random bits and cannot be guessed anyway, but a
 * client that keeps failing should cost a lookup at most limit times a
 * window, not once a request, and should show up in the log as one
 * blocked address rather than a flood.  The table is bounded: when full,
 * the entry whose window ended longest ago (or, failing that, the oldest)
 * is reused, so a flood of addresses cannot grow memory.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "base/strbuf.h"

#define RL_SLOTS 4096

struct rl_slot {
	char addr[64];
	double start;		/* the window's start */
	long failures;
};

struct admin_ratelimit {
	pthread_mutex_t lock;
	long limit;
	double window;
	struct rl_slot *slots;
	size_t n;
};

struct admin_ratelimit *
admin_ratelimit_new(long limit, long window)
{
	struct admin_ratelimit *rl = xcalloc(1, sizeof(*rl));

	pthread_mutex_init(&rl->lock, NULL);
	rl->limit = limit;
	rl->window = (double)window;
	rl->slots = xcalloc(RL_SLOTS, sizeof(*rl->slots));
	return rl;
}

void
admin_ratelimit_free(struct admin_ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->slots);
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

static struct rl_slot *
find(struct admin_ratelimit *rl, const char *addr)
{
	for (size_t i = 0; i < rl->n; i++)
		if (strcmp(rl->slots[i].addr, addr) == 0)
			return &rl->slots[i];
	return NULL;
}

/* the seconds addr must wait; the caller holds the lock */
static long
wait_locked(struct admin_ratelimit *rl, const char *addr, double now)
{
	struct rl_slot *s = find(rl, addr);
	long wait = 0;

	if (s != NULL && now - s->start < rl->window &&
	    s->failures >= rl->limit) {
		wait = (long)(s->start + rl->window - now);
		if ((double)wait < s->start + rl->window - now)
			wait++;
		if (wait < 1)
			wait = 1;
	}
	return wait;
}

/* one failure of addr; the caller holds the lock */
static void
fail_locked(struct admin_ratelimit *rl, const char *addr, double now)
{
	struct rl_slot *s;

	if ((s = find(rl, addr)) == NULL) {
		if (rl->n < RL_SLOTS)
			s = &rl->slots[rl->n++];
		else {
			s = &rl->slots[0];
			for (size_t i = 1; i < rl->n; i++)
				if (rl->slots[i].start < s->start)
					s = &rl->slots[i];
		}
		memset(s, 0, sizeof(*s));
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		s->start = now;
	}
	if (now - s->start >= rl->window) {
		s->start = now;
		s->failures = 0;
	}
	s->failures++;
}

long
admin_ratelimit_wait(struct admin_ratelimit *rl, const char *addr, double now)
{
	long wait;

	pthread_mutex_lock(&rl->lock);
	wait = wait_locked(rl, addr, now);
	pthread_mutex_unlock(&rl->lock);
	return wait;
}

void
admin_ratelimit_fail(struct admin_ratelimit *rl, const char *addr, double now)
{
	pthread_mutex_lock(&rl->lock);
	fail_locked(rl, addr, now);
	pthread_mutex_unlock(&rl->lock);
}

long
admin_ratelimit_try(struct admin_ratelimit *rl, const char *addr, double now)
{
	long wait;

	pthread_mutex_lock(&rl->lock);
	if ((wait = wait_locked(rl, addr, now)) == 0)
		fail_locked(rl, addr, now);
	pthread_mutex_unlock(&rl->lock);
	return wait;
}

void
admin_ratelimit_forgive(struct admin_ratelimit *rl, const char *addr)
{
	struct rl_slot *s;

	pthread_mutex_lock(&rl->lock);
	if ((s = find(rl, addr)) != NULL && s->failures > 0)
		s->failures--;
	pthread_mutex_unlock(&rl->lock);
}
