#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

/* Point stderr at a file, log one line, return what was written. */
static char *
capture(const char *journal_stream, enum log_level level, const char *msg)
{
	static char out[1024];
	char path[] = "/tmp/tally-log-XXXXXX";
	int fd = mkstemp(path), saved;
	struct stat st;
	char js[64];
	FILE *f;
	size_t n;

	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	if (journal_stream != NULL) {
		/* the journal's stream is identified by device:inode of fd 2 */
		fstat(fd, &st);
		if (strcmp(journal_stream, "match") == 0)
			snprintf(js, sizeof(js), "%llu:%llu",
			    (unsigned long long)st.st_dev,
			    (unsigned long long)st.st_ino);
		else
			snprintf(js, sizeof(js), "%s", journal_stream);
		setenv("JOURNAL_STREAM", js, 1);
	} else {
		unsetenv("JOURNAL_STREAM");
	}
	log_init("tally-test");
	log_set_level(LOG_LEVEL_INFO);
	log_msg(level, "%s", msg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fopen(path, "r");
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	close(fd);
	unlink(path);
	unsetenv("JOURNAL_STREAM");
	return out;
}

static void
test_journal_prefix(void **state)
{
	(void)state;
	assert_string_equal(capture("match", LOG_LEVEL_ERR, "disk full"),
	    "<3>disk full\n");
	assert_string_equal(capture("match", LOG_LEVEL_WARNING, "w"), "<4>w\n");
	assert_string_equal(capture("match", LOG_LEVEL_INFO, "i"), "<6>i\n");
}

static void
test_plain_when_not_journal(void **state)
{
	char *out;

	(void)state;
	/* JOURNAL_STREAM inherited from a parent but stderr redirected:
	 * not the journal any more */
	out = capture("1:2", LOG_LEVEL_ERR, "boom");
	assert_null(strstr(out, "<3>"));
	assert_non_null(strstr(out, " tally-test error: boom\n"));
	out = capture(NULL, LOG_LEVEL_NOTICE, "hello");
	assert_non_null(strstr(out, "tally-test notice: hello"));
	/* YYYY-MM-DD HH:MM:SS prefix */
	assert_true(out[4] == '-' && out[7] == '-' && out[13] == ':');
}

static void
test_one_record_per_line(void **state)
{
	(void)state;
	assert_string_equal(capture("match", LOG_LEVEL_ERR, "a\nb\rc"),
	    "<3>a b c\n");
}

static void
test_level_filter(void **state)
{
	(void)state;
	assert_string_equal(capture("match", LOG_LEVEL_DEBUG, "hidden"), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_prefix),
		cmocka_unit_test(test_plain_when_not_journal),
		cmocka_unit_test(test_one_record_per_line),
		cmocka_unit_test(test_level_filter),
	};

	unsetenv("TALLY_DEBUG");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
