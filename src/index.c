/* index.c — the SQLite archive (schema and guarantees in include/neardup/index.h).
 *
 * Design: SQLite does the storage, transactions, locking and crash safety; this file maps articles
 * to rows. Postings live in two WITHOUT ROWID tables keyed (key, article), so a lookup is one B-tree
 * range scan and an add is a batch of inserts inside one transaction. Prepared statements are kept
 * for the life of the handle.
 */
#include <neardup/neardup.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hash.h"

/* The anchors of format 3 (score.h), recorded in the header so that a change of the rule is seen. */
#define ANCHOR_SPEC G_STRINGIFY(ND_ANCHOR_TOKENS) "x" G_STRINGIFY(ND_ANCHOR_WINDOW)
#define MAX_POSTING ND_DEFAULT_MAX_POSTING

enum {
  ST_INSERT_ARTICLE, ST_INSERT_BAND, ST_INSERT_FP, ST_FIND_BAND, ST_FIND_FP, ST_GET_ARTICLE, ST_GET_BY_ID,
  ST_DELETE_ARTICLE, ST_DELETE_BAND, ST_DELETE_FP, ST_GET_TEXT, N_STATEMENTS
};

/* Long statements are split over lines; clang-tidy's missing-comma check misreads that. */
// NOLINTBEGIN(bugprone-suspicious-missing-comma)
static const char *const statement_sql[N_STATEMENTS] = {
  [ST_INSERT_ARTICLE] = "INSERT INTO articles(id, bytes, tokens, set_size, n_anchors, added, metadata, signature, "
                        "shingles, anchors, text, text_hash) VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?, ?, ?, "
                        "?, ?, ?)",
  [ST_INSERT_BAND] = "INSERT OR IGNORE INTO band_keys(key, num) VALUES (?, ?)",
  [ST_INSERT_FP] = "INSERT OR IGNORE INTO fingerprints(fp, num) VALUES (?, ?)",
  [ST_FIND_BAND] = "SELECT num FROM band_keys WHERE key = ?",
  [ST_FIND_FP] = "SELECT num FROM fingerprints WHERE fp = ? LIMIT " G_STRINGIFY(MAX_POSTING) " + 1",
  [ST_GET_ARTICLE] = "SELECT id, metadata, bytes, set_size, signature, shingles FROM articles WHERE num = ?",
  [ST_GET_BY_ID] = "SELECT num, signature, anchors FROM articles WHERE id = ?",
  [ST_DELETE_ARTICLE] = "DELETE FROM articles WHERE num = ?",
  [ST_DELETE_BAND] = "DELETE FROM band_keys WHERE key = ? AND num = ?",
  [ST_DELETE_FP] = "DELETE FROM fingerprints WHERE fp = ? AND num = ?",
  [ST_GET_TEXT] = "SELECT text, text_hash, bytes FROM articles WHERE id = ?",
};
// NOLINTEND(bugprone-suspicious-missing-comma)

/* A posting waiting to be written: (key, article number). */
typedef struct {
  gint64 key, num;
} Posting;

#define PENDING_MAX (1u << 22) /* postings buffered before a sorted flush (64 MiB per table) */

struct NdIndex {
  GArray *pending_bands, *pending_fps; /* Posting, written sorted by flush_pending() */
  sqlite3 *db;
  char *path;
  NdSignParams params;
  NdLshParams lsh;
  double threshold;
  gboolean in_transaction;
  sqlite3_stmt *st[N_STATEMENTS];
};

static gboolean
db_error(NdIndex *ix, int rc, const char *what, GError **error)
{
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX_BUSY, "%s: %s: the index is being written by another process",
                ix->path, what);
  else if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: not a neardup index, or corrupt (%s)", ix->path,
                sqlite3_errstr(rc));
  else
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: %s: %s", ix->path, what,
                ix->db ? sqlite3_errmsg(ix->db) : sqlite3_errstr(rc));
  return FALSE;
}

