/* test_minhash.c — one-permutation MinHash with optimal densification (minhash.h). */
#include <check.h>
#include <neardup/neardup.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"

/* The golden text: 60 words, written for this test. */
static const char golden_text[] =
  "The harbour authority confirmed late on Monday that the northern breakwater will close for repairs "
  "next spring. Engineers found cracks in three of the concrete blocks after the winter storms, "
  "and the work is expected to take eleven weeks. Fishing boats will use the southern quay while "
  "the crews replace the damaged sections, a spokeswoman for the port authority said.";

/* Shingle hashes of a text under words:3 with `seed`. */
static GArray *
shingles_of(const char *text, guint64 seed)
{
  g_autoptr(GArray) t = g_array_new(FALSE, FALSE, sizeof(NdToken));
  ck_assert(nd_tokenize(text, strlen(text), ND_TOKENS_WORDS, ND_TEXT_DEFAULT, t, NULL));
  GArray *out = g_array_new(FALSE, FALSE, sizeof(guint64));
  nd_shingle_hashes((const NdToken *)t->data, t->len, 3, seed, out);
  return out;
}

/* GOLDEN VECTORS. The signature of golden_text (words:3, shingle seed 1, num_perm 128, MinHash seed
 * 1). These constants were computed once by running the code and frozen here: they pin the token
 * normalisation, the token and shingle hashes and the MinHash scheme (bins, values,
 * densification). A change to any of those changes them — intentionally: signatures stored by
 * an older version would no longer compare with new ones, so update the constants only together
 * with a deliberate scheme change. */
static const guint32 golden_first16[16] = {
  0x1fc6b03cu, 0x9460f557u, 0x26214079u, 0x6521d138u,
  0x3738dc19u, 0x9460f557u, 0x10b7bd9du, 0x26214079u,
  0x6521d138u, 0x27e828b4u, 0x792fb4a9u, 0x3a3e33a8u,
  0xda4aa023u, 0x570296cbu, 0x3b904386u, 0x801ed8d4u,
};
#define GOLDEN_SUM G_GUINT64_CONSTANT(202169884160) /* sum of all 128 values, as 64-bit */
#define GOLDEN_XOR 0xb5a9509cu                      /* xor of all 128 values */
#define GOLDEN_WORDS 60u
#define GOLDEN_SHINGLES 58u

START_TEST(test_golden_vectors)
{
  g_autoptr(GArray) t = g_array_new(FALSE, FALSE, sizeof(NdToken));
  ck_assert(nd_tokenize(golden_text, strlen(golden_text), ND_TOKENS_WORDS, ND_TEXT_DEFAULT, t, NULL));
  g_autoptr(GArray) h = shingles_of(golden_text, 1);
  guint32 sig[128];
  nd_minhash_sign((const guint64 *)h->data, h->len, 128, 1, sig);
  guint64 sum = 0;
  guint32 x = 0;
  for (guint i = 0; i < 128; i++) {
    sum += sig[i];
    x ^= sig[i];
  }
  if (getenv("ND_PRINT_GOLDEN") != NULL) {
    printf("words %u shingles %u\n", t->len, h->len);
    for (guint i = 0; i < 16; i++)
      printf("  0x%08" G_GINT32_MODIFIER "xu,%s", sig[i], i % 4 == 3 ? "\n" : "");
    printf("sum %" G_GUINT64_FORMAT " xor 0x%08" G_GINT32_MODIFIER "x\n", sum, x);
  }
  ck_assert_uint_eq(t->len, GOLDEN_WORDS);
  ck_assert_uint_eq(h->len, GOLDEN_SHINGLES);
  for (guint i = 0; i < 16; i++)
    ck_assert_msg(sig[i] == golden_first16[i], "sig[%u] = 0x%08x, golden 0x%08x", i, sig[i], golden_first16[i]);
  ck_assert_uint_eq(sum, GOLDEN_SUM);
  ck_assert_uint_eq(x, GOLDEN_XOR);
}
END_TEST

