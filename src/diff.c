/* diff.c — the passages of two texts: seed-and-chain alignment for verbatim passages, sentence
 * alignment for rewritten ones (the rules are in include/neardup/diff.h).
 *
 * Seeds are found by sorting the k-gram hashes of both texts' match keys (words.h) and merging the
 * sorted runs, so there is no hash table and no dependence on iteration order: the result is a pure
 * function of the inputs.
 */
#include <neardup/neardup.h>
#include <math.h>
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
    .min_tokens = ND_DIFF_MIN_TOKENS,
    .min_content = 3,
    .min_score = 0.5,
    .max_seed_occurrences = 50,
    .stem = TRUE,
    .sentence_overlap = 0.4,
    .sentence_min_shared = 4,
  };
}

gboolean
nd_passage_is_quotation(const NdPassage *p)
{
  return 2 * (guint64)p->a_quoted > p->a_matched;
}

const char *
nd_passage_label(const NdPassage *p)
{
  return nd_passage_is_quotation(p) ? "quotation" : "narrative";
}

void
nd_diff_free(NdDiff *d)
{
  if (d == NULL)
    return;
  g_array_unref(d->passages);
  g_free(d->a_aligned);
  g_free(d->b_aligned);
  g_free(d->a_quoted);
  g_free(d->b_quoted);
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

/* The verbatim passages of a and b (tokens whose hashes are the match keys), appended to
 * d->passages with their aligned tokens marked. a_content flags A's content words. */
static void
verbatim_passages(const NdToken *a, gsize n_a, const NdToken *b, gsize n_b, const guint8 *a_content,
                  const guint8 *qa, const guint8 *qb, const NdDiffOptions *o, NdDiff *d)
{
  const guint32 k = MAX(o->seed_tokens, 1);

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

  /* The content words of A each chain aligns: those its extensions matched, and those its seeds
   * cover (a chain's seeds come in order of i, so each covers the tokens past the last one). */
  g_autofree guint32 *content_of = g_new0(guint32, chains->len + 1);
  g_autofree guint32 *counted_end = g_new0(guint32, chains->len + 1);
  for (guint c = 0; c < chains->len; c++) {
    const Chain *ch = &g_array_index(chains, Chain, c);
    for (guint32 t = 0; t < ch->ext_left; t++)
      if (a[ch->first_i + t].hash == b[ch->first_j + t].hash)
        content_of[c] += a_content[ch->first_i + t];
    for (guint32 t = 1; t <= ch->ext_right; t++)
      if (a[ch->end_a - t].hash == b[ch->end_b - t].hash)
        content_of[c] += a_content[ch->end_a - t];
  }
  for (guint x = 0; x < seeds->len; x++) {
    guint32 i = (guint32)(sd[x] >> 32), c = seed_chain[x];
    for (guint32 t = MAX(counted_end[c], i); t < i + k; t++)
      content_of[c] += a_content[t];
    counted_end[c] = i + k;
  }

  /* Candidates that pass the length, content and score rules, best first. */
  g_autoptr(GArray) ranked = g_array_new(FALSE, FALSE, sizeof(Ranked));
  for (guint c = 0; c < chains->len; c++) {
    const Chain *ch = &g_array_index(chains, Chain, c);
    guint32 span_a = ch->end_a - ch->first_i, span_b = ch->end_b - ch->first_j;
    if (span_a < o->min_tokens || span_b < o->min_tokens || content_of[c] < o->min_content)
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
    NdPassage p;
    memset(&p, 0, sizeof p); /* padding too: results are compared bytewise */
    p.a_first = ch->first_i;
    p.a_end = ch->end_a;
    p.b_first = ch->first_j;
    p.b_end = ch->end_b;
    p.a_start = a[ch->first_i].start;
    p.a_stop = a[ch->end_a - 1].end;
    p.b_start = b[ch->first_j].start;
    p.b_stop = b[ch->end_b - 1].end;
    p.a_matched = ch->cov_a;
    p.b_matched = ch->cov_b;
    p.score = (double)(ch->cov_a + ch->cov_b) / ((ch->end_a - ch->first_i) + (ch->end_b - ch->first_j));
    p.kind = ND_PASSAGE_VERBATIM;
    g_array_append_val(d->passages, p);
  }

  for (guint s = 0; s < seeds->len; s++) {
    if (!g_array_index(chains, Chain, seed_chain[s]).kept)
      continue;
    guint32 i = (guint32)(sd[s] >> 32), j = (guint32)sd[s];
    memset(d->a_aligned + i, 1, k);
    memset(d->b_aligned + j, 1, k);
    for (guint32 t = 0; t < k; t++)
      if (qa[i + t] && qb[j + t])
        d->a_quoted[i + t] = d->b_quoted[j + t] = 1;
  }
  for (guint c = 0; c < chains->len; c++) {
    const Chain *ch = &g_array_index(chains, Chain, c);
    if (!ch->kept)
      continue;
    for (guint32 t = 0; t < ch->ext_left; t++)
      if (a[ch->first_i + t].hash == b[ch->first_j + t].hash) {
        d->a_aligned[ch->first_i + t] = d->b_aligned[ch->first_j + t] = 1;
        if (qa[ch->first_i + t] && qb[ch->first_j + t])
          d->a_quoted[ch->first_i + t] = d->b_quoted[ch->first_j + t] = 1;
      }
    for (guint32 t = 1; t <= ch->ext_right; t++)
      if (a[ch->end_a - t].hash == b[ch->end_b - t].hash) {
        d->a_aligned[ch->end_a - t] = d->b_aligned[ch->end_b - t] = 1;
        if (qa[ch->end_a - t] && qb[ch->end_b - t])
          d->a_quoted[ch->end_a - t] = d->b_quoted[ch->end_b - t] = 1;
      }
  }
}

/* Sentence numbers of the tokens of `text`: a sentence ends at . ! ? ; (and their Arabic-script and
 * CJK forms) or a line break between two tokens. Returns how many sentences. */
static guint32
sentence_ids(const char *text, const NdToken *t, gsize n, guint32 *ids)
{
  guint32 s = 0;
  for (gsize i = 0; i < n; i++) {
    if (i > 0) {
      const char *p = text + t[i - 1].end, *end = text + t[i].start;
      gboolean brk = FALSE;
      for (; p < end && !brk; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2)
          break;
        brk = c == '.' || c == '!' || c == '?' || c == ';' || c == '\n' || c == 0x06D4 /* ۔ */ ||
              c == 0x061F /* ؟ */ || c == 0x061B /* ؛ */ || c == 0x3002 /* 。 */ || c == 0xFF01 || c == 0xFF1F ||
              c == 0x0964 /* । */;
      }
      s += brk;
    }
    ids[i] = s;
  }
  return n ? s + 1 : 0;
}

