/* finder.h — from a signed collection to verified pairs.
 *
 * Two candidate generators feed one verifier:
 *
 * 1. LSH banding (lsh.h) over the MinHash signatures finds pairs whose Jaccard similarity is near or
 *    above `threshold`: reprints, light rewrites, the same story with different page chrome.
 *
 * 2. A containment fingerprint index finds text reuse that Jaccard cannot see: a 300-word wire story
 *    inside a 1,500-word feature has Jaccard ~0.2 but containment ~1. Every shingle key k with
 *    k mod P == 0 (P = `fingerprint_sampling`) is a fingerprint: because the choice depends on the
 *    shingle alone, two articles sharing a passage of m shingles share about m/P fingerprints, and
 *    shared/min(fingerprints of A, of B) estimates the containment of the smaller in the larger.
 *    The index is an inverted list fingerprint -> articles; a fingerprint found in more than
 *    `max_posting` articles is boilerplate (site chrome, stock phrases) and is ignored. Pairs
 *    sharing at least 2 fingerprints with an estimated containment of at least half the
 *    containment threshold become candidates.
 *
 * Verification computes, for every candidate, the Jaccard similarity and both containments —
 * exactly from the shingle sets (ND_VERIFY_EXACT, needs keep_sets), on the fingerprint samples
 * (ND_VERIFY_SAMPLE: for collections too large to keep sets, see nd_collection_set_lean_after), or
 * from signatures and set sizes (ND_VERIFY_SIGNATURE). A pair is reported when
 *     jaccard >= threshold,  or
 *     max(containment_a_in_b, containment_b_in_a) >= containment and shared >= min_shared.
 * Results are sorted by (a, b) and do not depend on the number of threads.
 */
#ifndef NEARDUP_FINDER_H
#define NEARDUP_FINDER_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/collection.h>

ND_BEGIN_DECLS

typedef enum {
  ND_VERIFY_EXACT = 0,     /* exact Jaccard/containment from shingle sets */
  ND_VERIFY_SIGNATURE = 1, /* estimates from MinHash signatures and set sizes */
  ND_VERIFY_SAMPLE = 2     /* Jaccard and containment of the 1-in-P fingerprint samples: the same
                              statistics computed on the shingles whose key is 0 mod P, an unbiased
                              estimate (Broder's mod-m sampling) that needs ~1/8 of the memory */
} NdVerifyMode;

typedef struct {
  double threshold;           /* Jaccard threshold in (0, 1); default ND_DEFAULT_THRESHOLD */
  double containment;         /* containment threshold in [0, 1]; 0 disables containment matching */
  guint min_shared;           /* containment matches need this many shared shingles; default 8 */
  NdVerifyMode verify;
  guint fingerprint_sampling; /* P; default 8; 0 disables the containment index (LSH only) */
  guint max_posting;          /* default 500 */
  guint threads;              /* 0 = one per processor */
  double lsh_threshold;       /* threshold the LSH banding is tuned for; 0 = `threshold` */
  const gint *cancel_flag;    /* NULL, or a flag read atomically (a signal handler may set it): once
                                 non-zero, nd_find_pairs stops within milliseconds with
                                 ND_ERROR_CANCELLED */
} NdFindOptions;

#define ND_DEFAULT_THRESHOLD 0.5
#define ND_DEFAULT_CONTAINMENT 0.2

typedef struct {
  guint a, b;                 /* document indices in the collection, a < b */
  guint32 shared;             /* shingles in both (estimated under ND_VERIFY_SIGNATURE) */
  double jaccard;
  double containment_a_in_b;  /* share of a's shingles found in b */
  double containment_b_in_a;
} NdPair;

typedef struct {
  NdLshParams lsh;
  guint64 candidates_lsh;     /* distinct pairs from LSH */
  guint64 candidates_fingerprint; /* pairs from the containment index (may repeat LSH's) */
  guint64 candidates;         /* distinct pairs verified */
  guint64 reported;
  double seconds_lsh;          /* banding and bucket sorting */
  double seconds_fingerprint;  /* the containment index */
  double seconds_verify;
} NdFindStats;

void nd_find_options_init(NdFindOptions *options);
gboolean nd_find_options_validate(const NdFindOptions *options, GError **error);

/* Finds the reported pairs of `collection`. Returns a GArray of NdPair sorted by (a, b) (free with
 * g_array_unref), or NULL with ND_ERROR_INVALID_ARG for bad options or exact verification of a
 * collection signed without sets, or ND_ERROR_CANCELLED when options->cancel_flag was raised (every
 * worker thread has stopped by then). `stats` may be NULL. */
GArray *nd_find_pairs(const NdCollection *collection, const NdFindOptions *options, NdFindStats *stats,
                      GError **error);

/* Scores one pair of documents the way the finder's verifier does. */
void nd_score_pair(const NdDocument *a, const NdDocument *b, guint num_perm, NdVerifyMode verify, NdPair *out);

/* TRUE when `pair` passes the report rule above. */
gboolean nd_pair_matches(const NdPair *pair, const NdFindOptions *options);

ND_END_DECLS

#endif
