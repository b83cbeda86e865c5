/*
 * fsutil.h - small filesystem helpers.  They return 0, or -1 with errno
 * set, like the system calls they wrap.
 */
#ifndef TALLY_FSUTIL_H
#define TALLY_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* mkdir -p: every missing directory of path, with mode.  -1 (ENOTDIR)
 * when path exists and is not a directory. */
int fsutil_mkdir_p(const char *path, mode_t mode);

/* rm -rf: path and everything under it, symbolic links removed, not
 * followed.  A path that does not exist is fine. */
int fsutil_remove_tree(const char *path);

/* Open path with flags (O_RDONLY, or O_RDONLY | O_DIRECTORY for the
 * directory that holds a new name) and fsync it. */
int fsutil_fsync_path(const char *path, int flags);

/* The sha256 of len bytes at data: 64 lower-case hex digits and a NUL. */
void fsutil_sha256_hex(const void *data, size_t len, char hex[65]);

/*
 * The sha256 of the file at path, read in pieces (it may be large), into
 * hex as above; *bytes (optional) gets its size.  With sync the file is
 * fsync'd first: one just written, about to be published.
 */
int fsutil_sha256_file(const char *path, bool sync, char hex[65],
    unsigned long long *bytes);
/* The same for what is left to read of an open file (fd is not closed). */
int fsutil_sha256_fd(int fd, char hex[65], unsigned long long *bytes);

#endif
