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
#include "json.h"
#include "pagecheck.h"

#define FINGERPRINT_SAMPLING 8
#define MAX_POSTING 500

enum {
  ST_INSERT_ARTICLE, ST_INSERT_BAND, ST_INSERT_FP, ST_FIND_BAND, ST_FIND_FP, ST_ROW_BY_NUM, ST_ROW_BY_ID,
  ST_DELETE_ARTICLE, ST_DELETE_BAND, ST_DELETE_FP, ST_TEXT_BY_ID, N_STATEMENTS
};

/* The columns of an article row that scoring reads, in the order read_row() expects. Blobs are
 * loaded only when their sizes are the ones the row's own numbers imply (?2 is the signature's size
 * in bytes): a corrupt or forged row never makes a large allocation. length() of a blob reads only
 * its size. */
#define ROW_COLUMNS "num, id, metadata, bytes, tokens, set_size, n_fingerprints, text_hash, row_hash, " \
  "CASE WHEN length(signature) = ?2 THEN signature END, " \
  "CASE WHEN set_size BETWEEN 0 AND bytes AND length(shingles) = 4 * set_size THEN shingles END"
enum { COL_NUM, COL_ID, COL_METADATA, COL_BYTES, COL_TOKENS, COL_SET_SIZE, COL_N_FP, COL_TEXT_HASH, COL_ROW_HASH,
       COL_SIGNATURE, COL_SHINGLES, COL_TEXT };

