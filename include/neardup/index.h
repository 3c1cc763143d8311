/* index.h — a persistent archive of every article seen, in groups of near-duplicates, in SQLite: for
 * batch dedup that does not drift, "where did this story come from" queries, and browsing.
 *
 * The index is one SQLite file (WAL mode) that users can also open with sqlite3. Schema, format 4:
 *
 *   meta(key TEXT PRIMARY KEY, value TEXT)   format_version, shingle, num_perm, seed, threshold,
 *                                             bands, rows, anchors ("6x4": words per run x
 *                                             window, score.h), text (all, kept or
 *                                             none: whose texts are stored), text_format (plain or
 *                                             zlib), created
 *   articles(num INTEGER PRIMARY KEY,        internal article number (insertion order)
 *            id TEXT UNIQUE,                  the article id (path or JSON Lines id)
 *            grp, batch INTEGER,              its group, and the add (batch) that archived it
 *            date TEXT, date_utc TEXT,        its publication date as written, and in UTC
 *                                             ("YYYY-MM-DDTHH:MM:SSZ"); NULL when it has none
 *            match_id TEXT,                   the article it joined its group through (its best
 *            match_jaccard, match_containment REAL)  match then) and their scores; NULL: none
 *            bytes, tokens, set_size, n_anchors INTEGER,
 *            text_hash INTEGER,               XXH3-64 of the original text, checked on every read
 *            row_hash INTEGER,                XXH3-64 over every other column but the text
 *            metadata TEXT,                   JSON object of the record's other fields, or NULL
 *            signature BLOB,                  num_perm little-endian uint32 MinHash values
 *            anchors BLOB,                    n_anchors sorted little-endian uint32 passage anchors
 *            shingles BLOB,                   the sorted shingle keys, only when the text is not stored
 *            text BLOB)                       the original text: the bytes themselves when its length
 *                                             is `bytes`, else zlib (the sqlite3 shell reads both:
 *                                             CAST(sqlar_uncompress(text, bytes) AS TEXT)); NULL when
 *                                             not stored
 *   groups(grp INTEGER PRIMARY KEY, kept, members, batch, row_hash)   each group's kept article
 *   batches(batch INTEGER PRIMARY KEY, added TEXT, articles, groups, row_hash)   one row per add
 *   band_postings, anchor_postings(seg, first_key, n, data BLOB, hash)   posting lists of LSH
 *                                             band keys and passage anchors (score.h), as sorted
 *                                             blocks in segments (postings.c); segments(kind, seg,
 *                                             postings, blocks, hash) lists them
 *   index articles_grp ON articles(grp)
 *
 * Signing parameters and the LSH banding are fixed when the index is created and read back on open;
 * matching may use any report thresholds. A match reads only the postings of the articles' own band
 * keys and passage anchors and the rows of their candidates, never the whole index. An archived
 * article's shingle set is signed again from its stored text (or read from `shingles`).
 *
 * What it checks (an index may come from anywhere, and disks flip bits): every page carries a
 * checksum (nd_index_vfs_name), every article, group, batch and segment row and every posting block
 * a hash, blob sizes are checked against the row's numbers before anything is loaded, shingle keys
 * must be strictly increasing, the set signed from a stored text must have the stored size, the
 * schema must be exactly neardup's (no trigger or view; triggers and views are also disabled on the
 * connection, and the schema is untrusted), and an add starts by reading every page of the file and
 * checking its checksum (a corrupt index is never written to). A corrupt row or block is named and skipped by reads
 * (nd_index_set_warning_func), never scored; a page that fails its checksum fails the call with
 * ND_ERROR_INDEX ("corrupt"). nd_index_check reads and checks everything.
 *
 * Transactions: every add (nd_index_begin .. nd_index_commit) is one SQLite transaction, so a process
 * killed at any moment leaves the index as it was before the add or after it. Readers never block
 * (WAL); a second writer waits up to the busy timeout and then fails with ND_ERROR_INDEX_BUSY.
 *
 * Stability: stable (docs/api.md): the calls; NdIndexOptions starts from nd_index_options_init()
 * and only grows at the end; the records the library fills (NdIndexEntry, NdIndexStats,
 * NdIndexMatch, NdIndexRecord, NdIndexGroup) only grow at the end; enums keep their values. The
 * file format has its own version (format_version): a newer library reads older formats or upgrades
 * them (nd_index_upgrade), never silently.
 */
#ifndef NEARDUP_INDEX_H
#define NEARDUP_INDEX_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/collection.h>
#include <neardup/date.h>
#include <neardup/finder.h>
#include <neardup/lsh.h>

ND_BEGIN_DECLS

