/* tempfile.c — unnamed temporary files (see tempfile.h). */
#define _GNU_SOURCE /* O_TMPFILE */
#include "tempfile.h"
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

int
nd_temp_file(const char *dir)
{
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT))
    return fd;
  g_autofree char *name = g_build_filename(dir, ".neardup-run-XXXXXX", NULL);
  fd = g_mkstemp_full(name, O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    unlink(name);
  return fd;
}

gboolean
nd_write_all(int fd, const void *data, gsize n)
{
  const guint8 *p = data;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      if (w == 0)
        errno = ENOSPC;
      return FALSE;
    }
    p += w;
    n -= (gsize)w;
  }
  return TRUE;
}

gboolean
nd_pread_all(int fd, void *data, gsize n, guint64 offset)
{
  guint8 *p = data;
  gsize got = 0;
  while (got < n) {
    ssize_t r = pread(fd, p + got, n - got, (off_t)(offset + got));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      if (r == 0)
        errno = 0;
      return FALSE;
    }
    got += (gsize)r;
  }
  return TRUE;
}
