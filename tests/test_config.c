#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "base/err.h"

static char tmpdir[] = "/tmp/tally-config-XXXXXX";

static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int
load(const char *text, struct config *cfg, struct strbuf *err)
{
	const char *p = write_file("tally.conf", text);

	strbuf_reset(err);
	return config_load(cfg, p, err);
}

static void
test_defaults(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(load("", &cfg, &err), 0);
	assert_string_equal(cfg.listen, "127.0.0.1:8080");
	assert_int_equal(cfg.max_body, 1048576);
	assert_int_equal(cfg.request_deadline, 10);
	assert_string_equal(cfg.tz, "UTC");
	assert_int_equal(cfg.nsources, 0);
	assert_false(cfg.reuse_port);
	assert_string_equal(cfg.read_database_url, "");
	assert_int_equal(cfg.read_lag_wait, 60);
	config_free(&cfg);
	/* yes and no, as people write them */
	assert_int_equal(load("reuse_port = yes\nread_lag_wait = 0\n", &cfg,
	    &err), 0);
	assert_true(cfg.reuse_port);
	assert_int_equal(cfg.read_lag_wait, 0);
	config_free(&cfg);
	assert_int_equal(load("reuse_port = off\n", &cfg, &err), 0);
	assert_false(cfg.reuse_port);
	config_free(&cfg);
	strbuf_release(&err);
}

static void
test_full_file(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	const struct config_source *s;
	const char *secret = write_file("stripe.secret",
	    "whsec_new\nwhsec_old\n");
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text),
	    "# tally\n"
	    "listen = 127.0.0.1:9090   # loopback\n"
	    "max_body = 2048\n"
	    "\n"
	    "[source stripe]\n"
	    "scheme = stripe\n"
	    "secret_file = %s\n"
	    "tolerance = 120\n"
	    "[source images]\n"
	    "scheme = standard-webhooks\n"
	    "secret_file = %s\n"
	    "[settlement midtrans]\n"
	    "provider = midtrans\n"
	    "col_id = Transaction ID\n", secret, secret);
	assert_int_equal(load(text, &cfg, &err), 0);
	assert_string_equal(cfg.listen, "127.0.0.1:9090");
	assert_int_equal(cfg.max_body, 2048);
	assert_int_equal(cfg.nsources, 2);
	s = config_find_source(&cfg, "stripe");
	assert_non_null(s);
	assert_int_equal(s->scheme, SCHEME_STRIPE);
	assert_int_equal(s->tolerance, 120);
	assert_string_equal(s->kind, "payments");
	s = config_find_source(&cfg, "images");
	assert_int_equal(s->tolerance, 300);
	assert_string_equal(s->kind, "usage");
	assert_null(config_find_source(&cfg, "nope"));
	assert_string_equal(config_find_settlement(&cfg, "midtrans")->col_id,
	    "Transaction ID");

	assert_int_equal(config_load_secrets(&cfg, &err), 0);
	s = config_find_source(&cfg, "stripe");
	assert_int_equal(s->nsecrets, 2);
	assert_memory_equal(s->secrets[0].data, "whsec_new", 9);
	assert_int_equal(s->secrets[1].len, 9);
	config_free(&cfg);
	strbuf_release(&err);
}

static void
expect_error(const char *text, const char *message)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(load(text, &cfg, &err), TALLY_ECONFIG);
	if (strstr(err.buf, message) == NULL)
		fail_msg("expected '%s' in '%s'", message, err.buf);
	/* a failed load leaves the defaults */
	assert_string_equal(cfg.listen, "127.0.0.1:8080");
	config_free(&cfg);
	strbuf_release(&err);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("listen = x\nbogus = 1\n", "tally.conf:2: unknown key 'bogus'");
	expect_error("max_body = lots\n", ":1: max_body: 'lots' is not an integer");
	expect_error("reuse_port = maybe\n",
	    ":1: reuse_port: 'maybe' is not yes or no");
	expect_error("read_lag_wait = -1\n",
	    ":1: read_lag_wait: -1 is out of range");
	expect_error("max_body = 0\n", ":1: max_body: 0 is out of range");
	expect_error("\n\njust words\n", ":3: expected 'key = value'");
	expect_error("[source a]\nscheme = paypal\nsecret_file = x\n",
	    ":2: scheme 'paypal' is not one of");
	expect_error("[source a]\nscheme = stripe\n", ":1: [source a] has no secret_file");
	expect_error("[source a]\nsecret_file = x\n[source a]\nsecret_file = y\n",
	    ":3: duplicate [source a]");
	expect_error("[sauce a]\n", ":1: unknown section [sauce]");
	expect_error("[source]\n", ":1: section [source] needs a name");
	expect_error("[source a\n", ":1: malformed section header");
	expect_error("[source a]\nsecret_file = x\nlisten = 1:2\n",
	    ":3: unknown key 'listen'");
}

