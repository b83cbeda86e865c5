#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "intake/receiver_metrics.h"

#define NAME_MAX_LEN 64

static const int codes[] = { 200, 400, 401, 404, 405, 413, 415, 429, 500, 503 };
#define NCODES (sizeof(codes) / sizeof(codes[0]) + 1)	/* + "other" */

static const double latency_le[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10,
};
#define NLAT (sizeof(latency_le) / sizeof(latency_le[0]))
static const double batch_le[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024 };
#define NBATCH (sizeof(batch_le) / sizeof(batch_le[0]))

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static char names[RECEIVER_METRICS_SLOTS][NAME_MAX_LEN + 1];
static atomic_size_t nslots = 1;

static atomic_ullong requests[RECEIVER_METRICS_SLOTS][NCODES];
static atomic_ullong stored[RECEIVER_METRICS_SLOTS];
static atomic_ullong duplicates[RECEIVER_METRICS_SLOTS];
static atomic_ullong sigfail[RECEIVER_METRICS_SLOTS];

static atomic_ullong lat_bucket[NLAT + 1];
static atomic_ullong lat_sum_us;
static atomic_ullong batch_bucket[NBATCH + 1];
static atomic_ullong batch_sum;
static atomic_ullong rows_total;

static atomic_long gauges[RM_NGAUGES];
static atomic_ullong counters[RM_NCOUNTERS];

#define RELAXED memory_order_relaxed

size_t
receiver_metrics_slot(const char *source)
{
	size_t i, n;

	if (source == NULL || source[0] == '\0')
		return 0;
	pthread_mutex_lock(&slot_lock);
	n = atomic_load(&nslots);
	for (i = 1; i < n; i++)
		if (strcmp(names[i], source) == 0)
			goto done;
	if (n == RECEIVER_METRICS_SLOTS) {
		i = 0;
		goto done;
	}
	snprintf(names[n], sizeof(names[n]), "%s", source);
	/* published after the name is written: render reads names[< nslots] */
	atomic_store(&nslots, n + 1);
	i = n;
done:
	pthread_mutex_unlock(&slot_lock);
	return i;
}

static size_t
code_index(int status)
{
	for (size_t i = 0; i < NCODES - 1; i++)
		if (codes[i] == status)
			return i;
	return NCODES - 1;
}

void
receiver_metrics_request(size_t slot, int status)
{
	if (slot >= RECEIVER_METRICS_SLOTS)
		slot = 0;
	atomic_fetch_add_explicit(&requests[slot][code_index(status)], 1,
	    RELAXED);
}

void
receiver_metrics_events(size_t slot, unsigned long long s,
    unsigned long long d)
{
	if (slot >= RECEIVER_METRICS_SLOTS)
		slot = 0;
	atomic_fetch_add_explicit(&stored[slot], s, RELAXED);
	atomic_fetch_add_explicit(&duplicates[slot], d, RELAXED);
}

void
receiver_metrics_signature_failure(size_t slot)
{
	if (slot >= RECEIVER_METRICS_SLOTS)
		slot = 0;
	atomic_fetch_add_explicit(&sigfail[slot], 1, RELAXED);
}

void
receiver_metrics_commit(size_t nreq, size_t rows, double seconds)
{
	size_t i;

	for (i = 0; i < NLAT && seconds > latency_le[i]; i++)
		;
	atomic_fetch_add_explicit(&lat_bucket[i], 1, RELAXED);
	atomic_fetch_add_explicit(&lat_sum_us,
	    (unsigned long long)(seconds * 1e6), RELAXED);
	for (i = 0; i < NBATCH && nreq > batch_le[i]; i++)
		;
	atomic_fetch_add_explicit(&batch_bucket[i], 1, RELAXED);
	atomic_fetch_add_explicit(&batch_sum, nreq, RELAXED);
	atomic_fetch_add_explicit(&rows_total, rows, RELAXED);
}

void
receiver_metrics_gauge_add(enum receiver_gauge g, long delta)
{
	atomic_fetch_add_explicit(&gauges[g], delta, RELAXED);
}

void
receiver_metrics_gauge_set(enum receiver_gauge g, long value)
{
	atomic_store_explicit(&gauges[g], value, RELAXED);
}

long
receiver_metrics_gauge(enum receiver_gauge g)
{
	return atomic_load_explicit(&gauges[g], RELAXED);
}

void
receiver_metrics_count(enum receiver_counter c)
{
	atomic_fetch_add_explicit(&counters[c], 1, RELAXED);
}

unsigned long long
receiver_metrics_counter(enum receiver_counter c)
{
	return atomic_load_explicit(&counters[c], RELAXED);
}

static unsigned long long
ld(atomic_ullong *p)
{
	return atomic_load_explicit(p, RELAXED);
}

static void
per_source(struct strbuf *out, size_t n, const char *name, const char *help,
    atomic_ullong *v)
{
	strbuf_addf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t s = 0; s < n; s++)
		strbuf_addf(out, "%s{source=\"%s\"} %llu\n", name, names[s],
		    ld(&v[s]));
}

/* A histogram: bucket[i] counts up to le[i], bucket[n] the rest; sum is
 * formatted by the caller (seconds or a count). */
