/*
 * ctl_misc.h - the smaller tallyctl groups: `order list`, `event list`,
 * `product add | list`, `model list | set`, `user list | credit`.
 * Each takes argv[0] = its group name and returns an exit status.
 */
#ifndef TALLY_CTL_MISC_H
#define TALLY_CTL_MISC_H

int ctl_order(int argc, char **argv);
int ctl_event(int argc, char **argv);
int ctl_product(int argc, char **argv);
int ctl_model(int argc, char **argv);
int ctl_user(int argc, char **argv);

#endif
