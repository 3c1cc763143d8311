/* stream.c — reading inputs: files, pipes, standard input and bytes in memory, decompressed on the
 * way (compress.c), bounded and cancellable.
 *
 * Design: one buffered stream type for every reader (articles, lists, JSON Lines, WARC). The
 * compression is recognised by the first bytes, not the name. Reads of a pipe wait in poll() with
 * a 200 ms timeout and look at the loader between waits, so a signal stops a run blocked on a pipe
 * whichever thread it interrupted. Uncompressed bytes are read straight into the caller's buffer
 * when nothing is buffered, so reading a plain file costs no extra copy.
 */
#include "source.h"
#include "hash.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK ((gsize)64 << 10)

typedef struct {
  guint64 plain;  /* stream offset (decompressed) where the member starts */
  guint64 raw;    /* its offset in the compressed bytes */
} Member;

struct NdInStream {
  const NdLoader *loader;
  int fd;                    /* -1 for memory */
  gboolean own_fd, pipe;
  int read_errno;            /* errno of the last read error, or 0 */
  gint64 file_size;          /* a regular file's size, or -1 */
  const guint8 *mem;         /* memory source */
  gsize mem_len;
  /* compressed bytes (or, before the compression is known, the first bytes) */
  guint8 *raw;
  gsize raw_pos, raw_len;
  guint64 raw_offset;        /* input offset of raw[0] */
  gboolean raw_eof, sniffed, failed;
  NdCompression compression;
  NdDecoder *dec;
  /* decoded bytes not yet consumed */
  guint8 *out;
  gsize out_pos, out_len, out_cap;
  guint64 offset;            /* decoded bytes consumed */
  guint64 produced;          /* decoded bytes produced */
  GArray *members;           /* Member, for nd_in_stream_member_offset */
  GError *pending;           /* an error met while peeking ahead, given by the next read past the bytes before it */
  XXH3_state_t *digest;      /* XXH3-64 of every byte read from the source, as stored */
  guint64 source_total;      /* bytes read from the source */
};

/* read() for the loader: see the file comment. -1 with errno on error, -1 with EINTR when halted. */
static ssize_t
read_retry(int fd, void *buf, gsize n, gboolean pipe, const NdLoader *l)
{
  gboolean blocking = pipe && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0;
  for (;;) {
    if (l != NULL && nd_loader_halted(l)) {
      errno = EINTR;
      return -1;
    }
    if (blocking) {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int ready = poll(&p, 1, 200);
      if (ready == 0 || (ready < 0 && errno == EINTR))
        continue; /* nothing yet, or a signal: look at the loader again before a read that could block */
    }
    ssize_t got = read(fd, buf, n);
    if (got >= 0)
      return got;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      poll(&p, 1, 200);
      continue;
    }
    if (errno != EINTR)
      return -1;
  }
}

static NdInStream *
stream_new(void)
{
  NdInStream *s = g_new0(NdInStream, 1);
  s->fd = -1;
  s->members = g_array_new(FALSE, FALSE, sizeof(Member));
  s->digest = XXH3_createState();
  if (s->digest == NULL)
    g_error("XXH3_createState failed: out of memory");
  XXH3_64bits_reset(s->digest);
  return s;
}

NdInStream *
nd_in_stream_open(const NdLoader *loader, const char *path, GError **error)
{
  int fd;
  gboolean own = TRUE;
  if (strcmp(path, "-") == 0) {
    fd = STDIN_FILENO;
    own = FALSE;
  } else {
    if (!nd_loader_check_name(loader, path, error))
      return NULL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (no effect on regular files). */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      int e = errno;
      g_set_error(error, ND_ERROR, e == ENOENT ? ND_ERROR_NOT_FOUND : ND_ERROR_IO, "cannot open: %s", g_strerror(e));
      return NULL;
    }
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    if (own)
      close(fd);
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "cannot stat: %s", g_strerror(e));
    return NULL;
  }
  if (S_ISDIR(st.st_mode)) {
    if (own)
      close(fd);
    g_set_error_literal(error, ND_ERROR, ND_ERROR_IO, "is a directory");
    return NULL;
  }
  if (!nd_loader_check_file(loader, path, fd, error)) {
    if (own)
      close(fd);
    return NULL;
  }
  if (own && S_ISREG(st.st_mode)) /* blocking again: a regular file never waits */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  NdInStream *s = stream_new();
  s->loader = loader;
  s->fd = fd;
  s->own_fd = own;
  s->pipe = !S_ISREG(st.st_mode);
  s->file_size = S_ISREG(st.st_mode) ? (gint64)st.st_size : -1;
  return s;
}

