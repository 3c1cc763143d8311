/* origin.h — who took from whom: the direction of each reported pair and the origin of each cluster.
 *
 * Dates first. When both articles of a pair have a publication date and they differ by at least
 * ND_DIRECTION_MIN_SECONDS, the earlier one is the source (basis "date"); a date without a time of
 * day decides only against a date on another day. A cluster's origin is its
 * earliest dated member when its date leads the next one as a pair's dates must.
 *
 * A pair that dates cannot decide (an article undated, or two dates of one day without a time) takes,
 * in this order: the centre of its cluster's star (rule 1 below) when the pair holds it; its
 * cluster's origin when it holds it (the earliest dated member: an undated article is more likely a
 * copy than the story's origin); rule 2.
 *
 * Evidence otherwise (basis "evidence", an inference):
 *   1. Within a cluster of three or more, the source of copies is the centre of the star they form:
 *      each copy differs from the source by its own edits, and from another copy by the edits of
 *      both (a reprint, a rewrite and a feature quoting the wire each share most with the wire). The
 *      member with the largest sum of Jaccard similarities to the members it is paired with is the
 *      cluster's origin when it leads the runner-up by ND_ORIGIN_MARGIN; a pair holding the origin
 *      has it as its source.
 *   2. Otherwise the copy is the article that wraps the other: web copies add page chrome, credits
 *      and their own text around what they take (a reprint's site furniture, a feature around a wire
 *      story), so when one containment exceeds the other by at least ND_DIRECTION_MARGIN, the
 *      article largely inside the other is the source. The cluster's origin is then the member that
 *      is the source of the most of its pairs less those where it is the copy, when it leads. This
 *      misjudges a trimmed copy (an excerpt cut from the bottom of a wire story): the text alone
 *      cannot tell an addition in the copy from a cut in the source; docs/origin.md measures both.
 *   Neither: undecided (null).
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
#define ND_DIRECTION_MARGIN 0.05
#define ND_ORIGIN_MARGIN 0.02

/* An article's publication time, when known (date.h: UTC seconds). */
typedef struct {
  gboolean dated;
  gint64 utc;
  gboolean day_only;     /* the date has no time of day ("11 March 2026"): it orders only by day */
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

/* TRUE unless both articles are dated and were published more than `seconds` apart (`published`
 * NULL: TRUE). For --window. */
gboolean nd_pair_within_window(const NdPair *pair, const NdPublished *published, gint64 seconds);

ND_END_DECLS

#endif
