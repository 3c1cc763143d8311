/* index.c — the SQLite archive of groups (schema and guarantees in include/neardup/index.h).
 *
 * Design: SQLite does the storage, transactions, locking and crash safety; this file maps articles,
 * groups and batches to rows, and postings.c keeps the posting lists as sorted blocks written in
 * bulk. An add appends: article rows in number order, a group row per new group, postings buffered
 * and written as one sorted segment when the add commits; nothing is inserted at a random place in
 * a large B-tree. Matching reads the postings of all the batch's keys in key order and then every
 * candidate row once, in number order; an archived article's shingle set is signed again from its
 * stored text (signing 4 KB costs less than reading 2.8 KB of keys from disk would, and the archive
 * is a third smaller). Every row is checked (hash, sizes) before anything in it is used.
 */
#include <neardup/neardup.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <zlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hash.h"
#include "json.h"
#include "pagecheck.h"
#include "postings.h"
#include "sort.h"

/* The anchor rule (score.h), recorded in the header so that a change of the rule is seen. */
#define ANCHOR_SPEC G_STRINGIFY(ND_ANCHOR_TOKENS) "x" G_STRINGIFY(ND_ANCHOR_WINDOW)
#define MAX_POSTING ND_DEFAULT_MAX_POSTING /* an anchor in more articles makes no candidate (score.h) */
#define WRITER_CACHE_KIB 65536   /* appends and one merge stream: a modest page cache is enough */
#define READER_CACHE_KIB 16384   /* readers touch few pages per query; the OS page cache does the rest */

/* The columns of an article row that reads use, in the order read_row() expects. Blobs are loaded
 * only when their sizes are the ones the row's own numbers imply (?2 is the signature's size in
 * bytes): a corrupt or forged row never makes a large allocation. length() and typeof() of a blob
 * read only its header. */
#define ROW_COLUMNS                                                                                             \
  "num, id, grp, batch, date, date_utc, match_id, match_jaccard, match_containment, bytes, tokens, set_size, "  \
  "n_anchors, text_hash, row_hash, metadata, "                                                            \
  "CASE WHEN length(signature) = ?2 THEN signature END, "                                                      \
  "CASE WHEN n_anchors BETWEEN 0 AND tokens AND length(anchors) = 4 * n_anchors "             \
  "THEN anchors END, "                                                                                    \
  "CASE WHEN set_size BETWEEN 0 AND bytes AND length(shingles) = 4 * set_size THEN shingles END, "             \
  "typeof(shingles), typeof(text)"
/* The text, loaded only when its stored length fits the row's size: plain (length = bytes) or zlib,
 * which never shrinks text below 1/1032 (?3 is the largest article). */
#define TEXT_COLUMN                                                                                             \
  ", CASE WHEN typeof(text) = 'blob' AND bytes BETWEEN 1 AND ?3 AND length(text) <= bytes AND "                \
  "length(text) * 1032 + 64 >= bytes THEN text END"
enum { COL_NUM, COL_ID, COL_GRP, COL_BATCH, COL_DATE, COL_DATE_UTC, COL_MATCH_ID, COL_MATCH_JACCARD,
       COL_MATCH_CONTAINMENT, COL_BYTES, COL_TOKENS, COL_SET_SIZE, COL_N_ANCHORS, COL_TEXT_HASH, COL_ROW_HASH,
       COL_METADATA, COL_SIGNATURE, COL_ANCHORS, COL_SHINGLES, COL_SHINGLES_TYPE, COL_TEXT_TYPE, COL_TEXT };

enum {
  ST_INSERT_ARTICLE, ST_ROW_BY_NUM, ST_ROW_BY_ID, ST_TEXT_BY_NUM, ST_TEXT_BY_ID, ST_GROUP,
  ST_GROUP_WRITE, ST_GROUP_DELETE, ST_DELETE_ARTICLE, ST_BATCH, ST_BATCH_WRITE, ST_FIRST_MEMBER, N_STATEMENTS
};

/* Long statements are split over lines; clang-tidy's missing-comma check misreads that. */
// NOLINTBEGIN(bugprone-suspicious-missing-comma)
static const char *const statement_sql[N_STATEMENTS] = {
  [ST_INSERT_ARTICLE] = "INSERT INTO articles(id, grp, batch, date, date_utc, match_id, match_jaccard, "
                        "match_containment, bytes, tokens, set_size, n_anchors, text_hash, row_hash, metadata, "
                        "signature, anchors, shingles, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                        "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
  [ST_ROW_BY_NUM] = "SELECT " ROW_COLUMNS " FROM articles WHERE num = ?1",
  [ST_ROW_BY_ID] = "SELECT " ROW_COLUMNS " FROM articles WHERE id = ?1",
  [ST_TEXT_BY_NUM] = "SELECT " ROW_COLUMNS TEXT_COLUMN " FROM articles WHERE num = ?1",
  [ST_TEXT_BY_ID] = "SELECT " ROW_COLUMNS TEXT_COLUMN " FROM articles WHERE id = ?1",
  [ST_GROUP] = "SELECT grp, kept, members, batch, row_hash FROM groups WHERE grp = ?1",
  [ST_GROUP_WRITE] = "INSERT OR REPLACE INTO groups(grp, kept, members, batch, row_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
  [ST_GROUP_DELETE] = "DELETE FROM groups WHERE grp = ?1",
  [ST_DELETE_ARTICLE] = "DELETE FROM articles WHERE num = ?1",
  [ST_BATCH] = "SELECT batch, added, articles, groups, row_hash FROM batches WHERE batch = ?1",
  [ST_BATCH_WRITE] = "INSERT INTO batches(batch, added, articles, groups, row_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
  [ST_FIRST_MEMBER] = "SELECT num FROM articles WHERE grp = ?1 ORDER BY num LIMIT 1",
};
// NOLINTEND(bugprone-suspicious-missing-comma)

/* A group this transaction made or changed, written when it commits. */
typedef struct {
  gint64 kept;          /* the kept article's number, or 0: unchanged */
  gint64 members;       /* members added */
  gboolean is_new;
} PendingGroup;

struct NdIndex {
  sqlite3 *db;
  char *path;
  NdSignParams params;
  NdLshParams lsh;
  NdIndexOptions options;
  double threshold;
  gboolean in_transaction;
  gboolean exclusive;        /* nd_index_set_exclusive: the next transactions take the index alone */
  sqlite3_stmt *st[N_STATEMENTS];
  PostingTable *postings[2];
  NdIndexWarningFunc warning_func;
  gpointer warning_data;
  NdIndexProgressFunc progress_func;
  gpointer progress_data;
  const char *progress_phase;
  NdSigner *signer;          /* signs archived texts again (lazily made) */
  gsize match_memory;        /* nd_index_set_match_memory */
  /* the add transaction */
  gint64 batch;
  char added[ND_DATE_ISO_SIZE];
  guint64 next_group;
  guint64 batch_articles, batch_groups;
  GHashTable *pending_groups; /* guint64 group -> PendingGroup */
  GByteArray *scratch;        /* little-endian blobs and compressed text of the row being added */
};

static gboolean
db_error(NdIndex *ix, int rc, const char *what, GError **error)
{
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX_BUSY, "%s: %s: the index is being written by another process",
                ix->path, what);
  else if (ix->db != NULL && sqlite3_extended_errcode(ix->db) == SQLITE_IOERR_DATA)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: %s: the index is corrupt (a page failed its checksum)",
                ix->path, what);
  else if (ix->db != NULL && sqlite3_extended_errcode(ix->db) == SQLITE_READONLY_ROLLBACK)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: %s: an exclusive add was killed and left its journal (%s-journal), "
                "which only a user who may write the index can roll back: any neardup command they run on it does",
                ix->path, what, ix->path);
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
step_done(NdIndex *ix, sqlite3_stmt *st, const char *what, GError **error)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE || db_error(ix, rc, what, error);
}

static void
finish_statement(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

static void
warn(NdIndex *ix, const GError *problem)
{
  if (ix->warning_func != NULL)
    ix->warning_func(problem, ix->warning_data);
  else
    g_warning("%s", problem->message);
}

static void
warn_text(const char *problem, gpointer data)
{
  g_autoptr(GError) e = g_error_new_literal(ND_ERROR, ND_ERROR_INDEX, problem);
  warn(data, e);
}

static void
progress(NdIndex *ix, const char *phase, guint64 done, guint64 total)
{
  if (ix->progress_func != NULL)
    ix->progress_func(phase, done, total, ix->progress_data);
}

static void
posting_progress(guint64 done, guint64 total, gpointer data)
{
  NdIndex *ix = data;
  progress(ix, ix->progress_phase, done, total);
}

void
nd_index_options_init(NdIndexOptions *o)
{
  o->text = ND_INDEX_TEXT_ALL;
  o->text_format = ND_INDEX_TEXT_PLAIN;
}

void
nd_index_close(NdIndex *ix)
{
  if (ix == NULL)
    return;
  if (ix->in_transaction)
    nd_index_rollback(ix);
  for (int i = 0; i < 2; i++)
    posting_table_free(ix->postings[i]);
  for (int i = 0; i < N_STATEMENTS; i++)
    sqlite3_finalize(ix->st[i]);
  sqlite3_close(ix->db);
  nd_signer_free(ix->signer);
  g_hash_table_unref(ix->pending_groups);
  g_byte_array_unref(ix->scratch);
  g_free(ix->path);
  g_free(ix);
}

static NdIndex *
open_db(const char *path, int flags, GError **error)
{
  NdIndex *ix = g_new0(NdIndex, 1);
  ix->match_memory = ND_INDEX_MATCH_MEMORY;
  ix->path = g_strdup(path);
  ix->pending_groups = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  ix->scratch = g_byte_array_new();
  nd_index_options_init(&ix->options);
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
  char pragma[64];
  g_snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d",
             (flags & SQLITE_OPEN_READWRITE) ? WRITER_CACHE_KIB : READER_CACHE_KIB);
  sqlite3_exec(ix->db, pragma, NULL, NULL, NULL);
  return ix;
}

/* Sets the journal mode ("wal" or "delete"); FALSE when SQLite kept another one (leaving the
 * write-ahead log needs the file alone: no other connection may have it open). */
static gboolean
journal_mode(NdIndex *ix, const char *mode)
{
  g_autofree char *sql = g_strdup_printf("PRAGMA journal_mode=%s", mode);
  sqlite3_stmt *st = NULL;
  gboolean ok = sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
                g_ascii_strcasecmp((const char *)sqlite3_column_text(st, 0), mode) == 0;
  sqlite3_finalize(st);
  return ok;
}

/* The tables and indexes of an index, exactly as created: check_schema compares every file against
 * them (the posting tables' SQL comes from postings.c). */
static const struct {
  const char *type, *name, *sql;
} schema_objects[] = {
  { "table", "meta", "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)" },
  { "table", "articles", "CREATE TABLE articles(num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, grp INTEGER NOT "
    "NULL, batch INTEGER NOT NULL, date TEXT, date_utc TEXT, match_id TEXT, match_jaccard REAL, match_containment "
    "REAL, bytes INTEGER NOT NULL, tokens INTEGER NOT NULL, set_size INTEGER NOT NULL, n_anchors INTEGER NOT "
    "NULL, text_hash INTEGER NOT NULL, row_hash INTEGER NOT NULL, metadata TEXT, signature BLOB NOT NULL, "
    "anchors BLOB NOT NULL, shingles BLOB, text BLOB)" },
  { "index", "articles_grp", "CREATE INDEX articles_grp ON articles(grp, bytes)" },
  { "table", "groups", "CREATE TABLE groups(grp INTEGER PRIMARY KEY, kept INTEGER NOT NULL, members INTEGER NOT "
    "NULL, batch INTEGER NOT NULL, row_hash INTEGER NOT NULL)" },
  { "table", "batches", "CREATE TABLE batches(batch INTEGER PRIMARY KEY, added TEXT NOT NULL, articles INTEGER NOT "
    "NULL, groups INTEGER NOT NULL, row_hash INTEGER NOT NULL)" },
  { "table", "segments", posting_segments_schema },
  { "table", "band_postings", NULL },        /* posting_table_schema(POSTING_BANDS) */
  { "table", "anchor_postings", NULL }, /* posting_table_schema(POSTING_ANCHORS) */
};

static const char *
schema_sql(gsize k)
{
  if (schema_objects[k].sql != NULL)
    return schema_objects[k].sql;
  return posting_table_schema(strcmp(schema_objects[k].name, "band_postings") == 0 ? POSTING_BANDS
                                                                                     : POSTING_ANCHORS);
}

