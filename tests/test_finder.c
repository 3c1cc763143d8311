/* test_finder.c — candidates, verification and the report rule (finder.h). */
#include <check.h>
#include <neardup/neardup.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"

/* A list of words (owned strings) generated from `seed`. */
static GPtrArray *
words_new(guint64 seed, guint n)
{
  GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
  guint64 st = seed;
  gen_words(&st, n, w);
  return w;
}

/* Prose from words[begin..end), appended to `out`. */
static void
append_words(GString *out, GPtrArray *w, guint begin, guint end, guint64 seed)
{
  guint64 st = seed;
  if (out->len > 0)
    g_string_append(out, "\n\n");
  join_words(w, begin, end, &st, out);
}

/* A copy of `w` where each word is replaced by a new random word with probability `p`. */
static GPtrArray *
words_edited(GPtrArray *w, double p, guint64 seed)
{
  guint64 st = seed;
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < w->len; i++) {
    if (rand_unit(&st) < p) {
      g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func(g_free);
      gen_words(&st, 1, one);
      g_ptr_array_add(out, g_strconcat("x", g_ptr_array_index(one, 0), NULL));
    } else {
      g_ptr_array_add(out, g_strdup(g_ptr_array_index(w, i)));
    }
  }
  return out;
}

static char *
prose(GPtrArray *w, guint64 seed)
{
  GString *s = g_string_new(NULL);
  append_words(s, w, 0, w->len, seed);
  return g_string_free(s, FALSE);
}

/* A collection of texts with ids "d0", "d1", ... */
static NdCollection *
build(char **texts, guint n, gboolean keep_sets)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  p.keep_sets = keep_sets;
  NdCollection *c = nd_collection_new(&p);
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  for (guint i = 0; i < n; i++) {
    g_autofree char *id = g_strdup_printf("d%u", i);
    GError *error = NULL;
    NdDocument *d = nd_signer_sign(s, id, texts[i], strlen(texts[i]), &error);
    ck_assert_msg(d != NULL, "sign %s: %s", id, error ? error->message : "?");
    ck_assert(nd_collection_add(c, d, NULL));
  }
  return c;
}

static GArray *
find(const NdCollection *c, const NdFindOptions *o, NdFindStats *stats)
{
  GError *error = NULL;
  GArray *pairs = nd_find_pairs(c, o, stats, &error);
  ck_assert_msg(pairs != NULL, "nd_find_pairs failed: %s", error ? error->message : "?");
  return pairs;
}

static GArray *
find_default(const NdCollection *c, NdFindStats *stats)
{
  NdFindOptions o;
  nd_find_options_init(&o);
  return find(c, &o, stats);
}

static const NdPair *
pair_at(GArray *pairs, guint i)
{
  ck_assert_uint_lt(i, pairs->len);
  return &g_array_index(pairs, NdPair, i);
}

/* The reported pair (a, b), or NULL. */
static const NdPair *
lookup(GArray *pairs, guint a, guint b)
{
  for (guint i = 0; i < pairs->len; i++) {
    const NdPair *p = pair_at(pairs, i);
    if (p->a == a && p->b == b)
      return p;
  }
  return NULL;
}

static void
assert_sorted(GArray *pairs)
{
  for (guint i = 0; i < pairs->len; i++) {
    const NdPair *p = pair_at(pairs, i);
    ck_assert_uint_lt(p->a, p->b);
    if (i > 0) {
      const NdPair *q = pair_at(pairs, i - 1);
      ck_assert_msg(q->a < p->a || (q->a == p->a && q->b < p->b), "pairs %u and %u out of order", i - 1, i);
    }
  }
}

static void
assert_same_pairs(GArray *x, GArray *y)
{
  ck_assert_uint_eq(x->len, y->len);
  for (guint i = 0; i < x->len; i++) {
    const NdPair *p = pair_at(x, i), *q = pair_at(y, i);
    ck_assert_uint_eq(p->a, q->a);
    ck_assert_uint_eq(p->b, q->b);
    ck_assert_uint_eq(p->shared, q->shared);
    ck_assert_double_eq(p->jaccard, q->jaccard);
    ck_assert_double_eq(p->containment_a_in_b, q->containment_a_in_b);
    ck_assert_double_eq(p->containment_b_in_a, q->containment_b_in_a);
  }
}

static void
free_texts(char **texts, guint n)
{
  for (guint i = 0; i < n; i++)
    g_free(texts[i]);
}

START_TEST(test_options_defaults)
{
  NdFindOptions o;
  memset(&o, 0xAB, sizeof o);
  nd_find_options_init(&o);
  ck_assert_double_eq(o.threshold, ND_DEFAULT_THRESHOLD);
  ck_assert_double_eq(o.threshold, 0.5);
  ck_assert_double_eq(o.containment, ND_DEFAULT_CONTAINMENT);
  ck_assert_double_eq(o.containment, 0.2);
  ck_assert_uint_eq(o.min_shared, 8);
  ck_assert_int_eq(o.verify, ND_VERIFY_EXACT);
  ck_assert(o.anchors);
  ck_assert_double_eq(o.score, ND_DEFAULT_SCORE);
  ck_assert_double_eq(o.score, 0.225);
  ck_assert_uint_eq(o.max_posting, 500);
  ck_assert_uint_eq(o.threads, 0);
  ck_assert_double_eq(o.lsh_threshold, 0.0);
  ck_assert(nd_find_options_validate(&o, NULL));
}
END_TEST

