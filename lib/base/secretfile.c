#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/secretfile.h"

void
secretfile_resolve(const char *name, struct strbuf *path, bool *in_credir)
{
	const char *credir = getenv("CREDENTIALS_DIRECTORY");
	bool cd = false;

	strbuf_reset(path);
	if (name[0] == '/') {
		strbuf_addstr(path, name);
	} else if (credir != NULL && credir[0] != '\0') {
		strbuf_addf(path, "%s/%s", credir, name);
		cd = true;
	} else {
		strbuf_addf(path, "%s/%s", SECRETFILE_CREDSTORE, name);
	}
	if (in_credir != NULL)
		*in_credir = cd;
}

bool
secretfile_quotable(const char *v)
{
	const char *p;
	bool dot = false;

	if (v[0] == '/' || strncmp(v, "./", 2) == 0)
		return true;
	if (strlen(v) > 64)
		return false;
	for (p = v; *p != '\0'; p++) {
		if (*p == '.')
			dot = true;
		else if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '_' && *p != '-')
			return false;
	}
	/* "tally.stripe"; base64 and hex secrets have no dot */
	return dot && v[0] != '.';
}

void
secretfile_wipe(struct secret *s)
{
	if (s->data != NULL) {
		explicit_bzero(s->data, s->len);
		free(s->data);
	}
	s->data = NULL;
	s->len = 0;
}

static int
check_mode(int fd, const char *path, bool in_credir, struct strbuf *err)
{
	struct stat sb;
	mode_t bad = in_credir ? 0007 : 0077;

	if (fstat(fd, &sb) != 0) {
		strbuf_addf(err, "%s: %s\n", path, strerror(errno));
		return TALLY_ECONFIG;
	}
	if (!S_ISREG(sb.st_mode)) {
		strbuf_addf(err, "%s: not a regular file\n", path);
		return TALLY_ECONFIG;
	}
	if ((sb.st_mode & bad) != 0) {
		strbuf_addf(err, "%s: group or others may read it (mode %04o): "
		    "a secret file must be private to its owner (chmod 600)\n",
		    path, (unsigned)(sb.st_mode & 07777));
		return TALLY_ECONFIG;
	}
	return 0;
}

/* The whole file, at most limit bytes; TALLY_ECONFIG past that. */
static int
slurp(int fd, const char *path, size_t limit, char **buf, size_t *len,
    struct strbuf *err)
{
	size_t cap = limit + 1, n = 0;
	ssize_t r;
	char *b = xmalloc(cap);

	while (n < cap && (r = read(fd, b + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			strbuf_addf(err, "%s: %s\n", path, strerror(errno));
			explicit_bzero(b, n);
			free(b);
			return TALLY_ECONFIG;
		}
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}

static void
wipe_all(struct secret *out, int n)
{
	while (n > 0)
		secretfile_wipe(&out[--n]);
}

int
secretfile_read(const char *path, const char *label, bool in_credir,
    struct secret *out, int max_lines, int *n, struct strbuf *err)
{
	/* every line at its longest, its newline, one more to tell */
	size_t limit = (size_t)max_lines * (SECRETFILE_LINE_MAX + 2) + 1;
	char *buf = NULL;
	size_t len = 0, pos = 0, end, a, b;
	int fd, rc, line = 0;
	const char *name = label != NULL ? label : path;

	*n = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		strbuf_addf(err, "%s: %s\n", name, strerror(errno));
		return TALLY_ECONFIG;
	}
	rc = check_mode(fd, name, in_credir, err);
	if (rc == 0)
		rc = slurp(fd, name, limit, &buf, &len, err);
	close(fd);
	if (rc != 0)
		return rc;
	while (rc == 0 && pos < len) {
		line++;
		end = pos;
		while (end < len && buf[end] != '\n')
			end++;
		a = pos;
		b = end;
		pos = end < len ? end + 1 : end;
		if (b - a > SECRETFILE_LINE_MAX) {
			strbuf_addf(err, "%s:%d: line longer than %d bytes\n", name,
			    line, SECRETFILE_LINE_MAX);
			rc = TALLY_ECONFIG;
		} else if (memchr(buf + a, '\0', b - a) != NULL) {
			strbuf_addf(err, "%s:%d: NUL byte in the line\n", name, line);
			rc = TALLY_ECONFIG;
		}
		while (rc == 0 && a < b && isspace((unsigned char)buf[a]))
			a++;
		while (rc == 0 && b > a && isspace((unsigned char)buf[b - 1]))
			b--;
		if (rc == 0 && a == b) {
			strbuf_addf(err, "%s:%d: empty or blank line: one secret "
			    "per line, and no other lines\n", name, line);
			rc = TALLY_ECONFIG;
		} else if (rc == 0 && *n == max_lines) {
			strbuf_addf(err, "%s:%d: more than %d secret%s (one per "
			    "line)\n", name, line, max_lines,
			    max_lines == 1 ? "" : "s");
			rc = TALLY_ECONFIG;
		} else if (rc == 0) {
			out[*n].data = xmalloc(b - a + 1);
			memcpy(out[*n].data, buf + a, b - a);
			out[*n].data[b - a] = '\0';
			out[*n].len = b - a;
			(*n)++;
		}
	}
	if (rc == 0 && *n == 0) {
		strbuf_addf(err, "%s: no secret in the file\n", name);
		rc = TALLY_ECONFIG;
	}
	explicit_bzero(buf, len);
	free(buf);
	if (rc != 0) {
		wipe_all(out, *n);
		*n = 0;
	}
	return rc;
}