/* The file must hold our tables and indexes exactly as created, and no trigger or view (which could
 * change what an add stores or a read returns). Other indexes (made for browsing) are tolerated. */
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
    } else {
      for (gsize t = 0; t < G_N_ELEMENTS(schema_objects); t++) {
        if (strcmp(name, schema_objects[t].name) != 0)
          continue;
        if (strcmp(type, schema_objects[t].type) != 0 || sql == NULL || strcmp(sql, schema_sql(t)) != 0) {
          g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the %s '%s' is not defined as neardup defines it; "
                      "refusing to use it", ix->path, type, name);
          ok = FALSE;
        }
        found++;
      }
    }
  }
  if (ok && rc != SQLITE_DONE)
    ok = db_error(ix, rc, "reading the schema", error);
  sqlite3_finalize(st);
  if (ok && found != G_N_ELEMENTS(schema_objects)) {
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

static const char *const text_policy_names[] = { "all", "kept", "none" };
static const char *const text_format_names[] = { "plain", "zlib" };

static gboolean
prepare_all(NdIndex *ix, GError **error)
{
  for (int i = 0; i < N_STATEMENTS; i++) {
    int rc = sqlite3_prepare_v3(ix->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ix->st[i], NULL);
    if (rc != SQLITE_OK)
      return db_error(ix, rc, "preparing statements", error);
  }
  g_autofree char *dir = g_path_get_dirname(ix->path);
  for (int k = 0; k < 2; k++) {
    ix->postings[k] = posting_table_new(ix->db, k, ix->path, dir, error);
    if (ix->postings[k] == NULL)
      return FALSE;
    posting_table_set_warning(ix->postings[k], warn_text, ix);
    posting_table_set_progress(ix->postings[k], posting_progress, ix);
  }
  return TRUE;
}

NdIndex *
nd_index_create(const char *path, const NdSignParams *params, double threshold, GError **error)
{
  return nd_index_create_with(path, params, threshold, NULL, error);
}

NdIndex *
nd_index_create_with(const char *path, const NdSignParams *params, double threshold, const NdIndexOptions *options,
                     GError **error)
{
  if (!nd_sign_params_validate(params, error))
    return NULL;
  NdIndexOptions defaults;
  nd_index_options_init(&defaults);
  if (options == NULL)
    options = &defaults;
  if ((guint)options->text > ND_INDEX_TEXT_NONE || (guint)options->text_format > ND_INDEX_TEXT_ZLIB) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INVALID_ARG, "unknown text storage option");
    return NULL;
  }
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
  g_autofree char *spec = nd_shingle_spec_to_string(&params->shingle);
  char num[64];
  /* Every page keeps its checksum in 8 reserved bytes (pagecheck.c): set before the first page. */
  int reserve = pagecheck_reserved_bytes();
  gboolean ok = sqlite3_file_control(ix->db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) == SQLITE_OK;
  /* 16 KiB pages: an article row (about 5 KB) fits on one page, with fewer pages to write, log and
   * check than with 4 KiB pages (measured in docs/archive.md); a lookup reads a page of that size. */
  ok = ok && exec(ix, "PRAGMA page_size=16384", error);
  if (!ok)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: cannot reserve page bytes for checksums", path);
  GString *schema = g_string_new(NULL);
  for (gsize t = 0; t < G_N_ELEMENTS(schema_objects); t++)
    g_string_append_printf(schema, "%s;", schema_sql(t));
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
  ok = ok && set_meta(ix, "anchors", ANCHOR_SPEC, error);
  ok = ok && set_meta(ix, "text", text_policy_names[options->text], error) &&
       set_meta(ix, "text_format", text_format_names[options->text_format], error);
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
  char *value = rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT
                  ? g_strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
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

static gboolean
meta_choice(NdIndex *ix, const char *key, const char *const *names, gsize n, int *out, GError **error)
{
  g_autofree char *v = get_meta(ix, key, error);
  for (gsize i = 0; v != NULL && i < n; i++)
    if (strcmp(v, names[i]) == 0) {
      *out = (int)i;
      return TRUE;
    }
  if (v != NULL)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt index header (%s = \"%s\")", ix->path, key, v);
  return FALSE;
}

/* The signing parameters and banding read from the header into ix (any format). */
static gboolean
read_params(NdIndex *ix, GError **error)
{
  guint64 num_perm, bands, rows;
  g_autofree char *spec = NULL, *seed = NULL, *threshold = NULL;
  gboolean ok = (spec = get_meta(ix, "shingle", error)) != NULL && (seed = get_meta(ix, "seed", error)) != NULL &&
                (threshold = get_meta(ix, "threshold", error)) != NULL &&
                meta_uint(ix, "num_perm", ND_MINHASH_MAX_PERM, &num_perm, error) &&
                meta_uint(ix, "bands", 4096, &bands, error) && meta_uint(ix, "rows", 4096, &rows, error);
  if (!ok)
    return FALSE;
  nd_sign_params_init(&ix->params);
  ix->params.keep_sets = ix->params.keep_text = TRUE;
  ix->params.num_perm = (guint)num_perm;
  guint64 seed_value = 0;
  char *threshold_end = NULL;
  ix->threshold = g_ascii_strtod(threshold, &threshold_end);
  ix->lsh = (NdLshParams){ (guint)bands, (guint)rows, 0, 0 };
  g_autoptr(GError) local = NULL;
  if (!g_ascii_string_to_unsigned(seed, 10, 0, G_MAXUINT64, &seed_value, NULL) || threshold_end == threshold ||
      *threshold_end != '\0' || !(ix->threshold > 0 && ix->threshold < 1) ||
      !nd_shingle_spec_parse(spec, &ix->params.shingle, &local) || bands * rows > num_perm || bands == 0 ||
      rows == 0 || num_perm < ND_MINHASH_MIN_PERM) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt index header (parameters out of range)", ix->path);
    return FALSE;
  }
  ix->params.seed = seed_value;
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
  g_autofree char *journal = g_strconcat(path, "-journal", NULL);
  if (!writable && g_file_test(journal, G_FILE_TEST_EXISTS)) {
    /* A killed exclusive add (nd_index_set_exclusive) leaves a rollback journal that only a
     * connection that may write can roll back: one reads the file, which rolls it back, and
     * closes. When another process holds the journal (an exclusive add under way) this gives up at
     * once, and the read-only open below waits for the add as any reader does; when the file cannot
     * be written, that open says what to do. */
    NdIndex *recover = open_db(path, SQLITE_OPEN_READWRITE, NULL);
    if (recover != NULL) {
      sqlite3_busy_timeout(recover->db, 0);
      sqlite3_exec(recover->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    }
    nd_index_close(recover);
  }
  NdIndex *ix = open_db(path, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, error);
  if (ix == NULL)
    return NULL;
  guint64 version;
  int text = 0, format = 0;
  gboolean ok = meta_uint(ix, "format_version", G_MAXINT, &version, error);
  if (ok && version > ND_INDEX_FORMAT_VERSION) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: index format %" G_GUINT64_FORMAT " is newer than this neardup "
                "supports (%d); upgrade neardup", path, version, ND_INDEX_FORMAT_VERSION);
    ok = FALSE;
  } else if (ok && version < ND_INDEX_FORMAT_VERSION) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: index format %" G_GUINT64_FORMAT " was written by an older "
                "neardup (this one reads and writes format %d, which keeps every article seen in groups and looks up passage anchors); upgrade "
                "it into a new file, which signs its articles again from their stored texts", path, version,
                ND_INDEX_FORMAT_VERSION);
    ok = FALSE;
  }
  ok = ok && check_schema(ix, error);
  if (ok && !pagecheck_active(ix->db)) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt index: its pages carry no checksums (the file header "
                "was changed)", path);
    ok = FALSE;
  }
  g_autofree char *anchors = NULL;
  ok = ok && read_params(ix, error) && (anchors = get_meta(ix, "anchors", error)) != NULL &&
       meta_choice(ix, "text", text_policy_names, G_N_ELEMENTS(text_policy_names), &text, error) &&
       meta_choice(ix, "text_format", text_format_names, G_N_ELEMENTS(text_format_names), &format, error);
  if (ok && strcmp(anchors, ANCHOR_SPEC) != 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt index header (parameters out of range)", path);
    ok = FALSE;
  }
  ix->options.text = (NdIndexTextPolicy)text;
  ix->options.text_format = (NdIndexTextFormat)format;
  ok = ok && prepare_all(ix, error);
  if (!ok) {
    nd_index_close(ix);
    return NULL;
  }
  /* A writer puts the file back in WAL mode, where an exclusive add that was killed (or could not
   * switch back) left it in rollback mode: readers may then read during the next adds. The file's
   * first read above has already rolled such an add's journal back. Best effort: readers in other
   * processes can make the switch wait and fail, and rollback mode is as safe meanwhile. */
  if (writable)
    journal_mode(ix, "wal");
  return ix;
}

const NdSignParams *
nd_index_sign_params(const NdIndex *ix)
{
  return &ix->params;
}

void
nd_index_archive_only_params(NdSignParams *params)
{
  g_return_if_fail(params != NULL);
  params->keep_words = FALSE;
  params->keep_lines_and_quotes = FALSE;
}

const NdLshParams *
nd_index_lsh_params(const NdIndex *ix)
{
  return &ix->lsh;
}

const NdIndexOptions *
nd_index_options(const NdIndex *ix)
{
  return &ix->options;
}

void
nd_index_set_match_memory(NdIndex *ix, gsize bytes)
{
  ix->match_memory = bytes > 0 ? bytes : ND_INDEX_MATCH_MEMORY;
}

void
nd_index_set_busy_timeout(NdIndex *ix, guint ms)
{
  sqlite3_busy_timeout(ix->db, (int)MIN(ms, (guint)G_MAXINT));
}

void
nd_index_set_warning_func(NdIndex *ix, NdIndexWarningFunc func, gpointer user_data)
{
  ix->warning_func = func;
  ix->warning_data = user_data;
}

void
nd_index_set_progress_func(NdIndex *ix, NdIndexProgressFunc func, gpointer user_data)
{
  ix->progress_func = func;
  ix->progress_data = user_data;
}

/* ---- rows: hashes, reading and checking ---- */

/* What a row hash covers (everything in an article row but the text, which text_hash covers). */
typedef struct {
  const char *id, *date, *date_utc, *match_id, *metadata;
  gint64 grp, batch, bytes, tokens, set_size, n_anchors, text_hash;
  gboolean has_match;
  double jaccard, containment;
  const void *sig, *anchor_keys, *shingles; /* shingles NULL: not stored */
  gsize sig_len, anchors_len, shingles_len;
} RowContent;

static guint64
hash_string(const char *s, guint64 seed)
{
  /* a NULL is one 0xff byte: never a string, which is hashed with its NUL */
  return s != NULL ? XXH3_64bits_withSeed(s, strlen(s) + 1, seed) : XXH3_64bits_withSeed("\xff", 1, seed);
}

/* Each part hashed with the hash of the parts before it as the seed: one chain over all of them. */
static gint64
row_hash(const RowContent *r)
{
  guint64 h = XXH3_64bits(r->id, strlen(r->id) + 1);
  h = hash_string(r->date, h);
  h = hash_string(r->date_utc, h);
  h = hash_string(r->match_id, h);
  h = hash_string(r->metadata, h);
  guint64 jbits, cbits;
  double j = r->has_match ? r->jaccard : -1, c = r->has_match ? r->containment : -1;
  memcpy(&jbits, &j, sizeof jbits);
  memcpy(&cbits, &c, sizeof cbits);
  gint64 numbers[] = { GINT64_TO_LE(r->grp), GINT64_TO_LE(r->batch), GINT64_TO_LE(r->bytes), GINT64_TO_LE(r->tokens),
                       GINT64_TO_LE(r->set_size), GINT64_TO_LE(r->n_anchors), GINT64_TO_LE(r->text_hash),
                       (gint64)GUINT64_TO_LE(jbits), (gint64)GUINT64_TO_LE(cbits), r->shingles != NULL };
  h = XXH3_64bits_withSeed(numbers, sizeof numbers, h);
  h = XXH3_64bits_withSeed(r->sig, r->sig_len, h);
  h = XXH3_64bits_withSeed(r->anchor_keys, r->anchors_len, h);
  if (r->shingles != NULL)
    h = XXH3_64bits_withSeed(r->shingles, r->shingles_len, h);
  return (gint64)h;
}

static gint64
group_hash(gint64 grp, gint64 kept, gint64 members, gint64 batch)
{
  gint64 v[4] = { GINT64_TO_LE(grp), GINT64_TO_LE(kept), GINT64_TO_LE(members), GINT64_TO_LE(batch) };
  return (gint64)XXH3_64bits(v, sizeof v);
}

static gint64
batch_hash(gint64 batch, const char *added, gint64 articles, gint64 groups)
{
  gint64 v[3] = { GINT64_TO_LE(batch), GINT64_TO_LE(articles), GINT64_TO_LE(groups) };
  return (gint64)XXH3_64bits_withSeed(v, sizeof v, hash_string(added, 0));
}

/* An article row read back and checked (read_row). */
typedef struct {
  gint64 num, grp, batch, bytes, tokens, set_size, n_anchors, text_hash;
  const char *id, *metadata, *date, *date_utc, *match_id; /* valid until the statement is reset */
  gboolean has_match, has_text, has_date;
  double jaccard, containment;
  gint64 date_seconds;
  guint32 *signature, *anchors, *set; /* owned; set NULL when the shingles are not stored */
} Row;

static void
row_clear(Row *row)
{
  g_clear_pointer(&row->signature, g_free);
  g_clear_pointer(&row->anchors, g_free);
  g_clear_pointer(&row->set, g_free);
}

static gboolean
optional_text(sqlite3_stmt *st, int col, const char **out)
{
  int t = sqlite3_column_type(st, col);
  *out = t == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, col) : NULL;
  return t == SQLITE_NULL || t == SQLITE_TEXT;
}

/* Little-endian uint32 values of a blob, strictly increasing when `increasing`. NULL when not. */
static guint32 *
decode_u32(const void *blob, gsize n, gboolean increasing)
{
  guint32 *v = g_new(guint32, n + 1);
  for (gsize i = 0; i < n; i++) {
    guint32 x;
    memcpy(&x, (const char *)blob + 4 * i, sizeof x);
    v[i] = GUINT32_FROM_LE(x);
    if (increasing && i > 0 && v[i] <= v[i - 1]) {
      g_free(v);
      return NULL;
    }
  }
  return v;
}

/* Reads the row `st` stands on (selected with ROW_COLUMNS) and checks it: every column of the right
 * type, blobs of the sizes the row's numbers give, keys strictly increasing, a text or shingle keys,
 * a date that reads, and its row_hash. FALSE with ND_ERROR_INDEX naming the row on any mismatch. */
