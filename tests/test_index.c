/* test_index.c — the persistent SQLite archive (index.h): creating and opening, the header and its
 * checks, adds, removals and transactions, stored texts and their hashes, queries, and two
 * connections writing and reading at once.
 *
 * Every test works in a fresh directory under one temporary root (g_dir_make_tmp), removed by an
 * unchecked fixture after the suite. Corruption is planted with the sqlite3 API directly, the way
 * a user poking at the file with the sqlite3 shell would. */
#include <check.h>
#include <neardup/neardup.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include "postings.h"
#include "test_util.h"

static char *tmp_root; /* created in the parent process before the tests run */

static void
suite_setup(void)
{
  GError *error = NULL;
  tmp_root = g_dir_make_tmp("neardup-test-index-XXXXXX", &error);
  if (tmp_root == NULL)
    g_error("g_dir_make_tmp: %s", error->message);
}

static void
suite_teardown(void)
{
  remove_tree(tmp_root);
  g_free(tmp_root);
  tmp_root = NULL;
}

/* A fresh directory for one test. */
static char *
test_dir(const char *name)
{
  char *dir = g_build_filename(tmp_root, name, NULL);
  remove_tree(dir);
  ck_assert_int_eq(g_mkdir_with_parents(dir, 0755), 0);
  return dir;
}

/* A new index at dir/name with the default signing parameters, banded for 0.5. */
static NdIndex *
create_default(const char *dir, const char *name, char **path_out)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  char *path = g_build_filename(dir, name, NULL);
  GError *error = NULL;
  NdIndex *ix = nd_index_create(path, &p, 0.5, &error);
  ck_assert_msg(ix != NULL, "create %s: %s", path, error ? error->message : "?");
  if (path_out)
    *path_out = path;
  else
    g_free(path);
  return ix;
}

static NdIndex *
open_ok(const char *path, gboolean writable)
{
  GError *error = NULL;
  NdIndex *ix = nd_index_open(path, writable, &error);
  ck_assert_msg(ix != NULL, "open %s: %s", path, error ? error->message : "?");
  return ix;
}

/* Signs `text` with the index's parameters (which keep the set and the text). */
static NdDocument *
sign(NdIndex *ix, const char *id, const char *text, gssize len)
{
  g_autoptr(NdSigner) s = nd_signer_new(nd_index_sign_params(ix));
  GError *error = NULL;
  NdDocument *d = nd_signer_sign(s, id, text, len < 0 ? strlen(text) : (gsize)len, &error);
  ck_assert_msg(d != NULL, "sign %s: %s", id, error ? error->message : "?");
  ck_assert_ptr_nonnull(d->set);
  ck_assert_ptr_nonnull(d->text);
  return d;
}

static void
add_ok(NdIndex *ix, const NdDocument *d)
{
  GError *error = NULL;
  ck_assert_msg(nd_index_add(ix, d, &error), "add %s: %s", d->id, error ? error->message : "?");
}

static void
begin_ok(NdIndex *ix)
{
  GError *error = NULL;
  ck_assert_msg(nd_index_begin(ix, &error), "begin: %s", error ? error->message : "?");
}

static void
commit_ok(NdIndex *ix)
{
  GError *error = NULL;
  ck_assert_msg(nd_index_commit(ix, &error), "commit: %s", error ? error->message : "?");
}

/* Signs and adds (id, text) pairs in one committed transaction. */
static void
add_texts(NdIndex *ix, const char *const *ids, char *const *texts, guint n)
{
  begin_ok(ix);
  for (guint i = 0; i < n; i++) {
    g_autoptr(NdDocument) d = sign(ix, ids[i], texts[i], -1);
    add_ok(ix, d);
  }
  commit_ok(ix);
}

static NdIndexStats
stats_of(NdIndex *ix)
{
  NdIndexStats s;
  GError *error = NULL;
  ck_assert_msg(nd_index_stats(ix, &s, &error), "stats: %s", error ? error->message : "?");
  return s;
}

static GArray *
query(NdIndex *ix, const NdDocument *d, const NdFindOptions *o)
{
  NdFindOptions def;
  nd_find_options_init(&def);
  GError *error = NULL;
  GArray *m = nd_index_query(ix, d, o ? o : &def, &error);
  ck_assert_msg(m != NULL, "query %s: %s", d->id, error ? error->message : "?");
  return m;
}

static const NdIndexMatch *
match_at(GArray *m, guint i)
{
  ck_assert_uint_lt(i, m->len);
  return &g_array_index(m, NdIndexMatch, i);
}

static const NdIndexMatch *
find_match(GArray *m, const char *id)
{
  for (guint i = 0; i < m->len; i++)
    if (strcmp(match_at(m, i)->id, id) == 0)
      return match_at(m, i);
  return NULL;
}

/* Runs SQL on the file through the sqlite3 API, outside the library, but through its checksumming
 * VFS (nd_index_vfs_name): the pages stay valid, so the checks of rows and schema are what is tested. */
static void
raw_exec(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nd_index_vfs_name()),
                   SQLITE_OK);
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
  if (strncmp(sql, "UPDATE", 6) == 0 || strncmp(sql, "DELETE", 6) == 0)
    ck_assert_int_gt(sqlite3_changes(db), 0);
  sqlite3_close(db);
}

/* The postings of an article in the anchor postings: its passage anchors (score.h). */
static guint64
anchors_of(const NdDocument *d)
{
  return d->n_anchors;
}

static void
assert_error(const GError *error, gint code, const char *in_message)
{
  ck_assert_msg(error != NULL, "no error (wanted code %d)", code);
  ck_assert_msg(g_error_matches(error, ND_ERROR, code), "error %d (%s), wanted %d", error->code, error->message,
                code);
  if (in_message != NULL)
    ck_assert_msg(strstr(error->message, in_message) != NULL, "\"%s\" lacks \"%s\"", error->message, in_message);
}

/* Prose made of words[begin..end) of a word list generated from `seed`; with edit_every > 0, every
 * edit_every-th word is replaced by a new one. */
static char *
words_text_edited(guint64 seed, guint n_words, guint begin, guint end, guint edit_every)
{
  guint64 st = seed;
  g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
  gen_words(&st, n_words, w);
  for (guint i = 0; edit_every > 0 && i < w->len; i++)
    if (i % edit_every == edit_every - 1) {
      g_free(w->pdata[i]);
      w->pdata[i] = g_strdup_printf("zqx%u", i);
    }
  GString *out = g_string_new(NULL);
  guint64 punct = seed ^ 0x5555;
  join_words(w, begin, end, &punct, out);
  return g_string_free(out, FALSE);
}

static char *
words_text(guint64 seed, guint n_words, guint begin, guint end)
{
  return words_text_edited(seed, n_words, begin, end, 0);
}

/* The first row of SQL run on the file through the sqlite3 API, read-only; finish with raw_done. */
static sqlite3_stmt *
raw_row(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
  return st;
}

static void
raw_done(sqlite3_stmt *st)
{
  sqlite3 *db = sqlite3_db_handle(st);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

/* An integer from SQL run on the file through the sqlite3 API. */
static gint64
raw_int(const char *path, const char *sql)
{
  sqlite3_stmt *st = raw_row(path, sql);
  gint64 v = sqlite3_column_int64(st, 0);
  raw_done(st);
  return v;
}

/* Text from SQL run on the file through the sqlite3 API (caller frees). */
static char *
raw_text(const char *path, const char *sql)
{
  sqlite3_stmt *st = raw_row(path, sql);
  char *v = g_strdup((const char *)sqlite3_column_text(st, 0));
  raw_done(st);
  return v;
}

/* What an archive signs: the defaults without the word keys, boilerplate lines and quoted anchors,
 * everything else as it was. */
START_TEST(test_archive_only_params)
{
  NdSignParams p, d;
  nd_sign_params_init(&p);
  nd_sign_params_init(&d);
  ck_assert(p.keep_words && p.keep_lines_and_quotes);
  nd_index_archive_only_params(&p);
  ck_assert(!p.keep_words);
  ck_assert(!p.keep_lines_and_quotes);
  ck_assert(p.shingle.mode == d.shingle.mode && p.shingle.k == d.shingle.k);
  ck_assert(p.num_perm == d.num_perm && p.seed == d.seed && p.text_flags == d.text_flags);
  ck_assert(p.max_bytes == d.max_bytes && p.keep_sets == d.keep_sets && p.keep_text == d.keep_text);
  ck_assert(p.keep_signature == d.keep_signature && p.fingerprint_sampling == d.fingerprint_sampling);
  ck_assert(p.lsh_bands == d.lsh_bands && p.lsh_rows == d.lsh_rows);
}
END_TEST

START_TEST(test_create_refuses_existing)
{
  g_autofree char *dir = test_dir("create_existing");
  /* A plain file is never replaced. */
  static const char precious[] = "precious notes, not an index\n";
  g_autofree char *plain = write_test_file(dir, "notes.db", precious, -1);
  NdSignParams p;
  nd_sign_params_init(&p);
  GError *error = NULL;
  ck_assert_ptr_null(nd_index_create(plain, &p, 0.5, &error));
  assert_error(error, ND_ERROR_INDEX, "already exists");
  g_clear_error(&error);
  g_autofree char *after = NULL;
  gsize len = 0;
  ck_assert(g_file_get_contents(plain, &after, &len, NULL));
  ck_assert_uint_eq(len, strlen(precious));
  ck_assert_str_eq(after, precious);
  /* Nor is an empty file, nor an index with articles (which keeps them). */
  g_autofree char *empty = write_test_file(dir, "empty.db", "", 0);
  ck_assert_ptr_null(nd_index_create(empty, &p, 0.5, &error));
  assert_error(error, ND_ERROR_INDEX, "already exists");
  g_clear_error(&error);
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "archive.db", &path);
  g_autofree char *t = gen_article(1, 200);
  const char *ids[] = { "kept" };
  add_texts(ix, ids, &t, 1);
  nd_index_close(ix);
  ck_assert_ptr_null(nd_index_create(path, &p, 0.8, &error));
  assert_error(error, ND_ERROR_INDEX, "already exists");
  g_clear_error(&error);
  ix = open_ok(path, FALSE);
  ck_assert_uint_eq(stats_of(ix).articles, 1);
  nd_index_close(ix);
  /* Bad parameters: ND_ERROR_INVALID_ARG, and no file is left behind. */
  g_autofree char *bad = g_build_filename(dir, "bad.db", NULL);
  NdSignParams q = p;
  q.num_perm = 0;
  ck_assert_ptr_null(nd_index_create(bad, &q, 0.5, &error));
  assert_error(error, ND_ERROR_INVALID_ARG, NULL);
  g_clear_error(&error);
  ck_assert_ptr_null(nd_index_create(bad, &p, 1.5, &error));
  assert_error(error, ND_ERROR_INVALID_ARG, NULL);
  g_clear_error(&error);
  ck_assert(!g_file_test(bad, G_FILE_TEST_EXISTS));
  /* A directory that does not exist: an error, not a crash. */
  g_autofree char *nodir = g_build_filename(dir, "no", "such", "dir", "x.db", NULL);
  ck_assert_ptr_null(nd_index_create(nodir, &p, 0.5, &error));
  ck_assert_ptr_nonnull(error);
  g_clear_error(&error);
}
END_TEST

START_TEST(test_open_missing)
{
  g_autofree char *dir = test_dir("open_missing");
  g_autofree char *path = g_build_filename(dir, "nothing.db", NULL);
  for (int writable = 0; writable <= 1; writable++) {
    GError *error = NULL;
    ck_assert_ptr_null(nd_index_open(path, writable, &error));
    assert_error(error, ND_ERROR_NOT_FOUND, NULL);
    ck_assert_msg(strstr(error->message, path) != NULL, "message does not name the path: %s", error->message);
    g_clear_error(&error);
    ck_assert_msg(!g_file_test(path, G_FILE_TEST_EXISTS), "open created the file");
  }
}
END_TEST

START_TEST(test_open_not_an_index)
{
  g_autofree char *dir = test_dir("open_garbage");
  /* 8 KiB of text: not an SQLite file at all. */
  GString *junk = g_string_new(NULL);
  while (junk->len < 8192)
    g_string_append(junk, "This is not a database; it is a plain text file with a .db name.\n");
  g_autofree char *garbage = write_test_file(dir, "garbage.db", junk->str, (gssize)junk->len);
  /* Random bytes. */
  guint64 st = 42;
  guint8 rnd[4096];
  for (gsize i = 0; i < sizeof rnd; i++)
    rnd[i] = (guint8)splitmix64(&st);
  g_autofree char *random = write_test_file(dir, "random.db", (const char *)rnd, sizeof rnd);
  /* An empty file (SQLite takes it for an empty database). */
  g_autofree char *empty = write_test_file(dir, "empty.db", "", 0);
  /* A real SQLite database of some other program. */
  g_autofree char *other = g_build_filename(dir, "other.db", NULL);
  raw_exec(other, "CREATE TABLE users(name TEXT, email TEXT); INSERT INTO users VALUES ('ann', 'a@example.org')");
  /* A database with a meta table that is not ours. */
  g_autofree char *meta_only = g_build_filename(dir, "meta.db", NULL);
  raw_exec(meta_only, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('app', 'x')");
  const char *paths[] = { garbage, random, empty, other, meta_only };
  for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
    g_autofree char *before = NULL;
    gsize before_len = 0;
    ck_assert(g_file_get_contents(paths[i], &before, &before_len, NULL));
    for (int writable = 0; writable <= 1; writable++) {
      GError *error = NULL;
      ck_assert_msg(nd_index_open(paths[i], writable, &error) == NULL, "%s opened as an index", paths[i]);
      assert_error(error, ND_ERROR_INDEX, "not a neardup index");
      ck_assert_msg(strstr(error->message, paths[i]) != NULL, "message does not name the file: %s", error->message);
      g_clear_error(&error);
    }
    /* Opening does not change the file. */
    g_autofree char *after = NULL;
    gsize after_len = 0;
    ck_assert(g_file_get_contents(paths[i], &after, &after_len, NULL));
    ck_assert_msg(after_len == before_len && memcmp(before, after, before_len) == 0, "%s was modified", paths[i]);
  }
  g_string_free(junk, TRUE);
}
END_TEST