START_TEST(test_identical_input)
{
  g_autoptr(GArray) a = shingles_of(golden_text, 1);
  g_autoptr(GArray) b = shingles_of(golden_text, 1);
  guint32 sa[256], sb[256];
  nd_minhash_sign((const guint64 *)a->data, a->len, 256, 7, sa);
  nd_minhash_sign((const guint64 *)b->data, b->len, 256, 7, sb);
  ck_assert_mem_eq(sa, sb, sizeof sa);
  ck_assert_double_eq(nd_minhash_jaccard(sa, sb, 256), 1.0);
}
END_TEST

START_TEST(test_duplicates_and_order_do_not_matter)
{
  g_autoptr(GArray) h = shingles_of(golden_text, 1);
  guint32 ref[128], got[128];
  nd_minhash_sign((const guint64 *)h->data, h->len, 128, 1, ref);
  /* every shingle three times, in a shuffled order */
  g_autoptr(GArray) dup = g_array_new(FALSE, FALSE, sizeof(guint64));
  for (int r = 0; r < 3; r++)
    g_array_append_vals(dup, h->data, h->len);
  guint64 st = 12345;
  guint64 *d = (guint64 *)dup->data;
  for (guint i = dup->len - 1; i > 0; i--) {
    guint j = (guint)(splitmix64(&st) % (i + 1));
    guint64 tmp = d[i];
    d[i] = d[j];
    d[j] = tmp;
  }
  nd_minhash_sign(d, dup->len, 128, 1, got);
  ck_assert_mem_eq(ref, got, sizeof ref);
}
END_TEST

START_TEST(test_empty_input)
{
  guint32 sig[64];
  memset(sig, 0, sizeof sig);
  nd_minhash_sign(NULL, 0, 64, 1, sig);
  for (guint i = 0; i < 64; i++)
    ck_assert_uint_eq(sig[i], ND_MINHASH_EMPTY);
}
END_TEST

/* One shingle fills one bin; densification copies its value everywhere. */
START_TEST(test_single_shingle)
{
  guint64 h = G_GUINT64_CONSTANT(0x123456789ABCDEF0);
  guint32 sig[128];
  nd_minhash_sign(&h, 1, 128, 3, sig);
  for (guint i = 0; i < 128; i++)
    ck_assert_uint_eq(sig[i], 0x9ABCDEF0u);
}
END_TEST

/* The documented scheme: bin = floor(hi32(h) * N / 2^32), value = lo32(h), minimum per bin. */
START_TEST(test_bins_and_values)
{
  const guint N = 8;
  g_autoptr(GArray) hs = g_array_new(FALSE, FALSE, sizeof(guint64));
  guint32 expect[8];
  guint64 st = 99;
  for (guint bin = 0; bin < N; bin++) {
    expect[bin] = G_MAXUINT32;
    for (int k = 0; k < 5; k++) {
      /* a hi32 anywhere inside the bin's range [bin * 2^32/N, (bin+1) * 2^32/N) */
      guint32 hi = (guint32)(((guint64)bin << 32) / N + splitmix64(&st) % (G_GUINT64_CONSTANT(1) << 32) / N);
      guint32 lo = (guint32)splitmix64(&st);
      guint64 h = ((guint64)hi << 32) | lo;
      g_array_append_val(hs, h);
      expect[bin] = MIN(expect[bin], lo);
    }
  }
  guint32 sig[8];
  nd_minhash_sign((const guint64 *)hs->data, hs->len, N, 1, sig);
  for (guint bin = 0; bin < N; bin++)
    ck_assert_uint_eq(sig[bin], expect[bin]);
  /* with every bin filled, the seed (which only drives densification) does not matter */
  guint32 sig2[8];
  nd_minhash_sign((const guint64 *)hs->data, hs->len, N, 12345, sig2);
  ck_assert_mem_eq(sig, sig2, sizeof sig);
}
END_TEST