static gboolean
exec(NdIndex *ix, const char *sql, GError **error)
{
  int rc = sqlite3_exec(ix->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK || db_error(ix, rc, sql, error);
}

static gboolean
prepare_all(NdIndex *ix, GError **error)
{
  for (int i = 0; i < N_STATEMENTS; i++) {
    int rc = sqlite3_prepare_v3(ix->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ix->st[i], NULL);
    if (rc != SQLITE_OK)
      return db_error(ix, rc, "preparing statements", error);
  }
  return TRUE;
}

void
nd_index_close(NdIndex *ix)
{
  if (ix == NULL)
    return;
  if (ix->in_transaction)
    nd_index_rollback(ix);
  g_array_unref(ix->pending_bands);
  g_array_unref(ix->pending_fps);
  for (int i = 0; i < N_STATEMENTS; i++)
    sqlite3_finalize(ix->st[i]);
  sqlite3_close(ix->db);
  g_free(ix->path);
  g_free(ix);
}

static NdIndex *
open_db(const char *path, int flags, GError **error)
{
  NdIndex *ix = g_new0(NdIndex, 1);
  ix->path = g_strdup(path);
  ix->pending_bands = g_array_new(FALSE, FALSE, sizeof(Posting));
  ix->pending_fps = g_array_new(FALSE, FALSE, sizeof(Posting));
  int rc = sqlite3_open_v2(path, &ix->db, flags, NULL);
  if (rc != SQLITE_OK) {
    db_error(ix, rc, "cannot open", error);
    nd_index_close(ix);
    return NULL;
  }
  sqlite3_extended_result_codes(ix->db, 0);
  sqlite3_busy_timeout(ix->db, 10000);
  /* Postings are inserted at random places in their B-trees: a page cache of up to 256 MiB keeps
   * a large add from re-reading the same pages (SQLite's default is 2 MiB). Memory stays bounded. */
  if (flags & SQLITE_OPEN_READWRITE)
    sqlite3_exec(ix->db, "PRAGMA cache_size=-262144", NULL, NULL, NULL);
  else /* readers touch few pages per query; the OS page cache does the rest */
    sqlite3_exec(ix->db, "PRAGMA cache_size=-16384", NULL, NULL, NULL);
  return ix;
}

static gboolean
set_meta(NdIndex *ix, const char *key, const char *value, GError **error)
{
  char *sql = sqlite3_mprintf("INSERT OR REPLACE INTO meta(key, value) VALUES (%Q, %Q)", key, value);
  gboolean ok = exec(ix, sql, error);
  sqlite3_free(sql);
  return ok;
}

NdIndex *
nd_index_create(const char *path, const NdSignParams *params, double threshold, GError **error)
{
  if (!nd_sign_params_validate(params, error))
    return NULL;
  NdLshParams lsh;
  if (!nd_lsh_params_for(threshold, params->num_perm, ND_LSH_FN_WEIGHT, &lsh, error))
    return NULL;
  struct stat st;
  if (stat(path, &st) == 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: already exists; an index is never overwritten", path);
    return NULL;
  }
  /* The index is built under a hidden temporary name and linked into place when complete, so a
   * create killed half-way never leaves a half-made index under the user's name. */
  g_autofree char *dir = g_path_get_dirname(path), *base = g_path_get_basename(path);
  g_autofree char *tmp_name = g_strdup_printf(".%s.creating-XXXXXX", base);
  g_autofree char *tmp_path = g_build_filename(dir, tmp_name, NULL);
  int fd = g_mkstemp(tmp_path);
  if (fd < 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: cannot create: %s", path, g_strerror(errno));
    return NULL;
  }
  close(fd);
  NdIndex *ix = open_db(tmp_path, SQLITE_OPEN_READWRITE, error);
  if (ix == NULL) {
    g_unlink(tmp_path);
    return NULL;
  }
  ix->params = *params;
  ix->params.keep_sets = ix->params.keep_text = TRUE;
  ix->lsh = lsh;
  ix->threshold = threshold;
  g_autofree char *spec = nd_shingle_spec_to_string(&params->shingle);
  char num[64];
  gboolean ok = exec(ix, "BEGIN IMMEDIATE", error) &&
    exec(ix, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
             "CREATE TABLE articles(num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL,"
             " tokens INTEGER NOT NULL, set_size INTEGER NOT NULL, n_anchors INTEGER NOT NULL, added TEXT NOT NULL,"
             " metadata TEXT, signature BLOB NOT NULL, shingles BLOB NOT NULL, anchors BLOB NOT NULL, text BLOB NOT NULL,"
             " text_hash INTEGER NOT NULL);"
             "CREATE TABLE band_keys(key INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY(key, num)) WITHOUT ROWID;"
             "CREATE TABLE fingerprints(fp INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY(fp, num)) WITHOUT ROWID;",
         error);
  g_snprintf(num, sizeof num, "%d", ND_INDEX_FORMAT_VERSION);
  ok = ok && set_meta(ix, "format_version", num, error) && set_meta(ix, "shingle", spec, error);
  g_snprintf(num, sizeof num, "%u", params->num_perm);
  ok = ok && set_meta(ix, "num_perm", num, error);
  g_snprintf(num, sizeof num, "%" G_GUINT64_FORMAT, params->seed);
  ok = ok && set_meta(ix, "seed", num, error);
  g_ascii_dtostr(num, sizeof num, threshold);
  ok = ok && set_meta(ix, "threshold", num, error);
  g_snprintf(num, sizeof num, "%u", lsh.bands);
  ok = ok && set_meta(ix, "bands", num, error);
  g_snprintf(num, sizeof num, "%u", lsh.rows);
  ok = ok && set_meta(ix, "rows", num, error);
  ok = ok && set_meta(ix, "anchors", ANCHOR_SPEC, error);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *created = g_date_time_format_iso8601(now);
  ok = ok && set_meta(ix, "created", created, error) && exec(ix, "COMMIT", error);
  nd_index_close(ix);
  if (!ok) {
    g_unlink(tmp_path);
    return NULL;
  }
  /* link() refuses to replace a file that appeared meanwhile: an index is never overwritten. */
  if (link(tmp_path, path) != 0) {
    int e = errno;
    g_unlink(tmp_path);
    g_set_error(error, ND_ERROR, e == EEXIST ? ND_ERROR_INDEX : ND_ERROR_IO, "%s: %s", path,
                e == EEXIST ? "already exists; an index is never overwritten" : g_strerror(e));
    return NULL;
  }
  g_unlink(tmp_path);
  ix = nd_index_open(path, TRUE, error);
  if (ix != NULL && !exec(ix, "PRAGMA journal_mode=WAL", error))
    g_clear_pointer(&ix, nd_index_close);
  return ix;
}

/* Reads meta[key] into a new string; NULL with an error when it is missing. */
static char *
get_meta(NdIndex *ix, const char *key, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(ix->db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(st);
    if (rc == SQLITE_ERROR) /* no meta table */
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: not a neardup index (no meta table)", ix->path);
    else
      db_error(ix, rc, "reading the index header", error);
    return NULL;
  }
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  char *value = rc == SQLITE_ROW ? g_strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
  sqlite3_finalize(st);
  if (value == NULL && rc != SQLITE_DONE && rc != SQLITE_ROW)
    db_error(ix, rc, "reading the index header", error);
  else if (value == NULL)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: not a neardup index, or corrupt (no \"%s\" in meta)", ix->path, key);
  return value;
}

static gboolean
meta_uint(NdIndex *ix, const char *key, guint64 max, guint64 *out, GError **error)
{
  g_autofree char *v = get_meta(ix, key, error);
  if (v == NULL)
    return FALSE;
  if (!g_ascii_string_to_unsigned(v, 10, 0, max, out, NULL)) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt index header (%s = \"%s\")", ix->path, key, v);
    return FALSE;
  }
  return TRUE;
}