static gboolean
read_row(NdIndex *ix, sqlite3_stmt *st, Row *row, GError **error)
{
  memset(row, 0, sizeof *row);
  row->num = sqlite3_column_int64(st, COL_NUM);
  row->id = (const char *)sqlite3_column_text(st, COL_ID);
  const char *what = NULL;
  if (sqlite3_column_type(st, COL_ID) != SQLITE_TEXT || row->id == NULL || row->id[0] == '\0')
    what = "no id";
  static const int integers[] = { COL_GRP, COL_BATCH, COL_BYTES, COL_TOKENS, COL_SET_SIZE, COL_N_ANCHORS, COL_TEXT_HASH,
                                  COL_ROW_HASH };
  for (gsize c = 0; what == NULL && c < G_N_ELEMENTS(integers); c++)
    if (sqlite3_column_type(st, integers[c]) != SQLITE_INTEGER)
      what = "a number that is not an integer";
  if (what == NULL && (!optional_text(st, COL_METADATA, &row->metadata) || !optional_text(st, COL_DATE, &row->date) ||
                       !optional_text(st, COL_DATE_UTC, &row->date_utc) ||
                       !optional_text(st, COL_MATCH_ID, &row->match_id)))
    what = "a text column that is not text";
  int tj = sqlite3_column_type(st, COL_MATCH_JACCARD), tc = sqlite3_column_type(st, COL_MATCH_CONTAINMENT);
  row->has_match = row->match_id != NULL;
  if (what == NULL && (row->has_match ? (tj != SQLITE_FLOAT || tc != SQLITE_FLOAT) : (tj != SQLITE_NULL || tc != SQLITE_NULL)))
    what = "match scores that do not go with its match";
  row->jaccard = row->has_match ? sqlite3_column_double(st, COL_MATCH_JACCARD) : 0;
  row->containment = row->has_match ? sqlite3_column_double(st, COL_MATCH_CONTAINMENT) : 0;
  row->grp = sqlite3_column_int64(st, COL_GRP);
  row->batch = sqlite3_column_int64(st, COL_BATCH);
  row->bytes = sqlite3_column_int64(st, COL_BYTES);
  row->tokens = sqlite3_column_int64(st, COL_TOKENS);
  row->set_size = sqlite3_column_int64(st, COL_SET_SIZE);
  row->n_anchors = sqlite3_column_int64(st, COL_N_ANCHORS);
  row->text_hash = sqlite3_column_int64(st, COL_TEXT_HASH);
  const void *sig = sqlite3_column_blob(st, COL_SIGNATURE), *anchor_keys = sqlite3_column_blob(st, COL_ANCHORS);
  const void *set = sqlite3_column_blob(st, COL_SHINGLES);
  gsize sig_len = (gsize)sqlite3_column_bytes(st, COL_SIGNATURE), anchors_len = (gsize)sqlite3_column_bytes(st, COL_ANCHORS);
  gsize set_len = (gsize)sqlite3_column_bytes(st, COL_SHINGLES);
  const char *shingles_type = (const char *)sqlite3_column_text(st, COL_SHINGLES_TYPE);
  const char *text_type = (const char *)sqlite3_column_text(st, COL_TEXT_TYPE);
  gboolean shingles_stored = g_strcmp0(shingles_type, "blob") == 0;
  row->has_text = g_strcmp0(text_type, "blob") == 0;
  if (what == NULL && (row->grp < 1 || row->batch < 1 || row->bytes < 1 || row->bytes > (gint64)ND_TEXT_MAX_BYTES ||
                       row->tokens < 0 || row->tokens > row->bytes || row->set_size < 0 || row->set_size > row->tokens ||
                       row->n_anchors < 0 || row->n_anchors > row->tokens))
    what = "sizes out of range";
  if (what == NULL && (sqlite3_column_type(st, COL_SIGNATURE) != SQLITE_BLOB || sig_len != ix->params.num_perm * 4))
    what = "a signature of the wrong size";
  if (what == NULL && ((sqlite3_column_type(st, COL_ANCHORS) != SQLITE_BLOB && row->n_anchors > 0) ||
                       anchors_len != (gsize)row->n_anchors * 4))
    what = "anchors that do not match its sizes";
  if (what == NULL && (shingles_stored ? ((sqlite3_column_type(st, COL_SHINGLES) != SQLITE_BLOB && row->set_size > 0) ||
                                          set_len != (gsize)row->set_size * 4)
                                       : g_strcmp0(shingles_type, "null") != 0))
    what = "shingle keys that do not match its sizes";
  if (what == NULL && !row->has_text && !shingles_stored)
    what = "neither its text nor its shingle keys";
  if (what == NULL && !row->has_text && g_strcmp0(text_type, "null") != 0)
    what = "a text that is not a blob";
  NdDate date;
  if (what == NULL && row->date_utc != NULL) {
    if (!nd_date_parse(row->date_utc, -1, &date, NULL))
      what = "a UTC date that does not read";
    row->has_date = TRUE;
    row->date_seconds = date.utc;
  }
  if (what == NULL) {
    RowContent rc = { row->id, row->date, row->date_utc, row->match_id, row->metadata, row->grp, row->batch,
                      row->bytes, row->tokens, row->set_size, row->n_anchors, row->text_hash, row->has_match, row->jaccard,
                      row->containment, sig ? sig : "", anchor_keys ? anchor_keys : "", shingles_stored ? (set ? set : "") : NULL,
                      sig_len, anchors_len, set_len };
    if (row_hash(&rc) != sqlite3_column_int64(st, COL_ROW_HASH))
      what = "contents that do not match its row hash";
  }
  if (what == NULL) {
    row->signature = decode_u32(sig, ix->params.num_perm, FALSE);
    row->anchors = decode_u32(anchor_keys, (gsize)row->n_anchors, TRUE);
    if (shingles_stored)
      row->set = decode_u32(set, (gsize)row->set_size, TRUE);
    if (row->anchors == NULL || (shingles_stored && row->set == NULL))
      what = "keys out of order";
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

/* Steps a ROW_COLUMNS statement whose first parameter is bound (the sizes are bound here) and reads
 * its row: ROW_OK, or ROW_MISSING (ND_ERROR_NOT_FOUND: `missing` is not in the index), ROW_CORRUPT
 * (the row failed read_row's checks) or ROW_FAILED (the database failed) with an error. */
static RowStatus
step_row(NdIndex *ix, sqlite3_stmt *st, const char *missing, Row *row, GError **error)
{
  sqlite3_bind_int64(st, 2, (sqlite3_int64)ix->params.num_perm * 4);
  if (sqlite3_bind_parameter_count(st) >= 3)
    sqlite3_bind_int64(st, 3, (sqlite3_int64)ND_TEXT_MAX_BYTES);
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

/* The text of a row read with TEXT_COLUMN, checked against its hash: owned, NUL-terminated; NULL
 * with an error when it is missing, does not decompress to its size or fails its hash. */
static char *
row_text(NdIndex *ix, sqlite3_stmt *st, const Row *row, gsize *len, GError **error)
{
  if (!row->has_text) {
    g_set_error(error, ND_ERROR, ND_ERROR_NOT_FOUND, "%s: the text of '%s' is not stored (index created with text "
                "%s)", ix->path, row->id, text_policy_names[ix->options.text]);
    return NULL;
  }
  char *text = NULL;
  if (sqlite3_column_type(st, COL_TEXT) == SQLITE_BLOB) {
    const void *data = sqlite3_column_blob(st, COL_TEXT);
    gsize stored = (gsize)sqlite3_column_bytes(st, COL_TEXT), size = (gsize)row->bytes;
    text = g_malloc(size + 1);
    if (stored == size) {
      memcpy(text, data, size);
    } else {
      uLongf out = size;
      if (uncompress((Bytef *)text, &out, data, stored) != Z_OK || out != size)
        g_clear_pointer(&text, g_free);
    }
    if (text != NULL)
      text[size] = '\0';
  }
  if (text == NULL || (gint64)XXH3_64bits(text, (gsize)row->bytes) != row->text_hash) {
    g_free(text);
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the stored text of '%s' is corrupt (hash mismatch)", ix->path,
                row->id);
    return NULL;
  }
  *len = (gsize)row->bytes;
  return text;
}

/* ---- transactions ---- */

/* Inside the write transaction, before anything is written: every page of the file is read and its
 * checksum checked (pagecheck_sweep), so a corrupt index is never written to. This replaced PRAGMA
 * quick_check, which reads every page too (so it also failed on any bad checksum) but walks the
 * B-trees page by page: 13 s against 3 s for a 6.3 GB index in the page cache, 83 s cold (see
 * docs/archive.md). What it checked beyond the checksums, the B-tree structure of pages whose
 * checksums are right (pages only neardup wrote), nd_index_check still checks in full. */
static gboolean
pages_check(NdIndex *ix, GError **error)
{
  gint64 bad = pagecheck_sweep(ix->db);
  if (bad > 0)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the index is corrupt (page %" G_GINT64_FORMAT " failed its "
                "checksum); it is left untouched", ix->path, bad);
  else if (bad < 0)
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the index is corrupt or cannot be read (%s); it is left "
                "untouched", ix->path, g_strerror(errno));
  return bad == 0;
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

void
nd_index_set_exclusive(NdIndex *ix, gboolean exclusive)
{
  g_return_if_fail(ix != NULL && !ix->in_transaction);
  ix->exclusive = exclusive;
}

/* Back to the write-ahead log after an exclusive transaction. Best effort: when another process
 * opened the file meanwhile the switch waits for it (the busy timeout) and may fail; the file then
 * stays in rollback mode, which is just as safe, until the next writer opens it (nd_index_open). */
static void
end_exclusive(NdIndex *ix)
{
  if (ix->exclusive)
    journal_mode(ix, "wal");
}

gboolean
nd_index_begin(NdIndex *ix, GError **error)
{
  g_return_val_if_fail(!ix->in_transaction, FALSE);
  if (ix->exclusive) {
    if (!journal_mode(ix, "delete")) { /* SQLite kept the write-ahead log: nothing to undo */
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX_BUSY, "%s: another process has the index open; an exclusive "
                  "add needs it alone (try again when it is done, or add without taking it alone)", ix->path);
      return FALSE;
    }
    /* The journal keeps each page as SQLite's cache holds it before its first change. A page the
     * switch just wrote (the header) is held with its old checksum (pagecheck.c writes a page's
     * checksum into a copy), so the cache is emptied: every page is read again, with the checksum
     * it has in the file, and a journal played back by any program (the sqlite3 shell too, which
     * knows no checksums) restores valid pages. */
    sqlite3_db_release_memory(ix->db);
  }
  if (!exec(ix, ix->exclusive ? "BEGIN EXCLUSIVE" : "BEGIN IMMEDIATE", error)) {
    end_exclusive(ix);
    return FALSE;
  }
  guint64 batch = 0, group = 0;
  if (!pages_check(ix, error) || !scalar(ix, "SELECT coalesce(max(batch), 0) FROM batches", &batch, error) ||
      !scalar(ix, "SELECT coalesce(max(grp), 0) FROM groups", &group, error)) {
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
    end_exclusive(ix);
    return FALSE;
  }
  ix->batch = (gint64)batch + 1;
  ix->next_group = group + 1;
  ix->batch_articles = ix->batch_groups = 0;
  g_hash_table_remove_all(ix->pending_groups);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  nd_date_format_utc(g_date_time_to_unix(now), ix->added);
  ix->in_transaction = TRUE;
  return TRUE;
}

gboolean
nd_index_next_group(NdIndex *ix, guint64 *group, GError **error)
{
  if (ix->in_transaction) {
    *group = ix->next_group;
    return TRUE;
  }
  guint64 max = 0;
  if (!scalar(ix, "SELECT coalesce(max(grp), 0) FROM groups", &max, error))
    return FALSE;
  *group = max + 1;
  return TRUE;
}

/* Reads group `grp`: 1 found (checked), 0 absent, -1 error (corrupt or failed). */
static int
read_group(NdIndex *ix, gint64 grp, gint64 *kept, gint64 *members, gint64 *batch, GError **error)
{
  sqlite3_stmt *st = ix->st[ST_GROUP];
  sqlite3_bind_int64(st, 1, grp);
  int rc = sqlite3_step(st);
  int result = 0;
  if (rc == SQLITE_ROW) {
    gint64 k = sqlite3_column_int64(st, 1), m = sqlite3_column_int64(st, 2), b = sqlite3_column_int64(st, 3);
    gboolean sound = sqlite3_column_type(st, 1) == SQLITE_INTEGER && sqlite3_column_type(st, 2) == SQLITE_INTEGER &&
                     sqlite3_column_type(st, 3) == SQLITE_INTEGER && sqlite3_column_type(st, 4) == SQLITE_INTEGER &&
                     group_hash(grp, k, m, b) == sqlite3_column_int64(st, 4);
    if (sound) {
      *kept = k;
      *members = m;
      *batch = b;
      result = 1;
    } else {
      g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: corrupt group row %" G_GINT64_FORMAT ": contents that do not "
                  "match its row hash", ix->path, grp);
      result = -1;
    }
  } else if (rc != SQLITE_DONE) {
    db_error(ix, rc, "reading a group", error);
    result = -1;
  }
  finish_statement(st);
  return result;
}

static gboolean
write_group(NdIndex *ix, gint64 grp, gint64 kept, gint64 members, gint64 batch, GError **error)
{
  sqlite3_stmt *st = ix->st[ST_GROUP_WRITE];
  sqlite3_bind_int64(st, 1, grp);
  sqlite3_bind_int64(st, 2, kept);
  sqlite3_bind_int64(st, 3, members);
  sqlite3_bind_int64(st, 4, batch);
  sqlite3_bind_int64(st, 5, group_hash(grp, kept, members, batch));
  return step_done(ix, st, "writing a group", error);
}

static int
compare_gint64(gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return (x > y) - (x < y);
}

/* Writes the groups this transaction made or changed (in group order). */
static gboolean
write_pending_groups(NdIndex *ix, GError **error)
{
  g_autoptr(GArray) keys = g_array_new(FALSE, FALSE, sizeof(gint64));
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, ix->pending_groups);
  while (g_hash_table_iter_next(&it, &k, &v))
    g_array_append_val(keys, *(gint64 *)k);
  g_array_sort(keys, compare_gint64);
  for (guint i = 0; i < keys->len; i++) {
    gint64 grp = g_array_index(keys, gint64, i);
    const PendingGroup *p = g_hash_table_lookup(ix->pending_groups, &grp);
    gint64 kept = 0, members = 0, batch = ix->batch;
    if (!p->is_new && read_group(ix, grp, &kept, &members, &batch, error) != 1) {
      if (error != NULL && *error == NULL)
        g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: group %" G_GINT64_FORMAT " vanished", ix->path, grp);
      return FALSE;
    }
    if (p->kept != 0)
      kept = p->kept;
    if (kept == 0) {
      g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "new group %" G_GINT64_FORMAT " has no kept article", grp);
      return FALSE;
    }
    if (!write_group(ix, grp, kept, members + p->members, batch, error))
      return FALSE;
  }
  g_hash_table_remove_all(ix->pending_groups);
  return TRUE;
}

