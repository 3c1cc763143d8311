/* warc.c — WARC files (ISO 28500: WARC/1.0 and WARC/1.1), plain or compressed (a .warc.gz with one
 * gzip member per record, as crawlers write them, or gzip'd whole).
 *
 * Every `response` record holding an HTTP response with an HTML or plain-text body, and every
 * `resource` record of such a type, is an article: its id is the WARC-Target-URI and its metadata
 * the URI, WARC-Date, WARC-Record-ID and the record's offset in the file (of its gzip member in a
 * .warc.gz, as CDX indexes give it), beside what the page says of itself (title, date, site...).
 * Other records (request, metadata, revisit, warcinfo, responses of images and scripts, HTTP errors
 * and redirects) are passed over and counted by kind. A record is named FILE@OFFSET in messages.
 *
 * Design: the producer reads each record's header and its block (Content-Length bytes) from the
 * stream, checks that the record ends where its Content-Length says (a blank line), and queues the
 * block; responses that are not articles are recognised from their HTTP status and Content-Type and
 * passed over there. Workers parse the HTTP message: status, Content-Type (and its
 * charset), chunked transfer encoding, gzip and deflate content encoding, then hand the body to the
 * document formats (formats.c). A malformed record gets one message and the reader looks for the
 * next line starting with "WARC/" (first inside the block just read, when a Content-Length that is
 * too long swallowed the next record's start; after corrupt gzip data, at the next gzip member); a
 * record whose Content-Length runs past the end of the file ends the file with a message.
 *
 * Why not libarchive (Debian's libarchive 3.6 reads WARC): it exposes records as files named by
 * their URI, without the other WARC headers (Record-ID, the type of skipped records), without record
 * offsets, and it gives up on the rest of the file after a malformed record. What a WARC reader must
 * do here is small (a header block and a length) and is done in this file; zlib and libzstd decode.
 */
#include "source.h"
#include <string.h>

#define MAX_HEADER_LINE ((gsize)16 << 10)
#define MAX_HEADER ((gsize)256 << 10)
/* HTTP headers and chunk framing a record may hold beyond --max-bytes of body. */
#define HTTP_SLACK ((gsize)1 << 20)
#define SKIP_CHUNK ((gsize)64 << 10)

static const char PASS_REQUEST[] = "WARC request records";
static const char PASS_METADATA[] = "WARC metadata records";
static const char PASS_REVISIT[] = "WARC revisit records";
static const char PASS_WARCINFO[] = "WARC warcinfo records";
static const char PASS_OTHER_TYPE[] = "WARC records of other types (conversion, continuation ...)";
static const char PASS_NOT_TEXT[] = "WARC responses that are not HTML or plain text (images, scripts, stylesheets, PDF ...)";
static const char PASS_STATUS[] = "WARC responses with an HTTP status other than 2xx (redirects, errors)";
static const char PASS_NOT_HTTP[] = "WARC response records that do not hold an HTTP response (application/http)";

typedef struct {
  char *target_uri, *date, *record_id;
  guint64 offset;
  gboolean http; /* the block is an HTTP response; otherwise it is the document (a resource) */
  char *content_type; /* of a resource record */
} Record;

static void
record_free(gpointer data)
{
  Record *r = data;
  g_free(r->target_uri);
  g_free(r->date);
  g_free(r->record_id);
  g_free(r->content_type);
  g_free(r);
}