NdIndex *
nd_index_open(const char *path, gboolean writable, GError **error)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    g_set_error(error, ND_ERROR, e == ENOENT ? ND_ERROR_NOT_FOUND : ND_ERROR_IO, "%s: %s", path, g_strerror(e));
    return NULL;
  }
  NdIndex *ix = open_db(path, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, error);
  if (ix == NULL)
    return NULL;
  guint64 version, num_perm, bands, rows;
  g_autofree char *spec = NULL, *seed = NULL, *threshold = NULL, *anchors = NULL;
  gboolean ok = meta_uint(ix, "format_version", G_MAXINT, &version, error);
  if (ok && version > ND_INDEX_FORMAT_VERSION) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: index format %" G_GUINT64_FORMAT " is newer than this neardup "
                "supports (%d); upgrade neardup", path, version, ND_INDEX_FORMAT_VERSION);
    ok = FALSE;
  } else if (ok && version == 2) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: index format 2 was written by an older neardup: its "
                "containment fingerprints (1 in 8 word 3-grams) are not the passage anchors this one looks up "
                "(format %d), so queries would miss reused passages; create a new index and add the articles "
                "again", path, ND_INDEX_FORMAT_VERSION);
    ok = FALSE;
  } else if (ok && version < ND_INDEX_FORMAT_VERSION) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: index format %" G_GUINT64_FORMAT " was written by an older "
                "neardup whose signatures do not compare with this one's (format %d); create a new index and add "
                "the articles again", path, version, ND_INDEX_FORMAT_VERSION);
    ok = FALSE;
  }
  ok = ok && (spec = get_meta(ix, "shingle", error)) != NULL && (seed = get_meta(ix, "seed", error)) != NULL &&
       (threshold = get_meta(ix, "threshold", error)) != NULL &&
       meta_uint(ix, "num_perm", ND_MINHASH_MAX_PERM, &num_perm, error) && meta_uint(ix, "bands", 4096, &bands, error) &&
       meta_uint(ix, "rows", 4096, &rows, error) && (anchors = get_meta(ix, "anchors", error)) != NULL;
  if (ok) {
    nd_sign_params_init(&ix->params);
    ix->params.keep_sets = ix->params.keep_text = TRUE;
    ix->params.num_perm = (guint)num_perm;
    guint64 seed_value = 0;
    char *threshold_end = NULL;
    ix->threshold = g_ascii_strtod(threshold, &threshold_end);
    ix->lsh = (NdLshParams){ (guint)bands, (guint)rows, 0, 0 };
    g_autoptr(GError) local = NULL;
    if (!g_ascii_string_to_unsigned(seed, 10, 0, G_MAXUINT64, &seed_value, NULL) ||
        threshold_end == threshold || *threshold_end != '\0' || !(ix->threshold > 0 && ix->threshold < 1) ||
        !nd_shingle_spec_parse(spec, &ix->params.shingle, &local) || bands * rows > num_perm || bands == 0 ||
        rows == 0 || strcmp(anchors, ANCHOR_SPEC) != 0 || num_perm < ND_MINHASH_MIN_PERM) {
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt index header (parameters out of range)", path);
      ok = FALSE;
    }
    ix->params.seed = seed_value;
  }
  ok = ok && prepare_all(ix, error);
  if (!ok) {
    nd_index_close(ix);
    return NULL;
  }
  return ix;
}

