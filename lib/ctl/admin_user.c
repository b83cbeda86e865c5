/*
 * admin_user.c - `tallyctl admin-user add | list | passwd | disable |
 * enable | remove`: the browser panel's admin users (lib/ops/admin_user.c).
 *
 * A password is never an argument (a command line is visible to every
 * user of the host): it is asked twice on the terminal with echo off, or
 * read from the first line of --password-file (scripts, tests).  It is
 * wiped once the operation has hashed it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/admin_user.h"

#define PW_BUF (OPS_ADMIN_PASSWORD_MAX + 3)

/* The first line of f into buf without its line end: 0, or -1 when it
 * is too long. */
static int
read_line(FILE *f, char buf[PW_BUF])
{
	size_t n;

	buf[0] = '\0';
	if (fgets(buf, PW_BUF, f) == NULL)
		return 0;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] != '\n' && n == PW_BUF - 1)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int
password_from_file(struct ctl *c, const char *path, char buf[PW_BUF])
{
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		fprintf(stderr, "tallyctl %s %s: %s: %s\n", c->group, c->verb, path,
		    strerror(errno));
		return TALLY_EIO;
	}
	rc = read_line(f, buf);
	fclose(f);
	if (rc != 0)
		return ctlopt_usage_error(c, "the password in %s is too long (at "
		    "most %d characters)", path, OPS_ADMIN_PASSWORD_MAX);
	return 0;
}

/* One line from the terminal with echo off. */
static int
ask(FILE *tty, const char *prompt, char buf[PW_BUF])
{
	struct termios old, quiet;
	int fd = fileno(tty), rc;

	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fd, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		return -1;
	rc = read_line(tty, buf);
	tcsetattr(fd, TCSAFLUSH, &old);
	return rc;
}

static int
password_from_tty(struct ctl *c, char buf[PW_BUF])
{
	char again[PW_BUF];
	FILE *tty = fopen("/dev/tty", "r+");
	int rc = 0;

	if (tty == NULL)
		return ctlopt_usage_error(c, "no terminal to ask the password on: "
		    "give --password-file FILE");
	if (ask(tty, "Password: ", buf) != 0 ||
	    ask(tty, "The same again: ", again) != 0)
		rc = ctlopt_usage_error(c, "cannot read the password from the "
		    "terminal");
	else if (strcmp(buf, again) != 0)
		rc = ctlopt_usage_error(c, "the two passwords differ");
	else if (buf[0] == '\0')
		rc = ctlopt_usage_error(c, "an empty password is refused");
	OPENSSL_cleanse(again, sizeof(again));
	fclose(tty);
	return rc;
}

typedef int user_op(struct ops *, const struct ops_admin_user_req *,
    json_t **);

/* A verb on one user: add and passwd get the password first. */
static int
by_name(struct ctl *c, int argc, char **argv, user_op *op)
{
	bool add = op == ops_admin_user_add;
	bool needs_pw = add || op == ops_admin_user_passwd;
	struct ops_admin_user_req req = { 0 };
	const char *file = NULL;
	const struct ctlopt all[] = {
		{ "role", CTLOPT_STR, &req.role, 0, 0, NULL },
		{ "password-file", CTLOPT_STR, &file, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &req.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	const struct ctlopt *opts = add ? all : needs_pw ? all + 1 : all + 2;
	char pw[PW_BUF] = "";
	const char *pos[1];
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1)) != 0)
		return rc;
	req.name = pos[0];
	/* a role that cannot be is told before the password is asked */
	if (add && req.role == NULL)
		return ctlopt_usage_error(c, "--role read|write|admin is required");
	if (needs_pw) {
		rc = file != NULL ? password_from_file(c, file, pw) :
		    password_from_tty(c, pw);
		req.password = pw;
	}
	if (rc == 0) {
		rc = op(ctl_ops(c), &req, &out);
		rc = ctl_show_item(c, rc, out, opts);
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

static int
admin_user_add(struct ctl *c, int argc, char **argv)
{
	return by_name(c, argc, argv, ops_admin_user_add);
}

static int
admin_user_passwd(struct ctl *c, int argc, char **argv)
{
	return by_name(c, argc, argv, ops_admin_user_passwd);
}

static int
admin_user_disable(struct ctl *c, int argc, char **argv)
{
	return by_name(c, argc, argv, ops_admin_user_disable);
}

static int
admin_user_enable(struct ctl *c, int argc, char **argv)
{
	return by_name(c, argc, argv, ops_admin_user_enable);
}

static int
admin_user_remove(struct ctl *c, int argc, char **argv)
{
	return by_name(c, argc, argv, ops_admin_user_remove);
}

CTL_LIST_FLAG(admin_user_list, ops_admin_user_list,
    struct ops_admin_user_list_req, "all", all);

static const struct ctlopt_verb admin_user_verbs[] = {
	{ "add", admin_user_add, "NAME --role read|write|admin "
	  "[--password-file FILE] [--reason TEXT]",
	  "Add an admin user of the browser panel (tally-admin's /admin).  The\n"
	  "password is asked twice on the terminal, or read from the first line\n"
	  "of FILE; at least 8 characters; only its yescrypt hash is kept.\n"
	  "read: every page; write: also accounts, assignments, cases and\n"
	  "orders; admin: also users' credits, models and the access log.\n"
	  "Changes made in the panel are audited as admin:NAME.  A name is\n"
	  "never reused.", NULL },
	{ "list", NULL, "[--all]",
	  "The admin users by name, with their state and last login.  --all:\n"
	  "removed ones too.", &admin_user_list },
	{ "passwd", admin_user_passwd, "NAME [--password-file FILE] "
	  "[--reason TEXT]",
	  "Set a new password (asked as for add); the user's sessions end.",
	  NULL },
	{ "disable", admin_user_disable, "NAME [--reason TEXT]",
	  "No more logins; the user's sessions end at once.", NULL },
	{ "enable", admin_user_enable, "NAME [--reason TEXT]",
	  "Allow a disabled user to log in again.", NULL },
	{ "remove", admin_user_remove, "NAME [--reason TEXT]",
	  "Remove the user for good: no login, sessions end; the name stays\n"
	  "taken (the audit log's admin:NAME keeps meaning one user).", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

int
ctl_admin_user(int argc, char **argv)
{
	return ctlopt_run_group("admin-user", "Admin users of the browser "
	    "panel.", admin_user_verbs, argc, argv);
}
