/*
 * err.h - the one list of tally error codes, their messages and the
 * sysexits status each maps to.  Library functions return 0 or one of these
 * (negative); details live on the handle that failed (db_errmsg(), a
 * caller-supplied struct strbuf), never in globals.
 */
#ifndef TALLY_ERR_H
#define TALLY_ERR_H

enum tally_err {
	TALLY_OK = 0,
	TALLY_ENOMEM = -1,	/* out of memory */
	TALLY_EUSAGE = -2,	/* wrong flag or argument */
	TALLY_EDATA = -3,	/* input data is malformed */
	TALLY_ECONFIG = -4,	/* configuration is wrong */
	TALLY_EUNAVAIL = -5,	/* database (or other service) unavailable */
	TALLY_ECONFLICT = -6,	/* unique violation: already there */
	TALLY_ERETRY = -7,	/* serialization failure / deadlock: try again */
	TALLY_EDB = -8,		/* any other database error */
	TALLY_EIO = -9,		/* cannot create or write output */
	TALLY_ELOCKED = -10,	/* another run holds the lock */
	TALLY_ENOTFOUND = -11,	/* no such thing */
	TALLY_EREFUSED = -12,	/* request impossible in the current state */
	TALLY_EINTERNAL = -13,	/* a bug or an impossible situation */
	TALLY_ESIGNATURE = -14,	/* signature missing, wrong or stale */
	TALLY_EPROBLEMS = -15,	/* completed, but found problems (exit 1) */
	TALLY_ERANGE = -16,	/* arithmetic overflow / value out of range */
	TALLY_EMISSING = -17	/* a required program or file is absent */
};

/* A short, static description of err; never NULL. */
const char *tally_strerror(int err);

/* The process exit status (<sysexits.h>) for err; 0 for TALLY_OK. */
int tally_exit_code(int err);

#endif
