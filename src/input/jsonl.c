/* jsonl.c — JSON Lines: one article per line, a JSON object with an id field, a text field and
 * metadata (its other fields).
 *
 * The producer streams lines (never holding more than the longest line allowed), the workers parse
 * them: every line goes through json.c's strict grammar check before json-glib reads it, because
 * json-glib's reader is a lenient scanner that changes or drops what is not JSON.
 */
#include "source.h"
#include "json.h"
#include <string.h>

#define READ_CHUNK ((gsize)64 << 10)

typedef struct {
  const char *id_field, *text_field; /* interned by the loader */
} JsonlFields;

/* The record's fields other than the id and text, as a compact JSON object; NULL when there are none. */
static JsonObject *
record_metadata(JsonObject *obj, const JsonlFields *f)
{
  JsonObject *meta = json_object_new();
  g_autoptr(GList) members = json_object_get_members(obj);
  for (GList *m = members; m != NULL; m = m->next) {
    const char *name = m->data;
    if (strcmp(name, f->id_field) == 0 || strcmp(name, f->text_field) == 0)
      continue;
    json_object_set_member(meta, name, json_node_copy(json_object_get_member(obj, name)));
  }
  return meta;
}

static gboolean
parse_json_record(JsonParser *parser, const NdItem *it, const JsonlFields *f, gsize max_bytes, char **id_out, const char **text,
                  gsize *text_len, GError **error)
{
  NdJsonScan scan;
  JsonObject *obj = nd_json_parse_object(parser, it->payload, it->payload_len, max_bytes, &scan, error);
  if (obj == NULL)
    return FALSE;
  if (scan.nul_at >= 0) { /* json-glib would cut the string at the NUL: name the field that holds it */
    g_autofree char *field = scan.nul_member_set ? g_strndup(it->payload + scan.nul_member_start,
                                                              scan.nul_member_len) : NULL;
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
  JsonNode *id = json_object_get_member(obj, f->id_field);
  if (id != NULL && JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_STRING) {
    *id_out = g_strdup(json_node_get_string(id));
  } else if (id != NULL && JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_INT64) {
    *id_out = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(id));
  } else {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "no string or integer field \"%s\"", f->id_field);
    return FALSE;
  }
  if ((*id_out)[0] == '\0') {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "the field \"%s\" is an empty string", f->id_field);
    g_clear_pointer(id_out, g_free);
    return FALSE;
  }
  JsonNode *tx = json_object_get_member(obj, f->text_field);
  if (tx == NULL || !JSON_NODE_HOLDS_VALUE(tx) || json_node_get_value_type(tx) != G_TYPE_STRING) {
    g_set_error(error, ND_ERROR, ND_ERROR_JSON, "record \"%s\" has no string field \"%s\"",
                *id_out, f->text_field);
    g_clear_pointer(id_out, g_free);
    return FALSE;
  }
  *text = json_node_get_string(tx);
  *text_len = strlen(*text);
  return TRUE;
}

static gpointer
jsonl_worker_new(void)
{
  return json_parser_new_immutable();
}

static void
jsonl_worker_free(gpointer parser)
{
  g_object_unref(parser);
}

static gboolean
jsonl_read(NdWorkerCtx *ctx, const NdItem *it, NdArticle *out, GError **error)
{
  JsonParser *parser = nd_worker_state(ctx, &nd_format_jsonl);
  const JsonlFields *f = it->data;
  const char *text = NULL;
  gsize len = 0;
  if (!parse_json_record(parser, it, f, ctx->config->max_bytes, &out->id, &text, &len, error))
    return FALSE;
  out->meta = record_metadata(json_node_get_object(json_parser_get_root(parser)), f);
  out->text = text; /* held by the parser until the worker's next record */
  out->len = len;
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

static void
produce_lines(NdLoader *l, NdInStream *s, const char *display, const char *id_field, const char *text_field)
{
  const gsize limit = nd_jsonl_max_line(nd_loader_config(l)->max_bytes);
  NdLineReader r;
  nd_line_reader_init(&r, s);
  guint64 lineno = 0, length;
  gboolean too_long;
  while (nd_line_reader_next(&r, limit, &length, &too_long)) {
    lineno++;
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
  if (r.error != NULL)
    nd_loader_queue_error(l, display, nd_in_stream_read_errno(s) != 0
                          ? g_error_new(ND_ERROR, ND_ERROR_IO, "read error after line %" G_GUINT64_FORMAT ": %s", lineno,
                                        g_strerror(nd_in_stream_read_errno(s)))
                          : g_error_new(ND_ERROR, ND_ERROR_IO, "after line %" G_GUINT64_FORMAT ": %s", lineno,
                                        r.error->message));
  nd_line_reader_clear(&r);
}

static void
jsonl_produce(NdLoader *l, NdInStream *s, const char *display)
{
  const NdSourceConfig *cfg = nd_loader_config(l);
  produce_lines(l, s, display, cfg->id_field, cfg->text_field);
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
                nd_loader_intern(l, text_field));
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