START_TEST(test_open_newer_format)
{
  g_autofree char *dir = test_dir("newer");
  g_autofree char *path = NULL;
  nd_index_close(create_default(dir, "ix.db", &path));
  raw_exec(path, "UPDATE meta SET value = '99' WHERE key = 'format_version'");
  for (int writable = 0; writable <= 1; writable++) {
    GError *error = NULL;
    ck_assert_ptr_null(nd_index_open(path, writable, &error));
    assert_error(error, ND_ERROR_INDEX, "newer");
    ck_assert_msg(strstr(error->message, "99") != NULL, "message does not give the version: %s", error->message);
    g_clear_error(&error);
  }
  /* Older formats are refused too, with the way to upgrade: formats 3 and 2 hold 1-in-8 shingle
   * samples where format 4 looks up passage anchors, format 1 signatures of another token hash. */
  raw_exec(path, "UPDATE meta SET value = '2' WHERE key = 'format_version'");
  GError *error = NULL;
  ck_assert_ptr_null(nd_index_open(path, FALSE, &error));
  assert_error(error, ND_ERROR_INDEX, "passage anchors");
  assert_error(error, ND_ERROR_INDEX, "upgrade");
  g_clear_error(&error);
  raw_exec(path, "UPDATE meta SET value = '1' WHERE key = 'format_version'");
  ck_assert_ptr_null(nd_index_open(path, TRUE, &error));
  assert_error(error, ND_ERROR_INDEX, "older neardup");
  g_clear_error(&error);
  /* The current version opens. */
  raw_exec(path, "UPDATE meta SET value = '" G_STRINGIFY(ND_INDEX_FORMAT_VERSION) "' WHERE key = 'format_version'");
  nd_index_close(open_ok(path, FALSE));
}
END_TEST

/* Each bad header value (or a missing key) is an ND_ERROR_INDEX at open, never a crash. */
static const struct {
  const char *sql;
} corrupt_header[] = {
  { "UPDATE meta SET value = 'abc' WHERE key = 'format_version'" },
  { "UPDATE meta SET value = '-1' WHERE key = 'format_version'" },
  { "UPDATE meta SET value = '99999999999999999999999' WHERE key = 'format_version'" },
  { "UPDATE meta SET value = '0' WHERE key = 'num_perm'" },
  { "UPDATE meta SET value = '4' WHERE key = 'num_perm'" },
  { "UPDATE meta SET value = '1000000' WHERE key = 'num_perm'" },
  { "UPDATE meta SET value = '-128' WHERE key = 'num_perm'" },
  { "UPDATE meta SET value = '' WHERE key = 'num_perm'" },
  { "UPDATE meta SET value = '0' WHERE key = 'bands'" },
  { "UPDATE meta SET value = '0' WHERE key = 'rows'" },
  { "UPDATE meta SET value = '4096' WHERE key = 'bands'" },   /* bands x rows > num_perm */
  { "UPDATE meta SET value = '5000' WHERE key = 'rows'" },
  { "UPDATE meta SET value = 'x' WHERE key = 'rows'" },
  { "UPDATE meta SET value = 'bogus:3' WHERE key = 'shingle'" },
  { "UPDATE meta SET value = 'words:0' WHERE key = 'shingle'" },
  { "UPDATE meta SET value = 'words:1000' WHERE key = 'shingle'" },
  { "UPDATE meta SET value = '7x4' WHERE key = 'anchors'" },
  { "DELETE FROM meta WHERE key = 'anchors'" },
  { "DELETE FROM meta WHERE key = 'rows'" },
  { "DELETE FROM meta WHERE key = 'shingle'" },
  { "DELETE FROM meta WHERE key = 'seed'" },
  { "DELETE FROM meta WHERE key = 'format_version'" },
  { "DELETE FROM meta" },
};

START_TEST(test_corrupt_header)
{
  g_autofree char *dir = test_dir("corrupt_header");
  g_autofree char *name = g_strdup_printf("ix%d.db", _i);
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, name, &path);
  g_autofree char *t = gen_article(7, 150);
  const char *ids[] = { "a" };
  add_texts(ix, ids, &t, 1);
  nd_index_close(ix);
  raw_exec(path, corrupt_header[_i].sql);
  for (int writable = 0; writable <= 1; writable++) {
    GError *error = NULL;
    NdIndex *bad = nd_index_open(path, writable, &error);
    ck_assert_msg(bad == NULL, "opened after: %s", corrupt_header[_i].sql);
    ck_assert_msg(error != NULL && g_error_matches(error, ND_ERROR, ND_ERROR_INDEX), "%s: error %d (%s)",
                  corrupt_header[_i].sql, error ? error->code : -1, error ? error->message : "none");
    ck_assert_msg(strstr(error->message, "corrupt") != NULL || strstr(error->message, "not a neardup index") != NULL,
                  "%s: unclear message: %s", corrupt_header[_i].sql, error->message);
    g_clear_error(&error);
  }
}
END_TEST

/* A seed that is not a number is a corrupt header too: opening it as seed 0 (or as the leading
 * digits) would sign every query differently from the archived articles and silently find nothing. */
START_TEST(test_corrupt_header_seed)
{
  static const char *const bad[] = { "not-a-number", "12abc", "", "-1", "99999999999999999999999" };
  g_autofree char *dir = test_dir("corrupt_seed");
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *name = g_strdup_printf("ix%zu.db", i);
    g_autofree char *path = NULL;
    nd_index_close(create_default(dir, name, &path));
    g_autofree char *sql = g_strdup_printf("UPDATE meta SET value = '%s' WHERE key = 'seed'", bad[i]);
    raw_exec(path, sql);
    GError *error = NULL;
    NdIndex *ix = nd_index_open(path, FALSE, &error);
    ck_assert_msg(ix == NULL, "an index with seed \"%s\" opened (as seed %" G_GUINT64_FORMAT ")", bad[i],
                  ix ? nd_index_sign_params(ix)->seed : 0);
    assert_error(error, ND_ERROR_INDEX, "corrupt");
    g_clear_error(&error);
  }
}
END_TEST

START_TEST(test_params_roundtrip)
{
  g_autofree char *dir = test_dir("params");
  g_autofree char *path = g_build_filename(dir, "ix.db", NULL);
  NdSignParams p;
  nd_sign_params_init(&p);
  p.shingle.mode = ND_TOKENS_CHARS;
  p.shingle.k = 5;
  p.num_perm = 64;
  p.seed = G_MAXUINT64 - 6; /* the whole 64-bit range survives the text header */
  p.keep_sets = FALSE;     /* the index keeps both regardless */
  p.keep_text = FALSE;
  NdLshParams want;
  ck_assert(nd_lsh_params_for(0.8, 64, ND_LSH_FN_WEIGHT, &want, NULL));
  GError *error = NULL;
  NdIndex *ix = nd_index_create(path, &p, 0.8, &error);
  ck_assert_msg(ix != NULL, "create: %s", error ? error->message : "?");
  const NdLshParams *l = nd_index_lsh_params(ix);
  ck_assert_uint_eq(l->bands, want.bands);
  ck_assert_uint_eq(l->rows, want.rows);
  ck_assert(nd_index_sign_params(ix)->keep_sets);
  ck_assert(nd_index_sign_params(ix)->keep_text);
  nd_index_close(ix);
  for (int writable = 0; writable <= 1; writable++) {
    ix = open_ok(path, writable);
    const NdSignParams *q = nd_index_sign_params(ix);
    ck_assert_int_eq(q->shingle.mode, ND_TOKENS_CHARS);
    ck_assert_uint_eq(q->shingle.k, 5);
    ck_assert_uint_eq(q->num_perm, 64);
    ck_assert_msg(q->seed == G_MAXUINT64 - 6, "seed %" G_GUINT64_FORMAT, q->seed);
    ck_assert(q->keep_sets);
    ck_assert(q->keep_text);
    ck_assert_uint_eq(nd_index_lsh_params(ix)->bands, want.bands);
    ck_assert_uint_eq(nd_index_lsh_params(ix)->rows, want.rows);
    ck_assert_int_eq(stats_of(ix).format_version, ND_INDEX_FORMAT_VERSION);
    nd_index_close(ix);
  }
  /* Another index with other parameters reads back its own. */
  g_autofree char *path2 = g_build_filename(dir, "ix2.db", NULL);
  nd_sign_params_init(&p);
  p.shingle.k = 4;
  p.num_perm = 256;
  p.seed = 7;
  ck_assert(nd_lsh_params_for(0.3, 256, ND_LSH_FN_WEIGHT, &want, NULL));
  nd_index_close(nd_index_create(path2, &p, 0.3, NULL));
  ix = open_ok(path2, FALSE);
  ck_assert_int_eq(nd_index_sign_params(ix)->shingle.mode, ND_TOKENS_WORDS);
  ck_assert_uint_eq(nd_index_sign_params(ix)->shingle.k, 4);
  ck_assert_uint_eq(nd_index_sign_params(ix)->num_perm, 256);
  ck_assert_uint_eq(nd_index_sign_params(ix)->seed, 7);
  ck_assert_uint_eq(nd_index_lsh_params(ix)->bands, want.bands);
  ck_assert_uint_eq(nd_index_lsh_params(ix)->rows, want.rows);
  nd_index_close(ix);
}
END_TEST

START_TEST(test_add_commit_reopen_stats)
{
  g_autofree char *dir = test_dir("add_stats");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  NdIndexStats s0 = stats_of(ix);
  ck_assert_uint_eq(s0.articles, 0);
  ck_assert_uint_eq(s0.text_bytes, 0);
  ck_assert_uint_eq(s0.band_keys, 0);
  ck_assert_uint_eq(s0.anchors, 0);
  ck_assert_int_eq(s0.format_version, ND_INDEX_FORMAT_VERSION);
  guint bands = nd_index_lsh_params(ix)->bands;
  char *texts[] = { gen_article(1, 300), gen_article(2, 500),
                    g_strdup("Zürich – the café’s naïve “façade” was rebuilt, officials said. 北京 also. Ελληνικά κείμενα.\n") };
  const char *ids[] = { "one", "two", "unicode/ü.txt" };
  guint64 bytes = 0, fps = 0;
  begin_ok(ix);
  for (guint i = 0; i < 3; i++) {
    g_autoptr(NdDocument) d = sign(ix, ids[i], texts[i], -1);
    bytes += d->bytes;
    fps += anchors_of(d);
    add_ok(ix, d);
  }
  commit_ok(ix);
  nd_index_close(ix);
  ix = open_ok(path, FALSE);
  NdIndexStats s = stats_of(ix);
  ck_assert_uint_eq(s.articles, 3);
  ck_assert_uint_eq(s.text_bytes, bytes);
  ck_assert_uint_eq(s.text_bytes, strlen(texts[0]) + strlen(texts[1]) + strlen(texts[2]));
  ck_assert_uint_eq(s.band_keys, 3 * (guint64)bands);
  ck_assert_uint_eq(s.anchors, fps);
  ck_assert_uint_gt(s.anchors, 0);
  ck_assert_uint_gt(s.file_bytes, 0);
  ck_assert_int_eq(s.format_version, ND_INDEX_FORMAT_VERSION);
  /* A second session adds to what is there. */
  nd_index_close(ix);
  ix = open_ok(path, TRUE);
  g_autofree char *t4 = gen_article(4, 100);
  const char *id4[] = { "four" };
  add_texts(ix, id4, &t4, 1);
  nd_index_close(ix);
  ix = open_ok(path, FALSE);
  ck_assert_uint_eq(stats_of(ix).articles, 4);
  ck_assert_uint_eq(stats_of(ix).text_bytes, bytes + strlen(t4));
  nd_index_close(ix);
  for (guint i = 0; i < 3; i++)
    g_free(texts[i]);
}
END_TEST

START_TEST(test_add_needs_set_and_text)
{
  g_autofree char *dir = test_dir("add_needs");
  NdIndex *ix = create_default(dir, "ix.db", NULL);
  g_autofree char *t = gen_article(3, 120);
  NdSignParams p = *nd_index_sign_params(ix);
  p.keep_text = FALSE;
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  g_autoptr(NdDocument) no_text = nd_signer_sign(s, "x", t, strlen(t), NULL);
  ck_assert_ptr_nonnull(no_text);
  begin_ok(ix);
  GError *error = NULL;
  ck_assert(!nd_index_add(ix, no_text, &error));
  assert_error(error, ND_ERROR_INVALID_ARG, NULL);
  g_clear_error(&error);
  commit_ok(ix);
  ck_assert_uint_eq(stats_of(ix).articles, 0);
  nd_index_close(ix);
}
END_TEST

START_TEST(test_duplicate_id)
{
  g_autofree char *dir = test_dir("dup_id");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  g_autofree char *ta = gen_article(10, 200);
  g_autofree char *ta2 = gen_article(11, 250);
  g_autofree char *tb = gen_article(12, 220);
  g_autoptr(NdDocument) a = sign(ix, "same", ta, -1);
  g_autoptr(NdDocument) a2 = sign(ix, "same", ta2, -1);
  g_autoptr(NdDocument) b = sign(ix, "other", tb, -1);
  begin_ok(ix);
  add_ok(ix, a);
  GError *error = NULL;
  ck_assert(!nd_index_add(ix, a2, &error));
  assert_error(error, ND_ERROR_DUPLICATE_ID, "same");
  g_clear_error(&error);
  add_ok(ix, b); /* the transaction goes on */
  commit_ok(ix);
  nd_index_close(ix);
  ix = open_ok(path, TRUE);
  NdIndexStats s = stats_of(ix);
  ck_assert_uint_eq(s.articles, 2);
  ck_assert_uint_eq(s.text_bytes, strlen(ta) + strlen(tb));
  ck_assert_uint_eq(s.band_keys, 2 * (guint64)nd_index_lsh_params(ix)->bands);
  ck_assert_uint_eq(s.anchors, anchors_of(a) + anchors_of(b));
  /* The first text is the one kept. */
  gsize len = 0;
  g_autofree char *got = nd_index_get_text(ix, "same", &len, &error);
  ck_assert_ptr_nonnull(got);
  ck_assert_str_eq(got, ta);
  /* A duplicate of an article committed earlier is refused in a later transaction too. */
  begin_ok(ix);
  ck_assert(!nd_index_add(ix, a2, &error));
  assert_error(error, ND_ERROR_DUPLICATE_ID, "same");
  g_clear_error(&error);
  commit_ok(ix);
  ck_assert_uint_eq(stats_of(ix).articles, 2);
  nd_index_close(ix);
}
END_TEST

static gboolean
stats_equal(const NdIndexStats *x, const NdIndexStats *y)
{
  return x->articles == y->articles && x->text_bytes == y->text_bytes && x->band_keys == y->band_keys &&
         x->anchors == y->anchors;
}

