/*
 * main.h - tallyctl's command table: each command group lives in
 * lib/ctl/GROUP.c as `int ctl_GROUP(int argc, char **argv)` returning an
 * exit status; ctl_main() dispatches to it.
 */
#ifndef TALLY_CTL_MAIN_H
#define TALLY_CTL_MAIN_H

/* tallyctl COMMAND [ARGS]: the exit status. */
int ctl_main(int argc, char **argv);

#endif
