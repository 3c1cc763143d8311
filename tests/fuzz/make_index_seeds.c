/* make_index_seeds.c — writes the seed corpus of fuzz_index: small real indexes (nd_index_create +
 * nd_index_add) and damaged copies of one, made with SQLite directly.
 *
 *   make_index_seeds DIR     (DIR must exist; existing seed files are replaced)
 *
 * The real ones are compacted (page size 512, rollback journal) so the fuzzer mutates a few KB, plus
 * one left as the CLI writes it (WAL, 4 KB pages). The damaged ones hold what a corrupt or hostile
 * file can: rows with NULL or integer ids, blobs of the wrong length, unsorted shingle sets, texts
 * that are not deflate data or do not match their hash, postings to missing rows, and headers with
 * missing or out-of-range parameters.
 */
#include <neardup/neardup.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "index_seed_texts.h"

static void
die(const char *what, const char *detail)
{
  fprintf(stderr, "make_index_seeds: %s: %s\n", what, detail);
  exit(1);
}

static void
build(const char *path, const char *spec, guint num_perm, guint64 seed, double threshold, guint n_articles)
{
  g_unlink(path);
  NdSignParams p;
  nd_sign_params_init(&p);
  p.num_perm = num_perm;
  p.seed = seed;
  p.keep_text = TRUE;
  GError *error = NULL;
  if (!nd_shingle_spec_parse(spec, &p.shingle, &error))
    die(path, error->message);
  NdIndex *ix = nd_index_create(path, &p, threshold, &error);
  if (ix == NULL)
    die(path, error->message);
  const char *texts[] = { index_seed_text_a1, index_seed_text_a2, index_seed_text_a3, index_seed_text_a4,
                          index_seed_text_a5 };
  NdSigner *signer = nd_signer_new(nd_index_sign_params(ix));
  if (!nd_index_begin(ix, &error))
    die(path, error->message);
  for (guint i = 0; i < n_articles && i < G_N_ELEMENTS(texts); i++) {
    char id[8];
    g_snprintf(id, sizeof id, "a%u", i + 1);
    NdDocument *doc = nd_signer_sign(signer, id, texts[i], strlen(texts[i]), &error);
    if (doc == NULL)
      die(path, error->message);
    if (i == 1)
      doc->meta = g_strdup("{\"url\":\"https://example.org/kiev\",\"outlet\":\"Example\",\"date\":\"2024-10-29\"}");
    if (!nd_index_add(ix, doc, &error))
      die(path, error->message);
    nd_document_free(doc);
  }
  if (!nd_index_commit(ix, &error))
    die(path, error->message);
  nd_signer_free(signer);
  nd_index_close(ix);
}

static void
sql(const char *path, const char *statements)
{
  sqlite3 *db = NULL;
  if (sqlite3_open(path, &db) != SQLITE_OK)
    die(path, sqlite3_errmsg(db));
  char *msg = NULL;
  if (sqlite3_exec(db, statements, NULL, NULL, &msg) != SQLITE_OK)
    die(path, msg ? msg : statements);
  sqlite3_close(db);
}

/* Small pages and a rollback journal: the same index in a few KB. */
static void
compact(const char *path)
{
  sql(path, "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;");
}

/* A copy of `base` whose tables have no constraints (so that rows can hold anything), then `damage`. */
static void
damaged(const char *dir, const char *base, const char *name, const char *damage)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_unlink(path);
  sqlite3 *db = NULL;
  if (sqlite3_open(path, &db) != SQLITE_OK)
    die(path, sqlite3_errmsg(db));
  sqlite3_close(db);
  char *attach = sqlite3_mprintf(
    "PRAGMA page_size=512; ATTACH %Q AS good;"
    "CREATE TABLE meta(key, value);"
    "CREATE TABLE articles(num INTEGER PRIMARY KEY, id, bytes, tokens, set_size, n_anchors, added, metadata,"
    " signature, shingles, anchors, text, text_hash);"
    "CREATE TABLE band_keys(key, num, PRIMARY KEY(key, num)) WITHOUT ROWID;"
    "CREATE TABLE fingerprints(fp, num, PRIMARY KEY(fp, num)) WITHOUT ROWID;"
    "INSERT INTO meta SELECT * FROM good.meta; INSERT INTO articles SELECT * FROM good.articles;"
    "INSERT INTO band_keys SELECT * FROM good.band_keys; INSERT INTO fingerprints SELECT * FROM good.fingerprints;"
    "DETACH good;", base);
  sql(path, attach);
  sqlite3_free(attach);
  sql(path, damage);
  sql(path, "VACUUM;");
}

