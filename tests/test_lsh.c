/* test_lsh.c — banding probability, (b, r) selection and band keys (lsh.h). */
#include <check.h>
#include <neardup/neardup.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/* Midpoint-rule integral of P(s) (or 1 - P(s)) over [lo, hi], independent of the library's. */
static double
ref_integral(double lo, double hi, guint b, guint r, gboolean complement)
{
  const int steps = 2000;
  double h = (hi - lo) / steps, sum = 0;
  for (int i = 0; i < steps; i++) {
    double s = lo + (i + 0.5) * h;
    double p = 1.0 - pow(1.0 - pow(s, r), b);
    sum += complement ? 1.0 - p : p;
  }
  return sum * h;
}

START_TEST(test_probability_values)
{
  ck_assert_double_eq_tol(nd_lsh_probability(0.0, 20, 5), 0.0, 1e-15);
  ck_assert_double_eq_tol(nd_lsh_probability(1.0, 20, 5), 1.0, 1e-15);
  ck_assert_double_eq_tol(nd_lsh_probability(0.5, 1, 1), 0.5, 1e-15);
  ck_assert_double_eq_tol(nd_lsh_probability(0.5, 2, 1), 0.75, 1e-15);
  ck_assert_double_eq_tol(nd_lsh_probability(0.5, 1, 2), 0.25, 1e-15);
  ck_assert_double_eq_tol(nd_lsh_probability(0.5, 4, 2), 0.68359375, 1e-15); /* 1 - 0.75^4 */
  ck_assert_double_eq_tol(nd_lsh_probability(0.8, 20, 5), 0.9996439421, 1e-9); /* 1 - (1 - 0.8^5)^20 */
  ck_assert_double_eq_tol(nd_lsh_probability(0.3, 10, 3), 1.0 - pow(0.973, 10), 1e-12);
  /* increasing in s, in b; decreasing in r */
  double prev = -1;
  for (int i = 0; i <= 100; i++) {
    double p = nd_lsh_probability(i / 100.0, 32, 4);
    ck_assert_double_ge(p, prev);
    prev = p;
  }
  ck_assert_double_gt(nd_lsh_probability(0.6, 40, 4), nd_lsh_probability(0.6, 20, 4));
  ck_assert_double_lt(nd_lsh_probability(0.6, 20, 6), nd_lsh_probability(0.6, 20, 4));
}
END_TEST

START_TEST(test_params_for_half)
{
  NdLshParams p = { 0 };
  GError *error = NULL;
  ck_assert(nd_lsh_params_for(0.5, 128, ND_LSH_FN_WEIGHT, &p, &error));
  ck_assert_ptr_null(error);
  ck_assert_uint_ge(p.bands, 1);
  ck_assert_uint_ge(p.rows, 1);
  ck_assert_uint_le(p.bands * p.rows, 128);
  ck_assert_double_gt(p.false_positive, 0.0);
  ck_assert_double_gt(p.false_negative, 0.0);
  ck_assert_double_lt(p.false_positive, 0.5);
  ck_assert_double_lt(p.false_negative, 0.5);
  /* the reported areas are the integrals of the curve for (b, r) */
  ck_assert_double_eq_tol(p.false_positive, ref_integral(0.0, 0.5, p.bands, p.rows, FALSE), 1e-4);
  ck_assert_double_eq_tol(p.false_negative, ref_integral(0.5, 1.0, p.bands, p.rows, TRUE), 1e-4);
  /* the curve rises around the threshold: with FN weighted 3x it is past half-way at t */
  double pt = nd_lsh_probability(0.5, p.bands, p.rows);
  ck_assert_double_ge(pt, 0.5);
  ck_assert_double_le(pt, 0.95);
  double knee = pow(1.0 / p.bands, 1.0 / p.rows);
  ck_assert_double_ge(knee, 0.3);
  ck_assert_double_le(knee, 0.6);
  /* far from the threshold the curve is near 0 and 1 */
  ck_assert_double_lt(nd_lsh_probability(0.15, p.bands, p.rows), 0.05);
  ck_assert_double_gt(nd_lsh_probability(0.8, p.bands, p.rows), 0.99);

  /* with equal weights the curve crosses close to 1/2 at the threshold */
  NdLshParams q;
  ck_assert(nd_lsh_params_for(0.5, 128, 1.0, &q, NULL));
  double qt = nd_lsh_probability(0.5, q.bands, q.rows);
  ck_assert_double_ge(qt, 0.35);
  ck_assert_double_le(qt, 0.65);
  /* weighting false negatives more never gives more false negatives */
  ck_assert_double_le(p.false_negative, q.false_negative);
  ck_assert_double_ge(p.false_positive, q.false_positive);
}
END_TEST