const NdSignParams *
nd_index_sign_params(const NdIndex *ix)
{
  return &ix->params;
}

const NdLshParams *
nd_index_lsh_params(const NdIndex *ix)
{
  return &ix->lsh;
}

void
nd_index_set_busy_timeout(NdIndex *ix, guint ms)
{
  sqlite3_busy_timeout(ix->db, (int)MIN(ms, (guint)G_MAXINT));
}

static int
compare_postings(const void *x, const void *y)
{
  const Posting *a = x, *b = y;
  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  return a->num < b->num ? -1 : a->num > b->num;
}

static gboolean step_done(NdIndex *ix, sqlite3_stmt *st, const char *what, GError **error);

/* Writes the buffered postings of one table in key order: inserting sorted keys touches each
 * B-tree page once per flush instead of once per posting, several times faster for large adds. */
static gboolean
flush_table(NdIndex *ix, GArray *pending, sqlite3_stmt *st, const char *what, GError **error)
{
  if (pending->len > 1)
    qsort(pending->data, pending->len, sizeof(Posting), compare_postings);
  for (guint i = 0; i < pending->len; i++) {
    const Posting *p = &g_array_index(pending, Posting, i);
    sqlite3_bind_int64(st, 1, p->key);
    sqlite3_bind_int64(st, 2, p->num);
    if (!step_done(ix, st, what, error))
      return FALSE;
  }
  g_array_set_size(pending, 0);
  return TRUE;
}

static gboolean
flush_pending(NdIndex *ix, GError **error)
{
  return flush_table(ix, ix->pending_bands, ix->st[ST_INSERT_BAND], "adding band keys", error) &&
         flush_table(ix, ix->pending_fps, ix->st[ST_INSERT_FP], "adding fingerprints", error);
}

