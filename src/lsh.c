/* lsh.c — banding parameters and band keys (the S-curve maths is in lsh.h). */
#include <neardup/neardup.h>
#include <math.h>
#include "hash.h"

double
nd_lsh_probability(double s, guint bands, guint rows)
{
  return 1.0 - pow(1.0 - pow(s, rows), bands);
}

/* Simpson's rule over [lo, hi] of P(s) (or 1 - P(s)); 64 intervals are plenty for this smooth curve. */
static double
integrate(double lo, double hi, guint bands, guint rows, gboolean complement)
{
  const int steps = 64;
  double h = (hi - lo) / steps, sum = 0.0;
  for (int i = 0; i <= steps; i++) {
    double p = nd_lsh_probability(lo + i * h, bands, rows);
    if (complement)
      p = 1.0 - p;
    sum += p * (i == 0 || i == steps ? 1 : (i % 2 ? 4 : 2));
  }
  return sum * h / 3.0;
}

gboolean
nd_lsh_params_for(double threshold, guint num_perm, double fn_weight, NdLshParams *out, GError **error)
{
  if (!(threshold > 0.0 && threshold < 1.0)) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "threshold %g is not between 0 and 1 (exclusive)", threshold);
    return FALSE;
  }
  if (num_perm < ND_MINHASH_MIN_PERM || num_perm > ND_MINHASH_MAX_PERM) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "number of permutations %u is not between %d and %d",
                num_perm, ND_MINHASH_MIN_PERM, ND_MINHASH_MAX_PERM);
    return FALSE;
  }
  NdLshParams best = { 0 };
  double best_cost = INFINITY;
  for (guint rows = 1; rows <= num_perm; rows++) {
    guint bands = num_perm / rows;
    double fp = integrate(0.0, threshold, bands, rows, FALSE);
    double fn = integrate(threshold, 1.0, bands, rows, TRUE);
    double cost = fp + fn_weight * fn;
    if (cost < best_cost) {
      best_cost = cost;
      best = (NdLshParams){ bands, rows, fp, fn };
    }
  }
  *out = best;
  return TRUE;
}

guint64
nd_lsh_band_key(const guint32 *sig, guint band, guint rows)
{
  return XXH3_64bits_withSeed(sig + (gsize)band * rows, rows * sizeof(guint32), band);
}