START_TEST(test_options_invalid)
{
  NdFindOptions base;
  nd_find_options_init(&base);
  const double bad_threshold[] = { 0.0, 1.0, -0.1, 1.1, NAN };
  const double bad_containment[] = { -0.1, 1.1, NAN };
  g_autofree char *t = gen_article(1, 50);
  char *texts[] = { t };
  g_autoptr(NdCollection) c = build(texts, 1, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS(bad_threshold) + G_N_ELEMENTS(bad_containment) + 2; i++) {
    NdFindOptions o = base;
    if (i < G_N_ELEMENTS(bad_threshold))
      o.threshold = bad_threshold[i];
    else if (i < G_N_ELEMENTS(bad_threshold) + G_N_ELEMENTS(bad_containment))
      o.containment = bad_containment[i - G_N_ELEMENTS(bad_threshold)];
    else
      o.max_posting = (guint)(i - G_N_ELEMENTS(bad_threshold) - G_N_ELEMENTS(bad_containment)); /* 0, 1 */
    GError *error = NULL;
    ck_assert_msg(!nd_find_options_validate(&o, &error), "bad options %zu accepted", i);
    ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_INVALID_ARG));
    g_clear_error(&error);
    ck_assert_ptr_null(nd_find_pairs(c, &o, NULL, &error));
    ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_INVALID_ARG));
    g_clear_error(&error);
  }
  /* an LSH threshold outside (0, 1) is refused by the banding */
  NdFindOptions o = base;
  o.lsh_threshold = 1.5;
  GError *error = NULL;
  ck_assert_ptr_null(nd_find_pairs(c, &o, NULL, &error));
  ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_INVALID_ARG));
  g_clear_error(&error);
  /* edges that are valid */
  o = base;
  o.containment = 0.0;
  ck_assert(nd_find_options_validate(&o, NULL));
  o.containment = 1.0;
  o.max_posting = 2;
  o.threshold = 0.999;
  ck_assert(nd_find_options_validate(&o, NULL));
}
END_TEST

START_TEST(test_identical)
{
  g_autofree char *a = gen_article(11, 300);
  g_autofree char *b = gen_article(12, 300);
  char *texts[] = { a, b, a };
  g_autoptr(NdCollection) c = build(texts, 3, TRUE);
  NdFindStats st;
  g_autoptr(GArray) pairs = find_default(c, &st);
  ck_assert_uint_eq(pairs->len, 1);
  const NdPair *p = pair_at(pairs, 0);
  ck_assert_uint_eq(p->a, 0);
  ck_assert_uint_eq(p->b, 2);
  ck_assert_double_eq(p->jaccard, 1.0);
  ck_assert_double_eq(p->containment_a_in_b, 1.0);
  ck_assert_double_eq(p->containment_b_in_a, 1.0);
  ck_assert_uint_eq(p->shared, nd_collection_get(c, 0)->set_size);
  ck_assert_uint_eq(st.reported, 1);
  ck_assert_uint_ge(st.candidates, 1);
  ck_assert_uint_ge(st.candidates_lsh, 1);
  /* the banding follows the threshold */
  NdLshParams expect;
  ck_assert(nd_lsh_params_for(0.5, 128, ND_LSH_FN_WEIGHT, &expect, NULL));
  ck_assert_uint_eq(st.lsh.bands, expect.bands);
  ck_assert_uint_eq(st.lsh.rows, expect.rows);
}
END_TEST

START_TEST(test_reprint_with_chrome)
{
  g_autoptr(GPtrArray) w = words_new(21, 450);
  g_autofree char *body = prose(w, 1);
  g_autofree char *reprint = g_strconcat(
    "Home | World | Business | Sport | Opinion\nBREAKING: Subscribe for unlimited access\n\n"
    "Harbour repairs to start in spring\nBy Staff Reporter | Updated 14:32\n\n", body,
    "\n\nAdvertisement\n\nShare this article: Facebook Twitter Email\nRelated: Council approves new budget; "
    "Ferry timetable changes next week\n\xC2\xA9 2024 The Daily Planet. All rights reserved.\n", NULL);
  /* a second reprint with light edits: 3% of the words changed */
  g_autoptr(GPtrArray) w2 = words_edited(w, 0.03, 99);
  g_autofree char *edited = prose(w2, 2);
  g_autofree char *other = gen_article(22, 450);
  char *texts[] = { body, other, reprint, edited };
  g_autoptr(NdCollection) c = build(texts, 4, TRUE);
  g_autoptr(GArray) pairs = find_default(c, NULL);
  ck_assert_uint_eq(pairs->len, 3);
  const NdPair *p = lookup(pairs, 0, 2);
  ck_assert_ptr_nonnull(p);
  ck_assert_double_ge(p->jaccard, 0.85);
  ck_assert_double_lt(p->jaccard, 1.0);
  ck_assert_double_eq(p->containment_a_in_b, 1.0); /* all of the body is in the reprint */
  ck_assert_double_lt(p->containment_b_in_a, 1.0);
  const NdPair *q = lookup(pairs, 0, 3);
  ck_assert_ptr_nonnull(q);
  ck_assert_double_ge(q->jaccard, 0.6);
  ck_assert_ptr_nonnull(lookup(pairs, 2, 3));
}
END_TEST

/* B took a contiguous third of its text from A (similar lengths): Jaccard ~0.2 is below the
 * threshold, but containment ~1/3 is above the default 0.2, so the default options report it. */
