/*
 * tfile.c - see tfile.h.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/strbuf.h"
#include "support/tfile.h"

char *
tfile_slurp(FILE *f, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	if (ferror(f))
		fail_msg("read error: %s", strerror(errno));
	if (len != NULL)
		*len = sb.len;
	return strbuf_detach(&sb, NULL);
}

char *
tfile_read(const char *dir, const char *name, size_t *len)
{
	struct strbuf path = STRBUF_INIT;
	char *data;
	FILE *f;

	if (dir != NULL)
		strbuf_addf(&path, "%s/", dir);
	strbuf_addstr(&path, name);
	f = fopen(path.buf, "rb");
	if (f == NULL)
		fail_msg("cannot read %s: %s", path.buf, strerror(errno));
	data = tfile_slurp(f, len);
	fclose(f);
	strbuf_release(&path);
	return data;
}

const char *
tfile_write(const char *dir, const char *name, const char *text)
{
	static char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s%s", dir != NULL ? dir : "",
	    dir != NULL ? "/" : "", name);
	if ((f = fopen(path, "w")) == NULL || fchmod(fileno(f), 0600) != 0 ||
	    fputs(text, f) < 0 || fclose(f) != 0)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	return path;
}

int
tfile_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

char *
tfile_tempdir(const char *prefix)
{
	const char *tmp = getenv("TMPDIR");
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%sXXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", prefix);
	if (mkdtemp(sb.buf) == NULL)
		fail_msg("mkdtemp %s: %s", sb.buf, strerror(errno));
	return strbuf_detach(&sb, NULL);
}

char *
tfile_new_name(const char *dir)
{
	static int n;
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/out%d", dir, ++n);
	return strbuf_detach(&sb, NULL);
}

void
tfile_remove_tree(const char *dir)
{
	struct strbuf cmd = STRBUF_INIT;

	/* our own temporary paths: no quoting needed beyond the quotes */
	strbuf_addf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd.buf) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	strbuf_release(&cmd);
}

char *
tfile_under(const char *var, const char *fallback, const char *rel)
{
	const char *top = getenv(var);
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%s", top != NULL && top[0] != '\0' ? top :
	    fallback, rel);
	return strbuf_detach(&sb, NULL);
}

char *
tfile_src(const char *rel)
{
	return tfile_under("TALLY_SRCDIR", ".", rel);
}

json_t *
tfile_xlsx(const char *path)
{
	char *reader = tfile_src("tests/support/xlsx_read.py");
	struct strbuf cmd = STRBUF_INIT;
	json_error_t jerr;
	char *out;
	json_t *j;
	FILE *p;

	if (access(reader, R_OK) != 0)
		fail_msg("cannot find %s: run from the source tree or set "
		    "TALLY_SRCDIR", reader);
	strbuf_addf(&cmd, "/usr/bin/python3 '%s' '%s'", reader, path);
	p = popen(cmd.buf, "r");
	assert_non_null(p);
	out = tfile_slurp(p, NULL);
	assert_int_equal(pclose(p), 0);
	j = json_loads(out, 0, &jerr);
	if (j == NULL)
		fail_msg("reader output is not JSON: %s", jerr.text);
	free(out);
	free(reader);
	strbuf_release(&cmd);
	return j;
}
