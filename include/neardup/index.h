/* index.h — a persistent archive of signed articles in SQLite, for batch dedup and "where did this
 * story come from" queries against everything archived.
 *
 * The index is one SQLite file (WAL mode) that users can also open with sqlite3. Schema, format 3:
 *
 *   meta(key TEXT PRIMARY KEY, value TEXT)   format_version, shingle, num_perm, seed, threshold,
 *                                             bands, rows, fingerprint_sampling, created
 *   articles(num INTEGER PRIMARY KEY,        internal article number
 *            id TEXT UNIQUE,                  the article id (path or JSON Lines id)
 *            bytes, tokens, set_size, n_fingerprints INTEGER,
 *            added TEXT,                      UTC time of the add (ISO 8601)
 *            metadata TEXT,                   JSON object of the record's other fields, or NULL
 *            signature BLOB,                  num_perm little-endian uint32 MinHash values
 *            shingles BLOB,                   set_size sorted little-endian uint32 shingle keys
 *            text BLOB,                       the original text, raw deflate (zlib)
 *            text_hash INTEGER,               XXH3-64 of the original text, checked on every read
 *            row_hash INTEGER)                XXH3-64 over id, metadata, sizes, text_hash, signature and
 *                                             shingles, checked before a row is scored
 *   band_keys(key INTEGER, num INTEGER)       LSH band keys (lsh.h), WITHOUT ROWID, key first
 *   fingerprints(fp INTEGER, num INTEGER)     containment fingerprints (finder.h), WITHOUT ROWID
 *
 * Signing parameters and the LSH banding are fixed when the index is created and read back on open;
 * queries may use any report thresholds. A query reads only the postings of its own band keys and
 * fingerprints and the rows of its candidates, never the whole index.
 *
 * What it checks (an index may come from anywhere, and disks flip bits): every page carries a
 * checksum (nd_index_vfs_name), every row its row_hash, blob sizes are checked against the row's
 * numbers before anything is loaded, shingle keys must be strictly increasing, the schema must be
 * exactly neardup's (no trigger or view; triggers and views are also disabled on the connection,
 * and the schema is untrusted), and an add starts with PRAGMA quick_check (a corrupt index is never
 * written to). A corrupt row is named and skipped by queries (nd_index_set_warning_func), never
 * scored; a page that fails its checksum fails the call with ND_ERROR_INDEX ("corrupt").
 *
 * Transactions: every add (nd_index_begin .. nd_index_commit) is one SQLite transaction, so a process
 * killed at any moment leaves the index as it was before the add or after it. Readers never block
 * (WAL); a second writer waits up to the busy timeout and then fails with ND_ERROR_INDEX_BUSY.
 */
#ifndef NEARDUP_INDEX_H
#define NEARDUP_INDEX_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/collection.h>
#include <neardup/finder.h>
#include <neardup/lsh.h>

ND_BEGIN_DECLS

/* Format 3: every page carries a checksum and every article row a row_hash. Format 2 (neardup 0.2)
 * had neither; format 1 held signatures of an older token hash. Older formats are refused with a
 * message saying so. */
#define ND_INDEX_FORMAT_VERSION 3

typedef struct NdIndex NdIndex;

/* The SQLite VFS through which every index is read and written: it keeps a checksum of each page in
 * the page's 8 reserved bytes and fails a read whose page does not match (the index reports it as
 * corrupt). Registered by this call (and by every nd_index_* call that opens a file); a program
 * that must write an index with the sqlite3 API passes this name to sqlite3_open_v2, or the pages it
 * writes fail the check. Reading with plain sqlite3 works. A static string. */
const char *nd_index_vfs_name(void);

/* Creates a new index file at `path` for articles signed with `params`, banded for `threshold`.
 * Fails with ND_ERROR_INDEX if the file exists (an index is never overwritten). */
NdIndex *nd_index_create(const char *path, const NdSignParams *params, double threshold, GError **error);

/* Opens an existing index. ND_ERROR_NOT_FOUND when there is no such file; ND_ERROR_INDEX when it is
 * not a neardup index, is corrupt, or has a newer format than this library. */
NdIndex *nd_index_open(const char *path, gboolean writable, GError **error);

/* Closes the index (rolling back an uncommitted add); NULL is ignored. */
void nd_index_close(NdIndex *index);

/* The signing parameters stored in the index (keep_sets and keep_text are TRUE: adds need both). */
const NdSignParams *nd_index_sign_params(const NdIndex *index);
const NdLshParams *nd_index_lsh_params(const NdIndex *index);

/* Receives each problem a query meets and skips: a corrupt article row (named by its number and id)
 * or metadata that is not a JSON object (shown as NULL). Without one, problems go to g_warning. */
typedef void (*NdIndexWarningFunc)(const GError *problem, gpointer user_data);
void nd_index_set_warning_func(NdIndex *index, NdIndexWarningFunc func, gpointer user_data);

/* How long a writer waits for another writer before ND_ERROR_INDEX_BUSY (default 10 000 ms). */
void nd_index_set_busy_timeout(NdIndex *index, guint milliseconds);

/* Starts an add transaction (waiting for another writer up to the busy timeout). */
gboolean nd_index_begin(NdIndex *index, GError **error);
/* Makes the transaction's adds and removals durable, all or nothing. */
gboolean nd_index_commit(NdIndex *index, GError **error);
void nd_index_rollback(NdIndex *index);

/* Adds a document signed with the index's parameters (it must carry `set` and `text`), inside a
 * transaction. ND_ERROR_DUPLICATE_ID when an article with this id is already archived. */
gboolean nd_index_add(NdIndex *index, const NdDocument *doc, GError **error);

/* Removes the article `id`, inside a transaction; ND_ERROR_NOT_FOUND when it is not archived. */
gboolean nd_index_remove(NdIndex *index, const char *id, GError **error);

typedef struct {
  guint64 articles;
  guint64 text_bytes;     /* total size of the archived originals */
  guint64 file_bytes;     /* size of the database (pages in use) */
  guint64 band_keys, fingerprints;
  int format_version;
} NdIndexStats;

gboolean nd_index_stats(NdIndex *index, NdIndexStats *stats, GError **error);

typedef struct {
  char *id;               /* archived article's id; owned */
  char *metadata;         /* its metadata JSON or NULL; owned */
  guint64 bytes;
  NdPair scores;          /* a = the query, b = the archived article (indices unused, 0) */
} NdIndexMatch;

void nd_index_match_clear(NdIndexMatch *match);

/* The archived articles that `doc` (signed with the index's parameters, with its set) matches under
 * the report rule of `options` (finder.h), best first: by max(jaccard, containments), then id.
 * Returns a GArray of NdIndexMatch (its clear function frees the members). */
GArray *nd_index_query(NdIndex *index, const NdDocument *doc, const NdFindOptions *options, GError **error);

/* The original text of archived article `id`, decompressed and checked against its stored hash
 * (ND_ERROR_INDEX on mismatch). NUL-terminated; caller frees. */
char *nd_index_get_text(NdIndex *index, const char *id, gsize *len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdIndex, nd_index_close)

ND_END_DECLS

#endif
