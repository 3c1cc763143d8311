/* diff.h — the passages two articles share, verbatim or rewritten, with byte offsets.
 *
 * Words are matched by key (words.h): in English by their Snowball stem, so "reports" meets
 * "reported"; otherwise by the word itself. Function words ("the", "of", "said", or in a language
 * without a list the words frequent in the two texts) carry no content.
 *
 * Verbatim passages (BLAST-like seed and chain, as in passim):
 *
 * 1. Seeds. Every run of `seed_tokens` consecutive keys (default 3) that occurs in both texts is a
 *    seed (i, j): token i of A and token j of B start the same run. Runs that occur more than
 *    `max_seed_occurrences` times in either text are stock phrases and make no seeds.
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
 *    covered by its seeds or matched by the extensions are aligned; the others inside the span are
 *    differences: substituted, inserted or deleted words, spelling variants ("Kyiv"/"Kiev"). Quote
 *    marks and punctuation are not tokens, so they never break a passage. A chain is reported as a
 *    verbatim passage when both spans have at least `min_tokens` tokens, at least `min_content` of
 *    its aligned words in A carry content (a run of function words is no passage, however long), and
 *    its score — matched tokens of both sides over the tokens of both spans — is at least
 *    `min_score`. A passage whose spans both overlap a higher-scoring passage by more than half is
 *    dropped (it is the same text found twice). A rewritten sentence (below) may hold verbatim runs.
 *
 * Rewritten passages (sentence alignment), when the texts are given: sentences end at . ! ? ; and
 * their Arabic-script and CJK forms, and at line breaks. A sentence of A that verbatim passages
 * leave mostly uncovered is aligned with the sentence of B that holds the largest share of its
 * content words, each weighted by its rarity among B's sentences (ln((S + 1) / (s + 0.5)) for a
 * word in s of B's S sentences: the story's recurring names weigh little, the details of one
 * sentence much). The pair is a rewritten passage when that share reaches `sentence_overlap`, the
 * B sentence keeps at least half that share of its own content (a short headline does not align
 * with a long paragraph on three names), the A sentence has at least `min_tokens` words and they
 * share at least `sentence_min_shared` content words: the facts of the sentence survived a rewrite
 * that changed its words and their order.
 *
 * Quotations (quote.h), when the texts are given: an aligned word is a quotation word when it lies
 * inside quotation marks in A and its counterpart in B (the word it is aligned with; in a rewritten
 * sentence, a word of the B sentence with its key) lies inside quotation marks in B: both articles
 * quote it. The other aligned words are narrative. A passage is a quotation when most of its aligned
 * words of A are quotation words (nd_passage_is_quotation), narrative otherwise; each passage counts
 * both, so a passage that runs from a quotation into the reporting around it says how much of each.
 *
 * Cost: tokenising, stemming each distinct word once, sorting the seed runs (radix) and one pass
 * over the seeds; sentence alignment reads, for each sentence of A, the sentences of B that share
 * its content words. Linear in the input for ordinary text; repetitive text is bounded by
 * max_seed_occurrences. No dynamic programming over whole documents.
 *
 * Stability: stable (docs/api.md): the calls; NdDiffOptions starts from nd_diff_options_init() and
 * only grows at the end; NdPassage and NdDiff are filled by the library and only grow at the end;
 * NdPassageKind values are never renumbered. Passages found for given texts and options may improve
 * in a new minor version (the rule above is the documentation, tests/ the reference).
 */
#ifndef NEARDUP_DIFF_H
#define NEARDUP_DIFF_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/text.h>
#include <neardup/words.h>

ND_BEGIN_DECLS

typedef struct {
  guint seed_tokens;          /* k, default 3 */
  guint max_gap;              /* default 12 */
  guint max_drift;            /* default 6 */
  guint min_tokens;           /* default ND_DIFF_MIN_TOKENS */
  guint min_content;          /* aligned content words of A in a verbatim passage; default 3 */
  double min_score;           /* default 0.5 */
  guint max_seed_occurrences; /* default 50 */
  gboolean stem;              /* match stems where the language has a stemmer; default TRUE */
  double sentence_overlap;    /* rewritten sentences: share of content, default 0.4; 0 turns them off */
  guint sentence_min_shared;  /* content words a rewritten sentence shares, default 4 */
  const guint32 *boilerplate; /* sorted nd_line_key of boilerplate lines (words.h, nd_find_boilerplate):
                                 their words match nothing; borrowed; NULL = none */
  gsize n_boilerplate;
  gsize a_len, b_len;         /* the texts' lengths in bytes, so that quotation marks after the last word
                                 are seen; 0: a text ends with its last token (nd_diff_texts sets them) */
} NdDiffOptions;