NdInStream *
nd_in_stream_new_memory(const guint8 *bytes, gsize len)
{
  NdInStream *s = stream_new();
  s->mem = bytes;
  s->mem_len = len;
  s->file_size = -1;
  return s;
}

void
nd_in_stream_free(NdInStream *s)
{
  if (s == NULL)
    return;
  if (s->own_fd && s->fd >= 0)
    close(s->fd);
  g_free(s->raw);
  g_free(s->out);
  nd_decoder_free(s->dec);
  g_array_unref(s->members);
  g_clear_error(&s->pending);
  XXH3_freeState(s->digest);
  g_free(s);
}

void
nd_in_stream_set_raw(NdInStream *s)
{
  s->sniffed = TRUE;
  s->compression = ND_COMPRESSION_NONE;
}

static gboolean sniff(NdInStream *s, GError **error);

gboolean
nd_in_stream_seek(NdInStream *s, guint64 offset)
{
  if (s->fd < 0 || s->pipe || s->failed || s->pending != NULL)
    return FALSE;
  if (!s->sniffed && !sniff(s, NULL)) /* the compression first: it decides what an offset means */
    return FALSE;
  if (s->compression == ND_COMPRESSION_ZSTD || lseek(s->fd, (off_t)offset, SEEK_SET) != (off_t)offset)
    return FALSE;
  s->raw_pos = s->raw_len = 0;
  s->raw_offset = offset;
  s->raw_eof = FALSE;
  s->out_pos = s->out_len = 0;
  if (s->compression == ND_COMPRESSION_GZIP) {
    nd_decoder_reset(s->dec);
    g_array_set_size(s->members, 0);
    s->offset = s->produced = 0;
  } else {
    s->offset = s->produced = offset;
  }
  return TRUE;
}

gint64
nd_in_stream_file_size(const NdInStream *s)
{
  return s->file_size;
}

void
nd_in_stream_source_digest(const NdInStream *s, guint64 *bytes, guint64 *hash)
{
  *bytes = s->source_total;
  *hash = XXH3_64bits_digest(s->digest);
}

int
nd_in_stream_read_errno(const NdInStream *s)
{
  return s->read_errno;
}

gboolean
nd_in_stream_is_pipe(const NdInStream *s)
{
  return s->pipe;
}

guint64
nd_in_stream_offset(const NdInStream *s)
{
  return s->offset;
}

const char *
nd_in_stream_compression(const NdInStream *s)
{
  return s->compression == ND_COMPRESSION_GZIP ? "gzip" : s->compression == ND_COMPRESSION_ZSTD ? "zstd" : NULL;
}

/* Reads source bytes into buf: from memory or the descriptor. -1 with an error. */
static gssize
source_read(NdInStream *s, guint8 *buf, gsize n, GError **error)
{
  if (s->fd < 0) {
    gsize take = MIN(n, s->mem_len);
    memcpy(buf, s->mem, take);
    s->mem += take;
    s->mem_len -= take;
    XXH3_64bits_update(s->digest, buf, take);
    s->source_total += take;
    return (gssize)take;
  }
  ssize_t got = read_retry(s->fd, buf, n, s->pipe, s->loader);
  if (got < 0) {
    if (s->loader != NULL && nd_loader_halted(s->loader))
      return -1;
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "read error: %s", g_strerror(errno));
    s->read_errno = errno ? errno : EIO;
    return -1;
  }
  XXH3_64bits_update(s->digest, buf, (gsize)got);
  s->source_total += (guint64)got;
  return got;
}

/* Refills the compressed buffer (keeping its unused bytes). 0 at the end, -1 on error. */
static gssize
raw_fill(NdInStream *s, GError **error)
{
  if (s->raw == NULL)
    s->raw = g_malloc(CHUNK);
  if (s->raw_pos > 0) {
    memmove(s->raw, s->raw + s->raw_pos, s->raw_len - s->raw_pos);
    s->raw_offset += s->raw_pos;
    s->raw_len -= s->raw_pos;
    s->raw_pos = 0;
  }
  if (s->raw_eof || s->raw_len == CHUNK)
    return (gssize)(s->raw_len);
  gssize got = source_read(s, s->raw + s->raw_len, CHUNK - s->raw_len, error);
  if (got < 0)
    return -1;
  if (got == 0)
    s->raw_eof = TRUE;
  s->raw_len += (gsize)got;
  return got;
}

