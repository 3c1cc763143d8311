/* jsonl.c — JSON Lines: one article per line, a JSON object with an id field, a text field and
 * metadata (its other fields).
 *
 * The producer streams lines (never holding more than the longest line allowed), the workers parse
 * them: json.c's strict grammar check reads each line in one pass and notes where its members are;
 * the id and text are decoded from there and the other members become the metadata, with no parse
 * tree (see parse_json_record).
 */
#include "source.h"
#include "json.h"
#include <string.h>

#define READ_CHUNK ((gsize)64 << 10)

typedef struct {
  const char *id_field, *text_field; /* interned by the loader */
} JsonlFields;

/* A worker's buffers, kept from record to record. */
typedef struct {
  GArray *members; /* NdJsonMember: the record's top-level members */
  GString *text;   /* the text of the last record read */
  GString *name;   /* a member name with escapes, decoded */
} JsonlWorker;

/* TRUE when the member name s[m] (as written) is `field`. */
static gboolean
member_is(JsonlWorker *w, const char *s, const NdJsonMember *m, const char *field)
{
  const char *name = s + m->name_start;
  if (memchr(name, '\\', m->name_len) == NULL)
    return strlen(field) == m->name_len && memcmp(name, field, m->name_len) == 0;
  g_string_truncate(w->name, 0);
  nd_json_unescape_append(name, m->name_len, w->name);
  return strlen(field) == w->name->len && memcmp(w->name->str, field, w->name->len) == 0;
}

/* Reads the record in one pass of the grammar check, without building a tree (json-glib's reader
 * costs a third of an archive add on its own): the id and the text are decoded from where they are
 * written, and the other members are written out as the metadata object. What json-glib would
 * refuse (UTF-8 that is not, a name given twice) is refused here with the same words. */
static gboolean
parse_json_record(JsonlWorker *w, const NdItem *it, const JsonlFields *f, gsize max_bytes, NdArticle *out,
                  GError **error)
{
  const char *s = it->payload;
  NdJsonScan scan;
  if (!nd_json_check_members(s, it->payload_len, max_bytes, &scan, w->members, error))
    return FALSE;
  if (!nd_utf8_valid(s, it->payload_len)) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_JSON, "malformed JSON: JSON data must be UTF-8 encoded");
    return FALSE;
  }
  gsize first = it->payload_len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  while (first < it->payload_len && g_ascii_isspace(s[first]))
    first++;
  if (first >= it->payload_len || s[first] != '{') {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_JSON, "the JSON line is not an object");
    return FALSE;
  }
  if (scan.nul_at >= 0) { /* json-glib would cut the string at the NUL: name the field that holds it */
    g_autofree char *field = scan.nul_member_set ? g_strndup(s + scan.nul_member_start, scan.nul_member_len) : NULL;
    if (field != NULL && strcmp(field, f->id_field) == 0)
      g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "binary data: the id (field \"%s\") contains \\u0000 (NUL) "
                  "at byte %" G_GSSIZE_FORMAT " of the line", field, scan.nul_at);
    else if (field != NULL && strcmp(field, f->text_field) == 0)
      g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "binary data: the text (field \"%s\") contains \\u0000 (NUL) "
                  "at byte %" G_GSSIZE_FORMAT " of the line", field, scan.nul_at);
    else
      g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "binary data: the field \"%s\" contains \\u0000 (NUL) at "
                  "byte %" G_GSSIZE_FORMAT " of the line", field ? field : "?", scan.nul_at);
    return FALSE;
  }
  /* The id and the text; the other members move down in place and become the metadata. */
  NdJsonMember id_m = { 0 }, text_m = { 0 };
  gboolean id = FALSE, text = FALSE;
  NdJsonMember *m = (NdJsonMember *)w->members->data;
  guint n_meta = 0;
  for (guint k = 0; k < w->members->len; k++) {
    gboolean is_id = member_is(w, s, &m[k], f->id_field);
    if (!is_id && !member_is(w, s, &m[k], f->text_field)) {
      m[n_meta++] = m[k];
      continue;
    }
    if (is_id ? id : text) {
      g_set_error_literal(error, ND_ERROR, ND_ERROR_JSON, "an object in the record has the same member name twice; "
                          "the JSON reader would keep only the last value");
      return FALSE;
    }
    *(is_id ? &id_m : &text_m) = m[k];
    *(is_id ? &id : &text) = TRUE;
  }
  g_autoptr(GError) meta_error = NULL;
  g_autofree char *meta = nd_json_members_canonical(s, m, n_meta, &meta_error);
  if (meta_error != NULL) {
    g_propagate_error(error, g_steal_pointer(&meta_error));
    return FALSE;
  }
  const char *v = s + id_m.value_start;
  gsize v_len = id_m.value_end - id_m.value_start;
  if (id && v[0] == '"') {
    g_string_truncate(w->name, 0);
    nd_json_unescape_append(v + 1, v_len - 2, w->name);
    out->id = g_strndup(w->name->str, w->name->len);
  } else if (id && (v[0] == '-' || g_ascii_isdigit(v[0])) && memchr(v, '.', v_len) == NULL &&
             memchr(v, 'e', v_len) == NULL && memchr(v, 'E', v_len) == NULL) {
    /* An integer (checked to fit in 64 bits), written as json-glib reads it: -0 is 0. */
    out->id = g_strdup_printf("%" G_GINT64_FORMAT, g_ascii_strtoll(v, NULL, 10));
  } else {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "no string or integer field \"%s\"", f->id_field);
    return FALSE;
  }
  if (out->id[0] == '\0') {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "the field \"%s\" is an empty string", f->id_field);
    g_clear_pointer(&out->id, g_free);
    return FALSE;
  }
  if (!text || s[text_m.value_start] != '"') {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "record \"%s\" has no string field \"%s\"", out->id, f->text_field);
    g_clear_pointer(&out->id, g_free);
    return FALSE;
  }
  g_string_truncate(w->text, 0);
  nd_json_unescape_append(s + text_m.value_start + 1, text_m.value_end - text_m.value_start - 2, w->text);
  out->text = w->text->str; /* held by the worker until its next record */
  out->len = w->text->len;
  out->meta_json = g_steal_pointer(&meta);
  return TRUE;
}

