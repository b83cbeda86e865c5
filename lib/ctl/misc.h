/*
 * misc.h - the smaller tallyctl groups, one file each: `order list |
 * approve` (order.c), `event list | retry` (event.c), `product add | list
 * | update` (product.c), `model list | set` (model.c), `user list |
 * credit` (user.c), `token create | list | revoke` (token.c),
 * `admin-user add | list | passwd | disable | enable | remove`
 * (admin_user.c).  Each takes
 * argv[0] = its group name and returns an exit status.
 */
#ifndef TALLY_CTL_MISC_H
#define TALLY_CTL_MISC_H

int ctl_order(int argc, char **argv);
int ctl_event(int argc, char **argv);
int ctl_product(int argc, char **argv);
int ctl_model(int argc, char **argv);
int ctl_user(int argc, char **argv);
int ctl_token(int argc, char **argv);
int ctl_admin_user(int argc, char **argv);

#endif