START_TEST(test_rollback)
{
  g_autofree char *dir = test_dir("rollback");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  char *texts[] = { gen_article(20, 200), gen_article(21, 200) };
  const char *ids[] = { "base1", "base2" };
  add_texts(ix, ids, texts, 2);
  NdIndexStats before = stats_of(ix);
  g_autofree char *t3 = gen_article(22, 300);
  g_autoptr(NdDocument) d3 = sign(ix, "new", t3, -1);
  begin_ok(ix);
  add_ok(ix, d3);
  GError *error = NULL;
  ck_assert(nd_index_remove(ix, "base1", &error));
  NdIndexStats during = stats_of(ix); /* the transaction sees its own changes */
  ck_assert_uint_eq(during.articles, 2);
  ck_assert(!stats_equal(&during, &before));
  nd_index_rollback(ix);
  NdIndexStats after = stats_of(ix);
  ck_assert(stats_equal(&before, &after));
  gsize len;
  g_autofree char *b1 = nd_index_get_text(ix, "base1", &len, &error);
  ck_assert_ptr_nonnull(b1);
  ck_assert_ptr_null(nd_index_get_text(ix, "new", &len, &error));
  assert_error(error, ND_ERROR_NOT_FOUND, NULL);
  g_clear_error(&error);
  g_autoptr(GArray) m = query(ix, d3, NULL);
  ck_assert_uint_eq(m->len, 0);
  /* Closing with an open transaction rolls it back too. */
  begin_ok(ix);
  add_ok(ix, d3);
  nd_index_close(ix);
  ix = open_ok(path, TRUE);
  after = stats_of(ix);
  ck_assert(stats_equal(&before, &after));
  /* And the handle is usable again after a rollback. */
  begin_ok(ix);
  add_ok(ix, d3);
  nd_index_rollback(ix);
  begin_ok(ix);
  add_ok(ix, d3);
  commit_ok(ix);
  ck_assert_uint_eq(stats_of(ix).articles, 3);
  nd_index_close(ix);
  g_free(texts[0]);
  g_free(texts[1]);
}
END_TEST

START_TEST(test_remove)
{
  g_autofree char *dir = test_dir("remove");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  /* B is A with a paragraph appended, so the two share band keys and fingerprints: removing B must
   * take only B's postings. */
  g_autofree char *ta = gen_article(30, 400);
  g_autofree char *extra = gen_article(31, 40);
  g_autofree char *tb = g_strconcat(ta, "\n\n", extra, NULL);
  g_autofree char *tc = gen_article(32, 300);
  g_autoptr(NdDocument) a = sign(ix, "a", ta, -1);
  g_autoptr(NdDocument) b = sign(ix, "b", tb, -1);
  g_autoptr(NdDocument) c = sign(ix, "c", tc, -1);
  begin_ok(ix);
  add_ok(ix, a);
  add_ok(ix, c);
  commit_ok(ix);
  NdIndexStats s1 = stats_of(ix);
  begin_ok(ix);
  add_ok(ix, b);
  commit_ok(ix);
  NdIndexStats s2 = stats_of(ix);
  ck_assert_uint_eq(s2.articles, 3);
  ck_assert_uint_eq(s2.band_keys, s1.band_keys + nd_index_lsh_params(ix)->bands);
  ck_assert_uint_eq(s2.anchors, s1.anchors + anchors_of(b));
  {
    g_autoptr(GArray) m = query(ix, a, NULL);
    ck_assert_ptr_nonnull(find_match(m, "b"));
  }
  begin_ok(ix);
  GError *error = NULL;
  ck_assert_msg(nd_index_remove(ix, "b", &error), "remove: %s", error ? error->message : "?");
  ck_assert(!nd_index_remove(ix, "b", &error)); /* already gone inside this transaction */
  assert_error(error, ND_ERROR_NOT_FOUND, "b");
  g_clear_error(&error);
  ck_assert(!nd_index_remove(ix, "never-added", &error));
  assert_error(error, ND_ERROR_NOT_FOUND, "never-added");
  g_clear_error(&error);
  commit_ok(ix);
  nd_index_close(ix);
  ix = open_ok(path, FALSE);
  NdIndexStats s3 = stats_of(ix);
  ck_assert_uint_eq(s3.articles, s1.articles);
  ck_assert_uint_eq(s3.text_bytes, s1.text_bytes);
  ck_assert_uint_eq(s3.band_keys, s1.band_keys);
  ck_assert_uint_eq(s3.anchors, s1.anchors);
  gsize len;
  ck_assert_ptr_null(nd_index_get_text(ix, "b", &len, &error));
  assert_error(error, ND_ERROR_NOT_FOUND, NULL);
  g_clear_error(&error);
  /* A is still found, with all its postings: by itself and by B's text. */
  g_autoptr(GArray) ma = query(ix, a, NULL);
  ck_assert_uint_eq(ma->len, 1);
  ck_assert_str_eq(match_at(ma, 0)->id, "a");
  ck_assert_double_eq(match_at(ma, 0)->scores.jaccard, 1.0);
  g_autoptr(GArray) mb = query(ix, b, NULL);
  ck_assert_uint_eq(mb->len, 1);
  ck_assert_str_eq(match_at(mb, 0)->id, "a");
  nd_index_close(ix);
  /* Removing everything leaves empty posting tables; the removed id can be added again. */
  ix = open_ok(path, TRUE);
  begin_ok(ix);
  ck_assert(nd_index_remove(ix, "a", NULL));
  ck_assert(nd_index_remove(ix, "c", NULL));
  commit_ok(ix);
  NdIndexStats s4 = stats_of(ix);
  ck_assert_uint_eq(s4.articles, 0);
  ck_assert_uint_eq(s4.text_bytes, 0);
  ck_assert_uint_eq(s4.band_keys, 0);
  ck_assert_uint_eq(s4.anchors, 0);
  begin_ok(ix);
  add_ok(ix, b);
  commit_ok(ix);
  g_autoptr(GArray) again = query(ix, b, NULL);
  ck_assert_uint_eq(again->len, 1);
  ck_assert_str_eq(match_at(again, 0)->id, "b");
  nd_index_close(ix);
}
END_TEST

START_TEST(test_get_text_roundtrip)
{
  g_autofree char *dir = test_dir("get_text");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  /* Non-ASCII, CRLF, tabs, trailing spaces, no final newline; and a large article. */
  static const char unicode[] = "Zürich, 3 März — the café’s naïve “façade” 🌊 was rebuilt.\r\n\tΑθήνα: «κείμενο».   \r\n"
                                "Москва и Київ. 東京と北京の記者が報じた。  ";
  GString *big = g_string_new(NULL);
  for (guint i = 0; big->len < 300000; i++) {
    g_autofree char *part = gen_article(100 + i, 200);
    g_string_append(big, part);
    g_string_append(big, i % 2 ? "\n\n" : " — ¶ ");
  }
  const char *texts[] = { unicode, big->str, "x" };
  const char *ids[] = { "unicode", "big", "tiny" };
  begin_ok(ix);
  for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
    g_autoptr(NdDocument) d = sign(ix, ids[i], texts[i], -1);
    add_ok(ix, d);
  }
  commit_ok(ix);
  nd_index_close(ix);
  ix = open_ok(path, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
    GError *error = NULL;
    gsize len = 12345;
    g_autofree char *got = nd_index_get_text(ix, ids[i], &len, &error);
    ck_assert_msg(got != NULL, "%s: %s", ids[i], error ? error->message : "?");
    ck_assert_uint_eq(len, strlen(texts[i]));
    ck_assert_msg(memcmp(got, texts[i], len) == 0, "%s: bytes differ", ids[i]);
    ck_assert_int_eq(got[len], '\0');
  }
  /* The texts are stored as they are (the sqlite3 shell reads them). */
  ck_assert_int_eq(raw_int(path, "SELECT length(text) FROM articles WHERE id = 'big'"), (gint64)big->len);
  ck_assert_int_eq(raw_int(path, "SELECT bytes FROM articles WHERE id = 'big'"), (gint64)big->len);
  GError *error = NULL;
  gsize len;
  ck_assert_ptr_null(nd_index_get_text(ix, "missing", &len, &error));
  assert_error(error, ND_ERROR_NOT_FOUND, "missing");
  g_clear_error(&error);
  nd_index_close(ix);
  g_string_free(big, TRUE);
}
END_TEST

/* An index with articles "a" and "b" of the same length, and "c"; returns its path. */
static char *
corruptible_index(const char *dir)
{
  g_autofree char *ta = words_text(40, 300, 0, 300);
  g_autofree char *tb = g_strdup(ta);
  /* Same length, different bytes: swap the case of every word-initial letter in the first 50. */
  for (gsize i = 0, flips = 0; tb[i] && flips < 50; i++)
    if ((i == 0 || tb[i - 1] == ' ') && g_ascii_isalpha(tb[i])) {
      tb[i] = g_ascii_isupper(tb[i]) ? g_ascii_tolower(tb[i]) : g_ascii_toupper(tb[i]);
      flips++;
    }
  ck_assert_uint_eq(strlen(ta), strlen(tb));
  ck_assert_str_ne(ta, tb);
  char *texts[] = { ta, tb, gen_article(41, 100) };
  const char *ids[] = { "a", "b", "c" };
  char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  add_texts(ix, ids, texts, 3);
  nd_index_close(ix);
  g_free(texts[2]);
  return path;
}

static void
assert_text_corrupt(const char *path, const char *id)
{
  NdIndex *ix = open_ok(path, FALSE);
  GError *error = NULL;
  gsize len = 0;
  char *got = nd_index_get_text(ix, id, &len, &error);
  ck_assert_msg(got == NULL, "corrupt text of '%s' returned (%zu bytes)", id, len);
  assert_error(error, ND_ERROR_INDEX, "corrupt");
  ck_assert_msg(strstr(error->message, id) != NULL, "message does not name '%s': %s", id, error->message);
  g_clear_error(&error);
  /* The untouched article still reads back. */
  g_autofree char *c = nd_index_get_text(ix, "c", &len, &error);
  ck_assert_msg(c != NULL, "c: %s", error ? error->message : "?");
  nd_index_close(ix);
}

START_TEST(test_get_text_corrupt_hash)
{
  g_autofree char *dir = test_dir("corrupt_hash");
  g_autofree char *path = corruptible_index(dir);
  raw_exec(path, "UPDATE articles SET text_hash = text_hash + 1 WHERE id = 'a'");
  assert_text_corrupt(path, "a");
}
END_TEST

START_TEST(test_get_text_corrupt_blob)
{
  g_autofree char *dir = test_dir("corrupt_blob");
  g_autofree char *path = corruptible_index(dir);
  /* Garbage instead of a deflate stream. */
  raw_exec(path, "UPDATE articles SET text = randomblob(length(text)) WHERE id = 'a'");
  assert_text_corrupt(path, "a");
  /* A valid stream of the same length but other bytes (a's stream in b's row): only the hash can
   * tell. */
  g_autofree char *dir2 = test_dir("corrupt_blob_swap");
  g_autofree char *path2 = corruptible_index(dir2);
  raw_exec(path2, "UPDATE articles SET text = (SELECT text FROM articles WHERE id = 'a') WHERE id = 'b'");
  assert_text_corrupt(path2, "b");
  /* Truncated and empty streams. */
  g_autofree char *dir3 = test_dir("corrupt_blob_trunc");
  g_autofree char *path3 = corruptible_index(dir3);
  raw_exec(path3, "UPDATE articles SET text = substr(text, 1, length(text) / 2) WHERE id = 'a'");
  raw_exec(path3, "UPDATE articles SET text = X'' WHERE id = 'b'");
  assert_text_corrupt(path3, "a");
  assert_text_corrupt(path3, "b");
}
END_TEST

/* The stored length is part of the row too: a damaged `bytes` column must be an error, not an
 * attempt to allocate terabytes (or a GLib critical: they are fatal here). */
static const char *const corrupt_length[] = { "bytes + 1", "bytes - 1", "0", "-1", "1000000000000000",
                                              "9223372036854775807" };

START_TEST(test_get_text_corrupt_length)
{
  g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_autofree char *name = g_strdup_printf("corrupt_len%d", _i);
  g_autofree char *dir = test_dir(name);
  g_autofree char *path = corruptible_index(dir);
  g_autofree char *sql = g_strdup_printf("UPDATE articles SET bytes = %s WHERE id = 'a'", corrupt_length[_i]);
  raw_exec(path, sql);
  assert_text_corrupt(path, "a");
}
END_TEST

/* Collects the problems a query skipped. */
static void
on_warning(const GError *problem, gpointer data)
{
  g_ptr_array_add(data, g_strdup(problem->message));
}

/* Damaged rows (written through the checksumming VFS, so that only the row checks can see them) are
 * named and skipped by queries, never scored; removing them fails with ND_ERROR_INDEX. */
