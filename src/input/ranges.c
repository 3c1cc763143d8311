/* ranges.c — cutting a JSON Lines file into byte ranges of whole lines, one per share (MPI ranks),
 * so that each share reads its own bytes only (input.h: nd_line_range_plan).
 *
 * Design: the cut rule needs no communication: share k starts at the first line start at or after
 * size * k / count, which every share computes alike from the file alone (reading from that point to
 * the next '\n'). What does need the other shares is the line number of a share's first line: each
 * share counts the '\n' in its own range, and the caller adds up the counts of the shares before it
 * (an exclusive prefix sum, dist.h). Counting reads the range once more than parsing does; the
 * second read, when the range fits in memory, comes from the page cache.
 */
#include "source.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_CHUNK ((gsize)1 << 20) /* counting the lines of a range */
#define CUT_CHUNK ((gsize)16 << 10)  /* looking for the line start after a cut: lines are a few KB */
#define HEAD_BYTES 4096

/* Reads up to n bytes at `offset`, retrying short reads and EINTR; the count, or -1. */
static gssize
read_at(int fd, guint8 *buf, gsize n, guint64 offset, guint64 *bytes_read)
{
  gsize got = 0;
  while (got < n) {
    ssize_t r = pread(fd, buf + got, n - got, (off_t)(offset + got));
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    if (r == 0)
      break;
    got += (gsize)r;
  }
  if (bytes_read != NULL)
    *bytes_read += got;
  return (gssize)got;
}

/* The first line start at or after `at` in the file of `size` bytes: `at` itself when it is 0 or
 * follows a '\n', otherwise the byte after the next '\n', or `size` when none follows. -1 on a read
 * error. */
static gint64
line_start_at_or_after(int fd, guint64 size, guint64 at, guint8 *buf, guint64 *bytes_read)
{
  if (at == 0 || at >= size)
    return (gint64)MIN(at, size);
  for (guint64 pos = at - 1; pos < size;) {
    gssize n = read_at(fd, buf, (gsize)MIN((guint64)CUT_CHUNK, size - pos), pos, bytes_read);
    if (n < 0)
      return -1;
    if (n == 0)
      break; /* the file shrank: its end */
    const guint8 *nl = memchr(buf, '\n', (gsize)n);
    if (nl != NULL)
      return (gint64)(pos + (guint64)(nl - buf) + 1);
    pos += (guint64)n;
  }
  return (gint64)size;
}

/* floor(size * k / count) without overflow (k <= count < 2^32). */
static guint64
cut_point(guint64 size, guint k, guint count)
{
  return size / count * k + size % count * k / count;
}

gboolean
nd_line_range_plan(const char *path, gboolean known_jsonl, guint index, guint count, NdFileCheckFunc check,
                   gpointer check_data, NdLineRange *range, guint64 *bytes_read)
{
  g_return_val_if_fail(path != NULL && range != NULL && count >= 1 && index < count, FALSE);
  memset(range, 0, sizeof *range);
  struct stat st;
  if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
    return FALSE;
  if (check != NULL && !check(path, (guint64)st.st_dev, (guint64)st.st_ino, check_data, NULL))
    return FALSE;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return FALSE;
  g_autofree guint8 *buf = g_malloc(SCAN_CHUNK);
  gboolean ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  guint64 size = ok ? (guint64)st.st_size : 0;
  if (ok) { /* recognised as the loader does: not compressed, and JSON Lines by content */
    gssize n = read_at(fd, buf, HEAD_BYTES, 0, bytes_read);
    ok = n >= 0 && nd_compression_sniff(buf, (gsize)n) == ND_COMPRESSION_NONE &&
         (known_jsonl || nd_format_container_for(buf, (gsize)n, (gsize)n < HEAD_BYTES) == &nd_format_jsonl);
  }
  gint64 start = -1, end = -1;
  if (ok) {
    guint64 at = cut_point(size, index, count), to = cut_point(size, index + 1, count);
    start = line_start_at_or_after(fd, size, at, buf, bytes_read);
    end = line_start_at_or_after(fd, size, to, buf, bytes_read);
    ok = start >= 0 && end >= start;
  }
  guint64 newlines = 0;
  for (guint64 pos = ok ? (guint64)start : 0; ok && pos < (guint64)end;) {
    gssize n = read_at(fd, buf, (gsize)MIN((guint64)SCAN_CHUNK, (guint64)end - pos), pos, bytes_read);
    if (n <= 0) {
      ok = FALSE;
      break;
    }
    for (const guint8 *p = buf, *stop = buf + n; (p = memchr(p, '\n', (gsize)(stop - p))) != NULL; p++)
      newlines++;
    pos += (guint64)n;
  }
  close(fd);
  if (!ok)
    return FALSE;
  range->size = size;
  range->start = (guint64)start;
  range->end = (guint64)end;
  range->newlines = newlines;
  return TRUE;
}
