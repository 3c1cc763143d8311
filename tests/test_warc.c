/* test_warc.c — WARC files through the loader (warc.c, with compress.c and stream.c): which records
 * are articles, their ids and metadata, the records passed over, HTTP chunked and gzip bodies, record
 * offsets in plain and per-record gzip files, and malformed records (reported as FILE@OFFSET, the
 * rest read). Also compressed and mis-named inputs recognised by content (files.c, formats.c). */
#include <check.h>
#include <json-glib/json-glib.h>
#include <neardup/neardup.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include "test_util.h"

static char *tmp_root;

static void
suite_setup(void)
{
  tmp_root = g_dir_make_tmp("neardup-test-warc-XXXXXX", NULL);
  if (tmp_root == NULL)
    g_error("g_dir_make_tmp failed");
}

static void
suite_teardown(void)
{
  remove_tree(tmp_root);
  g_free(tmp_root);
}

static char *
gzip_bytes(const char *data, gsize len, gsize *out_len)
{
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  gsize cap = deflateBound(&z, (uLong)len) + 32;
  char *out = g_malloc(cap);
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)len;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)cap;
  ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
  *out_len = cap - z.avail_out;
  deflateEnd(&z);
  return out;
}

typedef struct {
  GString *plain;   /* the WARC */
  GString *gz;      /* the same, one gzip member per record */
  GArray *plain_at; /* guint64: each record's offset in plain */
  GArray *gz_at;    /* and in gz */
} Warc;

static void
warc_init(Warc *w)
{
  w->plain = g_string_new(NULL);
  w->gz = g_string_new(NULL);
  w->plain_at = g_array_new(FALSE, FALSE, sizeof(guint64));
  w->gz_at = g_array_new(FALSE, FALSE, sizeof(guint64));
}

static void
warc_clear(Warc *w)
{
  g_string_free(w->plain, TRUE);
  g_string_free(w->gz, TRUE);
  g_array_unref(w->plain_at);
  g_array_unref(w->gz_at);
}

/* Appends raw bytes as one record (and one gzip member). */
static void
warc_raw(Warc *w, const char *bytes, gsize len)
{
  guint64 at = w->plain->len, gat = w->gz->len;
  g_array_append_val(w->plain_at, at);
  g_array_append_val(w->gz_at, gat);
  g_string_append_len(w->plain, bytes, (gssize)len);
  gsize n;
  g_autofree char *z = gzip_bytes(bytes, len, &n);
  g_string_append_len(w->gz, z, (gssize)n);
}

static void
warc_record(Warc *w, const char *type, const char *uri, const char *ctype, const char *block, gssize block_len,
            gint64 declared)
{
  gsize len = block_len < 0 ? strlen(block) : (gsize)block_len;
  GString *r = g_string_new(NULL);
  g_string_append_printf(r, "WARC/1.1\r\nWARC-Type: %s\r\n", type);
  if (uri)
    g_string_append_printf(r, "WARC-Target-URI: %s\r\n", uri);
  g_string_append_printf(r, "WARC-Date: 2026-05-0%uT12:00:00Z\r\nWARC-Record-ID: <urn:uuid:rec-%u>\r\n"
                         "Content-Type: %s\r\nContent-Length: %" G_GINT64_FORMAT "\r\n\r\n", w->plain_at->len % 9 + 1,
                         w->plain_at->len, ctype, declared >= 0 ? declared : (gint64)len);
  g_string_append_len(r, block, (gssize)len);
  g_string_append(r, "\r\n\r\n");
  warc_raw(w, r->str, r->len);
  g_string_free(r, TRUE);
}

static void
warc_response(Warc *w, const char *uri, const char *head, const char *body, gssize body_len, gint64 declared)
{
  gsize len = body_len < 0 ? strlen(body) : (gsize)body_len;
  GString *b = g_string_new(head);
  g_string_append(b, "\r\n");
  g_string_append_len(b, body, (gssize)len);
  warc_record(w, "response", uri, "application/http; msgtype=response", b->str, (gssize)b->len, declared);
  g_string_free(b, TRUE);
}

static char *
write_tmp(const char *name, const char *data, gsize len)
{
  char *path = g_build_filename(tmp_root, name, NULL);
  ck_assert(g_file_set_contents(path, data, (gssize)len, NULL));
  return path;
}

