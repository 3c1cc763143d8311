/* ranges.c — cutting a JSON Lines file or a .warc.gz into byte ranges of whole records, one per
 * share (MPI ranks), so that each share reads its own bytes only (input.h: nd_input_range_plan).
 *
 * Design: the cut rule needs no communication: share k starts at the first record start at or after
 * size * k / count, which every share computes alike from the file alone (reading from that point to
 * the next '\n', or to the next gzip member that decompresses to "WARC/1."). What does need the
 * other shares is the line number of a JSON Lines share's first line: each share counts the '\n' in
 * its own range, and the caller adds up the counts of the shares before it (an exclusive prefix sum,
 * dist.h). Counting reads the range once more than parsing does; the second read, when the range
 * fits in memory, comes from the page cache. WARC records are named by offset: nothing to count,
 * but a .warc.gz is cut only when every member of every range holds one record (a record inside a
 * member is named by its decompressed offset, which only reading from the start gives): each share
 * decompresses its range once to check, before reading it.
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

/* TRUE when the gzip member at `at` decompresses to the start of a WARC record ("WARC/1."). */
static gboolean
warc_member_at(int fd, guint64 at, guint64 *bytes_read)
{
  guint8 in[HEAD_BYTES], out[16];
  gssize n = read_at(fd, in, sizeof in, at, bytes_read);
  if (n < 3 || in[0] != 0x1f || in[1] != 0x8b || in[2] != 8)
    return FALSE;
  NdDecoder *d = nd_decoder_new(ND_COMPRESSION_GZIP);
  gsize pos = 0, have = 0;
  gboolean ok = TRUE;
  while (ok && have < 8 && pos < (gsize)n) {
    gsize used, produced;
    gboolean member_end;
    ok = nd_decoder_step(d, in + pos, (gsize)n - pos, &used, out + have, sizeof out - have, &produced, &member_end,
                         NULL);
    pos += used;
    have += produced;
    if (used == 0 && produced == 0)
      break;
  }
  nd_decoder_free(d);
  return ok && have >= 8 && memcmp(out, "WARC/1.", 7) == 0;
}

/* The length of a header line that warc.c's reader takes for "Content-Length", read as it reads
 * it (the name before the first ':' and the value after it stripped of ASCII white space, the value
 * all digits and below G_MAXINT64): the length, -2 when the value is not such a number, or -1 when
 * the line is another field. */
static gint64
content_length_of(const char *line, gsize len)
{
  const char *colon = memchr(line, ':', len);
  if (colon == NULL)
    return -1;
  g_autofree char *name = g_strndup(line, (gsize)(colon - line));
  if (g_ascii_strcasecmp(g_strstrip(name), "Content-Length") != 0)
    return -1;
  g_autofree char *value = g_strndup(colon + 1, len - (gsize)(colon + 1 - line));
  g_strstrip(value);
  char *end;
  guint64 v = g_ascii_strtoull(value, &end, 10);
  return value[0] != '\0' && *end == '\0' && g_ascii_isdigit(value[0]) && v < G_MAXINT64 ? (gint64)v : -2;
}

/* Headers longer than this are not cut for: far more than a WARC header holds (about 1 KB), and
 * below warc.c's limits on a header line and a header, whose errors would read on into the next
 * member. */
#define HEADER_CHECK ((gsize)8 << 10)

/* TRUE when the decompressed member `head` (its first bytes; `total` in all; `tail` its last 4
 * bytes, when it has them) is one WARC record as warc.c's reader reads it, ending where the member ends:
 * "WARC/1." and a header of CRLF lines (no NUL, no lone CR or LF, so that the reader's lines are
 * these) ending in a blank line, one valid Content-Length (the last one counts, as in the reader),
 * then that many bytes and the blank line that ends a record ("\r\n\r\n", or "\n\n" which the
 * reader takes too). Anything else leaves the reader, after its error, reading on into the next
 * member, so what it makes of that member depends on this one: the file is then not cut. */
static gboolean
one_record(const GByteArray *head, guint64 total, const guint8 *tail)
{
  const char *b = (const char *)head->data;
  gsize len = head->len, header_end = 0;
  if (len < 7 || memcmp(b, "WARC/1.", 7) != 0)
    return FALSE;
  gint64 length = -1;
  for (gsize line = 0, i = 0; i < len && header_end == 0; i++) {
    if (b[i] == '\0' || (b[i] == '\r' && (i + 1 == len || b[i + 1] != '\n')) ||
        (b[i] == '\n' && (i == 0 || b[i - 1] != '\r')))
      return FALSE; /* a NUL, a CR not before LF, an LF not after CR (or cut off by HEADER_CHECK) */
    if (b[i] != '\n')
      continue;
    if (i - 1 == line) {
      header_end = i + 1; /* the blank line */
    } else {
      gint64 field = content_length_of(b + line, i - 1 - line);
      if (field != -1)
        length = field;
    }
    line = i + 1;
  }
  if (header_end == 0 || length < 0)
    return FALSE;
  guint64 rest = total - header_end;
  return rest >= (guint64)length &&
         ((rest - (guint64)length == 4 && memcmp(tail, "\r\n\r\n", 4) == 0) ||
          (rest - (guint64)length == 2 && memcmp(tail + 2, "\n\n", 2) == 0));
}

/* TRUE when [start, end) is a run of gzip members, each decompressing without error to one WARC
 * record (one_record) and nothing else. Records are then named by their member's offset, whichever
 * share reads them; a record inside a member would be named by its decompressed offset, and the
 * one-process reader's recovery from a broken member depends on what came before: only reading
 * from the file's start gives either. Reads the range once; keeps a member's first HEADER_CHECK
 * bytes (its header) and its last 4. */