START_TEST(test_corrupt_rows)
{
  static const struct {
    const char *sql, *warning; /* the warning names the row and what is wrong with it */
  } damage[] = {
    { "UPDATE articles SET signature = substr(signature, 1, 100) WHERE id = 'a'", "('a'): a signature of the wrong size" },
    { "UPDATE articles SET anchors = substr(anchors, 1, length(anchors) - 2) WHERE id = 'a'", "('a'): anchors that do not match its sizes" },
    { "UPDATE articles SET set_size = set_size + 1000000 WHERE id = 'a'", "('a'): sizes out of range" },
    { "UPDATE articles SET n_anchors = n_anchors - 1, anchors = substr(anchors, 5) WHERE id = 'a'", "('a'): contents that do not match its row hash" },
    { "UPDATE articles SET signature = randomblob(length(signature)) WHERE id = 'a'", "('a'): contents that do not match its row hash" },
    { "UPDATE articles SET bytes = 1 WHERE id = 'a'", "('a'): sizes out of range" },
    { "UPDATE articles SET grp = grp + 1 WHERE id = 'a'", "('a'): contents that do not match its row hash" },
    { "UPDATE articles SET date_utc = '2026-01-01T00:00:00Z' WHERE id = 'a'", "('a'): contents that do not match its row hash" },
    { "UPDATE articles SET text = NULL WHERE id = 'a'", "('a'): neither its text nor its shingle keys" },
    /* the row is sound, its text is b's (same length): only the text hash sees it */
    { "UPDATE articles SET text = (SELECT text FROM articles WHERE id = 'b') WHERE id = 'a'", "stored text of 'a' is corrupt" },
    { "UPDATE articles SET id = x'00' WHERE id = 'a'", "no id" },
    { "DELETE FROM articles WHERE id = 'a'", "corrupt index: a posting names article 1, which is not in it" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(damage); i++) {
    g_autofree char *name = g_strdup_printf("corrupt_rows%zu", i);
    g_autofree char *dir = test_dir(name);
    g_autofree char *path = corruptible_index(dir);
    NdIndex *ix = open_ok(path, FALSE);
    gsize len;
    g_autofree char *text = nd_index_get_text(ix, "a", &len, NULL);
    ck_assert_ptr_nonnull(text);
    g_autoptr(NdDocument) q = sign(ix, "q", text, (gssize)len);
    g_autoptr(GArray) before = query(ix, q, NULL);
    ck_assert_ptr_nonnull(find_match(before, "a"));
    ck_assert_ptr_nonnull(find_match(before, "b"));
    nd_index_close(ix);
    raw_exec(path, damage[i].sql);
    ix = open_ok(path, TRUE);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    nd_index_set_warning_func(ix, on_warning, warnings);
    GError *error = NULL;
    NdFindOptions o;
    nd_find_options_init(&o);
    g_autoptr(GArray) m = nd_index_query(ix, q, &o, &error);
    ck_assert_msg(m != NULL, "damage %zu: the query failed: %s", i, error ? error->message : "");
    ck_assert_msg(find_match(m, "a") == NULL, "damage %zu: the damaged row was scored", i);
    ck_assert_msg(find_match(m, "b") != NULL, "damage %zu: the intact row was lost", i);
    ck_assert_uint_eq(m->len, before->len - 1);
    ck_assert_uint_eq(warnings->len, 1);
    ck_assert_msg(strstr(g_ptr_array_index(warnings, 0), damage[i].warning) != NULL, "damage %zu: warning \"%s\" "
                  "lacks \"%s\"", i, (char *)g_ptr_array_index(warnings, 0), damage[i].warning);
    if (i < 9) { /* the row fails its own checks */
      begin_ok(ix);
      ck_assert_msg(!nd_index_remove(ix, "a", &error), "damage %zu: remove succeeded", i);
      assert_error(error, ND_ERROR_INDEX, "corrupt article row");
      g_clear_error(&error);
      nd_index_rollback(ix);
      g_autofree char *t = nd_index_get_text(ix, "a", &len, &error);
      ck_assert_ptr_null(t);
      assert_error(error, ND_ERROR_INDEX, "corrupt article row");
      g_clear_error(&error);
    }
    nd_index_close(ix);
  }
}
END_TEST

/* A row whose hash matches but whose keys are not strictly increasing (a forged row) is skipped,
 * not merged as if sorted: its fingerprints, or its shingle keys where the text is not stored. */
START_TEST(test_unsorted_keys)
{
  for (int policy = 0; policy < 2; policy++) {
    g_autofree char *dir = test_dir(policy ? "unsorted_shingles" : "unsorted_anchors");
    NdSignParams p;
    nd_sign_params_init(&p);
    NdIndexOptions io = { policy ? ND_INDEX_TEXT_NONE : ND_INDEX_TEXT_ALL, ND_INDEX_TEXT_PLAIN };
    g_autofree char *path = g_build_filename(dir, "ix.db", NULL);
    GError *error = NULL;
    NdIndex *ix = nd_index_create_with(path, &p, 0.5, &io, &error);
    ck_assert_msg(ix != NULL, "%s", error ? error->message : "?");
    g_autofree char *text = words_text(61, 200, 0, 200);
    g_autoptr(NdDocument) good = sign(ix, "good", text, -1);
    g_autoptr(NdDocument) forged = sign(ix, "forged", text, -1);
    guint32 *keys = policy ? forged->set : forged->anchors;
    ck_assert_uint_ge(policy ? forged->set_size : forged->n_anchors, 2);
    guint32 t = keys[0];
    keys[0] = keys[1];
    keys[1] = t;
    begin_ok(ix);
    ck_assert(nd_index_add(ix, good, NULL));
    ck_assert(nd_index_add(ix, forged, NULL));
    commit_ok(ix);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    nd_index_set_warning_func(ix, on_warning, warnings);
    g_autoptr(GArray) m = query(ix, good, NULL);
    ck_assert_uint_eq(m->len, 1);
    ck_assert_str_eq(match_at(m, 0)->id, "good");
    ck_assert_uint_eq(warnings->len, 1);
    ck_assert_msg(strstr(g_ptr_array_index(warnings, 0), "('forged'): keys out of order") != NULL, "%s",
                  (char *)g_ptr_array_index(warnings, 0));
    nd_index_close(ix);
  }
}
END_TEST

/* Bytes changed outside neardup (a flipped bit, a program writing without the VFS) fail the page
 * checksums: queries fail with "corrupt", an add refuses to start, and nothing is scored. */
START_TEST(test_page_checksums)
{
  g_autofree char *dir = test_dir("page_checksums");
  g_autofree char *path = corruptible_index(dir);
  NdIndex *ix = open_ok(path, FALSE);
  gsize len;
  g_autofree char *text = nd_index_get_text(ix, "a", &len, NULL);
  g_autoptr(NdDocument) q = sign(ix, "q", text, (gssize)len);
  nd_index_close(ix);
  /* A plain sqlite3 connection writes the page without updating its checksum. */
  sqlite3 *db = NULL;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, "UPDATE articles SET tokens = tokens WHERE id = 'a'", NULL, NULL, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, "UPDATE articles SET n_anchors = n_anchors + 1 WHERE id = 'b'", NULL,
                                NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  ix = open_ok(path, TRUE);
  GError *error = NULL;
  NdFindOptions o;
  nd_find_options_init(&o);
  GArray *m = nd_index_query(ix, q, &o, &error);
  ck_assert_ptr_null(m);
  assert_error(error, ND_ERROR_INDEX, "a page failed its checksum");
  g_clear_error(&error);
  ck_assert(!nd_index_begin(ix, &error));
  assert_error(error, ND_ERROR_INDEX, "corrupt");
  g_clear_error(&error);
  nd_index_close(ix);
  /* A file whose header no longer reserves the checksum bytes is refused. */
  g_autofree char *dir2 = test_dir("page_checksums_header");
  g_autofree char *path2 = corruptible_index(dir2);
  FILE *fp = fopen(path2, "r+b");
  ck_assert_ptr_nonnull(fp);
  ck_assert_int_eq(fseek(fp, 20, SEEK_SET), 0);
  ck_assert_int_eq(fputc(0, fp), 0);
  fclose(fp);
  ck_assert_ptr_null(nd_index_open(path2, FALSE, &error));
  assert_error(error, ND_ERROR_INDEX, NULL);
  g_clear_error(&error);
}
END_TEST

/* Objects neardup never creates, or its tables defined otherwise, make the file refused: a trigger
 * could make an add store nothing, a view could stand in for a table. */
START_TEST(test_schema_refused)
{
  static const struct {
    const char *sql, *message;
  } plant[] = {
    { "CREATE TRIGGER t AFTER INSERT ON articles BEGIN DELETE FROM articles; END", "holds a trigger 't'" },
    { "CREATE TEMP TRIGGER t2 AFTER INSERT ON articles BEGIN DELETE FROM articles; END", NULL }, /* gone on close */
    { "CREATE VIEW v AS SELECT * FROM articles", "holds a view 'v'" },
    { "ALTER TABLE articles ADD COLUMN extra TEXT", "the table 'articles' is not defined as neardup defines it" },
    { "DROP TABLE anchor_postings", "tables missing" },
    { "DROP INDEX articles_grp", "tables missing" },
    { "CREATE TABLE extra(x)", NULL }, /* another table is not ours to judge: tolerated */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(plant); i++) {
    g_autofree char *name = g_strdup_printf("schema%zu", i);
    g_autofree char *dir = test_dir(name);
    g_autofree char *path = corruptible_index(dir);
    raw_exec(path, plant[i].sql);
    GError *error = NULL;
    NdIndex *ix = nd_index_open(path, TRUE, &error);
    if (plant[i].message == NULL) {
      ck_assert_ptr_nonnull(ix);
      nd_index_close(ix);
      continue;
    }
    ck_assert_msg(ix == NULL, "plant %zu: opened", i);
    assert_error(error, ND_ERROR_INDEX, plant[i].message);
    g_clear_error(&error);
  }
  /* An extra index (created for browsing) is harmless and tolerated. */
  g_autofree char *dir = test_dir("schema_extra_index");
  g_autofree char *path = corruptible_index(dir);
  raw_exec(path, "CREATE INDEX by_bytes ON articles(bytes)");
  nd_index_close(open_ok(path, TRUE));
}
END_TEST

/* Metadata is written back by the JSON writer: stored text that is not one JSON object becomes NULL
 * with a warning, and stored JSON is re-emitted (no record can be injected through it). */
START_TEST(test_forged_metadata)
{
  static const struct {
    const char *stored, *shown;
  } cases[] = {
    { "{\"url\": \"https://example.org/a\",  \"n\": 1}", "{\"url\":\"https://example.org/a\",\"n\":1}" },
    { "{\"url\":\"x\"}\n{\"a\":\"forged\",\"b\":\"record\"}", NULL },
    { "{\"url\":\"x\"", NULL },
    { "[1,2]", NULL },
    { "{'single': 1}", NULL },
    { "{\"a\":1,\"a\":2}", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *name = g_strdup_printf("forged_metadata%zu", i);
    g_autofree char *dir = test_dir(name);
    g_autofree char *path = NULL;
    NdIndex *ix = create_default(dir, "ix.db", &path);
    g_autofree char *text = words_text(60, 200, 0, 200);
    g_autoptr(NdDocument) d = sign(ix, "m", text, -1);
    d->meta = g_strdup(cases[i].stored); /* as a forger would store it, with a matching row hash */
    begin_ok(ix);
    ck_assert(nd_index_add(ix, d, NULL));
    commit_ok(ix);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    nd_index_set_warning_func(ix, on_warning, warnings);
    g_autoptr(GArray) m = query(ix, d, NULL);
    ck_assert_uint_eq(m->len, 1);
    if (cases[i].shown != NULL) {
      ck_assert_str_eq(match_at(m, 0)->metadata, cases[i].shown);
      ck_assert_uint_eq(warnings->len, 0);
    } else {
      ck_assert_ptr_null(match_at(m, 0)->metadata);
      ck_assert_uint_eq(warnings->len, 1);
      ck_assert_msg(strstr(g_ptr_array_index(warnings, 0), "not a JSON object") != NULL, "%s",
                    (char *)g_ptr_array_index(warnings, 0));
    }
    nd_index_close(ix);
  }
}
END_TEST

START_TEST(test_query_identical)
{
  g_autofree char *dir = test_dir("q_identical");
  NdIndex *ix = create_default(dir, "ix.db", NULL);
  char *texts[] = { gen_article(50, 400), gen_article(51, 400), gen_article(52, 400) };
  const char *ids[] = { "w1", "w2", "w3" };
  add_texts(ix, ids, texts, 3);
  /* The same text under a new id: found with Jaccard 1 and both containments 1. */
  g_autoptr(NdDocument) q = sign(ix, "incoming", texts[1], -1);
  g_autoptr(GArray) m = query(ix, q, NULL);
  ck_assert_uint_eq(m->len, 1);
  const NdIndexMatch *x = match_at(m, 0);
  ck_assert_str_eq(x->id, "w2");
  ck_assert_ptr_null(x->metadata);
  ck_assert_uint_eq(x->bytes, strlen(texts[1]));
  ck_assert_double_eq(x->scores.jaccard, 1.0);
  ck_assert_double_eq(x->scores.containment_a_in_b, 1.0);
  ck_assert_double_eq(x->scores.containment_b_in_a, 1.0);
  ck_assert_uint_eq(x->scores.shared, q->set_size);
  /* Also with containment matching disabled (LSH alone finds it). */
  NdFindOptions o;
  nd_find_options_init(&o);
  o.containment = 0.0;
  g_autoptr(GArray) m2 = query(ix, q, &o);
  ck_assert_uint_eq(m2->len, 1);
  ck_assert_str_eq(match_at(m2, 0)->id, "w2");
  /* Bad options are refused. */
  o.threshold = 1.5;
  GError *error = NULL;
  ck_assert_ptr_null(nd_index_query(ix, q, &o, &error));
  assert_error(error, ND_ERROR_INVALID_ARG, NULL);
  g_clear_error(&error);
  nd_index_close(ix);
  for (guint i = 0; i < 3; i++)
    g_free(texts[i]);
}
END_TEST

START_TEST(test_query_reused_third)
{
  g_autofree char *dir = test_dir("q_third");
  NdIndex *ix = create_default(dir, "ix.db", NULL);
  /* The archived wire story: 600 words. The new article: 400 words of its own with a contiguous
   * block of 200 of the wire's words in the middle. */
  g_autofree char *wire = words_text(60, 600, 0, 600);
  g_autofree char *own_head = words_text(61, 400, 0, 200);
  g_autofree char *block = words_text(60, 600, 200, 400);
  g_autofree char *own_tail = words_text(61, 400, 200, 400);
  g_autofree char *fresh = g_strconcat(own_head, "\n\n", block, "\n\n", own_tail, NULL);
  char *texts[] = { wire, gen_article(62, 600), gen_article(63, 300) };
  const char *ids[] = { "wire", "other1", "other2" };
  add_texts(ix, ids, texts, 3);
  g_autoptr(NdDocument) q = sign(ix, "fresh", fresh, -1);
  g_autoptr(GArray) m = query(ix, q, NULL);
  ck_assert_uint_eq(m->len, 1);
  const NdIndexMatch *x = match_at(m, 0);
  ck_assert_str_eq(x->id, "wire");
  ck_assert_msg(x->scores.jaccard < 0.5, "jaccard %f", x->scores.jaccard);
  ck_assert_msg(x->scores.containment_a_in_b > 0.25 && x->scores.containment_a_in_b < 0.45, "containment %f",
                x->scores.containment_a_in_b);
  ck_assert_msg(x->scores.containment_b_in_a > 0.25 && x->scores.containment_b_in_a < 0.45, "containment %f",
                x->scores.containment_b_in_a);
  ck_assert_uint_ge(x->scores.shared, 150);
  /* It is the containment rule that reports it: without it nothing matches. */
  NdFindOptions o;
  nd_find_options_init(&o);
  o.containment = 0.0;
  g_autoptr(GArray) none = query(ix, q, &o);
  ck_assert_uint_eq(none->len, 0);
  /* And a containment threshold above the reuse excludes it. */
  o.containment = 0.6;
  g_autoptr(GArray) none2 = query(ix, q, &o);
  ck_assert_uint_eq(none2->len, 0);
  nd_index_close(ix);
  g_free(texts[1]);
  g_free(texts[2]);
}
END_TEST

START_TEST(test_query_unrelated)
{
  g_autofree char *dir = test_dir("q_unrelated");
  NdIndex *ix = create_default(dir, "ix.db", NULL);
  char *texts[8];
  const char *ids[8] = { "u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7" };
  for (guint i = 0; i < 8; i++)
    texts[i] = gen_article(70 + i, 300);
  add_texts(ix, ids, texts, 8);
  g_autofree char *t = gen_article(99, 300);
  g_autoptr(NdDocument) q = sign(ix, "new", t, -1);
  g_autoptr(GArray) m = query(ix, q, NULL);
  ck_assert_uint_eq(m->len, 0);
  /* An empty index answers with no matches too. */
  g_autofree char *dir2 = test_dir("q_empty");
  NdIndex *empty = create_default(dir2, "ix.db", NULL);
  g_autoptr(GArray) m2 = query(empty, q, NULL);
  ck_assert_uint_eq(m2->len, 0);
  nd_index_close(empty);
  nd_index_close(ix);
  for (guint i = 0; i < 8; i++)
    g_free(texts[i]);
}
END_TEST

static double
best_score(const NdIndexMatch *x)
{
  return MAX(x->scores.jaccard, MAX(x->scores.containment_a_in_b, x->scores.containment_b_in_a));
}

START_TEST(test_query_sorted)
{
  g_autofree char *dir = test_dir("q_sorted");
  NdIndex *ix = create_default(dir, "ix.db", NULL);
  /* The query is 600 words. The archive holds: two exact copies (under ids that sort against
   * insertion order), two prefixes of it (wholly contained in it: score 1 too), a copy with every
   * 25th word replaced, a text with a quarter of it, and unrelated articles. */
  g_autofree char *qt = words_text(80, 600, 0, 600);
  g_autofree char *two_thirds = words_text(80, 600, 0, 400);
  g_autofree char *half = words_text(80, 600, 0, 300);
  g_autofree char *edited = words_text_edited(80, 600, 0, 600, 25);
  g_autofree char *quarter_src = words_text(80, 600, 450, 600);
  g_autofree char *own = gen_article(81, 450);
  g_autofree char *quarter = g_strconcat(own, "\n\n", quarter_src, NULL);
  char *texts[] = { qt, gen_article(82, 300), two_thirds, quarter, edited, half, qt, gen_article(83, 300) };
  const char *ids[] = { "zz-copy", "unrelated1", "two-thirds", "quarter", "edited", "half", "aa-copy", "unrelated2" };
  add_texts(ix, ids, texts, G_N_ELEMENTS(texts));
  g_autoptr(NdDocument) q = sign(ix, "q", qt, -1);
  g_autoptr(GArray) m = query(ix, q, NULL);
  /* Best first by max(jaccard, containments); ties by id. */
  const char *want[] = { "aa-copy", "half", "two-thirds", "zz-copy", "edited", "quarter" };
  ck_assert_uint_eq(m->len, G_N_ELEMENTS(want));
  for (guint i = 0; i < G_N_ELEMENTS(want); i++)
    ck_assert_msg(strcmp(match_at(m, i)->id, want[i]) == 0, "match %u is %s (%f), want %s", i, match_at(m, i)->id,
                  best_score(match_at(m, i)), want[i]);
  for (guint i = 0; i < 4; i++)
    ck_assert_double_eq(best_score(match_at(m, i)), 1.0);
  ck_assert_double_eq(match_at(m, 0)->scores.jaccard, 1.0);
  ck_assert_double_lt(match_at(m, 1)->scores.jaccard, 0.6); /* half: found through containment */
  ck_assert_double_lt(best_score(match_at(m, 4)), 1.0);
  ck_assert_double_gt(best_score(match_at(m, 4)), best_score(match_at(m, 5)));
  for (guint i = 1; i < m->len; i++) {
    const NdIndexMatch *p = match_at(m, i - 1), *x = match_at(m, i);
    ck_assert_msg(best_score(p) > best_score(x) || (best_score(p) == best_score(x) && strcmp(p->id, x->id) < 0),
                  "match %u (%s, %f) before %u (%s, %f)", i - 1, p->id, best_score(p), i, x->id, best_score(x));
  }
  nd_index_close(ix);
  g_free(texts[1]);
  g_free(texts[7]);
}
END_TEST

START_TEST(test_query_metadata)
{
  g_autofree char *dir = test_dir("q_meta");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  g_autofree char *t = gen_article(90, 300);
  g_autoptr(NdDocument) d = sign(ix, "rec-1", t, -1);
  static const char meta[] = "{\"url\":\"https://example.org/a?b=1&c=ü\",\"outlet\":\"Example Daily\",\"date\":\"2024-03-01\"}";
  d->meta = g_strdup(meta);
  begin_ok(ix);
  add_ok(ix, d);
  commit_ok(ix);
  nd_index_close(ix);
  ix = open_ok(path, FALSE);
  g_autoptr(NdDocument) q = sign(ix, "q", t, -1);
  g_autoptr(GArray) m = query(ix, q, NULL);
  ck_assert_uint_eq(m->len, 1);
  ck_assert_str_eq(match_at(m, 0)->id, "rec-1");
  ck_assert_ptr_nonnull(match_at(m, 0)->metadata);
  ck_assert_str_eq(match_at(m, 0)->metadata, meta);
  ck_assert_uint_eq(match_at(m, 0)->bytes, strlen(t));
  nd_index_close(ix);
}
END_TEST

/* Two handles on one file: one writer holds a transaction, the second writer times out with
 * ND_ERROR_INDEX_BUSY after its busy timeout, and a reader sees only committed data meanwhile. */
START_TEST(test_busy_writer_and_reader)
{
  g_autofree char *dir = test_dir("busy");
  g_autofree char *path = NULL;
  NdIndex *w1 = create_default(dir, "ix.db", &path);
  g_autofree char *t1 = gen_article(110, 300);
  g_autofree char *t2 = gen_article(111, 300);
  const char *ids[] = { "committed" };
  add_texts(w1, ids, &t1, 1);
  NdIndex *w2 = open_ok(path, TRUE);
  g_autoptr(NdDocument) pending = sign(w1, "pending", t2, -1);
  g_autoptr(NdDocument) old = sign(w1, "old", t1, -1);
  begin_ok(w1);
  add_ok(w1, pending);
  nd_index_set_busy_timeout(w2, 100);
  GError *error = NULL;
  gint64 t0 = g_get_monotonic_time();
  ck_assert(!nd_index_begin(w2, &error));
  gint64 waited = g_get_monotonic_time() - t0;
  assert_error(error, ND_ERROR_INDEX_BUSY, "another process");
  g_clear_error(&error);
  ck_assert_msg(waited >= 80000 && waited < 5000000, "waited %" G_GINT64_FORMAT " us for a 100 ms timeout", waited);
  /* A reader opens, reads stats and queries while the writer's transaction is open. */
  NdIndex *r = open_ok(path, FALSE);
  NdIndexStats s = stats_of(r);
  ck_assert_uint_eq(s.articles, 1);
  ck_assert_uint_eq(s.text_bytes, strlen(t1));
  {
    g_autoptr(GArray) m = query(r, pending, NULL);
    ck_assert_uint_eq(m->len, 0);
    g_autoptr(GArray) m2 = query(r, old, NULL);
    ck_assert_uint_eq(m2->len, 1);
    ck_assert_str_eq(match_at(m2, 0)->id, "committed");
    gsize len;
    ck_assert_ptr_null(nd_index_get_text(r, "pending", &len, &error));
    assert_error(error, ND_ERROR_NOT_FOUND, NULL);
    g_clear_error(&error);
  }
  /* The writer's own connection sees its add. */
  ck_assert_uint_eq(stats_of(w1).articles, 2);
  commit_ok(w1);
  /* Now the reader sees it, and the second writer can write. */
  ck_assert_uint_eq(stats_of(r).articles, 2);
  {
    g_autoptr(GArray) m = query(r, pending, NULL);
    ck_assert_uint_eq(m->len, 1);
    ck_assert_str_eq(match_at(m, 0)->id, "pending");
  }
  begin_ok(w2);
  ck_assert(nd_index_remove(w2, "committed", NULL));
  /* ... while the first one waits and fails. */
  nd_index_set_busy_timeout(w1, 50);
  ck_assert(!nd_index_begin(w1, &error));
  assert_error(error, ND_ERROR_INDEX_BUSY, NULL);
  g_clear_error(&error);
  commit_ok(w2);
  ck_assert_uint_eq(stats_of(r).articles, 1);
  nd_index_close(r);
  nd_index_close(w2);
  nd_index_close(w1);
}
END_TEST

/* A handle opened read-only cannot change the index. */
START_TEST(test_read_only_handle)
{
  g_autofree char *dir = test_dir("readonly");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  g_autofree char *t = gen_article(120, 200);
  const char *ids[] = { "x" };
  add_texts(ix, ids, &t, 1);
  nd_index_close(ix);
  NdIndex *r = open_ok(path, FALSE);
  g_autoptr(NdDocument) d = sign(r, "y", t, -1);
  GError *error = NULL;
  if (nd_index_begin(r, &error)) {
    ck_assert(!nd_index_add(r, d, &error));
    ck_assert_ptr_nonnull(error);
    g_clear_error(&error);
    ck_assert(!nd_index_remove(r, "x", &error) || !nd_index_commit(r, &error));
    g_clear_error(&error);
    nd_index_rollback(r);
  } else {
    ck_assert_ptr_nonnull(error);
    g_clear_error(&error);
  }
  nd_index_close(r);
  r = open_ok(path, FALSE);
  ck_assert_uint_eq(stats_of(r).articles, 1);
  nd_index_close(r);
}
END_TEST

/* An exclusive transaction adds like a shared one, needs the file alone, and leaves it in WAL mode
 * (where readers may read during the next adds) after a commit or a rollback. */
START_TEST(test_exclusive)
{
  g_autofree char *dir = test_dir("exclusive");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  char *texts[] = { gen_article(140, 200), gen_article(141, 200) };
  const char *ids[] = { "x0", "x1" };
  add_texts(ix, ids, texts, 2);
  NdIndexStats before = stats_of(ix);
  g_autofree char *t2 = gen_article(142, 300);
  g_autoptr(NdDocument) d2 = sign(ix, "x2", t2, -1);
  nd_index_set_exclusive(ix, TRUE);
  /* A reader in another connection has the file open (and has read it): the add is refused, and
   * nothing changes. */
  sqlite3 *reader = NULL;
  ck_assert_int_eq(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, nd_index_vfs_name()), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(reader, "SELECT count(*) FROM articles", NULL, NULL, NULL), SQLITE_OK);
  GError *error = NULL;
  ck_assert(!nd_index_begin(ix, &error));
  assert_error(error, ND_ERROR_INDEX_BUSY, "alone");
  g_clear_error(&error);
  g_autofree char *mode = raw_text(path, "PRAGMA journal_mode");
  ck_assert_str_eq(mode, "wal");
  sqlite3_close(reader);
  /* Alone, it adds; a rollback leaves the file as it was, and in WAL mode. */
  begin_ok(ix);
  add_ok(ix, d2);
  nd_index_rollback(ix);
  NdIndexStats after = stats_of(ix);
  ck_assert(stats_equal(&before, &after));
  g_free(mode);
  mode = raw_text(path, "PRAGMA journal_mode");
  ck_assert_str_eq(mode, "wal");
  begin_ok(ix);
  add_ok(ix, d2);
  commit_ok(ix);
  g_free(mode);
  mode = raw_text(path, "PRAGMA journal_mode");
  ck_assert_str_eq(mode, "wal");
  ck_assert_uint_eq(stats_of(ix).articles, 3);
  nd_index_close(ix);
  ix = open_ok(path, FALSE);
  gsize len = 0;
  g_autofree char *got = nd_index_get_text(ix, "x2", &len, &error);
  ck_assert_ptr_nonnull(got);
  ck_assert_str_eq(got, t2);
  nd_index_close(ix);
  g_free(texts[0]);
  g_free(texts[1]);
}
END_TEST

/* A process killed in an exclusive add, after some of its pages reached the file (a page cache's
 * worth: 64 MiB), leaves a rollback journal. The next process to open the index rolls it back,
 * reading or writing, and the index is as before, every page checked; a writer puts the file back
 * in WAL mode. Rolled back by a program that knows nothing of the checksums (the sqlite3 shell, here
 * the sqlite3 API with its default VFS), the pages must be valid too: the journal holds them as
 * they were in the file, not as a page cache held them with stale checksums. */
START_TEST(test_killed_exclusive_writer)
{
  g_autofree char *dir = test_dir("killed_exclusive");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  char *texts[3] = { gen_article(150, 300), gen_article(151, 300), gen_article(152, 300) };
  const char *ids[] = { "e0", "e1", "e2" };
  add_texts(ix, ids, texts, 3);
  NdIndexStats before = stats_of(ix);
  /* 80 articles of about 1 MB: more than the writer's page cache, so pages reach the file. */
  g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func((GDestroyNotify)nd_document_free);
  g_autofree char *big = gen_article(300, 170000);
  for (guint i = 0; i < 80; i++) {
    g_autofree char *id = g_strdup_printf("big%u", i);
    g_ptr_array_add(docs, sign(ix, id, big, -1));
  }
  nd_index_close(ix);
  GStatBuf st;
  ck_assert_int_eq(g_stat(path, &st), 0);
  goffset size_before = st.st_size;
  g_autofree char *journal = g_strconcat(path, "-journal", NULL);
  /* 0: a reader opens it first; 1: the sqlite3 API without checksums rolls it back; 2: a writer. */
  for (int round = 0; round < 3; round++) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
      NdIndex *c = nd_index_open(path, TRUE, NULL);
      if (c == NULL)
        _exit(2);
      nd_index_set_exclusive(c, TRUE);
      if (!nd_index_begin(c, NULL))
        _exit(3);
      for (guint i = 0; i < docs->len; i++)
        if (!nd_index_add(c, g_ptr_array_index(docs, i), NULL))
          _exit(4);
      raise(SIGKILL);
      _exit(5);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
    ck_assert_msg(g_file_test(journal, G_FILE_TEST_EXISTS), "no journal left");
    ck_assert_int_eq(g_stat(path, &st), 0);
    ck_assert_msg(st.st_size > size_before, "no page reached the file (%" G_GINT64_FORMAT " bytes)",
                  (gint64)st.st_size);
    if (round == 1) {
      sqlite3 *db = NULL;
      ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
      ck_assert_int_eq(sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL), SQLITE_OK);
      sqlite3_close(db);
      ck_assert(!g_file_test(journal, G_FILE_TEST_EXISTS));
    }
    ix = open_ok(path, round == 2);
    ck_assert(!g_file_test(journal, G_FILE_TEST_EXISTS));
    ck_assert_int_eq(g_stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, size_before);
    NdIndexStats after = stats_of(ix);
    ck_assert(stats_equal(&before, &after));
    guint64 found = 0;
    GError *error = NULL;
    ck_assert_msg(nd_index_check(ix, &found, &error), "check: %s", error ? error->message : "?");
    ck_assert_uint_eq(found, 0);
    nd_index_close(ix);
    g_autofree char *mode = raw_text(path, "PRAGMA journal_mode");
    ck_assert_str_eq(mode, round == 2 ? "wal" : "delete");
  }
  for (guint i = 0; i < 3; i++)
    g_free(texts[i]);
}
END_TEST