static gpointer
jsonl_worker_new(void)
{
  JsonlWorker *w = g_new(JsonlWorker, 1);
  w->members = g_array_new(FALSE, FALSE, sizeof(NdJsonMember));
  w->text = g_string_sized_new(8192);
  w->name = g_string_new(NULL);
  return w;
}

static void
jsonl_worker_free(gpointer data)
{
  JsonlWorker *w = data;
  g_array_unref(w->members);
  g_string_free(w->text, TRUE);
  g_string_free(w->name, TRUE);
  g_free(w);
}

static gboolean
jsonl_read(NdWorkerCtx *ctx, const NdItem *it, NdArticle *out, GError **error)
{
  JsonlWorker *w = nd_worker_state(ctx, &nd_format_jsonl);
  if (!parse_json_record(w, it, it->data, ctx->config->max_bytes, out, error))
    return FALSE;
  out->name_errors = TRUE;
  return TRUE;
}

gsize
nd_jsonl_max_line(gsize max_bytes)
{
  /* Escapes make the JSON text of an article longer than the article: twice the limit, plus room
   * for the id and metadata. Bounded by what one buffer can hold. */
  guint64 limit = (guint64)max_bytes * 2 + 1024;
  return (gsize)MIN(limit, (guint64)G_MAXUINT32 - 1);
}

/* Queues the records of `s`: all of them, or with `range` (a share's byte range of the file, input.h:
 * nd_input_range_plan) the lines that start in it, numbered in messages from range->first_line + 1. */