/* Format 4: groups (every article seen, kept or dropped), dates, posting blocks, texts readable by
 * sqlite3, and passage anchors as postings (winnowed runs of 6 words, score.h: every shared run of 9
 * words finds its archived source). Format 3 (neardup 0.2 with checksums: 1-in-8 samples of word
 * 3-grams), 2 and 1 are refused by nd_index_open with a message; nd_index_upgrade copies one into a
 * new format 4 file, signing its texts again. */
#define ND_INDEX_FORMAT_VERSION 4

typedef struct NdIndex NdIndex;

/* Whose texts an index stores (fixed at creation). An article without its text keeps its shingle
 * keys instead (about 2.8 KB for a 4 KB article), so it is still matched exactly. */
typedef enum { ND_INDEX_TEXT_ALL, ND_INDEX_TEXT_KEPT, ND_INDEX_TEXT_NONE } NdIndexTextPolicy;
/* How texts are stored: the bytes themselves, or zlib (smaller, slower to add). */
typedef enum { ND_INDEX_TEXT_PLAIN, ND_INDEX_TEXT_ZLIB } NdIndexTextFormat;

typedef struct {
  NdIndexTextPolicy text;
  NdIndexTextFormat text_format;
} NdIndexOptions;

/* The defaults: every text, plain. */
void nd_index_options_init(NdIndexOptions *options);

/* The SQLite VFS through which every index is read and written: it keeps a checksum of each page in
 * the page's 8 reserved bytes and fails a read whose page does not match (the index reports it as
 * corrupt). Registered by this call (and by every nd_index_* call that opens a file); a program
 * that must write an index with the sqlite3 API passes this name to sqlite3_open_v2, or the pages it
 * writes fail the check. Reading with plain sqlite3 works. A static string. */
const char *nd_index_vfs_name(void);

/* Creates a new index file at `path` for articles signed with `params`, banded for `threshold`, with
 * `options` (NULL: the defaults). Fails with ND_ERROR_INDEX if the file exists (an index is never
 * overwritten). */
NdIndex *nd_index_create(const char *path, const NdSignParams *params, double threshold, GError **error);
NdIndex *nd_index_create_with(const char *path, const NdSignParams *params, double threshold,
                              const NdIndexOptions *options, GError **error);

/* Opens an existing index. ND_ERROR_NOT_FOUND when there is no such file; ND_ERROR_INDEX when it is
 * not a neardup index, is corrupt, or has another format than this library's (an older one can be
 * upgraded: nd_index_upgrade). */
NdIndex *nd_index_open(const char *path, gboolean writable, GError **error);

/* Closes the index (rolling back an uncommitted add); NULL is ignored. */
void nd_index_close(NdIndex *index);

/* The signing parameters stored in the index (keep_sets and keep_text are TRUE: adds need both). */
const NdSignParams *nd_index_sign_params(const NdIndex *index);
/* Turns off in `params` what an archive does not store — the word keys, boilerplate lines and quoted
 * anchors (collection.h) — for articles that are signed only to be archived (`index add`); articles
 * whose pairs are scored too (`dedup --add`) need them. `params` is changed in place, not NULL. */
void nd_index_archive_only_params(NdSignParams *params);
const NdLshParams *nd_index_lsh_params(const NdIndex *index);
/* The options it was created with. */
const NdIndexOptions *nd_index_options(const NdIndex *index);

/* Receives each problem a read meets and skips: a corrupt row or block (named), or metadata that is
 * not a JSON object (shown as NULL). Without one, problems go to g_warning. */
typedef void (*NdIndexWarningFunc)(const GError *problem, gpointer user_data);
void nd_index_set_warning_func(NdIndex *index, NdIndexWarningFunc func, gpointer user_data);

/* Progress of long steps: `phase` ("writing postings", "matching", "scoring", "checking",
 * "upgrading"), `done` of `total` units (total 0: unknown). Called on the caller's thread. */
typedef void (*NdIndexProgressFunc)(const char *phase, guint64 done, guint64 total, gpointer user_data);
void nd_index_set_progress_func(NdIndex *index, NdIndexProgressFunc func, gpointer user_data);

/* Memory for the posting lists a match gathers (default ND_INDEX_MATCH_MEMORY; 0 restores it). A
 * batch whose lists would take more (one the archive already holds, under other ids: every passage
 * anchor has a list) is matched in slices, each reading the postings again for its own keys; the
 * matches are the same. */
#define ND_INDEX_MATCH_MEMORY ((gsize)128 << 20)
void nd_index_set_match_memory(NdIndex *index, gsize bytes);