/* Looks at the first bytes to learn the compression. FALSE on error. */
static gboolean
sniff(NdInStream *s, GError **error)
{
  s->sniffed = TRUE;
  while (s->raw_len < 4 && !s->raw_eof)
    if (raw_fill(s, error) < 0)
      return FALSE;
  s->compression = nd_compression_sniff(s->raw, s->raw_len);
  if (s->compression != ND_COMPRESSION_NONE)
    s->dec = nd_decoder_new(s->compression);
  return TRUE;
}

static void
out_reserve(NdInStream *s, gsize extra)
{
  if (s->out_pos > 0 && s->out_pos == s->out_len)
    s->out_pos = s->out_len = 0;
  if (s->out_len + extra <= s->out_cap)
    return;
  if (s->out_pos > 0) {
    memmove(s->out, s->out + s->out_pos, s->out_len - s->out_pos);
    s->out_len -= s->out_pos;
    s->out_pos = 0;
  }
  if (s->out_len + extra > s->out_cap) {
    s->out_cap = MAX(s->out_len + extra, s->out_cap * 2);
    s->out = g_realloc(s->out, s->out_cap);
  }
}

/* Adds decoded bytes to `out`. 0 at the end, -1 on error (or halted). */
static gssize
fill(NdInStream *s, GError **error)
{
  if (s->pending != NULL) {
    g_propagate_error(error, g_steal_pointer(&s->pending));
    return -1;
  }
  if (s->failed)
    return 0;
  if (!s->sniffed && !sniff(s, error))
    return -1;
  out_reserve(s, CHUNK);
  if (s->compression == ND_COMPRESSION_NONE) {
    if (s->raw_pos < s->raw_len) { /* the bytes read while sniffing */
      gsize take = MIN(s->raw_len - s->raw_pos, s->out_cap - s->out_len);
      memcpy(s->out + s->out_len, s->raw + s->raw_pos, take);
      s->raw_pos += take;
      s->out_len += take;
      s->produced += take;
      return (gssize)take;
    }
    if (s->raw_eof)
      return 0;
    gssize got = source_read(s, s->out + s->out_len, s->out_cap - s->out_len, error);
    if (got > 0) {
      s->out_len += (gsize)got;
      s->produced += (guint64)got;
    }
    return got;
  }
  for (;;) {
    if (s->raw_pos == s->raw_len || nd_decoder_at_boundary(s->dec)) {
      if (s->raw_pos == s->raw_len && raw_fill(s, error) < 0)
        return -1;
      if (s->raw_pos == s->raw_len) { /* the end of the compressed bytes */
        if (!nd_decoder_at_boundary(s->dec)) {
          g_set_error(error, ND_ERROR, ND_ERROR_IO, "truncated %s data: the input ends inside a compressed "
                      "%s (at byte %" G_GUINT64_FORMAT ")", nd_in_stream_compression(s),
                      s->compression == ND_COMPRESSION_GZIP ? "member" : "frame", s->raw_offset + s->raw_pos);
          s->failed = TRUE;
          return -1;
        }
        return 0;
      }
      if (nd_decoder_at_boundary(s->dec)) {
        /* a new member: is it one? (the next 4 bytes tell; gzip may end with zero padding) */
        while (s->raw_len - s->raw_pos < 4 && !s->raw_eof)
          if (raw_fill(s, error) < 0)
            return -1;
        if (nd_compression_sniff(s->raw + s->raw_pos, s->raw_len - s->raw_pos) != s->compression) {
          gboolean zeros = TRUE;
          for (gsize i = s->raw_pos; i < s->raw_len && zeros; i++)
            zeros = s->raw[i] == 0;
          if (zeros && s->raw_eof && s->produced > 0)
            return 0;
          g_set_error(error, ND_ERROR, ND_ERROR_IO, "data that is not %s after the end of the compressed data "
                      "(at byte %" G_GUINT64_FORMAT ")", nd_in_stream_compression(s), s->raw_offset + s->raw_pos);
          s->failed = TRUE;
          return -1;
        }
        Member m = { s->produced, s->raw_offset + s->raw_pos };
        g_array_append_val(s->members, m);
      }
    }
    gsize used, produced;
    gboolean end;
    GError *e = NULL;
    gboolean ok = nd_decoder_step(s->dec, s->raw + s->raw_pos, s->raw_len - s->raw_pos, &used,
                                  s->out + s->out_len, s->out_cap - s->out_len, &produced, &end, &e);
    s->raw_pos += used;
    s->out_len += produced;
    s->produced += produced;
    if (!ok) {
      g_propagate_prefixed_error(error, e, "at byte %" G_GUINT64_FORMAT " of the compressed input: ",
                                 s->raw_offset + s->raw_pos);
      s->failed = TRUE;
      return -1;
    }
    if (produced > 0)
      return (gssize)produced;
    if (end || used > 0)
      continue;
    /* nothing taken, nothing given: the decoder wants more input than is buffered */
    if (s->raw_eof) {
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "truncated %s data: the input ends inside a compressed %s (at "
                  "byte %" G_GUINT64_FORMAT ")", nd_in_stream_compression(s),
                  s->compression == ND_COMPRESSION_GZIP ? "member" : "frame", s->raw_offset + s->raw_len);
      s->failed = TRUE;
      return -1;
    }
    gsize before = s->raw_len - s->raw_pos;
    if (raw_fill(s, error) < 0)
      return -1;
    if (s->raw_len - s->raw_pos == before && !s->raw_eof) {
      g_set_error(error, ND_ERROR, ND_ERROR_IO, "corrupt %s data (at byte %" G_GUINT64_FORMAT ")",
                  nd_in_stream_compression(s), s->raw_offset + s->raw_pos);
      s->failed = TRUE;
      return -1;
    }
  }
}

