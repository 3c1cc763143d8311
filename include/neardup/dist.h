/* dist.h — one batch run over the ranks of an MPI job (mpirun/srun), with the output of one process.
 *
 * Present only in builds with NEARDUP_MPI (CMake finds Open MPI; NEARDUP_HAVE_MPI is then defined for
 * the tool). The library hides MPI: no MPI type appears here, and everything runs on MPI_COMM_WORLD.
 *
 * The work is split where it is heavy and embarrassingly parallel: reading, parsing and signing.
 * Each rank loads its share of the inputs (input.h: its byte range of the JSON Lines files and
 * .warc.gz named as inputs, nd_input_range_plan; of the other items, nd_loader_set_share: blocks of
 * 64 in input order, dealt out in turn), encodes every signed document with its item number and input
 * name into a buffer (the wire form below), and the ranks send their buffers to rank 0 in bounded
 * chunks. Rank 0 merges the documents in item order into its collection — the same documents in
 * the same order as one process would add, so the candidate search, the scores, the clusters and
 * every byte of the output are those of a one-process run. The candidate search then runs over
 * the ranks (nd_dist_find_pairs, below: the one-process rules applied where the keys meet), and a
 * lean run is verified where its documents are; rank 0 clusters and writes the output. See
 * docs/mpi.md for the measurements and for what is left on rank 0.
 *
 * Wire form: native byte order and word size (the ranks of a job run one build on one kind of
 * machine); per document a little over the memory it takes: about 6 KB with shingle sets, more
 * with texts kept (--passages); about 1.5 KB when the run will be lean (nd_dist_share_set_lean_after:
 * the same form, without the fields a lean document has dropped).
 *
 * Stability: experimental (docs/api.md): may change in any version.
 */
#ifndef NEARDUP_DIST_H
#define NEARDUP_DIST_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/collection.h>
#include <neardup/input.h>
#include <neardup/lsh.h>
#include <neardup/finder.h>

ND_BEGIN_DECLS

/* Starts MPI (thread level FUNNELED: the loader's worker threads never call MPI). Call once, from
 * the main thread, before any other nd_dist_ call; FALSE with ND_ERROR_IO when MPI cannot start. */
gboolean nd_dist_init(int *argc, char ***argv, GError **error);
/* Ends MPI after nd_dist_init (waits for every rank); nothing otherwise. */
void nd_dist_finalize(void);
/* Ends every rank of the job at once with `code` (after nd_dist_init; otherwise exit(code)). */
void nd_dist_abort(int code) G_GNUC_NORETURN;

/* This process's rank and the number of ranks: 0 and 1 without nd_dist_init. */
guint nd_dist_rank(void);
guint nd_dist_size(void);

/* The number of ranks on this machine (sharing its memory), this one included; 1 without MPI. A
 * collective call. */
guint nd_dist_local_size(void);

/* Waits until every rank has called it, sleeping meanwhile rather than polling (Open MPI's blocking
 * calls keep a core busy, which the ranks still signing on the machine need). Collective. */
void nd_dist_wait_all(void);

/* The sum of `value` over all ranks, on every rank (a collective call: every rank must make it). */
guint64 nd_dist_sum(guint64 value);
/* The maximum of `value` over all ranks, on every rank (collective). */
guint64 nd_dist_max(guint64 value);

/* In place, values[0..n) becomes the sum over all ranks (collective). */
void nd_dist_sum_array(guint64 *values, guint n);
/* In place, values[0..n) becomes the sum over the ranks before this one (0 on rank 0): where each
 * rank's part starts when the parts are laid out in rank order (collective). */
void nd_dist_exclusive_sum(guint64 *values, guint n);

/* Rank 0: every rank's `text` (not NULL), joined in rank order (a new string, free with g_free);
 * other ranks: NULL. Collective. */
char *nd_dist_gather_text(const char *text);

/* ---- The wire form of signed documents ---- */

