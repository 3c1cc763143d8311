/* finder.h — from a signed collection to verified pairs: the candidate rule and the report rule of
 * score.h applied to a batch.
 *
 * Three candidate generators feed one verifier (the rules are in score.h):
 *
 * 1. LSH banding (lsh.h) over the MinHash signatures finds pairs whose Jaccard similarity is near or
 *    above `threshold`: reprints, light rewrites, the same story with different page chrome.
 *
 * 2. An inverted index of passage anchors (winnowed runs of 6 words inside a line) finds every pair
 *    that shares a run of 9 words or more: a 300-word wire story inside a 1,500-word feature
 *    (Jaccard ~0.2, containment ~1), a quoted paragraph. Anchors in more than `max_posting` articles
 *    are stock phrases and page chrome, and are ignored.
 *
 * 3. The batch's word frequencies: words found in 2 to 20 articles are rare, and pairs sharing at
 *    least 2 rare words are candidates: rewritten articles that keep the facts, names and figures of
 *    their source but few of its phrases.
 *
 * Verification computes, for every candidate, the Jaccard similarity and both containments —
 * exactly from the shingle sets (ND_VERIFY_EXACT, needs keep_sets), on the fingerprint samples
 * (ND_VERIFY_SAMPLE: for collections too large to keep sets, see nd_collection_set_lean_after), or
 * from signatures and set sizes (ND_VERIFY_SIGNATURE) — and, in batches of at least 30 articles
 * with their words, the vocabulary shared both ways. score.h's report rule decides.
 * Results are sorted by (a, b) and do not depend on the number of threads.
 *
 * Stability: stable (docs/api.md): the calls; NdFindOptions starts from nd_find_options_init() and
 * only grows at the end; NdFindStats is filled by the library and only grows at the end.
 */
#ifndef NEARDUP_FINDER_H
#define NEARDUP_FINDER_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/collection.h>
#include <neardup/score.h>

ND_BEGIN_DECLS

typedef struct {
  double threshold;           /* Jaccard threshold in (0, 1); default ND_DEFAULT_THRESHOLD */
  double containment;         /* containment threshold in [0, 1]; 0 disables verbatim reuse */
  guint min_shared;           /* reuse pairs share at least this many shingles; default 8 */
  double score;               /* score threshold in [0, 1] (score.h); 0: the containment rule even
                                 with batch statistics; default ND_DEFAULT_SCORE */
  NdVerifyMode verify;
  gboolean anchors;           /* use the passage anchors (default TRUE; FALSE: LSH and rare words) */
  guint max_posting;          /* default ND_DEFAULT_MAX_POSTING */
  guint threads;              /* 0 = one per processor */
  double lsh_threshold;       /* threshold the LSH banding is tuned for; 0 = `threshold` */
  const gint *cancel_flag;    /* NULL, or a flag read atomically (a signal handler may set it): once
                                 non-zero, nd_find_pairs stops within milliseconds with
                                 ND_ERROR_CANCELLED */
  NdQuotations quotations;    /* pairs sharing only quotations (score.h); default ND_QUOTATIONS_DROP */
} NdFindOptions;

typedef struct {
  NdLshParams lsh;
  guint64 candidates_lsh;     /* distinct pairs from LSH */
  guint64 candidates_anchor;  /* pairs sharing an anchor (may repeat LSH's) */
  guint64 candidates_rare;    /* pairs sharing rare words (may repeat the others') */
  guint64 candidates;         /* distinct pairs verified */
  guint64 reported;
  guint64 boilerplate_lines;  /* distinct boilerplate lines (words.h) found in the batch */
  guint64 boilerplate_articles; /* articles holding at least one */
  gboolean vocabulary;        /* the vocabulary score was computed (batch statistics available) */
  double seconds_lsh;          /* banding and bucket sorting */
  double seconds_anchor;       /* the anchor index */
  double seconds_vocabulary;   /* word frequencies and the rare-word index */
  double seconds_verify;
} NdFindStats;

void nd_find_options_init(NdFindOptions *options);
gboolean nd_find_options_validate(const NdFindOptions *options, GError **error);

/* The report rule of `options`. */
NdReportRule nd_find_options_rule(const NdFindOptions *options);

/* Finds the reported pairs of `collection`. Returns a GArray of NdPair sorted by (a, b) (free with
 * g_array_unref), each with its scores, score and kind, or NULL with ND_ERROR_INVALID_ARG for bad
 * options or exact verification of a collection signed without sets, or ND_ERROR_CANCELLED when
 * options->cancel_flag was raised (every worker thread has stopped by then). `stats` may be NULL. */
GArray *nd_find_pairs(const NdCollection *collection, const NdFindOptions *options, NdFindStats *stats,
                      GError **error);

/* The batch's boilerplate (words.h): the sorted distinct keys of the lines of at most
 * ND_BOILERPLATE_MAX_WORDS words found in at least ND_BOILERPLATE_MIN_ARTICLES of the collection's
 * articles, as a GArray of guint32 (free with g_array_unref); `articles` (may be NULL) receives how
 * many articles hold one. nd_find_pairs leaves their passage anchors out of the candidate search and
 * the passage shares; pass them to nd_diff_tokens (NdDiffOptions) to keep them out of passages. */
GArray *nd_find_boilerplate(const NdCollection *collection, guint64 *articles);

/* TRUE when `pair` (scored) passes the report rule of `options` (score.h: nd_pair_report, which also
 * sets the score and kind). */
gboolean nd_pair_matches(const NdPair *pair, const NdFindOptions *options);

ND_END_DECLS

#endif
