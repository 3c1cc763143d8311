/* lsh.h — locality-sensitive hashing of MinHash signatures by banding.
 *
 * A signature of N values is cut into b bands of r rows (b * r <= N). Two documents become a
 * candidate pair when all r values of at least one band agree. If their Jaccard similarity is s,
 * one band agrees with probability s^r, so
 *
 *     P(candidate | s) = 1 - (1 - s^r)^b,
 *
 * an S-shaped curve rising steeply around s ~ (1/b)^(1/r). Given a threshold t, nd_lsh_params_for()
 * picks (b, r) minimising the false-positive area  FP = integral_0^t P(s) ds  plus the
 * false-negative area  FN = integral_t^1 (1 - P(s)) ds, weighting FN by `fn_weight` (a missed
 * duplicate costs more than an extra verification, since every candidate is verified exactly).
 *
 * Stability: stable (docs/api.md): the calls and NdLshParams (grows only at the end).
 */
#ifndef NEARDUP_LSH_H
#define NEARDUP_LSH_H

#include <neardup/api.h>
#include <glib.h>

ND_BEGIN_DECLS

typedef struct {
  guint bands;          /* b */
  guint rows;           /* r */
  double false_positive; /* integral_0^t P(s) ds */
  double false_negative; /* integral_t^1 (1 - P(s)) ds */
} NdLshParams;

/* Probability that a pair with Jaccard `s` becomes a candidate under (bands, rows). */
double nd_lsh_probability(double s, guint bands, guint rows);

/* Chooses (b, r) with b * r <= num_perm for threshold t in (0, 1); fn_weight >= 0 (the CLI uses
 * ND_LSH_FN_WEIGHT). Returns FALSE with ND_ERROR_INVALID_ARG when t or num_perm is out of range. */
gboolean nd_lsh_params_for(double threshold, guint num_perm, double fn_weight, NdLshParams *out,
                           GError **error);

#define ND_LSH_FN_WEIGHT 3.0

/* The key of band `band` of a signature: XXH3-64 of its r values, seeded by the band number, so
 * equal rows in different bands never share a bucket. */
guint64 nd_lsh_band_key(const guint32 *sig, guint band, guint rows);

ND_END_DECLS

#endif
