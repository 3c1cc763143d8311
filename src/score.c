/* score.c — the scores of a pair and the report rule (described in include/neardup/score.h), used by
 * the batch finder and the archive alike.
 *
 * Design: every score is a pure function of the two documents (and, for the vocabulary, of the
 * batch's word frequencies), computed with linear merges of sorted key arrays; the report rule reads
 * only the scores, so the batch and the archive cannot disagree about a pair.
 */
#include <neardup/neardup.h>
#include <math.h>
#include <string.h>

const char *
nd_pair_kind_name(NdPairKind kind)
{
  switch (kind) {
  case ND_PAIR_NEAR_DUPLICATE:
    return "near-duplicate";
  case ND_PAIR_REUSE:
    return "reuse";
  case ND_PAIR_REWRITE:
    return "rewrite";
  case ND_PAIR_QUOTATION:
    return "quotation";
  case ND_PAIR_UNRELATED:
  default:
    return "unrelated";
  }
}

/* |X n Y| of two sorted distinct arrays. */
static guint32
intersect_sorted(const guint32 *x, guint32 nx, const guint32 *y, guint32 ny)
{
  guint32 i = 0, j = 0, common = 0;
  while (i < nx && j < ny) {
    guint32 u = x[i], v = y[j];
    common += u == v;
    i += u <= v;
    j += v <= u;
  }
  return common;
}

/* Fills the set scores from an intersection size. */
static void
set_scores(const NdDocument *a, const NdDocument *b, double inter, NdPair *out)
{
  double uni = (double)a->set_size + b->set_size - inter;
  out->shared = (guint32)inter;
  out->jaccard = uni > 0 ? inter / uni : 0.0;
  out->containment_a_in_b = a->set_size ? inter / a->set_size : 0.0;
  out->containment_b_in_a = b->set_size ? inter / b->set_size : 0.0;
}

/* The passage scores: shared anchors over each document's anchors. */
static void
passage_scores(const NdDocument *a, const NdDocument *b, NdPair *out)
{
  guint32 common = a->anchors && b->anchors ? intersect_sorted(a->anchors, a->n_anchors, b->anchors, b->n_anchors) : 0;
  out->passage_a_in_b = a->n_anchors ? (double)common / a->n_anchors : 0.0;
  out->passage_b_in_a = b->n_anchors ? (double)common / b->n_anchors : 0.0;
  /* Quoted in both: the intersection of the quoted anchors, a subset of the shared ones. */
  guint32 quoted = common && a->quoted_anchors && b->quoted_anchors
                     ? intersect_sorted(a->quoted_anchors, a->n_quoted_anchors, b->quoted_anchors, b->n_quoted_anchors)
                     : 0;
  quoted = MIN(quoted, common);
  out->quotation_a_in_b = a->n_anchors ? (double)quoted / a->n_anchors : 0.0;
  out->quotation_b_in_a = b->n_anchors ? (double)quoted / b->n_anchors : 0.0;
}

void
nd_score_pair(const NdDocument *a, const NdDocument *b, guint num_perm, NdVerifyMode verify, NdPair *out)
{
  out->has_vocabulary = FALSE;
  out->vocabulary_a_in_b = out->vocabulary_b_in_a = 0.0;
  out->score = 0.0;
  out->kind = ND_PAIR_UNRELATED;
  passage_scores(a, b, out);
  gboolean sample = verify == ND_VERIFY_SAMPLE || (verify == ND_VERIFY_EXACT && (a->set == NULL || b->set == NULL));
  if (sample && a->fingerprints != NULL && b->fingerprints != NULL && (a->n_fingerprints || b->n_fingerprints)) {
    /* Statistics of the samples stand for those of the sets: containment of A in B is the share of
     * A's sampled shingles found among B's; the shared count is scaled back to the full sets. */
    guint32 common = intersect_sorted(a->fingerprints, a->n_fingerprints, b->fingerprints, b->n_fingerprints);
    double ca = a->n_fingerprints ? (double)common / a->n_fingerprints : 0.0;
    double cb = b->n_fingerprints ? (double)common / b->n_fingerprints : 0.0;
    double su = (double)a->n_fingerprints + b->n_fingerprints - common;
    out->jaccard = su > 0 ? common / su : 0.0;
    out->containment_a_in_b = ca;
    out->containment_b_in_a = cb;
    out->shared = (guint32)floor(MIN(ca * a->set_size, cb * b->set_size) + 0.5);
    return;
  }
  if (verify == ND_VERIFY_EXACT && a->set != NULL && b->set != NULL) {
    guint32 common;
    /* Copies have equal sets: a memcmp (which stops at the first difference of other pairs) is
     * several times cheaper than the merge. */
    if (a->set_size == b->set_size && memcmp(a->set, b->set, a->set_size * sizeof(guint32)) == 0)
      common = a->set_size;
    else
      common = intersect_sorted(a->set, a->set_size, b->set, b->set_size);
    set_scores(a, b, common, out);
    return;
  }
  if (a->signature == NULL || b->signature == NULL) {
    /* Nothing left to compare (a lean article without fingerprints): no evidence of overlap. The
     * finder estimates such pairs from their band keys instead (nd_score_pair_from_bands). */
    set_scores(a, b, 0, out);
    return;
  }
  /* |A n B| = J (|A| + |B|) / (1 + J), from the definition of J. */
  double jac = nd_minhash_jaccard(a->signature, b->signature, num_perm);
  double inter = jac * ((double)a->set_size + b->set_size) / (1.0 + jac);
  inter = floor(MIN(inter, (double)MIN(a->set_size, b->set_size)) + 0.5);
  set_scores(a, b, inter, out);
}

