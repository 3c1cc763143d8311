/* minhash_accuracy.c — how close MinHash estimates come to exact Jaccard similarity.
 *
 * For many random pairs of shingle sets with a planted Jaccard similarity (sizes 20..5,000, J spread
 * over [0, 1]), signs both sets and compares nd_minhash_jaccard with the exact value. Prints, per
 * signature length N: mean error (bias), RMSE, the RMSE classic MinHash would have
 * (mean of sqrt(J(1-J)/N)), and the share of pairs within 2 and 3 standard deviations.
 *
 *   minhash_accuracy [PAIRS]   (default 2000; seed fixed, output reproducible)
 */
#include <neardup/neardup.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static guint64
splitmix64(guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

int
main(int argc, char **argv)
{
  guint pairs = argc > 1 ? (guint)atoi(argv[1]) : 2000;
  const guint perms[] = { 64, 128, 256 };
  printf("MinHash (one-permutation, optimal densification) vs exact Jaccard, %u random pairs per N\n", pairs);
  printf("%6s %10s %10s %14s %10s %10s\n", "N", "bias", "RMSE", "classic RMSE", "within 2sd", "within 3sd");
  for (guint pi = 0; pi < G_N_ELEMENTS(perms); pi++) {
    guint N = perms[pi];
    guint64 rng = 42;
    double sum_err = 0, sum_sq = 0, sum_theory = 0;
    guint in2 = 0, in3 = 0;
    g_autofree guint32 *sa = g_new(guint32, N), *sb = g_new(guint32, N);
    for (guint p = 0; p < pairs; p++) {
      /* |A n B| = shared, |A \ B| = only_a, |B \ A| = only_b, drawn so J covers [0, 1]. */
      guint size = 20 + (guint)(splitmix64(&rng) % 4981);
      double target = (splitmix64(&rng) % 10001) / 10000.0;
      guint shared = (guint)(target * size);
      guint only_a = (size - shared) / 2, only_b = size - shared - only_a;
      g_autofree guint64 *a = g_new(guint64, shared + only_a), *b = g_new(guint64, shared + only_b);
      for (guint i = 0; i < shared; i++)
        a[i] = b[i] = splitmix64(&rng);
      for (guint i = 0; i < only_a; i++)
        a[shared + i] = splitmix64(&rng);
      for (guint i = 0; i < only_b; i++)
        b[shared + i] = splitmix64(&rng);
      double exact = (double)shared / (shared + only_a + only_b);
      nd_minhash_sign(a, shared + only_a, N, 7, sa);
      nd_minhash_sign(b, shared + only_b, N, 7, sb);
      double est = nd_minhash_jaccard(sa, sb, N);
      double err = est - exact, sd = sqrt(exact * (1 - exact) / N);
      sum_err += err;
      sum_sq += err * err;
      sum_theory += exact * (1 - exact) / N;
      in2 += fabs(err) <= 2 * sd + 0.5 / N;
      in3 += fabs(err) <= 3 * sd + 0.5 / N;
    }
    printf("%6u %10.4f %10.4f %14.4f %9.1f%% %9.1f%%\n", N, sum_err / pairs, sqrt(sum_sq / pairs),
           sqrt(sum_theory / pairs), 100.0 * in2 / pairs, 100.0 * in3 / pairs);
  }
  return 0;
}
