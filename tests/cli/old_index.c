/* old_index.c — test helper: writes an index in format 3 (neardup 0.2, before groups), the way that
 * version laid it out, so that `neardup index upgrade` and the refusal of older formats are tested
 * without the old program: the format-3 schema, its header, and one row per article with the text
 * raw-deflated and its XXH3 hash (signatures, shingles and postings are left empty: an upgrade
 * signs every article again from its text, and reads nothing else).
 *
 *   old_index DB ID FILE [ID FILE]...
 */
#include <neardup/neardup.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>

static const char schema[] =
  "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE articles(num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL, tokens INTEGER NOT "
  "NULL, set_size INTEGER NOT NULL, n_fingerprints INTEGER NOT NULL, added TEXT NOT NULL, metadata TEXT, signature "
  "BLOB NOT NULL, shingles BLOB NOT NULL, text BLOB NOT NULL, text_hash INTEGER NOT NULL, row_hash INTEGER NOT NULL);"
  "CREATE TABLE band_keys(key INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY(key, num)) WITHOUT ROWID;"
  "CREATE TABLE fingerprints(fp INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY(fp, num)) WITHOUT ROWID;"
  "INSERT INTO meta VALUES ('format_version', '3'), ('shingle', 'words:3'), ('num_perm', '128'), ('seed', '1'),"
  " ('threshold', '0.5'), ('bands', '32'), ('rows', '4'), ('fingerprint_sampling', '8'), ('created', '2025-01-01');";

static int
fail(const char *what, const char *detail)
{
  fprintf(stderr, "old_index: %s: %s\n", what, detail);
  return 1;
}

int
main(int argc, char **argv)
{
  if (argc < 4 || argc % 2 != 0)
    return fail("usage", "old_index DB ID FILE [ID FILE]...");
  sqlite3 *db = NULL;
  int reserve = 8;
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nd_index_vfs_name()) != SQLITE_OK ||
      sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) != SQLITE_OK ||
      sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
    return fail(argv[1], sqlite3_errmsg(db));
  for (int i = 2; i + 1 < argc; i += 2) {
    gchar *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(argv[i + 1], &text, &len, NULL))
      return fail(argv[i + 1], "cannot read");
    /* raw deflate, as format 3 stored texts */
    z_stream z;
    memset(&z, 0, sizeof z);
    uLong bound = compressBound((uLong)len) + 64;
    unsigned char *packed = g_malloc(bound);
    if (deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return fail("deflate", "init");
    z.next_in = (unsigned char *)text;
    z.avail_in = (uInt)len;
    z.next_out = packed;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
      return fail("deflate", argv[i + 1]);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO articles(id, bytes, tokens, set_size, n_fingerprints, added, metadata, signature, "
                       "shingles, text, text_hash, row_hash) VALUES (?, ?, 0, 0, 0, '2025-01-01T00:00:00Z', ?, x'', "
                       "x'', ?, ?, 0)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, argv[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)len);
    char meta[128];
    g_snprintf(meta, sizeof meta, "{\"date\":\"2025-0%d-01\"}", 1 + i / 2 % 9);
    sqlite3_bind_text(st, 3, meta, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, packed, (int)z.total_out, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)XXH3_64bits(text, len));
    if (sqlite3_step(st) != SQLITE_DONE)
      return fail(argv[i], sqlite3_errmsg(db));
    sqlite3_finalize(st);
    deflateEnd(&z);
    g_free(packed);
    g_free(text);
  }
  sqlite3_close(db);
  return 0;
}