void
nd_score_pair_from_bands(const NdDocument *a, const NdDocument *b, guint bands, guint rows, NdPair *out)
{
  guint same = 0;
  for (guint i = 0; i < bands; i++)
    same += a->band_keys[i] == b->band_keys[i];
  double jac = same ? pow((double)same / bands, 1.0 / rows) : 0.0;
  double inter = jac * ((double)a->set_size + b->set_size) / (1.0 + jac);
  inter = floor(MIN(inter, (double)MIN(a->set_size, b->set_size)) + 0.5);
  out->has_vocabulary = FALSE;
  out->vocabulary_a_in_b = out->vocabulary_b_in_a = 0.0;
  out->score = 0.0;
  out->kind = ND_PAIR_UNRELATED;
  passage_scores(a, b, out);
  set_scores(a, b, inter, out);
}

double
nd_word_weight(guint32 df, guint64 batch_size)
{
  return MAX(0.0, log(((double)batch_size + 1.0) / ((double)df + 0.5)));
}

void
nd_score_vocabulary(const NdWordProfile *a, const NdWordProfile *b, const float *weights, NdPair *out)
{
  double shared = 0;
  guint32 i = 0, j = 0;
  while (i < a->n && j < b->n) {
    guint32 u = a->words[i], v = b->words[j];
    if (u == v)
      shared += weights[a->df[i]];
    i += u <= v;
    j += v <= u;
  }
  out->has_vocabulary = TRUE;
  out->vocabulary_a_in_b = a->weight > 0 ? MIN(1.0, shared / a->weight) : 0.0;
  out->vocabulary_b_in_a = b->weight > 0 ? MIN(1.0, shared / b->weight) : 0.0;
}

guint32
nd_anchor_weight(guint64 df, guint max_posting)
{
  if (df == 0 || df > max_posting)
    return 0;
  return df <= ND_ANCHOR_RARE_DF ? ND_ANCHOR_WEIGHT_ONE : (guint32)(ND_ANCHOR_WEIGHT_ONE / df);
}

double
nd_pair_score(const NdPair *p)
{
  double containment = MAX(p->containment_a_in_b, p->containment_b_in_a);
  if (!p->has_vocabulary)
    return containment;
  double vocabulary = MIN(p->vocabulary_a_in_b, p->vocabulary_b_in_a);
  double passage = MAX(p->passage_a_in_b, p->passage_b_in_a);
  return MIN(1.0, MAX(vocabulary * (1.0 + containment), ND_SCORE_PASSAGE_WEIGHT * passage));
}

gboolean
nd_pair_needs_vocabulary(const NdPair *p, double weight_a, double weight_b, const NdReportRule *rule)
{
  NdPair best = *p;
  /* Sharing all of the lighter document's words is the most vocabulary the pair can share. */
  best.has_vocabulary = TRUE;
  best.vocabulary_a_in_b = weight_a > 0 ? MIN(1.0, MIN(weight_a, weight_b) / weight_a) : 0.0;
  best.vocabulary_b_in_a = weight_b > 0 ? MIN(1.0, MIN(weight_a, weight_b) / weight_b) : 0.0;
  return nd_pair_report(&best, rule);
}

double
nd_pair_quotation_share(const NdPair *p)
{
  if (p->passage_a_in_b > 0)
    return MIN(1.0, p->quotation_a_in_b / p->passage_a_in_b);
  if (p->passage_b_in_a > 0)
    return MIN(1.0, p->quotation_b_in_a / p->passage_b_in_a);
  return 0.0;
}

/* The report rule on the scores alone (kind set, score set). */
static gboolean
report_scores(NdPair *p, const NdReportRule *rule)
{
  p->score = nd_pair_score(p);
  double containment = MAX(p->containment_a_in_b, p->containment_b_in_a);
  gboolean reused;
  if (p->has_vocabulary && rule->score > 0)
    reused = p->score >= rule->score;
  else
    reused = rule->containment > 0 && p->shared >= rule->min_shared && containment >= rule->containment;
  if (p->jaccard >= rule->threshold)
    p->kind = ND_PAIR_NEAR_DUPLICATE;
  else if (reused)
    p->kind = rule->containment > 0 && containment >= rule->containment ? ND_PAIR_REUSE : ND_PAIR_REWRITE;
  else
    p->kind = ND_PAIR_UNRELATED;
  return p->kind != ND_PAIR_UNRELATED;
}

gboolean
nd_pair_report(NdPair *p, const NdReportRule *rule)
{
  if (!report_scores(p, rule))
    return FALSE;
  double q = nd_pair_quotation_share(p);
  if (p->kind == ND_PAIR_NEAR_DUPLICATE || q < ND_QUOTATION_ONLY_SHARE || rule->quotations == ND_QUOTATIONS_COUNT)
    return TRUE;
  /* The narrative evidence: the pair without the passage text both quote. */
  NdPair narrative = *p;
  narrative.passage_a_in_b = MAX(0.0, p->passage_a_in_b - p->quotation_a_in_b);
  narrative.passage_b_in_a = MAX(0.0, p->passage_b_in_a - p->quotation_b_in_a);
  narrative.containment_a_in_b = p->containment_a_in_b * (1.0 - q);
  narrative.containment_b_in_a = p->containment_b_in_a * (1.0 - q);
  narrative.shared = (guint32)(p->shared * (1.0 - q));
  if (report_scores(&narrative, rule))
    return TRUE;
  if (rule->quotations == ND_QUOTATIONS_DROP) {
    p->kind = ND_PAIR_UNRELATED;
    return FALSE;
  }
  p->kind = ND_PAIR_QUOTATION;
  return TRUE;
}