/* A process killed in the middle of an add leaves the index as it was. */
START_TEST(test_killed_writer)
{
  g_autofree char *dir = test_dir("killed");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  char *texts[3] = { gen_article(130, 300), gen_article(131, 300), gen_article(132, 300) };
  const char *ids[] = { "k0", "k1", "k2" };
  add_texts(ix, ids, texts, 3);
  NdIndexStats before = stats_of(ix);
  nd_index_close(ix);
  int ready[2];
  ck_assert_int_eq(pipe(ready), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(ready[0]);
    NdIndex *c = nd_index_open(path, TRUE, NULL);
    if (c == NULL || !nd_index_begin(c, NULL))
      _exit(2);
    for (guint i = 0; i < 40; i++) {
      g_autofree char *id = g_strdup_printf("child%u", i);
      g_autofree char *text = gen_article(200 + i, 300);
      g_autoptr(NdSigner) s = nd_signer_new(nd_index_sign_params(c));
      NdDocument *d = nd_signer_sign(s, id, text, strlen(text), NULL);
      if (d == NULL || !nd_index_add(c, d, NULL))
        _exit(3);
      nd_document_free(d);
    }
    if (!nd_index_remove(c, "k1", NULL))
      _exit(4);
    if (write(ready[1], "x", 1) != 1)
      _exit(5);
    pause();
    _exit(6);
  }
  close(ready[1]);
  char c;
  ck_assert_int_eq(read(ready[0], &c, 1), 1);
  close(ready[0]);
  ck_assert_int_eq(kill(pid, SIGKILL), 0);
  int status = 0;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  for (int writable = 0; writable <= 1; writable++) {
    ix = open_ok(path, writable);
    NdIndexStats after = stats_of(ix);
    ck_assert(stats_equal(&before, &after));
    gsize len;
    g_autofree char *k1 = nd_index_get_text(ix, "k1", &len, NULL);
    ck_assert_ptr_nonnull(k1);
    ck_assert_str_eq(k1, texts[1]);
    nd_index_close(ix);
  }
  /* And it takes writes again at once (no stale lock). */
  ix = open_ok(path, TRUE);
  nd_index_set_busy_timeout(ix, 100);
  begin_ok(ix);
  ck_assert(nd_index_remove(ix, "k0", NULL));
  commit_ok(ix);
  ck_assert_uint_eq(stats_of(ix).articles, 2);
  nd_index_close(ix);
  for (guint i = 0; i < 3; i++)
    g_free(texts[i]);
}
END_TEST