static gboolean
flush_postings(NdIndex *ix, GError **error)
{
  ix->progress_phase = "writing postings";
  for (int k = 0; k < 2; k++)
    if (!posting_table_flush(ix->postings[k], error))
      return FALSE;
  return TRUE;
}

gboolean
nd_index_commit(NdIndex *ix, GError **error)
{
  g_return_val_if_fail(ix->in_transaction, FALSE);
  gboolean ok = flush_postings(ix, error) && write_pending_groups(ix, error);
  if (ok && ix->batch_articles > 0) { /* an add that added nothing leaves no trace */
    sqlite3_stmt *st = ix->st[ST_BATCH_WRITE];
    sqlite3_bind_int64(st, 1, ix->batch);
    sqlite3_bind_text(st, 2, ix->added, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (gint64)ix->batch_articles);
    sqlite3_bind_int64(st, 4, (gint64)ix->batch_groups);
    sqlite3_bind_int64(st, 5, batch_hash(ix->batch, ix->added, (gint64)ix->batch_articles, (gint64)ix->batch_groups));
    ok = step_done(ix, st, "writing the batch", error);
  }
  if (ok) {
    progress(ix, "committing", 0, 0);
    ok = exec(ix, "COMMIT", error);
  }
  if (!ok) {
    nd_index_rollback(ix);
    return FALSE;
  }
  ix->in_transaction = FALSE;
  end_exclusive(ix);
  return TRUE;
}

void
nd_index_rollback(NdIndex *ix)
{
  if (ix->in_transaction) {
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
    end_exclusive(ix);
  }
  ix->in_transaction = FALSE;
  for (int k = 0; k < 2; k++)
    if (ix->postings[k] != NULL)
      posting_table_discard(ix->postings[k]);
  g_hash_table_remove_all(ix->pending_groups);
}

/* ---- adding ---- */

/* The posting key of an LSH band: the high 32 bits of its 64-bit key (collisions of unrelated
 * articles cost one verification each: about 32 x N / 2^32 per match, 0.007 at a million articles). */
static guint32
band_key(const NdIndex *ix, const guint32 *signature, guint band)
{
  return (guint32)(nd_lsh_band_key(signature, band, ix->lsh.rows) >> 32);
}

/* Appends n little-endian uint32 values to the scratch buffer; returns their offset. */
static gsize
scratch_le(NdIndex *ix, const guint32 *v, gsize n)
{
  gsize at = ix->scratch->len;
  g_byte_array_set_size(ix->scratch, (guint)(at + 4 * n));
  guint8 *p = ix->scratch->data + at;
  for (gsize i = 0; i < n; i++) {
    guint32 x = GUINT32_TO_LE(v[i]);
    memcpy(p + 4 * i, &x, sizeof x);
  }
  return at;
}

/* Joins `entry->group` (see NdIndexEntry): the group number, or 0 with an error. */
static gint64
join_group(NdIndex *ix, const NdIndexEntry *entry, GError **error)
{
  if (entry->group == 0) {
    ix->batch_groups++;
    return (gint64)ix->next_group++; /* a group of its own: written right after the article */
  }
  gint64 grp = (gint64)entry->group;
  PendingGroup *p = g_hash_table_lookup(ix->pending_groups, &grp);
  if (p == NULL) {
    gboolean is_new = entry->group >= ix->next_group;
    if (!is_new) {
      gint64 kept, members, batch;
      int found = read_group(ix, grp, &kept, &members, &batch, error);
      if (found <= 0) {
        if (found == 0)
          g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "group %" G_GINT64_FORMAT " is not in the index", grp);
        return 0;
      }
    } else {
      ix->next_group = entry->group + 1;
      ix->batch_groups++;
    }
    p = g_new0(PendingGroup, 1);
    p->is_new = is_new;
    g_hash_table_insert(ix->pending_groups, g_memdup2(&grp, sizeof grp), p);
  }
  return grp;
}

gboolean
nd_index_add(NdIndex *ix, const NdDocument *doc, GError **error)
{
  NdIndexEntry entry = { .group = 0, .kept = TRUE };
  return nd_index_add_entry(ix, doc, &entry, error);
}

gboolean
nd_index_add_entry(NdIndex *ix, const NdDocument *doc, const NdIndexEntry *entry, GError **error)
{
  g_return_val_if_fail(ix->in_transaction, FALSE);
  if (doc->set == NULL || doc->text == NULL || doc->signature == NULL ||
      (doc->anchors == NULL && doc->n_anchors > 0)) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INVALID_ARG, "document was signed without its shingle set, "
                        "signature or text");
    return FALSE;
  }
  gint64 grp = join_group(ix, entry, error);
  if (grp == 0)
    return FALSE;
  gboolean own_group = entry->group == 0;
  gboolean store_text = ix->options.text == ND_INDEX_TEXT_ALL || (ix->options.text == ND_INDEX_TEXT_KEPT && entry->kept);
  g_byte_array_set_size(ix->scratch, 0);
  gsize sig_at = scratch_le(ix, doc->signature, ix->params.num_perm);
  gsize anchors_at = scratch_le(ix, doc->anchors, doc->n_anchors);
  gsize set_at = store_text ? 0 : scratch_le(ix, doc->set, doc->set_size);
  const void *text = doc->text;
  gsize text_len = doc->bytes;
  if (store_text && ix->options.text_format == ND_INDEX_TEXT_ZLIB) {
    /* sqlar's convention: zlib when smaller, else the bytes themselves */
    gsize at = ix->scratch->len;
    uLongf bound = compressBound((uLong)doc->bytes);
    g_byte_array_set_size(ix->scratch, (guint)(at + bound));
    if (compress2(ix->scratch->data + at, &bound, (const Bytef *)doc->text, (uLong)doc->bytes, 6) == Z_OK &&
        bound < doc->bytes) {
      text = ix->scratch->data + at; /* the scratch buffer is not resized after this */
      text_len = bound;
    }
  }
  const guint8 *s = ix->scratch->data;
  char date_utc[ND_DATE_ISO_SIZE];
  if (entry->date != NULL)
    nd_date_format_utc(entry->date->utc, date_utc);
  gint64 text_hash = (gint64)doc->text_hash; /* XXH3-64 of the text, taken when it was signed */
  gboolean has_match = entry->match_id != NULL;
  RowContent rc = { doc->id, entry->date_text, entry->date ? date_utc : NULL, entry->match_id, doc->meta, grp,
                    ix->batch, (gint64)doc->bytes, doc->tokens, doc->set_size, doc->n_anchors, text_hash,
                    has_match, entry->jaccard, entry->containment, s + sig_at, s + anchors_at,
                    store_text ? NULL : s + set_at, ix->params.num_perm * 4u, doc->n_anchors * 4u,
                    doc->set_size * 4u };
  sqlite3_stmt *st = ix->st[ST_INSERT_ARTICLE];
  sqlite3_bind_text(st, 1, doc->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, grp);
  sqlite3_bind_int64(st, 3, ix->batch);
  if (entry->date_text != NULL)
    sqlite3_bind_text(st, 4, entry->date_text, -1, SQLITE_STATIC);
  if (entry->date != NULL)
    sqlite3_bind_text(st, 5, date_utc, -1, SQLITE_TRANSIENT);
  if (has_match) {
    sqlite3_bind_text(st, 6, entry->match_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 7, entry->jaccard);
    sqlite3_bind_double(st, 8, entry->containment);
  }
  sqlite3_bind_int64(st, 9, (sqlite3_int64)doc->bytes);
  sqlite3_bind_int64(st, 10, doc->tokens);
  sqlite3_bind_int64(st, 11, doc->set_size);
  sqlite3_bind_int64(st, 12, doc->n_anchors);
  sqlite3_bind_int64(st, 13, text_hash);
  sqlite3_bind_int64(st, 14, row_hash(&rc));
  if (doc->meta != NULL)
    sqlite3_bind_text(st, 15, doc->meta, -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 16, s + sig_at, (int)rc.sig_len, SQLITE_STATIC);
  sqlite3_bind_blob(st, 17, rc.anchors_len ? (const void *)(s + anchors_at) : "", (int)rc.anchors_len, SQLITE_STATIC);
  if (!store_text)
    sqlite3_bind_blob(st, 18, rc.shingles_len ? (const void *)(s + set_at) : "", (int)rc.shingles_len, SQLITE_STATIC);
  else
    sqlite3_bind_blob(st, 19, text, (int)text_len, SQLITE_STATIC);
  int code = sqlite3_step(st);
  finish_statement(st);
  if (code == SQLITE_CONSTRAINT) {
    if (own_group) {
      ix->next_group--;
      ix->batch_groups--;
    }
    g_set_error(error, ND_ERROR, ND_ERROR_DUPLICATE_ID, "id '%s' is already in the index; skipped", doc->id);
    return FALSE;
  }
  if (code != SQLITE_DONE)
    return db_error(ix, code, "adding an article", error);
  sqlite3_int64 num = sqlite3_last_insert_rowid(ix->db);
  if (num > G_MAXUINT32) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: more than 4294967295 articles", ix->path);
    return FALSE;
  }
  ix->batch_articles++;
  if (own_group) {
    if (!write_group(ix, grp, num, 1, ix->batch, error))
      return FALSE;
  } else {
    PendingGroup *p = g_hash_table_lookup(ix->pending_groups, &grp);
    p->members++;
    if (entry->kept)
      p->kept = num;
  }
  for (guint band = 0; band < ix->lsh.bands; band++)
    if (!posting_table_add(ix->postings[POSTING_BANDS], band_key(ix, doc->signature, band), (guint32)num, error))
      return FALSE;
  for (guint32 j = 0; j < doc->n_anchors; j++)
    if (!posting_table_add(ix->postings[POSTING_ANCHORS], doc->anchors[j], (guint32)num, error))
      return FALSE;
  return TRUE;
}

/* ---- removing ---- */

gboolean
nd_index_remove(NdIndex *ix, const char *id, GError **error)
{
  g_return_val_if_fail(ix->in_transaction, FALSE);
  if (!flush_postings(ix, error) || !write_pending_groups(ix, error))
    return FALSE;
  sqlite3_stmt *st = ix->st[ST_ROW_BY_ID];
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  g_autofree char *missing = g_strdup_printf("id '%s'", id);
  Row row;
  RowStatus status = step_row(ix, st, missing, &row, error);
  finish_statement(st);
  if (status != ROW_OK)
    return FALSE;
  gint64 num = row.num, grp = row.grp, n_anchors = row.n_anchors;
  g_autofree guint32 *sig = g_steal_pointer(&row.signature);
  g_autofree guint32 *anchor_keys = g_steal_pointer(&row.anchors);
  row_clear(&row);
  gboolean found;
  for (guint band = 0; band < ix->lsh.bands; band++)
    if (!posting_table_remove(ix->postings[POSTING_BANDS], band_key(ix, sig, band), (guint32)num, &found, error))
      return FALSE;
  for (gint64 j = 0; j < n_anchors; j++)
    if (!posting_table_remove(ix->postings[POSTING_ANCHORS], anchor_keys[j], (guint32)num, &found, error))
      return FALSE;
  sqlite3_bind_int64(ix->st[ST_DELETE_ARTICLE], 1, num);
  if (!step_done(ix, ix->st[ST_DELETE_ARTICLE], "removing an article", error))
    return FALSE;
  gint64 kept, members, batch;
  int g = read_group(ix, grp, &kept, &members, &batch, error);
  if (g < 0)
    return FALSE;
  if (g == 0)
    return TRUE; /* a row without its group: nothing to update */
  if (members <= 1) {
    sqlite3_bind_int64(ix->st[ST_GROUP_DELETE], 1, grp);
    return step_done(ix, ix->st[ST_GROUP_DELETE], "removing a group", error);
  }
  if (kept == num) { /* the group keeps its first remaining member */
    sqlite3_stmt *first = ix->st[ST_FIRST_MEMBER];
    sqlite3_bind_int64(first, 1, grp);
    int rc = sqlite3_step(first);
    kept = rc == SQLITE_ROW ? sqlite3_column_int64(first, 0) : 0;
    finish_statement(first);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return db_error(ix, rc, "reading a group", error);
    if (kept == 0) {
      sqlite3_bind_int64(ix->st[ST_GROUP_DELETE], 1, grp);
      return step_done(ix, ix->st[ST_GROUP_DELETE], "removing a group", error);
    }
  }
  return write_group(ix, grp, kept, members - 1, batch, error);
}

/* ---- statistics ---- */

/* Reads outside a write transaction run inside a read transaction, so they see one committed state
 * even while another process commits. */
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

static gboolean
stats_in_snapshot(NdIndex *ix, NdIndexStats *s, GError **error)
{
  memset(s, 0, sizeof *s);
  s->format_version = ND_INDEX_FORMAT_VERSION;
  guint64 pages = 0, page_size = 0, free_pages = 0;
  gboolean ok = scalar(ix, "SELECT count(*) FROM articles", &s->articles, error) &&
                scalar(ix, "SELECT coalesce(sum(bytes), 0) FROM articles", &s->text_bytes, error) &&
                scalar(ix, "SELECT count(*) FROM groups", &s->groups, error) &&
                scalar(ix, "SELECT count(*) FROM batches", &s->batches, error) &&
                posting_table_count(ix->postings[POSTING_BANDS], &s->band_keys, &s->band_segments, error) &&
                posting_table_count(ix->postings[POSTING_ANCHORS], &s->anchors, &s->anchor_segments,
                                    error) &&
                scalar(ix, "PRAGMA page_count", &pages, error) && scalar(ix, "PRAGMA page_size", &page_size, error) &&
                scalar(ix, "PRAGMA freelist_count", &free_pages, error);
  s->kept = s->groups;
  s->texts = ix->options.text == ND_INDEX_TEXT_ALL ? s->articles : ix->options.text == ND_INDEX_TEXT_KEPT ? s->kept : 0;
  s->file_bytes = (pages - free_pages) * page_size;
  return ok;
}

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

/* ---- matching ---- */

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

