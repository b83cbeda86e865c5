/*
 * config.h - `tallyctl config check [-c FILE]`: read the configuration
 * and its secret files; print "configuration OK" or every error as
 * FILE:LINE: message.  The checks themselves are lib/base/config.c's.
 */
#ifndef TALLY_CTL_CONFIG_H
#define TALLY_CTL_CONFIG_H

/* argv[0] = "config"; returns an exit status (78 for a bad config). */
int ctl_config(int argc, char **argv);

#endif