/* TRUE when the media type of `ct` (parameters ignored) is one of the article types. */
static gboolean
article_type(const char *ct, gsize len)
{
  static const char *const types[] = { "text/html", "application/xhtml+xml", "text/plain" };
  while (len > 0 && (*ct == ' ' || *ct == '\t')) {
    ct++;
    len--;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(types); i++) {
    gsize n = strlen(types[i]);
    if (len >= n && g_ascii_strncasecmp(ct, types[i], n) == 0 &&
        (len == n || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t' || ct[n] == '\r'))
      return TRUE;
  }
  return FALSE;
}

/* ---- HTTP ---- */

typedef struct {
  int status;
  const char *content_type; /* in the block; content_type_len bytes */
  gsize content_type_len;
  gboolean chunked;
  const char *encoding;     /* Content-Encoding value */
  gsize encoding_len;
  gsize body;               /* offset of the body in the block */
} Http;

/* Parses an HTTP response's status line and headers in b[0..n). FALSE when they are not all there
 * (`complete`: n is the whole block, so that is an error: *error set). */
static gboolean
http_parse(const char *b, gsize n, gboolean complete, Http *h, GError **error)
{
  memset(h, 0, sizeof *h);
  if (n < 5 || memcmp(b, "HTTP/", 5) != 0) {
    if (n >= 5 || complete)
      g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "the response record does not hold an HTTP response (it starts "
                  "with \"%.*s\")", (int)MIN(n, (gsize)12), b);
    return FALSE;
  }
  const char *eol = memchr(b, '\n', n);
  if (eol == NULL)
    goto incomplete;
  const char *sp = memchr(b, ' ', (gsize)(eol - b));
  if (sp == NULL || eol - sp < 4 || !g_ascii_isdigit(sp[1]) || !g_ascii_isdigit(sp[2]) || !g_ascii_isdigit(sp[3])) {
    g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "malformed HTTP status line \"%.*s\"",
                (int)MIN((gsize)(eol - b), (gsize)60), b);
    return FALSE;
  }
  h->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
  const char *line = eol + 1, *end = b + n;
  for (;;) {
    eol = memchr(line, '\n', (gsize)(end - line));
    if (eol == NULL)
      goto incomplete;
    gsize len = (gsize)(eol - line);
    if (len > 0 && line[len - 1] == '\r')
      len--;
    if (len == 0) {
      h->body = (gsize)(eol + 1 - b);
      return TRUE;
    }
    const char *colon = memchr(line, ':', len);
    if (colon != NULL) {
      gsize name_len = (gsize)(colon - line);
      const char *v = colon + 1;
      gsize v_len = len - name_len - 1;
      while (v_len > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        v_len--;
      }
      while (v_len > 0 && (v[v_len - 1] == ' ' || v[v_len - 1] == '\t'))
        v_len--;
      if (name_len == 12 && g_ascii_strncasecmp(line, "content-type", 12) == 0) {
        h->content_type = v;
        h->content_type_len = v_len;
      } else if (name_len == 17 && g_ascii_strncasecmp(line, "transfer-encoding", 17) == 0) {
        h->chunked = g_strstr_len(v, (gssize)v_len, "chunked") != NULL ||
                     g_strstr_len(v, (gssize)v_len, "Chunked") != NULL;
      } else if (name_len == 16 && g_ascii_strncasecmp(line, "content-encoding", 16) == 0) {
        h->encoding = v;
        h->encoding_len = v_len;
      }
    }
    line = eol + 1;
  }
incomplete:
  if (complete)
    g_set_error_literal(error, ND_ERROR, ND_ERROR_FORMAT, "the HTTP header does not end (no blank line)");
  return FALSE;
}

/* Decodes a chunked body b[0..n) into `out` (at most `max` bytes). A body that does not start with a
 * chunk size line was stored decoded already (as some crawlers do): FALSE without an error, use it as
 * it is. ND_ERROR_FORMAT for a wrong chunk size or framing. */
static gboolean
dechunk(const guint8 *b, gsize n, gsize max, GByteArray *out, GError **error)
{
  g_byte_array_set_size(out, 0);
  gsize i = 0;
  gboolean first = TRUE;
  for (;;) {
    gsize line = i;
    guint64 size = 0;
    gsize digits = 0;
    while (i < n && g_ascii_isxdigit(b[i]) && digits < 16) {
      size = size * 16 + (guint64)g_ascii_xdigit_value(b[i]);
      i++;
      digits++;
    }
    if (digits == 0 || (i < n && g_ascii_isxdigit(b[i]))) {
      if (first)
        return FALSE;
      g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "HTTP chunked body: no chunk size at byte %" G_GSIZE_FORMAT
                  " of the body (a wrong chunk size before it?)", line);
      return FALSE;
    }
    while (i < n && b[i] != '\n') /* chunk extensions, CR */
      i++;
    if (i >= n) {
      if (first)
        return FALSE;
      g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "HTTP chunked body: truncated chunk size line at byte %"
                  G_GSIZE_FORMAT, line);
      return FALSE;
    }
    i++;
    first = FALSE;
    if (size == 0)
      return TRUE; /* trailers, if any, are ignored */
    if (size > n - i) {
      g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "HTTP chunked body: a chunk of %" G_GUINT64_FORMAT " bytes at "
                  "byte %" G_GSIZE_FORMAT " runs past the end of the record (%" G_GSIZE_FORMAT " bytes left)", size,
                  line, n - i);
      return FALSE;
    }
    if (out->len + size > max) {
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "the body is larger than the maximum of %" G_GSIZE_FORMAT
                  " bytes", max);
      return FALSE;
    }
    g_byte_array_append(out, b + i, (guint)size);
    i += (gsize)size;
    if (i < n && b[i] == '\r')
      i++;
    if (i >= n || b[i] != '\n') {
      g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "HTTP chunked body: the chunk of %" G_GUINT64_FORMAT " bytes at "
                  "byte %" G_GSIZE_FORMAT " is not followed by a line end (a wrong chunk size?)", size, line);
      return FALSE;
    }
    i++;
  }
}