/* A genuine minimum equal to ND_MINHASH_EMPTY is a filled bin, not an empty one. */
START_TEST(test_value_equal_to_empty_marker)
{
  guint64 h[2] = {
    ((guint64)0x00000000u << 32) | 0xFFFFFFFFu, /* bin 0 of 8, value 0xFFFFFFFF */
    ((guint64)0x30000000u << 32) | 5u,          /* bin 1 of 8 (0x30000000 * 8 >> 32 = 1), value 5 */
  };
  for (guint64 seed = 1; seed <= 20; seed++) {
    guint32 sig[8];
    nd_minhash_sign(h, 2, 8, seed, sig);
    ck_assert_uint_eq(sig[0], 0xFFFFFFFFu);
    ck_assert_uint_eq(sig[1], 5u);
    for (guint i = 2; i < 8; i++)
      ck_assert(sig[i] == 0xFFFFFFFFu || sig[i] == 5u);
  }
  /* densification draws from both filled bins over the seeds: not all copies from one */
  guint from_bin0 = 0, from_bin1 = 0;
  for (guint64 seed = 1; seed <= 20; seed++) {
    guint32 sig[8];
    nd_minhash_sign(h, 2, 8, seed, sig);
    for (guint i = 2; i < 8; i++) {
      from_bin0 += sig[i] == 0xFFFFFFFFu;
      from_bin1 += sig[i] == 5u;
    }
  }
  ck_assert_uint_gt(from_bin0, 20);
  ck_assert_uint_gt(from_bin1, 20);
}
END_TEST

START_TEST(test_densification_depends_on_seed)
{
  /* 10 shingles in 128 bins leave most bins empty; another seed fills them differently */
  guint64 st = 5;
  guint64 h[10];
  for (int i = 0; i < 10; i++)
    h[i] = splitmix64(&st);
  guint32 a[128], b[128], c[128];
  nd_minhash_sign(h, 10, 128, 1, a);
  nd_minhash_sign(h, 10, 128, 1, c);
  nd_minhash_sign(h, 10, 128, 2, b);
  ck_assert_mem_eq(a, c, sizeof a);
  ck_assert(memcmp(a, b, sizeof a) != 0);
  /* every value is one of the ten shingles' low halves */
  for (guint i = 0; i < 128; i++) {
    gboolean found = FALSE;
    for (int j = 0; j < 10; j++)
      found |= a[i] == (guint32)h[j];
    ck_assert(found);
  }
}
END_TEST

START_TEST(test_perm_range)
{
  guint64 st = 77;
  g_autoptr(GArray) hs = g_array_new(FALSE, FALSE, sizeof(guint64));
  for (int i = 0; i < 50; i++) {
    guint64 v = splitmix64(&st);
    g_array_append_val(hs, v);
  }
  guint32 small[ND_MINHASH_MIN_PERM];
  nd_minhash_sign((const guint64 *)hs->data, hs->len, ND_MINHASH_MIN_PERM, 1, small);
  g_autofree guint32 *big = g_new(guint32, ND_MINHASH_MAX_PERM);
  nd_minhash_sign((const guint64 *)hs->data, hs->len, ND_MINHASH_MAX_PERM, 1, big);
  for (guint i = 0; i < ND_MINHASH_MAX_PERM; i++) {
    ck_assert_uint_ne(big[i], ND_MINHASH_EMPTY);
    gboolean found = FALSE;
    for (guint j = 0; j < hs->len && !found; j++)
      found = big[i] == (guint32)g_array_index(hs, guint64, j);
    ck_assert(found);
  }
  for (guint i = 0; i < ND_MINHASH_MIN_PERM; i++)
    ck_assert_uint_ne(small[i], ND_MINHASH_EMPTY);
}
END_TEST