gboolean
nd_index_begin(NdIndex *ix, GError **error)
{
  g_return_val_if_fail(!ix->in_transaction, FALSE);
  if (!exec(ix, "BEGIN IMMEDIATE", error))
    return FALSE;
  ix->in_transaction = TRUE;
  return TRUE;
}

gboolean
nd_index_commit(NdIndex *ix, GError **error)
{
  g_return_val_if_fail(ix->in_transaction, FALSE);
  if (!flush_pending(ix, error) || !exec(ix, "COMMIT", error)) {
    nd_index_rollback(ix);
    return FALSE;
  }
  ix->in_transaction = FALSE;
  return TRUE;
}

void
nd_index_rollback(NdIndex *ix)
{
  if (ix->in_transaction)
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
  ix->in_transaction = FALSE;
  g_array_set_size(ix->pending_bands, 0);
  g_array_set_size(ix->pending_fps, 0);
}

static guint32 *
to_le(const guint32 *v, gsize n)
{
  guint32 *out = g_new(guint32, n + 1);
  for (gsize i = 0; i < n; i++)
    out[i] = GUINT32_TO_LE(v[i]);
  return out;
}

/* Copies a BLOB of little-endian uint32 values; NULL when its size is not n values. */
static guint32 *
from_le_blob(sqlite3_stmt *st, int col, gsize n)
{
  const guint32 *blob = sqlite3_column_blob(st, col);
  if ((gsize)sqlite3_column_bytes(st, col) != n * sizeof(guint32) || (blob == NULL && n > 0))
    return NULL;
  guint32 *out = g_new(guint32, n + 1);
  for (gsize i = 0; i < n; i++) {
    guint32 v;
    memcpy(&v, blob + i, sizeof v);
    out[i] = GUINT32_FROM_LE(v);
  }
  return out;
}

static GBytes *
deflate_text(const char *text, gsize len)
{
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_RAW, 1);
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new(mem, G_CONVERTER(z));
  gboolean ok = g_output_stream_write_all(out, text, len, NULL, NULL, NULL) && g_output_stream_close(out, NULL, NULL);
  if (!ok)
    return NULL;
  return g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(mem));
}

static char *
inflate_text(const void *data, gsize len, gsize expected, gsize *out_len)
{
  g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_RAW);
  g_autoptr(GInputStream) mem = g_memory_input_stream_new_from_data(data, (gssize)len, NULL);
  g_autoptr(GInputStream) in = g_converter_input_stream_new(mem, G_CONVERTER(z));
  char *buf = g_malloc(expected + 1);
  gsize got = 0;
  if (!g_input_stream_read_all(in, buf, expected, &got, NULL, NULL) || got != expected) {
    g_free(buf);
    return NULL;
  }
  char extra;
  gsize more = 0;
  if (g_input_stream_read_all(in, &extra, 1, &more, NULL, NULL) && more != 0) {
    g_free(buf);
    return NULL;
  }
  buf[got] = '\0';
  *out_len = got;
  return buf;
}

static gboolean
step_done(NdIndex *ix, sqlite3_stmt *st, const char *what, GError **error)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE || db_error(ix, rc, what, error);
}