typedef struct {
  guint32 first, end; /* token range */
} Span;

/* The spans of the sentences of `ids` (n tokens, n_sent sentences). */
static Span *
sentence_spans(const guint32 *ids, gsize n, guint32 n_sent)
{
  Span *sp = g_new0(Span, n_sent + 1);
  for (gsize i = 0; i < n; i++) {
    if (i == 0 || ids[i] != ids[i - 1])
      sp[ids[i]].first = (guint32)i;
    sp[ids[i]].end = (guint32)i + 1;
  }
  return sp;
}

/* A name inside a sentence (a capital letter not at its start) weighs NAME_WEIGHT of another word:
 * articles on one story share its names in sentences that say different things. */
#define NAME_WEIGHT 0.5

static double
name_factor(const char *text, const NdToken *t, const guint32 *sentence, gsize i)
{
  if (i == 0 || sentence[i] != sentence[i - 1])
    return 1.0;
  gunichar c = g_utf8_get_char(text + t[i].start);
  return g_unichar_isupper(c) || g_unichar_istitle(c) ? NAME_WEIGHT : 1.0;
}

static gboolean sorted_has(const guint64 *a, gsize n, guint64 key);

/* The run of records with `key` in sorted rec[0 .. n): [*first, *end). */
static void
key_run(const NdKeyed *rec, gsize n, guint64 key, gsize *first, gsize *end)
{
  gsize lo = 0, hi = n;
  while (lo < hi) {
    gsize mid = lo + (hi - lo) / 2;
    if (rec[mid].key < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  *first = lo;
  while (lo < n && rec[lo].key == key)
    lo++;
  *end = lo;
}

/* Rewritten passages: each sentence of A that the passages found so far leave mostly uncovered,
 * aligned with the sentence of B holding the largest rarity-weighted share of its content words.
 * B's content words are (key, sentence) records sorted by key, one per distinct pair, so a word's
 * sentences are one run found by binary search. */
static void
sentence_passages(const char *a_text, const NdToken *a, const guint64 *ka, const guint8 *ca, const guint8 *qa,
                  gsize n_a, const char *b_text, const NdToken *b, const guint64 *kb, const guint8 *cb,
                  const guint8 *qb, gsize n_b, const NdDiffOptions *o, NdDiff *d)
{
  g_autofree guint32 *sa = g_new(guint32, n_a + 1), *sb = g_new(guint32, n_b + 1);
  guint32 ns_a = sentence_ids(a_text, a, n_a, sa), ns_b = sentence_ids(b_text, b, n_b, sb);
  if (ns_a == 0 || ns_b == 0)
    return;
  g_autofree Span *spa = sentence_spans(sa, n_a, ns_a), *spb = sentence_spans(sb, n_b, ns_b);
  /* (key, sentence, token) of B's content words; the sort is stable, so within a key the sentences
   * ascend; then one record per (key, sentence). */
  g_autofree NdKeyed *where = g_new(NdKeyed, n_b + 1), *scratch = g_new(NdKeyed, n_b + 1);
  gsize n_where = 0;
  for (gsize j = 0; j < n_b; j++)
    if (cb[j])
      where[n_where++] = (NdKeyed){ kb[j], sb[j], (guint32)j };
  nd_sort_keyed(where, scratch, n_where);
  gsize m = 0;
  for (gsize x = 0; x < n_where; x++)
    if (m == 0 || where[m - 1].key != where[x].key || where[m - 1].value != where[x].value)
      where[m++] = where[x];
  n_where = m;
  /* Rarity of a key among B's sentences, and each sentence of B's content weight (its distinct
   * content words, names at half weight: where[].pad is the token the first time). */
  const double log_s = log((double)ns_b + 1.0);
  g_autofree double *weight_b = g_new0(double, ns_b + 1);
  for (gsize x = 0; x < n_where;) {
    gsize y = x + 1;
    while (y < n_where && where[y].key == where[x].key)
      y++;
    double w = log_s - log((double)(y - x) + 0.5);
    for (gsize z = x; z < y; z++)
      weight_b[where[z].value] += w * name_factor(b_text, b, sb, where[z].pad);
    x = y;
  }
  /* A's tokens already inside passages. */
  g_autofree guint8 *covered = g_new0(guint8, n_a + 1);
  for (guint p = 0; p < d->passages->len; p++) {
    const NdPassage *q = &g_array_index(d->passages, NdPassage, p);
    memset(covered + q->a_first, 1, q->a_end - q->a_first);
  }
  g_autofree double *score = g_new0(double, ns_b);
  g_autofree guint32 *shared = g_new0(guint32, ns_b);
  g_autoptr(GArray) touched = g_array_new(FALSE, FALSE, sizeof(guint32));
  g_autoptr(GArray) words = g_array_new(FALSE, FALSE, sizeof(NdKeyed)); /* the A sentence's content words */
  g_autoptr(GArray) words_scratch = g_array_new(FALSE, FALSE, sizeof(NdKeyed));
  for (guint32 s = 0; s < ns_a; s++) {
    const Span sp = spa[s];
    if (sp.end - sp.first < o->min_tokens)
      continue;
    guint32 n_cov = 0;
    for (guint32 i = sp.first; i < sp.end; i++)
      n_cov += covered[i];
    if (2 * n_cov >= sp.end - sp.first)
      continue;
    /* The sentence's distinct content keys (the first occurrence of each), each weighted by its
     * rarity among B's sentences. */
    g_array_set_size(words, 0);
    for (guint32 i = sp.first; i < sp.end; i++)
      if (ca[i]) {
        NdKeyed w = { ka[i], i, 0 };
        g_array_append_val(words, w);
      }
    g_array_set_size(words_scratch, words->len);
    nd_sort_keyed((NdKeyed *)words->data, (NdKeyed *)words_scratch->data, words->len);
    g_array_set_size(touched, 0);
    double total = 0;
    const NdKeyed *ws = (const NdKeyed *)words->data;
    for (guint x = 0; x < words->len; x++) {
      if (x > 0 && ws[x].key == ws[x - 1].key)
        continue;
      gsize first, end;
      key_run(where, n_where, ws[x].key, &first, &end);
      double w = (log_s - log((double)(end - first) + 0.5)) * name_factor(a_text, a, sa, ws[x].value);
      total += w;
      for (gsize z = first; z < end; z++) {
        guint32 t = where[z].value;
        if (shared[t]++ == 0)
          g_array_append_val(touched, t);
        score[t] += w;
      }
    }
    guint32 best = G_MAXUINT32;
    for (guint x = 0; x < touched->len; x++) {
      guint32 t = g_array_index(touched, guint32, x);
      gboolean enough = shared[t] >= o->sentence_min_shared && total > 0 &&
                        score[t] >= o->sentence_overlap * total && score[t] >= 0.5 * o->sentence_overlap * weight_b[t];
      if (!enough)
        continue;
      /* the best sentence so far gives way to a better one, or to an equal one earlier in B */
      gboolean better = best == G_MAXUINT32 || score[t] > score[best];
      gboolean earlier = !better && score[t] == score[best] && best > t;
      if (better || earlier)
        best = t;
    }
    for (guint x = 0; x < touched->len; x++) {
      guint32 t = g_array_index(touched, guint32, x);
      shared[t] = 0;
      score[t] = 0;
    }
    if (best == G_MAXUINT32)
      continue;
    /* The pair of sentences: words of each found in the other are aligned (both sides' keys
     * sorted, every word looked up). */
    const Span tb = spb[best];
    g_autofree guint64 *keys_a = g_new(guint64, sp.end - sp.first), *keys_b = g_new(guint64, tb.end - tb.first);
    g_autofree guint64 *kscratch = g_new(guint64, MAX(sp.end - sp.first, tb.end - tb.first));
    memcpy(keys_a, ka + sp.first, (sp.end - sp.first) * sizeof(guint64));
    memcpy(keys_b, kb + tb.first, (tb.end - tb.first) * sizeof(guint64));
    nd_sort_u64(keys_a, kscratch, sp.end - sp.first);
    nd_sort_u64(keys_b, kscratch, tb.end - tb.first);
    /* The keys each sentence holds inside quotation marks: a word quoted on one side is a quotation
     * word when the other side quotes a word with its key. */
    g_autofree guint64 *quoted_a = g_new(guint64, sp.end - sp.first), *quoted_b = g_new(guint64, tb.end - tb.first);
    gsize nq_a = 0, nq_b = 0;
    for (guint32 i = sp.first; i < sp.end; i++)
      if (qa[i])
        quoted_a[nq_a++] = ka[i];
    for (guint32 j = tb.first; j < tb.end; j++)
      if (qb[j])
        quoted_b[nq_b++] = kb[j];
    nd_sort_u64(quoted_a, kscratch, nq_a);
    nd_sort_u64(quoted_b, kscratch, nq_b);
    NdPassage p;
    memset(&p, 0, sizeof p); /* padding too: results are compared bytewise */
    p.a_first = sp.first;
    p.a_end = sp.end;
    p.b_first = tb.first;
    p.b_end = tb.end;
    p.a_start = a[sp.first].start;
    p.a_stop = a[sp.end - 1].end;
    p.b_start = b[tb.first].start;
    p.b_stop = b[tb.end - 1].end;
    p.kind = ND_PASSAGE_REWRITTEN;
    for (guint32 i = sp.first; i < sp.end; i++)
      if (sorted_has(keys_b, tb.end - tb.first, ka[i])) {
        p.a_matched++;
        d->a_aligned[i] = 1;
        if (qa[i] && sorted_has(quoted_b, nq_b, ka[i]))
          d->a_quoted[i] = 1;
      }
    for (guint32 j = tb.first; j < tb.end; j++)
      if (sorted_has(keys_a, sp.end - sp.first, kb[j])) {
        p.b_matched++;
        d->b_aligned[j] = 1;
        if (qb[j] && sorted_has(quoted_a, nq_a, kb[j]))
          d->b_quoted[j] = 1;
      }
    p.score = (double)(p.a_matched + p.b_matched) / ((sp.end - sp.first) + (tb.end - tb.first));
    g_array_append_val(d->passages, p);
  }
}

/* The words of boilerplate lines get keys of their own (`salt` with their position: nothing else has
 * them) and carry no content, so no passage is made of them. */
static void
silence_boilerplate(const char *text, const NdToken *t, gsize n, const NdDiffOptions *o, guint64 salt, guint64 *keys,
                    guint8 *content)
{
  g_autofree guint32 *line = g_new(guint32, n + 1);
  nd_line_ids(text, t, n, line);
  for (gsize first = 0; first < n;) {
    gsize end = first + 1;
    while (end < n && line[end] == line[first])
      end++;
    if (end - first <= ND_BOILERPLATE_MAX_WORDS) {
      guint32 key = nd_line_key(t + first, end - first);
      gsize lo = 0, hi = o->n_boilerplate;
      while (lo < hi) {
        gsize mid = lo + (hi - lo) / 2;
        if (o->boilerplate[mid] < key)
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo < o->n_boilerplate && o->boilerplate[lo] == key)
        for (gsize i = first; i < end; i++) {
          keys[i] = salt | i;
          content[i] = 0;
        }
    }
    first = end;
  }
}

/* Whether sorted a[0 .. n) holds key. */
static gboolean
sorted_has(const guint64 *a, gsize n, guint64 key)
{
  gsize lo = 0, hi = n;
  while (lo < hi) {
    gsize mid = lo + (hi - lo) / 2;
    if (a[mid] < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && a[lo] == key;
}

/* Tokens with their match keys for hashes. */
static NdToken *
keyed_tokens(const NdToken *t, gsize n, const guint64 *keys)
{
  NdToken *out = g_new(NdToken, n + 1);
  for (gsize i = 0; i < n; i++)
    out[i] = (NdToken){ keys[i], t[i].start, t[i].end };
  return out;
}

NdDiff *
nd_diff_tokens(const char *a_text, const NdToken *a, gsize n_a, const char *b_text, const NdToken *b, gsize n_b,
               const NdDiffOptions *options)
{
  NdDiffOptions defaults;
  nd_diff_options_init(&defaults);
  const NdDiffOptions *o = options ? options : &defaults;
  NdDiff *d = g_new0(NdDiff, 1);
  d->passages = g_array_new(FALSE, FALSE, sizeof(NdPassage));
  d->a_tokens = (guint32)n_a;
  d->b_tokens = (guint32)n_b;
  d->a_aligned = g_new0(guint8, n_a + 1);
  d->b_aligned = g_new0(guint8, n_b + 1);
  d->a_quoted = g_new0(guint8, n_a + 1);
  d->b_quoted = g_new0(guint8, n_b + 1);

  /* Match keys and content words (words.h); a language is used only when both texts have it. */
  NdLanguage la = nd_guess_language(a, n_a), lb = nd_guess_language(b, n_b);
  d->language = la == lb ? la : ND_LANGUAGE_UNKNOWN;
  const gboolean texts = a_text != NULL && b_text != NULL;
  g_autofree guint64 *ka = g_new(guint64, n_a + 1), *kb = g_new(guint64, n_b + 1);
  g_autofree guint8 *ca = g_new(guint8, n_a + 1), *cb = g_new(guint8, n_b + 1);
  nd_word_keys(a_text, a, n_a, d->language, o->stem && texts, ka, ca);
  nd_word_keys(b_text, b, n_b, d->language, o->stem && texts, kb, cb);
  if (d->language == ND_LANGUAGE_UNKNOWN) {
    /* Without a list, a word frequent in either text is a function word in both: the keys of
     * either's function words, sorted, and each content word looked up. */
    g_autoptr(GArray) function = g_array_new(FALSE, FALSE, sizeof(guint64));
    for (gsize i = 0; i < n_a; i++)
      if (!ca[i])
        g_array_append_val(function, ka[i]);
    for (gsize j = 0; j < n_b; j++)
      if (!cb[j])
        g_array_append_val(function, kb[j]);
    if (function->len > 0) {
      g_autofree guint64 *scratch = g_new(guint64, function->len);
      nd_sort_u64((guint64 *)function->data, scratch, function->len);
      const guint64 *f = (const guint64 *)function->data;
      for (gsize i = 0; i < n_a; i++)
        ca[i] = ca[i] && !sorted_has(f, function->len, ka[i]);
      for (gsize j = 0; j < n_b; j++)
        cb[j] = cb[j] && !sorted_has(f, function->len, kb[j]);
    }
  }
  if (texts && o->n_boilerplate > 0) {
    silence_boilerplate(a_text, a, n_a, o, G_GUINT64_CONSTANT(0xA5A5000000000000), ka, ca);
    silence_boilerplate(b_text, b, n_b, o, G_GUINT64_CONSTANT(0x5A5A000000000000), kb, cb);
  }
  /* Words inside quotation marks (quote.h); none without the texts. */
  g_autofree guint8 *qa = g_new0(guint8, n_a + 1), *qb = g_new0(guint8, n_b + 1);
  if (texts) {
    gsize a_len = n_a ? MAX(o->a_len, a[n_a - 1].end) : 0, b_len = n_b ? MAX(o->b_len, b[n_b - 1].end) : 0;
    nd_quote_mark_tokens(a_text, a_len, a, n_a, qa);
    nd_quote_mark_tokens(b_text, b_len, b, n_b, qb);
  }
  g_autofree NdToken *a_keyed = keyed_tokens(a, n_a, ka), *b_keyed = keyed_tokens(b, n_b, kb);
  verbatim_passages(a_keyed, n_a, b_keyed, n_b, ca, qa, qb, o, d);
  if (texts && o->sentence_overlap > 0)
    sentence_passages(a_text, a, ka, ca, qa, n_a, b_text, b, kb, cb, qb, n_b, o, d);
  if (d->passages->len > 1)
    qsort(d->passages->data, d->passages->len, sizeof(NdPassage), compare_passages);
  for (guint p = 0; p < d->passages->len; p++) {
    NdPassage *q = &g_array_index(d->passages, NdPassage, p);
    for (guint32 i = q->a_first; i < q->a_end; i++)
      q->a_quoted += d->a_quoted[i];
    for (guint32 j = q->b_first; j < q->b_end; j++)
      q->b_quoted += d->b_quoted[j];
  }
  for (gsize i = 0; i < n_a; i++) {
    d->quoted_words += d->a_quoted[i];
    d->narrative_words += d->a_aligned[i] && !d->a_quoted[i];
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
nd_diff_pair(const char *a, gsize a_len, NdTextFlags a_flags, const char *b, gsize b_len, NdTextFlags b_flags,
             NdTokenMode mode, const NdDiffOptions *options, GArray *a_tokens, GArray *b_tokens, GError **error)
{
  g_autoptr(GArray) own_a = a_tokens == NULL ? g_array_new(FALSE, FALSE, sizeof(NdToken)) : NULL;
  g_autoptr(GArray) own_b = b_tokens == NULL ? g_array_new(FALSE, FALSE, sizeof(NdToken)) : NULL;
  GArray *ta = a_tokens != NULL ? a_tokens : own_a, *tb = b_tokens != NULL ? b_tokens : own_b;
  g_array_set_size(ta, 0);
  g_array_set_size(tb, 0);
  if (!nd_tokenize(a, a_len, mode, a_flags, ta, error)) {
    g_prefix_error(error, "A: ");
    return NULL;
  }
  if (!nd_tokenize(b, b_len, mode, b_flags, tb, error)) {
    g_prefix_error(error, "B: ");
    return NULL;
  }
  NdDiffOptions o; /* the texts' lengths: quotation marks after the last word count */
  if (options != NULL)
    o = *options;
  else
    nd_diff_options_init(&o);
  o.a_len = a_len;
  o.b_len = b_len;
  return nd_diff_tokens(a, (const NdToken *)(void *)ta->data, ta->len, b, (const NdToken *)(void *)tb->data, tb->len,
                        &o);
}

NdDiff *
nd_diff_texts(const char *a, gsize a_len, const char *b, gsize b_len, NdTokenMode mode, NdTextFlags flags,
              const NdDiffOptions *options, GError **error)
{
  return nd_diff_pair(a, a_len, flags, b, b_len, flags, mode, options, NULL, NULL, error);
}