START_TEST(test_jaccard_estimate_hand)
{
  guint32 a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  guint32 b[8] = { 1, 2, 3, 4, 0, 0, 0, 0 };
  guint32 c[8] = { 9, 9, 9, 9, 9, 9, 9, 8 };
  ck_assert_double_eq(nd_minhash_jaccard(a, b, 8), 0.5);
  ck_assert_double_eq(nd_minhash_jaccard(a, a, 8), 1.0);
  ck_assert_double_eq(nd_minhash_jaccard(a, c, 8), 0.125);
  ck_assert_double_eq(nd_minhash_jaccard(b, c, 8), 0.0);
  ck_assert_double_eq(nd_minhash_jaccard(a, b, 4), 1.0);
}
END_TEST

typedef struct {
  double bias, mae, max_abs, rms_z;
  guint within, low_j, high_j, pairs;
} Accuracy;

/* Estimates vs exact Jaccard on `pairs` random pairs of synthetic sets with sizes in
 * [min_size, max_size] and a Jaccard spread over [0, 1]. Elements are splitmix64 outputs (the
 * signer's input is already a 64-bit hash). Deterministic for a given seed. */
static Accuracy
measure_accuracy(guint pairs, guint min_size, guint max_size, guint64 seed)
{
  const guint N = 128;
  guint64 st = seed;
  g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(guint64));
  g_autoptr(GArray) b = g_array_new(FALSE, FALSE, sizeof(guint64));
  guint32 sa[128], sb[128];
  Accuracy r = { .pairs = pairs };
  double sum_err = 0, sum_abs = 0, sum_z2 = 0;
  guint n_z = 0;
  for (guint p = 0; p < pairs; p++) {
    g_array_set_size(a, 0);
    g_array_set_size(b, 0);
    /* sizes of A and B, and a target Jaccard in [0, 1]: shared = J (|A|+|B|) / (1 + J), capped by
     * the smaller set. Every other pair has equal sizes, so that high Jaccard values occur. */
    guint na = (guint)rand_range(&st, min_size, max_size);
    guint nb = p % 2 == 0 ? na : (guint)rand_range(&st, min_size, max_size);
    double target = rand_unit(&st);
    guint shared = (guint)floor(target * (na + nb) / (1.0 + target) + 0.5);
    shared = MIN(shared, MIN(na, nb));
    for (guint i = 0; i < shared; i++) {
      guint64 v = splitmix64(&st);
      g_array_append_val(a, v);
      g_array_append_val(b, v);
    }
    for (guint i = shared; i < na; i++) {
      guint64 v = splitmix64(&st);
      g_array_append_val(a, v);
    }
    for (guint i = shared; i < nb; i++) {
      guint64 v = splitmix64(&st);
      g_array_append_val(b, v);
    }
    double J = (double)shared / (na + nb - shared);
    r.low_j += J < 0.2;
    r.high_j += J > 0.8;
    nd_minhash_sign((const guint64 *)a->data, a->len, N, 1, sa);
    nd_minhash_sign((const guint64 *)b->data, b->len, N, 1, sb);
    double est = nd_minhash_jaccard(sa, sb, N);
    double err = est - J, sigma = sqrt(J * (1 - J) / N);
    sum_err += err;
    sum_abs += fabs(err);
    r.max_abs = MAX(r.max_abs, fabs(err));
    if (fabs(err) <= 2.5 * sigma + 1.0 / N)
      r.within++;
    if (J > 0.05 && J < 0.95) {
      sum_z2 += (err / sigma) * (err / sigma);
      n_z++;
    }
  }
  r.bias = sum_err / pairs;
  r.mae = sum_abs / pairs;
  r.rms_z = sqrt(sum_z2 / n_z);
  if (getenv("ND_PRINT_STATS") != NULL)
    printf("sizes %u..%u: bias %.4f mae %.4f max %.4f within %u/%u rms_z %.3f lowJ %u highJ %u\n", min_size,
           max_size, r.bias, r.mae, r.max_abs, r.within, pairs, r.rms_z, r.low_j, r.high_j);
  return r;
}

