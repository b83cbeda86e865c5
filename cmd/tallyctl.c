/*
 * tallyctl - the admin tool.  The commands are lib/ctl (ctl/main.c has
 * the table); the operations they run are lib/ops.
 */
#include "base/log.h"
#include "ctl/main.h"

int
main(int argc, char **argv)
{
	log_init("tallyctl");
	return ctl_main(argc, argv);
}
