/* diff.c — seed-and-chain alignment of two token sequences (the rule is in include/neardup/diff.h).
 *
 * Seeds are found by sorting the k-gram hashes of both texts and merging the sorted runs, so there is
 * no hash table and no dependence on iteration order: the result is a pure function of the inputs.
 */
#include <neardup/neardup.h>
#include <stdlib.h>
#include <string.h>
#include "sort.h"

void
nd_diff_options_init(NdDiffOptions *o)
{
  *o = (NdDiffOptions){
    .seed_tokens = 3,
    .max_gap = 12,
    .max_drift = 6,
    .min_tokens = 10,
    .min_score = 0.5,
    .max_seed_occurrences = 50,
  };
}

void
nd_diff_free(NdDiff *d)
{
  if (d == NULL)
    return;
  g_array_unref(d->passages);
  g_free(d->a_aligned);
  g_free(d->b_aligned);
  g_free(d);
}

/* Sorted (k-gram hash, position) records of a token sequence. */
static NdKeyed *
kgram_records(const NdToken *t, gsize n, guint k, gsize *count)
{
  *count = n >= k ? n - k + 1 : 0;
  if (*count == 0)
    return NULL;
  g_autoptr(GArray) hashes = g_array_sized_new(FALSE, FALSE, sizeof(guint64), (guint)*count);
  nd_shingle_hashes(t, n, k, 0, hashes);
  NdKeyed *rec = g_new(NdKeyed, *count);
  g_autofree NdKeyed *scratch = g_new(NdKeyed, *count);
  for (gsize i = 0; i < *count; i++)
    rec[i] = (NdKeyed){ g_array_index(hashes, guint64, i), (guint32)i, 0 };
  nd_sort_keyed(rec, scratch, *count);
  return rec;
}

/* All seeds (i << 32 | j), sorted by i then j. */
static GArray *
find_seeds(const NdToken *a, gsize n_a, const NdToken *b, gsize n_b, const NdDiffOptions *o)
{
  GArray *seeds = g_array_new(FALSE, FALSE, sizeof(guint64));
  gsize ca, cb;
  g_autofree NdKeyed *ra = kgram_records(a, n_a, o->seed_tokens, &ca);
  g_autofree NdKeyed *rb = kgram_records(b, n_b, o->seed_tokens, &cb);
  gsize x = 0, y = 0;
  while (x < ca && y < cb) {
    if (ra[x].key < rb[y].key) {
      x++;
    } else if (ra[x].key > rb[y].key) {
      y++;
    } else {
      gsize x2 = x, y2 = y;
      while (x2 < ca && ra[x2].key == ra[x].key)
        x2++;
      while (y2 < cb && rb[y2].key == rb[y].key)
        y2++;
      if (x2 - x <= o->max_seed_occurrences && y2 - y <= o->max_seed_occurrences)
        for (gsize p = x; p < x2; p++)
          for (gsize q = y; q < y2; q++) {
            guint64 code = ((guint64)ra[p].value << 32) | rb[q].value;
            g_array_append_val(seeds, code);
          }
      x = x2;
      y = y2;
    }
  }
  if (seeds->len > 1) {
    g_autofree guint64 *scratch = g_new(guint64, seeds->len);
    nd_sort_u64((guint64 *)seeds->data, scratch, seeds->len);
  }
  return seeds;
}

typedef struct {
  guint32 first_i, first_j, last_i, last_j;
  guint32 end_a, end_b; /* one past the last token covered by a seed */
  guint32 cov_a, cov_b; /* tokens aligned: covered by seeds or matched by the end extensions */
  guint32 ext_left, ext_right; /* tokens added by the ungapped extensions */
  gboolean kept;
} Chain;

#define MAX_ACTIVE 1024

static gint64
diagonal(guint32 i, guint32 j)
{
  return (gint64)j - (gint64)i;
}

#define EXTEND_DROP 2

/* Length of the best ungapped extension from (i, j) in direction `dir` (-1 left, +1 right), not
 * counting (i, j) itself; adds the matches in it to *matched. */
static guint32
extend(const NdToken *a, const NdToken *b, guint32 i, guint32 j, int dir, gsize n_a, gsize n_b, guint limit,
       guint32 *matched)
{
  int score = 0, best = 0;
  guint32 best_len = 0, best_matches = 0, matches = 0;
  for (guint32 step = 1; step <= limit; step++) {
    gint64 x = (gint64)i + dir * (gint64)step, y = (gint64)j + dir * (gint64)step;
    if (x < 0 || y < 0 || x >= (gint64)n_a || y >= (gint64)n_b)
      break;
    gboolean same = a[x].hash == b[y].hash;
    score += same ? 1 : -1;
    matches += same;
    if (same && score > best) {
      best = score;
      best_len = step;
      best_matches = matches;
    }
    if (score < best - EXTEND_DROP)
      break;
  }
  *matched += best_matches;
  return best_len;
}

typedef struct {
  guint chain;
  double weight;
} Ranked;