/* The row's metadata as a JSON object the writer built (never the stored text verbatim), or NULL
 * (with a warning when the stored text is not a JSON object). */
static char *
canonical_metadata(NdIndex *ix, const char *id, const char *metadata)
{
  if (metadata == NULL)
    return NULL;
  g_autoptr(GError) local = NULL;
  char *json = nd_json_object_canonical(metadata, strlen(metadata), &local);
  if (json == NULL) {
    g_autoptr(GError) problem = g_error_new(ND_ERROR, ND_ERROR_INDEX, "%s: the metadata of '%s' is not a JSON "
                                            "object (%s); shown as null", ix->path, id, local->message);
    warn(ix, problem);
  }
  return json;
}

/* The kept article of group `grp` (this transaction's changes included), or 0. */
static gint64
group_kept(NdIndex *ix, gint64 grp, GHashTable *cache)
{
  const PendingGroup *p = g_hash_table_lookup(ix->pending_groups, &grp);
  if (p != NULL && p->kept != 0)
    return p->kept;
  gpointer cached;
  if (g_hash_table_lookup_extended(cache, &grp, NULL, &cached))
    return (gint64)GPOINTER_TO_SIZE(cached);
  gint64 kept = 0, members, batch;
  g_autoptr(GError) local = NULL;
  if (read_group(ix, grp, &kept, &members, &batch, &local) < 0) {
    warn(ix, local);
    kept = 0;
  }
  if (g_hash_table_size(cache) > (1u << 20))
    g_hash_table_remove_all(cache);
  g_hash_table_insert(cache, g_memdup2(&grp, sizeof grp), GSIZE_TO_POINTER((gsize)kept));
  return kept;
}

/* The shingle set of a checked row: its stored keys, or its text signed again (checked against the
 * row's sizes). Owned; NULL after a warning naming the row. */
static guint32 *
row_set(NdIndex *ix, sqlite3_stmt *st, Row *row)
{
  if (row->set != NULL)
    return g_steal_pointer(&row->set);
  g_autoptr(GError) local = NULL;
  gsize len = 0;
  g_autofree char *text = row_text(ix, st, row, &len, &local);
  if (text == NULL) {
    warn(ix, local);
    return NULL;
  }
  if (ix->signer == NULL) {
    NdSignParams p = ix->params;
    p.keep_sets = TRUE;
    p.keep_text = FALSE;
    p.text_flags = ND_TEXT_LOSSY; /* what was archived was read, lossily or not: it signs again */
    p.lsh_bands = 0;
    ix->signer = nd_signer_new(&p);
  }
  g_autoptr(NdDocument) doc = nd_signer_sign(ix->signer, row->id, text, len, NULL);
  if (doc == NULL || doc->set_size != (guint32)row->set_size || doc->tokens != (guint32)row->tokens) {
    g_autoptr(GError) problem = g_error_new(ND_ERROR, ND_ERROR_INDEX, "%s: corrupt article row %" G_GINT64_FORMAT
                                            " ('%s'): its text signs to %u shingles, not the %" G_GINT64_FORMAT
                                            " stored", ix->path, row->num, row->id, doc ? doc->set_size : 0,
                                            row->set_size);
    warn(ix, problem);
    return NULL;
  }
  return g_steal_pointer(&doc->set);
}

/* A batch's keys of one kind, document by document: each document's keys sorted and distinct, in
 * `buf` (room for 2 x the bands) when they are made here. */
typedef const guint32 *(*DocKeysFunc)(NdIndex *ix, const NdDocument *doc, guint32 *buf, guint32 *n);

static const guint32 *
doc_band_keys(NdIndex *ix, const NdDocument *doc, guint32 *buf, guint32 *n)
{
  for (guint band = 0; band < ix->lsh.bands; band++)
    buf[band] = band_key(ix, doc->signature, band);
  *n = (guint32)nd_sort_unique_u32(buf, buf + ix->lsh.bands, ix->lsh.bands);
  return buf;
}

static const guint32 *
doc_anchor_keys(NdIndex *ix, const NdDocument *doc, guint32 *buf, guint32 *n)
{
  (void)ix;
  (void)buf;
  *n = doc->n_anchors;
  return doc->anchors;
}

static const guint32 *
doc_no_keys(NdIndex *ix, const NdDocument *doc, guint32 *buf, guint32 *n)
{
  (void)ix;
  (void)doc;
  *n = 0;
  return buf;
}

/* The postings of a batch's distinct keys of one kind, each list stored once (however many batch
 * articles share the key): candidates are then counted article by article, each article's keys
 * found again in the distinct keys, so memory follows the distinct keys and the postings, not keys
 * x documents. Most keys of a new batch have no postings, so only the keys with a list have a
 * start: a bitmap over the distinct keys and its running counts (rank) turn a key's index into its
 * list. A key whose list is longer than the lookup's limit (boilerplate) counts as having none. */
typedef struct {
  DocKeysFunc doc_keys; /* each document's keys */
  guint32 *keys;        /* the distinct keys, sorted */
  gsize nk;
  guint32 *top;         /* per value of key >> shift: the first index of a key with that top or more */
  guint shift;
  guint64 *has;         /* per distinct key: 1 when it has a list */
  guint32 *rank;        /* per 64 keys: the keys with a list before them */
  guint32 *start;       /* per key with a list, in key order: its list in nums (start[r] .. start[r + 1]) */
  gsize n_start, start_cap;
  guint32 *nums;        /* all lists, one after the other */
  guint32 n_nums, cap;
  gboolean overflow;    /* the lists passed G_MAXUINT32 entries */
  gsize budget;         /* entries the lists may hold (0: any number) */
  guint16 *lens;        /* past the budget: no lists (nums, start, has), per distinct key its list's length
                         * (saturated) instead, to plan slices of the batch */
} KeyLists;

static void
key_lists_clear(KeyLists *kl)
{
  g_free(kl->keys);
  g_free(kl->top);
  g_free(kl->has);
  g_free(kl->rank);
  g_free(kl->start);
  g_free(kl->nums);
  g_free(kl->lens);
  memset(kl, 0, sizeof *kl);
}

/* The index of `key` among the distinct keys, or kl->nk when it is not one of them. */
static inline gsize
key_index(const KeyLists *kl, guint32 key)
{
  guint32 lo = kl->top[key >> kl->shift], hi = kl->top[(key >> kl->shift) + 1];
  while (lo < hi) { /* a few keys share a top: a short binary search */
    guint32 mid = lo + (hi - lo) / 2;
    if (kl->keys[mid] < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < kl->nk && kl->keys[lo] == key ? lo : kl->nk;
}

/* The list of `key`: nums[*from .. *to) (empty when it has none or is not one of the distinct keys). */
static inline void
key_list(const KeyLists *kl, guint32 key, gsize *from, gsize *to)
{
  gsize i = key_index(kl, key);
  guint64 word = i < kl->nk ? kl->has[i >> 6] : 0, bit = G_GUINT64_CONSTANT(1) << (i & 63);
  if (!(word & bit)) {
    *from = *to = 0;
    return;
  }
  gsize r = kl->rank[i >> 6] + (gsize)__builtin_popcountll(word & (bit - 1));
  *from = kl->start[r];
  *to = kl->start[r + 1];
}

/* The length of `key`'s list, from the lists or, past the budget, from lens. */
static inline gsize
key_list_length(const KeyLists *kl, guint32 key)
{
  if (kl->lens != NULL) {
    gsize i = key_index(kl, key);
    return i < kl->nk ? kl->lens[i] : 0;
  }
  gsize from, to;
  key_list(kl, key, &from, &to);
  return to - from;
}

/* Past the budget: the lists gathered so far become lengths, and are dropped. */
static void
key_lists_over_budget(KeyLists *kl)
{
  kl->lens = g_new0(guint16, kl->nk + 1);
  gsize r = 0;
  for (gsize w = 0; w <= kl->nk / 64; w++)
    for (guint64 word = kl->has[w]; word != 0; word &= word - 1, r++) {
      gsize i = w * 64 + (gsize)__builtin_ctzll(word);
      guint32 end = r + 1 < kl->n_start ? kl->start[r + 1] : kl->n_nums;
      kl->lens[i] = (guint16)MIN(end - kl->start[r], (guint32)G_MAXUINT16);
    }
  memset(kl->has, 0, (kl->nk / 64 + 1) * sizeof(guint64));
  g_clear_pointer(&kl->nums, g_free);
  g_clear_pointer(&kl->start, g_free);
  kl->n_nums = kl->cap = 0;
  kl->n_start = kl->start_cap = 0;
}

static void
gather_list(gsize k, const guint32 *nums, guint count, gpointer data)
{
  KeyLists *kl = data;
  if (nums == NULL || count == 0 || kl->overflow)
    return;
  if (kl->lens == NULL && kl->budget > 0 && (gsize)kl->n_nums + count > kl->budget)
    key_lists_over_budget(kl);
  if (kl->lens != NULL) {
    kl->lens[k] = (guint16)MIN(count, (guint)G_MAXUINT16);
    return;
  }
  if ((guint64)kl->n_nums + count >= G_MAXUINT32) {
    kl->overflow = TRUE;
    return;
  }
  if (kl->n_nums + count > kl->cap) {
    kl->cap = (guint32)MIN((guint64)G_MAXUINT32, MAX(2 * (guint64)kl->cap, (guint64)kl->n_nums + count + 1024));
    kl->nums = g_renew(guint32, kl->nums, kl->cap);
  }
  if (kl->n_start + 2 > kl->start_cap) {
    kl->start_cap = MAX(2 * kl->start_cap, 1024);
    kl->start = g_renew(guint32, kl->start, kl->start_cap);
  }
  kl->has[k >> 6] |= G_GUINT64_CONSTANT(1) << (k & 63);
  kl->start[kl->n_start++] = kl->n_nums;
  memcpy(kl->nums + kl->n_nums, nums, count * sizeof(guint32));
  kl->n_nums += count;
}

/* The posting lists of the batch's distinct keys of one kind. Memory is what bounds a large batch
 * here (a 100,000-article batch has 21.6 M anchors): the keys are gathered bucket by bucket of
 * their top byte and sorted there (scratch for one bucket, 4 bytes a key), and no per-article key
 * index is kept (each article's keys are searched again when its candidates are counted). Lists
 * past `budget` entries (0: no budget) are not kept, only their lengths (kl->lens). FALSE with
 * `error` set on a read error, or when the lists pass 4 G entries (a batch that size is to be added
 * in parts). */
static gboolean
gather(NdIndex *ix, int which, const NdDocument *const *docs, guint n_docs, DocKeysFunc doc_keys, gsize budget,
       KeyLists *kl, GError **error)
{
  memset(kl, 0, sizeof *kl);
  kl->doc_keys = doc_keys;
  kl->budget = budget;
  g_autofree guint32 *buf = g_new(guint32, 2 * (gsize)ix->lsh.bands + 2);
  gsize bucket[257] = { 0 };
  for (guint d = 0; d < n_docs; d++) {
    guint32 m;
    const guint32 *k = doc_keys(ix, docs[d], buf, &m);
    for (guint32 j = 0; j < m; j++)
      bucket[(k[j] >> 24) + 1]++;
  }
  for (int b = 0; b < 256; b++)
    bucket[b + 1] += bucket[b];
  kl->keys = g_new(guint32, bucket[256] + 1);
  {
    gsize next[256];
    memcpy(next, bucket, sizeof next);
    for (guint d = 0; d < n_docs; d++) {
      guint32 m;
      const guint32 *k = doc_keys(ix, docs[d], buf, &m);
      for (guint32 j = 0; j < m; j++)
        kl->keys[next[k[j] >> 24]++] = k[j];
    }
    gsize largest = 0;
    for (int b = 0; b < 256; b++)
      largest = MAX(largest, bucket[b + 1] - bucket[b]);
    g_autofree guint32 *scratch = g_new(guint32, largest + 1);
    for (int b = 0; b < 256; b++) { /* sorted and distinct, bucket by bucket, moved down into place */
      gsize distinct = nd_sort_unique_u32(kl->keys + bucket[b], scratch, bucket[b + 1] - bucket[b]);
      memmove(kl->keys + kl->nk, kl->keys + bucket[b], distinct * sizeof(guint32));
      kl->nk += distinct;
    }
    kl->keys = g_renew(guint32, kl->keys, kl->nk + 1);
  }
  guint bits = MIN(g_bit_storage(kl->nk), 16u); /* about a key per top value */
  kl->shift = 32 - bits;
  kl->top = g_new(guint32, ((gsize)1 << bits) + 1);
  gsize i = 0;
  for (guint32 t = 0; t <= (1u << bits); t++) {
    while (i < kl->nk && (kl->keys[i] >> kl->shift) < t)
      i++;
    kl->top[t] = (guint32)i;
  }
  kl->has = g_new0(guint64, kl->nk / 64 + 1);
  gboolean ok = kl->nk == 0 || posting_table_lookup(ix->postings[which], kl->keys, kl->nk,
                                                    which == POSTING_BANDS ? G_MAXUINT : MAX_POSTING, gather_list,
                                                    kl, error);
  kl->start = g_renew(guint32, kl->start, kl->n_start + 1);
  kl->start[kl->n_start] = kl->n_nums;
  kl->rank = g_new(guint32, kl->nk / 64 + 1);
  guint32 before = 0;
  for (gsize w = 0; w <= kl->nk / 64; w++) {
    kl->rank[w] = before;
    before += (guint32)__builtin_popcountll(kl->has[w]);
  }
  if (ok && kl->overflow) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: the batch's candidate lists pass %u entries: add it in smaller "
                "batches", ix->path, G_MAXUINT32);
    ok = FALSE;
  }
  return ok;
}

/* Counts per archived article for one document: an open-addressing table reused from document to
 * document (cleared through the list of slots it filled). */
typedef struct {
  guint32 *num;   /* 0: empty (article numbers start at 1) */
  guint32 *count; /* anchors shared; the top bit: an LSH hit */
  guint32 *used;  /* filled slots */
  gsize cap, n_used;
} Counter;

#define COUNTER_BAND 0x80000000u

