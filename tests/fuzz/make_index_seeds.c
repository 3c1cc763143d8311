/* make_index_seeds.c — writes the seed corpus of fuzz_index: small real indexes of format 4
 * (nd_index_create + nd_index_add_entry: groups, dates, metadata; texts plain, zlib, or not stored)
 * and damaged copies of one, changed through neardup's checksumming VFS so that their pages stay
 * valid and the row, group, batch, segment and posting-block checks are what the fuzzer meets.
 *
 *   make_index_seeds DIR     (DIR must exist; existing seed files are replaced)
 *
 * The real ones are compacted (page size 512, rollback journal) so the fuzzer mutates a few KB, plus
 * one left as the CLI writes it (WAL, 16 KB pages).
 */
#include <neardup/neardup.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <xxhash.h>
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
build(const char *path, const char *spec, guint num_perm, guint64 seed, double threshold, guint n_articles,
      NdIndexTextPolicy text, NdIndexTextFormat format)
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
  NdIndexOptions io = { text, format };
  NdIndex *ix = nd_index_create_with(path, &p, threshold, &io, &error);
  if (ix == NULL)
    die(path, error->message);
  const char *texts[] = { index_seed_text_a1, index_seed_text_a2, index_seed_text_a3, index_seed_text_a4,
                          index_seed_text_a5 };
  NdSigner *signer = nd_signer_new(nd_index_sign_params(ix));
  /* two adds (two batches, two segments): a1 a2 a3, then a4 joining a1's group and a5 */
  for (guint batch = 0; batch < 2; batch++) {
    if (!nd_index_begin(ix, &error))
      die(path, error->message);
    for (guint i = batch ? 3 : 0; i < (batch ? 5 : 3) && i < n_articles; i++) {
      char id[8];
      g_snprintf(id, sizeof id, "a%u", i + 1);
      NdDocument *doc = nd_signer_sign(signer, id, texts[i], strlen(texts[i]), &error);
      if (doc == NULL)
        die(path, error->message);
      NdDate date;
      if (i == 1)
        doc->meta = g_strdup("{\"url\":\"https://example.org/kiev\",\"outlet\":\"Example\",\"date\":\"2024-10-29\"}");
      gboolean dated = i == 1 && nd_date_parse("2024-10-29", -1, &date, NULL);
      NdIndexEntry e = { i == 3 ? 1 : 0, i != 3, i == 3 ? "a1" : NULL, 0.7, 0.8, dated ? &date : NULL,
                         dated ? "2024-10-29" : NULL };
      if (!nd_index_add_entry(ix, doc, &e, &error))
        die(path, error->message);
      nd_document_free(doc);
    }
    if (!nd_index_commit(ix, &error))
      die(path, error->message);
  }
  nd_signer_free(signer);
  nd_index_close(ix);
}

/* Runs SQL on the file through the checksumming VFS (its pages stay valid). */
static void
sql(const char *path, const char *statements)
{
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nd_index_vfs_name()) != SQLITE_OK)
    die(path, sqlite3_errmsg(db));
  char *msg = NULL;
  if (sqlite3_exec(db, statements, NULL, NULL, &msg) != SQLITE_OK)
    die(path, msg ? msg : statements);
  sqlite3_close(db);
}

/* Small pages and a rollback journal: the same index in a few KB. SQLite rewrites the file for a new
 * page size past the page checksums (the VFS sees pages it cannot check), so the file is vacuumed
 * plainly and every page then given its checksum as pagecheck.c computes it: the XXH3-64 of all but
 * the last 8 bytes, stored little-endian in them. */
static void
compact(const char *path)
{
  sqlite3 *db = NULL;
  if (sqlite3_open(path, &db) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;", NULL, NULL, NULL) != SQLITE_OK)
    die(path, sqlite3_errmsg(db));
  sqlite3_close(db);
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &data, &len, NULL) || len % 512 != 0)
    die(path, "cannot read back");
  for (gsize at = 0; at < len; at += 512) {
    guint64 h = GUINT64_TO_LE(XXH3_64bits(data + at, 512 - 8));
    memcpy(data + at + 512 - 8, &h, 8);
  }
  if (!g_file_set_contents(path, data, (gssize)len, NULL))
    die(path, "cannot write back");
}

/* A copy of `base` with `damage` done to it. */
static void
damaged(const char *dir, const char *base, const char *name, const char *damage)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;
  if (!g_file_get_contents(base, &contents, &len, NULL) || !g_file_set_contents(path, contents, (gssize)len, NULL))
    die(path, "copy failed");
  sql(path, damage);
  sql(path, "VACUUM;");
}