static void
assert_accuracy(const Accuracy *r)
{
  /* the Jaccard values really spread over [0, 1] */
  ck_assert_uint_ge(r->low_j, r->pairs / 12);
  ck_assert_uint_ge(r->high_j, r->pairs / 12);
  /* sigma = sqrt(J(1-J)/128) <= 0.044; slack of one position (1/128) for the granularity */
  ck_assert_msg(r->within >= r->pairs * 95 / 100, "only %u of %u estimates within 2.5 sigma", r->within, r->pairs);
  ck_assert_msg(fabs(r->bias) < 0.01, "bias %.4f", r->bias);
  ck_assert_msg(r->mae < 0.035, "mean absolute error %.4f", r->mae); /* ~0.8 * mean sigma ~ 0.028 */
  ck_assert_msg(r->max_abs < 0.2, "max error %.4f", r->max_abs);      /* > 4.5 sigma at the worst J */
  /* the spread matches sqrt(J(1-J)/N): the normalised error has an RMS close to 1, not worse */
  ck_assert_msg(r->rms_z < 1.25, "normalised RMS error %.3f", r->rms_z);
}

/* STATISTICAL: 300 pairs, set sizes 50..2000 (fixed-seed splitmix64, so deterministic). */
START_TEST(test_estimator_accuracy)
{
  Accuracy r = measure_accuracy(300, 50, 2000, G_GUINT64_CONSTANT(0x5EED5EED));
  assert_accuracy(&r);
}
END_TEST

/* STATISTICAL: small sets (10..100 shingles for 128 bins) leave most bins empty, so the estimate
 * rests on densification: it must fill a bin the same way for every document, or agreement falls
 * below J. */
START_TEST(test_estimator_accuracy_sparse)
{
  Accuracy r = measure_accuracy(400, 10, 100, G_GUINT64_CONSTANT(0xD15EA5E));
  assert_accuracy(&r);
}
END_TEST

/* Disjoint sets agree almost nowhere; subsets estimate |A|/|B|. */
START_TEST(test_estimator_extremes)
{
  guint64 st = 4242;
  g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(guint64));
  g_autoptr(GArray) b = g_array_new(FALSE, FALSE, sizeof(guint64));
  for (int i = 0; i < 3000; i++) {
    guint64 v = splitmix64(&st), w = splitmix64(&st);
    g_array_append_val(a, v);
    g_array_append_val(b, w);
  }
  guint32 sa[512], sb[512];
  nd_minhash_sign((const guint64 *)a->data, a->len, 512, 1, sa);
  nd_minhash_sign((const guint64 *)b->data, b->len, 512, 1, sb);
  ck_assert_double_le(nd_minhash_jaccard(sa, sb, 512), 0.01);
  /* B = first 750 of A: J = 0.25, sigma at N=512 is 0.019 */
  nd_minhash_sign((const guint64 *)a->data, 750, 512, 1, sb);
  double est = nd_minhash_jaccard(sa, sb, 512);
  ck_assert_msg(fabs(est - 0.25) < 0.08, "estimate %.3f for J = 0.25", est);
}
END_TEST

static Suite *
minhash_suite(void)
{
  Suite *s = suite_create("minhash");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_golden_vectors);
  tcase_add_test(tc, test_identical_input);
  tcase_add_test(tc, test_duplicates_and_order_do_not_matter);
  tcase_add_test(tc, test_empty_input);
  tcase_add_test(tc, test_single_shingle);
  tcase_add_test(tc, test_bins_and_values);
  tcase_add_test(tc, test_value_equal_to_empty_marker);
  tcase_add_test(tc, test_densification_depends_on_seed);
  tcase_add_test(tc, test_perm_range);
  tcase_add_test(tc, test_jaccard_estimate_hand);
  tcase_add_test(tc, test_estimator_accuracy);
  tcase_add_test(tc, test_estimator_accuracy_sparse);
  tcase_add_test(tc, test_estimator_extremes);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(minhash_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