START_TEST(test_containment_block)
{
  g_autoptr(GPtrArray) wa = words_new(31, 600);
  g_autoptr(GPtrArray) wb = words_new(32, 400);
  g_autofree char *a = prose(wa, 1);
  GString *b = g_string_new(NULL);
  append_words(b, wb, 0, 200, 2);
  append_words(b, wa, 200, 400, 3); /* the borrowed block */
  append_words(b, wb, 200, 400, 4);
  g_autofree char *bt = g_string_free(b, FALSE);
  g_autofree char *u = gen_article(33, 600);
  char *texts[] = { u, a, bt };
  g_autoptr(NdCollection) c = build(texts, 3, TRUE);

  NdFindOptions o;
  nd_find_options_init(&o);
  NdFindStats st;
  g_autoptr(GArray) pairs = find(c, &o, &st);
  ck_assert_uint_eq(pairs->len, 1);
  const NdPair *p = lookup(pairs, 1, 2);
  ck_assert_ptr_nonnull(p);
  ck_assert_double_lt(p->jaccard, o.threshold);
  ck_assert_double_gt(p->jaccard, 0.12);
  double cmax = MAX(p->containment_a_in_b, p->containment_b_in_a);
  ck_assert_double_ge(cmax, o.containment);
  ck_assert_double_ge(cmax, 0.28);
  ck_assert_double_le(cmax, 0.38);
  ck_assert_uint_ge(p->shared, 190); /* 198 shingles inside the block, plus chance */
  ck_assert_uint_ge(st.candidates_anchor, 1);
  ck_assert_int_eq(p->kind, ND_PAIR_REUSE);
  ck_assert(!p->has_vocabulary); /* three articles: no batch statistics, the containment rule */
  ck_assert_double_eq(p->score, cmax);
  /* the borrowed block is one shared passage: nearly all of B's anchors in it are A's */
  ck_assert_double_ge(p->passage_b_in_a, 0.28);

  /* signature verification estimates the same pair closely */
  NdFindOptions sig = o;
  sig.verify = ND_VERIFY_SIGNATURE;
  g_autoptr(GArray) est = find(c, &sig, NULL);
  const NdPair *e = lookup(est, 1, 2);
  ck_assert_ptr_nonnull(e);
  ck_assert_double_lt(fabs(e->jaccard - p->jaccard), 0.1);
  ck_assert_double_lt(fabs(MAX(e->containment_a_in_b, e->containment_b_in_a) - cmax), 0.1);

  /* with containment matching off, only Jaccard counts: not reported */
  NdFindOptions off = o;
  off.containment = 0.0;
  g_autoptr(GArray) none = find(c, &off, NULL);
  ck_assert_uint_eq(none->len, 0);
  /* with the passage anchors off, no anchor candidates */
  NdFindOptions noanchors = o;
  noanchors.anchors = FALSE;
  NdFindStats st0;
  g_autoptr(GArray) lsh_only = find(c, &noanchors, &st0);
  ck_assert_uint_eq(st0.candidates_anchor, 0);
  ck_assert_ptr_null(lookup(lsh_only, 1, 2)); /* Jaccard ~0.2: LSH banded for 0.5 misses it */
  /* min_shared above the overlap suppresses the containment match */
  NdFindOptions strict = o;
  strict.min_shared = 10000;
  g_autoptr(GArray) none2 = find(c, &strict, NULL);
  ck_assert_uint_eq(none2->len, 0);
}
END_TEST

/* Bounded memory: a collection that turns lean after 2 documents keeps only band keys and
 * fingerprints, and sampled verification still reports the borrowed block with scores close to the
 * exact ones. */
START_TEST(test_lean_collection_sampled)
{
  g_autoptr(GPtrArray) wa = words_new(61, 900);
  g_autoptr(GPtrArray) wb = words_new(62, 600);
  g_autofree char *a = prose(wa, 1);
  GString *b = g_string_new(NULL);
  append_words(b, wb, 0, 300, 2);
  append_words(b, wa, 300, 600, 3); /* a third of B comes from A */
  append_words(b, wb, 300, 600, 4);
  g_autofree char *bt = g_string_free(b, FALSE);
  g_autofree char *u = gen_article(63, 900);
  char *texts[] = { u, a, bt };
  g_autoptr(NdCollection) exact = build(texts, 3, TRUE);
  NdFindOptions o;
  nd_find_options_init(&o);
  g_autoptr(GArray) want = find(exact, &o, NULL);
  const NdPair *x = lookup(want, 1, 2);
  ck_assert_ptr_nonnull(x);

  NdSignParams p;
  nd_sign_params_init(&p);
  NdLshParams lsh;
  ck_assert(nd_lsh_params_for(o.threshold, p.num_perm, ND_LSH_FN_WEIGHT, &lsh, NULL));
  p.lsh_bands = lsh.bands;
  p.lsh_rows = lsh.rows;
  g_autoptr(NdCollection) lean = nd_collection_new(&p);
  nd_collection_set_lean_after(lean, 2);
  g_autoptr(NdSigner) s = nd_signer_new(&p);
  for (guint i = 0; i < 3; i++) {
    g_autofree char *id = g_strdup_printf("d%u", i);
    ck_assert(nd_collection_add(lean, nd_signer_sign(s, id, texts[i], strlen(texts[i]), NULL), NULL));
    ck_assert(nd_collection_is_lean(lean) == (i >= 2)); /* more than 2 documents */
  }
  for (guint i = 0; i < 3; i++) {
    const NdDocument *d = nd_collection_get(lean, i);
    ck_assert_ptr_null(d->set);
    ck_assert_ptr_null(d->signature);
    ck_assert_ptr_nonnull(d->band_keys);
    ck_assert_uint_gt(d->n_fingerprints, d->set_size / 32); /* about 1 in 16 once lean */
    ck_assert_uint_lt(d->n_fingerprints, d->set_size / 8);
    for (guint32 f = 0; f < d->n_fingerprints; f++)
      ck_assert_uint_eq(d->fingerprints[f] % 16, 0);
  }
  /* Exact verification is refused once the sets are gone; sampled verification finds the pair. */
  g_autoptr(GError) error = NULL;
  ck_assert_ptr_null(nd_find_pairs(lean, &o, NULL, &error));
  NdFindOptions so = o;
  so.verify = ND_VERIFY_SAMPLE;
  g_autoptr(GArray) got = find(lean, &so, NULL);
  ck_assert_uint_eq(got->len, 1);
  const NdPair *e = lookup(got, 1, 2);
  ck_assert_ptr_nonnull(e);
  ck_assert_double_lt(fabs(e->jaccard - x->jaccard), 0.06);
  ck_assert_double_lt(fabs(e->containment_b_in_a - x->containment_b_in_a), 0.1);
  ck_assert_double_lt(fabs(e->containment_a_in_b - x->containment_a_in_b), 0.1);
}
END_TEST