static int
compare_ranked(const void *x, const void *y)
{
  const Ranked *a = x, *b = y;
  if (a->weight != b->weight)
    return a->weight > b->weight ? -1 : 1;
  return a->chain < b->chain ? -1 : a->chain > b->chain;
}

static int
compare_passages(const void *x, const void *y)
{
  const NdPassage *a = x, *b = y;
  if (a->a_first != b->a_first)
    return a->a_first < b->a_first ? -1 : 1;
  return a->b_first < b->b_first ? -1 : a->b_first > b->b_first;
}

static double
overlap_share(guint32 s1, guint32 e1, guint32 s2, guint32 e2)
{
  guint32 lo = MAX(s1, s2), hi = MIN(e1, e2);
  if (hi <= lo)
    return 0.0;
  return (double)(hi - lo) / MIN(e1 - s1, e2 - s2);
}

NdDiff *
nd_diff_tokens(const NdToken *a, gsize n_a, const NdToken *b, gsize n_b, const NdDiffOptions *options)
{
  NdDiffOptions defaults;
  nd_diff_options_init(&defaults);
  const NdDiffOptions *o = options ? options : &defaults;
  const guint32 k = MAX(o->seed_tokens, 1);
  NdDiff *d = g_new0(NdDiff, 1);
  d->passages = g_array_new(FALSE, FALSE, sizeof(NdPassage));
  d->a_tokens = (guint32)n_a;
  d->b_tokens = (guint32)n_b;
  d->a_aligned = g_new0(guint8, n_a + 1);
  d->b_aligned = g_new0(guint8, n_b + 1);

  g_autoptr(GArray) seeds = find_seeds(a, n_a, b, n_b, o);
  const guint64 *sd = (const guint64 *)seeds->data;
  g_autoptr(GArray) chains = g_array_new(FALSE, FALSE, sizeof(Chain));
  g_autofree guint32 *seed_chain = g_new(guint32, seeds->len + 1);
  g_autoptr(GArray) active = g_array_new(FALSE, FALSE, sizeof(guint32));

  for (guint s = 0; s < seeds->len; s++) {
    guint32 i = (guint32)(sd[s] >> 32), j = (guint32)sd[s];
    /* Chains that ended too far back can never be extended again: drop them from the active set. */
    guint keep = 0;
    for (guint x = 0; x < active->len; x++) {
      guint32 c = g_array_index(active, guint32, x);
      if ((gint64)g_array_index(chains, Chain, c).last_i + k + o->max_gap >= i)
        g_array_index(active, guint32, keep++) = c;
    }
    g_array_set_size(active, keep);

    gint best = -1;
    gint64 best_drift = G_MAXINT64;
    for (guint x = 0; x < active->len; x++) {
      guint32 ci = g_array_index(active, guint32, x);
      const Chain *c = &g_array_index(chains, Chain, ci);
      if (c->last_i >= i || c->last_j >= j)
        continue;
      if (i - c->last_i > k + o->max_gap || j - c->last_j > k + o->max_gap)
        continue;
      gint64 drift = ABS(diagonal(i, j) - diagonal(c->last_i, c->last_j));
      if (drift > o->max_drift)
        continue;
      if (drift < best_drift || (drift == best_drift && (gint)ci > best)) {
        best = (gint)ci;
        best_drift = drift;
      }
    }
    if (best >= 0) {
      Chain *c = &g_array_index(chains, Chain, best);
      c->cov_a += i + k - MAX(c->end_a, i);
      c->cov_b += j + k - MAX(c->end_b, j);
      c->end_a = i + k;
      c->end_b = j + k;
      c->last_i = i;
      c->last_j = j;
      seed_chain[s] = (guint32)best;
    } else {
      Chain c = { i, j, i, j, i + k, j + k, k, k, 0, 0, FALSE };
      g_array_append_val(chains, c);
      guint32 ci = chains->len - 1;
      seed_chain[s] = ci;
      if (active->len >= MAX_ACTIVE) /* pathological repetition: forget the oldest chain */
        g_array_remove_index(active, 0);
      g_array_append_val(active, ci);
    }
  }

  /* Ungapped extension of each chain's ends along its first and last diagonal: words before the
   * first seed or after the last one that match (even with a word or two changed between them, as
   * in "Officials in Kyiv said" / "Officials in Kiev said") belong to the passage too. A match scores
   * +1 and a mismatch -1; the extension stops where the score falls EXTEND_DROP below its best and
   * keeps the best point. */
  for (guint c = 0; c < chains->len; c++) {
    Chain *ch = &g_array_index(chains, Chain, c);
    guint32 matched = 0;
    ch->ext_left = extend(a, b, ch->first_i, ch->first_j, -1, n_a, n_b, k + o->max_gap, &matched);
    ch->first_i -= ch->ext_left;
    ch->first_j -= ch->ext_left;
    ch->ext_right = extend(a, b, ch->end_a - 1, ch->end_b - 1, +1, n_a, n_b, k + o->max_gap, &matched);
    ch->end_a += ch->ext_right;
    ch->end_b += ch->ext_right;
    ch->cov_a += matched;
    ch->cov_b += matched;
  }

  /* Candidates that pass the length and score rules, best first. */
  g_autoptr(GArray) ranked = g_array_new(FALSE, FALSE, sizeof(Ranked));
  for (guint c = 0; c < chains->len; c++) {
    const Chain *ch = &g_array_index(chains, Chain, c);
    guint32 span_a = ch->end_a - ch->first_i, span_b = ch->end_b - ch->first_j;
    if (span_a < o->min_tokens || span_b < o->min_tokens)
      continue;
    double score = (double)(ch->cov_a + ch->cov_b) / (span_a + span_b);
    if (score < o->min_score)
      continue;
    Ranked r = { c, (double)(ch->cov_a + ch->cov_b) + score };
    g_array_append_val(ranked, r);
  }
  if (ranked->len > 1)
    qsort(ranked->data, ranked->len, sizeof(Ranked), compare_ranked);
  for (guint r = 0; r < ranked->len; r++) {
    Chain *ch = &g_array_index(chains, Chain, g_array_index(ranked, Ranked, r).chain);
    gboolean duplicate = FALSE;
    for (guint p = 0; p < d->passages->len && !duplicate; p++) {
      const NdPassage *q = &g_array_index(d->passages, NdPassage, p);
      duplicate = overlap_share(ch->first_i, ch->end_a, q->a_first, q->a_end) > 0.5 &&
                  overlap_share(ch->first_j, ch->end_b, q->b_first, q->b_end) > 0.5;
    }
    if (duplicate)
      continue;
    ch->kept = TRUE;
    NdPassage p = {
      .a_first = ch->first_i, .a_end = ch->end_a, .b_first = ch->first_j, .b_end = ch->end_b,
      .a_start = a[ch->first_i].start, .a_stop = a[ch->end_a - 1].end,
      .b_start = b[ch->first_j].start, .b_stop = b[ch->end_b - 1].end,
      .a_matched = ch->cov_a, .b_matched = ch->cov_b,
      .score = (double)(ch->cov_a + ch->cov_b) / ((ch->end_a - ch->first_i) + (ch->end_b - ch->first_j)),
    };
    g_array_append_val(d->passages, p);
  }
  if (d->passages->len > 1)
    qsort(d->passages->data, d->passages->len, sizeof(NdPassage), compare_passages);

  for (guint s = 0; s < seeds->len; s++) {
    if (!g_array_index(chains, Chain, seed_chain[s]).kept)
      continue;
    guint32 i = (guint32)(sd[s] >> 32), j = (guint32)sd[s];
    memset(d->a_aligned + i, 1, k);
    memset(d->b_aligned + j, 1, k);
  }
  for (guint c = 0; c < chains->len; c++) {
    const Chain *ch = &g_array_index(chains, Chain, c);
    if (!ch->kept)
      continue;
    for (guint32 t = 0; t < ch->ext_left; t++)
      if (a[ch->first_i + t].hash == b[ch->first_j + t].hash)
        d->a_aligned[ch->first_i + t] = d->b_aligned[ch->first_j + t] = 1;
    for (guint32 t = 1; t <= ch->ext_right; t++)
      if (a[ch->end_a - t].hash == b[ch->end_b - t].hash)
        d->a_aligned[ch->end_a - t] = d->b_aligned[ch->end_b - t] = 1;
  }
  g_autofree guint8 *cover_a = g_new0(guint8, n_a + 1), *cover_b = g_new0(guint8, n_b + 1);
  for (guint p = 0; p < d->passages->len; p++) {
    const NdPassage *q = &g_array_index(d->passages, NdPassage, p);
    memset(cover_a + q->a_first, 1, q->a_end - q->a_first);
    memset(cover_b + q->b_first, 1, q->b_end - q->b_first);
  }
  gsize covered_a = 0, covered_b = 0;
  for (gsize i = 0; i < n_a; i++)
    covered_a += cover_a[i];
  for (gsize j = 0; j < n_b; j++)
    covered_b += cover_b[j];
  d->a_coverage = n_a ? (double)covered_a / n_a : 0.0;
  d->b_coverage = n_b ? (double)covered_b / n_b : 0.0;
  return d;
}

NdDiff *
nd_diff_texts(const char *a, gsize a_len, const char *b, gsize b_len, NdTokenMode mode, NdTextFlags flags,
              const NdDiffOptions *options, GError **error)
{
  g_autoptr(GArray) ta = g_array_new(FALSE, FALSE, sizeof(NdToken));
  g_autoptr(GArray) tb = g_array_new(FALSE, FALSE, sizeof(NdToken));
  if (!nd_tokenize(a, a_len, mode, flags, ta, error)) {
    g_prefix_error(error, "A: ");
    return NULL;
  }
  if (!nd_tokenize(b, b_len, mode, flags, tb, error)) {
    g_prefix_error(error, "B: ");
    return NULL;
  }
  return nd_diff_tokens((const NdToken *)ta->data, ta->len, (const NdToken *)tb->data, tb->len, options);
}