/* ---- the worker's half ---- */

static gboolean
warc_read(NdWorkerCtx *ctx, const NdItem *item, NdArticle *out, GError **error)
{
  const Record *r = item->data;
  const guint8 *body = (const guint8 *)item->payload;
  gsize len = item->payload_len;
  g_autofree char *content_type = NULL;
  g_autoptr(GByteArray) decoded = NULL;
  gsize max = ctx->config->max_bytes;
  if (r->http) {
    Http h;
    if (!http_parse(item->payload, item->payload_len, TRUE, &h, error))
      return FALSE;
    if (h.status < 200 || h.status > 299) {
      out->pass_reason = PASS_STATUS;
      return TRUE;
    }
    if (h.content_type != NULL) {
      if (!article_type(h.content_type, h.content_type_len)) {
        out->pass_reason = PASS_NOT_TEXT;
        return TRUE;
      }
      content_type = g_strndup(h.content_type, h.content_type_len);
    }
    body += h.body;
    len -= h.body;
    if (h.chunked) {
      decoded = g_byte_array_new();
      GError *e = NULL;
      if (dechunk(body, len, max, decoded, &e)) {
        body = decoded->data;
        len = decoded->len;
      } else if (e != NULL) {
        g_propagate_error(error, e);
        return FALSE;
      }
    }
    if (h.encoding != NULL && !(h.encoding_len == 8 && g_ascii_strncasecmp(h.encoding, "identity", 8) == 0)) {
      gboolean gzip = (h.encoding_len == 4 && g_ascii_strncasecmp(h.encoding, "gzip", 4) == 0) ||
                      (h.encoding_len == 6 && g_ascii_strncasecmp(h.encoding, "x-gzip", 6) == 0);
      gboolean deflate = h.encoding_len == 7 && g_ascii_strncasecmp(h.encoding, "deflate", 7) == 0;
      if (!gzip && !deflate) {
        g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "Content-Encoding \"%.*s\" is not supported (gzip and deflate "
                    "are)", (int)MIN(h.encoding_len, (gsize)40), h.encoding);
        return FALSE;
      }
      GByteArray *inflated = g_byte_array_new();
      gboolean truncated;
      if (!nd_inflate_body(body, len, gzip, max, inflated, &truncated, error)) {
        g_byte_array_unref(inflated);
        return FALSE;
      }
      if (truncated)
        g_set_error(&out->warning, ND_ERROR, ND_ERROR_FORMAT, "the %s body ends early (truncated record); read what "
                    "it holds", gzip ? "gzip" : "deflate");
      if (decoded != NULL)
        g_byte_array_unref(decoded);
      decoded = inflated;
      body = decoded->data;
      len = decoded->len;
    }
  } else if (r->content_type != NULL) {
    content_type = g_strdup(r->content_type);
  }
  if (len > max) {
    g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "body of %" G_GSIZE_FORMAT " bytes is larger than the maximum of %"
                G_GSIZE_FORMAT " bytes", len, max);
    return FALSE;
  }
  if (len > 0 && nd_bytes_look_binary(body, MIN(len, (gsize)4096))) {
    g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "binary data (a NUL byte or the signature of a binary format) "
                "behind Content-Type %s", content_type ? content_type : "(none)");
    return FALSE;
  }
  NdDocInput in = { item->name, body, len, content_type, r->target_uri };
  GError *warning = out->warning;
  out->warning = NULL;
  if (!nd_parse_document(ctx, &in, out, error)) {
    g_clear_error(&warning);
    return FALSE;
  }
  if (warning != NULL) {
    g_clear_error(&out->warning);
    out->warning = warning;
  }
  if (out->owned_text == NULL && decoded != NULL) { /* plain text pointing into the decoded body */
    out->len = decoded->len;
    out->owned_text = (char *)g_byte_array_free(g_steal_pointer(&decoded), FALSE);
    out->text = out->owned_text;
  } else if (out->owned_text == NULL) {
    out->owned_text = g_strndup((const char *)body, len); /* the item's payload outlives this call, but copy: */
    out->text = out->owned_text;                           /* the article owns its text */
  }
  if (out->meta == NULL)
    out->meta = json_object_new();
  if (r->target_uri != NULL) {
    out->id = g_strdup(r->target_uri);
    if (!json_object_has_member(out->meta, "url"))
      json_object_set_string_member(out->meta, "url", r->target_uri);
    json_object_set_string_member(out->meta, "warc_target_uri", r->target_uri);
  }
  if (r->date != NULL)
    json_object_set_string_member(out->meta, "warc_date", r->date);
  if (r->record_id != NULL)
    json_object_set_string_member(out->meta, "warc_record_id", r->record_id);
  json_object_set_int_member(out->meta, "warc_offset", (gint64)r->offset);
  return TRUE;
}

