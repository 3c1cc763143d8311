/* candidates.h — private: the candidate rules of finder.c, for the distributed search of src/mpi/dist.c.
 *
 * One process finds its candidates by sorting (key, document) records and reading the runs of equal
 * keys (finder.c). A run of one key only needs its own records, so the ranks of an MPI job can send
 * every record to the rank that owns its key and apply the same rule there: these functions are that
 * rule, written once and called by both (finder.c and dist.c). Documents are numbered as in the
 * collection of rank 0; a candidate is the pair code a << 32 | b with a < b.
 */
#ifndef NEARDUP_CANDIDATES_H
#define NEARDUP_CANDIDATES_H

#include <neardup/neardup.h>
#include "sort.h"

/* The code of the pair {a, b} (a != b): the lower document in the high half. */
guint64 nd_cand_pair_code(guint a, guint b);

/* Sorts `codes` (guint64; not NULL) and removes repeated codes. */
void nd_cand_sort_unique(GArray *codes);

/* Whether the documents' stored band keys are those of `lsh` (the documents were signed with its
 * bands and rows); otherwise band keys are computed from the signatures. */
gboolean nd_cand_use_band_keys(const NdSignParams *params, const NdLshParams *lsh);

/* The key of document `d` (not NULL) in LSH band `band`, in the high 32 bits (the low half zero):
 * from its stored band keys when `use_band_keys`, else from its signature, which must be there. */
guint64 nd_cand_band_key(const NdDocument *d, gboolean use_band_keys, guint band, guint rows);

/* LSH: appends to `codes` every pair of documents in each run of equal high halves of `rec`
 * (key << 32 | document, sorted by key, one band's records). */
void nd_cand_emit_runs(const guint64 *rec, gsize n, GArray *codes);

/* Boilerplate: appends to `keys` (guint32) the line keys of `rec` (line key << 32 | document, sorted
 * by key, each document's keys distinct) found in at least ND_BOILERPLATE_MIN_ARTICLES documents. */
void nd_cand_boilerplate_runs(const guint64 *rec, gsize n, GArray *keys);

/* Whether any of `lines` (n_lines of them) is one of the boilerplate lines `bp` (sorted; n_bp). */
gboolean nd_cand_has_boilerplate(const guint32 *lines, guint32 n_lines, const guint32 *bp, guint n_bp);

/* The anchors of `d` without those of its boilerplate lines (`bp`, sorted; n_bp of them): a new
 * sorted array of *n_out values (free with g_free), or NULL when `d` has none of those anchors. */
guint32 *nd_cand_drop_boilerplate(const NdDocument *d, const guint32 *bp, guint n_bp, guint32 *n_out);

/* Whether `o` (not NULL) asks for passage-anchor candidates, and the rule it sets for them: keys in
 * at most *full_df documents weigh ND_ANCHOR_WEIGHT_ONE, commoner ones up to *max_df documents
 * ND_ANCHOR_WEIGHT_ONE / df, and a pair whose shared keys weigh *min_weight is a candidate. */
gboolean nd_cand_anchor_rule(const NdFindOptions *o, guint *full_df, guint *max_df, guint64 *min_weight);

/* Shared keys: appends to `found` (NdKeyed: pair code, weight) each two documents of every run of
 * one key in 2..max_df documents of `rec` (key << 32 | document, sorted by key), weighted as above. */
void nd_cand_weighted_runs(const guint64 *rec, gsize n, guint full_df, guint max_df, GArray *found);

/* Sorts `found` (NdKeyed: pair code, weight) by pair and leaves one record per pair, its weights
 * added up (saturated at G_MAXUINT32, far above any threshold: a sum only decides whether a pair
 * reaches ND_ANCHOR_MIN_WEIGHT). The ranks add partial sums up with it, round by round. */
void nd_cand_sum_by_pair(GArray *found);

/* nd_cand_sum_by_pair, then appends to `out` (guint64) each pair whose weights add up to at least
 * min_weight, ascending; returns how many. */
guint64 nd_cand_sum_weights(GArray *found, guint64 min_weight, GArray *out);

/* Verification without batch statistics (a lean run has none): the reported pairs among the
 * candidates codes[0..n) (sorted), with doc[a] and doc[b] for each (NULL elsewhere; borrowed) as the
 * search sees them (boilerplate anchors dropped: nd_cand_drop_boilerplate), signed with `params`,
 * by the report rule and verification mode of `o`, on `threads` threads (0: one per processor).
 * Returns an NdPair array in the order of the codes, or NULL with ND_ERROR_CANCELLED. */
GArray *nd_cand_verify(const NdSignParams *params, const NdDocument *const *doc, const NdFindOptions *o,
                       const guint64 *codes, gsize n, guint threads, GError **error);

/* What the ranks found together, handed to rank 0's verification. */
typedef struct {
  const guint64 *codes;          /* sorted distinct candidates of LSH and the passage anchors */
  gsize n_codes;
  guint64 candidates_lsh, candidates_anchor; /* distinct pairs of each kind */
  const guint32 *boilerplate;    /* the boilerplate line keys, sorted */
  guint n_boilerplate;
  guint64 boilerplate_articles;  /* documents with at least one of them */
  double seconds_lsh, seconds_anchor;
} NdGivenCandidates;

/* nd_find_pairs with the LSH and passage-anchor candidates and the boilerplate lines found
 * elsewhere (`given`, not NULL, borrowed): the rare words (when the collection keeps words), the
 * verification and the stats as nd_find_pairs has them. */
GArray *nd_find_pairs_given(const NdCollection *coll, const NdFindOptions *o, const NdGivenCandidates *given,
                            NdFindStats *stats, GError **error);

#endif