/* A 150-word passage inside a 1,500-word feature: containment of the short one is 1. */
START_TEST(test_small_inside_large)
{
  g_autoptr(GPtrArray) wa = words_new(41, 400);
  g_autoptr(GPtrArray) wl = words_new(42, 1350);
  g_autofree char *small = NULL;
  {
    GString *s = g_string_new(NULL);
    append_words(s, wa, 100, 250, 1);
    small = g_string_free(s, FALSE);
  }
  GString *l = g_string_new(NULL);
  append_words(l, wl, 0, 700, 2);
  append_words(l, wa, 100, 250, 3);
  append_words(l, wl, 700, 1350, 4);
  g_autofree char *large = g_string_free(l, FALSE);
  char *texts[] = { large, small };
  g_autoptr(NdCollection) c = build(texts, 2, TRUE);
  g_autoptr(GArray) pairs = find_default(c, NULL);
  ck_assert_uint_eq(pairs->len, 1);
  const NdPair *p = pair_at(pairs, 0);
  ck_assert_uint_eq(p->a, 0);
  ck_assert_uint_eq(p->b, 1);
  ck_assert_double_eq(p->containment_b_in_a, 1.0);
  ck_assert_double_lt(p->containment_a_in_b, 0.15);
  ck_assert_double_lt(p->jaccard, 0.15);
  ck_assert_uint_eq(p->shared, nd_collection_get(c, 1)->set_size);
}
END_TEST

START_TEST(test_unrelated)
{
  char *texts[40];
  for (guint i = 0; i < 40; i++)
    texts[i] = gen_article(500 + i, 200 + (i * 37) % 600);
  g_autoptr(NdCollection) c = build(texts, 40, TRUE);
  NdFindStats st;
  g_autoptr(GArray) pairs = find_default(c, &st);
  ck_assert_uint_eq(pairs->len, 0);
  ck_assert_uint_eq(st.reported, 0);
  /* scores of an unrelated pair are near zero */
  NdPair p;
  nd_score_pair(nd_collection_get(c, 0), nd_collection_get(c, 1), 128, ND_VERIFY_EXACT, &p);
  ck_assert_double_lt(p.jaccard, 0.02);
  ck_assert_uint_lt(p.shared, 3);
  free_texts(texts, 40);
}
END_TEST

/* Families of variants at shuffled positions: exactly the within-family pairs, sorted. */
START_TEST(test_families_sorted)
{
  enum { BASES = 10, N = 26 };
  char *texts[N];
  guint family[N];
  guint64 st = 777;
  guint pos[N];
  for (guint i = 0; i < N; i++)
    pos[i] = i;
  for (guint i = N - 1; i > 0; i--) {
    guint j = (guint)(splitmix64(&st) % (i + 1)), t = pos[i];
    pos[i] = pos[j];
    pos[j] = t;
  }
  guint k = 0;
  for (guint b = 0; b < BASES; b++) {
    g_autoptr(GPtrArray) w = words_new(1000 + b, 250 + 30 * b);
    guint copies = b < 6 ? 3 : 2; /* 6 * 3 + 4 * 2 = 26 */
    for (guint v = 0; v < copies; v++) {
      g_autoptr(GPtrArray) e = words_edited(w, v == 0 ? 0.0 : 0.03, 50 * b + v);
      texts[pos[k]] = prose(e, v);
      family[pos[k]] = b;
      k++;
    }
  }
  ck_assert_uint_eq(k, N);
  g_autoptr(NdCollection) c = build(texts, N, TRUE);
  g_autoptr(GArray) pairs = find_default(c, NULL);
  assert_sorted(pairs);
  guint expected = 0;
  for (guint a = 0; a < N; a++)
    for (guint b = a + 1; b < N; b++) {
      const NdPair *p = lookup(pairs, a, b);
      if (family[a] == family[b]) {
        expected++;
        ck_assert_msg(p != NULL, "variants %u and %u of family %u not reported", a, b, family[a]);
        ck_assert_double_ge(p->jaccard, 0.5);
      } else {
        ck_assert_msg(p == NULL, "%u and %u of different families reported", a, b);
      }
    }
  ck_assert_uint_eq(expected, 6 * 3 + 4 * 1);
  ck_assert_uint_eq(pairs->len, expected);

  /* signature verification: estimates close to the exact values, same pairs */
  NdFindOptions so;
  nd_find_options_init(&so);
  so.verify = ND_VERIFY_SIGNATURE;
  g_autoptr(GArray) est = find(c, &so, NULL);
  assert_sorted(est);
  ck_assert_uint_eq(est->len, pairs->len);
  for (guint i = 0; i < est->len; i++) {
    const NdPair *e = pair_at(est, i), *x = pair_at(pairs, i);
    ck_assert_uint_eq(e->a, x->a);
    ck_assert_uint_eq(e->b, x->b);
    ck_assert_msg(fabs(e->jaccard - x->jaccard) < 0.15, "pair (%u,%u): estimate %.3f, exact %.3f", e->a, e->b,
                  e->jaccard, x->jaccard);
    ck_assert_msg(fabs(e->containment_a_in_b - x->containment_a_in_b) < 0.15, "containment estimate");
    ck_assert_uint_le(e->shared, MIN(nd_collection_get(c, e->a)->set_size, nd_collection_get(c, e->b)->set_size));
  }
  free_texts(texts, N);
}
END_TEST

/* 100 variants of one story (4,950 candidate pairs, enough for the verifier to use threads) plus
 * unrelated articles: the same result with 1, 2 and "all" threads. */
START_TEST(test_threads_identical)
{
  enum { VARIANTS = 100, OTHERS = 20, N = VARIANTS + OTHERS };
  char *texts[N];
  g_autoptr(GPtrArray) w = words_new(4242, 200);
  for (guint i = 0; i < N; i++) {
    if (i % 6 == 5) {
      texts[i] = gen_article(9000 + i, 150);
    } else {
      g_autoptr(GPtrArray) e = words_edited(w, 0.02, i);
      texts[i] = prose(e, i);
    }
  }
  g_autoptr(NdCollection) c = build(texts, N, TRUE);
  NdFindOptions o;
  nd_find_options_init(&o);
  o.threads = 1;
  NdFindStats s1, s2;
  g_autoptr(GArray) p1 = find(c, &o, &s1);
  o.threads = 2;
  g_autoptr(GArray) p2 = find(c, &o, &s2);
  o.threads = 0;
  g_autoptr(GArray) p0 = find(c, &o, NULL);
  ck_assert_uint_ge(s1.candidates, 4096);
  ck_assert_uint_eq(s1.candidates, s2.candidates);
  ck_assert_uint_eq(s1.reported, s2.reported);
  ck_assert_uint_eq(p1->len, s1.reported);
  assert_sorted(p1);
  assert_same_pairs(p1, p2);
  assert_same_pairs(p1, p0);
  guint variants = 0;
  for (guint i = 0; i < N; i++)
    variants += i % 6 != 5;
  ck_assert_uint_eq(p1->len, variants * (variants - 1) / 2);
  free_texts(texts, N);
}
END_TEST