gboolean
nd_index_add(NdIndex *ix, const NdDocument *doc, GError **error)
{
  g_return_val_if_fail(ix->in_transaction, FALSE);
  if (doc->set == NULL || doc->text == NULL) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INVALID_ARG, "document was signed without its shingle set or text");
    return FALSE;
  }
  sqlite3_stmt *st = ix->st[ST_INSERT_ARTICLE];
  g_autoptr(GBytes) packed = deflate_text(doc->text, doc->bytes);
  g_autofree guint32 *sig = to_le(doc->signature, ix->params.num_perm);
  g_autofree guint32 *set = to_le(doc->set, doc->set_size);
  g_autofree guint32 *anchors = to_le(doc->anchors, doc->n_anchors);
  if (packed == NULL) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INDEX, "cannot compress the article's text");
    return FALSE;
  }
  gsize packed_len;
  const void *packed_data = g_bytes_get_data(packed, &packed_len);
  sqlite3_bind_text(st, 1, doc->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)doc->bytes);
  sqlite3_bind_int64(st, 3, doc->tokens);
  sqlite3_bind_int64(st, 4, doc->set_size);
  sqlite3_bind_int64(st, 5, doc->n_anchors);
  if (doc->meta)
    sqlite3_bind_text(st, 6, doc->meta, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 6);
  sqlite3_bind_blob(st, 7, sig, (int)(ix->params.num_perm * sizeof(guint32)), SQLITE_STATIC);
  sqlite3_bind_blob(st, 8, set, (int)(doc->set_size * sizeof(guint32)), SQLITE_STATIC);
  sqlite3_bind_blob(st, 9, anchors, (int)(doc->n_anchors * sizeof(guint32)), SQLITE_STATIC);
  sqlite3_bind_blob(st, 10, packed_data ? packed_data : "", (int)packed_len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 11, (sqlite3_int64)XXH3_64bits(doc->text, doc->bytes));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc == SQLITE_CONSTRAINT) {
    g_set_error(error, ND_ERROR, ND_ERROR_DUPLICATE_ID, "id '%s' is already in the index; skipped", doc->id);
    return FALSE;
  }
  if (rc != SQLITE_DONE)
    return db_error(ix, rc, "adding an article", error);
  sqlite3_int64 num = sqlite3_last_insert_rowid(ix->db);
  for (guint band = 0; band < ix->lsh.bands; band++) {
    Posting p = { (gint64)nd_lsh_band_key(doc->signature, band, ix->lsh.rows), num };
    g_array_append_val(ix->pending_bands, p);
  }
  for (guint32 j = 0; j < doc->n_anchors; j++) {
    Posting p = { doc->anchors[j], num };
    g_array_append_val(ix->pending_fps, p);
  }
  if (ix->pending_bands->len + ix->pending_fps->len >= PENDING_MAX)
    return flush_pending(ix, error);
  return TRUE;
}

gboolean
nd_index_remove(NdIndex *ix, const char *id, GError **error)
{
  g_return_val_if_fail(ix->in_transaction, FALSE);
  if (!flush_pending(ix, error))
    return FALSE;
  sqlite3_stmt *st = ix->st[ST_GET_BY_ID];
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE)
      g_set_error(error, ND_ERROR, ND_ERROR_NOT_FOUND, "id '%s' is not in the index", id);
    else
      db_error(ix, rc, "looking up an article", error);
    return FALSE;
  }
  sqlite3_int64 num = sqlite3_column_int64(st, 0);
  gsize n_anchors = (gsize)sqlite3_column_bytes(st, 2) / sizeof(guint32);
  g_autofree guint32 *sig = from_le_blob(st, 1, ix->params.num_perm);
  g_autofree guint32 *anchors = from_le_blob(st, 2, n_anchors);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (sig == NULL || anchors == NULL) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt article row for '%s'", ix->path, id);
    return FALSE;
  }
  for (guint band = 0; band < ix->lsh.bands; band++) {
    sqlite3_bind_int64(ix->st[ST_DELETE_BAND], 1, (sqlite3_int64)nd_lsh_band_key(sig, band, ix->lsh.rows));
    sqlite3_bind_int64(ix->st[ST_DELETE_BAND], 2, num);
    if (!step_done(ix, ix->st[ST_DELETE_BAND], "removing band keys", error))
      return FALSE;
  }
  for (gsize j = 0; j < n_anchors; j++) {
    sqlite3_bind_int64(ix->st[ST_DELETE_FP], 1, anchors[j]);
    sqlite3_bind_int64(ix->st[ST_DELETE_FP], 2, num);
    if (!step_done(ix, ix->st[ST_DELETE_FP], "removing fingerprints", error))
      return FALSE;
  }
  sqlite3_bind_int64(ix->st[ST_DELETE_ARTICLE], 1, num);
  return step_done(ix, ix->st[ST_DELETE_ARTICLE], "removing an article", error);
}

static gboolean
scalar(NdIndex *ix, const char *sql, guint64 *out, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *out = (guint64)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || db_error(ix, rc, sql, error);
}

/* Queries and statistics read several tables: outside a write transaction they run inside a read
 * transaction, so they see one committed state even while another process commits. */
static gboolean
read_begin(NdIndex *ix, gboolean *started, GError **error)
{
  *started = FALSE;
  if (ix->in_transaction)
    return TRUE;
  if (!exec(ix, "BEGIN", error))
    return FALSE;
  *started = TRUE;
  return TRUE;
}

