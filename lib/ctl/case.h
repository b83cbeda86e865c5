/*
 * ctl_case.h - `tallyctl case list | show | accept`: the exception cases
 * tally-reconcile keeps (sql/030_reconcile.sql).
 */
#ifndef TALLY_CTL_CASE_H
#define TALLY_CTL_CASE_H

/* tallyctl case ...; argv[0] = "case"; returns an exit status. */
int ctl_case(int argc, char **argv);

#endif