/* 1,100 short articles (enough for the containment index to use threads); every article from
 * the 8th on quotes a 40-word block of the article 7 places before it, so every document is the
 * first member of a pair and no thread's range can be skipped unnoticed. The same result with 1,
 * 2 and "all" threads, and the planted pairs found. */
START_TEST(test_threads_identical_index)
{
  enum { N = 1100, LAG = 7 };
  char **texts = g_new0(char *, N);
  GPtrArray **words = g_new0(GPtrArray *, N);
  for (guint i = 0; i < N; i++) {
    words[i] = words_new(20000 + i, 60);
    GString *s = g_string_new(NULL);
    append_words(s, words[i], 0, 60, i);
    if (i >= LAG)
      append_words(s, words[i - LAG], 0, 40, i + 1);
    texts[i] = g_string_free(s, FALSE);
  }
  g_autoptr(NdCollection) c = build(texts, N, TRUE);
  NdFindOptions o;
  nd_find_options_init(&o);
  o.threads = 1;
  NdFindStats s1, s2;
  g_autoptr(GArray) p1 = find(c, &o, &s1);
  o.threads = 2;
  g_autoptr(GArray) p2 = find(c, &o, &s2);
  o.threads = 0;
  g_autoptr(GArray) p0 = find(c, &o, NULL);
  ck_assert_uint_eq(s1.candidates_anchor, s2.candidates_anchor);
  ck_assert_uint_eq(s1.candidates, s2.candidates);
  assert_sorted(p1);
  assert_same_pairs(p1, p2);
  assert_same_pairs(p1, p0);
  guint found = 0;
  for (guint i = LAG; i < N; i++)
    found += lookup(p1, i - LAG, i) != NULL;
  /* a run of 40 words shared (containment ~0.39): the anchors find every one (no sampling) */
  ck_assert_msg(found == N - LAG, "found %u of %u planted pairs", found, N - LAG);
  for (guint i = 0; i < p1->len; i++) {
    const NdPair *p = pair_at(p1, i);
    ck_assert_msg(p->b == p->a + LAG, "unexpected pair (%u, %u)", p->a, p->b);
  }
  for (guint i = 0; i < N; i++) {
    g_free(texts[i]);
    g_ptr_array_unref(words[i]);
  }
  g_free(texts);
  g_free(words);
}
END_TEST

/* A passage shared by more than max_posting articles is a stock phrase for the anchor index. */
START_TEST(test_max_posting)
{
  enum { N = 10 };
  char *texts[N];
  g_autoptr(GPtrArray) footer = words_new(606, 110);
  for (guint i = 0; i < N; i++) {
    g_autoptr(GPtrArray) own = words_new(700 + i, 300);
    GString *s = g_string_new(NULL);
    append_words(s, own, 0, 300, i);
    append_words(s, footer, 0, 110, 0);
    texts[i] = g_string_free(s, FALSE);
  }
  g_autoptr(NdCollection) c = build(texts, N, TRUE);
  NdFindOptions o;
  nd_find_options_init(&o);
  /* default max_posting (500): every pair shares the footer, containment ~0.27 -> reported */
  g_autoptr(GArray) all = find(c, &o, NULL);
  ck_assert_uint_eq(all->len, N * (N - 1) / 2);
  for (guint i = 0; i < all->len; i++) {
    const NdPair *p = pair_at(all, i);
    ck_assert_double_lt(p->jaccard, 0.5);
    ck_assert_double_ge(MAX(p->containment_a_in_b, p->containment_b_in_a), 0.2);
  }
  /* max_posting 5 < 10 articles: the footer's anchors are ignored, which leaves what LSH alone
   * finds (pairs at Jaccard ~0.15 are rarely LSH candidates) */
  o.max_posting = 5;
  NdFindStats st;
  g_autoptr(GArray) capped = find(c, &o, &st);
  ck_assert_uint_eq(st.candidates_anchor, 0);
  NdFindOptions lsh_only = o;
  lsh_only.anchors = FALSE;
  g_autoptr(GArray) ref = find(c, &lsh_only, NULL);
  assert_same_pairs(capped, ref);
  ck_assert_uint_le(capped->len, 3);
  free_texts(texts, N);
}
END_TEST

START_TEST(test_signature_without_sets)
{
  g_autoptr(GPtrArray) w = words_new(808, 400);
  g_autoptr(GPtrArray) e = words_edited(w, 0.02, 5);
  g_autofree char *a = prose(w, 1);
  g_autofree char *b = prose(e, 2);
  g_autofree char *u = gen_article(809, 400);
  char *texts[] = { a, u, b };
  g_autoptr(NdCollection) c = build(texts, 3, FALSE);
  NdFindOptions o;
  nd_find_options_init(&o);
  /* exact verification needs the sets */
  GError *error = NULL;
  ck_assert_ptr_null(nd_find_pairs(c, &o, NULL, &error));
  ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_INVALID_ARG));
  g_clear_error(&error);
  /* signature verification works without them */
  o.verify = ND_VERIFY_SIGNATURE;
  g_autoptr(GArray) pairs = find(c, &o, NULL);
  ck_assert_uint_eq(pairs->len, 1);
  const NdPair *p = pair_at(pairs, 0);
  ck_assert_uint_eq(p->a, 0);
  ck_assert_uint_eq(p->b, 2);
  /* compare with the exact value from a collection with sets */
  g_autoptr(NdCollection) cs = build(texts, 3, TRUE);
  NdPair exact;
  nd_score_pair(nd_collection_get(cs, 0), nd_collection_get(cs, 2), 128, ND_VERIFY_EXACT, &exact);
  ck_assert_double_lt(fabs(p->jaccard - exact.jaccard), 0.15);
  ck_assert_double_gt(exact.jaccard, 0.7);
}
END_TEST

