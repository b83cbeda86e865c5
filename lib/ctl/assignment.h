/*
 * ctl_assignment.h - `tallyctl assignment list | assign | extend | revoke |
 * release`: who holds a seat on which account, until when.
 */
#ifndef TALLY_CTL_ASSIGNMENT_H
#define TALLY_CTL_ASSIGNMENT_H

/* tallyctl assignment ...; argv[0] = "assignment"; returns an exit status. */
int ctl_assignment(int argc, char **argv);

#endif