gboolean
nd_in_stream_resync(NdInStream *s)
{
  if (s->compression != ND_COMPRESSION_GZIP)
    return FALSE;
  s->failed = FALSE;
  g_clear_error(&s->pending);
  nd_decoder_reset(s->dec);
  /* drop what is buffered: it belongs to the broken member */
  s->offset += s->out_len - s->out_pos;
  s->out_pos = s->out_len = 0;
  s->produced = s->offset;
  s->raw_pos = MIN(s->raw_pos + 1, s->raw_len);
  for (;;) {
    while (s->raw_len - s->raw_pos >= 3) {
      const guint8 *hit = memchr(s->raw + s->raw_pos, 0x1f, s->raw_len - s->raw_pos - 2);
      if (hit == NULL) {
        s->raw_pos = s->raw_len - 2;
        break;
      }
      s->raw_pos = (gsize)(hit - s->raw);
      if (hit[1] == 0x8b && hit[2] == 8)
        return TRUE;
      s->raw_pos++;
    }
    if (s->raw_eof) {
      s->raw_pos = s->raw_len;
      return FALSE;
    }
    if (raw_fill(s, NULL) < 0) {
      s->raw_pos = s->raw_len;
      s->raw_eof = TRUE;
      return FALSE;
    }
  }
}

gssize
nd_in_stream_peek(NdInStream *s, gsize n, const guint8 **data, GError **error)
{
  while (s->out_len - s->out_pos < n) {
    GError *e = NULL;
    gssize got = fill(s, &e);
    if (got < 0 && s->out_len > s->out_pos && e != NULL) {
      s->pending = e; /* the bytes before the error first */
      break;
    }
    if (got < 0) {
      g_propagate_error(error, e);
      return -1;
    }
    if (got == 0)
      break;
  }
  *data = s->out + s->out_pos;
  return (gssize)(s->out_len - s->out_pos);
}

void
nd_in_stream_unread(NdInStream *s, const guint8 *data, gsize n)
{
  g_return_if_fail(n <= s->offset);
  gsize pending = s->out_len - s->out_pos;
  if (s->out_pos >= n) {
    s->out_pos -= n;
  } else {
    if (pending + n > s->out_cap) {
      s->out_cap = pending + n + CHUNK;
      s->out = g_realloc(s->out, s->out_cap);
    }
    memmove(s->out + n, s->out + s->out_pos, pending);
    s->out_pos = 0;
    s->out_len = pending + n;
  }
  memmove(s->out + s->out_pos, data, n);
  s->offset -= n;
}

void
nd_in_stream_consume(NdInStream *s, gsize n)
{
  g_return_if_fail(n <= s->out_len - s->out_pos);
  s->out_pos += n;
  s->offset += n;
}

gssize
nd_in_stream_read(NdInStream *s, void *buf, gsize n, GError **error)
{
  if (n == 0)
    return 0;
  if (s->out_pos == s->out_len) {
    if (s->sniffed && s->compression == ND_COMPRESSION_NONE && s->raw_pos == s->raw_len && n >= CHUNK) {
      if (s->raw_eof)
        return 0;
      gssize got = source_read(s, buf, n, error); /* straight into the caller's buffer */
      if (got > 0) {
        s->offset += (guint64)got;
        s->produced += (guint64)got;
      }
      if (got == 0)
        s->raw_eof = TRUE;
      return got;
    }
    gssize got = fill(s, error);
    if (got <= 0)
      return got;
  }
  gsize take = MIN(n, s->out_len - s->out_pos);
  memcpy(buf, s->out + s->out_pos, take);
  s->out_pos += take;
  s->offset += take;
  return (gssize)take;
}