/* nd_score_pair on hand-made sets. */
START_TEST(test_score_pair_exact_hand)
{
  guint32 sa[] = { 1, 2, 3, 4 }, sb[] = { 3, 4, 5, 6, 7, 8 }, sc[] = { 10, 20 }, sd[] = { 2, 3 };
  guint32 sig[8] = { 0 };
  NdDocument a = { .id = "a", .set_size = 4, .set = sa, .signature = sig };
  NdDocument b = { .id = "b", .set_size = 6, .set = sb, .signature = sig };
  NdDocument cc = { .id = "c", .set_size = 2, .set = sc, .signature = sig };
  NdDocument d = { .id = "d", .set_size = 2, .set = sd, .signature = sig };
  NdPair p;
  /* {1,2,3,4} vs {3,4,5,6,7,8}: 2 shared, union 8 */
  nd_score_pair(&a, &b, 8, ND_VERIFY_EXACT, &p);
  ck_assert_uint_eq(p.shared, 2);
  ck_assert_double_eq_tol(p.jaccard, 0.25, 1e-12);
  ck_assert_double_eq_tol(p.containment_a_in_b, 0.5, 1e-12);
  ck_assert_double_eq_tol(p.containment_b_in_a, 2.0 / 6.0, 1e-12);
  /* symmetric */
  nd_score_pair(&b, &a, 8, ND_VERIFY_EXACT, &p);
  ck_assert_double_eq_tol(p.jaccard, 0.25, 1e-12);
  ck_assert_double_eq_tol(p.containment_a_in_b, 2.0 / 6.0, 1e-12);
  /* disjoint */
  nd_score_pair(&a, &cc, 8, ND_VERIFY_EXACT, &p);
  ck_assert_uint_eq(p.shared, 0);
  ck_assert_double_eq(p.jaccard, 0.0);
  ck_assert_double_eq(p.containment_a_in_b, 0.0);
  /* subset: {2,3} in {1,2,3,4} */
  nd_score_pair(&d, &a, 8, ND_VERIFY_EXACT, &p);
  ck_assert_uint_eq(p.shared, 2);
  ck_assert_double_eq_tol(p.jaccard, 0.5, 1e-12);
  ck_assert_double_eq(p.containment_a_in_b, 1.0);
  ck_assert_double_eq_tol(p.containment_b_in_a, 0.5, 1e-12);
  /* identical */
  nd_score_pair(&b, &b, 8, ND_VERIFY_EXACT, &p);
  ck_assert_uint_eq(p.shared, 6);
  ck_assert_double_eq(p.jaccard, 1.0);
}
END_TEST

