/*
 * account.h - `tallyctl account add | import | list | show | suspend |
 * reactivate | update`: the pool of shared accounts (lib/ops/account.h).
 */
#ifndef TALLY_CTL_ACCOUNT_H
#define TALLY_CTL_ACCOUNT_H

/* tallyctl account ...; argv[0] = "account"; returns an exit status. */
int ctl_account(int argc, char **argv);

#endif
