/* fuzz_ranges.c — reading a file by byte ranges (src/input/ranges.c, with the range readers of
 * jsonl.c and warc.c), as MPI ranks do, against reading it whole, on an arbitrary file.
 *
 * Input: byte 0: bit 0 writes the rest as one gzip member per part (parts split at each "WARC/1", a
 * .warc.gz as crawlers write it); otherwise bit 1 names the file JSON Lines (nd_loader_add_jsonl)
 * rather than letting its content tell; bits 2-3: the number of shares minus 1 (1 to 4); the rest
 * is the content.
 *
 * Invariants:
 *   - a plan that accepts the file gives ranges inside it, in order, that tile it exactly;
 *   - when every share accepts it, the shares' loaders, each reading its range, give together what
 *     one loader gives reading it whole: the same documents (names, ids, metadata) in the same
 *     order by item number, the same errors (input and message), the same counts passed over; and
 *     they agree on the items they enumerated (count and digest).
 */
#include "fuzz_common.h"
#include <zlib.h>

typedef struct {
  const NdLoader *loader;
  GArray *items;    /* guint64 */
  GPtrArray *docs;  /* "NAME\tID\tMETA" */
  GHashTable *errors; /* "INPUT: MESSAGE" -> count */
  GHashTable *passed; /* reason -> count */
  guint64 enumerated, digest;
} Log;

static gboolean
on_doc(NdDocument *doc, gpointer data, GError **error)
{
  (void)error;
  Log *log = data;
  guint64 item = 0;
  const char *name = nd_loader_current_item(log->loader, &item);
  FUZZ_CHECK(name != NULL, "a document without a name");
  g_array_append_val(log->items, item);
  g_ptr_array_add(log->docs, g_strdup_printf("%s\t%s\t%s", name, doc->id, doc->meta ? doc->meta : "-"));
  nd_document_free(doc);
  return TRUE;
}

static void
count(GHashTable *t, const char *key, guint64 n)
{
  guint64 *c = g_hash_table_lookup(t, key);
  if (c == NULL) {
    c = g_new0(guint64, 1);
    g_hash_table_insert(t, g_strdup(key), c);
  }
  *c += n;
}

static void
on_error(const char *input, const GError *error, gpointer data)
{
  Log *log = data;
  g_autofree char *what = g_strdup_printf("%s: %s", input, error->message);
  count(log->errors, what, 1);
}