typedef struct {
  GPtrArray *inputs, *messages;
  GArray *codes;
} Log;

static void
on_error(const char *input, const GError *error, gpointer data)
{
  Log *log = data;
  g_ptr_array_add(log->inputs, g_strdup(input));
  g_ptr_array_add(log->messages, g_strdup(error->message));
  g_array_append_val(log->codes, error->code);
}

static NdCollection *
load(const char *path, guint threads, Log *log, const NdLoader **keep, NdLoader **loader_out)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  p.keep_text = TRUE;
  NdCollection *c = nd_collection_new(&p);
  log->inputs = g_ptr_array_new_with_free_func(g_free);
  log->messages = g_ptr_array_new_with_free_func(g_free);
  log->codes = g_array_new(FALSE, FALSE, sizeof(gint));
  NdLoader *l = nd_loader_new(c, threads, FALSE);
  nd_loader_set_error_func(l, on_error, log);
  nd_loader_add_path(l, path);
  nd_loader_finish(l);
  (void)keep;
  *loader_out = l;
  return c;
}

static void
log_clear(Log *log)
{
  g_ptr_array_unref(log->inputs);
  g_ptr_array_unref(log->messages);
  g_array_unref(log->codes);
}

static const char *page1 = "<html><head><title>Bridge | Valley</title></head><body><nav><a href=\"/\">Home</a></nav>"
                           "<p>The old stone bridge over the river reopened to cars on Monday after a year of repairs "
                           "to its arches, which had been weakened by two winters of floods.</p></body></html>";
static const char *page2 = "<html><body><p>Schools in the valley will close early on Friday because a storm is "
                           "expected to bring heavy rain and strong winds across the hills by the afternoon.</p></body></html>";

static JsonObject *
meta_of(JsonParser *parser, const NdDocument *doc)
{
  ck_assert_ptr_nonnull(doc->meta);
  ck_assert(json_parser_load_from_data(parser, doc->meta, -1, NULL));
  return json_node_get_object(json_parser_get_root(parser));
}

/* A crawl: records of every kind; articles from response and resource records. */
static void
build_crawl(Warc *w)
{
  warc_init(w);
  warc_record(w, "warcinfo", NULL, "application/warc-fields", "software: test\r\n", -1, -1);
  warc_record(w, "request", "https://valley.example/bridge", "application/http; msgtype=request",
              "GET /bridge HTTP/1.1\r\nHost: valley.example\r\n\r\n", -1, -1);
  /* 1: plain */
  warc_response(w, "https://valley.example/bridge", "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n",
                page1, -1, -1);
  warc_record(w, "metadata", "https://valley.example/bridge", "application/warc-fields", "outlinks: 3\r\n", -1, -1);
  /* 2: chunked and gzip-encoded */
  gsize zlen;
  g_autofree char *z = gzip_bytes(page2, strlen(page2), &zlen);
  GString *chunks = g_string_new(NULL);
  for (gsize at = 0; at < zlen; at += 40) {
    gsize n = MIN((gsize)40, zlen - at);
    g_string_append_printf(chunks, "%" G_GSIZE_MODIFIER "x;ext=1\r\n", n);
    g_string_append_len(chunks, z + at, (gssize)n);
    g_string_append(chunks, "\r\n");
  }
  g_string_append(chunks, "0\r\n\r\n");
  warc_response(w, "https://valley.example/storm", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: "
                "chunked\r\nContent-Encoding: gzip\r\n", chunks->str, (gssize)chunks->len, -1);
  g_string_free(chunks, TRUE);
  /* not articles */
  static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
  warc_response(w, "https://valley.example/logo.png", "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n", png,
                sizeof png - 1, -1);
  warc_response(w, "http://valley.example/old", "HTTP/1.1 301 Moved Permanently\r\nLocation: /bridge\r\n", "", 0, -1);
  warc_record(w, "revisit", "https://valley.example/bridge", "application/http; msgtype=response",
              "HTTP/1.1 200 OK\r\n\r\n", -1, -1);
  /* 3: a resource record of plain text */
  warc_record(w, "resource", "file:///notes.txt", "text/plain", "Notes from the valley meeting: the bridge, the "
              "storm, the schools, and the new bus timetable for the winter months.", -1, -1);
}