/* A writer thread that keeps adding and removing one article on its own handle. */
typedef struct {
  const char *path;
  const NdDocument *doc;
  gint stop;
  guint cycles;
  gboolean failed;
} Toggler;

static gpointer
toggler_run(gpointer data)
{
  Toggler *t = data;
  NdIndex *w = nd_index_open(t->path, TRUE, NULL);
  if (w == NULL) {
    t->failed = TRUE;
    return NULL;
  }
  while (!g_atomic_int_get(&t->stop)) {
    gboolean ok = nd_index_begin(w, NULL) && nd_index_add(w, t->doc, NULL) && nd_index_commit(w, NULL) &&
                  nd_index_begin(w, NULL) && nd_index_remove(w, t->doc->id, NULL) && nd_index_commit(w, NULL);
    if (!ok) {
      t->failed = TRUE;
      break;
    }
    t->cycles++;
  }
  nd_index_close(w);
  return NULL;
}

/* An index with `n` background articles, and the article that a toggler adds and removes. */
static char *
toggle_index(const char *dir, guint n, char **toggled_text)
{
  char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  begin_ok(ix);
  for (guint i = 0; i < n; i++) {
    g_autofree char *id = g_strdup_printf("bg%u", i);
    g_autofree char *t = gen_article(300 + i, 300);
    g_autoptr(NdDocument) d = sign(ix, id, t, -1);
    add_ok(ix, d);
  }
  commit_ok(ix);
  nd_index_close(ix);
  *toggled_text = gen_article(999, 400);
  return path;
}

/* Stats are one snapshot: a commit by another connection between its counts must not mix two
 * states of the index (articles from one, postings from the other). */
START_TEST(test_stats_snapshot_under_writes)
{
  g_autofree char *dir = test_dir("stats_snapshot");
  g_autofree char *text = NULL;
  g_autofree char *path = toggle_index(dir, 300, &text);
  NdIndex *r = open_ok(path, FALSE);
  g_autoptr(NdDocument) d = sign(r, "toggled", text, -1);
  NdIndexStats base = stats_of(r);
  guint bands = nd_index_lsh_params(r)->bands;
  Toggler t = { path, d, 0, 0, FALSE };
  GThread *th = g_thread_new("toggler", toggler_run, &t);
  guint inconsistent = 0, checks = 0;
  gint64 end = g_get_monotonic_time() + 1500000;
  char first_bad[256] = "";
  while (g_get_monotonic_time() < end) {
    NdIndexStats s = stats_of(r);
    checks++;
    gboolean without = s.articles == base.articles && s.text_bytes == base.text_bytes &&
                       s.band_keys == base.band_keys && s.anchors == base.anchors;
    gboolean with = s.articles == base.articles + 1 && s.text_bytes == base.text_bytes + d->bytes &&
                    s.band_keys == base.band_keys + bands && s.anchors == base.anchors + anchors_of(d);
    if (!without && !with && inconsistent++ == 0)
      g_snprintf(first_bad, sizeof first_bad, "articles %" G_GUINT64_FORMAT ", text_bytes %" G_GUINT64_FORMAT
                 ", band_keys %" G_GUINT64_FORMAT ", anchors %" G_GUINT64_FORMAT, s.articles, s.text_bytes,
                 s.band_keys, s.anchors);
  }
  g_atomic_int_set(&t.stop, 1);
  g_thread_join(th);
  nd_index_close(r);
  ck_assert_msg(!t.failed, "the writer failed");
  ck_assert_msg(t.cycles > 5, "the writer made only %u cycles", t.cycles);
  ck_assert_msg(inconsistent == 0, "%u of %u stats mixed two states of the index (first: %s; base %" G_GUINT64_FORMAT
                " articles)", inconsistent, checks, first_bad, base.articles);
}
END_TEST

/* A query is one snapshot too: an article removed by another connection while the query runs must
 * not turn into a "corrupt" error (its postings read before the removal, its row gone after). */
START_TEST(test_query_snapshot_under_writes)
{
  g_autofree char *dir = test_dir("query_snapshot");
  g_autofree char *text = NULL;
  g_autofree char *path = toggle_index(dir, 300, &text);
  NdIndex *r = open_ok(path, FALSE);
  g_autoptr(NdDocument) d = sign(r, "toggled", text, -1);
  g_autoptr(NdDocument) q = sign(r, "query", text, -1);
  Toggler t = { path, d, 0, 0, FALSE };
  GThread *th = g_thread_new("toggler", toggler_run, &t);
  guint failures = 0, queries = 0, found = 0;
  char first_error[512] = "";
  NdFindOptions o;
  nd_find_options_init(&o);
  gint64 end = g_get_monotonic_time() + 1500000;
  while (g_get_monotonic_time() < end) {
    GError *error = NULL;
    GArray *m = nd_index_query(r, q, &o, &error);
    queries++;
    if (m == NULL) {
      if (failures++ == 0)
        g_snprintf(first_error, sizeof first_error, "%s", error ? error->message : "?");
      g_clear_error(&error);
      continue;
    }
    ck_assert_uint_le(m->len, 1);
    found += m->len;
    g_array_unref(m);
  }
  g_atomic_int_set(&t.stop, 1);
  g_thread_join(th);
  nd_index_close(r);
  ck_assert_msg(!t.failed, "the writer failed");
  ck_assert_msg(t.cycles > 5, "the writer made only %u cycles", t.cycles);
  ck_assert_msg(failures == 0, "%u of %u queries failed while another connection removed an article (first: %s)",
                failures, queries, first_error);
  ck_assert_msg(found > 0 && found < queries, "found the toggled article in %u of %u queries", found, queries);
}
END_TEST

/* ---- groups, dates, bulk matching, segments, browsing, checks (format 4) ---- */

static void
add_entry_ok(NdIndex *ix, const NdDocument *d, guint64 group, gboolean kept, const char *match, const NdDate *date)
{
  NdIndexEntry e = { group, kept, match, match ? 0.8 : 0, match ? 0.9 : 0, date, date ? "a date" : NULL };
  GError *error = NULL;
  ck_assert_msg(nd_index_add_entry(ix, d, &e, &error), "add %s: %s", d->id, error ? error->message : "?");
}

static NdIndexRecord
record_of(NdIndex *ix, const char *id)
{
  NdIndexRecord r;
  GError *error = NULL;
  ck_assert_msg(nd_index_get_record(ix, id, &r, &error), "record %s: %s", id, error ? error->message : "?");
  return r;
}

START_TEST(test_groups)
{
  g_autofree char *dir = test_dir("groups");
  g_autofree char *path = NULL;
  NdIndex *ix = create_default(dir, "ix.db", &path);
  g_autofree char *ta = gen_article(1, 200), *tb = gen_article(2, 200), *tc = gen_article(3, 200);
  g_autofree char *td = gen_article(4, 200), *te = gen_article(5, 200);
  g_autoptr(NdDocument) a = sign(ix, "a", ta, -1);
  g_autoptr(NdDocument) b = sign(ix, "b", tb, -1);
  g_autoptr(NdDocument) c = sign(ix, "c", tc, -1);
  g_autoptr(NdDocument) d = sign(ix, "d", td, -1);
  g_autoptr(NdDocument) e = sign(ix, "e", te, -1);
  guint64 next = 0;
  ck_assert(nd_index_next_group(ix, &next, NULL));
  ck_assert_uint_eq(next, 1);
  NdDate when;
  ck_assert(nd_date_parse("Mon, 05 Jan 2026 10:00:00 +0100", -1, &when, NULL));
  begin_ok(ix);
  add_entry_ok(ix, a, 0, TRUE, NULL, &when); /* group 1, its own */
  add_entry_ok(ix, b, 1, FALSE, "a", NULL);  /* joins group 1 */
  ck_assert(nd_index_next_group(ix, &next, NULL));
  ck_assert_uint_eq(next, 2);
  add_entry_ok(ix, c, 2, FALSE, NULL, NULL); /* a new group numbered by the caller, kept later */
  add_entry_ok(ix, d, 2, TRUE, "c", NULL);
  GError *error = NULL;
  ck_assert(nd_index_next_group(ix, &next, NULL));
  ck_assert_uint_eq(next, 3);
  commit_ok(ix);
  begin_ok(ix); /* an add that adds nothing leaves no trace, not even a batch */
  commit_ok(ix);
  NdIndexRecord ra = record_of(ix, "a"), rb = record_of(ix, "b"), rc = record_of(ix, "c"), rd = record_of(ix, "d");
  ck_assert(ra.kept && !rb.kept && !rc.kept && rd.kept);
  ck_assert_uint_eq(ra.group, 1);
  ck_assert_uint_eq(rb.group, 1);
  ck_assert_uint_eq(rc.group, 2);
  ck_assert_uint_eq(rd.group, 2);
  ck_assert_str_eq(rb.match_id, "a");
  ck_assert(rb.jaccard == 0.8 && rb.containment == 0.9);
  ck_assert_ptr_null(ra.match_id);
  ck_assert(ra.has_date && !rb.has_date);
  ck_assert_int_eq(ra.date_utc, G_GINT64_CONSTANT(1767603600));
  ck_assert_str_eq(ra.date, "a date");
  ck_assert_uint_eq(ra.batch, 1);
  ck_assert_ptr_nonnull(ra.added);
  NdIndexGroup g;
  ck_assert(nd_index_get_group(ix, 2, &g, NULL));
  ck_assert_uint_eq(g.members, 2);
  ck_assert_str_eq(g.kept.id, "d");
  nd_index_group_clear(&g);
  ck_assert(!nd_index_get_group(ix, 9, &g, &error));
  assert_error(error, ND_ERROR_NOT_FOUND, "group 9");
  g_clear_error(&error);
  NdIndexStats s = stats_of(ix);
  ck_assert_uint_eq(s.groups, 2);
  ck_assert_uint_eq(s.batches, 1); /* the empty transaction left no batch */
  /* A batch member becomes the kept article of group 1 (rekeep); a refused entry changes nothing. */
  begin_ok(ix);
  add_entry_ok(ix, e, 1, TRUE, "b", NULL);
  NdIndexEntry nowhere = { 2, FALSE, NULL, 0, 0, NULL, NULL };
  nd_index_remove(ix, "c", NULL);
  nd_index_remove(ix, "d", NULL); /* group 2 is gone now */
  g_autofree char *tf = gen_article(6, 200);
  g_autoptr(NdDocument) f = sign(ix, "f", tf, -1);
  ck_assert(!nd_index_add_entry(ix, f, &nowhere, &error));
  assert_error(error, ND_ERROR_INVALID_ARG, "group 2 is not in the index");
  g_clear_error(&error);
  commit_ok(ix);
  NdIndexRecord ra2 = record_of(ix, "a"), re = record_of(ix, "e");
  ck_assert(!ra2.kept && re.kept);
  ck_assert_uint_eq(re.batch, 2);
  ck_assert(nd_index_get_group(ix, 1, &g, NULL));
  ck_assert_uint_eq(g.members, 3);
  ck_assert_str_eq(g.kept.id, "e");
  nd_index_group_clear(&g);
  /* A new group whose members are all added as dropped has no kept article: the commit fails. */
  begin_ok(ix);
  ck_assert(nd_index_next_group(ix, &next, NULL));
  NdIndexEntry orphan = { next, FALSE, NULL, 0, 0, NULL, NULL };
  ck_assert(nd_index_add_entry(ix, f, &orphan, NULL));
  ck_assert(!nd_index_commit(ix, &error));
  assert_error(error, ND_ERROR_INVALID_ARG, "has no kept article");
  g_clear_error(&error);
  ck_assert_uint_eq(stats_of(ix).articles, 3);
  guint64 problems = 99;
  ck_assert(nd_index_check(ix, &problems, NULL));
  ck_assert_uint_eq(problems, 0);
  NdIndexRecord *all[] = { &ra, &rb, &rc, &rd, &ra2, &re };
  for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
    nd_index_record_clear(all[i]);
  nd_index_close(ix);
}
END_TEST

/* nd_index_match over a batch finds exactly what nd_index_query finds article by article, over
 * several segments (seeks for one article, scans for a batch). */
