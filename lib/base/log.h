/*
 * log.h - diagnostics on stderr, one record per line.
 *
 * Under systemd (JOURNAL_STREAM names our stderr) each line starts with a
 * "<N>" priority prefix that journald understands; on a terminal or a plain
 * file it starts with a timestamp, the program name and the level.
 */
#ifndef TALLY_LOG_H
#define TALLY_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7
};

/* Call once from main; prog is kept by pointer (use argv[0] or a literal). */
void log_init(const char *prog);
/* Messages above this level are dropped (default LOG_LEVEL_INFO, or
 * LOG_LEVEL_DEBUG when TALLY_DEBUG is set in the environment). */
void log_set_level(enum log_level level);
/* True when stderr goes to the journal (progress output stays quiet). */
bool log_to_journal(void);
/* True when stderr is a terminal and not the journal: show progress. */
bool log_interactive(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Seconds on the monotonic clock: for how long something took or may
 * still take, never for the time of day. */
double log_clock(void);

/*
 * Progress for long batch work: "label: done/total (rate/s)" rewritten in
 * place on a terminal at most every 200 ms; silent otherwise.  total may be
 * 0 when unknown.  Call progress_done() to end the line.
 */
struct progress {
	const char *label;
	unsigned long long total;
	unsigned long long done;
	double started;
	double last_shown;
	bool active;
};
void progress_start(struct progress *p, const char *label, unsigned long long total);
void progress_update(struct progress *p, unsigned long long done);
void progress_done(struct progress *p);

#endif