static void
produce_lines(NdLoader *l, NdInStream *s, const char *display, const char *id_field, const char *text_field,
              const NdLoaderRange *range)
{
  const gsize limit = nd_jsonl_max_line(nd_loader_config(l)->max_bytes);
  guint64 lineno = 0, length, end = G_MAXUINT64, at = 0;
  if (range != NULL && (nd_in_stream_compression(s) != NULL || nd_in_stream_file_size(s) != (gint64)range->range.size ||
                        !nd_in_stream_seek(s, range->range.start)))
    range = NULL; /* not the file planned: read through, which the shares notice (nd_loader_items) */
  if (range != NULL) {
    nd_loader_range_begin(l, display, range->range.size);
    lineno = range->first_line;
    end = range->range.end;
  }
  NdLineReader r;
  nd_line_reader_init(&r, s);
  gboolean too_long;
  while ((range == NULL || (at = nd_in_stream_offset(s)) < end) && nd_line_reader_next(&r, limit, &length, &too_long)) {
    lineno++;
    if (range != NULL)
      nd_loader_range_at(l, at);
    g_autofree char *name = g_strdup_printf("%s:%" G_GUINT64_FORMAT, display, lineno);
    if (too_long) { /* read and dropped while streaming: at most `limit` bytes of it were held */
      nd_loader_queue_error(l, name, g_error_new(ND_ERROR, ND_ERROR_TOO_LARGE, "line of %" G_GUINT64_FORMAT " bytes "
                                                 "is longer than the maximum of %" G_GSIZE_FORMAT " bytes for a record "
                                                 "(twice the article limit, plus 1 KiB); skipped (the rest of it was read "
                                                 "and dropped)", length, limit));
      continue;
    }
    gsize len = r.line_len;
    while (len > 0 && (r.line[len - 1] == '\r' || r.line[len - 1] == ' ' || r.line[len - 1] == '\t'))
      len--;
    if (len == 0)
      continue;
    char *payload;
    if (len >= READ_CHUNK) { /* a large line: hand over the buffer rather than copy it */
      payload = g_realloc(g_steal_pointer(&r.line), len + 1);
      payload[len] = '\0';
      r.line_len = r.line_cap = 0;
    } else {
      payload = g_malloc(len + 1); /* not g_strndup: it would stop at a NUL byte and pad with zeros */
      memcpy(payload, r.line, len);
      payload[len] = '\0';
    }
    JsonlFields *f = g_new(JsonlFields, 1);
    f->id_field = id_field;
    f->text_field = text_field;
    NdItem it = { .format = &nd_format_jsonl, .name = g_steal_pointer(&name), .payload = payload,
                  .payload_len = len, .data = f };
    nd_loader_queue(l, &it);
  }
  if (r.error != NULL && range != NULL)
    nd_loader_range_at(l, MIN(nd_in_stream_offset(s), range->range.size));
  if (r.error != NULL)
    nd_loader_queue_error(l, display, nd_in_stream_read_errno(s) != 0
                          ? g_error_new(ND_ERROR, ND_ERROR_IO, "read error after line %" G_GUINT64_FORMAT ": %s", lineno,
                                        g_strerror(nd_in_stream_read_errno(s)))
                          : g_error_new(ND_ERROR, ND_ERROR_IO, "after line %" G_GUINT64_FORMAT ": %s", lineno,
                                        r.error->message));
  nd_line_reader_clear(&r);
  if (range != NULL)
    nd_loader_range_end(l);
}

static void
jsonl_produce(NdLoader *l, NdInStream *s, const char *display)
{
  const NdSourceConfig *cfg = nd_loader_config(l);
  produce_lines(l, s, display, cfg->id_field, cfg->text_field, nd_loader_input_range(l, display));
}

void
nd_loader_add_jsonl(NdLoader *l, const char *path, const char *id_field, const char *text_field)
{
  g_return_if_fail(path != NULL && id_field != NULL && text_field != NULL);
  if (nd_loader_halted(l))
    return;
  GError *error = NULL;
  NdInStream *s = nd_in_stream_open(l, path, &error);
  if (s == NULL) {
    nd_loader_queue_error(l, path, error);
    return;
  }
  produce_lines(l, s, strcmp(path, "-") == 0 ? "<stdin>" : path, nd_loader_intern(l, id_field),
                nd_loader_intern(l, text_field), strcmp(path, "-") == 0 ? NULL : nd_loader_input_range(l, path));
  nd_in_stream_free(s);
}

/* A JSON Lines file: its first non-blank line is a JSON object (checked when it is all in `head`;
 * a longer one must start with '{"'). */
static gboolean
jsonl_sniff(const guint8 *head, gsize len, gboolean complete)
{
  gsize i = 0;
  if (len >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf)
    i = 3;
  while (i < len && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
    i++;
  if (i == len || head[i] != '{')
    return FALSE;
  const guint8 *nl = memchr(head + i, '\n', len - i);
  gsize end = nl ? (gsize)(nl - head) : len;
  if (nl == NULL && !complete) {
    gsize j = i + 1;
    while (j < len && (head[j] == ' ' || head[j] == '\t'))
      j++;
    return j < len && head[j] == '"';
  }
  NdJsonScan scan;
  return nd_json_check((const char *)head + i, end - i, G_MAXSIZE, &scan, NULL);
}

const NdFormat nd_format_jsonl = {
  .name = "jsonl",
  .sniff = jsonl_sniff,
  .produce = jsonl_produce,
  .read = jsonl_read,
  .worker_new = jsonl_worker_new,
  .worker_free = jsonl_worker_free,
  .item_data_free = g_free,
};
