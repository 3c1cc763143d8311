/* fuzz_warc.c — the WARC reader (src/input/warc.c, with stream.c and compress.c) through the loader,
 * on an arbitrary file.
 *
 * Input: byte 0: bit 0 writes the rest as one gzip member per part (parts split at each "WARC/1"),
 * bit 1 cuts 1 + byte 1 bytes off the end of that file; the rest is the WARC.
 *
 * Invariants:
 *   - the loader finishes (no crash, hang or leak); every error is in ND_ERROR with a documented code
 *     for a record (FORMAT, IO, BINARY, UTF8, EMPTY, NO_TOKENS, TOO_LARGE, DUPLICATE_ID) and names the
 *     file, "FILE@OFFSET" when it is about a record, OFFSET inside the file (a gzip member's offset)
 *     or inside the decompressed WARC (a record that does not start a member);
 *   - every document has a non-empty UTF-8 id, UTF-8 text, no path (records are not files), and
 *     metadata: a JSON object with warc_offset, a number inside the file;
 *   - one and two workers give the same documents (ids, signatures) and the same errors and
 *     passed-over counts, in the same order.
 */
#include "fuzz_common.h"
#include <json-glib/json-glib.h>
#include <zlib.h>

typedef struct {
  GPtrArray *lines; /* "INPUT\tCODE" per error, then "pass REASON COUNT" */
  const char *path;
  gsize size;       /* the most an offset can be: the larger of the file and the WARC it holds */
} Log;

static void
on_error(const char *input, const GError *error, gpointer data)
{
  Log *log = data;
  const int codes[] = { ND_ERROR_FORMAT, ND_ERROR_IO, ND_ERROR_BINARY, ND_ERROR_UTF8, ND_ERROR_EMPTY,
                        ND_ERROR_NO_TOKENS, ND_ERROR_TOO_LARGE, ND_ERROR_DUPLICATE_ID };
  fuzz_check_error(error, codes, G_N_ELEMENTS(codes), input);
  gsize n = strlen(log->path);
  FUZZ_CHECK(strncmp(input, log->path, n) == 0, "error input '%s' does not name the file", input);
  if (input[n] == '@') {
    char *end;
    guint64 off = g_ascii_strtoull(input + n + 1, &end, 10);
    FUZZ_CHECK(*end == '\0' && off <= log->size, "record offset in '%s' outside the file (%zu bytes)", input,
               log->size);
  } else {
    FUZZ_CHECK(input[n] == '\0', "error input '%s'", input);
  }
  g_ptr_array_add(log->lines, g_strdup_printf("%s\t%d", input, error->code));
}

static void
on_warning(const char *input, const GError *warning, gpointer data)
{
  (void)data;
  FUZZ_CHECK(input != NULL && warning != NULL && warning->message[0] != '\0', "empty warning");
}

static NdCollection *
load(const char *path, gsize size, guint threads, GPtrArray *lines)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  p.max_bytes = 1 << 20;
  p.keep_text = TRUE;
  NdCollection *c = nd_collection_new(&p);
  Log log = { lines, path, size };
  NdLoader *l = nd_loader_new(c, threads, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_set_warning_func(l, on_warning, NULL);
  nd_loader_add_path(l, path);
  guint skipped = nd_loader_finish(l);
  FUZZ_CHECK(skipped == lines->len, "%u skipped, %u reported", skipped, lines->len);
  guint n;
  const NdPassedOver *passed = nd_loader_passed_over(l, &n);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add(lines, g_strdup_printf("pass %s %" G_GUINT64_FORMAT, passed[i].reason, passed[i].count));
  nd_loader_free(l);
  return c;
}

static void
gzip_append(GByteArray *out, const guint8 *data, gsize len)
{
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  gsize cap = deflateBound(&z, (uLong)len) + 32, at = out->len;
  g_byte_array_set_size(out, (guint)(at + cap));
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)len;
  z.next_out = out->data + at;
  z.avail_out = (uInt)cap;
  deflate(&z, Z_FINISH);
  g_byte_array_set_size(out, (guint)(at + cap - z.avail_out));
  deflateEnd(&z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2 || size > (1 << 20))
    return 0;
  g_autoptr(GByteArray) file = g_byte_array_new();
  const guint8 *warc = data + 2;
  gsize len = size - 2;
  if (data[0] & 1) {
    gsize start = 0;
    for (gsize i = 1; i + 6 <= len; i++)
      if (memcmp(warc + i, "WARC/1", 6) == 0) {
        gzip_append(file, warc + start, i - start);
        start = i;
      }
    gzip_append(file, warc + start, len - start);
  } else {
    g_byte_array_append(file, warc, (guint)len);
  }
  if ((data[0] & 2) && file->len > 0)
    g_byte_array_set_size(file, file->len - MIN(file->len, (guint)data[1] + 1));
  char *path = fuzz_write_temp(file->data, file->len, ".warc");
  g_autoptr(GPtrArray) l1 = g_ptr_array_new_with_free_func(g_free), l2 = g_ptr_array_new_with_free_func(g_free);
  gsize most = MAX(file->len, len);
  g_autoptr(NdCollection) c1 = load(path, most, 1, l1);
  g_autoptr(NdCollection) c2 = load(path, most, 2, l2);
  g_autoptr(JsonParser) parser = json_parser_new();
  FUZZ_CHECK(nd_collection_size(c1) == nd_collection_size(c2), "1 worker: %u documents, 2 workers: %u",
             nd_collection_size(c1), nd_collection_size(c2));
  for (guint i = 0; i < nd_collection_size(c1); i++) {
    const NdDocument *d = nd_collection_get(c1, i), *e = nd_collection_get(c2, i);
    FUZZ_CHECK(d->id[0] != '\0' && g_utf8_validate(d->id, -1, NULL), "document %u: bad id", i);
    FUZZ_CHECK(g_utf8_validate(d->text, (gssize)d->bytes, NULL), "document %u: text is not UTF-8", i);
    FUZZ_CHECK(d->path == NULL, "document %u: a record has a path", i);
    FUZZ_CHECK(strcmp(d->id, e->id) == 0 && d->bytes == e->bytes &&
               memcmp(d->signature, e->signature, 128 * sizeof(guint32)) == 0, "document %u differs by threads", i);
    FUZZ_CHECK(d->meta != NULL && json_parser_load_from_data(parser, d->meta, -1, NULL), "document %u: metadata", i);
    JsonObject *m = json_node_get_object(json_parser_get_root(parser));
    FUZZ_CHECK(json_object_has_member(m, "warc_offset") &&
               json_object_get_int_member(m, "warc_offset") >= 0 &&
               (guint64)json_object_get_int_member(m, "warc_offset") < MAX(most, 1u),
               "document %u: warc_offset outside the file", i);
  }
  FUZZ_CHECK(l1->len == l2->len, "reports differ by threads: %u and %u", l1->len, l2->len);
  for (guint i = 0; i < l1->len; i++)
    FUZZ_CHECK(strcmp(g_ptr_array_index(l1, i), g_ptr_array_index(l2, i)) == 0, "report %u differs: %s / %s", i,
               (char *)g_ptr_array_index(l1, i), (char *)g_ptr_array_index(l2, i));
  g_unlink(path);
  g_free(path);
  return 0;
}
