#include <sysexits.h>

#include "base/err.h"

static const struct {
	int code;
	int exit_status;
	const char *msg;
} errtab[] = {
	{ TALLY_OK, EX_OK, "success" },
	{ TALLY_ENOMEM, EX_OSERR, "out of memory" },
	{ TALLY_EUSAGE, EX_USAGE, "usage error" },
	{ TALLY_EDATA, EX_DATAERR, "malformed input data" },
	{ TALLY_ECONFIG, EX_CONFIG, "configuration error" },
	{ TALLY_EUNAVAIL, EX_UNAVAILABLE, "database unavailable" },
	{ TALLY_ECONFLICT, EX_DATAERR, "already exists" },
	{ TALLY_ERETRY, EX_TEMPFAIL, "transient conflict, try again" },
	{ TALLY_EDB, EX_SOFTWARE, "database error" },
	{ TALLY_EIO, EX_CANTCREAT, "cannot create output" },
	{ TALLY_ELOCKED, EX_TEMPFAIL, "another run holds the lock" },
	{ TALLY_ENOTFOUND, EX_DATAERR, "not found" },
	{ TALLY_EREFUSED, EX_DATAERR, "refused in the current state" },
	{ TALLY_EINTERNAL, EX_SOFTWARE, "internal error" },
	{ TALLY_ESIGNATURE, EX_DATAERR, "signature missing, wrong or stale" },
	{ TALLY_EPROBLEMS, 1, "completed, but found problems" },
	{ TALLY_ERANGE, EX_DATAERR, "value out of range" },
	{ TALLY_EMISSING, EX_UNAVAILABLE, "required program or file missing" },
};

const char *
tally_strerror(int err)
{
	for (unsigned i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].code == err)
			return errtab[i].msg;
	return "unknown error";
}

int
tally_exit_code(int err)
{
	for (unsigned i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].code == err)
			return errtab[i].exit_status;
	return EX_SOFTWARE;
}