static void
counter_clear(Counter *c)
{
  for (gsize i = 0; i < c->n_used; i++)
    c->num[c->used[i]] = 0;
  c->n_used = 0;
}

/* Room for `entries` more articles at most half full. */
static void
counter_reserve(Counter *c, gsize entries)
{
  if (c->num != NULL && 2 * entries <= c->cap)
    return;
  g_free(c->num);
  g_free(c->count);
  g_free(c->used);
  c->cap = 1024;
  while (c->cap < 2 * entries)
    c->cap *= 2;
  c->num = g_new0(guint32, c->cap);
  c->count = g_new(guint32, c->cap);
  c->used = g_new(guint32, c->cap);
  c->n_used = 0;
}

static inline void
counter_add(Counter *c, guint32 num, guint32 add)
{
  gsize mask = c->cap - 1, i = (num * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15)) >> 32 & mask;
  while (c->num[i] != 0 && c->num[i] != num)
    i = (i + 1) & mask;
  if (c->num[i] == 0) {
    c->num[i] = num;
    c->count[i] = 0;
    c->used[c->n_used++] = (guint32)i;
  }
  if (add == COUNTER_BAND)
    c->count[i] |= COUNTER_BAND;
  else /* anchor weights, saturating at what makes a candidate */
    c->count[i] = (c->count[i] & COUNTER_BAND) | MIN((c->count[i] & ~COUNTER_BAND) + add, (guint32)ND_ANCHOR_MIN_WEIGHT);
}

static void
counter_free(Counter *c)
{
  g_free(c->num);
  g_free(c->count);
  g_free(c->used);
}

/* A document's lists of one kind: (from, to) pairs into `spans`. */
static void
doc_lists(NdIndex *ix, const NdDocument *doc, const KeyLists *kl, guint32 *buf, GArray *spans, gsize *entries)
{
  guint32 m;
  const guint32 *k = kl->doc_keys(ix, doc, buf, &m);
  g_array_set_size(spans, 0);
  for (guint32 j = 0; j < m; j++) {
    gsize span[2];
    key_list(kl, k[j], &span[0], &span[1]);
    if (span[1] > span[0]) {
      g_array_append_vals(spans, span, 1);
      *entries += span[1] - span[0];
    }
  }
}

/* The candidates of document d under score.h's rule: archived articles sharing a band key, or
 * passage anchors that weigh ND_ANCHOR_MIN_WEIGHT (nd_anchor_weight of each anchor's posting list
 * length in the archive), appended as num << 32 | d. `band_spans` and `anchor_spans` are scratch. */
static void
doc_candidates(NdIndex *ix, const NdDocument *doc, guint32 d, const KeyLists *bands, const KeyLists *anchors,
               guint max_posting, Counter *counter, guint32 *buf, GArray *band_spans, GArray *anchor_spans, GArray *out)
{
  gsize entries = 0;
  doc_lists(ix, doc, bands, buf, band_spans, &entries);
  doc_lists(ix, doc, anchors, buf, anchor_spans, &entries);
  counter_reserve(counter, entries);
  for (guint i = 0; i < band_spans->len; i++) {
    const gsize *span = &g_array_index(band_spans, gsize, 2 * i);
    for (gsize j = span[0]; j < span[1]; j++)
      counter_add(counter, bands->nums[j], COUNTER_BAND);
  }
  for (guint i = 0; i < anchor_spans->len; i++) {
    const gsize *span = &g_array_index(anchor_spans, gsize, 2 * i);
    guint32 weight = nd_anchor_weight(span[1] - span[0], max_posting);
    for (gsize j = span[0]; weight > 0 && j < span[1]; j++)
      counter_add(counter, anchors->nums[j], weight);
  }
  for (gsize u = 0; u < counter->n_used; u++) {
    guint32 slot = counter->used[u], num = counter->num[slot], count = counter->count[slot];
    if (!(count & COUNTER_BAND) && count < ND_ANCHOR_MIN_WEIGHT)
      continue;
    guint64 c = (guint64)num << 32 | d;
    g_array_append_val(out, c);
  }
  counter_clear(counter);
}

/* Appends the candidates of docs[from .. to) to `cand`, from their lists. */
static void
count_candidates(NdIndex *ix, const NdDocument *const *docs, guint from, guint to, guint n, const KeyLists *bands,
                 const KeyLists *anchors, const NdFindOptions *o, GArray *cand)
{
  Counter counter = { 0 };
  g_autofree guint32 *buf = g_new(guint32, 2 * (gsize)ix->lsh.bands + 2);
  g_autoptr(GArray) band_spans = g_array_new(FALSE, FALSE, 2 * sizeof(gsize));
  g_autoptr(GArray) anchor_spans = g_array_new(FALSE, FALSE, 2 * sizeof(gsize));
  for (guint d = from; d < to; d++) {
    doc_candidates(ix, docs[d], d, bands, anchors, MIN(o->max_posting, MAX_POSTING), &counter, buf, band_spans,
                   anchor_spans, cand);
    if ((d & 4095) == 4095)
      progress(ix, "matching", d + 1, n);
  }
  counter_free(&counter);
}

/* The ends of slices of docs[from .. n) whose lists each stay within `budget` entries of each kind,
 * from the lengths of an over-budget gather (an article's lists counted in full: articles sharing a
 * key make a slice smaller than it need be, never larger). An article alone over the budget is a
 * slice of its own. */
static GArray *
plan_slices(NdIndex *ix, const NdDocument *const *docs, guint from, guint n, const KeyLists *bands,
            const KeyLists *anchors, gsize budget)
{
  GArray *ends = g_array_new(FALSE, FALSE, sizeof(guint));
  g_autofree guint32 *buf = g_new(guint32, 2 * (gsize)ix->lsh.bands + 2);
  guint64 in_bands = 0, in_anchors = 0;
  for (guint d = from; d < n; d++) {
    guint64 kind[2] = { 0, 0 };
    const KeyLists *kls[2] = { bands, anchors };
    for (int w = 0; w < 2; w++) {
      guint32 m;
      const guint32 *k = kls[w]->doc_keys(ix, docs[d], buf, &m);
      for (guint32 j = 0; j < m; j++)
        kind[w] += key_list_length(kls[w], k[j]);
    }
    if (d > from && (in_bands + kind[0] > budget || in_anchors + kind[1] > budget)) {
      g_array_append_val(ends, d);
      in_bands = in_anchors = 0;
    }
    in_bands += kind[0];
    in_anchors += kind[1];
  }
  g_array_append_val(ends, n);
  return ends;
}

/* The candidates of the batch, appended to `cand` as num << 32 | doc. The lists of the whole batch
 * are gathered first; when either kind passes its share of the match memory (a batch the archive
 * already holds: every anchor has a list), the lengths seen plan slices of the batch, and each
 * slice reads the postings again for its own keys. Candidates do not depend on the slicing: an
 * article's candidates come from its own keys' lists. */
static gboolean
batch_candidates(NdIndex *ix, const NdDocument *const *docs, guint n, const NdFindOptions *o, GArray *cand,
                 GError **error)
{
  /* 4 bytes of list and up to 4 of its start an entry, two kinds */
  gsize budget = MAX(ix->match_memory / 16, (gsize)1);
  DocKeysFunc anchor_keys = o->anchors ? doc_anchor_keys : doc_no_keys;
  KeyLists bands, anchors;
  memset(&anchors, 0, sizeof anchors);
  gboolean ok = gather(ix, POSTING_BANDS, docs, n, doc_band_keys, budget, &bands, error) &&
                gather(ix, POSTING_ANCHORS, docs, n, anchor_keys, budget, &anchors, error);
  if (ok && bands.lens == NULL && anchors.lens == NULL) {
    count_candidates(ix, docs, 0, n, n, &bands, &anchors, o, cand);
    key_lists_clear(&bands);
    key_lists_clear(&anchors);
    return TRUE;
  }
  g_autoptr(GArray) ends = ok ? plan_slices(ix, docs, 0, n, &bands, &anchors, budget) : NULL;
  key_lists_clear(&bands);
  key_lists_clear(&anchors);
  if (!ok)
    return FALSE;
  guint from = 0;
  for (guint s = 0; ok && s < ends->len; s++) {
    guint to = g_array_index(ends, guint, s);
    /* indices are of the whole batch: the slice's documents are passed from `docs`, its keys only */
    ok = gather(ix, POSTING_BANDS, docs + from, to - from, doc_band_keys, 0, &bands, error) &&
         gather(ix, POSTING_ANCHORS, docs + from, to - from, anchor_keys, 0, &anchors, error);
    if (ok)
      count_candidates(ix, docs, from, to, n, &bands, &anchors, o, cand);
    key_lists_clear(&bands);
    key_lists_clear(&anchors);
    from = to;
  }
  return ok;
}

static GPtrArray *
match_in_snapshot(NdIndex *ix, const NdDocument *const *docs, guint n, const NdFindOptions *o, GError **error)
{
  if (!nd_find_options_validate(o, error))
    return NULL;
  for (guint d = 0; d < n; d++)
    if (docs[d]->set == NULL || docs[d]->signature == NULL) {
      g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "'%s' was signed without its shingle set or signature: "
                  "archived articles are scored exactly", docs[d]->id);
      return NULL;
    }
  if (ix->in_transaction && !flush_postings(ix, error)) /* matching sees this transaction's adds */
    return NULL;
  GPtrArray *results = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
  for (guint d = 0; d < n; d++) {
    GArray *m = g_array_new(FALSE, TRUE, sizeof(NdIndexMatch));
    g_array_set_clear_func(m, (GDestroyNotify)nd_index_match_clear);
    g_ptr_array_add(results, m);
  }
  /* 1. Candidates: every key of the batch against the postings, in key order, then article by
   *    article; in slices of the batch when the lists would take more than the match memory. */
  progress(ix, "matching", 0, n);
  g_autoptr(GArray) cand = g_array_new(FALSE, FALSE, sizeof(guint64)); /* num << 32 | doc */
  gboolean ok = batch_candidates(ix, docs, n, o, cand, error);
  if (!ok) {
    g_ptr_array_unref(results);
    return NULL;
  }
  if (cand->len > 1) {
    g_autofree guint64 *scratch = g_new(guint64, cand->len);
    nd_sort_u64((guint64 *)(void *)cand->data, scratch, cand->len);
  }
  /* 2. Each candidate row once, in number order: checked, its set made, scored against its documents. */
  g_autoptr(GHashTable) kept_cache = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GArray) docs_of = g_array_new(FALSE, FALSE, sizeof(guint32));
  const guint64 *c = (const guint64 *)(void *)cand->data;
  guint64 scored = 0;
  for (gsize i = 0; i < cand->len && ok;) {
    guint32 num = (guint32)(c[i] >> 32);
    g_array_set_size(docs_of, 0);
    for (; i < cand->len && (guint32)(c[i] >> 32) == num; i++) {
      guint32 d = (guint32)c[i];
      g_array_append_val(docs_of, d);
    }
    if ((++scored & 1023) == 0)
      progress(ix, "scoring", (guint64)i, cand->len);
    sqlite3_stmt *st = ix->st[ST_TEXT_BY_NUM];
    sqlite3_bind_int64(st, 1, num);
    g_autofree char *missing = g_strdup_printf("article %u, named by a posting,", num);
    g_autoptr(GError) local = NULL;
    Row row;
    RowStatus status = step_row(ix, st, missing, &row, &local);
    if (status != ROW_OK) {
      finish_statement(st);
      if (status == ROW_FAILED) {
        g_propagate_error(error, g_steal_pointer(&local));
        ok = FALSE;
      } else {
        if (status == ROW_MISSING) { /* a posting naming no article: the index is inconsistent */
          g_clear_error(&local);
          local = g_error_new(ND_ERROR, ND_ERROR_INDEX, "%s: corrupt index: a posting names article %u, which is not in it",
                              ix->path, num);
        }
        warn(ix, local); /* a corrupt row, or a posting naming no article: named, skipped, never scored */
      }
      continue;
    }
    g_autofree guint32 *set = row_set(ix, st, &row);
    if (set != NULL) {
      NdDocument archived = { .set_size = (guint32)row.set_size, .signature = row.signature, .set = set,
                              .anchors = row.anchors, .n_anchors = (guint32)row.n_anchors };
      gint64 kept = -1;
      const NdReportRule rule = nd_find_options_rule(o);
      for (guint k = 0; k < docs_of->len; k++) {
        guint32 d = g_array_index(docs_of, guint32, k);
        NdPair p = { 0 };
        /* scored exactly and judged by score.h's report rule; without the batch's word frequencies
         * the vocabulary is unknown, so the archive reports near-duplicates and verbatim reuse */
        nd_score_pair(docs[d], &archived, ix->params.num_perm, ND_VERIFY_EXACT, &p);
        if (!nd_pair_report(&p, &rule))
          continue;
        if (kept < 0)
          kept = group_kept(ix, row.grp, kept_cache);
        NdIndexMatch m = { g_strdup(row.id), canonical_metadata(ix, row.id, row.metadata), (guint64)row.bytes, p,
                           (guint64)row.grp, kept == row.num };
        g_array_append_val(g_ptr_array_index(results, d), m);
      }
    }
    row_clear(&row);
    finish_statement(st);
  }
  if (!ok) {
    g_ptr_array_unref(results);
    return NULL;
  }
  for (guint d = 0; d < n; d++)
    g_array_sort(g_ptr_array_index(results, d), compare_matches);
  progress(ix, "scoring", cand->len, cand->len);
  return results;
}

GPtrArray *
nd_index_match(NdIndex *ix, const NdDocument *const *docs, guint n, const NdFindOptions *o, GError **error)
{
  gboolean started;
  if (!read_begin(ix, &started, error))
    return NULL;
  GPtrArray *results = match_in_snapshot(ix, docs, n, o, error);
  read_end(ix, started);
  return results;
}

GArray *
nd_index_query(NdIndex *ix, const NdDocument *doc, const NdFindOptions *o, GError **error)
{
  g_autoptr(GPtrArray) results = nd_index_match(ix, &doc, 1, o, error);
  if (results == NULL)
    return NULL;
  return g_array_ref(g_ptr_array_index(results, 0));
}

/* ---- texts and records ---- */

