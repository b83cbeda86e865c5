/*
 * ctl_audit.h - `tallyctl audit list | verify`: read the audit trail and
 * check its hash chain.
 */
#ifndef TALLY_CTL_AUDIT_H
#define TALLY_CTL_AUDIT_H

/* tallyctl audit ...; argv[0] = "audit"; returns an exit status (verify:
 * 1 when the chain is broken). */
int ctl_audit(int argc, char **argv);

#endif