START_TEST(test_crawl)
{
  Warc w;
  build_crawl(&w);
  for (int gz = 0; gz < 2; gz++) {
    g_autofree char *path = write_tmp(gz ? "crawl.warc.gz" : "crawl.dat", gz ? w.gz->str : w.plain->str,
                                      gz ? w.gz->len : w.plain->len);
    GArray *at = gz ? w.gz_at : w.plain_at;
    Log log;
    NdLoader *l;
    g_autoptr(NdCollection) c = load(path, 2, &log, NULL, &l);
    ck_assert_uint_eq(log.inputs->len, 0);
    ck_assert_uint_eq(nd_collection_size(c), 3);
    const NdDocument *d1 = nd_collection_get(c, 0), *d2 = nd_collection_get(c, 1), *d3 = nd_collection_get(c, 2);
    ck_assert_str_eq(d1->id, "https://valley.example/bridge");
    ck_assert_str_eq(d2->id, "https://valley.example/storm");
    ck_assert_str_eq(d3->id, "file:///notes.txt");
    ck_assert_ptr_null(d1->path); /* a record, not a file */
    ck_assert_ptr_nonnull(strstr(d1->text, "old stone bridge"));
    ck_assert_ptr_null(strstr(d1->text, "Home"));
    ck_assert_ptr_nonnull(strstr(d2->text, "Schools in the valley will close early"));
    ck_assert(g_str_has_prefix(d3->text, "Notes from the valley meeting"));
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *m = meta_of(parser, d1);
    ck_assert_str_eq(json_object_get_string_member(m, "warc_target_uri"), "https://valley.example/bridge");
    ck_assert_str_eq(json_object_get_string_member(m, "url"), "https://valley.example/bridge");
    ck_assert_str_eq(json_object_get_string_member(m, "warc_record_id"), "<urn:uuid:rec-2>");
    ck_assert_str_eq(json_object_get_string_member(m, "warc_date"), "2026-05-03T12:00:00Z");
    ck_assert_str_eq(json_object_get_string_member(m, "title"), "Bridge | Valley");
    ck_assert_int_eq(json_object_get_int_member(m, "warc_offset"), (gint64)g_array_index(at, guint64, 2));
    m = meta_of(parser, d2);
    ck_assert_int_eq(json_object_get_int_member(m, "warc_offset"), (gint64)g_array_index(at, guint64, 4));
    /* passed over, by kind, in order */
    guint n;
    const NdPassedOver *p = nd_loader_passed_over(l, &n);
    ck_assert_uint_eq(n, 6);
    const char *kinds[] = { "warcinfo", "request", "metadata", "not HTML", "2xx", "revisit" };
    for (guint i = 0; i < n; i++) {
      ck_assert_msg(strstr(p[i].reason, kinds[i]) != NULL, "%s is not about %s", p[i].reason, kinds[i]);
      ck_assert_uint_eq(p[i].count, 1);
    }
    nd_loader_free(l);
    log_clear(&log);
  }
  warc_clear(&w);
}
END_TEST

