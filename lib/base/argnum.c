#include <errno.h>
#include <stdlib.h>

#include "base/argnum.h"
#include "base/err.h"

int
argnum_parse(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	/* strtoll skips leading spaces and takes '+': a typo, not a number */
	if (s == NULL || !((*s >= '0' && *s <= '9') || *s == '-'))
		return TALLY_EUSAGE;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return TALLY_EUSAGE;
	*out = v;
	return 0;
}
