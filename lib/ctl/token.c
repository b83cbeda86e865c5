/*
 * token.c - `tallyctl token create | list | revoke`: bearer tokens for
 * tally-admin's JSON API (lib/ops/token.c).
 */
#include <stddef.h>
#include <stdio.h>

#include "base/config.h"
#include "base/err.h"
#include "ctl/ctlopt.h"
#include "ctl/misc.h"
#include "ops/token.h"

/* but for --json: the token alone on stdout, for
 * TOKEN=$(tallyctl token create ...), and what it is on stderr */
static void
create_note(struct ctl *c, const void *req, const json_t *out)
{
	const json_t *item = json_object_get(out, "item");

	(void)req;
	if (c->format == TABLE_JSON)
		return;
	if (!c->dry_run)
		fprintf(c->out, "%s\n", json_string_value(json_object_get(out,
		    "token")));
	fprintf(stderr, "token %s (role %s, key %s, expires %s)%s\n",
	    json_string_value(json_object_get(item, "name")),
	    json_string_value(json_object_get(item, "role")),
	    json_string_value(json_object_get(item, "key_id")),
	    json_is_string(json_object_get(item, "expires_at")) ?
	    json_string_value(json_object_get(item, "expires_at")) : "never",
	    c->dry_run ? "" : ": keep it now, it is never shown again");
}

CTL_RUN(create_run, ops_token_create, struct ops_token_req)

/* --expires is read in the report time zone (tz, TALLY_TZ) */
static const struct ctl_item create_item = {
	sizeof(struct ops_token_req), create_run,
	CTL_ITEM_CHANGE | CTL_ITEM_CONFIG | CTL_ITEM_NOTE_ONLY,
	{ { "", CTLOPT_STR, offsetof(struct ops_token_req, name), 0, 0, 0 } },
	NULL, create_note,
	{ { "role", CTLOPT_STR, offsetof(struct ops_token_req, role), 0, 0, 0 },
	  { "expires", CTLOPT_STR, offsetof(struct ops_token_req, expires), 0, 0,
	    0 },
	  { "reason", CTLOPT_STR, offsetof(struct ops_token_req, reason), 0, 0,
	    0 } }
};

static int
token_create(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &create_item, argc, argv);
}

CTL_RUN(revoke_run, ops_token_revoke, struct ops_token_req)

static const struct ctl_item revoke_item = {
	sizeof(struct ops_token_req), revoke_run, CTL_ITEM_CHANGE,
	{ { "", CTLOPT_STR, offsetof(struct ops_token_req, name), 0, 0, 0 } },
	NULL, NULL,
	{ { "reason", CTLOPT_STR, offsetof(struct ops_token_req, reason), 0, 0,
	    0 } }
};

static int
token_revoke(struct ctl *c, int argc, char **argv)
{
	return ctl_item(c, &revoke_item, argc, argv);
}

CTL_LIST_FLAG(token_list, ops_token_list, struct ops_token_list_req,
    "active", active);

static const struct ctlopt_verb token_verbs[] = {
	{ "create", token_create, "NAME --role read|write|admin "
	  "[--expires DATE] [--reason TEXT]",
	  "Create a bearer token for tally-admin's API and print it, alone on\n"
	  "stdout: it is shown this once (only its SHA-256 is kept).  read:\n"
	  "every GET; write: also accounts, assignments, cases, orders and\n"
	  "events; admin: also users' credits, products, models and the access\n"
	  "log.  Changes made with it are audited as token:NAME.  --expires: a\n"
	  "date or time (report time zone); without it the token lasts until\n"
	  "revoked.  A name is never reused.", NULL },
	{ "list", NULL, "[--active]",
	  "The tokens by name, with their state (active, expired, revoked) and\n"
	  "when each was last used.  --active: only those that work now.",
	  &token_list },
	{ "revoke", token_revoke, "NAME [--reason TEXT]",
	  "Revoke a token at once: its next request is answered 401.", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

CTL_GROUP(token, "Bearer tokens for tally-admin's API.")
