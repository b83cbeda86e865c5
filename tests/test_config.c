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

#include "base/config.h"
#include "base/err.h"
#include "support/tfile.h"

static char *tmpdir;

static int
load(const char *text, struct config *cfg, struct strbuf *err)
{
	const char *p = tfile_write(tmpdir, "tally.conf", text);

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
	/* the admin API is reachable from the host alone unless asked */
	assert_string_equal(cfg.admin_listen, "127.0.0.1:8081");
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
	const char *secret = tfile_write(tmpdir, "stripe.secret",
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
	expect_error("listen = 127.0.0.1:1\nbogus = 1\n",
	    "tally.conf:2: unknown key 'bogus'");
	expect_error("max_body = lots\n", ":1: max_body: not an integer");
	expect_error("reuse_port = maybe\n", ":1: reuse_port: not yes or no");
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
	const char *empty = tfile_write(tmpdir, "empty.secret", "\n");

	(void)state;
	snprintf(text, sizeof(text), "[source s]\nsecret_file = %s\n", empty);
	assert_int_equal(load(text, &cfg, &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, ":1: empty or blank line"));
	config_free(&cfg);

	strbuf_reset(&err);
	assert_int_equal(load("[source s]\nsecret_file = /nonexistent/x\n", &cfg,
	    &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "tally.conf:2: [source s] secret_file"
	    " = /nonexistent/x:"));
	config_free(&cfg);
	strbuf_release(&err);
}

/* status_url and api_key_file: Midtrans and Xendit only, both or neither,
 * an http(s) URL; the key file read with secret_file's rules, one key. */
static void
test_status_api(void **state)
{
	struct config cfg;
	struct secret key;
	struct strbuf err = STRBUF_INIT;
	const struct config_source *s;
	char one[256], two[256], text[1024];

	(void)state;
	snprintf(one, sizeof(one), "%s", tfile_write(tmpdir, "mt.key",
	    "SB-Mid-server-abc\n"));
	snprintf(two, sizeof(two), "%s", tfile_write(tmpdir, "two.key",
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
	secretfile_wipe(&key);
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
	assert_non_null(strstr(err.buf, "[source gone] api_key_file = "
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

/* Load one source whose secret file holds text (mode: its permissions);
 * returns config_load_secrets()'s result, err its message. */
static int
one_secret(const char *text, mode_t mode, struct config *cfg,
    struct strbuf *err)
{
	char conf[512];
	const char *path = tfile_write(tmpdir, "s.secret", text);

	assert_int_equal(chmod(path, mode), 0);
	snprintf(conf, sizeof(conf), "[source s]\nscheme = stripe\n"
	    "secret_file = %s\n", path);
	assert_int_equal(load(conf, cfg, err), 0);
	return config_load_secrets(cfg, err);
}

/* The attacks on secret files of issue 11: each is refused, and no message
 * quotes the secret. */
static void
test_secret_files_strict(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT, big = STRBUF_INIT;

	(void)state;
	/* a line of one space would have been the key " " */
	assert_int_equal(one_secret(" \n", 0600, &cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "s.secret:1: empty or blank line"));
	config_free(&cfg);
	assert_int_equal(one_secret("whsec_good\n\t \n", 0600, &cfg, &err),
	    TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "s.secret:2: empty or blank line"));
	config_free(&cfg);
	assert_int_equal(one_secret("whsec_good\n\nwhsec_next\n", 0600, &cfg,
	    &err), TALLY_ECONFIG);
	config_free(&cfg);
	/* surrounding whitespace is not part of a secret */
	assert_int_equal(one_secret("  whsec_spaced \t\r\n", 0600, &cfg, &err),
	    0);
	assert_int_equal(cfg.sources[0].nsecrets, 1);
	assert_int_equal(cfg.sources[0].secrets[0].len, 12);
	assert_memory_equal(cfg.sources[0].secrets[0].data, "whsec_spaced", 13);
	config_free(&cfg);
	/* a long line is refused whole, never split into two keys */
	for (int i = 0; i < 1500; i++)
		strbuf_addch(&big, (char)('a' + i % 26));
	strbuf_addch(&big, '\n');
	strbuf_reset(&err);
	assert_int_equal(one_secret(big.buf, 0600, &cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "s.secret:1: line longer than 1024"));
	assert_null(strstr(err.buf, "abcdefghij"));
	assert_int_equal(cfg.sources[0].nsecrets, 0);
	config_free(&cfg);
	/* three secrets where two are allowed */
	strbuf_reset(&err);
	assert_int_equal(one_secret("one_TOPSECRET\ntwo\nthree\n", 0600, &cfg,
	    &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "s.secret:3: more than 2 secrets"));
	assert_null(strstr(err.buf, "TOPSECRET"));
	config_free(&cfg);
	/* readable by group or others: refused, like ssh keys and .pgpass */
	strbuf_reset(&err);
	assert_int_equal(one_secret("whsec_x\n", 0640, &cfg, &err),
	    TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "group or others may read it (mode 0640)"));
	config_free(&cfg);
	strbuf_reset(&err);
	assert_int_equal(one_secret("whsec_x\n", 0604, &cfg, &err),
	    TALLY_ECONFIG);
	config_free(&cfg);
	assert_int_equal(one_secret("whsec_x\n", 0400, &cfg, &err), 0);
	config_free(&cfg);
	strbuf_release(&big);
	strbuf_release(&err);
}

/* systemd gives a unit its credentials by ACL, which shows as group bits;
 * only there are group bits accepted, never others'. */
static void
test_credentials_directory(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	char path[256];

	(void)state;
	/* write_file's buffer is reused by load() */
	snprintf(path, sizeof(path), "%s", tfile_write(tmpdir, "tally.cred",
	    "whsec_cred\n"));
	setenv("CREDENTIALS_DIRECTORY", tmpdir, 1);
	assert_int_equal(chmod(path, 0440), 0);
	assert_int_equal(load("[source s]\nsecret_file = tally.cred\n", &cfg,
	    &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), 0);
	assert_memory_equal(cfg.sources[0].secrets[0].data, "whsec_cred", 10);
	config_free(&cfg);
	assert_int_equal(chmod(path, 0444), 0);
	assert_int_equal(load("[source s]\nsecret_file = tally.cred\n", &cfg,
	    &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), TALLY_ECONFIG);
	config_free(&cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	/* without it, a name is looked up in /etc/credstore, not here */
	strbuf_reset(&err);
	assert_int_equal(load("[source s]\nsecret_file = tally.cred\n", &cfg,
	    &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "/etc/credstore/tally.cred"));
	config_free(&cfg);
	strbuf_release(&err);
}

/* A secret pasted into the configuration is never printed back. */
static void
test_no_secret_in_messages(void **state)
{
	static const char *const texts[] = {
		"[source s]\nsecret_file = whsec_MfKQ9r8TOPSECRETPIo2LaLaSw\n",
		"[source s]\nsecret_file = /x/y\ntolerance = sk_TOPSECRET\n",
		"max_body = whsec_TOPSECRET\n",
		"whsec_TOPSECRETabc = 1\n",
		"Whsec_TOPSECRET\n",
		"alert_url = https://hooks.example.com/TOPSECRET token\n",
		"alert_url = hooks.example.com/TOPSECRET\n",
		"per_ip_connections = TOPSECRET\n",
	};
	struct config cfg;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		int rc;

		strbuf_reset(&err);
		rc = load(texts[i], &cfg, &err);
		if (rc == 0)
			rc = config_load_secrets(&cfg, &err);
		if (rc != TALLY_ECONFIG)
			fail_msg("accepted: %s", texts[i]);
		if (strstr(err.buf, "TOPSECRET") != NULL)
			fail_msg("quoted a secret: %s", err.buf);
		if (strstr(err.buf, "tally.conf:") == NULL)
			fail_msg("no FILE:LINE in: %s", err.buf);
		config_free(&cfg);
	}
	strbuf_release(&err);
}

/* What the receiver or a report would refuse at start, refused here. */
static void
test_values_checked(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	expect_error("listen = nope\n", ":1: listen = nope: expected HOST:PORT");
	expect_error("listen = 127.0.0.1:99999\n", "port 99999 is out of range");
	expect_error("listen = 127.0.0.1:\n", "expected HOST:PORT");
	expect_error("listen = ::1:80\n", "expected HOST:PORT");
	expect_error("listen = 127.0.0.1:8o\n", "expected HOST:PORT");
	expect_error("tz = Mars/Olympus\n", ":1: tz = Mars/Olympus: not a time zone");
	expect_error("tz = ../../etc/passwd\n", "not a time zone");
	expect_error("alert_url = ftp://x\n", ":1: alert_url: not a valid value");
	expect_error("max_inflight_bytes = 1000\n", "out of range");
	expect_error("max_body = 2000000\nmax_inflight_bytes = 1048576\n",
	    "max_inflight_bytes (1048576) is below max_body (2000000)");
	expect_error("per_ip_connections = -1\n", "out of range");
	assert_int_equal(load("listen = [::1]:0\ntz = Asia/Jakarta\n"
	    "alert_url = https://chat.example.com/hook\n"
	    "per_ip_connections = 0\n", &cfg, &err), 0);
	assert_int_equal(cfg.per_ip_connections, 0);
	config_free(&cfg);
	assert_int_equal(load("listen = *:8080\n", &cfg, &err), 0);
	assert_int_equal(cfg.per_ip_connections, CONFIG_PER_IP_AUTO);
	assert_int_equal(cfg.max_inflight_bytes, 64L * 1024 * 1024);
	config_free(&cfg);
	strbuf_release(&err);
}

static void
test_audit_key(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	char conf[512];
	char key[256];

	(void)state;
	snprintf(key, sizeof(key), "%s", tfile_write(tmpdir, "audit.key",
	    "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"));
	snprintf(conf, sizeof(conf), "audit_key_file = %s\n", key);
	assert_int_equal(load(conf, &cfg, &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), 0);
	assert_int_equal(cfg.audit_key.len, 32);
	assert_int_equal(cfg.audit_key.data[1], 0x11);
	assert_int_equal(cfg.audit_key.data[31], 0xff);
	config_free(&cfg);
	/* too short, not hex, group-readable: each refused, never quoted */
	tfile_write(tmpdir, "audit.key", "00112233TOPSECRET\n");
	strbuf_reset(&err);
	assert_int_equal(load(conf, &cfg, &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "audit.key:1: not 64 to 128 hex digits"));
	assert_null(strstr(err.buf, "TOPSECRET"));
	config_free(&cfg);
	tfile_write(tmpdir, "audit.key",
	    "0011223344556677889XaabbccddeeffTOPSECRET778899aabbccddeeff00112\n");
	strbuf_reset(&err);
	assert_int_equal(load(conf, &cfg, &err), 0);
	assert_int_equal(config_load_audit_key(&cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "not hex digits"));
	assert_null(strstr(err.buf, "TOPSECRET"));
	config_free(&cfg);
	tfile_write(tmpdir, "audit.key",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
	assert_int_equal(chmod(key, 0640), 0);
	strbuf_reset(&err);
	assert_int_equal(load(conf, &cfg, &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), TALLY_ECONFIG);
	assert_non_null(strstr(err.buf, "may read it"));
	config_free(&cfg);
	/* unset: $TALLY_HOME/audit.key, checked only when it exists */
	setenv("TALLY_HOME", tmpdir, 1);
	assert_int_equal(load("", &cfg, &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), TALLY_ECONFIG);
	config_free(&cfg);
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(load("", &cfg, &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), 0);
	assert_int_equal(cfg.audit_key.len, 32);
	config_free(&cfg);
	unlink(key);
	assert_int_equal(load("", &cfg, &err), 0);
	assert_int_equal(config_load_secrets(&cfg, &err), 0);
	assert_int_equal(cfg.audit_key.len, 0);
	assert_int_equal(config_load_audit_key(&cfg, &err), TALLY_ECONFIG);
	config_free(&cfg);
	unsetenv("TALLY_HOME");
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
		cmocka_unit_test(test_secret_files_strict),
		cmocka_unit_test(test_credentials_directory),
		cmocka_unit_test(test_no_secret_in_messages),
		cmocka_unit_test(test_values_checked),
		cmocka_unit_test(test_audit_key),
	};
	int rc;

	tmpdir = tfile_tempdir("tally-config-");
	unsetenv("CREDENTIALS_DIRECTORY");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tfile_remove_tree(tmpdir);
	free(tmpdir);
	return rc;
}