guint64
nd_in_stream_member_offset(const NdInStream *s)
{
  if (s->compression == ND_COMPRESSION_NONE)
    return s->offset;
  /* the last member starting at or before the next byte to read */
  guint64 best = 0;
  for (guint i = 0; i < s->members->len; i++) {
    const Member *m = &g_array_index(s->members, Member, i);
    if (m->plain <= s->offset)
      best = m->raw;
    else
      break;
  }
  /* forget members wholly behind the reader */
  guint drop = 0;
  while (drop + 1 < s->members->len && g_array_index(s->members, Member, drop + 1).plain <= s->offset)
    drop++;
  if (drop > 64)
    g_array_remove_range(((NdInStream *)s)->members, 0, drop);
  return best;
}

gboolean
nd_in_stream_member_start(const NdInStream *s, guint64 *offset)
{
  if (s->compression == ND_COMPRESSION_NONE || s->dec == NULL)
    return FALSE;
  if (s->out_pos == s->out_len && nd_decoder_at_boundary(s->dec)) {
    *offset = s->raw_offset + s->raw_pos; /* the next member has not been started yet */
    return TRUE;
  }
  for (guint i = s->members->len; i > 0; i--) {
    const Member *m = &g_array_index(s->members, Member, i - 1);
    if (m->plain == s->offset) {
      *offset = m->raw;
      return TRUE;
    }
    if (m->plain < s->offset)
      break;
  }
  return FALSE;
}

gboolean
nd_in_stream_read_all(NdInStream *s, GByteArray *out, gsize max_bytes, GError **error)
{
  gsize limit = MIN(max_bytes, (gsize)G_MAXUINT32 - 2); /* a GByteArray holds less than 4 GiB */
  for (;;) {
    gsize room = limit + 1 - out->len;
    if (room == 0)
      return TRUE;
    gsize old = out->len, want = MIN(room, CHUNK);
    g_byte_array_set_size(out, (guint)(old + want));
    gssize n = nd_in_stream_read(s, out->data + old, want, error);
    g_byte_array_set_size(out, (guint)(old + (n > 0 ? (gsize)n : 0)));
    if (n == 0)
      return TRUE;
    if (n < 0)
      return s->loader != NULL && nd_loader_halted(s->loader) && (error == NULL || *error == NULL);
  }
}

void
nd_line_reader_init(NdLineReader *r, NdInStream *in)
{
  *r = (NdLineReader){ .in = in };
}

void
nd_line_reader_clear(NdLineReader *r)
{
  g_free(r->line);
  g_clear_error(&r->error);
}

static void
line_append(NdLineReader *r, const guint8 *data, gsize n)
{
  if (r->line == NULL || r->line_len + n + 1 > r->line_cap) {
    r->line_cap = MAX(r->line_len + n + 1, MAX(r->line_cap * 2, (gsize)256));
    r->line = g_realloc(r->line, r->line_cap);
  }
  memcpy(r->line + r->line_len, data, n);
  r->line_len += n;
  r->line[r->line_len] = '\0';
}

gboolean
nd_line_reader_next(NdLineReader *r, gsize limit, guint64 *length, gboolean *too_long)
{
  NdInStream *s = r->in;
  r->line_len = 0;
  if (r->line != NULL)
    r->line[0] = '\0';
  *length = 0;
  *too_long = FALSE;
  gboolean any = FALSE;
  if (r->error != NULL)
    return FALSE;
  for (;;) {
    if (s->out_pos == s->out_len) {
      gssize got = fill(s, &r->error);
      if (got < 0)
        return FALSE;
      if (got == 0)
        return any;
      continue;
    }
    any = TRUE;
    const guint8 *start = s->out + s->out_pos;
    const guint8 *nl = memchr(start, '\n', s->out_len - s->out_pos);
    gsize seg = nl ? (gsize)(nl - start) : s->out_len - s->out_pos;
    *length += seg;
    if (!*too_long && *length > limit) {
      *too_long = TRUE;
      g_clear_pointer(&r->line, g_free);
      r->line_len = r->line_cap = 0;
    }
    if (!*too_long)
      line_append(r, start, seg);
    s->out_pos += seg;
    s->offset += seg;
    if (nl != NULL) {
      s->out_pos++;
      s->offset++;
      return TRUE;
    }
  }
}