char *
nd_index_get_text(NdIndex *ix, const char *id, gsize *len, GError **error)
{
  sqlite3_stmt *st = ix->st[ST_TEXT_BY_ID];
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  g_autofree char *missing = g_strdup_printf("id '%s'", id);
  Row row;
  char *text = NULL;
  if (step_row(ix, st, missing, &row, error) == ROW_OK) {
    text = row_text(ix, st, &row, len, error);
    row_clear(&row);
  }
  finish_statement(st);
  return text;
}

void
nd_index_record_clear(NdIndexRecord *r)
{
  g_free(r->id);
  g_free(r->added);
  g_free(r->date);
  g_free(r->match_id);
  g_free(r->metadata);
  memset(r, 0, sizeof *r);
}

/* When batch `batch` was added (its row checked), or NULL after a warning. */
static char *
batch_added(NdIndex *ix, gint64 batch)
{
  sqlite3_stmt *st = ix->st[ST_BATCH];
  sqlite3_bind_int64(st, 1, batch);
  char *added = NULL;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *a = (const char *)sqlite3_column_text(st, 1);
    if (sqlite3_column_type(st, 1) == SQLITE_TEXT &&
        batch_hash(batch, a, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)) == sqlite3_column_int64(st, 4))
      added = g_strdup(a);
  }
  finish_statement(st);
  if (added == NULL && rc == SQLITE_ROW) {
    g_autoptr(GError) problem = g_error_new(ND_ERROR, ND_ERROR_INDEX, "%s: corrupt batch row %" G_GINT64_FORMAT
                                            ": contents that do not match its row hash", ix->path, batch);
    warn(ix, problem);
  } else if (added == NULL && ix->in_transaction && batch == ix->batch) {
    added = g_strdup(ix->added);
  }
  return added;
}

static void
fill_record(NdIndex *ix, const Row *row, NdIndexRecord *r, GHashTable *kept_cache, GHashTable *added_cache)
{
  memset(r, 0, sizeof *r);
  r->num = row->num;
  r->id = g_strdup(row->id);
  r->group = (guint64)row->grp;
  r->kept = group_kept(ix, row->grp, kept_cache) == row->num;
  r->batch = (guint64)row->batch;
  const char *added = g_hash_table_lookup(added_cache, &row->batch);
  if (added == NULL) { /* once per batch ("" when its row is unsound: warned about once) */
    char *a = batch_added(ix, row->batch);
    g_hash_table_insert(added_cache, g_memdup2(&row->batch, sizeof row->batch), a ? a : g_strdup(""));
    added = g_hash_table_lookup(added_cache, &row->batch);
  }
  r->added = added[0] ? g_strdup(added) : NULL;
  r->date = g_strdup(row->date);
  r->has_date = row->has_date;
  r->date_utc = row->date_seconds;
  r->match_id = g_strdup(row->match_id);
  r->jaccard = row->jaccard;
  r->containment = row->containment;
  r->bytes = (guint64)row->bytes;
  r->tokens = (guint64)row->tokens;
  r->set_size = (guint64)row->set_size;
  r->n_anchors = (guint64)row->n_anchors;
  r->text_hash = (guint64)row->text_hash;
  r->has_text = row->has_text;
  r->metadata = canonical_metadata(ix, row->id, row->metadata);
}

gboolean
nd_index_get_record(NdIndex *ix, const char *id, NdIndexRecord *record, GError **error)
{
  gboolean started;
  if (!read_begin(ix, &started, error))
    return FALSE;
  sqlite3_stmt *st = ix->st[ST_ROW_BY_ID];
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  g_autofree char *missing = g_strdup_printf("id '%s'", id);
  Row row;
  gboolean ok = step_row(ix, st, missing, &row, error) == ROW_OK;
  if (ok) {
    g_autoptr(GHashTable) kept = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    g_autoptr(GHashTable) added = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    fill_record(ix, &row, record, kept, added);
    row_clear(&row);
  }
  finish_statement(st);
  read_end(ix, started);
  return ok;
}

int
nd_index_holds(NdIndex *ix, const NdDocument *doc, NdIndexRecord *record, GError **error)
{
  NdIndexRecord r;
  g_autoptr(GError) local = NULL;
  if (!nd_index_get_record(ix, doc->id, &r, &local)) {
    if (local->code == ND_ERROR_NOT_FOUND)
      return 0;
    g_propagate_error(error, g_steal_pointer(&local));
    return -1;
  }
  /* the text itself when it is kept, else the hash taken when it was signed */
  guint64 hash = doc->text != NULL ? XXH3_64bits(doc->text, doc->bytes) : doc->text_hash;
  gboolean same = r.bytes == doc->bytes && r.text_hash == hash;
  if (record != NULL)
    *record = r;
  else
    nd_index_record_clear(&r);
  return same ? 1 : -1;
}

void
nd_index_group_clear(NdIndexGroup *g)
{
  nd_index_record_clear(&g->kept);
  memset(g, 0, sizeof *g);
}

gboolean
nd_index_get_group(NdIndex *ix, guint64 group, NdIndexGroup *out, GError **error)
{
  memset(out, 0, sizeof *out);
  gboolean started;
  if (!read_begin(ix, &started, error))
    return FALSE;
  gint64 kept = 0, members = 0, batch = 0;
  int found = read_group(ix, (gint64)group, &kept, &members, &batch, error);
  const PendingGroup *p = g_hash_table_lookup(ix->pending_groups, &(gint64){ (gint64)group });
  if (p != NULL) { /* this transaction's changes */
    if (found == 0)
      batch = ix->batch;
    found = found < 0 ? found : 1;
    if (p->kept != 0)
      kept = p->kept;
    members += p->members;
  }
  gboolean ok = found > 0;
  if (found == 0)
    g_set_error(error, ND_ERROR, ND_ERROR_NOT_FOUND, "group %" G_GUINT64_FORMAT " is not in the index", group);
  if (ok) {
    out->group = group;
    out->members = (guint64)members;
    out->batch = (guint64)batch;
    sqlite3_stmt *st = ix->st[ST_ROW_BY_NUM];
    sqlite3_bind_int64(st, 1, kept);
    g_autofree char *missing = g_strdup_printf("the kept article of group %" G_GUINT64_FORMAT, group);
    Row row;
    ok = step_row(ix, st, missing, &row, error) == ROW_OK;
    if (ok) {
      g_autoptr(GHashTable) kc = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
      g_autoptr(GHashTable) ac = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
      fill_record(ix, &row, &out->kept, kc, ac);
      row_clear(&row);
    }
    finish_statement(st);
  }
  read_end(ix, started);
  return ok;
}

/* ---- conditions ---- */

typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } Op;
typedef enum { F_DATE, F_ADDED, F_ID, F_GROUP, F_BATCH, F_STATUS, F_META } Field;

struct NdIndexCondition {
  Field field;
  Op op;
  char *name;       /* F_META: the member */
  char *value;
  gboolean number;  /* value reads as a number */
  double num;
  gint64 lo, hi;    /* F_DATE, F_ADDED: the value as [lo, hi) */
};

void
nd_index_condition_free(NdIndexCondition *c)
{
  if (c == NULL)
    return;
  g_free(c->name);
  g_free(c->value);
  g_free(c);
}

NdIndexCondition *
nd_index_condition_parse(const char *text, GError **error)
{
  static const struct {
    const char *s;
    Op op;
  } ops[] = { { "<=", OP_LE }, { ">=", OP_GE }, { "!=", OP_NE }, { "=", OP_EQ }, { "<", OP_LT }, { ">", OP_GT } };
  gsize at = strcspn(text, "<>!=");
  gsize op_len = 0;
  Op op = OP_EQ;
  for (gsize i = 0; text[at] != '\0' && i < G_N_ELEMENTS(ops) && op_len == 0; i++)
    if (strncmp(text + at, ops[i].s, strlen(ops[i].s)) == 0) {
      op = ops[i].op;
      op_len = strlen(ops[i].s);
    }
  g_autofree char *name = g_strstrip(g_strndup(text, at));
  if (op_len == 0 || name[0] == '\0') {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "'%s' is not a condition: write FIELD=VALUE (or != < <= > "
                ">=), e.g. date>=2026-01-01 or outlet=Reuters", text);
    return NULL;
  }
  NdIndexCondition *c = g_new0(NdIndexCondition, 1);
  c->op = op;
  c->value = g_strstrip(g_strdup(text + at + op_len));
  static const struct {
    const char *name;
    Field field;
  } fields[] = { { "date", F_DATE }, { "added", F_ADDED }, { "id", F_ID }, { "group", F_GROUP }, { "batch", F_BATCH },
                 { "status", F_STATUS } };
  c->field = F_META;
  for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
    if (strcmp(name, fields[i].name) == 0)
      c->field = fields[i].field;
  c->name = g_strdup(g_str_has_prefix(name, "meta.") ? name + 5 : name);
  char *end = NULL;
  c->num = g_ascii_strtod(c->value, &end);
  c->number = end != c->value && *end == '\0' && c->value[0] != '\0';
  if (c->field == F_DATE || c->field == F_ADDED) {
    NdDate d;
    g_autoptr(GError) local = NULL;
    if (!nd_date_parse(c->value, -1, &d, &local)) {
      g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "the condition on %s: %s", name, local->message);
      nd_index_condition_free(c);
      return NULL;
    }
    c->lo = d.utc;
    c->hi = d.utc + (d.has_time ? 1 : 86400); /* a day without a time is the whole day */
  } else if ((c->field == F_GROUP || c->field == F_BATCH) && !c->number) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "%s: %s is a number", text, name);
    nd_index_condition_free(c);
    return NULL;
  } else if (c->field == F_STATUS && strcmp(c->value, "kept") != 0 && strcmp(c->value, "dropped") != 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "%s: status is kept or dropped", text);
    nd_index_condition_free(c);
    return NULL;
  }
  return c;
}

static gboolean
op_holds(Op op, int cmp)
{
  switch (op) {
  case OP_EQ: return cmp == 0;
  case OP_NE: return cmp != 0;
  case OP_LT: return cmp < 0;
  case OP_LE: return cmp <= 0;
  case OP_GT: return cmp > 0;
  case OP_GE: return cmp >= 0;
  }
  return FALSE;
}

static gboolean
test_text(const NdIndexCondition *c, const char *s)
{
  if (c->number) {
    char *end = NULL;
    double v = g_ascii_strtod(s, &end);
    if (end != s && *end == '\0')
      return op_holds(c->op, (v > c->num) - (v < c->num));
  }
  int cmp = strcmp(s, c->value);
  return op_holds(c->op, (cmp > 0) - (cmp < 0));
}

static gboolean
test_time(const NdIndexCondition *c, gint64 t)
{
  switch (c->op) {
  case OP_EQ: return t >= c->lo && t < c->hi;
  case OP_NE: return t < c->lo || t >= c->hi;
  case OP_LT: return t < c->lo;
  case OP_LE: return t < c->hi;
  case OP_GT: return t >= c->hi;
  case OP_GE: return t >= c->lo;
  }
  return FALSE;
}

gboolean
nd_index_condition_test(const NdIndexCondition *c, const NdIndexRecord *r)
{
  switch (c->field) {
  case F_DATE:
    return r->has_date && test_time(c, r->date_utc);
  case F_ADDED: {
    NdDate d;
    return r->added != NULL && nd_date_parse(r->added, -1, &d, NULL) && test_time(c, d.utc);
  }
  case F_ID:
    return test_text(c, r->id);
  case F_GROUP:
  case F_BATCH: {
    double v = (double)(c->field == F_GROUP ? r->group : r->batch);
    return op_holds(c->op, (v > c->num) - (v < c->num));
  }
  case F_STATUS:
    return test_text(c, r->kept ? "kept" : "dropped");
  case F_META:
    break;
  }
  if (r->metadata == NULL)
    return FALSE;
  g_autoptr(JsonParser) parser = json_parser_new();
  NdJsonScan scan = { 0 };
  JsonObject *obj = nd_json_parse_object(parser, r->metadata, strlen(r->metadata), G_MAXSIZE, &scan, NULL);
  JsonNode *v = obj ? json_object_get_member(obj, c->name) : NULL;
  if (v == NULL || !JSON_NODE_HOLDS_VALUE(v))
    return FALSE;
  GType t = json_node_get_value_type(v);
  if (t == G_TYPE_STRING)
    return test_text(c, json_node_get_string(v));
  if ((t == G_TYPE_INT64 || t == G_TYPE_DOUBLE) && c->number) {
    double x = t == G_TYPE_INT64 ? (double)json_node_get_int(v) : json_node_get_double(v);
    return op_holds(c->op, (x > c->num) - (x < c->num));
  }
  if (t == G_TYPE_BOOLEAN)
    return test_text(c, json_node_get_boolean(v) ? "true" : "false");
  return FALSE;
}

gboolean
nd_index_foreach(NdIndex *ix, guint64 group, NdIndexCondition *const *conditions, guint n_conditions, gboolean text,
                 NdIndexRecordFunc func, gpointer data, GError **error)
{
  gboolean started;
  if (!read_begin(ix, &started, error))
    return FALSE;
  g_autofree char *sql = g_strdup_printf("SELECT " ROW_COLUMNS "%s FROM articles %s ORDER BY num", text ? TEXT_COLUMN : "",
                                         group ? "WHERE grp = ?1" : "WHERE ?1 IS NULL");
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL);
  gboolean ok = rc == SQLITE_OK || db_error(ix, rc, "listing articles", error);
  if (ok && group)
    sqlite3_bind_int64(st, 1, (gint64)group);
  if (ok) {
    sqlite3_bind_int64(st, 2, (sqlite3_int64)ix->params.num_perm * 4);
    if (text)
      sqlite3_bind_int64(st, 3, (sqlite3_int64)ND_TEXT_MAX_BYTES);
  }
  g_autoptr(GHashTable) kept = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GHashTable) added = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  gboolean go_on = TRUE;
  while (ok && go_on && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    Row row;
    g_autoptr(GError) local = NULL;
    if (!read_row(ix, st, &row, &local)) {
      warn(ix, local);
      continue;
    }
    NdIndexRecord r;
    fill_record(ix, &row, &r, kept, added);
    gboolean pass = TRUE;
    for (guint i = 0; i < n_conditions && pass; i++)
      pass = nd_index_condition_test(conditions[i], &r);
    if (pass) {
      g_autofree char *t = NULL;
      gsize len = 0;
      if (text && row.has_text && (t = row_text(ix, st, &row, &len, &local)) == NULL)
        warn(ix, local);
      if (!text || !row.has_text || t != NULL)
        go_on = func(&r, t, len, data);
    }
    nd_index_record_clear(&r);
    row_clear(&row);
  }
  if (ok && go_on && rc != SQLITE_DONE)
    ok = db_error(ix, rc, "listing articles", error);
  sqlite3_finalize(st);
  read_end(ix, started);
  return ok;
}