static void
log_init(Log *log)
{
  memset(log, 0, sizeof *log);
  log->items = g_array_new(FALSE, FALSE, sizeof(guint64));
  log->docs = g_ptr_array_new_with_free_func(g_free);
  log->errors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  log->passed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
log_clear(Log *log)
{
  g_array_unref(log->items);
  g_ptr_array_unref(log->docs);
  g_hash_table_unref(log->errors);
  g_hash_table_unref(log->passed);
}

/* Loads `path` whole (range NULL) or share `index` of `count` by `range` into `log`. */
static void
load(const char *path, gboolean jsonl, const NdInputRange *range, guint64 first_line, guint index, guint count_of,
     Log *log)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  p.max_bytes = 4096;
  g_autoptr(NdCollection) c = nd_collection_new(&p);
  NdLoader *l = nd_loader_new(c, 2, FALSE);
  log->loader = l;
  if (range != NULL) {
    nd_loader_set_share(l, index, count_of, 1);
    nd_loader_set_input_range(l, path, range, first_line);
  }
  nd_loader_set_document_func(l, on_doc, log);
  nd_loader_set_error_func(l, on_error, log);
  if (jsonl)
    nd_loader_add_jsonl(l, path, "id", "text");
  else
    nd_loader_add_path(l, path);
  nd_loader_finish(l);
  guint n;
  const NdPassedOver *po = nd_loader_passed_over(l, &n);
  for (guint i = 0; i < n; i++)
    count(log->passed, po[i].reason, po[i].count);
  log->enumerated = nd_loader_items(l, &log->digest);
  nd_loader_free(l);
  log->loader = NULL;
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

/* TRUE when the two tables hold the same keys with the same counts. */
static gboolean
same_counts(GHashTable *a, GHashTable *b)
{
  if (g_hash_table_size(a) != g_hash_table_size(b))
    return FALSE;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, a);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    const guint64 *other = g_hash_table_lookup(b, key);
    if (other == NULL || *other != *(const guint64 *)value)
      return FALSE;
  }
  return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1 || size > (1 << 18))
    return 0;
  g_autoptr(GByteArray) file = g_byte_array_new();
  const guint8 *body = data + 1;
  gsize len = size - 1;
  gboolean gz = (data[0] & 1) != 0, jsonl = !gz && (data[0] & 2) != 0;
  guint shares = 1 + ((data[0] >> 2) & 3);
  if (gz) {
    gsize start = 0;
    for (gsize i = 1; i + 6 <= len; i++)
      if (memcmp(body + i, "WARC/1", 6) == 0) {
        gzip_append(file, body + start, i - start);
        start = i;
      }
    gzip_append(file, body + start, len - start);
  } else {
    g_byte_array_append(file, body, (guint)len);
  }
  char *path = fuzz_write_temp(file->data, file->len, gz ? ".warc.gz" : ".jsonl");
  NdInputRange ranges[4];
  guint64 first_line[4], lines = 0, prev_end = 0;
  gboolean all = TRUE;
  for (guint index = 0; index < shares; index++) {
    gboolean ok = nd_input_range_plan(path, jsonl, index, shares, NULL, NULL, &ranges[index], NULL);
    if (ok) {
      const NdInputRange *r = &ranges[index];
      FUZZ_CHECK(r->size == file->len && r->start <= r->end && r->end <= r->size, "share %u of %u: [%" G_GUINT64_FORMAT
                 ", %" G_GUINT64_FORMAT ") of %" G_GUINT64_FORMAT, index, shares, r->start, r->end, r->size);
      FUZZ_CHECK(!all || r->start == prev_end, "share %u of %u starts at %" G_GUINT64_FORMAT ", not %" G_GUINT64_FORMAT,
                 index, shares, r->start, prev_end);
      prev_end = r->end;
      first_line[index] = lines;
      lines += r->newlines;
    }
    all = all && ok;
  }
  if (all) {
    FUZZ_CHECK(prev_end == file->len, "the ranges end at %" G_GUINT64_FORMAT " of %u", prev_end, file->len);
    Log whole, parts;
    log_init(&whole);
    log_init(&parts);
    load(path, jsonl, NULL, 0, 0, 0, &whole);
    guint64 enumerated = 0, digest = 0;
    for (guint index = 0; index < shares; index++) {
      Log share;
      log_init(&share);
      load(path, jsonl, &ranges[index], first_line[index], index, shares, &share);
      FUZZ_CHECK(index == 0 || (share.enumerated == enumerated && share.digest == digest),
                 "share %u enumerated other items", index);
      enumerated = share.enumerated;
      digest = share.digest;
      for (guint i = 0; i < share.docs->len; i++) {
        guint64 item = g_array_index(share.items, guint64, i);
        g_array_append_val(parts.items, item);
        g_ptr_array_add(parts.docs, g_strdup(g_ptr_array_index(share.docs, i)));
      }
      GHashTableIter it;
      gpointer key, value;
      g_hash_table_iter_init(&it, share.errors);
      while (g_hash_table_iter_next(&it, &key, &value))
        count(parts.errors, key, *(guint64 *)value);
      g_hash_table_iter_init(&it, share.passed);
      while (g_hash_table_iter_next(&it, &key, &value))
        count(parts.passed, key, *(guint64 *)value);
      log_clear(&share);
    }
    FUZZ_CHECK(parts.docs->len == whole.docs->len, "%u shares: %u documents, whole: %u", shares, parts.docs->len,
               whole.docs->len);
    for (guint i = 0; i < parts.docs->len; i++) {
      guint rank = 0;
      for (guint j = 0; j < parts.docs->len; j++) {
        guint64 a = g_array_index(parts.items, guint64, j), b = g_array_index(parts.items, guint64, i);
        FUZZ_CHECK(j == i || a != b, "two documents numbered %" G_GUINT64_FORMAT, a);
        rank += a < b;
      }
      FUZZ_CHECK(strcmp(g_ptr_array_index(parts.docs, i), g_ptr_array_index(whole.docs, rank)) == 0,
                 "%u shares: document %u is %s, whole: %s", shares, rank, (char *)g_ptr_array_index(parts.docs, i),
                 (char *)g_ptr_array_index(whole.docs, rank));
    }
    FUZZ_CHECK(same_counts(parts.errors, whole.errors), "%u shares: other errors", shares);
    FUZZ_CHECK(same_counts(parts.passed, whole.passed), "%u shares: other counts passed over", shares);
    log_clear(&whole);
    log_clear(&parts);
  }
  g_unlink(path);
  g_free(path);
  return 0;
}