/* ND_VERIFY_SIGNATURE: J from agreeing positions, |A n B| = J (|A| + |B|) / (1 + J). */
START_TEST(test_score_pair_signature_hand)
{
  guint32 s1[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, s2[8] = { 1, 2, 3, 4, 0, 0, 0, 0 }, s3[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
  NdDocument a = { .id = "a", .set_size = 30, .signature = s1 };
  NdDocument b = { .id = "b", .set_size = 30, .signature = s2 };
  NdDocument c = { .id = "c", .set_size = 90, .signature = s2 };
  NdDocument d = { .id = "d", .set_size = 10, .signature = s3 };
  NdPair p;
  /* J = 0.5, sizes 30 + 30: shared = 0.5 * 60 / 1.5 = 20, union 40 */
  nd_score_pair(&a, &b, 8, ND_VERIFY_SIGNATURE, &p);
  ck_assert_uint_eq(p.shared, 20);
  ck_assert_double_eq_tol(p.jaccard, 0.5, 1e-12);
  ck_assert_double_eq_tol(p.containment_a_in_b, 20.0 / 30.0, 1e-12);
  ck_assert_double_eq_tol(p.containment_b_in_a, 20.0 / 30.0, 1e-12);
  /* J = 0.5, sizes 30 + 90: shared = 0.5 * 120 / 1.5 = 40 > 30, capped at the smaller set */
  nd_score_pair(&a, &c, 8, ND_VERIFY_SIGNATURE, &p);
  ck_assert_uint_eq(p.shared, 30);
  ck_assert_double_eq_tol(p.jaccard, 30.0 / 90.0, 1e-12);
  ck_assert_double_eq(p.containment_a_in_b, 1.0);
  ck_assert_double_eq_tol(p.containment_b_in_a, 30.0 / 90.0, 1e-12);
  /* no agreement */
  nd_score_pair(&a, &d, 8, ND_VERIFY_SIGNATURE, &p);
  ck_assert_uint_eq(p.shared, 0);
  ck_assert_double_eq(p.jaccard, 0.0);
}
END_TEST

START_TEST(test_pair_matches)
{
  NdFindOptions o;
  nd_find_options_init(&o);
  NdPair p = { .a = 0, .b = 1, .shared = 100, .jaccard = 0.5, .containment_a_in_b = 0.6, .containment_b_in_a = 0.6 };
  ck_assert(nd_pair_matches(&p, &o)); /* jaccard == threshold */
  p.jaccard = 0.49;
  ck_assert(nd_pair_matches(&p, &o)); /* containment */
  p.containment_a_in_b = 0.1;
  p.containment_b_in_a = 0.2;
  ck_assert(nd_pair_matches(&p, &o)); /* containment == threshold, either direction */
  p.containment_b_in_a = 0.19;
  ck_assert(!nd_pair_matches(&p, &o));
  p.containment_a_in_b = 0.9;
  p.shared = 7; /* below min_shared */
  ck_assert(!nd_pair_matches(&p, &o));
  p.shared = 8;
  ck_assert(nd_pair_matches(&p, &o));
  o.containment = 0.0; /* containment matching disabled */
  ck_assert(!nd_pair_matches(&p, &o));
  p.jaccard = 0.95;
  ck_assert(nd_pair_matches(&p, &o)); /* Jaccard alone */
  p.shared = 0;
  ck_assert(nd_pair_matches(&p, &o)); /* min_shared only applies to containment */
}
END_TEST

START_TEST(test_lsh_threshold_option)
{
  g_autofree char *a = gen_article(61, 200);
  char *texts[] = { a, a };
  g_autoptr(NdCollection) c = build(texts, 2, TRUE);
  NdFindOptions o;
  nd_find_options_init(&o);
  o.threshold = 0.8;
  o.lsh_threshold = 0.3;
  NdFindStats st;
  g_autoptr(GArray) pairs = find(c, &o, &st);
  NdLshParams expect;
  ck_assert(nd_lsh_params_for(0.3, 128, ND_LSH_FN_WEIGHT, &expect, NULL));
  ck_assert_uint_eq(st.lsh.bands, expect.bands);
  ck_assert_uint_eq(st.lsh.rows, expect.rows);
  ck_assert_uint_eq(pairs->len, 1);
}
END_TEST

/* Copies: 400 identical articles, 60 with one edit each and 30 unrelated ones, in shuffled order.
 * LSH bands one representative per group of identical band keys and expands the groups at the end:
 * every pair among the 460 similar articles is found (and no other), the same with 1 and 2 threads,
 * and LSH reports each candidate once (before, once per band: 32 times). The cancel flag, raised
 * before the search, stops it with ND_ERROR_CANCELLED. */
START_TEST(test_copies_grouped)
{
  enum { COPIES = 400, EDITED = 60, OTHERS = 30, N = COPIES + EDITED + OTHERS };
  char *texts[N];
  gboolean similar[N];
  g_autoptr(GPtrArray) w = words_new(777, 300);
  g_autofree char *original = prose(w, 1);
  for (guint i = 0; i < N; i++) {
    /* Interleave the kinds: 13 of every 15 slots (mostly) copies, the rest edited or unrelated. */
    guint k = (i * 7919u) % N;
    if (k < COPIES) {
      texts[i] = g_strdup(original);
      similar[i] = TRUE;
    } else if (k < COPIES + EDITED) {
      g_autoptr(GPtrArray) e = words_edited(w, 0.004, k);
      texts[i] = prose(e, 1);
      similar[i] = TRUE;
    } else {
      texts[i] = gen_article(5000 + k, 300);
      similar[i] = FALSE;
    }
  }
  g_autoptr(NdCollection) c = build(texts, N, TRUE);
  NdFindOptions o;
  nd_find_options_init(&o);
  o.containment = 0.0; /* LSH alone: neither containment nor the score rule */
  o.score = 0.0;
  o.threads = 1;
  NdFindStats s1, s2;
  g_autoptr(GArray) p1 = find(c, &o, &s1);
  o.threads = 2;
  g_autoptr(GArray) p2 = find(c, &o, &s2);
  assert_same_pairs(p1, p2);
  guint n_similar = 0;
  for (guint i = 0; i < N; i++)
    n_similar += similar[i];
  guint64 want = (guint64)n_similar * (n_similar - 1) / 2;
  ck_assert_uint_eq(p1->len, want);
  for (guint i = 0; i < p1->len; i++) {
    const NdPair *q = pair_at(p1, i);
    ck_assert_msg(similar[q->a] && similar[q->b], "unrelated pair %u-%u reported", q->a, q->b);
  }
  ck_assert_uint_eq(s1.candidates_lsh, s1.candidates); /* distinct from LSH: nothing to de-duplicate */
  ck_assert_uint_ge(s1.candidates_lsh, want);
  ck_assert_uint_lt(s1.candidates_lsh, want + 1000);

  gint flag = 1;
  o.cancel_flag = &flag;
  GError *error = NULL;
  ck_assert_ptr_null(nd_find_pairs(c, &o, NULL, &error));
  ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_CANCELLED));
  g_clear_error(&error);
  flag = 0; /* lowered again: a normal search */
  g_autoptr(GArray) p3 = find(c, &o, NULL);
  assert_same_pairs(p1, p3);
  free_texts(texts, N);
}
END_TEST

START_TEST(test_small_collections)
{
  NdSignParams p;
  nd_sign_params_init(&p);
  g_autoptr(NdCollection) empty = nd_collection_new(&p);
  NdFindStats st;
  g_autoptr(GArray) none = find_default(empty, &st);
  ck_assert_uint_eq(none->len, 0);
  ck_assert_uint_eq(st.candidates, 0);
  g_autofree char *t = gen_article(71, 100);
  char *texts[] = { t };
  g_autoptr(NdCollection) one = build(texts, 1, TRUE);
  g_autoptr(GArray) none1 = find_default(one, NULL);
  ck_assert_uint_eq(none1->len, 0);
}
END_TEST


/* A rewrite in a batch of 40 articles: B keeps A's words (names, facts) but reorders every five
 * words and replaces one in three, so the two share no run of 9 words, few 3-grams and much of
 * their vocabulary. The batch's word frequencies find the pair (rare words) and report it as a
 * rewrite; the unrelated articles stay apart. With 20 articles there are no batch statistics. */
