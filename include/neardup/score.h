/* score.h — the scores of a pair of articles, the candidate rule and the report rule: one home for
 * both the batch (finder.h) and the archive (index.h).
 *
 * Candidate rule. Two articles become a candidate pair when any of these holds:
 *   1. LSH: they agree on one band of their MinHash signatures (lsh.h), which finds pairs whose
 *      Jaccard similarity is near the threshold or above;
 *   2. passage anchors: they share an anchor found in at most ND_ANCHOR_RARE_DF articles. Anchors
 *      are chosen by winnowing (Schleimer, Wilkerson & Aiken, SIGMOD 2003): hash every run of
 *      ND_ANCHOR_TOKENS consecutive words inside one line of text, and in every window of
 *      ND_ANCHOR_WINDOW consecutive such hashes keep the smallest. The choice depends only on the
 *      window's words, so two articles that share a run of ND_ANCHOR_RUN = ND_ANCHOR_TOKENS +
 *      ND_ANCHOR_WINDOW - 1 words (9) inside a line share the window and its anchor, at any corpus
 *      size: no shared passage of 9 words is lost to sampling. Runs of words that cross a line break
 *      are not anchors: the junctions of shared lines (a block of related-article links, a footer
 *      after a different article) would otherwise pair unrelated articles by the thousand.
 *      Anchors found in more articles are common phrasing, page furniture or a widely reprinted
 *      story; each counts 1/df, and a pair whose shared common anchors add up to
 *      ND_ANCHOR_COMMON_SUM is a candidate (two reprints of one story share dozens; two pages of
 *      one site share a navigation line and a footer: a few). An anchor in more than `max_posting`
 *      articles makes no candidates;
 *   3. rare words: in a batch of at least ND_VOCABULARY_MIN_BATCH articles, a word found in 2 to
 *      ND_RARE_WORD_MAX_DF of them is rare; two articles sharing at least ND_RARE_WORDS_SHARED rare
 *      words are a candidate. This finds rewritten articles (same facts, names and figures in other
 *      words) that share no 9-word run.
 *
 * Scores (NdPair), each computed exactly for every candidate:
 *   jaccard            |A n B| / |A u B| over the word 3-gram sets (shingle.h);
 *   containment_a_in_b |A n B| / |A|: the share of A's 3-grams found in B (verbatim reuse);
 *   vocabulary_a_in_b  the share of A's distinct words found in B, each word weighted by its rarity
 *                      in the batch: w(df) = ln((N + 1) / (df + 0.5)) for a word in df of the batch's
 *                      N articles. Rewritten text keeps the rare words (names, places, figures) and
 *                      changes the common ones. Unknown (has_vocabulary FALSE, null in the output)
 *                      without batch statistics: batches under ND_VOCABULARY_MIN_BATCH articles, character shingles,
 *                      lean collections, the archive;
 *   passage_a_in_b     the share of A's passage anchors found in B: how much of A lies in runs of six
 *                      words or more that B shares, the long verbatim passages (a quoted paragraph, a
 *                      wire story inside a feature) without the scattered 3-grams of common phrasing;
 *   score              the evidence of reuse in one number. With the vocabulary:
 *                          score = max(vocabulary x (1 + containment), 1.25 x passage)
 *                      where vocabulary = min(vocabulary_a_in_b, vocabulary_b_in_a) is the vocabulary
 *                      shared both ways, containment = max(containment_a_in_b, containment_b_in_a) and
 *                      passage = max(passage_a_in_b, passage_b_in_a): verbatim overlap strengthens
 *                      shared vocabulary, and an article with a fifth of its text in shared passages
 *                      (passage >= 0.18) is reported on that alone. Without it: containment.
 *
 * Report rule (nd_pair_report): a pair is reported when
 *   jaccard >= threshold                                        (kind near-duplicate), or, with the
 *   vocabulary, score >= rule.score, or, without it, containment >= rule.containment and the two
 *   share at least min_shared 3-grams. A reported pair that is not a near-duplicate is of kind reuse
 *   when its containment reaches rule.containment (much of it is verbatim) and rewrite otherwise.
 * Quotations (quote.h): two articles that share only a statement both quote are not reusing each
 * other's reporting. quotation_a_in_b is the share of A's passage anchors shared with B and inside
 * quotation marks in both; q = quotation / passage is the quoted share of the shared passage text
 * (the same both ways). The narrative evidence of a pair is the pair with its passage shares less
 * the quotation shares, and its containments and shared 3-grams scaled by (1 - q) (the vocabulary
 * is kept: it cannot be split). A reported pair that is not a near-duplicate, with q >=
 * ND_QUOTATION_ONLY_SHARE, and whose narrative evidence would not be reported shares only
 * quotations: with rule.quotations ND_QUOTATIONS_DROP (the default) it is not reported, with
 * ND_QUOTATIONS_LIST it is reported with kind quotation (which clusters and dedup plans must not
 * join), with ND_QUOTATIONS_COUNT quotations count as any shared text.
 * The vocabulary is taken both ways on purpose: an independently written article on the same story
 * contains most of a short agency copy's names, but the agency copy does not contain the article's.
 * The defaults were chosen on the development sets (docs/detection.md).
 *
 * Stability: stable (docs/api.md): the calls; NdPair, NdReportRule and NdWordProfile only grow at
 * the end; NdVerifyMode and NdPairKind values are never renumbered. The default thresholds may be
 * retuned in a new minor version (docs/detection.md says why they are what they are).
 */