#define ND_DIFF_MIN_TOKENS 6

typedef enum {
  ND_PASSAGE_VERBATIM = 0,  /* a seed-and-chain alignment: mostly the same words in the same order */
  ND_PASSAGE_REWRITTEN = 1  /* an aligned sentence: its content words, in other words and order */
} NdPassageKind;

void nd_diff_options_init(NdDiffOptions *options);

typedef struct {
  guint32 a_first, a_end;  /* token index range [a_first, a_end) in A */
  guint32 b_first, b_end;  /* token index range [b_first, b_end) in B */
  guint64 a_start, a_stop; /* byte range [a_start, a_stop) in A's original text */
  guint64 b_start, b_stop; /* byte range in B */
  guint32 a_matched;       /* tokens of the A span aligned exactly */
  guint32 b_matched;
  double score;            /* (a_matched + b_matched) / (A span tokens + B span tokens) */
  NdPassageKind kind;
  guint32 a_quoted;        /* aligned tokens of the A span that are quotation words (quoted in both) */
  guint32 b_quoted;
} NdPassage;

/* TRUE when most of the passage's aligned words of A are quotation words (see above). */
gboolean nd_passage_is_quotation(const NdPassage *passage);

/* "quotation" or "narrative"; a static string. */
const char *nd_passage_label(const NdPassage *passage);

typedef struct {
  GArray *passages;        /* NdPassage, sorted by a_first then b_first */
  guint32 a_tokens, b_tokens;
  double a_coverage;       /* share of A's tokens inside some passage */
  double b_coverage;
  guint8 *a_aligned;       /* per A token: 1 when aligned inside a reported passage */
  guint8 *b_aligned;
  NdLanguage language;     /* what words.h recognised in both texts (unknown unless both agree) */
  guint8 *a_quoted;        /* per A token: 1 when aligned and a quotation word (quoted in both texts) */
  guint8 *b_quoted;
  guint32 quoted_words;    /* aligned tokens of A that are quotation words */
  guint32 narrative_words; /* the other aligned tokens of A */
} NdDiff;

/* Aligns two token sequences (from nd_tokenize of a_text and b_text). Returns a new result; free
 * with nd_diff_free. Either sequence may be empty (no passages). `options` NULL means the defaults.
 * A text may be NULL: then its words are not stemmed and its sentences not aligned (verbatim
 * passages only, matched by the tokens' own hashes). */
NdDiff *nd_diff_tokens(const char *a_text, const NdToken *a, gsize n_a, const char *b_text, const NdToken *b,
                       gsize n_b, const NdDiffOptions *options);

/* The passages two articles share, as every report shows them (one call for the tool, its
 * commands and the bindings): A's text tokenised with `a_flags`, B's with `b_flags` (an archived
 * text is read with ND_TEXT_LOSSY), both with `mode`, then aligned by nd_diff_tokens. The tokens
 * are left in `a_tokens` and `b_tokens` (GArray of NdToken, emptied first; either may be NULL)
 * for showing the words. NULL with ND_ERROR_UTF8, ND_ERROR_TOO_LARGE or ND_ERROR_TOO_MANY_TOKENS
 * when a text cannot be tokenised (the message starts "A: " or "B: "). */
NdDiff *nd_diff_pair(const char *a, gsize a_len, NdTextFlags a_flags, const char *b, gsize b_len, NdTextFlags b_flags,
                     NdTokenMode mode, const NdDiffOptions *options, GArray *a_tokens, GArray *b_tokens,
                     GError **error);

/* Tokenises both texts (with `mode` and `flags`) and aligns them: nd_diff_pair with the same flags
 * for both. NULL with ND_ERROR_UTF8 or
 * ND_ERROR_TOO_LARGE when a text cannot be tokenised (the message says which: "A: ..." or "B: ..."). */
NdDiff *nd_diff_texts(const char *a, gsize a_len, const char *b, gsize b_len, NdTokenMode mode, NdTextFlags flags,
                      const NdDiffOptions *options, GError **error);

void nd_diff_free(NdDiff *diff);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdDiff, nd_diff_free)

ND_END_DECLS

#endif