START_TEST(test_rewrite_found_by_vocabulary)
{
  enum { N = 40 };
  char *texts[N];
  g_autoptr(GPtrArray) w = words_new(4711, 240);
  g_autoptr(GPtrArray) fresh = words_new(4712, 240);
  g_autoptr(GPtrArray) r = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < 240; i += 5)
    for (guint j = 5; j-- > 0;) {
      guint k = i + j;
      g_ptr_array_add(r, g_strdup(g_ptr_array_index(k % 3 == 0 ? fresh : w, k)));
    }
  texts[0] = prose(w, 1);
  texts[1] = prose(r, 2);
  for (guint i = 2; i < N; i++)
    texts[i] = gen_article(7000 + i, 240);
  g_autoptr(NdCollection) c = build(texts, N, TRUE);
  NdFindOptions o;
  nd_find_options_init(&o);
  NdFindStats st;
  g_autoptr(GArray) pairs = find(c, &o, &st);
  ck_assert(st.vocabulary);
  ck_assert_uint_ge(st.candidates_rare, 1);
  ck_assert_uint_eq(pairs->len, 1);
  const NdPair *p = lookup(pairs, 0, 1);
  ck_assert_ptr_nonnull(p);
  ck_assert(p->has_vocabulary);
  ck_assert_int_eq(p->kind, ND_PAIR_REWRITE);
  ck_assert_double_lt(MAX(p->containment_a_in_b, p->containment_b_in_a), 0.2);
  ck_assert_double_lt(MAX(p->passage_a_in_b, p->passage_b_in_a), 0.05);
  ck_assert_double_ge(p->score, o.score);
  ck_assert_double_eq_tol(p->score, MIN(p->vocabulary_a_in_b, p->vocabulary_b_in_a) *
                                      (1 + MAX(p->containment_a_in_b, p->containment_b_in_a)), 1e-12);
  /* the score rule off (score 0): the containment rule, which does not see a rewrite */
  NdFindOptions off = o;
  off.score = 0;
  g_autoptr(GArray) none = find(c, &off, NULL);
  ck_assert_uint_eq(none->len, 0);
  /* below ND_VOCABULARY_MIN_BATCH articles there are no batch statistics */
  g_autoptr(NdCollection) small = build(texts, 20, TRUE);
  NdFindStats st2;
  g_autoptr(GArray) few = find(small, &o, &st2);
  ck_assert(!st2.vocabulary);
  ck_assert_uint_eq(few->len, 0);
  free_texts(texts, N);
}
END_TEST


/* Boilerplate: a sign-up line and a footer on 12 of 30 articles are found as boilerplate (lines of
 * at most 24 words in 10 articles or more), their anchors make no candidates, and passages leave them
 * out; a paragraph of 30 words shared by 12 articles is content, not boilerplate. */
START_TEST(test_boilerplate)
{
  enum { N = 30 };
  char *texts[N];
  const char *signup = "Sign up for our morning newsletter and get the best stories of the day in your inbox";
  const char *footer = "Copyright Harbour Gazette Media Group all rights reserved terms of use privacy policy";
  for (guint i = 0; i < N; i++) {
    g_autofree char *body = gen_article(880 + i, 200);
    texts[i] = i < 12 ? g_strdup_printf("%s\n\n%s\n\n%s\n", signup, body, footer) : g_strdup(body);
  }
  g_autoptr(NdCollection) c = build(texts, N, TRUE);
  guint64 articles = 0;
  g_autoptr(GArray) bp = nd_find_boilerplate(c, &articles);
  ck_assert_uint_eq(bp->len, 2);
  ck_assert_uint_eq(articles, 12);
  NdFindOptions o;
  nd_find_options_init(&o);
  NdFindStats st;
  g_autoptr(GArray) pairs = find(c, &o, &st);
  ck_assert_uint_eq(st.boilerplate_lines, 2);
  ck_assert_uint_eq(st.boilerplate_articles, 12);
  ck_assert_uint_eq(st.candidates_anchor, 0); /* the only shared runs are boilerplate */
  ck_assert_uint_eq(pairs->len, 0);
  /* the passages of two of them leave the boilerplate out */
  NdDiffOptions d;
  nd_diff_options_init(&d);
  g_autoptr(NdDiff) with = nd_diff_texts(texts[0], strlen(texts[0]), texts[1], strlen(texts[1]), ND_TOKENS_WORDS, 0, &d,
                                         NULL);
  ck_assert_uint_ge(with->passages->len, 1);
  d.boilerplate = (const guint32 *)bp->data;
  d.n_boilerplate = bp->len;
  g_autoptr(NdDiff) without = nd_diff_texts(texts[0], strlen(texts[0]), texts[1], strlen(texts[1]), ND_TOKENS_WORDS, 0,
                                            &d, NULL);
  ck_assert_uint_eq(without->passages->len, 0);
  free_texts(texts, N);
  /* a 30-word paragraph in 12 articles is not a boilerplate line */
  g_autofree char *para = g_strdelimit(gen_article(999, 30), "\n", ' '); /* one line */
  for (guint i = 0; i < N; i++) {
    g_autofree char *body = gen_article(1880 + i, 200);
    texts[i] = i < 12 ? g_strdup_printf("%s\n\n%s\n", para, body) : g_strdup(body);
  }
  g_autoptr(NdCollection) c2 = build(texts, N, TRUE);
  g_autoptr(GArray) bp2 = nd_find_boilerplate(c2, NULL);
  ck_assert_uint_eq(bp2->len, 0);
  free_texts(texts, N);
}
END_TEST

static Suite *
finder_suite(void)
{
  Suite *s = suite_create("finder");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_options_defaults);
  tcase_add_test(tc, test_options_invalid);
  tcase_add_test(tc, test_identical);
  tcase_add_test(tc, test_reprint_with_chrome);
  tcase_add_test(tc, test_containment_block);
  tcase_add_test(tc, test_small_inside_large);
  tcase_add_test(tc, test_lean_collection_sampled);
  tcase_add_test(tc, test_rewrite_found_by_vocabulary);
  tcase_add_test(tc, test_boilerplate);
  tcase_add_test(tc, test_unrelated);
  tcase_add_test(tc, test_families_sorted);
  tcase_add_test(tc, test_threads_identical);
  tcase_add_test(tc, test_threads_identical_index);
  tcase_add_test(tc, test_max_posting);
  tcase_add_test(tc, test_signature_without_sets);
  tcase_add_test(tc, test_score_pair_exact_hand);
  tcase_add_test(tc, test_score_pair_signature_hand);
  tcase_add_test(tc, test_pair_matches);
  tcase_add_test(tc, test_lsh_threshold_option);
  tcase_add_test(tc, test_small_collections);
  tcase_add_test(tc, test_copies_grouped);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(finder_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
