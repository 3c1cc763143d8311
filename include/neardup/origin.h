/* origin.h — who took from whom: the direction of each reported pair and the origin of each cluster.
 *
 * Dates first. When both articles of a pair have a publication date and they differ by at least
 * ND_DIRECTION_MIN_SECONDS, the earlier one is the source (basis "date"); a date without a time of
 * day decides only against a date on another day. A cluster's origin is its
 * earliest dated member when every member has a date and the earliest leads the next one as a
 * pair's dates must. An undated article is never ordered by the other's date: it may be the story's
 * origin as well as a copy (on the generated benchmark the earliest dated member of a cluster with
 * an undated one was the source of their pair about as often as the copy, docs/report.md).
 *
 * A pair that dates cannot decide (an article undated, or two dates of one day without a time) takes,
 * in this order: rule 0 below; the centre of its cluster's star (rule 1) when the pair holds it.
 *
 * Evidence otherwise (basis "evidence", an inference):
 *   0. A dated dateline ("LONDON, March 3 (Reuters) -", "ممبئی ۔ یکم دسمبر (اے پی پی)": place, date,
 *      credit) is how agency copy is filed: the wire dates each story for the many papers that take
 *      it, and a paper running it drops the date (its issue carries one) or writes its own undated
 *      dateline ("LONDON (Reuters) -", "ممبئی (وقت نیوز)"); a copy does not add a date the source
 *      lacks. When exactly one article of a pair opens with a dated dateline, it is the source; when
 *      exactly one member of a cluster does, it is the cluster's origin. On real agency copy and the
 *      newspaper articles written from it (COUNTER, docs/report.md) the agency copy has one in 376 of
 *      425 pairs, the newspaper's article in 1.
 *   1. Within a cluster of three or more, the source of copies is the centre of the star they form:
 *      each copy differs from the source by its own edits, and from another copy by the edits of
 *      both (a reprint, a rewrite and a feature quoting the wire each share most with the wire). The
 *      member with the largest sum of Jaccard similarities to the members it is paired with is the
 *      cluster's origin when it leads the runner-up by ND_ORIGIN_MARGIN; a pair holding the origin
 *      has it as its source.
 *   Neither: undecided (null). Containment asymmetry is no rule: a copy may wrap its source (a
 *   feature around a wire story, site furniture) or lie inside it (a paper trimming the wire's last
 *   paragraphs); on COUNTER the article more contained was the copy about as often as the source
 *   (docs/report.md), so it would decide pairs wrongly as often as rightly.
 *
 * Pairs of kind quotation (score.h) share only what both quote: no direction.
 *
 * Stability: new in 0.3, stable (docs/api.md): the calls; NdPublished and NdDirection only grow at
 * the end; NdSourceBasis values are never renumbered. The rules may improve in a new minor version
 * (docs/report.md measures them).
 */
#ifndef NEARDUP_ORIGIN_H
#define NEARDUP_ORIGIN_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/score.h>

ND_BEGIN_DECLS

#define ND_DIRECTION_MIN_SECONDS 60
#define ND_ORIGIN_MARGIN 0.02
/* A dated dateline (rule 0 below) is looked for in the first ND_DATELINE_LINES non-blank lines, its
 * "(" within ND_DATELINE_BYTES of the line's start, its credit at most ND_DATELINE_CREDIT_BYTES
 * long, place and date at most ND_DATELINE_WORDS words each. */
#define ND_DATELINE_LINES 5
#define ND_DATELINE_BYTES 160
#define ND_DATELINE_CREDIT_BYTES 64
#define ND_DATELINE_WORDS 4

/* An article's publication time, when known (date.h: UTC seconds). */
typedef struct {
  gboolean dated;
  gint64 utc;
  gboolean day_only;     /* the date has no time of day ("11 March 2026"): it orders only by day */
  gboolean dated_dateline; /* the text opens with a dated dateline (nd_text_has_dated_dateline); known
                              without a date */
} NdPublished;

typedef enum {
  ND_BASIS_NONE = 0,     /* undecided */
  ND_BASIS_DATE = 1,     /* the earlier publication date */
  ND_BASIS_EVIDENCE = 2  /* inferred from the text (rules 1 and 2 above) */
} NdSourceBasis;

typedef struct {
  guint source;          /* document index of the source, or G_MAXUINT when undecided */
  NdSourceBasis basis;
} NdDirection;

/* "date", "evidence" or NULL (undecided); static strings. */
const char *nd_source_basis_name(NdSourceBasis basis);

/* Directions and origins of `n_pairs` reported pairs among `n_docs` documents. `published` holds
 * n_docs entries (NULL: no dates). Fills direction[n_pairs] (may be NULL), and for every document
 * origin[n_docs] (may be NULL): the origin of its cluster (connected components of the pairs,
 * quotation pairs left out), G_MAXUINT for an undecided cluster or a document in no pair, and
 * origin_basis[n_docs] (may be NULL). Deterministic: a function of the pairs' order-independent
 * content. */
void nd_find_directions(const NdPair *pairs, guint n_pairs, guint n_docs, const NdPublished *published,
                        NdDirection *direction, guint *origin, NdSourceBasis *origin_basis);

/* TRUE when one of the first ND_DATELINE_LINES non-blank lines of text[0..len) opens with a
 * dated dateline: a place (at most ND_DATELINE_WORDS words, starting with a letter), a separator (a
 * comma, the Arabic comma or full stop, or " - "), a date (1 to ND_DATELINE_WORDS words, one holding
 * a digit or naming a month in English or Urdu) and a credit in parentheses. "LONDON (Reuters)" is
 * not dated. text is UTF-8 (an invalid byte counts as neither letter nor digit); NULL: FALSE. */
gboolean nd_text_has_dated_dateline(const char *text, gsize len);

/* TRUE unless both articles are dated and were published more than `seconds` apart (`published`
 * NULL: TRUE). For --window. */
gboolean nd_pair_within_window(const NdPair *pair, const NdPublished *published, gint64 seconds);

ND_END_DECLS

#endif