/* Malformed records: each reported as FILE@OFFSET, the others read. */
START_TEST(test_hostile_records)
{
  Warc w;
  warc_init(&w);
  warc_response(&w, "https://a.example/1", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", page1, -1, -1);
  /* a wrong chunk size */
  warc_response(&w, "https://a.example/chunk", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: "
                "chunked\r\n", "10\r\n<html><body><p>longer than sixteen bytes</p></body></html>\r\n0\r\n\r\n", -1, -1);
  /* binary data behind text/html */
  warc_response(&w, "https://a.example/png", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n",
                "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, -1);
  /* a Content-Length 50 bytes too long: it swallows the start of the next record, which is still read */
  warc_response(&w, "https://a.example/long", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", page2, -1,
                (gint64)strlen(page2) + 50 + (gint64)strlen("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"));
  warc_response(&w, "https://a.example/2", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", page2, -1, -1);
  /* garbage between records */
  warc_raw(&w, "this is not a record\r\nnor is this\r\n", 35);
  warc_response(&w, "https://a.example/3", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n",
                "<p>A third article, after some garbage that is not a WARC record at all, is read as well.</p>", -1, -1);
  /* a Content-Length that runs past the end of the file */
  warc_response(&w, "https://a.example/cut", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", page2, -1, 1 << 20);
  g_autofree char *path = write_tmp("hostile.warc", w.plain->str, w.plain->len);
  Log log;
  NdLoader *l;
  g_autoptr(NdCollection) c = load(path, 1, &log, NULL, &l);
  ck_assert_uint_eq(nd_collection_size(c), 3);
  ck_assert_str_eq(nd_collection_get(c, 0)->id, "https://a.example/1");
  ck_assert_str_eq(nd_collection_get(c, 1)->id, "https://a.example/2");
  ck_assert_str_eq(nd_collection_get(c, 2)->id, "https://a.example/3");
  ck_assert_uint_eq(log.inputs->len, 5);
  const guint records[] = { 1, 2, 3, 5, 7 };
  const gint codes[] = { ND_ERROR_FORMAT, ND_ERROR_BINARY, ND_ERROR_FORMAT, ND_ERROR_FORMAT, ND_ERROR_FORMAT };
  const char *words[] = { "chunk", "binary", "Content-Length", "not the start of a WARC record", "truncated" };
  for (guint i = 0; i < 5; i++) {
    g_autofree char *name = g_strdup_printf("%s@%" G_GUINT64_FORMAT, path, g_array_index(w.plain_at, guint64, records[i]));
    ck_assert_str_eq(g_ptr_array_index(log.inputs, i), name);
    ck_assert_int_eq(g_array_index(log.codes, gint, i), codes[i]);
    ck_assert_msg(strstr(g_ptr_array_index(log.messages, i), words[i]) != NULL, "%s",
                  (char *)g_ptr_array_index(log.messages, i));
  }
  nd_loader_free(l);
  log_clear(&log);

  /* per-record gzip: a corrupt member is reported and the next member read */
  GString *gz = g_string_new_len(w.gz->str, (gssize)g_array_index(w.gz_at, guint64, 5));
  gsize bad_at = g_array_index(w.gz_at, guint64, 1);
  gz->str[bad_at + 20] ^= 0x55;
  gz->str[bad_at + 30] ^= 0x55;
  gsize n;
  g_autofree char *last = gzip_bytes(page1, 0, &n);
  (void)last;
  g_autofree char *gpath = write_tmp("corrupt.warc.gz", gz->str, gz->len);
  g_autoptr(NdCollection) c2 = load(gpath, 1, &log, NULL, &l);
  ck_assert_uint_ge(log.inputs->len, 1);
  ck_assert_ptr_nonnull(strstr(g_ptr_array_index(log.messages, 0), "gzip"));
  g_autofree char *first_name = g_strdup_printf("%s@%" G_GSIZE_FORMAT, gpath, bad_at);
  ck_assert_str_eq(g_ptr_array_index(log.inputs, 0), first_name);
  /* the records after the corrupt member: 2 and the too-long 3 fails, 4 ("/2") is read */
  gboolean found2 = FALSE;
  for (guint i = 0; i < nd_collection_size(c2); i++)
    found2 |= strcmp(nd_collection_get(c2, i)->id, "https://a.example/2") == 0;
  ck_assert(found2);
  ck_assert_str_eq(nd_collection_get(c2, 0)->id, "https://a.example/1");
  nd_loader_free(l);
  log_clear(&log);
  g_string_free(gz, TRUE);

  /* a truncated .warc.gz: the records before the cut are read, the cut reported */
  gsize cut = g_array_index(w.gz_at, guint64, 1) + 10;
  g_autofree char *tpath = write_tmp("truncated.warc.gz", w.gz->str, cut);
  g_autoptr(NdCollection) c3 = load(tpath, 1, &log, NULL, &l);
  ck_assert_uint_eq(nd_collection_size(c3), 1);
  ck_assert_uint_eq(log.inputs->len, 1);
  ck_assert_ptr_nonnull(strstr(g_ptr_array_index(log.messages, 0), "truncated gzip"));
  nd_loader_free(l);
  log_clear(&log);
  warc_clear(&w);
}
END_TEST

/* A share's (or one loader's) items: documents as "NAME ID META" with their item numbers, errors as
 * "NAME: MESSAGE". */
typedef struct {
  const NdLoader *loader;
  GArray *items;     /* guint64 */
  GPtrArray *docs;   /* char* */
  GPtrArray *errors; /* char* */
} ShareLog;

static gboolean
on_share_doc(NdDocument *doc, gpointer data, GError **error)
{
  (void)error;
  ShareLog *log = data;
  guint64 item = 0;
  const char *name = nd_loader_current_item(log->loader, &item);
  g_array_append_val(log->items, item);
  g_ptr_array_add(log->docs, g_strdup_printf("%s %s %s", name, doc->id, doc->meta ? doc->meta : "-"));
  nd_document_free(doc);
  return TRUE;
}

static void
on_share_error(const char *input, const GError *error, gpointer data)
{
  ShareLog *log = data;
  g_ptr_array_add(log->errors, g_strdup_printf("%s: %s", input, error->message));
}

/* Loads `path` whole (count 0) or share `index` of `count` by byte range into a new log. */
static ShareLog
load_share(const char *path, guint index, guint count, GHashTable *passed)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  g_autoptr(NdCollection) c = nd_collection_new(&p);
  NdLoader *l = nd_loader_new(c, 2, FALSE);
  ShareLog log = { l, g_array_new(FALSE, FALSE, sizeof(guint64)), g_ptr_array_new_with_free_func(g_free),
                   g_ptr_array_new_with_free_func(g_free) };
  if (count > 0) {
    NdInputRange r;
    ck_assert_msg(nd_input_range_plan(path, FALSE, index, count, NULL, NULL, &r, NULL), "share %u of %u", index, count);
    nd_loader_set_share(l, index, count, 1);
    nd_loader_set_input_range(l, path, &r, 0);
  }
  nd_loader_set_document_func(l, on_share_doc, &log);
  nd_loader_set_error_func(l, on_share_error, &log);
  nd_loader_add_path(l, path);
  nd_loader_finish(l);
  guint n;
  const NdPassedOver *po = nd_loader_passed_over(l, &n);
  for (guint i = 0; i < n; i++) {
    guint64 *sum = g_hash_table_lookup(passed, po[i].reason);
    if (sum == NULL) {
      sum = g_new0(guint64, 1);
      g_hash_table_insert(passed, (gpointer)po[i].reason, sum);
    }
    *sum += po[i].count;
  }
  nd_loader_free(l);
  log.loader = NULL;
  return log;
}

static void
share_log_clear(ShareLog *log)
{
  g_array_unref(log->items);
  g_ptr_array_unref(log->docs);
  g_ptr_array_unref(log->errors);
}

/* A .warc.gz of one member per record read by byte ranges, as MPI ranks read it: for 1 to 5 shares,
 * the shares' documents in item order are one loader's (names FILE@OFFSET, ids, metadata with the
 * record offsets), each error is reported by one share as one loader reports it, and the records
 * passed over add up. The file holds records the workers refuse. Files that cannot be cut are
 * refused by the plan: plain, gzip'd whole, members of two records, too few members, a member that
 * is not a record, a Content-Length that swallows the next member, a corrupt member. */
START_TEST(test_gz_ranges)
{
  Warc w;
  warc_init(&w);
  warc_record(&w, "warcinfo", NULL, "application/warc-fields", "software: test\r\n", -1, -1);
  for (guint i = 0; i < 40; i++) {
    g_autofree char *uri = g_strdup_printf("https://valley.example/%u", i);
    g_autofree char *body = g_strdup_printf("<html><body><p>Story %u. %s</p></body></html>", i, i % 2 ? page1 : page2);
    warc_record(&w, "request", uri, "application/http; msgtype=request", "GET / HTTP/1.1\r\n\r\n", -1, -1);
    warc_response(&w, uri, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", body, -1, -1);
    if (i % 13 == 7) /* a wrong chunk size: an error in the worker */
      warc_response(&w, uri, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n",
                    "10\r\n<html><body><p>longer than sixteen bytes</p></body></html>\r\n0\r\n\r\n", -1, -1);
  }
  g_autofree char *path = write_tmp("ranges.warc.gz", w.gz->str, w.gz->len);
  g_autoptr(GHashTable) whole_passed = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  ShareLog whole = load_share(path, 0, 0, whole_passed);
  ck_assert_uint_eq(whole.docs->len, 40);
  ck_assert_uint_eq(whole.errors->len, 3);
  for (guint count = 1; count <= 5; count++) {
    g_autoptr(GHashTable) passed = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_autoptr(GArray) items = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) errors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint64 prev_end = 0;
    for (guint index = 0; index < count; index++) {
      NdInputRange r;
      ck_assert(nd_input_range_plan(path, FALSE, index, count, NULL, NULL, &r, NULL));
      ck_assert_uint_eq(r.start, prev_end); /* the ranges tile the file */
      gboolean at_record = r.start == w.gz->len;
      for (guint k = 0; k < w.gz_at->len; k++) /* and start at records' members, never at the non-record one */
        at_record |= g_array_index(w.gz_at, guint64, k) == r.start && memcmp(w.plain->str +
                     g_array_index(w.plain_at, guint64, k), "WARC/", 5) == 0;
      ck_assert_msg(at_record, "share %u of %u starts at %" G_GUINT64_FORMAT, index, count, r.start);
      prev_end = r.end;
      ShareLog log = load_share(path, index, count, passed);
      for (guint i = 0; i < log.docs->len; i++) {
        guint64 item = g_array_index(log.items, guint64, i);
        ck_assert_uint_ge(item, r.start);
        ck_assert_uint_lt(item, r.end);
        g_array_append_val(items, item);
        g_ptr_array_add(docs, g_strdup(g_ptr_array_index(log.docs, i)));
      }
      for (guint i = 0; i < log.errors->len; i++)
        ck_assert(g_hash_table_add(errors, g_strdup(g_ptr_array_index(log.errors, i))));
      share_log_clear(&log);
    }
    ck_assert_uint_eq(prev_end, w.gz->len);
    ck_assert_uint_eq(docs->len, whole.docs->len);
    for (guint i = 0; i < docs->len; i++) {
      guint rank = 0;
      for (guint j = 0; j < docs->len; j++)
        rank += g_array_index(items, guint64, j) < g_array_index(items, guint64, i);
      ck_assert_str_eq(g_ptr_array_index(docs, i), g_ptr_array_index(whole.docs, rank));
    }
    ck_assert_uint_eq(g_hash_table_size(errors), whole.errors->len);
    for (guint i = 0; i < whole.errors->len; i++)
      ck_assert_msg(g_hash_table_contains(errors, g_ptr_array_index(whole.errors, i)), "%s",
                    (char *)g_ptr_array_index(whole.errors, i));
    ck_assert_uint_eq(g_hash_table_size(passed), g_hash_table_size(whole_passed));
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, whole_passed);
    while (g_hash_table_iter_next(&it, &key, &value))
      ck_assert_uint_eq(*(guint64 *)g_hash_table_lookup(passed, key), *(guint64 *)value);
  }
  share_log_clear(&whole);

  /* Not cut: a plain WARC, a WARC gzip'd whole, members of two records each, fewer members than shares. */
  NdInputRange r;
  g_autofree char *plain = write_tmp("ranges.warc", w.plain->str, w.plain->len);
  ck_assert(!nd_input_range_plan(plain, FALSE, 1, 2, NULL, NULL, &r, NULL));
  gsize zn;
  g_autofree char *z = gzip_bytes(w.plain->str, w.plain->len, &zn);
  g_autofree char *whole_gz = write_tmp("whole.warc.gz", z, zn);
  ck_assert(nd_input_range_plan(whole_gz, FALSE, 0, 2, NULL, NULL, &r, NULL) == FALSE ||
            r.end == zn); /* share 0 may take it all, */
  ck_assert(!nd_input_range_plan(whole_gz, FALSE, 1, 2, NULL, NULL, &r, NULL)); /* share 1 finds no member */
  GString *pairs = g_string_new(NULL);
  for (guint k = 0; k + 1 < w.plain_at->len; k += 2) {
    guint64 from = g_array_index(w.plain_at, guint64, k);
    guint64 to = k + 2 < w.plain_at->len ? g_array_index(w.plain_at, guint64, k + 2) : w.plain->len;
    g_autofree char *m = gzip_bytes(w.plain->str + from, (gsize)(to - from), &zn);
    g_string_append_len(pairs, m, (gssize)zn);
  }
  g_autofree char *pairs_path = write_tmp("pairs.warc.gz", pairs->str, pairs->len);
  for (guint index = 0; index < 3; index++)
    ck_assert(!nd_input_range_plan(pairs_path, FALSE, index, 3, NULL, NULL, &r, NULL));
  g_string_free(pairs, TRUE);
  g_autofree char *few = write_tmp("few.warc.gz", w.gz->str, g_array_index(w.gz_at, guint64, 2));
  ck_assert(!nd_input_range_plan(few, FALSE, 3, 4, NULL, NULL, &r, NULL));
  /* one bad member in the middle: no share may cut the file (the ranks agree on all or none). Bad
   * 3 to 5 are one record each, but one the reader reports and then reads on into the next member
   * from (found by fuzz_ranges): shares reading from that member would differ from one process. */
  const char *odd[] = {
    "WARC/1.1\r\nWARC-Type: resource\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n0123456789",
    "WARC/1.1\r\nWARC-Type: resource\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n0123456789x",
    "WARC/1.1\r\nWARC-Type: resource\r\nContent-Type: text/plain\r\nContent-Length:\r\n\r\n\r\n\r\n",
  };
  for (int bad = 0; bad < 3 + (int)G_N_ELEMENTS(odd); bad++) {
    Warc v;
    warc_init(&v);
    for (guint i = 0; i < 12; i++) {
      g_autofree char *uri = g_strdup_printf("https://hill.example/%u", i);
      warc_response(&v, uri, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", i % 2 ? page1 : page2, -1,
                    i == 6 && bad == 1 ? (gint64)strlen(page1) + 500 : -1);
      if (i == 6 && bad == 0)
        warc_raw(&v, "this is not a record\r\nnor is this\r\n", 35);
      if (i == 6 && bad >= 3)
        warc_raw(&v, odd[bad - 3], strlen(odd[bad - 3]));
    }
    if (bad == 2)
      v.gz->str[g_array_index(v.gz_at, guint64, 6) + 20] ^= 0x55;
    g_autofree char *bad_path = write_tmp("bad.warc.gz", v.gz->str, v.gz->len);
    guint accepted = 0;
    for (guint index = 0; index < 2; index++)
      accepted += nd_input_range_plan(bad_path, FALSE, index, 2, NULL, NULL, &r, NULL);
    ck_assert_msg(accepted < 2, "bad member %d: cut", bad);
    warc_clear(&v);
  }
  warc_clear(&w);
}
END_TEST

/* Compressed and mis-named inputs are recognised by their content. */
START_TEST(test_by_content)
{
  const char *jsonl = "{\"id\": \"r1\", \"text\": \"The first record of a feed, long enough to be signed as an article.\"}\n"
                      "{\"id\": \"r2\", \"text\": \"The second record of the feed, about something else entirely.\", \"site\": \"x\"}\n";
  gsize zn;
  g_autofree char *z = gzip_bytes(jsonl, strlen(jsonl), &zn);
  gsize zs_cap = ZSTD_compressBound(strlen(jsonl));
  g_autofree char *zs = g_malloc(zs_cap);
  gsize zs_n = ZSTD_compress(zs, zs_cap, jsonl, strlen(jsonl), 3);
  ck_assert(!ZSTD_isError(zs_n));
  const struct {
    const char *name;
    const char *data;
    gsize len;
  } files[] = {
    { "feed.txt", jsonl, strlen(jsonl) }, /* JSON Lines named as text */
    { "feed.jsonl.gz", z, zn },
    { "feed", zs, zs_n },                 /* zstd, no extension */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *path = write_tmp(files[i].name, files[i].data, files[i].len);
    Log log;
    NdLoader *l;
    g_autoptr(NdCollection) c = load(path, 2, &log, NULL, &l);
    ck_assert_uint_eq(log.inputs->len, 0);
    ck_assert_uint_eq(nd_collection_size(c), 2);
    ck_assert_str_eq(nd_collection_get(c, 0)->id, "r1");
    ck_assert_str_eq(nd_collection_get(c, 1)->meta, "{\"site\":\"x\"}");
    nd_loader_free(l);
    log_clear(&log);
  }
  /* --jsonl of a gzip file */
  {
    g_autofree char *path = g_build_filename(tmp_root, "feed.jsonl.gz", NULL);
    NdSignParams p;
    nd_sign_params_init(&p);
    g_autoptr(NdCollection) c = nd_collection_new(&p);
    g_autoptr(NdLoader) l = nd_loader_new(c, 1, FALSE);
    nd_loader_add_jsonl(l, path, "id", "text");
    ck_assert_uint_eq(nd_loader_finish(l), 0);
    ck_assert_uint_eq(nd_collection_size(c), 2);
  }
  /* a gzip'd page is one article, its text extracted; a truncated gzip file is reported */
  const char *page = "<html><body><p>A saved page, compressed, is still one article whose text is extracted from "
                     "its markup like any other page.</p></body></html>";
  g_autofree char *pz = gzip_bytes(page, strlen(page), &zn);
  g_autofree char *ppath = write_tmp("page.html.gz", pz, zn);
  g_autofree char *tpath = write_tmp("cut.html.gz", pz, zn - 12);
  NdSignParams p;
  nd_sign_params_init(&p);
  p.keep_text = TRUE;
  g_autoptr(NdCollection) c = nd_collection_new(&p);
  Log log = { g_ptr_array_new_with_free_func(g_free), g_ptr_array_new_with_free_func(g_free),
              g_array_new(FALSE, FALSE, sizeof(gint)) };
  g_autoptr(NdLoader) l = nd_loader_new(c, 1, FALSE);
  nd_loader_set_error_func(l, on_error, &log);
  nd_loader_add_path(l, ppath);
  nd_loader_add_path(l, tpath);
  ck_assert_uint_eq(nd_loader_finish(l), 1);
  ck_assert_uint_eq(nd_collection_size(c), 1);
  ck_assert(g_str_has_prefix(nd_collection_get(c, 0)->text, "A saved page, compressed"));
  ck_assert_str_eq(nd_collection_get(c, 0)->path, ppath);
  ck_assert_str_eq(g_ptr_array_index(log.inputs, 0), tpath);
  ck_assert_ptr_nonnull(strstr(g_ptr_array_index(log.messages, 0), "truncated gzip data"));
  log_clear(&log);
}
END_TEST

/* --include/--exclude globs and files that cannot be articles, in a "Save page as" folder. */
START_TEST(test_walk_filters)
{
  g_autofree char *dir = g_build_filename(tmp_root, "saved", NULL);
  const char *page = "<html><body><p>The saved page itself, the only article in this folder of files a browser "
                     "writes beside a page it saves.</p></body></html>";
  g_free(write_test_file(dir, "story.html", page, -1));
  g_free(write_test_file(dir, "story_files/app.js", "function f() { return 1; }", -1));
  g_free(write_test_file(dir, "story_files/site.css", "p { margin: 0 }", -1));
  g_free(write_test_file(dir, "story_files/logo.png", "\x89PNG\r\n\x1a\n\0\0\0\r", 12));
  g_free(write_test_file(dir, "story_files/blob", "\0\1\2\3", 4));
  g_free(write_test_file(dir, "notes/draft.txt", "A draft that --exclude leaves out of the comparison.", -1));
  NdSignParams p;
  nd_sign_params_init(&p);
  g_autoptr(NdCollection) c = nd_collection_new(&p);
  g_autoptr(NdLoader) l = nd_loader_new(c, 2, FALSE);
  nd_loader_add_exclude(l, "notes");
  nd_loader_add_path(l, dir);
  ck_assert_uint_eq(nd_loader_finish(l), 0);
  ck_assert_uint_eq(nd_collection_size(c), 1);
  guint n;
  const NdPassedOver *passed = nd_loader_passed_over(l, &n);
  ck_assert_uint_eq(n, 3); /* the script and stylesheet; the image; the binary blob */
  ck_assert_uint_eq(passed[0].count + passed[1].count + passed[2].count, 4);

  g_autoptr(NdCollection) c2 = nd_collection_new(&p);
  g_autoptr(NdLoader) l2 = nd_loader_new(c2, 1, FALSE);
  nd_loader_add_include(l2, "*.txt");
  nd_loader_add_path(l2, dir);
  ck_assert_uint_eq(nd_loader_finish(l2), 0);
  ck_assert_uint_eq(nd_collection_size(c2), 1);
  ck_assert(g_str_has_suffix(nd_collection_get(c2, 0)->id, "draft.txt"));
}
END_TEST

static Suite *
warc_suite(void)
{
  Suite *s = suite_create("warc");
  TCase *tc = tcase_create("core");
  tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
  tcase_add_test(tc, test_crawl);
  tcase_add_test(tc, test_hostile_records);
  tcase_add_test(tc, test_by_content);
  tcase_add_test(tc, test_walk_filters);
  tcase_add_test(tc, test_gz_ranges);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(warc_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