/* The chosen (b, r) minimises FP + w * FN over r = 1..N with b = floor(N / r). */
START_TEST(test_params_optimal)
{
  const double thresholds[] = { 0.3, 0.5, 0.7, 0.85 };
  const guint perms[] = { 64, 128, 256 };
  for (gsize ti = 0; ti < G_N_ELEMENTS(thresholds); ti++)
    for (gsize pi = 0; pi < G_N_ELEMENTS(perms); pi++) {
      double t = thresholds[ti];
      guint n = perms[pi];
      NdLshParams p;
      ck_assert(nd_lsh_params_for(t, n, ND_LSH_FN_WEIGHT, &p, NULL));
      ck_assert_uint_le(p.bands * p.rows, n);
      ck_assert_uint_eq(p.bands, n / p.rows); /* no wasted band */
      double chosen = ref_integral(0, t, p.bands, p.rows, FALSE) + 3.0 * ref_integral(t, 1, p.bands, p.rows, TRUE);
      double best = INFINITY;
      for (guint r = 1; r <= n; r++) {
        guint b = n / r;
        best = MIN(best, ref_integral(0, t, b, r, FALSE) + 3.0 * ref_integral(t, 1, b, r, TRUE));
      }
      ck_assert_msg(chosen <= best + 1e-3, "t=%.2f N=%u: (b=%u, r=%u) costs %.5f, best %.5f", t, n, p.bands,
                    p.rows, chosen, best);
    }
}
END_TEST

START_TEST(test_params_monotonic)
{
  guint prev_rows = 0;
  NdLshParams lo, hi;
  ck_assert(nd_lsh_params_for(0.2, 128, ND_LSH_FN_WEIGHT, &lo, NULL));
  ck_assert(nd_lsh_params_for(0.9, 128, ND_LSH_FN_WEIGHT, &hi, NULL));
  ck_assert_uint_gt(hi.rows, lo.rows);
  ck_assert_uint_lt(hi.bands, lo.bands);
  for (int i = 1; i <= 19; i++) {
    double t = i * 0.05;
    NdLshParams p;
    ck_assert(nd_lsh_params_for(t, 128, ND_LSH_FN_WEIGHT, &p, NULL));
    ck_assert_msg(p.rows >= prev_rows, "threshold %.2f: %u rows, fewer than %u at a lower threshold", t, p.rows,
                  prev_rows);
    prev_rows = p.rows;
  }
}
END_TEST