static void
read_end(NdIndex *ix, gboolean started)
{
  if (started)
    sqlite3_exec(ix->db, "COMMIT", NULL, NULL, NULL);
}

static gboolean stats_in_snapshot(NdIndex *ix, NdIndexStats *s, GError **error);

gboolean
nd_index_stats(NdIndex *ix, NdIndexStats *s, GError **error)
{
  gboolean started;
  if (!read_begin(ix, &started, error))
    return FALSE;
  gboolean ok = stats_in_snapshot(ix, s, error);
  read_end(ix, started);
  return ok;
}

static gboolean
stats_in_snapshot(NdIndex *ix, NdIndexStats *s, GError **error)
{
  memset(s, 0, sizeof *s);
  if (ix->in_transaction && !flush_pending(ix, error))
    return FALSE;
  s->format_version = ND_INDEX_FORMAT_VERSION;
  guint64 pages = 0, page_size = 0, free_pages = 0;
  gboolean ok = scalar(ix, "SELECT count(*) FROM articles", &s->articles, error) &&
                scalar(ix, "SELECT coalesce(sum(bytes), 0) FROM articles", &s->text_bytes, error) &&
                scalar(ix, "SELECT count(*) FROM band_keys", &s->band_keys, error) &&
                scalar(ix, "SELECT count(*) FROM fingerprints", &s->fingerprints, error) &&
                scalar(ix, "PRAGMA page_count", &pages, error) && scalar(ix, "PRAGMA page_size", &page_size, error) &&
                scalar(ix, "PRAGMA freelist_count", &free_pages, error);
  s->file_bytes = (pages - free_pages) * page_size;
  return ok;
}

void
nd_index_match_clear(NdIndexMatch *m)
{
  g_free(m->id);
  g_free(m->metadata);
}

static int
compare_matches(gconstpointer x, gconstpointer y)
{
  const NdIndexMatch *a = x, *b = y;
  double sa = MAX(a->scores.jaccard, MAX(a->scores.containment_a_in_b, a->scores.containment_b_in_a));
  double sb = MAX(b->scores.jaccard, MAX(b->scores.containment_a_in_b, b->scores.containment_b_in_a));
  if (sa != sb)
    return sa > sb ? -1 : 1;
  return strcmp(a->id, b->id);
}

static GArray *query_in_snapshot(NdIndex *ix, const NdDocument *doc, const NdFindOptions *o, GError **error);

GArray *
nd_index_query(NdIndex *ix, const NdDocument *doc, const NdFindOptions *o, GError **error)
{
  gboolean started;
  if (!read_begin(ix, &started, error))
    return NULL;
  GArray *matches = query_in_snapshot(ix, doc, o, error);
  read_end(ix, started);
  return matches;
}