START_TEST(test_match_equals_query)
{
  g_autofree char *dir = test_dir("match_bulk");
  NdIndex *ix = create_default(dir, "ix.db", NULL);
  enum { N = 120, Q = 60 };
  /* archive: N articles in 4 adds (segments), every 3rd a near-copy of the one before */
  for (guint round = 0; round < 4; round++) {
    begin_ok(ix);
    for (guint i = round * N / 4; i < (round + 1) * N / 4; i++) {
      g_autofree char *t = i % 3 == 2 ? words_text_edited(1000 + i - 1, 300, 0, 300, 12) : words_text(1000 + i, 300, 0, 300);
      g_autofree char *id = g_strdup_printf("arch%03u", i);
      g_autoptr(NdDocument) d = sign(ix, id, t, -1);
      add_ok(ix, d);
    }
    commit_ok(ix);
  }
  NdIndexStats s = stats_of(ix);
  ck_assert_uint_eq(s.articles, N);
  ck_assert_uint_ge(s.band_segments, 1);
  /* queries: edited copies of archived articles, a third of an article inside another, unrelated */
  g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func((GDestroyNotify)nd_document_free);
  for (guint q = 0; q < Q; q++) {
    g_autofree char *t = NULL;
    if (q % 3 == 0)
      t = words_text_edited(1000 + q * 2, 300, 0, 300, 8);
    else if (q % 3 == 1) {
      g_autofree char *part = words_text(1000 + q, 300, 0, 120), *own = words_text(5000 + q, 400, 0, 400);
      t = g_strconcat(own, " ", part, NULL);
    } else
      t = words_text(9000 + q, 300, 0, 300);
    g_autofree char *id = g_strdup_printf("q%02u", q);
    g_ptr_array_add(docs, sign(ix, id, t, -1));
  }
  NdFindOptions o;
  nd_find_options_init(&o);
  o.containment = 0.2;
  GError *error = NULL;
  g_autoptr(GPtrArray) bulk = nd_index_match(ix, (const NdDocument *const *)docs->pdata, docs->len, &o, &error);
  ck_assert_msg(bulk != NULL, "%s", error ? error->message : "?");
  ck_assert_uint_eq(bulk->len, Q);
  guint total = 0;
  for (guint q = 0; q < Q; q++) {
    g_autoptr(GArray) one = query(ix, g_ptr_array_index(docs, q), &o);
    GArray *many = g_ptr_array_index(bulk, q);
    ck_assert_uint_eq(one->len, many->len);
    for (guint k = 0; k < one->len; k++) {
      ck_assert_str_eq(match_at(one, k)->id, match_at(many, k)->id);
      ck_assert(match_at(one, k)->scores.jaccard == match_at(many, k)->scores.jaccard);
      ck_assert_uint_eq(match_at(one, k)->group, match_at(many, k)->group);
      ck_assert(match_at(many, k)->kept);
    }
    total += one->len;
    if (q % 3 != 2)
      ck_assert_msg(one->len >= 1, "query %u found nothing", q);
  }
  ck_assert_uint_gt(total, Q / 2);
  /* The same matches in slices of the batch, whatever the match memory: 16 bytes (a list entry of
   * each kind: every article a slice of its own, one alone over the budget), a few articles a slice,
   * and the default again (0). */
  const gsize memories[] = { 16, 4096, 65536, 0 };
  for (gsize m = 0; m < G_N_ELEMENTS(memories); m++) {
    nd_index_set_match_memory(ix, memories[m]);
    g_autoptr(GPtrArray) sliced = nd_index_match(ix, (const NdDocument *const *)docs->pdata, docs->len, &o, &error);
    ck_assert_msg(sliced != NULL, "%s", error ? error->message : "?");
    ck_assert_uint_eq(sliced->len, Q);
    for (guint q = 0; q < Q; q++) {
      GArray *whole = g_ptr_array_index(bulk, q), *part = g_ptr_array_index(sliced, q);
      ck_assert_msg(whole->len == part->len, "match memory %zu: query %u has %u matches, not %u", memories[m], q,
                    part->len, whole->len);
      for (guint k = 0; k < whole->len; k++) {
        ck_assert_str_eq(match_at(whole, k)->id, match_at(part, k)->id);
        ck_assert(match_at(whole, k)->scores.jaccard == match_at(part, k)->scores.jaccard);
        ck_assert_uint_eq(match_at(whole, k)->group, match_at(part, k)->group);
      }
    }
  }
  nd_index_close(ix);
}
END_TEST

/* Many adds: segments stay few (newer ones merged into the next), every posting stays findable, and
 * the index checks sound after merges and removals. */
START_TEST(test_segments)
{
  g_autofree char *dir = test_dir("segments");
  NdIndex *ix = create_default(dir, "ix.db", NULL);
  enum { ADDS = 13, PER = 6 };
  for (guint k = 0; k < ADDS; k++) {
    begin_ok(ix);
    for (guint i = 0; i < PER; i++) {
      g_autofree char *t = words_text(300 + k * PER + i, 200, 0, 200);
      g_autofree char *id = g_strdup_printf("s%02u-%u", k, i);
      g_autoptr(NdDocument) d = sign(ix, id, t, -1);
      add_ok(ix, d);
    }
    commit_ok(ix);
    NdIndexStats s = stats_of(ix);
    ck_assert_uint_le(s.band_segments, 5);      /* log2(13) + 1 */
    ck_assert_uint_le(s.anchor_segments, 5);
    ck_assert_uint_eq(s.band_keys, (guint64)(k + 1) * PER * nd_index_lsh_params(ix)->bands);
  }
  for (guint k = 0; k < ADDS; k += 4) { /* each finds itself, through any segment */
    g_autofree char *t = words_text(300 + k * PER + 1, 200, 0, 200);
    g_autofree char *id = g_strdup_printf("s%02u-1", k);
    g_autoptr(NdDocument) d = sign(ix, "probe", t, -1);
    g_autoptr(GArray) m = query(ix, d, NULL);
    ck_assert_uint_ge(m->len, 1);
    ck_assert_str_eq(match_at(m, 0)->id, id);
  }
  begin_ok(ix);
  GError *error = NULL;
  ck_assert_msg(nd_index_remove(ix, "s03-1", &error), "%s", error ? error->message : "");
  ck_assert(nd_index_remove(ix, "s12-5", NULL));
  commit_ok(ix);
  guint64 problems = 99;
  ck_assert(nd_index_check(ix, &problems, NULL));
  ck_assert_uint_eq(problems, 0);
  ck_assert_uint_eq(stats_of(ix).band_keys, (guint64)(ADDS * PER - 2) * nd_index_lsh_params(ix)->bands);
  nd_index_close(ix);
}
END_TEST

static gboolean
collect_ids(const NdIndexRecord *r, const char *text, gsize len, gpointer data)
{
  GString *s = data;
  g_string_append_printf(s, "%s%s%s", s->len ? " " : "", r->id, text != NULL && len > 0 ? "+" : "");
  return TRUE;
}

static char *
ids_where(NdIndex *ix, guint64 group, const char *const *conds, gboolean text)
{
  g_autoptr(GPtrArray) c = g_ptr_array_new_with_free_func((GDestroyNotify)nd_index_condition_free);
  for (gsize i = 0; conds && conds[i]; i++) {
    GError *error = NULL;
    NdIndexCondition *x = nd_index_condition_parse(conds[i], &error);
    ck_assert_msg(x != NULL, "%s: %s", conds[i], error ? error->message : "?");
    g_ptr_array_add(c, x);
  }
  GString *s = g_string_new(NULL);
  ck_assert(nd_index_foreach(ix, group, (NdIndexCondition *const *)c->pdata, c->len, text, collect_ids, s, NULL));
  return g_string_free(s, FALSE);
}

#define ck_where(ix, group, text, want, ...)                                                          \
  do {                                                                                                \
    const char *conds_[] = { __VA_ARGS__, NULL };                                                     \
    char *got_ = ids_where(ix, group, conds_, text);                                                  \
    ck_assert_msg(strcmp(got_, want) == 0, "got '%s', want '%s'", got_, want);                         \
    g_free(got_);                                                                                     \
  } while (0)

START_TEST(test_foreach_conditions)
{
  g_autofree char *dir = test_dir("foreach");
  NdIndex *ix = create_default(dir, "ix.db", NULL);
  const char *metas[] = { "{\"outlet\":\"Wire\",\"n\":3,\"flag\":true}", "{\"outlet\":\"Gazette\",\"n\":12}", NULL,
                          "{\"outlet\":\"Wire\",\"n\":\"7\"}" };
  const char *dates[] = { "2026-01-05", "2026-01-05T23:59:59Z", "2026-01-06T00:00:00Z", NULL };
  begin_ok(ix);
  for (guint i = 0; i < 4; i++) {
    g_autofree char *t = gen_article(70 + i, 150);
    g_autofree char *id = g_strdup_printf("m%u", i);
    g_autoptr(NdDocument) d = sign(ix, id, t, -1);
    d->meta = g_strdup(metas[i]);
    NdDate when;
    if (dates[i])
      ck_assert(nd_date_parse(dates[i], -1, &when, NULL));
    add_entry_ok(ix, d, i == 1 ? 1 : 0, i != 1, i == 1 ? "m0" : NULL, dates[i] ? &when : NULL);
  }
  commit_ok(ix);
  ck_where(ix, 0, FALSE, "m0 m1 m2 m3", "id>=m");
  ck_where(ix, 0, FALSE, "m0 m1", "date=2026-01-05");
  ck_where(ix, 0, FALSE, "m2", "date>2026-01-05");
  ck_where(ix, 0, FALSE, "m0", "date<2026-01-05T23:00:00Z");
  ck_where(ix, 0, FALSE, "m0 m1 m2", "date<=2026-01-06");
  ck_where(ix, 0, FALSE, "m2", "date!=2026-01-05");
  ck_where(ix, 0, FALSE, "m0 m3", "outlet=Wire");
  ck_where(ix, 0, FALSE, "m1", "meta.outlet!=Wire");
  ck_where(ix, 0, FALSE, "m1", "n>10");       /* numbers as numbers: 12 > 10, 3 < 10 */
  ck_where(ix, 0, FALSE, "m0 m3", "n<10");    /* "7" reads as a number too */
  ck_where(ix, 0, FALSE, "m0", "flag=true");
  ck_where(ix, 0, FALSE, "m1", "status=dropped");
  ck_where(ix, 0, FALSE, "m0 m1", "group=1");
  ck_where(ix, 1, FALSE, "m0 m1", "batch=1");
  ck_where(ix, 0, FALSE, "m3", "outlet=Wire", "n>5");
  ck_where(ix, 0, FALSE, "", "outlet=Nobody");
  ck_where(ix, 2, TRUE, "m2+", "id=m2");
  GError *error = NULL;
  static const char *const bad[] = { "outlet", "=x", "date>soon", "group=one", "status=maybe", "" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    ck_assert_msg(nd_index_condition_parse(bad[i], &error) == NULL, "'%s' accepted", bad[i]);
    assert_error(error, ND_ERROR_INVALID_ARG, NULL);
    g_clear_error(&error);
  }
  nd_index_close(ix);
}
END_TEST

/* Texts stored by policy: kept ones only (dropped ones keep their shingle keys), or zlib; matching
 * is exact either way. */
START_TEST(test_text_policies)
{
  g_autofree char *dir = test_dir("text_policies");
  for (int k = 0; k < 2; k++) {
    NdSignParams p;
    nd_sign_params_init(&p);
    NdIndexOptions io = { k ? ND_INDEX_TEXT_ALL : ND_INDEX_TEXT_KEPT, k ? ND_INDEX_TEXT_ZLIB : ND_INDEX_TEXT_PLAIN };
    g_autofree char *path = g_build_filename(dir, k ? "zlib.db" : "kept.db", NULL);
    GError *error = NULL;
    NdIndex *ix = nd_index_create_with(path, &p, 0.5, &io, &error);
    ck_assert_msg(ix != NULL, "%s", error ? error->message : "?");
    ck_assert_int_eq(nd_index_options(ix)->text, io.text);
    g_autofree char *ta = words_text(80, 400, 0, 400), *tb = words_text_edited(80, 400, 0, 400, 15);
    g_autoptr(NdDocument) a = sign(ix, "a", ta, -1);
    g_autoptr(NdDocument) b = sign(ix, "b", tb, -1);
    begin_ok(ix);
    add_entry_ok(ix, a, 0, TRUE, NULL, NULL);
    add_entry_ok(ix, b, 1, FALSE, "a", NULL);
    commit_ok(ix);
    nd_index_close(ix);
    ix = open_ok(path, FALSE);
    ck_assert_int_eq(nd_index_options(ix)->text_format, io.text_format);
    gsize len = 0;
    g_autofree char *back = nd_index_get_text(ix, "a", &len, &error);
    ck_assert_msg(back != NULL, "%s", error ? error->message : "?");
    ck_assert_str_eq(back, ta);
    g_autofree char *bb = nd_index_get_text(ix, "b", &len, &error);
    if (k == 0) {
      ck_assert_ptr_null(bb);
      assert_error(error, ND_ERROR_NOT_FOUND, "not stored");
      g_clear_error(&error);
      ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM articles WHERE text IS NULL AND shingles IS NOT NULL"), 1);
    } else {
      ck_assert_str_eq(bb, tb);
      ck_assert_int_lt(raw_int(path, "SELECT length(text) FROM articles WHERE id = 'a'"), (gint64)strlen(ta) * 3 / 4);
      /* the zlib format sqlite3's sqlar_uncompress() reads: uncompress() gives the text back */
      sqlite3 *db = NULL;
      sqlite3_stmt *st = NULL;
      ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
      ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT text, bytes FROM articles WHERE id = 'a'", -1, &st, NULL), SQLITE_OK);
      ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
      uLongf out = (uLongf)sqlite3_column_int64(st, 1);
      g_autofree char *raw = g_malloc(out + 1);
      ck_assert_int_eq(uncompress((Bytef *)raw, &out, sqlite3_column_blob(st, 0), (uLong)sqlite3_column_bytes(st, 0)), Z_OK);
      ck_assert_uint_eq(out, strlen(ta));
      ck_assert(memcmp(raw, ta, out) == 0);
      sqlite3_finalize(st);
      sqlite3_close(db);
    }
    g_autoptr(GArray) m = query(ix, b, NULL);
    ck_assert_uint_eq(m->len, 2);
    ck_assert_ptr_nonnull(find_match(m, "b"));
    ck_assert(find_match(m, "b")->scores.jaccard == 1.0);
    guint64 problems = 99;
    ck_assert(nd_index_check(ix, &problems, NULL));
    ck_assert_uint_eq(problems, 0);
    nd_index_close(ix);
  }
}
END_TEST

static void
count_warning(const GError *problem, gpointer data)
{
  (void)problem;
  ++*(guint *)data;
}

/* nd_index_check finds what is wrong and names it: a group's member count, a posting block, an
 * article without its postings, postings of an article that is not there. */