/* ---- the producer's half ---- */

/* Reads and drops n bytes. FALSE at an early end or error (*got: bytes dropped). */
static gboolean
skip_bytes(NdInStream *s, guint64 n, guint64 *got, GError **error)
{
  guint8 buf[SKIP_CHUNK];
  *got = 0;
  while (*got < n) {
    gssize k = nd_in_stream_read(s, buf, (gsize)MIN(n - *got, (guint64)sizeof buf), error);
    if (k <= 0)
      return FALSE;
    *got += (guint64)k;
  }
  return TRUE;
}

/* Reads exactly n bytes into buf (appended). FALSE at an early end or error (*got: bytes read). */
static gboolean
read_bytes(NdInStream *s, GByteArray *buf, gsize n, gsize *got, GError **error)
{
  *got = 0;
  while (*got < n) {
    gsize old = buf->len, want = MIN(n - *got, SKIP_CHUNK);
    g_byte_array_set_size(buf, (guint)(old + want));
    gssize k = nd_in_stream_read(s, buf->data + old, want, error);
    g_byte_array_set_size(buf, (guint)(old + (k > 0 ? (gsize)k : 0)));
    if (k <= 0)
      return FALSE;
    *got += (gsize)k;
  }
  return TRUE;
}

/* The offset a record starting at the stream's position has: its gzip member's in a .warc.gz of
 * one member per record, otherwise its offset in the (decompressed) WARC. */
static guint64
here(const NdInStream *s)
{
  guint64 member;
  return nd_in_stream_member_start(s, &member) ? member : nd_in_stream_offset(s);
}

/* Reads one line (up to `limit` bytes, without its line end) into `line`. FALSE at the end (nothing
 * read) or on an error; *too_long when the line was longer (the rest of it is left unread). */
static gboolean
read_line(NdInStream *s, GString *line, gsize limit, gboolean *too_long, GError **error)
{
  g_string_truncate(line, 0);
  *too_long = FALSE;
  for (;;) {
    const guint8 *data;
    gssize n = nd_in_stream_peek(s, 1, &data, error);
    if (n < 0)
      return FALSE;
    if (n == 0)
      return line->len > 0;
    const guint8 *nl = memchr(data, '\n', (gsize)n);
    gsize take = nl ? (gsize)(nl - data) + 1 : (gsize)n;
    g_string_append_len(line, (const char *)data, (gssize)take);
    nd_in_stream_consume(s, take);
    if (line->len > limit + 1) {
      *too_long = TRUE;
      return TRUE;
    }
    if (nl != NULL) {
      g_string_truncate(line, line->len - 1);
      if (line->len > 0 && line->str[line->len - 1] == '\r')
        g_string_truncate(line, line->len - 1);
      return TRUE;
    }
  }
}

/* The item number, within a share's range of a .warc.gz, of a record starting at the stream's
 * position: its member's offset in the file (one record per member: here()); for a record inside a
 * member (which the range's plan looks for, ranges.c), the offset of the member that holds it, so
 * that numbers still follow the file's order. */