static void
test_secrets_errors(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	char text[512];
	const char *empty = write_file("empty.secret", "\n");

	(void)state;
	snprintf(text, sizeof(text), "[source s]\nsecret_file = %s\n", empty);
	assert_int_equal(load(text, &cfg, &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "no secret in file"));
	config_free(&cfg);

	strbuf_reset(&err);
	assert_int_equal(load("[source s]\nsecret_file = /nonexistent/x\n", &cfg,
	    &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "tally.conf:1: [source s] secret_file"));
	config_free(&cfg);
	strbuf_release(&err);
}

/* status_url and api_key_file: Midtrans and Xendit only, both or neither,
 * an http(s) URL; the key file read with secret_file's rules, one key. */
static void
test_status_api(void **state)
{
	struct config cfg;
	struct config_secret key;
	struct strbuf err = STRBUF_INIT;
	const struct config_source *s;
	char one[256], two[256], text[1024];

	(void)state;
	snprintf(one, sizeof(one), "%s", write_file("mt.key",
	    "SB-Mid-server-abc\n"));
	snprintf(two, sizeof(two), "%s", write_file("two.key",
	    "key-a\nkey-b\n"));
	expect_error("[source s]\nscheme = stripe\nsecret_file = x\n"
	    "status_url = https://api.stripe.com\napi_key_file = k\n",
	    ":1: [source s] status_url and api_key_file are for scheme midtrans "
	    "or xendit");
	expect_error("[source m]\nscheme = midtrans\nsecret_file = x\n"
	    "status_url = https://api.midtrans.com\n",
	    ":1: [source m] needs both status_url and api_key_file");
	expect_error("[source m]\nscheme = xendit\nsecret_file = x\n"
	    "api_key_file = k\n", ":1: [source m] needs both");
	expect_error("[source m]\nscheme = midtrans\nsecret_file = x\n"
	    "status_url = ftp://api.midtrans.com\napi_key_file = k\n",
	    "status_url 'ftp://api.midtrans.com' is not an http:// or https://");

	snprintf(text, sizeof(text), "[source m]\nscheme = midtrans\n"
	    "secret_file = x\nstatus_url = https://api.sandbox.midtrans.com\n"
	    "api_key_file = %s\n[source plain]\nscheme = midtrans\n"
	    "secret_file = x\n[source two]\nscheme = xendit\nsecret_file = x\n"
	    "status_url = https://api.xendit.co\napi_key_file = %s\n"
	    "[source gone]\nscheme = xendit\nsecret_file = x\n"
	    "status_url = https://api.xendit.co\napi_key_file = /nonexistent/k\n",
	    one, two);
	assert_int_equal(load(text, &cfg, &err), 0);
	s = config_find_source(&cfg, "m");
	assert_string_equal(s->status_url, "https://api.sandbox.midtrans.com");
	assert_int_equal(config_read_api_key(&cfg, s, &key, &err), 0);
	assert_int_equal(key.len, strlen("SB-Mid-server-abc"));
	assert_memory_equal(key.data, "SB-Mid-server-abc", key.len);
	config_secret_wipe(&key);
	assert_null(key.data);
	/* a source without one: none to read */
	assert_int_equal(config_read_api_key(&cfg,
	    config_find_source(&cfg, "plain"), &key, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "[source plain] has no api_key_file"));
	/* one key, not a rotation pair */
	strbuf_reset(&err);
	assert_int_equal(config_read_api_key(&cfg,
	    config_find_source(&cfg, "two"), &key, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "more than 1 secret (one per line)"));
	assert_null(key.data);
	strbuf_reset(&err);
	assert_int_equal(config_read_api_key(&cfg,
	    config_find_source(&cfg, "gone"), &key, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "[source gone] api_key_file "
	    "/nonexistent/k"));
	config_free(&cfg);
	strbuf_release(&err);
}

static void
test_env_override(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	setenv("TALLY_LISTEN", "0.0.0.0:1", 1);
	setenv("TALLY_MAX_BODY", "4096", 1);
	assert_int_equal(load("listen = 127.0.0.1:2\n", &cfg, &err), 0);
	assert_string_equal(cfg.listen, "0.0.0.0:1");
	assert_int_equal(cfg.max_body, 4096);
	config_free(&cfg);
	setenv("TALLY_MAX_BODY", "-1", 1);
	assert_int_equal(load("", &cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "environment TALLY_MAX_BODY"));
	config_free(&cfg);
	unsetenv("TALLY_LISTEN");
	unsetenv("TALLY_MAX_BODY");
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_secrets_errors),
		cmocka_unit_test(test_status_api),
		cmocka_unit_test(test_env_override),
	};
	int rc;
	char cmd[128];

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	unsetenv("CREDENTIALS_DIRECTORY");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
