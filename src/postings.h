/* postings.h — private: the archive's posting lists (key -> article numbers) as sorted blocks in an
 * SQLite table, written in bulk (see postings.c for the design and the block format).
 *
 * One PostingTable serves one table (LSH band keys, or passage anchors (score.h)) of an open
 * database; the caller owns the connection and its transactions. Keys and article numbers are
 * 32-bit. All functions report database problems with
 * ND_ERROR_INDEX (or ND_ERROR_INDEX_BUSY) naming `path`; a block that fails its checks is passed to
 * the warning function and skipped, never decoded into postings.
 */
#ifndef NEARDUP_POSTINGS_H
#define NEARDUP_POSTINGS_H

#include <glib.h>
#include <sqlite3.h>

typedef struct PostingTable PostingTable;

/* Called for each corrupt block met (a description naming the table, segment and first key). */
typedef void (*PostingWarnFunc)(const char *problem, gpointer data);
/* Progress of a long step: `done` of `total` postings. */
typedef void (*PostingProgressFunc)(guint64 done, guint64 total, gpointer data);

/* The SQL that creates the table named `name` (static strings; the schema check compares them). */
const char *posting_table_schema(int which);
#define POSTING_BANDS 0
#define POSTING_ANCHORS 1
const char *posting_table_name(int which);
/* The SQL of the segments table shared by both. */
extern const char posting_segments_schema[];

/* A table of `db` (borrowed). Temporary run files go to `tmp_dir` (the index's directory). `path`
 * names the index in messages. NULL with an error when a statement cannot be prepared. */
PostingTable *posting_table_new(sqlite3 *db, int which, const char *path, const char *tmp_dir, GError **error);
void posting_table_free(PostingTable *t); /* NULL is ignored; discards what is buffered */
void posting_table_set_warning(PostingTable *t, PostingWarnFunc func, gpointer data);
void posting_table_set_progress(PostingTable *t, PostingProgressFunc func, gpointer data);

/* How many buckets a flush's helper thread may prepare ahead of the inserts (default 2 with more
 * than one processor, else 0); 0 flushes in the caller's thread alone. The rows written are the same
 * either way (tests compare them). */
void posting_table_set_read_ahead(PostingTable *t, guint buckets);
/* How many postings are held in memory before they are spilled to the temporary file (default
 * 8 Mi); smaller values let tests reach the spill and read-back paths. */
void posting_table_set_buffer(PostingTable *t, gsize postings);

/* Buffers a posting; sorted runs go to a temporary file when the buffer is full. FALSE with
 * ND_ERROR_IO when a run cannot be written. */
gboolean posting_table_add(PostingTable *t, guint32 key, guint32 num, GError **error);
/* Postings buffered and not yet in the table. */
guint64 posting_table_pending(const PostingTable *t);
/* Writes everything buffered as one new segment, merged with the newest segments that are not
 * larger than what is merged so far (so there are about log2(postings/run) segments). Inside the
 * caller's write transaction. */
gboolean posting_table_flush(PostingTable *t, GError **error);
/* Forgets what is buffered (the caller rolls its transaction back). */
void posting_table_discard(PostingTable *t);

/* Removes one posting from whichever segment holds it (inside a write transaction; the buffer must
 * be flushed). *found tells whether it was there. */
gboolean posting_table_remove(PostingTable *t, guint32 key, guint32 num, gboolean *found, GError **error);

/* For each of the sorted, distinct `keys`, the article numbers of all segments (the buffer must be
 * empty): func(k, nums, count) with the numbers ascending, or with nums NULL when there are more
 * than `max_list` (boilerplate: only the count is given, as max_list + 1). Keys without postings are
 * not reported. Reads blocks by seeking when the keys are few, by scanning a segment when they are
 * many. */
typedef void (*PostingListFunc)(gsize k, const guint32 *nums, guint count, gpointer data);
gboolean posting_table_lookup(PostingTable *t, const guint32 *keys, gsize n_keys, guint max_list, PostingListFunc func,
                              gpointer data, GError **error);

/* The postings stored (the segments' counts) and the segments. */
gboolean posting_table_count(PostingTable *t, guint64 *postings, guint *segments, GError **error);

/* Reads every block: decodes and checks it, and adds 1 to per_num[num] for each posting (nums
 * beyond n_nums, or out of order, are problems). Problems go to the warning function and are
 * counted in *problems. */
gboolean posting_table_check(PostingTable *t, guint32 *per_num, gsize n_nums, guint64 *problems, GError **error);

#endif
