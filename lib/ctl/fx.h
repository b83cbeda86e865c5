/*
 * fx.h - `tallyctl fx set | list`: exchange rates for the margins of the
 * monthly review (lib/ops/fx.h does the work).
 */
#ifndef TALLY_CTL_FX_H
#define TALLY_CTL_FX_H

/* tallyctl fx ...; argv[0] = "fx"; returns an exit status. */
int ctl_fx(int argc, char **argv);

#endif