int
main(int argc, char **argv)
{
  if (argc != 2)
    die("usage", "make_index_seeds DIR");
  const char *dir = argv[1];
  g_autofree char *base = g_build_filename(dir, "real-words3-5articles.db", NULL);
  build(base, "words:3", 128, 1, 0.5, 5, ND_INDEX_TEXT_ALL, ND_INDEX_TEXT_PLAIN);
  compact(base);
  g_autofree char *empty = g_build_filename(dir, "real-empty.db", NULL);
  build(empty, "words:3", 128, 1, 0.5, 0, ND_INDEX_TEXT_ALL, ND_INDEX_TEXT_PLAIN);
  compact(empty);
  g_autofree char *chars = g_build_filename(dir, "real-chars5-16perm-zlib.db", NULL);
  build(chars, "chars:5", 16, 7, 0.3, 5, ND_INDEX_TEXT_ALL, ND_INDEX_TEXT_ZLIB);
  compact(chars);
  g_autofree char *small = g_build_filename(dir, "real-words1-8perm-no-text.db", NULL);
  build(small, "words:1", 8, 99, 0.8, 5, ND_INDEX_TEXT_NONE, ND_INDEX_TEXT_PLAIN);
  compact(small);
  g_autofree char *kept = g_build_filename(dir, "real-kept-texts.db", NULL);
  build(kept, "words:3", 32, 5, 0.5, 5, ND_INDEX_TEXT_KEPT, ND_INDEX_TEXT_ZLIB);
  compact(kept);
  g_autofree char *wal = g_build_filename(dir, "real-wal-16k-pages.db", NULL);
  build(wal, "words:3", 64, 1, 0.5, 5, ND_INDEX_TEXT_ALL, ND_INDEX_TEXT_PLAIN);

  damaged(dir, base, "bad-ids.db", "UPDATE articles SET id = CAST(x'ff00fe' AS TEXT) WHERE id = 'a1';"
          "UPDATE articles SET metadata = 'not json' WHERE id = 'a2';");
  damaged(dir, base, "bad-columns.db", "UPDATE articles SET bytes = 'x', grp = 2.5 WHERE id = 'a1';"
          "UPDATE articles SET match_jaccard = 'high' WHERE id = 'a4';");
  damaged(dir, base, "bad-blob-lengths.db", "UPDATE articles SET signature = substr(signature, 1, 100) WHERE id = 'a1';"
          "UPDATE articles SET anchors = anchors || x'00' WHERE id = 'a2';"
          "UPDATE articles SET set_size = set_size + 1 WHERE id = 'a3';");
  damaged(dir, base, "bad-texts.db", "UPDATE articles SET text = x'789c00112233445566778899' WHERE id = 'a1';"
          "UPDATE articles SET text_hash = text_hash + 1 WHERE id = 'a2';"
          "UPDATE articles SET text = NULL WHERE id = 'a3';"
          "UPDATE articles SET text = (SELECT text FROM articles WHERE id = 'a5') WHERE id = 'a4';");
  damaged(dir, base, "bad-lengths.db", "UPDATE articles SET bytes = -5 WHERE id = 'a1';"
          "UPDATE articles SET bytes = 0 WHERE id = 'a2'; UPDATE articles SET bytes = bytes * 2000 WHERE id = 'a3';");
  damaged(dir, base, "bad-dates.db", "UPDATE articles SET date_utc = '2024-13-45T99:00:00Z' WHERE id = 'a2';"
          "UPDATE articles SET date_utc = '2024-10-29T00:00:00Z', date = 'x' WHERE id = 'a1';");
  damaged(dir, base, "bad-groups.db", "UPDATE groups SET members = 7 WHERE grp = 1;"
          "UPDATE groups SET kept = 99 WHERE grp = 2; DELETE FROM groups WHERE grp = 3;");
  damaged(dir, base, "bad-batches.db", "UPDATE batches SET added = 'never' WHERE batch = 1; DELETE FROM batches WHERE batch = 2;");
  damaged(dir, base, "bad-postings.db", "UPDATE band_postings SET data = randomblob(length(data)) WHERE seg = "
          "(SELECT min(seg) FROM band_postings);"
          "UPDATE anchor_postings SET n = n + 5, first_key = first_key + 1;"
          "DELETE FROM articles WHERE id = 'a2';");
  damaged(dir, base, "bad-segments.db", "UPDATE segments SET postings = 1000000, blocks = -1 WHERE kind = 0;"
          "INSERT INTO segments VALUES (1, 99, 5, 5, 0);");
  damaged(dir, base, "bad-meta-version.db", "UPDATE meta SET value = '3' WHERE key = 'format_version';");
  damaged(dir, base, "bad-meta-ranges.db", "UPDATE meta SET value = '5000' WHERE key = 'num_perm';"
          "UPDATE meta SET value = '1' WHERE key = 'threshold';");
  damaged(dir, base, "bad-meta-bands.db", "UPDATE meta SET value = '200' WHERE key = 'bands';");
  damaged(dir, base, "bad-meta-values.db", "UPDATE meta SET value = 'maybe' WHERE key = 'text';"
          "UPDATE meta SET value = 'words:0' WHERE key = 'shingle';");
  damaged(dir, base, "bad-meta-missing.db", "DELETE FROM meta WHERE key = 'rows';");
  damaged(dir, base, "bad-meta-nan.db", "UPDATE meta SET value = 'nan' WHERE key = 'threshold';"
          "UPDATE meta SET value = '-1' WHERE key = 'seed';");
  damaged(dir, base, "bad-no-postings.db", "DROP TABLE band_postings;");
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
  sqlite3 *db = NULL;
  if (sqlite3_open(other, &db) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA page_size=512; CREATE TABLE t(x); INSERT INTO t VALUES (1), ('two');", NULL, NULL, NULL) != SQLITE_OK)
    die(other, "write failed");
  sqlite3_close(db);
  return 0;
}