/* Long statements are split over lines; clang-tidy's missing-comma check misreads that. */
// NOLINTBEGIN(bugprone-suspicious-missing-comma)
static const char *const statement_sql[N_STATEMENTS] = {
  [ST_INSERT_ARTICLE] = "INSERT INTO articles(id, bytes, tokens, set_size, n_fingerprints, added, metadata, signature, "
                        "shingles, text, text_hash, row_hash) VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'), "
                        "?, ?, ?, ?, ?, ?)",
  [ST_INSERT_BAND] = "INSERT OR IGNORE INTO band_keys(key, num) VALUES (?, ?)",
  [ST_INSERT_FP] = "INSERT OR IGNORE INTO fingerprints(fp, num) VALUES (?, ?)",
  [ST_FIND_BAND] = "SELECT num FROM band_keys WHERE key = ?",
  [ST_FIND_FP] = "SELECT num FROM fingerprints WHERE fp = ? LIMIT " G_STRINGIFY(MAX_POSTING) " + 1",
  [ST_ROW_BY_NUM] = "SELECT " ROW_COLUMNS " FROM articles WHERE num = ?1",
  [ST_ROW_BY_ID] = "SELECT " ROW_COLUMNS " FROM articles WHERE id = ?1",
  [ST_DELETE_ARTICLE] = "DELETE FROM articles WHERE num = ?",
  [ST_DELETE_BAND] = "DELETE FROM band_keys WHERE key = ? AND num = ?",
  [ST_DELETE_FP] = "DELETE FROM fingerprints WHERE fp = ? AND num = ?",
  /* deflate never expands data by more than 5 bytes per 16 KiB block, nor shrinks it below 1/1032 */
  [ST_TEXT_BY_ID] = "SELECT " ROW_COLUMNS ", CASE WHEN bytes BETWEEN 0 AND 4294967295 AND length(text) <= bytes + "
                    "bytes / 1024 + 64 AND length(text) * 1032 + 64 >= bytes THEN text END FROM articles WHERE id = ?1",
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
  NdIndexWarningFunc warning_func;
  gpointer warning_data;
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
  else if (ix->db != NULL && sqlite3_extended_errcode(ix->db) == SQLITE_IOERR_DATA)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: %s: the index is corrupt (a page failed its checksum)",
                ix->path, what);
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
  int rc = pagecheck_register();
  if (rc == SQLITE_OK)
    rc = sqlite3_open_v2(path, &ix->db, flags, PAGECHECK_VFS_NAME);
  if (rc != SQLITE_OK) {
    db_error(ix, rc, "cannot open", error);
    nd_index_close(ix);
    return NULL;
  }
  sqlite3_extended_result_codes(ix->db, 0);
  /* An index file may come from anyone: nothing stored in it runs. Triggers and views are off (and
   * refused by check_schema), functions in the schema limited to innocuous ones, and the schema
   * cannot be written through SQL. */
  sqlite3_db_config(ix->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
  sqlite3_db_config(ix->db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
  sqlite3_db_config(ix->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
  sqlite3_db_config(ix->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_exec(ix->db, "PRAGMA trusted_schema=OFF", NULL, NULL, NULL);
  sqlite3_busy_timeout(ix->db, 10000);
  /* Postings are inserted at random places in their B-trees: a page cache of up to 256 MiB keeps
   * a large add from re-reading the same pages (SQLite's default is 2 MiB). Memory stays bounded. */
  if (flags & SQLITE_OPEN_READWRITE)
    sqlite3_exec(ix->db, "PRAGMA cache_size=-262144", NULL, NULL, NULL);
  else /* readers touch few pages per query; the OS page cache does the rest */
    sqlite3_exec(ix->db, "PRAGMA cache_size=-16384", NULL, NULL, NULL);
  return ix;
}

/* The tables of an index, exactly as created: check_schema compares every file against them. */
static const struct {
  const char *name, *sql;
} schema_tables[] = {
  { "meta", "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)" },
  { "articles", "CREATE TABLE articles(num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL,"
                " tokens INTEGER NOT NULL, set_size INTEGER NOT NULL, n_fingerprints INTEGER NOT NULL,"
                " added TEXT NOT NULL, metadata TEXT, signature BLOB NOT NULL, shingles BLOB NOT NULL,"
                " text BLOB NOT NULL, text_hash INTEGER NOT NULL, row_hash INTEGER NOT NULL)" },
  { "band_keys", "CREATE TABLE band_keys(key INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY(key, num)) "
                 "WITHOUT ROWID" },
  { "fingerprints", "CREATE TABLE fingerprints(fp INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY(fp, num)) "
                    "WITHOUT ROWID" },
};

/* The file must hold our tables exactly as created, and no trigger or view (which could change
 * what an add stores or a query reads). Indexes others created for browsing are tolerated. */
static gboolean
check_schema(NdIndex *ix, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(ix->db, "SELECT type, name, sql FROM sqlite_schema ORDER BY name", -1, &st, NULL);
  guint found = 0;
  gboolean ok = rc == SQLITE_OK;
  while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *type = (const char *)sqlite3_column_text(st, 0), *name = (const char *)sqlite3_column_text(st, 1);
    const char *sql = (const char *)sqlite3_column_text(st, 2);
    if (type == NULL || name == NULL) {
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt schema", ix->path);
      ok = FALSE;
    } else if (strcmp(type, "trigger") == 0 || strcmp(type, "view") == 0) {
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: holds a %s '%s', which neardup never creates (it could "
                  "change what is stored or read); refusing to use it", ix->path, type, name);
      ok = FALSE;
    } else if (strcmp(type, "table") == 0) {
      for (gsize t = 0; t < G_N_ELEMENTS(schema_tables); t++) {
        if (strcmp(name, schema_tables[t].name) != 0)
          continue;
        if (sql == NULL || strcmp(sql, schema_tables[t].sql) != 0) {
          g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the table '%s' is not defined as neardup defines it; "
                      "refusing to use it", ix->path, name);
          ok = FALSE;
        }
        found++;
      }
    }
  }
  if (ok && rc != SQLITE_DONE)
    ok = db_error(ix, rc, "reading the schema", error);
  sqlite3_finalize(st);
  if (ok && found != G_N_ELEMENTS(schema_tables)) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: not a neardup index, or corrupt (tables missing)", ix->path);
    ok = FALSE;
  }
  return ok;
}

