/* index.h — a persistent archive of signed articles in SQLite, for batch dedup and "where did this
 * story come from" queries against everything archived.
 *
 * The index is one SQLite file (WAL mode) that users can also open with sqlite3. Schema, format 3:
 *
 *   meta(key TEXT PRIMARY KEY, value TEXT)   format_version, shingle, num_perm, seed, threshold,
 *                                             bands, rows, anchors ("6x4": words per run x window), created
 *   articles(num INTEGER PRIMARY KEY,        internal article number
 *            id TEXT UNIQUE,                  the article id (path or JSON Lines id)
 *            bytes, tokens, set_size, n_anchors INTEGER,
 *            added TEXT,                      UTC time of the add (ISO 8601)
 *            metadata TEXT,                   JSON object of the record's other fields, or NULL
 *            signature BLOB,                  num_perm little-endian uint32 MinHash values
 *            shingles BLOB,                   set_size sorted little-endian uint32 shingle keys
 *            anchors BLOB,                    n_anchors sorted little-endian uint32 passage anchors
 *            text BLOB,                       the original text, raw deflate (zlib)
 *            text_hash INTEGER)               XXH3-64 of the original text, checked on every read
 *   band_keys(key INTEGER, num INTEGER)       LSH band keys (lsh.h), WITHOUT ROWID, key first
 *   fingerprints(fp INTEGER, num INTEGER)     passage anchors (score.h), WITHOUT ROWID, key first
 *
 * Signing parameters and the LSH banding are fixed when the index is created and read back on open;
 * queries may use any report thresholds. A query reads only the postings of its own band keys and
 * fingerprints and the rows of its candidates, never the whole index.
 *
 * Transactions: every add (nd_index_begin .. nd_index_commit) is one SQLite transaction, so a process
 * killed at any moment leaves the index as it was before the add or after it. Readers never block
 * (WAL); a second writer waits up to the busy timeout and then fails with ND_ERROR_INDEX_BUSY.
 */
#ifndef NEARDUP_INDEX_H
#define NEARDUP_INDEX_H

#include <glib.h>
#include <neardup/collection.h>
#include <neardup/finder.h>
#include <neardup/lsh.h>

G_BEGIN_DECLS

/* Format 3: the postings are passage anchors (winnowed runs of 6 words, score.h), every shared run of 9
 * words finds its archived source. Format 2 indexes (neardup 0.2) hold 1-in-8 samples of word 3-grams
 * instead; format 1 indexes signatures of an older token hash. Both are refused with a message to
 * rebuild the index (their texts are archived, but re-signing them is an explicit step). */
#define ND_INDEX_FORMAT_VERSION 3

typedef struct NdIndex NdIndex;

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

/* The archived articles that `doc` (signed with the index's parameters, with its set and anchors)
 * matches: score.h's candidate rule (a shared band or passage anchor) and report rule (without
 * batch word frequencies: near-duplicates and verbatim reuse), best first: by max(jaccard,
 * containments), then id.
 * Returns a GArray of NdIndexMatch (its clear function frees the members). */
GArray *nd_index_query(NdIndex *index, const NdDocument *doc, const NdFindOptions *options, GError **error);

/* The original text of archived article `id`, decompressed and checked against its stored hash
 * (ND_ERROR_INDEX on mismatch). NUL-terminated; caller frees. */
char *nd_index_get_text(NdIndex *index, const char *id, gsize *len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdIndex, nd_index_close)

G_END_DECLS

#endif