#ifndef NEARDUP_SCORE_H
#define NEARDUP_SCORE_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/collection.h>

ND_BEGIN_DECLS

/* Passage anchors (winnowing): runs of ND_ANCHOR_TOKENS words, windows of ND_ANCHOR_WINDOW runs.
 * Every shared run of ND_ANCHOR_RUN words inside a line shares an anchor. With character tokens
 * (chars:K) the runs are ND_ANCHOR_CHAR_TOKENS characters and the windows ND_ANCHOR_CHAR_WINDOW. */
#define ND_ANCHOR_TOKENS 6
#define ND_ANCHOR_WINDOW 4
#define ND_ANCHOR_RUN (ND_ANCHOR_TOKENS + ND_ANCHOR_WINDOW - 1)
#define ND_ANCHOR_CHAR_TOKENS 12
#define ND_ANCHOR_CHAR_WINDOW 8
/* Anchors in at most ND_ANCHOR_RARE_DF articles make candidates by themselves; commoner ones count
 * 1/df each towards ND_ANCHOR_COMMON_SUM; those in more than max_posting articles (default
 * ND_DEFAULT_MAX_POSTING) are ignored. */
#define ND_ANCHOR_RARE_DF 50
#define ND_ANCHOR_COMMON_SUM 0.1
#define ND_DEFAULT_MAX_POSTING 500
/* Anchor weights in fixed point: a rare anchor weighs ND_ANCHOR_WEIGHT_ONE, and a pair is a
 * candidate when its shared anchors weigh ND_ANCHOR_MIN_WEIGHT (ND_ANCHOR_COMMON_SUM of one). */
#define ND_ANCHOR_WEIGHT_ONE 65536u
#define ND_ANCHOR_MIN_WEIGHT ((guint32)(ND_ANCHOR_COMMON_SUM * ND_ANCHOR_WEIGHT_ONE))

/* Rare-word candidates and the vocabulary score. */
#define ND_VOCABULARY_MIN_BATCH 30
#define ND_RARE_WORD_MAX_DF 20
#define ND_RARE_WORDS_SHARED 2

/* Default report thresholds (chosen on the development sets: docs/detection.md). */
#define ND_DEFAULT_THRESHOLD 0.5
#define ND_DEFAULT_CONTAINMENT 0.2
#define ND_DEFAULT_MIN_SHARED 8
#define ND_DEFAULT_SCORE 0.225
/* A pair whose shared passage text is at least this share quoted in both may share only quotations
 * (anchors are runs of six words: a rewrite shares 3-grams of narrative in few such runs, so a lower
 * share would mistake rewritten reporting around a shared quotation for a quotation alone). */
#define ND_QUOTATION_ONLY_SHARE 0.8
/* The weight of the passage share in the score (see above). */
#define ND_SCORE_PASSAGE_WEIGHT 1.25

typedef enum {
  ND_VERIFY_EXACT = 0,     /* exact Jaccard/containment from shingle sets */
  ND_VERIFY_SIGNATURE = 1, /* estimates from MinHash signatures and set sizes */
  ND_VERIFY_SAMPLE = 2     /* Jaccard and containment of the 1-in-P fingerprint samples: the same
                              statistics computed on the shingles whose key is 0 mod P, an unbiased
                              estimate (Broder's mod-m sampling) that needs ~1/8 of the memory */
} NdVerifyMode;

typedef enum {
  ND_PAIR_UNRELATED = 0,
  ND_PAIR_NEAR_DUPLICATE = 1, /* jaccard >= threshold */
  ND_PAIR_REUSE = 2,          /* reported, containment >= rule.containment */
  ND_PAIR_REWRITE = 3,        /* reported on shared vocabulary, containment < rule.containment */
  ND_PAIR_QUOTATION = 4       /* reported only on quotations both quote (rule.quotations LIST) */
} NdPairKind;

