/*
 * argnum.h - a whole number from a command line (--batch 500, --keep 14,
 * a positional id): all of the argument, in range, or nothing.
 */
#ifndef TALLY_ARGNUM_H
#define TALLY_ARGNUM_H

/*
 * s as a decimal whole number in [min, max] into *out: no sign other than
 * a leading '-', no spaces, no trailing text, no overflow.  0, or
 * TALLY_EUSAGE (nothing logged: the caller names the option).
 */
int argnum_parse(const char *s, long long min, long long max, long long *out);

#endif
