/*
 * fsutil.c - small filesystem helpers shared by everything that writes
 * files it must not lose (backups, reports, alert state) or names files
 * by their content (migrations, settlement exports, report manifests).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/fsutil.h"

int
fsutil_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	struct stat st;
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return -1;
	/* EEXIST says nothing about what exists */
	if (stat(buf, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
fsutil_fsync_path(const char *path, int flags)
{
	int fd, rc;

	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static void
to_hex(const unsigned char *md, unsigned int n, char hex[65])
{
	static const char digit[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < n && i < 32; i++) {
		hex[2 * i] = digit[md[i] >> 4];
		hex[2 * i + 1] = digit[md[i] & 0xf];
	}
	hex[2 * i] = '\0';
}

void
fsutil_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1)
		n = 0;
	to_hex(md, n, hex);
}

int
fsutil_sha256_fd(int fd, char hex[65], unsigned long long *bytes)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	unsigned long long total = 0;
	EVP_MD_CTX *ctx = NULL;
	ssize_t got;
	int rc = -1, saved;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		errno = ENOMEM;
		goto done;
	}
	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		if (EVP_DigestUpdate(ctx, buf, (size_t)got) != 1) {
			errno = EIO;
			goto done;
		}
		total += (unsigned long long)got;
	}
	if (got < 0)
		goto done;
	if (EVP_DigestFinal_ex(ctx, md, &n) != 1) {
		errno = EIO;
		goto done;
	}
	to_hex(md, n, hex);
	if (bytes != NULL)
		*bytes = total;
	rc = 0;
done:
	saved = errno;
	EVP_MD_CTX_free(ctx);
	errno = saved;
	return rc;
}

int
fsutil_sha256_file(const char *path, bool sync, char hex[65],
    unsigned long long *bytes)
{
	int fd, rc = -1, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (!sync || fsync(fd) == 0))
		rc = fsutil_sha256_fd(fd, hex, bytes);
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
	return rc;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int
fsutil_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	/* depth first, never following a symbolic link out of the tree */
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