static gboolean
members_hold_one_record_each(int fd, guint64 start, guint64 end, guint8 *in, guint64 *bytes_read)
{
  NdDecoder *d = nd_decoder_new(ND_COMPRESSION_GZIP);
  g_autofree guint8 *scratch = g_malloc(CUT_CHUNK);
  g_autoptr(GByteArray) head = g_byte_array_new();
  gsize in_len = 0, in_pos = 0;
  guint64 pos = start; /* the file offset of in[in_len] */
  gboolean ok = TRUE;
  while (ok && (pos < end || in_pos < in_len)) { /* one member */
    g_byte_array_set_size(head, 0);
    guint64 total = 0;
    guint8 tail[4] = { 0 }; /* the member's last bytes so far */
    gboolean ended = FALSE;
    nd_decoder_reset(d);
    while (ok && !ended) {
      if (in_pos == in_len) { /* a member that runs past `end` is not one of the range's */
        gssize n = pos < end ? read_at(fd, in, (gsize)MIN((guint64)SCAN_CHUNK, end - pos), pos, bytes_read) : 0;
        if (n <= 0) {
          ok = FALSE;
          break;
        }
        pos += (guint64)n;
        in_len = (gsize)n;
        in_pos = 0;
      }
      gsize used, produced;
      ok = nd_decoder_step(d, in + in_pos, in_len - in_pos, &used, scratch, CUT_CHUNK, &produced, &ended, NULL);
      if (head->len < HEADER_CHECK)
        g_byte_array_append(head, scratch, (guint)MIN(produced, HEADER_CHECK - head->len));
      total += produced;
      if (produced >= sizeof tail) {
        memcpy(tail, scratch + produced - sizeof tail, sizeof tail);
      } else if (produced > 0) {
        memmove(tail, tail + produced, sizeof tail - produced);
        memcpy(tail + sizeof tail - produced, scratch, produced);
      }
      in_pos += used;
      if (ok && used == 0 && produced == 0 && !ended && in_pos < in_len)
        ok = FALSE; /* no progress on the bytes it has */
    }
    ok = ok && total >= sizeof tail && one_record(head, total, tail);
  }
  nd_decoder_free(d);
  return ok;
}

/* The first WARC record's gzip member at or after `at`: `at` itself when 0, otherwise the first
 * offset holding the gzip magic whose member decompresses to "WARC/1.", or `size` when none follows.
 * -1 on a read error. */
static gint64
member_start_at_or_after(int fd, guint64 size, guint64 at, guint8 *buf, guint64 *bytes_read)
{
  if (at == 0 || at >= size)
    return (gint64)MIN(at, size);
  for (guint64 pos = at; pos < size;) {
    gssize n = read_at(fd, buf, (gsize)MIN((guint64)CUT_CHUNK, size - pos), pos, bytes_read);
    if (n < 0)
      return -1;
    if (n < 3)
      break;
    for (const guint8 *p = buf, *stop = buf + n - 2; (p = memchr(p, 0x1f, (gsize)(stop - p))) != NULL; p++)
      if (p[1] == 0x8b && p[2] == 8 && warc_member_at(fd, pos + (guint64)(p - buf), bytes_read))
        return (gint64)(pos + (guint64)(p - buf));
    pos += (guint64)n - 2; /* the magic may straddle two reads */
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
nd_input_range_plan(const char *path, gboolean known_jsonl, guint index, guint count, NdFileCheckFunc check,
                    gpointer check_data, NdInputRange *range, guint64 *bytes_read)
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
  gboolean ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode), jsonl = FALSE;
  guint64 size = ok ? (guint64)st.st_size : 0;
  if (ok) { /* recognised as the loader does, by the first bytes (decompressed) */
    gssize n = read_at(fd, buf, HEAD_BYTES, 0, bytes_read);
    NdCompression kind = n >= 0 ? nd_compression_sniff(buf, (gsize)n) : ND_COMPRESSION_ZSTD;
    if (kind == ND_COMPRESSION_NONE) {
      jsonl = known_jsonl || nd_format_container_for(buf, (gsize)n, (gsize)n < HEAD_BYTES) == &nd_format_jsonl;
      ok = jsonl;
    } else {
      ok = kind == ND_COMPRESSION_GZIP && !known_jsonl && warc_member_at(fd, 0, bytes_read);
    }
  }
  gint64 start = -1, end = -1;
  if (ok) {
    guint64 at = cut_point(size, index, count), to = cut_point(size, index + 1, count);
    start = jsonl ? line_start_at_or_after(fd, size, at, buf, bytes_read)
                  : member_start_at_or_after(fd, size, at, buf, bytes_read);
    end = jsonl ? line_start_at_or_after(fd, size, to, buf, bytes_read)
                : member_start_at_or_after(fd, size, to, buf, bytes_read);
    /* a WARC with fewer members than shares, gzip'd whole, with members of several records, or with
     * anything else than members of one record each in this share's range: not cut */
    ok = start >= 0 && end >= start &&
         (jsonl || ((index == 0 || (guint64)start < size) &&
                    members_hold_one_record_each(fd, (guint64)start, (guint64)end, buf, bytes_read)));
  }
  guint64 newlines = 0;
  for (guint64 pos = ok && jsonl ? (guint64)start : 0; ok && jsonl && pos < (guint64)end;) {
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
