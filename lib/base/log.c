#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

static const char *log_prog = "tally";
static enum log_level log_max = LOG_LEVEL_INFO;
static int journal = -1;	/* -1: not yet decided */

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/*
 * systemd sets JOURNAL_STREAM to "device:inode" of the stream it connected
 * to stderr; only when that still matches our fd 2 (not redirected by a
 * shell in between) is stderr the journal.
 */
static int
detect_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *prog)
{
	const char *slash;

	if (prog != NULL) {
		slash = strrchr(prog, '/');
		log_prog = slash != NULL ? slash + 1 : prog;
	}
	journal = detect_journal();
	if (getenv("TALLY_DEBUG") != NULL)
		log_max = LOG_LEVEL_DEBUG;
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

bool
log_to_journal(void)
{
	if (journal < 0)
		journal = detect_journal();
	return journal == 1;
}

bool
log_interactive(void)
{
	return !log_to_journal() && isatty(STDERR_FILENO);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[4096];
	char stamp[32];
	va_list ap;
	size_t n;
	struct timespec ts;
	struct tm tm;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one record per line: a newline inside a message would split it */
	for (n = 0; line[n] != '\0'; n++)
		if (line[n] == '\n' || line[n] == '\r')
			line[n] = ' ';

	if (log_to_journal()) {
		fprintf(stderr, "<%d>%s\n", (int)level, line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s %s %s: %s\n", stamp, log_prog, level_names[level],
	    line);
}

double
log_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
progress_start(struct progress *p, const char *label, unsigned long long total)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->total = total;
	p->started = log_clock();
	p->active = log_interactive();
}

void
progress_update(struct progress *p, unsigned long long done)
{
	double now, rate;

	p->done = done;
	if (!p->active)
		return;
	now = log_clock();
	if (now - p->last_shown < 0.2 && done != p->total)
		return;
	p->last_shown = now;
	rate = now > p->started ? (double)done / (now - p->started) : 0.0;
	if (p->total > 0)
		fprintf(stderr, "\r%s: %llu/%llu (%.0f/s)   ", p->label, done,
		    p->total, rate);
	else
		fprintf(stderr, "\r%s: %llu (%.0f/s)   ", p->label, done, rate);
}

void
progress_done(struct progress *p)
{
	if (!p->active)
		return;
	p->last_shown = 0;
	progress_update(p, p->done);
	fputc('\n', stderr);
	p->active = false;
}
