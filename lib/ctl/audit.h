/*
 * ctl_audit.h - `tallyctl audit list | verify | anchor`: read the audit
 * trail, check its chain, print its head.
 */
#ifndef TALLY_CTL_AUDIT_H
#define TALLY_CTL_AUDIT_H

/* tallyctl audit ...; argv[0] = "audit"; returns an exit status (verify:
 * 1 when the chain is broken). */
int ctl_audit(int argc, char **argv);

#endif