/* Appends to `buf` document `doc` (not NULL; borrowed), signed with `params` (which give the lengths
 * of its signature and band keys), with its item number and input name `name` (not NULL). Every
 * field of NdDocument travels, NULL-ness included. */
void nd_dist_encode_document(GByteArray *buf, const NdSignParams *params, guint64 item, const char *name,
                             const NdDocument *doc);

/* Decodes the record starting at `*pos` in bytes[0..len), encoded with the same `params`, and
 * advances `*pos` past it. Returns a new document (free with nd_document_free), its item number in
 * *item and its name in *name (a new string, free with g_free); NULL with ND_ERROR_FORMAT when the
 * bytes are not one whole record of those parameters (nothing is returned in *name then). */
NdDocument *nd_dist_decode_document(const NdSignParams *params, const guint8 *bytes, gsize len, gsize *pos,
                                    guint64 *item, char **name, GError **error);

/* ---- Gathering the documents on rank 0 ---- */

/* One rank's signed documents, encoded, in chunks of about 16 MiB (a record larger than that has a
 * chunk to itself): what it sends to rank 0, one message per chunk. */
typedef struct NdDistShare NdDistShare;

/* An empty share for documents signed with `params` (copied; not NULL). Free with
 * nd_dist_share_free (NULL is ignored). */
NdDistShare *nd_dist_share_new(const NdSignParams *params);
void nd_dist_share_free(NdDistShare *share);
/* Lean sends. Rank 0's collection turns lean beyond `limit` documents (collection.h:
 * nd_collection_set_lean_after; 0, the default: never), and then holds every document lean, those
 * added before the switch included. So whether a document travels whole or lean does not depend on
 * its position in the input, only on whether the run will be lean: more than `limit` distinct ids
 * among all the ranks' documents (rank 0 refuses a repeated id; inputs that fail are not
 * documents). A rank knows it alone once its own share holds more than `limit` distinct ids: from
 * then on it encodes its documents lean (nd_document_make_lean) and re-encodes those it holds,
 * chunk by chunk. Otherwise nd_dist_gather decides before sending, from the ranks' distinct ids
 * (64-bit hashes of them, exchanged by hash owner): a collision can only make the count smaller,
 * and then the documents travel whole, which is never wrong (rank 0 makes them lean). Call before
 * the first nd_dist_share_add, with the same limit on every rank. Memory: until it knows, a rank
 * holds up to `limit` documents whole (about 6 KB each) and their ids' hashes (about 50 bytes
 * each); then about 1.5 KB per document. */
void nd_dist_share_set_lean_after(NdDistShare *share, guint limit);
/* Appends `doc` (borrowed: the caller frees it; made lean in place when the share sends lean, see
 * above) with its item number (items must come in increasing order, as a loader passes them) and
 * input name `name` (not NULL). */
void nd_dist_share_add(NdDistShare *share, guint64 item, const char *name, NdDocument *doc);
/* The bytes encoded so far (after re-encoding lean, if it was), and in *documents (may be NULL)
 * their number. */
guint64 nd_dist_share_bytes(const NdDistShare *share, guint64 *documents);
/* TRUE once the share encodes its documents lean (see nd_dist_share_set_lean_after). */
gboolean nd_dist_share_is_lean(const NdDistShare *share);

/* Keeps, beside the encoded documents, what the candidate search over the ranks needs of each
 * (nd_dist_find_pairs): its band keys (or its signature, when the documents carry no band keys), its
 * passage anchors, its short lines and their anchors — about 0.5 KB a generated article of 600
 * words, held by the rank that signed it until the share is freed. Call before the first
 * nd_dist_share_add, on every rank alike. */
void nd_dist_share_keep_search_keys(NdDistShare *share);