static guint64
range_number(const NdInStream *s)
{
  guint64 member;
  return nd_in_stream_member_start(s, &member) ? member : nd_in_stream_member_offset(s);
}

/* After a malformed record: reads on to the next line that starts a WARC record (into `line`, its
 * offset into *offset, its range_number into *number). FALSE at the end. */
static gboolean
resync(NdInStream *s, GString *line, guint64 *offset, guint64 *number)
{
  gboolean too_long;
  for (;;) {
    GError *e = NULL;
    *offset = here(s);
    *number = range_number(s);
    if (!read_line(s, line, MAX_HEADER_LINE, &too_long, &e)) {
      gboolean more = e != NULL && nd_in_stream_resync(s);
      g_clear_error(&e);
      if (!more)
        return FALSE;
      continue;
    }
    if (!too_long && g_str_has_prefix(line->str, "WARC/"))
      return TRUE;
  }
}

static char *
record_name(const char *display, guint64 offset)
{
  return g_strdup_printf("%s@%" G_GUINT64_FORMAT, display, offset);
}

static void produce_records(NdLoader *l, NdInStream *s, const char *display, guint64 stop);

/* The records of the WARC `s`: all of them, or with a range of this file (input.h: a .warc.gz of
 * one member per record, cut at member starts), those that start in it. */
static void
warc_produce(NdLoader *l, NdInStream *s, const char *display)
{
  const NdLoaderRange *range = nd_loader_input_range(l, display);
  const char *compression = nd_in_stream_compression(s);
  if (range == NULL || compression == NULL || strcmp(compression, "gzip") != 0 ||
      nd_in_stream_file_size(s) != (gint64)range->range.size) {
    produce_records(l, s, display, G_MAXUINT64); /* not the file planned: the shares notice (nd_loader_items) */
    return;
  }
  nd_loader_range_begin(l, display, range->range.size);
  if (nd_in_stream_seek(s, range->range.start))
    produce_records(l, s, display, range->range.end);
  else
    nd_loader_queue_error(l, display, g_error_new(ND_ERROR, ND_ERROR_IO, "cannot seek to byte %" G_GUINT64_FORMAT
                                                  " (this rank's share)", range->range.start));
  nd_loader_range_end(l);
}