/* How long a writer waits for another writer before ND_ERROR_INDEX_BUSY (default 10 000 ms). */
void nd_index_set_busy_timeout(NdIndex *index, guint milliseconds);

/* Whether the next transactions take the index alone (default FALSE; not inside a transaction).
 * A shared transaction writes through SQLite's write-ahead log: other processes go on reading the
 * index as it was before it, and every page is written twice (to the log, then into the file). An
 * exclusive one writes through a rollback journal: pages are written once, which makes a large add
 * about 1.3x faster (docs/archive.md), but no other process can read the index until it ends (they
 * wait their busy timeout, then fail with ND_ERROR_INDEX_BUSY), and nd_index_begin fails with
 * ND_ERROR_INDEX_BUSY while another process has the index open. Crash safety is the same: killed
 * at any moment, the index is left as before the transaction (its journal is rolled back by the
 * next process that opens it, reading or writing). After the transaction the file is back in WAL
 * mode (or, if another process opened it meanwhile, when a writer next opens it). */
void nd_index_set_exclusive(NdIndex *index, gboolean exclusive);

/* Starts an add transaction (waiting for another writer up to the busy timeout); checks the whole
 * file first (every page's checksum; nd_index_check also checks the B-trees). */
gboolean nd_index_begin(NdIndex *index, GError **error);
/* Makes the transaction's adds and removals durable, all or nothing. */
gboolean nd_index_commit(NdIndex *index, GError **error);
void nd_index_rollback(NdIndex *index);

/* The number the next new group gets (inside a transaction: after the groups made so far). */
gboolean nd_index_next_group(NdIndex *index, guint64 *group, GError **error);

/* How an article joins the archive. */
typedef struct {
  guint64 group;          /* 0: a new group of its own (numbered by the index); a number below
                             nd_index_next_group: that archived group; at or above it: a new group
                             the caller numbered (a dedup plan) */
  gboolean kept;          /* the article is (or becomes: rekeep) its group's kept article; the first
                             member of a new group must be added with kept or a later one must */
  const char *match_id;   /* the article it joined through, or NULL */
  double jaccard, containment; /* with it */
  const NdDate *date;     /* its publication date, or NULL */
  const char *date_text;  /* the date as written (NULL: none, or not from text) */
} NdIndexEntry;

/* Adds a document signed with the index's parameters (it must carry `set`, `anchors` and
 * `text`), inside a transaction. ND_ERROR_DUPLICATE_ID when an article with this id is already
 * archived; ND_ERROR_INVALID_ARG for a group that does not exist. */
gboolean nd_index_add_entry(NdIndex *index, const NdDocument *doc, const NdIndexEntry *entry, GError **error);
/* The same as a group of its own, without a date. */
gboolean nd_index_add(NdIndex *index, const NdDocument *doc, GError **error);

/* Removes the article `id`, inside a transaction; ND_ERROR_NOT_FOUND when it is not archived. A
 * group that loses its kept article keeps its first remaining member; an empty group is removed. */
gboolean nd_index_remove(NdIndex *index, const char *id, GError **error);

typedef struct {
  guint64 articles;
  guint64 groups;
  guint64 kept;           /* articles that are their group's kept article */
  guint64 texts;          /* articles whose text is stored */
  guint64 batches;
  guint64 text_bytes;     /* total size of the archived originals */
  guint64 file_bytes;     /* size of the database (pages in use) */
  guint64 band_keys, anchors; /* postings */
  guint band_segments, anchor_segments;
  int format_version;
} NdIndexStats;

gboolean nd_index_stats(NdIndex *index, NdIndexStats *stats, GError **error);

typedef struct {
  char *id;               /* archived article's id; owned */
  char *metadata;         /* its metadata JSON or NULL; owned */
  guint64 bytes;
  NdPair scores;          /* a = the query, b = the archived article (indices unused, 0) */
  guint64 group;          /* the archived article's group */
  gboolean kept;          /* it is its group's kept article */
} NdIndexMatch;

void nd_index_match_clear(NdIndexMatch *match);

/* The archived articles that `doc` (signed with the index's parameters, with its set and anchors)
 * matches: score.h's candidate rule (a shared band or passage anchor) and report rule (without
 * batch word frequencies: near-duplicates and verbatim reuse), best first: by max(jaccard,
 * containments), then id.
 * Returns a GArray of NdIndexMatch (its clear function frees the members). */
GArray *nd_index_query(NdIndex *index, const NdDocument *doc, const NdFindOptions *options, GError **error);

/* The same for many documents at once (a batch against the archive): postings are read once in key
 * order and every candidate row once. Returns a GPtrArray of n GArrays (as nd_index_query's). */