typedef struct {
  guint64 documents;      /* documents this rank encoded (its share) */
  guint64 bytes_encoded;  /* their wire size, as sent */
  guint64 bytes_received; /* rank 0: bytes received from the other ranks */
  guint64 messages;       /* point-to-point messages this rank sent or received */
  double seconds;         /* the gather, waiting for the other ranks included */
  gboolean lean;          /* the share was sent lean */
  gboolean lean_alone;    /* ... and this rank knew it from its own share, while loading */
} NdDistStats;

/* Merges every rank's share into `into` on rank 0, in item order. First, when the shares have a lean
 * limit and some do not know yet whether to send lean, the ranks decide together (see
 * nd_dist_share_set_lean_after). A document nd_collection_add
 * refuses (a duplicate id) is reported through `report` (may be NULL) with its input name and
 * counted in *rejected, as the loader reports it in one process. Other ranks send their chunks and
 * leave `into` as it is. Every chunk is freed once merged or sent, so that rank 0 holds its
 * collection and one chunk per rank, never the shares whole; `share` is empty on return. A
 * collective call: every rank must make it. FALSE with ND_ERROR_FORMAT when a received record does
 * not decode, ND_ERROR_TOO_LARGE for a record over 2 GiB (one message); the job should then be
 * aborted (nd_dist_abort), as other ranks may be waiting. `stats` (may be NULL) receives this
 * rank's figures. */
gboolean nd_dist_gather(NdDistShare *share, NdCollection *into, NdInputErrorFunc report, gpointer report_data,
                        guint *rejected, NdDistStats *stats, GError **error);

/* ---- The candidate search over the ranks ---- */

/* nd_find_pairs (finder.h) over the ranks, after nd_dist_gather of shares that kept their search
 * keys: every rank sends its documents' LSH band keys, boilerplate line keys and passage anchors to
 * the rank that owns each key (a hash of it), in rounds of MPI_Alltoallv of at most 4 Mi records
 * from one rank to another; each rank applies the one-process candidate rules (src/candidates.h) to
 * the keys it owns; the pairs go to the rank that owns the pair (which adds up an anchor pair's
 * weights and removes repeats), then to rank 0, which verifies them against `coll` (its collection;
 * NULL on other ranks) with the rare words and the report rule. The result is nd_find_pairs's on
 * rank 0, for any number of ranks. This runs when the ranks span several machines (or
 * NEARDUP_MPI_SEARCH is "1"); on one machine (or with NEARDUP_MPI_SEARCH "0"), when a share kept no
 * keys, or when the documents carry neither band keys of these bands nor signatures, rank 0 runs
 * nd_find_pairs alone, with every core of its machine.
 * Returns on rank 0 what nd_find_pairs returns (the same errors); NULL on the other ranks (with no
 * error, but for ND_ERROR_CANCELLED when o->cancel_flag was raised on any rank). `search_stats` (may
 * be NULL) receives this rank's figures. Collective. */
/* Whether nd_dist_find_pairs will search over the ranks: when they span several machines, or when
 * NEARDUP_MPI_SEARCH is set and not "0" (and the shares kept their keys). Decide before loading, to
 * keep the keys (nd_dist_share_keep_search_keys) only then. Collective. */
gboolean nd_dist_search_over_ranks(void);

typedef struct {
  gboolean over_ranks;  /* the candidates were found over the ranks (else by rank 0 alone) */
  gboolean verified_over_ranks; /* ... and verified where the documents are (a lean run) */
  guint64 bytes_sent;   /* this rank's records sent to the ranks owning their keys and pairs */
  guint64 rounds;       /* MPI_Alltoallv rounds */
  double seconds;       /* this rank's time in the search before rank 0's verification */
} NdDistSearchStats;

GArray *nd_dist_find_pairs(NdDistShare *share, const NdCollection *coll, const NdFindOptions *o, NdFindStats *stats,
                           NdDistSearchStats *search_stats, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdDistShare, nd_dist_share_free)

ND_END_DECLS

#endif