const char *
nd_index_vfs_name(void)
{
  pagecheck_register();
  return PAGECHECK_VFS_NAME;
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
  /* Every page keeps its checksum in 8 reserved bytes (pagecheck.c): set before the first page. */
  int reserve = pagecheck_reserved_bytes();
  gboolean ok = sqlite3_file_control(ix->db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) == SQLITE_OK;
  if (!ok)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: cannot reserve page bytes for checksums", path);
  GString *schema = g_string_new(NULL);
  for (gsize t = 0; t < G_N_ELEMENTS(schema_tables); t++)
    g_string_append_printf(schema, "%s;", schema_tables[t].sql);
  ok = ok && exec(ix, "BEGIN IMMEDIATE", error) && exec(ix, schema->str, error);
  g_string_free(schema, TRUE);
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
  g_snprintf(num, sizeof num, "%d", FINGERPRINT_SAMPLING);
  ok = ok && set_meta(ix, "fingerprint_sampling", num, error);
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
  guint64 version, num_perm, bands, rows, fps;
  g_autofree char *spec = NULL, *seed = NULL, *threshold = NULL;
  gboolean ok = meta_uint(ix, "format_version", G_MAXINT, &version, error);
  if (ok && version > ND_INDEX_FORMAT_VERSION) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: index format %" G_GUINT64_FORMAT " is newer than this neardup "
                "supports (%d); upgrade neardup", path, version, ND_INDEX_FORMAT_VERSION);
    ok = FALSE;
  } else if (ok && version < ND_INDEX_FORMAT_VERSION) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: index format %" G_GUINT64_FORMAT " was written by an older "
                "neardup (this one reads and writes format %d: %s); create a new index and add the articles again",
                path, version, ND_INDEX_FORMAT_VERSION, version < 2 ? "its signatures do not compare"
                : "every page and row now carries a checksum");
    ok = FALSE;
  }
  ok = ok && check_schema(ix, error);
  if (ok && !pagecheck_active(ix->db)) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt index: its pages carry no checksums (the file header "
                "was changed)", path);
    ok = FALSE;
  }
  ok = ok && (spec = get_meta(ix, "shingle", error)) != NULL && (seed = get_meta(ix, "seed", error)) != NULL &&
       (threshold = get_meta(ix, "threshold", error)) != NULL &&
       meta_uint(ix, "num_perm", ND_MINHASH_MAX_PERM, &num_perm, error) && meta_uint(ix, "bands", 4096, &bands, error) &&
       meta_uint(ix, "rows", 4096, &rows, error) && meta_uint(ix, "fingerprint_sampling", 1 << 20, &fps, error);
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
        rows == 0 || fps != FINGERPRINT_SAMPLING || num_perm < ND_MINHASH_MIN_PERM) {
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

/* PRAGMA quick_check inside the write transaction: every page is read (so every page checksum is
 * checked) and the B-trees are checked; a corrupt index is never written to. */
static gboolean
quick_check(NdIndex *ix, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(ix->db, "PRAGMA quick_check(1)", -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(st);
  gboolean ok = rc == SQLITE_ROW && g_strcmp0((const char *)sqlite3_column_text(st, 0), "ok") == 0;
  if (!ok && rc == SQLITE_ROW)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the index is corrupt (%s); it is left untouched",
                ix->path, (const char *)sqlite3_column_text(st, 0));
  else if (!ok)
    db_error(ix, rc, "checking the index", error);
  sqlite3_finalize(st);
  return ok;
}

gboolean
nd_index_begin(NdIndex *ix, GError **error)
{
  g_return_val_if_fail(!ix->in_transaction, FALSE);
  if (!exec(ix, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!quick_check(ix, error)) {
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
  }
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

/* The hash over everything a row holds that scoring and reports use, so that a changed row is never
 * scored: XXH3-64 of the id, metadata, sizes, text hash and the signature and shingle blobs as stored
 * (little-endian). */
static gint64
row_hash(const char *id, const char *metadata, gint64 bytes, gint64 tokens, gint64 set_size, gint64 n_fp,
         gint64 text_hash, const void *sig, gsize sig_len, const void *set, gsize set_len)
{
  /* Each part hashed with the hash of the parts before it as the seed: one chain over all of them. */
  guint64 h = XXH3_64bits(id, strlen(id) + 1);
  if (metadata != NULL)
    h = XXH3_64bits_withSeed(metadata, strlen(metadata) + 1, h);
  else
    h = XXH3_64bits_withSeed("\xff", 1, h); /* not a metadata text (never valid UTF-8) */
  gint64 numbers[] = { GINT64_TO_LE(bytes), GINT64_TO_LE(tokens), GINT64_TO_LE(set_size), GINT64_TO_LE(n_fp),
                       GINT64_TO_LE(text_hash) };
  h = XXH3_64bits_withSeed(numbers, sizeof numbers, h);
  h = XXH3_64bits_withSeed(sig, sig_len, h);
  return (gint64)XXH3_64bits_withSeed(set, set_len, h);
}

/* An article row read back and checked (read_row). */
typedef struct {
  gint64 num, bytes, tokens, set_size, text_hash;
  const char *id, *metadata; /* valid until the statement is reset */
  guint32 *signature, *set;  /* owned */
} Row;

static void
row_clear(Row *row)
{
  g_clear_pointer(&row->signature, g_free);
  g_clear_pointer(&row->set, g_free);
}

/* Reads the row `st` stands on (selected with ROW_COLUMNS) and checks it: every column of the right
 * type, blobs of the sizes the row's numbers give, shingle keys strictly increasing, and its
 * row_hash. FALSE with ND_ERROR_INDEX naming the row on any mismatch. */
static gboolean
read_row(NdIndex *ix, sqlite3_stmt *st, Row *row, GError **error)
{
  memset(row, 0, sizeof *row);
  row->num = sqlite3_column_int64(st, COL_NUM);
  row->id = (const char *)sqlite3_column_text(st, COL_ID);
  const char *what = NULL;
  if (sqlite3_column_type(st, COL_ID) != SQLITE_TEXT || row->id == NULL || row->id[0] == '\0')
    what = "no id";
  for (int c = COL_BYTES; what == NULL && c <= COL_ROW_HASH; c++)
    if (sqlite3_column_type(st, c) != SQLITE_INTEGER)
      what = "a size or hash that is not a number";
  int mt = sqlite3_column_type(st, COL_METADATA);
  if (what == NULL && mt != SQLITE_NULL && mt != SQLITE_TEXT)
    what = "metadata that is not text";
  row->metadata = mt == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, COL_METADATA) : NULL;
  row->bytes = sqlite3_column_int64(st, COL_BYTES);
  row->tokens = sqlite3_column_int64(st, COL_TOKENS);
  row->set_size = sqlite3_column_int64(st, COL_SET_SIZE);
  row->text_hash = sqlite3_column_int64(st, COL_TEXT_HASH);
  const void *sig = sqlite3_column_blob(st, COL_SIGNATURE), *set = sqlite3_column_blob(st, COL_SHINGLES);
  gsize sig_len = (gsize)sqlite3_column_bytes(st, COL_SIGNATURE), set_len = (gsize)sqlite3_column_bytes(st, COL_SHINGLES);
  if (what == NULL && (sqlite3_column_type(st, COL_SIGNATURE) != SQLITE_BLOB || sig_len != ix->params.num_perm * 4))
    what = "a signature of the wrong size";
  if (what == NULL && (row->set_size < 0 || row->set_size > row->tokens || row->tokens > row->bytes ||
                       (sqlite3_column_type(st, COL_SHINGLES) != SQLITE_BLOB && row->set_size > 0) ||
                       set_len != (gsize)row->set_size * 4))
    what = "shingle keys that do not match its sizes";
  if (what == NULL && row_hash(row->id, row->metadata, row->bytes, row->tokens, row->set_size,
                               sqlite3_column_int64(st, COL_N_FP), row->text_hash, sig ? sig : "", sig_len,
                               set ? set : "", set_len) != sqlite3_column_int64(st, COL_ROW_HASH))
    what = "contents that do not match its row hash";
  if (what == NULL) {
    row->signature = g_new(guint32, ix->params.num_perm);
    for (guint i = 0; i < ix->params.num_perm; i++) {
      guint32 v;
      memcpy(&v, (const char *)sig + 4 * i, sizeof v);
      row->signature[i] = GUINT32_FROM_LE(v);
    }
    row->set = g_new(guint32, (gsize)row->set_size + 1);
    for (gint64 i = 0; i < row->set_size; i++) {
      guint32 v;
      memcpy(&v, (const char *)set + 4 * i, sizeof v);
      row->set[i] = GUINT32_FROM_LE(v);
      if (i > 0 && row->set[i] <= row->set[i - 1]) {
        what = "shingle keys out of order";
        break;
      }
    }
  }
  if (what != NULL) {
    row_clear(row);
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt article row %" G_GINT64_FORMAT "%s%s%s: %s", ix->path,
                row->num, row->id && row->id[0] ? " ('" : "", row->id && row->id[0] ? row->id : "",
                row->id && row->id[0] ? "')" : "", what);
    return FALSE;
  }
  return TRUE;
}

typedef enum { ROW_OK, ROW_MISSING, ROW_CORRUPT, ROW_FAILED } RowStatus;

/* Steps a ROW_COLUMNS statement whose first parameter is bound (the signature size is bound here)
 * and reads its row: ROW_OK, or ROW_MISSING (ND_ERROR_NOT_FOUND: `missing` is not in the index),
 * ROW_CORRUPT (the row failed read_row's checks) or ROW_FAILED (the database failed) with an error. */
static RowStatus
step_row(NdIndex *ix, sqlite3_stmt *st, const char *missing, Row *row, GError **error)
{
  sqlite3_bind_int64(st, 2, (sqlite3_int64)ix->params.num_perm * 4);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    return read_row(ix, st, row, error) ? ROW_OK : ROW_CORRUPT;
  memset(row, 0, sizeof *row);
  if (rc == SQLITE_DONE) {
    g_set_error(error, ND_ERROR, ND_ERROR_NOT_FOUND, "%s is not in the index", missing);
    return ROW_MISSING;
  }
  db_error(ix, rc, "reading an article", error);
  return ROW_FAILED;
}

static void
finish_statement(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

static guint32
count_fingerprints(const NdDocument *doc)
{
  guint32 n = 0;
  for (guint32 j = 0; j < doc->set_size; j++)
    n += doc->set[j] % FINGERPRINT_SAMPLING == 0;
  return n;
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
  sqlite3_bind_int64(st, 5, count_fingerprints(doc));
  if (doc->meta)
    sqlite3_bind_text(st, 6, doc->meta, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 6);
  sqlite3_bind_blob(st, 7, sig, (int)(ix->params.num_perm * sizeof(guint32)), SQLITE_STATIC);
  sqlite3_bind_blob(st, 8, set, (int)(doc->set_size * sizeof(guint32)), SQLITE_STATIC);
  sqlite3_bind_blob(st, 9, packed_data ? packed_data : "", (int)packed_len, SQLITE_STATIC);
  gint64 text_hash = (gint64)XXH3_64bits(doc->text, doc->bytes);
  sqlite3_bind_int64(st, 10, text_hash);
  sqlite3_bind_int64(st, 11, row_hash(doc->id, doc->meta, (gint64)doc->bytes, doc->tokens, doc->set_size,
                                      count_fingerprints(doc), text_hash, sig, ix->params.num_perm * sizeof(guint32),
                                      set, doc->set_size * sizeof(guint32)));
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
  for (guint32 j = 0; j < doc->set_size; j++) {
    if (doc->set[j] % FINGERPRINT_SAMPLING != 0)
      continue;
    Posting p = { doc->set[j], num };
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
  sqlite3_stmt *st = ix->st[ST_ROW_BY_ID];
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  g_autofree char *missing = g_strdup_printf("id '%s'", id);
  Row row;
  RowStatus status = step_row(ix, st, missing, &row, error);
  finish_statement(st);
  if (status != ROW_OK)
    return FALSE;
  sqlite3_int64 num = row.num;
  gsize set_size = (gsize)row.set_size;
  g_autofree guint32 *sig = g_steal_pointer(&row.signature);
  g_autofree guint32 *set = g_steal_pointer(&row.set);
  for (guint band = 0; band < ix->lsh.bands; band++) {
    sqlite3_bind_int64(ix->st[ST_DELETE_BAND], 1, (sqlite3_int64)nd_lsh_band_key(sig, band, ix->lsh.rows));
    sqlite3_bind_int64(ix->st[ST_DELETE_BAND], 2, num);
    if (!step_done(ix, ix->st[ST_DELETE_BAND], "removing band keys", error))
      return FALSE;
  }
  for (gsize j = 0; j < set_size; j++) {
    if (set[j] % FINGERPRINT_SAMPLING != 0)
      continue;
    sqlite3_bind_int64(ix->st[ST_DELETE_FP], 1, set[j]);
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

static void
warn(NdIndex *ix, const GError *problem)
{
  if (ix->warning_func != NULL)
    ix->warning_func(problem, ix->warning_data);
  else
    g_warning("%s", problem->message);
}

void
nd_index_set_warning_func(NdIndex *ix, NdIndexWarningFunc func, gpointer user_data)
{
  ix->warning_func = func;
  ix->warning_data = user_data;
}

/* The row's metadata as a JSON object the writer built (never the stored text verbatim), or NULL
 * (with a warning when the stored text is not a JSON object). */
static char *
canonical_metadata(NdIndex *ix, const Row *row)
{
  if (row->metadata == NULL)
    return NULL;
  g_autoptr(GError) local = NULL;
  char *json = nd_json_object_canonical(row->metadata, strlen(row->metadata), &local);
  if (json == NULL) {
    g_autoptr(GError) problem = g_error_new(ND_ERROR, ND_ERROR_INDEX, "%s: the metadata of '%s' is not a JSON "
                                            "object (%s); shown as null", ix->path, row->id, local->message);
    warn(ix, problem);
  }
  return json;
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
  /* Candidates: article number -> shared fingerprints (G_MAXUINT32 marks an LSH hit). */
  g_autoptr(GHashTable) cand = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GArray) nums = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(GArray) counts = g_array_new(FALSE, FALSE, sizeof(guint32));
  int rc;
  for (guint band = 0; band < ix->lsh.bands; band++) {
    sqlite3_stmt *st = ix->st[ST_FIND_BAND];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)nd_lsh_band_key(doc->signature, band, ix->lsh.rows));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      gint64 num = sqlite3_column_int64(st, 0);
      if (!g_hash_table_contains(cand, &num)) {
        g_array_append_val(nums, num);
        guint32 hit = G_MAXUINT32;
        g_array_append_val(counts, hit);
        g_hash_table_insert(cand, g_memdup2(&num, sizeof num), GUINT_TO_POINTER(counts->len));
      }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
      return db_error(ix, rc, "reading band keys", error), NULL;
  }
  if (o->containment > 0.0) {
    for (guint32 j = 0; j < doc->set_size; j++) {
      if (doc->set[j] % FINGERPRINT_SAMPLING != 0)
        continue;
      sqlite3_stmt *st = ix->st[ST_FIND_FP];
      sqlite3_bind_int64(st, 1, doc->set[j]);
      g_autoptr(GArray) posting = g_array_new(FALSE, FALSE, sizeof(gint64));
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        gint64 num = sqlite3_column_int64(st, 0);
        g_array_append_val(posting, num);
      }
      sqlite3_reset(st);
      if (rc != SQLITE_DONE)
        return db_error(ix, rc, "reading fingerprints", error), NULL;
      if (posting->len > MAX_POSTING) /* boilerplate: found in too many articles to mean reuse */
        continue;
      for (guint p = 0; p < posting->len; p++) {
        gint64 num = g_array_index(posting, gint64, p);
        guint slot = GPOINTER_TO_UINT(g_hash_table_lookup(cand, &num));
        if (slot == 0) {
          g_array_append_val(nums, num);
          guint32 one = 1;
          g_array_append_val(counts, one);
          g_hash_table_insert(cand, g_memdup2(&num, sizeof num), GUINT_TO_POINTER(counts->len));
        } else if (g_array_index(counts, guint32, slot - 1) != G_MAXUINT32) {
          g_array_index(counts, guint32, slot - 1)++;
        }
      }
    }
  }
  guint32 my_fp = count_fingerprints(doc);
  GArray *matches = g_array_new(FALSE, TRUE, sizeof(NdIndexMatch));
  g_array_set_clear_func(matches, (GDestroyNotify)nd_index_match_clear);
  for (guint c = 0; c < nums->len; c++) {
    guint32 shared_fp = g_array_index(counts, guint32, c);
    sqlite3_stmt *st = ix->st[ST_ROW_BY_NUM];
    sqlite3_bind_int64(st, 1, g_array_index(nums, gint64, c));
    const char *missing = "the article of a posting";
    g_autoptr(GError) local = NULL;
    Row row;
    RowStatus status = step_row(ix, st, missing, &row, &local);
    if (status != ROW_OK) {
      finish_statement(st);
      if (status == ROW_FAILED) {
        g_propagate_error(error, g_steal_pointer(&local));
        g_array_unref(matches);
        return NULL;
      }
      if (status == ROW_MISSING) { /* a posting naming no article: the index is inconsistent */
        g_clear_error(&local);
        local = g_error_new(ND_ERROR, ND_ERROR_INDEX, "%s: corrupt index: a posting names article %" G_GINT64_FORMAT
                            ", which is not in it", ix->path, g_array_index(nums, gint64, c));
      }
      warn(ix, local); /* a corrupt row, or a posting naming no article: named, skipped, never scored */
      continue;
    }
    NdDocument archived = { .set_size = (guint32)row.set_size, .signature = row.signature, .set = row.set };
    gboolean candidate = shared_fp == G_MAXUINT32;
    if (!candidate) {
      guint32 theirs = count_fingerprints(&archived);
      candidate = shared_fp >= 2 && shared_fp >= 0.5 * o->containment * MIN(my_fp, theirs);
    }
    NdPair p = { 0 };
    if (candidate) {
      nd_score_pair(doc, &archived, ix->params.num_perm, ND_VERIFY_EXACT, &p);
      if (nd_pair_matches(&p, o)) {
        NdIndexMatch m = { g_strdup(row.id), canonical_metadata(ix, &row), (guint64)row.bytes, p };
        g_array_append_val(matches, m);
      }
    }
    row_clear(&row);
    finish_statement(st);
  }
  g_array_sort(matches, compare_matches);
  return matches;
}

char *
nd_index_get_text(NdIndex *ix, const char *id, gsize *len, GError **error)
{
  sqlite3_stmt *st = ix->st[ST_TEXT_BY_ID];
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  g_autofree char *missing = g_strdup_printf("id '%s'", id);
  Row row;
  char *text = NULL;
  if (step_row(ix, st, missing, &row, error) == ROW_OK) {
    /* The text's size was checked against its stored length before it was loaded (ST_TEXT_BY_ID). */
    if (sqlite3_column_type(st, COL_TEXT) == SQLITE_BLOB)
      text = inflate_text(sqlite3_column_blob(st, COL_TEXT), (gsize)sqlite3_column_bytes(st, COL_TEXT),
                          (gsize)row.bytes, len);
    if (text == NULL || (gint64)XXH3_64bits(text, *len) != row.text_hash) {
      g_clear_pointer(&text, g_free);
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the stored text of '%s' is corrupt (hash mismatch)", ix->path, id);
    }
    row_clear(&row);
  }
  finish_statement(st);
  return text;
}