GPtrArray *nd_index_match(NdIndex *index, const NdDocument *const *docs, guint n, const NdFindOptions *options,
                          GError **error);

/* The original text of archived article `id`, checked against its stored hash (ND_ERROR_INDEX on
 * mismatch; ND_ERROR_NOT_FOUND when the article is not archived or its text is not stored).
 * NUL-terminated; caller frees. */
char *nd_index_get_text(NdIndex *index, const char *id, gsize *len, GError **error);

/* An archived article as browsing shows it. */
typedef struct {
  gint64 num;
  char *id;
  guint64 group;
  gboolean kept;          /* its group's kept article */
  guint64 batch;
  char *added;            /* when its batch was added (UTC, ISO 8601) */
  char *date;             /* its date as written, or NULL */
  gboolean has_date;
  gint64 date_utc;        /* when has_date */
  char *match_id;         /* the article it joined through, or NULL */
  double jaccard, containment;
  guint64 bytes, tokens, set_size, n_anchors;
  guint64 text_hash;
  gboolean has_text;
  char *metadata;         /* canonical JSON object, or NULL */
} NdIndexRecord;

void nd_index_record_clear(NdIndexRecord *record);

/* The record of archived article `id`: TRUE and *record, FALSE with ND_ERROR_NOT_FOUND (or another
 * error). */
gboolean nd_index_get_record(NdIndex *index, const char *id, NdIndexRecord *record, GError **error);

/* Whether `doc` is archived: 1 when an article with its id is archived with the same text (compared
 * by the text when `doc` keeps it, else by its text_hash from signing: the same
 * bytes) (its record in *record when record is not NULL; clear it), 0 when the id is not archived, -1
 * when it is archived with another text (*record set too), or on an error (error set). */
int nd_index_holds(NdIndex *index, const NdDocument *doc, NdIndexRecord *record, GError **error);

/* A group: its kept article and size. */
typedef struct {
  guint64 group;
  guint64 members;
  guint64 batch;          /* the add that made it */
  NdIndexRecord kept;     /* its kept article */
} NdIndexGroup;

void nd_index_group_clear(NdIndexGroup *group);
gboolean nd_index_get_group(NdIndex *index, guint64 group, NdIndexGroup *out, GError **error);

/* A condition on archived articles (browsing): FIELD OP VALUE with OP one of = != < <= > >=.
 * FIELD: date (the UTC date; VALUE any date nd_date_parse reads, a day without a time standing for
 * the whole day, so date=2026-03-11 is that day and date<2026-03-11 before it), added (the same, for
 * when it was archived), id, group, batch, status (kept or dropped), or a metadata member (meta.NAME
 * always means the member): compared as numbers when both are numbers, else as text. An article
 * without the field fails the condition. */
typedef struct NdIndexCondition NdIndexCondition;
NdIndexCondition *nd_index_condition_parse(const char *text, GError **error);
void nd_index_condition_free(NdIndexCondition *condition);
gboolean nd_index_condition_test(const NdIndexCondition *condition, const NdIndexRecord *record);

/* Calls func for each archived article (in archive order; only members of `group` when it is
 * nonzero) that passes every condition; func returns FALSE to stop. Corrupt rows are named and
 * skipped. With `text`, func's text argument holds the article's checked text (NULL when it is not
 * stored). */
typedef gboolean (*NdIndexRecordFunc)(const NdIndexRecord *record, const char *text, gsize text_len, gpointer data);
gboolean nd_index_foreach(NdIndex *index, guint64 group, NdIndexCondition *const *conditions, guint n_conditions,
                          gboolean text, NdIndexRecordFunc func, gpointer data, GError **error);

/* Reads and checks everything: PRAGMA integrity_check, every row (hashes, sizes, the set signed from
 * each stored text), every group (its kept article a member, its member count), every posting
 * block, and that each article has exactly its band keys and passage anchors as postings. Each problem
 * goes to the warning function; *problems counts them. FALSE only when the check could not run. */
gboolean nd_index_check(NdIndex *index, guint64 *problems, GError **error);

/* Copies the index at `old_path` (format 1, 2 or 3) into a new format 4 index at `new_path` (never
 * overwritten): the same signing parameters, every article signed again from its stored text, each
 * a group of its own; the date from metadata member `date_field` (NULL: none). Progress and
 * problems go to the functions given (may be NULL). */
gboolean nd_index_upgrade(const char *old_path, const char *new_path, const char *date_field,
                          NdIndexProgressFunc progress, gpointer progress_data, guint64 *articles, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdIndex, nd_index_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdIndexCondition, nd_index_condition_free)

ND_END_DECLS

#endif
