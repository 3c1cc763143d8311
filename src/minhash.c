/* minhash.c — one-permutation MinHash with optimal densification (scheme in minhash.h). */
#include <neardup/neardup.h>
#include "hash.h"

#define FILLED(sig, empty_value, i) \
  ((sig)[i] != ND_MINHASH_EMPTY || ((empty_value)[(i) >> 6] >> ((i) & 63)) & 1)

/* Maps a 32-bit value uniformly onto [0, n) without division (Lemire's multiply-shift). */
static inline guint32
fast_range32(guint32 x, guint32 n)
{
  return (guint32)(((guint64)x * n) >> 32);
}

void
nd_minhash_sign(const guint64 *hashes, gsize n, guint num_perm, guint64 seed, guint32 *sig)
{
  g_return_if_fail(num_perm >= ND_MINHASH_MIN_PERM && num_perm <= ND_MINHASH_MAX_PERM);
  g_return_if_fail(sig != NULL && (hashes != NULL || n == 0));
  /* A bin is filled when it received a shingle: its value is then below ND_MINHASH_EMPTY, except
   * when a genuine minimum equals ND_MINHASH_EMPTY, which bit i of `empty_value` records (rare, and
   * kept off the hot loop, which is a branch-free min per shingle). */
  guint64 empty_value[ND_MINHASH_MAX_PERM / 64] = { 0 };
  for (guint i = 0; i < num_perm; i++)
    sig[i] = ND_MINHASH_EMPTY;
  for (gsize j = 0; j < n; j++) {
    guint64 h = hashes[j];
    guint32 bin = fast_range32((guint32)(h >> 32), num_perm);
    guint32 value = (guint32)h;
    sig[bin] = value < sig[bin] ? value : sig[bin];
    if (G_UNLIKELY(value == ND_MINHASH_EMPTY))
      empty_value[bin >> 6] |= G_GUINT64_CONSTANT(1) << (bin & 63);
  }
  if (n == 0)
    return;

  /* Optimal densification: empty bin i copies the value of the first non-empty bin on its probe
   * sequence p(i, 1), p(i, 2), ..., where p depends on (i, attempt, seed) only. The copy source
   * must be a bin that was filled by shingles, never one filled by densification. */
  guint32 dense[ND_MINHASH_MAX_PERM];
  for (guint i = 0; i < num_perm; i++)
    dense[i] = sig[i];
  for (guint i = 0; i < num_perm; i++) {
    if (FILLED(sig, empty_value, i))
      continue;
    for (guint64 attempt = 1;; attempt++) {
      guint64 key[2] = { i, attempt };
      guint32 j = fast_range32((guint32)XXH3_64bits_withSeed(key, sizeof key, seed), num_perm);
      if (FILLED(sig, empty_value, j)) {
        dense[i] = sig[j];
        break;
      }
    }
  }
  for (guint i = 0; i < num_perm; i++)
    sig[i] = dense[i];
}

double
nd_minhash_jaccard(const guint32 *a, const guint32 *b, guint num_perm)
{
  guint same = 0;
  for (guint i = 0; i < num_perm; i++)
    same += a[i] == b[i];
  return num_perm ? (double)same / num_perm : 0.0;
}