/* ---- checking ---- */

static void
problem(NdIndex *ix, guint64 *problems, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
problem(NdIndex *ix, guint64 *problems, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autoptr(GError) e = g_error_new(ND_ERROR, ND_ERROR_INDEX, "%s: %s", ix->path, msg);
  warn(ix, e);
  ++*problems;
}

/* A problem read_row or another reader described (with the index's name): reported and counted. */
static void
report(NdIndex *ix, guint64 *problems, const GError *e)
{
  warn(ix, e);
  ++*problems;
}

static gboolean
check_in_snapshot(NdIndex *ix, guint64 *problems, GError **error)
{
  *problems = 0;
  /* 1. SQLite's own check of every page and B-tree (and every page checksum, by reading it). */
  progress(ix, "checking", 0, 0);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(ix->db, "PRAGMA integrity_check(100)", -1, &st, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *msg = (const char *)sqlite3_column_text(st, 0);
    if (g_strcmp0(msg, "ok") != 0)
      problem(ix, problems, "%s", msg ? msg : "integrity check failed");
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return db_error(ix, rc, "checking the index", error);
  guint64 max_num = 0, total = 0;
  if (!scalar(ix, "SELECT coalesce(max(num), 0) FROM articles", &max_num, error) ||
      !scalar(ix, "SELECT count(*) FROM articles", &total, error))
    return FALSE;
  if (max_num > G_MAXUINT32) {
    problem(ix, problems, "article numbers beyond 32 bits");
    return TRUE;
  }
  /* 2. Batches: each row sound; then every article row (of a listed batch), its text signed again,
   *    and its group's member count. */
  g_autoptr(GHashTable) batches = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  rc = sqlite3_prepare_v2(ix->db, "SELECT batch, added, articles, groups, row_hash FROM batches ORDER BY batch", -1, &st,
                          NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    gint64 b = sqlite3_column_int64(st, 0);
    const char *added = (const char *)sqlite3_column_text(st, 1);
    NdDate when;
    if (sqlite3_column_type(st, 1) != SQLITE_TEXT || !nd_date_parse(added, -1, &when, NULL) ||
        batch_hash(b, added, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)) != sqlite3_column_int64(st, 4))
      problem(ix, problems, "corrupt batch row %" G_GINT64_FORMAT ": contents that do not match its row hash", b);
    g_hash_table_add(batches, g_memdup2(&b, sizeof b));
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return db_error(ix, rc, "checking the index", error);
  guint64 unlisted = 0;
  g_autofree guint32 *expect_bands = g_new0(guint32, max_num + 1);
  g_autofree guint32 *expect_fps = g_new0(guint32, max_num + 1);
  g_autofree guint8 *exists = g_new0(guint8, max_num + 1);
  g_autoptr(GHashTable) members = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  g_autoptr(GHashTable) group_of = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  rc = sqlite3_prepare_v2(ix->db, "SELECT " ROW_COLUMNS TEXT_COLUMN " FROM articles ORDER BY num", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return db_error(ix, rc, "checking the index", error);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)ix->params.num_perm * 4);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)ND_TEXT_MAX_BYTES);
  guint64 done = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if ((++done & 4095) == 0)
      progress(ix, "checking articles", done, total);
    Row row;
    g_autoptr(GError) local = NULL;
    gint64 num = sqlite3_column_int64(st, COL_NUM);
    if (num >= 1 && (guint64)num <= max_num)
      exists[num] = 2; /* a row, sound or not: its postings are not "postings of nothing" */
    if (!read_row(ix, st, &row, &local)) {
      report(ix, problems, local);
      continue;
    }
    exists[num] = 1;
    unlisted += !g_hash_table_contains(batches, &row.batch);
    expect_bands[num] = ix->lsh.bands;
    expect_fps[num] = (guint32)row.n_anchors;
    guint64 *m = g_hash_table_lookup(members, &row.grp);
    if (m == NULL)
      g_hash_table_insert(members, g_memdup2(&row.grp, sizeof row.grp), m = g_new0(guint64, 1));
    ++*m;
    g_hash_table_insert(group_of, g_memdup2(&row.num, sizeof row.num), g_memdup2(&row.grp, sizeof row.grp));
    if (row.has_text) {
      gsize len;
      g_autofree char *text = row_text(ix, st, &row, &len, &local);
      if (text == NULL) {
        report(ix, problems, local);
      } else {
        g_autofree guint32 *set = row_set(ix, st, &row);
        if (set == NULL)
          ++*problems;
        /* the signature too: the stored one is what the band keys came from */
        g_autoptr(NdDocument) again = set ? nd_signer_sign(ix->signer, row.id, text, len, NULL) : NULL;
        if (again != NULL && memcmp(again->signature, row.signature, ix->params.num_perm * 4) != 0)
          problem(ix, problems, "article %" G_GINT64_FORMAT " ('%s'): its text signs to another signature than the "
                  "one stored", row.num, row.id);
      }
    }
    row_clear(&row);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return db_error(ix, rc, "checking the index", error);
  if (unlisted > 0)
    problem(ix, problems, "%" G_GUINT64_FORMAT " articles belong to a batch that is not listed", unlisted);
  /* 3. Groups: each row sound, its kept article one of its members, its member count right. */
  rc = sqlite3_prepare_v2(ix->db, "SELECT grp FROM groups ORDER BY grp", -1, &st, NULL);
  guint64 n_groups = 0;
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    gint64 grp = sqlite3_column_int64(st, 0), kept = 0, m = 0, batch = 0;
    g_autoptr(GError) local = NULL;
    n_groups++;
    if (read_group(ix, grp, &kept, &m, &batch, &local) != 1) {
      if (local != NULL)
        report(ix, problems, local);
      else
        problem(ix, problems, "group %" G_GINT64_FORMAT " vanished", grp);
      rc = SQLITE_OK;
      continue;
    }
    const guint64 *counted = g_hash_table_lookup(members, &grp);
    const gint64 *kept_group = g_hash_table_lookup(group_of, &kept);
    if (counted == NULL || (gint64)*counted != m)
      problem(ix, problems, "group %" G_GINT64_FORMAT " lists %" G_GINT64_FORMAT " members but has %" G_GUINT64_FORMAT,
              grp, m, counted ? *counted : 0);
    if (kept_group == NULL || *kept_group != grp)
      problem(ix, problems, "group %" G_GINT64_FORMAT " keeps article %" G_GINT64_FORMAT ", which is not one of its "
              "members", grp, kept);
    g_hash_table_remove(members, &grp);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return db_error(ix, rc, "checking the index", error);
  if (g_hash_table_size(members) > 0)
    problem(ix, problems, "%u groups have members but no group row", g_hash_table_size(members));
  /* 4. Postings: every block, and exactly the band keys and anchors of each article. */
  for (int k = 0; k < 2; k++) {
    progress(ix, k == 0 ? "checking band keys" : "checking anchors", 0, 0);
    g_autofree guint32 *count = g_new0(guint32, max_num + 1);
    if (!posting_table_check(ix->postings[k], count, max_num + 1, problems, error))
      return FALSE;
    const guint32 *expect = k == 0 ? expect_bands : expect_fps;
    guint64 wrong = 0, orphans = 0;
    for (guint64 num = 0; num <= max_num; num++) {
      if (exists[num] == 0 && count[num] > 0)
        orphans++;
      else if (exists[num] == 1 && count[num] != expect[num])
        wrong++;
    }
    if (wrong > 0)
      problem(ix, problems, "%" G_GUINT64_FORMAT " articles lack some of their %s postings, or have extra ones", wrong,
              posting_table_name(k));
    if (orphans > 0)
      problem(ix, problems, "%" G_GUINT64_FORMAT " articles that do not exist have %s postings", orphans,
              posting_table_name(k));
  }
  progress(ix, "checking", 1, 1);
  return TRUE;
}

gboolean
nd_index_check(NdIndex *ix, guint64 *problems, GError **error)
{
  gboolean started;
  if (!read_begin(ix, &started, error))
    return FALSE;
  gboolean ok = check_in_snapshot(ix, problems, error);
  read_end(ix, started);
  return ok;
}

/* ---- upgrading older formats ---- */

/* Raw deflate (formats 1 to 3) back to `expected` bytes; NULL when it does not inflate to them. */
static char *
inflate_raw(const void *data, gsize len, gsize expected)
{
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, -15) != Z_OK)
    return NULL;
  char *out = g_malloc(expected + 1);
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)len;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)expected;
  int rc = inflate(&z, Z_FINISH);
  gboolean ok = rc == Z_STREAM_END && z.total_out == expected;
  inflateEnd(&z);
  if (!ok) {
    g_free(out);
    return NULL;
  }
  out[expected] = '\0';
  return out;
}

gboolean
nd_index_upgrade(const char *old_path, const char *new_path, const char *date_field, NdIndexProgressFunc progress_func,
                 gpointer progress_data, guint64 *articles, GError **error)
{
  *articles = 0;
  struct stat sb;
  if (stat(old_path, &sb) != 0) {
    int e = errno;
    g_set_error(error, ND_ERROR, e == ENOENT ? ND_ERROR_NOT_FOUND : ND_ERROR_IO, "%s: %s", old_path, g_strerror(e));
    return FALSE;
  }
  g_autoptr(NdIndex) old = open_db(old_path, SQLITE_OPEN_READONLY, error);
  if (old == NULL)
    return FALSE;
  guint64 version = 0, total = 0;
  if (!meta_uint(old, "format_version", G_MAXINT, &version, error))
    return FALSE;
  if (version >= ND_INDEX_FORMAT_VERSION || version < 1) {
    g_set_error(error, ND_ERROR, ND_ERROR_INDEX, "%s: index format %" G_GUINT64_FORMAT " %s", old_path, version,
                version == ND_INDEX_FORMAT_VERSION ? "is already this neardup's format" : "cannot be upgraded");
    return FALSE;
  }
  if (!read_params(old, error) || !exec(old, "BEGIN", error) ||
      !scalar(old, "SELECT count(*) FROM articles", &total, error))
    return FALSE;
  NdSignParams params = old->params;
  params.keep_text = TRUE;
  g_autoptr(NdIndex) ix = nd_index_create(new_path, &params, old->threshold, error);
  if (ix == NULL || !nd_index_begin(ix, error))
    return FALSE;
  NdSignParams sp = ix->params;
  sp.text_flags = ND_TEXT_LOSSY;
  g_autoptr(NdSigner) signer = nd_signer_new(&sp);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(old->db, "SELECT id, metadata, bytes, text, text_hash FROM articles ORDER BY num", -1,
                              &st, NULL);
  gboolean ok = rc == SQLITE_OK || db_error(old, rc, "reading the old index", error);
  while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    const char *meta = sqlite3_column_type(st, 1) == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, 1) : NULL;
    gint64 bytes = sqlite3_column_int64(st, 2);
    g_autofree char *text = NULL;
    if (id != NULL && bytes > 0 && bytes <= (gint64)ND_TEXT_MAX_BYTES && sqlite3_column_type(st, 3) == SQLITE_BLOB &&
        (gsize)sqlite3_column_bytes(st, 3) * 1032 + 64 >= (gsize)bytes)
      text = inflate_raw(sqlite3_column_blob(st, 3), (gsize)sqlite3_column_bytes(st, 3), (gsize)bytes);
    if (text != NULL && sqlite3_column_type(st, 4) == SQLITE_INTEGER &&
        (gint64)XXH3_64bits(text, (gsize)bytes) != sqlite3_column_int64(st, 4))
      g_clear_pointer(&text, g_free);
    if (text == NULL) {
      g_autoptr(GError) problem_e = g_error_new(ND_ERROR, ND_ERROR_INDEX, "%s: article '%s': its text does not read "
                                                "back; not copied", old_path, id ? id : "?");
      warn(ix, problem_e);
      continue;
    }
    g_autoptr(GError) local = NULL;
    g_autoptr(NdDocument) doc = nd_signer_sign(signer, id, text, (gsize)bytes, &local);
    if (doc == NULL) {
      g_autoptr(GError) problem_e = g_error_new(ND_ERROR, ND_ERROR_INDEX, "%s: article '%s': %s; not copied",
                                                old_path, id, local->message);
      warn(ix, problem_e);
      continue;
    }
    doc->meta = meta ? nd_json_object_canonical(meta, strlen(meta), NULL) : NULL;
    NdDate date;
    g_autofree char *date_text = NULL;
    gboolean dated = date_field != NULL && nd_date_from_metadata(doc->meta, date_field, &date, &date_text, NULL) > 0;
    NdIndexEntry entry = { .group = 0, .kept = TRUE, .date = dated ? &date : NULL, .date_text = date_text };
    ok = nd_index_add_entry(ix, doc, &entry, error);
    if (ok && (++*articles & 1023) == 0 && progress_func != NULL)
      progress_func("upgrading", *articles, total, progress_data);
  }
  if (ok && rc != SQLITE_DONE)
    ok = db_error(old, rc, "reading the old index", error);
  sqlite3_finalize(st);
  ok = ok && nd_index_commit(ix, error);
  if (!ok) {
    g_clear_pointer(&ix, nd_index_close);
    g_unlink(new_path); /* made by this call: never left half done */
    g_autofree char *wal = g_strconcat(new_path, "-wal", NULL), *shm = g_strconcat(new_path, "-shm", NULL);
    g_unlink(wal);
    g_unlink(shm);
  }
  return ok;
}