START_TEST(test_check_finds_damage)
{
  static const char *const damage[] = {
    "UPDATE groups SET members = members + 1",
    "UPDATE band_postings SET data = randomblob(length(data)) WHERE first_key = (SELECT min(first_key) FROM band_postings)",
    "DELETE FROM anchor_postings WHERE first_key = (SELECT max(first_key) FROM anchor_postings)",
    "DELETE FROM articles WHERE id = 'b'",
    "UPDATE segments SET postings = postings + 1 WHERE kind = 0",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(damage); i++) {
    g_autofree char *name = g_strdup_printf("check%zu", i);
    g_autofree char *dir = test_dir(name);
    g_autofree char *path = corruptible_index(dir);
    NdIndex *ix = open_ok(path, FALSE);
    guint64 problems = 99;
    ck_assert(nd_index_check(ix, &problems, NULL));
    ck_assert_uint_eq(problems, 0);
    nd_index_close(ix);
    raw_exec(path, damage[i]);
    ix = open_ok(path, FALSE);
    guint warned = 0;
    nd_index_set_warning_func(ix, count_warning, &warned);
    GError *error = NULL;
    gboolean ran = nd_index_check(ix, &problems, &error);
    if (!ran) { /* a damaged segment row stops the check with an error naming it */
      assert_error(error, ND_ERROR_INDEX, "corrupt");
      g_clear_error(&error);
    } else {
      ck_assert_msg(problems > 0, "damage %zu: no problem found", i);
      ck_assert_uint_ge(warned, problems);
    }
    nd_index_close(ix);
  }
}
END_TEST

START_TEST(test_holds)
{
  g_autofree char *dir = test_dir("holds");
  NdIndex *ix = create_default(dir, "ix.db", NULL);
  g_autofree char *t = gen_article(90, 100), *other = gen_article(91, 100);
  g_autoptr(NdDocument) a = sign(ix, "a", t, -1);
  g_autoptr(NdDocument) a2 = sign(ix, "a", other, -1);
  g_autoptr(NdDocument) z = sign(ix, "z", t, -1);
  begin_ok(ix);
  add_ok(ix, a);
  GError *error = NULL;
  ck_assert(!nd_index_add(ix, a2, &error));
  assert_error(error, ND_ERROR_DUPLICATE_ID, "already in the index");
  g_clear_error(&error);
  commit_ok(ix);
  NdIndexRecord r;
  ck_assert_int_eq(nd_index_holds(ix, a, &r, NULL), 1);
  ck_assert_str_eq(r.id, "a");
  nd_index_record_clear(&r);
  ck_assert_int_eq(nd_index_holds(ix, a2, NULL, &error), -1);
  ck_assert_ptr_null(error);
  ck_assert_int_eq(nd_index_holds(ix, z, NULL, NULL), 0);
  /* Signed without keeping the text (dedup without copies or an add): its hash from signing tells. */
  NdSignParams lean = *nd_index_sign_params(ix);
  lean.keep_text = FALSE;
  g_autoptr(NdSigner) signer = nd_signer_new(&lean);
  g_autoptr(NdDocument) a_lean = nd_signer_sign(signer, "a", t, strlen(t), NULL);
  g_autoptr(NdDocument) a2_lean = nd_signer_sign(signer, "a", other, strlen(other), NULL);
  ck_assert_ptr_null(a_lean->text);
  ck_assert_int_eq(nd_index_holds(ix, a_lean, NULL, NULL), 1);
  ck_assert_int_eq(nd_index_holds(ix, a2_lean, NULL, NULL), -1);
  nd_index_close(ix);
}
END_TEST

START_TEST(test_null_close)
{
  nd_index_close(NULL); /* ignored */
  NdIndexMatch m = { g_strdup("id"), NULL, 0, { 0 }, 0, FALSE };
  nd_index_match_clear(&m);
}
END_TEST

/* ---- the posting tables' flush with a helper thread (src/postings.c) ---- */

/* The rows of the anchor postings and segments tables, in key order, as text. */
static char *
posting_rows(sqlite3 *db)
{
  GString *out = g_string_new(NULL);
  const char *sql[] = { "SELECT seg, first_key, n, hex(data), hash FROM anchor_postings ORDER BY seg, first_key",
                        "SELECT kind, seg, postings, blocks, hash FROM segments ORDER BY kind, seg" };
  for (guint q = 0; q < G_N_ELEMENTS(sql); q++) {
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql[q], -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
      for (int c = 0; c < 5; c++)
        g_string_append_printf(out, "%s%c", (const char *)sqlite3_column_text(st, c), c == 4 ? '\n' : ' ');
    sqlite3_finalize(st);
  }
  return g_string_free(out, FALSE);
}

/* The postings of batch `b` (0 or 1): numbers ascending, keys spread over every bucket, some keys
 * shared by many numbers and some postings given twice. Same seed, same postings. */
static void
add_posting_batch(PostingTable *t, guint b, GHashTable *want)
{
  GRand *r = g_rand_new_with_seed(4242 + b);
  guint32 from = b == 0 ? 1 : 1001, to = b == 0 ? 1000 : 3000; /* the second is larger: it merges the first */
  for (guint32 num = from; num <= to; num++)
    for (guint j = 0; j < 40; j++) {
      guint32 key = j < 30 ? g_rand_int(r) : ((guint32)g_rand_int_range(r, 0, 64) << 26) | 5u; /* 64 shared keys */
      for (guint twice = 0; twice < (j == 7 ? 2u : 1u); twice++)
        ck_assert(posting_table_add(t, key, num, NULL));
      if (want != NULL) {
        GArray *a = g_hash_table_lookup(want, GUINT_TO_POINTER(key));
        if (a == NULL) {
          a = g_array_new(FALSE, FALSE, sizeof(guint32));
          g_hash_table_insert(want, GUINT_TO_POINTER(key), a);
        }
        if (a->len == 0 || g_array_index(a, guint32, a->len - 1) != num)
          g_array_append_val(a, num);
      }
    }
  g_rand_free(r);
}

typedef struct {
  GHashTable *want;
  const guint32 *keys;
  guint lists;
} Expected;

static void
compare_list(gsize k, const guint32 *nums, guint count, gpointer data)
{
  Expected *e = data;
  GArray *a = g_hash_table_lookup(e->want, GUINT_TO_POINTER(e->keys[k]));
  ck_assert_ptr_nonnull(a);
  ck_assert_uint_eq(count, a->len);
  ck_assert(memcmp(nums, a->data, count * sizeof(guint32)) == 0);
  e->lists++;
}

static int
compare_key(gconstpointer x, gconstpointer y)
{
  guint32 a = *(const guint32 *)x, b = *(const guint32 *)y;
  return a < b ? -1 : a > b;
}

/* Flushes with the helper thread (read-ahead 1, 2, 3; spilling or not) write the same rows as the
 * flush in the caller's thread alone, for a first batch (the thread encodes the blocks) and a second
 * that merges the first segment (the thread reads and sorts only); every key's list is as added. */
START_TEST(test_postings_read_ahead)
{
  g_autofree char *dir = test_dir("read_ahead");
  const struct {
    guint read_ahead;
    gsize buffer;
  } configs[] = { { 0, 1u << 23 }, { 0, 5000 }, { 1, 5000 }, { 2, 1u << 23 }, { 3, 777 }, { 1, 1 } };
  char *reference[2] = { NULL, NULL };
  g_autoptr(GHashTable) want = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_array_unref);
  for (guint c = 0; c < G_N_ELEMENTS(configs); c++) {
    g_autofree char *name = g_strdup_printf("p%u.db", c);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, posting_table_schema(1), NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, posting_segments_schema, NULL, NULL, NULL), SQLITE_OK);
    GError *error = NULL;
    PostingTable *t = posting_table_new(db, 1, path, dir, &error);
    ck_assert_msg(t != NULL, "%s", error ? error->message : "");
    posting_table_set_read_ahead(t, configs[c].read_ahead);
    posting_table_set_buffer(t, configs[c].buffer);
    for (guint b = 0; b < 2; b++) {
      ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
      add_posting_batch(t, b, c == 0 ? want : NULL);
      ck_assert_msg(posting_table_flush(t, &error), "%s", error ? error->message : "");
      ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
      g_autofree char *rows = posting_rows(db);
      ck_assert_uint_gt(strlen(rows), 1000);
      if (c == 0)
        reference[b] = g_steal_pointer(&rows);
      else
        ck_assert_msg(strcmp(rows, reference[b]) == 0, "config %u, batch %u: the rows differ from the serial flush", c,
                      b);
    }
    guint64 postings = 0;
    guint segments = 0;
    ck_assert(posting_table_count(t, &postings, &segments, NULL));
    ck_assert_uint_eq(segments, 1); /* the second flush merged the first segment */
    if (c == 0) {                   /* every key's numbers, as added */
      g_autoptr(GArray) keys = g_array_new(FALSE, FALSE, sizeof(guint32));
      guint64 distinct = 0;
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init(&it, want);
      while (g_hash_table_iter_next(&it, &k, &v)) {
        guint32 key = GPOINTER_TO_UINT(k);
        g_array_append_val(keys, key);
        distinct += ((GArray *)v)->len;
      }
      g_array_sort(keys, compare_key);
      ck_assert_uint_eq(postings, distinct);
      Expected e = { want, (const guint32 *)(const void *)keys->data, 0 };
      ck_assert(posting_table_lookup(t, e.keys, keys->len, G_MAXUINT - 1, compare_list, &e, NULL));
      ck_assert_uint_eq(e.lists, keys->len);
    }
    posting_table_free(t);
    sqlite3_close(db);
  }
  g_free(reference[0]);
  g_free(reference[1]);
}
END_TEST

/* An insert that fails half-way through a flush (a trigger refuses the blocks past the middle key)
 * while the helper thread is ahead: the flush stops with the database's error, the thread is
 * joined, nothing is left buffered (ASan: nothing leaked), and the table is as before once rolled
 * back; for the encoding thread (first batch) and the sorting one (a merge). */
START_TEST(test_postings_read_ahead_stops)
{
  g_autofree char *dir = test_dir("read_ahead_stops");
  for (guint read_ahead = 0; read_ahead <= 2; read_ahead++)
    for (guint merge = 0; merge <= 1; merge++) {
      g_autofree char *name = g_strdup_printf("s%u%u.db", read_ahead, merge);
      g_autofree char *path = g_build_filename(dir, name, NULL);
      sqlite3 *db = NULL;
      ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
      ck_assert_int_eq(sqlite3_exec(db, posting_table_schema(1), NULL, NULL, NULL), SQLITE_OK);
      ck_assert_int_eq(sqlite3_exec(db, posting_segments_schema, NULL, NULL, NULL), SQLITE_OK);
      PostingTable *t = posting_table_new(db, 1, path, dir, NULL);
      ck_assert_ptr_nonnull(t);
      posting_table_set_read_ahead(t, read_ahead);
      posting_table_set_buffer(t, 3000);
      GError *error = NULL;
      if (merge) { /* a first segment, which the larger second batch merges */
        ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
        add_posting_batch(t, 0, NULL);
        ck_assert(posting_table_flush(t, NULL));
        ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
      }
      g_autofree char *before = posting_rows(db);
      ck_assert_int_eq(sqlite3_exec(db, "CREATE TRIGGER refuse BEFORE INSERT ON anchor_postings WHEN NEW.first_key > "
                                        "2147483648 BEGIN SELECT RAISE(ABORT, 'planted refusal'); END",
                                    NULL, NULL, NULL),
                       SQLITE_OK);
      ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
      add_posting_batch(t, merge ? 1 : 0, NULL);
      ck_assert(!posting_table_flush(t, &error));
      ck_assert_ptr_nonnull(error);
      ck_assert_msg(strstr(error->message, "planted refusal") != NULL, "%s", error->message);
      g_clear_error(&error);
      ck_assert_uint_eq(posting_table_pending(t), 0);
      ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
      g_autofree char *after = posting_rows(db);
      ck_assert_str_eq(after, before);
      posting_table_free(t);
      sqlite3_close(db);
    }
}
END_TEST

static Suite *
index_suite(void)
{
  Suite *s = suite_create("index");
  TCase *tc = tcase_create("core");
  tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
  tcase_add_test(tc, test_archive_only_params);
  tcase_add_test(tc, test_create_refuses_existing);
  tcase_add_test(tc, test_open_missing);
  tcase_add_test(tc, test_open_not_an_index);
  tcase_add_test(tc, test_open_newer_format);
  tcase_add_loop_test(tc, test_corrupt_header, 0, G_N_ELEMENTS(corrupt_header));
  tcase_add_test(tc, test_corrupt_header_seed);
  tcase_add_test(tc, test_params_roundtrip);
  tcase_add_test(tc, test_add_commit_reopen_stats);
  tcase_add_test(tc, test_add_needs_set_and_text);
  tcase_add_test(tc, test_duplicate_id);
  tcase_add_test(tc, test_rollback);
  tcase_add_test(tc, test_remove);
  tcase_add_test(tc, test_get_text_roundtrip);
  tcase_add_test(tc, test_get_text_corrupt_hash);
  tcase_add_test(tc, test_get_text_corrupt_blob);
  tcase_add_loop_test(tc, test_get_text_corrupt_length, 0, G_N_ELEMENTS(corrupt_length));
  tcase_add_test(tc, test_corrupt_rows);
  tcase_add_test(tc, test_unsorted_keys);
  tcase_add_test(tc, test_page_checksums);
  tcase_add_test(tc, test_schema_refused);
  tcase_add_test(tc, test_forged_metadata);
  tcase_add_test(tc, test_query_identical);
  tcase_add_test(tc, test_query_reused_third);
  tcase_add_test(tc, test_query_unrelated);
  tcase_add_test(tc, test_query_sorted);
  tcase_add_test(tc, test_query_metadata);
  tcase_add_test(tc, test_busy_writer_and_reader);
  tcase_add_test(tc, test_read_only_handle);
  tcase_add_test(tc, test_killed_writer);
  tcase_add_test(tc, test_stats_snapshot_under_writes);
  tcase_add_test(tc, test_query_snapshot_under_writes);
  tcase_add_test(tc, test_groups);
  tcase_add_test(tc, test_match_equals_query);
  tcase_add_test(tc, test_segments);
  tcase_add_test(tc, test_foreach_conditions);
  tcase_add_test(tc, test_text_policies);
  tcase_add_test(tc, test_check_finds_damage);
  tcase_add_test(tc, test_holds);
  tcase_add_test(tc, test_null_close);
  tcase_add_test(tc, test_postings_read_ahead);
  tcase_add_test(tc, test_postings_read_ahead_stops);
  tcase_add_test(tc, test_exclusive);
  suite_add_tcase(s, tc);
  /* 80 MB written and rolled back three times: more than the default 4 s under the sanitizers. */
  TCase *big = tcase_create("exclusive_crash");
  tcase_set_timeout(big, 60);
  tcase_add_unchecked_fixture(big, suite_setup, suite_teardown);
  tcase_add_test(big, test_killed_exclusive_writer);
  suite_add_tcase(s, big);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(index_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