int
main(int argc, char **argv)
{
  if (argc != 2)
    die("usage", "make_index_seeds DIR");
  const char *dir = argv[1];
  g_autofree char *base = g_build_filename(dir, "real-words3-3articles.db", NULL);
  build(base, "words:3", 128, 1, 0.5, 3);
  compact(base);
  g_autofree char *empty = g_build_filename(dir, "real-empty.db", NULL);
  build(empty, "words:3", 128, 1, 0.5, 0);
  compact(empty);
  g_autofree char *chars = g_build_filename(dir, "real-chars5-16perm.db", NULL);
  build(chars, "chars:5", 16, 7, 0.3, 5);
  compact(chars);
  g_autofree char *small = g_build_filename(dir, "real-words1-8perm.db", NULL);
  build(small, "words:1", 8, 99, 0.8, 5);
  compact(small);
  g_autofree char *wal = g_build_filename(dir, "real-wal-4k-pages.db", NULL);
  build(wal, "words:3", 64, 1, 0.5, 5);

  damaged(dir, base, "bad-null-ids.db", "UPDATE articles SET id = NULL WHERE id = 'a1';"
          "UPDATE articles SET id = 42, metadata = x'ff00fe' WHERE id = 'a2';");
  damaged(dir, base, "bad-null-columns.db", "UPDATE articles SET signature = NULL, shingles = NULL, text = NULL,"
          " text_hash = NULL, bytes = NULL, set_size = NULL WHERE id = 'a1';"
          "UPDATE articles SET metadata = 'not json', tokens = 'x' WHERE id = 'a2';");
  damaged(dir, base, "bad-blob-lengths.db", "UPDATE articles SET signature = substr(signature, 1, 100) WHERE id = 'a1';"
          "UPDATE articles SET shingles = shingles || x'00' WHERE id = 'a2';"
          "UPDATE articles SET set_size = set_size + 1 WHERE id = 'a3';");
  damaged(dir, base, "bad-anchors.db", "UPDATE articles SET anchors = substr(anchors, 1, 7) WHERE id = 'a1';"
          "UPDATE articles SET anchors = NULL, n_anchors = -3 WHERE id = 'a2';");
  damaged(dir, base, "bad-set-order.db", "UPDATE articles SET shingles = x'ffffffff0000000001000000010000000100000000000000'"
          ", set_size = 6 WHERE id = 'a1';");
  damaged(dir, base, "bad-texts.db", "UPDATE articles SET text = x'00112233445566778899' WHERE id = 'a1';"
          "UPDATE articles SET text_hash = text_hash + 1 WHERE id = 'a2';"
          "UPDATE articles SET text = 'plain text, not deflate', bytes = 23 WHERE id = 'a3';");
  damaged(dir, base, "bad-lengths.db", "UPDATE articles SET bytes = -5 WHERE id = 'a1';"
          "UPDATE articles SET bytes = 0 WHERE id = 'a2'; UPDATE articles SET bytes = bytes * 2 WHERE id = 'a3';");
  damaged(dir, base, "bad-postings.db", "UPDATE band_keys SET num = num + 100 WHERE key % 2 = 0;"
          "INSERT INTO fingerprints VALUES (8, 999), (16, -1), (24, 'x');"
          "DELETE FROM articles WHERE id = 'a2';");
  damaged(dir, base, "bad-meta-version.db", "UPDATE meta SET value = '2' WHERE key = 'format_version';");
  damaged(dir, base, "bad-meta-anchors.db", "UPDATE meta SET value = '6x5' WHERE key = 'anchors';");
  damaged(dir, base, "bad-meta-ranges.db", "UPDATE meta SET value = '5000' WHERE key = 'num_perm';"
          "UPDATE meta SET value = '1' WHERE key = 'threshold';");
  damaged(dir, base, "bad-meta-bands.db", "UPDATE meta SET value = '200' WHERE key = 'bands';");
  damaged(dir, base, "bad-meta-values.db", "UPDATE meta SET value = NULL WHERE key = 'seed';"
          "UPDATE meta SET value = 'words:0' WHERE key = 'shingle';");
  damaged(dir, base, "bad-meta-missing.db", "DELETE FROM meta WHERE key = 'rows';");
  damaged(dir, base, "bad-meta-types.db", "UPDATE meta SET value = 128 WHERE key = 'num_perm';"
          "UPDATE meta SET value = x'3132' WHERE key = 'bands';"
          "UPDATE meta SET value = ' 0.5' WHERE key = 'threshold';");
  damaged(dir, base, "bad-meta-nan.db", "UPDATE meta SET value = 'nan' WHERE key = 'threshold';"
          "UPDATE meta SET value = '-1' WHERE key = 'seed';");
  damaged(dir, base, "bad-no-postings.db", "DROP TABLE band_keys; DROP TABLE fingerprints;");
  damaged(dir, base, "bad-no-meta.db", "DROP TABLE meta;");

  g_autofree char *notdb = g_build_filename(dir, "not-sqlite.db", NULL);
  static const char junk[] = "SQLite format 3\0this is not really a database file, only its magic string";
  if (!g_file_set_contents(notdb, junk, sizeof junk - 1, NULL))
    die(notdb, "write failed");
  g_autofree char *zero = g_build_filename(dir, "empty-file.db", NULL);
  if (!g_file_set_contents(zero, "", 0, NULL))
    die(zero, "write failed");
  g_autofree char *other = g_build_filename(dir, "other-sqlite.db", NULL);
  g_unlink(other);
  sql(other, "PRAGMA page_size=512; CREATE TABLE t(x); INSERT INTO t VALUES (1), ('two');");
  return 0;
}