START_TEST(test_params_invalid)
{
  const double bad_t[] = { 0.0, 1.0, -1.0, 1.5, NAN, INFINITY };
  for (gsize i = 0; i < G_N_ELEMENTS(bad_t); i++) {
    NdLshParams p;
    GError *error = NULL;
    ck_assert_msg(!nd_lsh_params_for(bad_t[i], 128, ND_LSH_FN_WEIGHT, &p, &error), "threshold %g accepted", bad_t[i]);
    ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_INVALID_ARG));
    g_error_free(error);
  }
  const guint bad_n[] = { 0, 1, ND_MINHASH_MIN_PERM - 1, ND_MINHASH_MAX_PERM + 1, 100000 };
  for (gsize i = 0; i < G_N_ELEMENTS(bad_n); i++) {
    NdLshParams p;
    GError *error = NULL;
    ck_assert_msg(!nd_lsh_params_for(0.5, bad_n[i], ND_LSH_FN_WEIGHT, &p, &error), "num_perm %u accepted", bad_n[i]);
    ck_assert(g_error_matches(error, ND_ERROR, ND_ERROR_INVALID_ARG));
    g_error_free(error);
  }
  NdLshParams p;
  ck_assert(nd_lsh_params_for(0.5, ND_MINHASH_MIN_PERM, ND_LSH_FN_WEIGHT, &p, NULL));
  ck_assert_uint_le(p.bands * p.rows, ND_MINHASH_MIN_PERM);
  ck_assert(nd_lsh_params_for(0.5, ND_MINHASH_MAX_PERM, ND_LSH_FN_WEIGHT, &p, NULL));
  ck_assert_uint_le(p.bands * p.rows, ND_MINHASH_MAX_PERM);
  ck_assert(nd_lsh_params_for(0.01, 128, ND_LSH_FN_WEIGHT, &p, NULL));
  ck_assert(nd_lsh_params_for(0.99, 128, ND_LSH_FN_WEIGHT, &p, NULL));
}
END_TEST

START_TEST(test_band_keys)
{
  /* bands 0 and 1 hold the same values; band 2 differs */
  guint32 sig[12] = { 10, 20, 30, 40, 10, 20, 30, 40, 11, 20, 30, 40 };
  guint64 k0 = nd_lsh_band_key(sig, 0, 4), k1 = nd_lsh_band_key(sig, 1, 4), k2 = nd_lsh_band_key(sig, 2, 4);
  ck_assert_uint_ne(k0, k1); /* same values, different bands: different buckets */
  ck_assert_uint_ne(k1, k2);
  /* equal band values in two signatures give equal keys for that band */
  guint32 other[12] = { 99, 99, 99, 99, 10, 20, 30, 40, 0, 0, 0, 0 };
  ck_assert_uint_eq(nd_lsh_band_key(other, 1, 4), k1);
  ck_assert_uint_ne(nd_lsh_band_key(other, 0, 4), k0);
  ck_assert_uint_ne(nd_lsh_band_key(other, 2, 4), k2);
  /* one changed row changes the key */
  guint32 tweak[12];
  memcpy(tweak, sig, sizeof sig);
  tweak[7] = 41;
  ck_assert_uint_ne(nd_lsh_band_key(tweak, 1, 4), k1);
  ck_assert_uint_eq(nd_lsh_band_key(tweak, 0, 4), k0);
  /* the documented definition: XXH3-64 of the band's r values seeded with the band number */
  ck_assert_uint_eq(k2, XXH3_64bits_withSeed(sig + 8, 4 * sizeof(guint32), 2));
  ck_assert_uint_eq(k0, XXH3_64bits_withSeed(sig, 4 * sizeof(guint32), 0));
  /* rows only covers r values: the band after does not leak in */
  guint32 a[4] = { 1, 2, 3, 4 }, b[4] = { 1, 2, 3, 5 };
  ck_assert_uint_eq(nd_lsh_band_key(a, 0, 3), nd_lsh_band_key(b, 0, 3));
  ck_assert_uint_ne(nd_lsh_band_key(a, 1, 2), nd_lsh_band_key(b, 1, 2));
}
END_TEST

static Suite *
lsh_suite(void)
{
  Suite *s = suite_create("lsh");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_probability_values);
  tcase_add_test(tc, test_params_for_half);
  tcase_add_test(tc, test_params_optimal);
  tcase_add_test(tc, test_params_monotonic);
  tcase_add_test(tc, test_params_invalid);
  tcase_add_test(tc, test_band_keys);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(lsh_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