static void
histogram(struct strbuf *out, const char *name, const char *help,
    const double *le, size_t n, atomic_ullong *bucket, const char *sum)
{
	unsigned long long cum = 0;

	strbuf_addf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help,
	    name);
	for (size_t i = 0; i < n; i++) {
		cum += ld(&bucket[i]);
		strbuf_addf(out, "%s_bucket{le=\"%g\"} %llu\n", name, le[i], cum);
	}
	cum += ld(&bucket[n]);
	strbuf_addf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %s\n"
	    "%s_count %llu\n", name, cum, name, sum, name, cum);
}

void
receiver_metrics_render(struct strbuf *out)
{
	static const struct {
		const char *name, *help;
	} gauge_info[RM_NGAUGES] = {
		[RM_QUEUE_DEPTH] = { "tally_receiver_queue_depth",
		    "requests waiting for a group commit" },
		[RM_COMMITTING] = { "tally_receiver_committing",
		    "requests in the group commits under way" },
		[RM_CONNECTIONS] = { "tally_receiver_connections",
		    "open HTTP connections" },
		[RM_INFLIGHT] = { "tally_receiver_requests_in_flight",
		    "requests being handled" },
		[RM_DB_UP] = { "tally_receiver_database_up",
		    "1 when the last database round trip worked" },
		[RM_BODY_BYTES] = { "tally_receiver_body_bytes",
		    "bytes of request bodies held in memory (max_inflight_bytes)" },
	}, counter_info[RM_NCOUNTERS] = {
		[RM_DEADLINE_CUTS] = { "tally_receiver_deadline_cuts_total",
		    "connections closed at the request deadline" },
		[RM_DEADLINE_503] = { "tally_receiver_deadline_503_total",
		    "requests answered 503 at the deadline while waiting for a commit" },
		[RM_OVERLOAD] = { "tally_receiver_overload_total",
		    "requests refused with 503: commit queue full or shutting down" },
		[RM_DB_ERRORS] = { "tally_receiver_database_errors_total",
		    "group commits that failed" },
		[RM_DB_RECONNECTS] = { "tally_receiver_database_reconnects_total",
		    "database reconnections" },
		[RM_RELOADS] = { "tally_receiver_reloads_total",
		    "configuration reloads that took effect" },
		[RM_RELOAD_FAILURES] = { "tally_receiver_reload_failures_total",
		    "configuration reloads refused (old configuration kept)" },
		[RM_BODY_BUDGET] = { "tally_receiver_body_budget_refusals_total",
		    "requests refused with 503: max_inflight_bytes of bodies held" },
		[RM_FRAMING] = { "tally_receiver_framing_errors_total",
		    "requests refused for their HTTP framing (Content-Length, "
		    "Transfer-Encoding, Host)" },
	};
	size_t n = atomic_load(&nslots), s, c, i;
	char sum[64];

	strbuf_addstr(out, "# HELP tally_receiver_requests_total HTTP requests "
	    "by source and status\n# TYPE tally_receiver_requests_total counter\n");
	for (s = 0; s < n; s++)
		for (c = 0; c < NCODES; c++) {
			unsigned long long v = ld(&requests[s][c]);

			if (v == 0 && c != 0)
				continue;
			if (c < NCODES - 1)
				strbuf_addf(out, "tally_receiver_requests_total"
				    "{source=\"%s\",code=\"%d\"} %llu\n",
				    names[s], codes[c], v);
			else
				strbuf_addf(out, "tally_receiver_requests_total"
				    "{source=\"%s\",code=\"other\"} %llu\n",
				    names[s], v);
		}
	per_source(out, n, "tally_receiver_events_stored_total",
	    "events stored (rows committed)", stored);
	per_source(out, n, "tally_receiver_events_duplicate_total",
	    "events already stored, acknowledged again", duplicates);
	per_source(out, n, "tally_receiver_signature_failures_total",
	    "requests refused with 401", sigfail);

	snprintf(sum, sizeof(sum), "%.6f", (double)ld(&lat_sum_us) / 1e6);
	histogram(out, "tally_receiver_commit_seconds",
	    "database time of one group commit", latency_le, NLAT, lat_bucket,
	    sum);
	snprintf(sum, sizeof(sum), "%llu", ld(&batch_sum));
	histogram(out, "tally_receiver_commit_batch_requests",
	    "requests in one group commit", batch_le, NBATCH, batch_bucket, sum);
	strbuf_addf(out, "# HELP tally_receiver_commit_rows_total rows sent in "
	    "group commits\n# TYPE tally_receiver_commit_rows_total counter\n"
	    "tally_receiver_commit_rows_total %llu\n", ld(&rows_total));

	for (i = 0; i < RM_NGAUGES; i++)
		strbuf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %ld\n",
		    gauge_info[i].name, gauge_info[i].help, gauge_info[i].name,
		    gauge_info[i].name, receiver_metrics_gauge((enum receiver_gauge)i));
	for (i = 0; i < RM_NCOUNTERS; i++)
		strbuf_addf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
		    counter_info[i].name, counter_info[i].help,
		    counter_info[i].name, counter_info[i].name,
		    ld(&counters[i]));
}
