/* fail_shim.c — an LD_PRELOAD library for hostile_test.sh: makes chosen files fail the way files
 * fail in a real run, deterministically.
 *
 *   SHIM_ENOENT=PAT  open() of a path containing PAT fails with ENOENT: the file vanished after the
 *                    directory walk listed it (stat() still succeeds)
 *   SHIM_EACCES=PAT  open() fails with EACCES: the file became unreadable (root ignores chmod 000,
 *                    and CI runs as root)
 *   SHIM_EIO=PAT     the file opens, and read() on it fails with EIO: a disk error mid-run
 *
 * PAT is one substring, or several separated by ':'. Only open/open64/openat/openat64 and read are
 * wrapped; everything else goes straight to the C library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_FDS 4096
static unsigned char eio_fd[MAX_FDS]; /* 1: reads on this descriptor fail */

static int
matches(const char *path, const char *var)
{
  const char *pat = getenv(var);
  if (pat == NULL || *pat == '\0' || path == NULL)
    return 0;
  while (*pat) {
    const char *end = strchr(pat, ':');
    size_t n = end ? (size_t)(end - pat) : strlen(pat);
    if (n > 0) {
      char one[1024];
      if (n >= sizeof one)
        n = sizeof one - 1;
      memcpy(one, pat, n);
      one[n] = '\0';
      if (strstr(path, one) != NULL)
        return 1;
    }
    pat += n + (end ? 1 : 0);
    if (!end)
      break;
  }
  return 0;
}

/* -1 with errno when `path` must fail to open, else 0. */
static int
refuse(const char *path)
{
  if (matches(path, "SHIM_ENOENT")) {
    errno = ENOENT;
    return -1;
  }
  if (matches(path, "SHIM_EACCES")) {
    errno = EACCES;
    return -1;
  }
  return 0;
}

static int
opened(int fd, const char *path)
{
  if (fd >= 0 && fd < MAX_FDS)
    __atomic_store_n(&eio_fd[fd], (unsigned char)matches(path, "SHIM_EIO"), __ATOMIC_RELAXED);
  return fd;
}

static mode_t
mode_arg(int flags, va_list ap)
{
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

#define WRAP_OPEN(name)                                                                                \
  int name(const char *path, int flags, ...)                                                           \
  {                                                                                                    \
    static int (*real)(const char *, int, ...);                                                        \
    va_list ap;                                                                                        \
    va_start(ap, flags);                                                                               \
    mode_t mode = mode_arg(flags, ap);                                                                 \
    va_end(ap);                                                                                        \
    if (refuse(path) != 0)                                                                             \
      return -1;                                                                                       \
    if (real == NULL)                                                                                  \
      real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name);                                 \
    return opened(real(path, flags, mode), path);                                                      \
  }

#define WRAP_OPENAT(name)                                                                              \
  int name(int dirfd, const char *path, int flags, ...)                                                \
  {                                                                                                    \
    static int (*real)(int, const char *, int, ...);                                                   \
    va_list ap;                                                                                        \
    va_start(ap, flags);                                                                               \
    mode_t mode = mode_arg(flags, ap);                                                                 \
    va_end(ap);                                                                                        \
    if (refuse(path) != 0)                                                                             \
      return -1;                                                                                       \
    if (real == NULL)                                                                                  \
      real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, #name);                            \
    return opened(real(dirfd, path, flags, mode), path);                                               \
  }

WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

ssize_t
read(int fd, void *buf, size_t count)
{
  static ssize_t (*real)(int, void *, size_t);
  if (fd >= 0 && fd < MAX_FDS && __atomic_load_n(&eio_fd[fd], __ATOMIC_RELAXED)) {
    errno = EIO;
    return -1;
  }
  if (real == NULL)
    real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
  return real(fd, buf, count);
}

int
close(int fd)
{
  static int (*real)(int);
  if (fd >= 0 && fd < MAX_FDS)
    __atomic_store_n(&eio_fd[fd], 0, __ATOMIC_RELAXED);
  if (real == NULL)
    real = (int (*)(int))dlsym(RTLD_NEXT, "close");
  return real(fd);
}