/* Queues the records that start before `stop` (an offset in the file; G_MAXUINT64: all). */
static void
produce_records(NdLoader *l, NdInStream *s, const char *display, guint64 stop)
{
  g_autoptr(GString) line = g_string_new(NULL);
  g_autoptr(GByteArray) block = g_byte_array_new();
  gsize max_block = nd_loader_config(l)->max_bytes + HTTP_SLACK;
  gboolean have_version = FALSE; /* resync found the next record's first line */
  guint64 version_offset = 0, version_number = 0;
  const gboolean ranged = stop != G_MAXUINT64;
  while (!nd_loader_halted(l)) {
    GError *error = NULL;
    gboolean too_long;
    guint64 offset;
    if (have_version) {
      offset = version_offset;
    } else {
      /* blank lines between records are tolerated */
      offset = here(s);
      if (ranged && range_number(s) >= stop)
        return;
      if (ranged)
        nd_loader_range_at(l, range_number(s));
      if (!read_line(s, line, MAX_HEADER_LINE, &too_long, &error)) {
        if (error != NULL) {
          g_autofree char *name = record_name(display, offset);
          nd_loader_queue_error(l, name, error);
          if (nd_in_stream_resync(s))
            continue;
        }
        return;
      }
      if (line->len == 0 && !too_long)
        continue;
    }
    if (ranged && have_version && version_number >= stop)
      return;
    if (ranged && have_version)
      nd_loader_range_at(l, version_number);
    have_version = FALSE;
    g_autofree char *name = record_name(display, offset);
    if (!g_str_has_prefix(line->str, "WARC/")) {
      nd_loader_queue_error(l, name, g_error_new(ND_ERROR, ND_ERROR_FORMAT, "not the start of a WARC record: "
                                                 "expected a line \"WARC/1.1\", found \"%.40s\"%s; looking for the next "
                                                 "record", line->str, line->len > 40 ? "..." : ""));
      if (!resync(s, line, &version_offset, &version_number))
        return;
      have_version = TRUE;
      continue;
    }
    /* the header fields */
    g_autofree char *type = NULL, *uri = NULL, *date = NULL, *rid = NULL, *ctype = NULL;
    gint64 length = -1;
    gsize header_bytes = 0;
    gboolean bad = FALSE;
    for (;;) {
      if (!read_line(s, line, MAX_HEADER_LINE, &too_long, &error) || too_long) {
        if (error == NULL)
          error = g_error_new(ND_ERROR, ND_ERROR_FORMAT, too_long ? "a header line of the record is longer than %"
                              G_GSIZE_FORMAT " bytes" : "the input ends inside the record's header", MAX_HEADER_LINE);
        bad = TRUE;
        break;
      }
      header_bytes += line->len + 2;
      if (line->len == 0)
        break;
      if (header_bytes > MAX_HEADER) {
        error = g_error_new(ND_ERROR, ND_ERROR_FORMAT, "the record's header is longer than %" G_GSIZE_FORMAT " bytes",
                            MAX_HEADER);
        bad = TRUE;
        break;
      }
      char *colon = strchr(line->str, ':');
      if (colon == NULL)
        continue;
      *colon = '\0';
      g_autofree char *valid = g_utf8_make_valid(g_strstrip(colon + 1), -1); /* ids and metadata are UTF-8 */
      char *value = valid;
      const char *field = g_strstrip(line->str);
      if (g_ascii_strcasecmp(field, "WARC-Type") == 0)
        g_free(type), type = g_strdup(value);
      else if (g_ascii_strcasecmp(field, "WARC-Target-URI") == 0)
        g_free(uri), uri = g_strdup(value[0] == '<' && g_str_has_suffix(value, ">") ? value + 1 : value);
      else if (g_ascii_strcasecmp(field, "WARC-Date") == 0)
        g_free(date), date = g_strdup(value);
      else if (g_ascii_strcasecmp(field, "WARC-Record-ID") == 0)
        g_free(rid), rid = g_strdup(value);
      else if (g_ascii_strcasecmp(field, "Content-Type") == 0)
        g_free(ctype), ctype = g_strdup(value);
      else if (g_ascii_strcasecmp(field, "Content-Length") == 0) {
        char *end;
        guint64 v = g_ascii_strtoull(value, &end, 10);
        length = (*value != '\0' && *end == '\0' && g_ascii_isdigit(*value) && v < G_MAXINT64) ? (gint64)v : -2;
      }
    }
    if (uri != NULL && g_str_has_suffix(uri, ">"))
      uri[strlen(uri) - 1] = '\0';
    if (!bad && length < 0) {
      error = g_error_new(ND_ERROR, ND_ERROR_FORMAT, length == -1 ? "the record has no Content-Length" :
                          "the record's Content-Length is not a number");
      bad = TRUE;
    }
    if (bad) {
      nd_loader_queue_error(l, name, error);
      if (!resync(s, line, &version_offset, &version_number))
        return;
      have_version = TRUE;
      continue;
    }
    /* what kind of record */
    const char *pass = NULL;
    gboolean http = FALSE, want = FALSE;
    if (type == NULL || g_ascii_strcasecmp(type, "response") == 0) {
      http = ctype != NULL && g_ascii_strncasecmp(ctype, "application/http", 16) == 0;
      want = http;
      if (!http)
        pass = PASS_NOT_HTTP;
    } else if (g_ascii_strcasecmp(type, "resource") == 0) {
      want = ctype != NULL && article_type(ctype, strlen(ctype));
      if (!want)
        pass = PASS_NOT_TEXT;
    } else if (g_ascii_strcasecmp(type, "request") == 0) {
      pass = PASS_REQUEST;
    } else if (g_ascii_strcasecmp(type, "metadata") == 0) {
      pass = PASS_METADATA;
    } else if (g_ascii_strcasecmp(type, "revisit") == 0) {
      pass = PASS_REVISIT;
    } else if (g_ascii_strcasecmp(type, "warcinfo") == 0) {
      pass = PASS_WARCINFO;
    } else {
      pass = PASS_OTHER_TYPE;
    }
    /* the block: kept (to be parsed, or searched for the next record when its length is wrong) unless
     * it is larger than any article could be */
    g_byte_array_set_size(block, 0);
    guint64 got = 0;
    gboolean complete, kept = (guint64)length <= max_block;
    if (kept) {
      gsize n;
      complete = read_bytes(s, block, (gsize)length, &n, &error);
      got = n;
    } else {
      complete = skip_bytes(s, (guint64)length, &got, &error);
    }
    if (!complete) {
      if (error == NULL && nd_loader_halted(l))
        return;
      if (error == NULL)
        error = g_error_new(ND_ERROR, ND_ERROR_FORMAT, "truncated record: its Content-Length is %" G_GINT64_FORMAT
                            " bytes, but the input ends after %" G_GUINT64_FORMAT " of them", length, got);
      nd_loader_queue_error(l, name, error);
      if (nd_in_stream_resync(s))
        continue;
      return;
    }
    if (want && !kept) {
      nd_loader_queue_error(l, name, g_error_new(ND_ERROR, ND_ERROR_TOO_LARGE, "record of %" G_GINT64_FORMAT
                                                 " bytes is larger than the maximum of %" G_GSIZE_FORMAT
                                                 " bytes; skipped", length, max_block));
      want = FALSE;
      pass = NULL; /* reported, not counted */
    }
    if (want && http) { /* a response that is not an article is passed over here, not queued */
      Http h;
      if (http_parse((const char *)block->data, block->len, TRUE, &h, NULL) &&
          ((h.status < 200 || h.status > 299) ||
           (h.content_type != NULL && !article_type(h.content_type, h.content_type_len)))) {
        pass = h.status < 200 || h.status > 299 ? PASS_STATUS : PASS_NOT_TEXT;
        want = FALSE;
      }
    }
    /* the record ends with a blank line (CRLF CRLF) */
    const guint8 *tail;
    gssize t = nd_in_stream_peek(s, 4, &tail, &error);
    if (t < 0) {
      nd_loader_queue_error(l, name, error);
      if (nd_in_stream_resync(s))
        continue;
      return;
    }
    gsize end_len = t >= 4 && memcmp(tail, "\r\n\r\n", 4) == 0 ? 4 : t >= 2 && memcmp(tail, "\n\n", 2) == 0 ? 2 : 0;
    if (end_len == 0 && t > 0) {
      nd_loader_queue_error(l, name, g_error_new(ND_ERROR, ND_ERROR_FORMAT, "the record does not end where its "
                                                 "Content-Length (%" G_GINT64_FORMAT ") says: no blank line after "
                                                 "it (a wrong Content-Length?); skipped", length));
      /* a Content-Length too long swallowed the start of the next record: look for it in the block */
      for (gsize k = 1; kept && k + 6 < block->len; k++) {
        const guint8 *hit = memchr(block->data + k, '\n', block->len - k);
        if (hit == NULL)
          break;
        k = (gsize)(hit - block->data);
        if (k + 6 < block->len && memcmp(hit + 1, "WARC/", 5) == 0) {
          nd_in_stream_unread(s, hit + 1, block->len - k - 1);
          break;
        }
      }
      if (!resync(s, line, &version_offset, &version_number))
        return;
      have_version = TRUE;
      continue;
    }
    guint8 scratch[4];
    if (end_len > 0 && nd_in_stream_read(s, scratch, end_len, NULL) != (gssize)end_len)
      return;
    if (!want) {
      if (pass != NULL)
        nd_loader_queue_pass(l, name, pass);
      continue;
    }
    Record *r = g_new0(Record, 1);
    r->target_uri = g_steal_pointer(&uri);
    r->date = g_steal_pointer(&date);
    r->record_id = g_steal_pointer(&rid);
    r->offset = offset;
    r->http = http;
    if (!http)
      r->content_type = g_steal_pointer(&ctype);
    gsize len = block->len;
    guint8 zero = 0;
    g_byte_array_append(block, &zero, 1);
    NdItem it = { .format = &nd_format_warc, .name = g_steal_pointer(&name),
                  .payload = (char *)g_byte_array_free(g_steal_pointer(&block), FALSE), .payload_len = len,
                  .data = r };
    nd_loader_queue(l, &it);
    block = g_byte_array_new();
  }
}

static gboolean
warc_sniff(const guint8 *head, gsize len, gboolean complete)
{
  (void)complete;
  return len >= 7 && memcmp(head, "WARC/", 5) == 0 && g_ascii_isdigit(head[5]) && head[6] == '.';
}

const NdFormat nd_format_warc = {
  .name = "warc",
  .sniff = warc_sniff,
  .produce = warc_produce,
  .read = warc_read,
  .item_data_free = record_free,
};