static GArray *
query_in_snapshot(NdIndex *ix, const NdDocument *doc, const NdFindOptions *o, GError **error)
{
  if (!nd_find_options_validate(o, error))
    return NULL;
  g_return_val_if_fail(doc->set != NULL, NULL);
  if (ix->in_transaction && !flush_pending(ix, error)) /* a query sees this transaction's adds */
    return NULL;
  /* Candidates (score.h's rule): articles in a band bucket of the query or sharing one of its passage
   * anchors that is in at most MAX_POSTING articles. Article number -> slot in nums. */
  g_autoptr(GHashTable) cand = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GArray) nums = g_array_new(FALSE, FALSE, sizeof(gint64));
  int rc;
  for (guint band = 0; band < ix->lsh.bands; band++) {
    sqlite3_stmt *st = ix->st[ST_FIND_BAND];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)nd_lsh_band_key(doc->signature, band, ix->lsh.rows));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      gint64 num = sqlite3_column_int64(st, 0);
      if (g_hash_table_add(cand, g_memdup2(&num, sizeof num)))
        g_array_append_val(nums, num);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
      return db_error(ix, rc, "reading band keys", error), NULL;
  }
  if (o->anchors) {
    for (guint32 j = 0; j < doc->n_anchors; j++) {
      sqlite3_stmt *st = ix->st[ST_FIND_FP];
      sqlite3_bind_int64(st, 1, doc->anchors[j]);
      g_autoptr(GArray) posting = g_array_new(FALSE, FALSE, sizeof(gint64));
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        gint64 num = sqlite3_column_int64(st, 0);
        g_array_append_val(posting, num);
      }
      sqlite3_reset(st);
      if (rc != SQLITE_DONE)
        return db_error(ix, rc, "reading passage anchors", error), NULL;
      if (posting->len > MAX_POSTING) /* a stock phrase: found in too many articles to mean reuse */
        continue;
      for (guint p = 0; p < posting->len; p++) {
        gint64 num = g_array_index(posting, gint64, p);
        if (!g_hash_table_contains(cand, &num)) {
          g_hash_table_add(cand, g_memdup2(&num, sizeof num));
          g_array_append_val(nums, num);
        }
      }
    }
  }
  GArray *matches = g_array_new(FALSE, TRUE, sizeof(NdIndexMatch));
  g_array_set_clear_func(matches, (GDestroyNotify)nd_index_match_clear);
  for (guint c = 0; c < nums->len; c++) {
    sqlite3_stmt *st = ix->st[ST_GET_ARTICLE];
    sqlite3_bind_int64(st, 1, g_array_index(nums, gint64, c));
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
      sqlite3_reset(st);
      g_array_unref(matches);
      return db_error(ix, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "reading a candidate", error), NULL;
    }
    NdDocument archived = { 0 };
    if (sqlite3_column_type(st, 0) != SQLITE_TEXT || sqlite3_column_bytes(st, 0) == 0) {
      sqlite3_reset(st);
      g_array_unref(matches);
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt article row (no id)", ix->path);
      return NULL;
    }
    archived.set_size = (guint32)sqlite3_column_int64(st, 3);
    archived.signature = from_le_blob(st, 4, ix->params.num_perm);
    archived.set = from_le_blob(st, 5, archived.set_size);
    if (archived.signature == NULL || archived.set == NULL) {
      g_free(archived.signature);
      g_free(archived.set);
      sqlite3_reset(st);
      g_array_unref(matches);
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt article row", ix->path);
      return NULL;
    }
    /* Every candidate is scored exactly and judged by score.h's report rule; without the batch's
     * word frequencies the vocabulary is unknown, so the archive reports near-duplicates and
     * verbatim reuse. */
    NdPair p = { 0 };
    NdReportRule rule = nd_find_options_rule(o);
    nd_score_pair(doc, &archived, ix->params.num_perm, ND_VERIFY_EXACT, &p);
    if (nd_pair_report(&p, &rule)) {
      NdIndexMatch m = { g_strdup((const char *)sqlite3_column_text(st, 0)),
                         g_strdup((const char *)sqlite3_column_text(st, 1)),
                         (guint64)sqlite3_column_int64(st, 2), p };
      g_array_append_val(matches, m);
    }
    g_free(archived.signature);
    g_free(archived.set);
    sqlite3_reset(st);
  }
  g_array_sort(matches, compare_matches);
  return matches;
}

char *
nd_index_get_text(NdIndex *ix, const char *id, gsize *len, GError **error)
{
  sqlite3_stmt *st = ix->st[ST_GET_TEXT];
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  char *text = NULL;
  if (rc == SQLITE_ROW) {
    gint64 stored = sqlite3_column_int64(st, 2);
    gint64 hash = sqlite3_column_int64(st, 1);
    /* A corrupt length must not become a huge (or zero) allocation. */
    /* deflate never expands data by more than ~1032:1: a larger claimed length is corruption */
    gint64 packed = sqlite3_column_bytes(st, 0);
    if (stored >= 0 && (guint64)stored <= ND_TEXT_MAX_BYTES && stored <= packed * 1032 + 64)
      text = inflate_text(sqlite3_column_blob(st, 0), (gsize)sqlite3_column_bytes(st, 0), (gsize)stored, len);
    if (text == NULL || (gint64)XXH3_64bits(text, *len) != hash) {
      g_clear_pointer(&text, g_free);
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the stored text of '%s' is corrupt (hash mismatch)", ix->path, id);
    }
  } else if (rc == SQLITE_DONE) {
    g_set_error(error, ND_ERROR, ND_ERROR_NOT_FOUND, "id '%s' is not in the index", id);
  } else {
    db_error(ix, rc, "reading a text", error);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return text;
}
