/*
 * fsutil.h - small filesystem helpers.  Both return 0, or -1 with errno
 * set, like the system calls they wrap.
 */
#ifndef TALLY_FSUTIL_H
#define TALLY_FSUTIL_H

#include <sys/types.h>

/* mkdir -p: every missing directory of path, with mode. */
int fsutil_mkdir_p(const char *path, mode_t mode);

/* Open path with flags (O_RDONLY, or O_RDONLY | O_DIRECTORY for the
 * directory that holds a new name) and fsync it. */
int fsutil_fsync_path(const char *path, int flags);

#endif