/* What shared quotations count for in the report rule (see above). */
typedef enum {
  ND_QUOTATIONS_DROP = 0,  /* a pair sharing only quotations is not reported (default) */
  ND_QUOTATIONS_LIST = 1,  /* it is reported with kind ND_PAIR_QUOTATION */
  ND_QUOTATIONS_COUNT = 2  /* quotations count as any shared text */
} NdQuotations;

typedef struct {
  guint a, b;                 /* document indices in the collection, a < b */
  guint32 shared;             /* shingles in both (estimated under ND_VERIFY_SIGNATURE) */
  double jaccard;
  double containment_a_in_b;  /* share of a's shingles found in b */
  double containment_b_in_a;
  double passage_a_in_b;      /* share of a's passage anchors found in b: text in shared runs of 6+ words */
  double passage_b_in_a;
  gboolean has_vocabulary;    /* the batch's word frequencies gave the two vocabulary scores */
  double vocabulary_a_in_b;   /* rarity-weighted share of a's distinct words found in b */
  double vocabulary_b_in_a;
  double score;               /* nd_pair_score */
  NdPairKind kind;            /* set by nd_pair_report */
  double quotation_a_in_b;    /* share of a's passage anchors shared with b and quoted in both */
  double quotation_b_in_a;
} NdPair;

/* The thresholds of the report rule. */
typedef struct {
  double threshold;   /* Jaccard, in (0, 1) */
  double containment; /* in [0, 1]; 0 turns verbatim reuse off */
  guint min_shared;   /* 3-grams a reuse pair must share */
  double score;       /* in [0, 1]; with batch statistics, the score threshold; 0 turns it off (then
                         the containment rule applies even with them) */
  NdQuotations quotations; /* pairs sharing only quotations; default ND_QUOTATIONS_DROP */
} NdReportRule;

/* "near-duplicate", "reuse", "rewrite", "quotation" or "unrelated"; static strings. */
const char *nd_pair_kind_name(NdPairKind kind);

/* Jaccard, both containments and both passage shares of a pair the way the finder verifies it
 * (exactly from the sets, on the fingerprint samples or from the signatures: NdVerifyMode). Leaves
 * the vocabulary unknown; `out->a` and `out->b` are left alone. Neither document may be NULL. */
void nd_score_pair(const NdDocument *a, const NdDocument *b, guint num_perm, NdVerifyMode verify, NdPair *out);

/* For two lean articles with neither sets, signatures nor fingerprints (very short texts): Jaccard
 * estimated from the share of agreeing band keys (a band agrees with probability J^rows). */
void nd_score_pair_from_bands(const NdDocument *a, const NdDocument *b, guint bands, guint rows, NdPair *out);

/* A document's words as the vocabulary score sees them: its sorted distinct word keys, their
 * document frequencies in the batch (saturated at G_MAXUINT16) and its total weight. */
typedef struct {
  const guint32 *words;
  const guint16 *df;
  guint32 n;
  double weight;
} NdWordProfile;

/* The weight of a word found in `df` of `batch_size` articles (see above). */
double nd_word_weight(guint32 df, guint64 batch_size);

/* Sets out->vocabulary_a_in_b and _b_in_a (and has_vocabulary) from two word profiles of one batch
 * of N articles. `weights` is a table of nd_word_weight(df, N) for df = 0 .. G_MAXUINT16. */
void nd_score_vocabulary(const NdWordProfile *a, const NdWordProfile *b, const float *weights, NdPair *out);

/* FALSE when the vocabulary of a pair scored by nd_score_pair cannot change whether it is reported
 * or how: it is not reported without it, and not even sharing every word of the lighter of two
 * documents whose word weights are `weight_a` and `weight_b` would report it. Saves the merge of
 * their word lists for most candidates. */
gboolean nd_pair_needs_vocabulary(const NdPair *pair, double weight_a, double weight_b, const NdReportRule *rule);

/* The weight a shared passage anchor found in `df` articles gives a pair (rule 2 above):
 * ND_ANCHOR_WEIGHT_ONE up to ND_ANCHOR_RARE_DF articles (a candidate by itself), ND_ANCHOR_WEIGHT_ONE
 * / df up to `max_posting`, 0 beyond. The batch (finder.c) and the archive (index.c) both add these
 * up per pair and take pairs reaching ND_ANCHOR_MIN_WEIGHT. */
guint32 nd_anchor_weight(guint64 df, guint max_posting);

/* The quoted share of the passage text a scored pair shares (q above), in [0, 1]; 0 when it shares
 * none. */
double nd_pair_quotation_share(const NdPair *pair);

/* The reuse score of a scored pair (see above). */
double nd_pair_score(const NdPair *pair);

/* Applies the report rule: sets pair->score and pair->kind, and returns TRUE when the pair is
 * reported (kind != ND_PAIR_UNRELATED). */
gboolean nd_pair_report(NdPair *pair, const NdReportRule *rule);

ND_END_DECLS

#endif
