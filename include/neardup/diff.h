/* diff.h — the passages two articles share, verbatim or rewritten, with byte offsets.
 *
 * The alignment rule (BLAST-like seed and chain, as in passim):
 *
 * 1. Seeds. Every run of `seed_tokens` consecutive normalised tokens (default 3) that occurs in both
 *    texts is a seed (i, j): token i of A and token j of B start the same run. Runs that occur more
 *    than `max_seed_occurrences` times in either text are stock phrases and make no seeds.
 * 2. Chains. Seeds are taken in order of i; a seed extends the chain whose last seed (i', j') lies
 *    at most `max_gap` unaligned tokens before it in both texts (i - i' - k <= max_gap,
 *    j - j' - k <= max_gap, with i > i', j > j') and whose diagonal j - i differs by at most
 *    `max_drift` tokens (words inserted or deleted on one side). Among such chains it picks the one
 *    with the closest diagonal. Otherwise the seed starts a new chain. A paragraph moved elsewhere
 *    lies on another diagonal and so becomes its own chain.
 * 3. Extension. Each chain's ends are extended without gaps along its first and last diagonal while
 *    words keep matching: +1 per match, -1 per mismatch, stopping 2 below the best score and keeping
 *    the best point ("Officials in Kyiv said" joins "Officials in Kiev said" from the first word).
 * 4. Passages. A chain spans tokens [first i, last i + k) of A and [first j, last j + k) of B. Tokens
 *    covered by its seeds or matched by the extensions are aligned; the others inside the span are differences:
 *    substituted, inserted or deleted words, spelling variants ("Kyiv"/"Kiev"). Quote marks and
 *    punctuation are not tokens, so they never break a passage. A chain is reported as a passage when
 *    both spans have at least `min_tokens` tokens and its score — matched tokens of both sides over
 *    the tokens of both spans — is at least `min_score`. A passage whose spans both overlap a
 *    higher-scoring passage by more than half is dropped (it is the same text found twice).
 *
 * Cost: tokenising, sorting the seed runs (radix) and one pass over the seeds: linear in the input
 * for ordinary text. Repetitive text is bounded by max_seed_occurrences. No dynamic programming over
 * whole documents.
 */
#ifndef NEARDUP_DIFF_H
#define NEARDUP_DIFF_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/text.h>

ND_BEGIN_DECLS

typedef struct {
  guint seed_tokens;          /* k, default 3 */
  guint max_gap;              /* default 12 */
  guint max_drift;            /* default 6 */
  guint min_tokens;           /* default 10 */
  double min_score;           /* default 0.5 */
  guint max_seed_occurrences; /* default 50 */
} NdDiffOptions;

void nd_diff_options_init(NdDiffOptions *options);

typedef struct {
  guint32 a_first, a_end;  /* token index range [a_first, a_end) in A */
  guint32 b_first, b_end;  /* token index range [b_first, b_end) in B */
  guint64 a_start, a_stop; /* byte range [a_start, a_stop) in A's original text */
  guint64 b_start, b_stop; /* byte range in B */
  guint32 a_matched;       /* tokens of the A span aligned exactly */
  guint32 b_matched;
  double score;            /* (a_matched + b_matched) / (A span tokens + B span tokens) */
} NdPassage;

typedef struct {
  GArray *passages;        /* NdPassage, sorted by a_first then b_first */
  guint32 a_tokens, b_tokens;
  double a_coverage;       /* share of A's tokens inside some passage */
  double b_coverage;
  guint8 *a_aligned;       /* per A token: 1 when aligned inside a reported passage */
  guint8 *b_aligned;
} NdDiff;

/* Aligns two token sequences (from nd_tokenize). Returns a new result; free with nd_diff_free.
 * Either sequence may be empty (no passages). `options` NULL means the defaults. */
NdDiff *nd_diff_tokens(const NdToken *a, gsize n_a, const NdToken *b, gsize n_b, const NdDiffOptions *options);

/* Tokenises both texts (with `mode` and `flags`) and aligns them. NULL with ND_ERROR_UTF8 or
 * ND_ERROR_TOO_LARGE when a text cannot be tokenised (the message says which: "A: ..." or "B: ..."). */
NdDiff *nd_diff_texts(const char *a, gsize a_len, const char *b, gsize b_len, NdTokenMode mode, NdTextFlags flags,
                      const NdDiffOptions *options, GError **error);

void nd_diff_free(NdDiff *diff);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdDiff, nd_diff_free)

ND_END_DECLS

#endif
