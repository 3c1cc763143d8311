/* minhash.h — MinHash signatures by one-permutation hashing with optimal densification.
 *
 * The scheme. Classic MinHash keeps, for each of N independent hash functions, the minimum hash
 * over a document's shingles; two documents agree on one position with probability equal to the
 * Jaccard similarity J of their shingle sets, so the share of agreeing positions estimates J with
 * standard deviation sqrt(J(1-J)/N). That costs N hash evaluations per shingle.
 *
 * One-permutation hashing (Li, Owen & Zhang 2012) gets N positions from ONE hash per shingle: the
 * shingle's 64-bit hash h is split into a bin b = floor(hi32(h) * N / 2^32) and a value lo32(h);
 * each bin keeps the minimum value that falls into it. Every non-empty bin is a MinHash sample of
 * the part of the set that hashes there, so agreement is again probability J — but short documents
 * leave bins empty. Optimal densification (Shrivastava 2017) fills each empty bin i from a
 * non-empty bin chosen by a probe sequence p(i, 1), p(i, 2), ... that depends only on i and the
 * seed, never on the document: two documents fill the same empty bin from the same place, which
 * keeps P[agree] = J and brings the variance back to that of classic MinHash.
 *
 * Cost: one multiply per shingle plus O(N) per document for densification, against N hashes per
 * shingle for classic MinHash. Values are 32 bits: two different minima collide with probability
 * 2^-32, far below the estimator's own noise at any useful N.
 *
 * Signatures are deterministic for (shingle hashes, N, seed): golden vectors are frozen in
 * tests/test_minhash.c. Changing anything here changes them.
 *
 * Stability: stable (docs/api.md): the calls, and the signature values for a given seed (golden
 * vectors in tests/).
 */
#ifndef NEARDUP_MINHASH_H
#define NEARDUP_MINHASH_H

#include <neardup/api.h>
#include <glib.h>

ND_BEGIN_DECLS

#define ND_MINHASH_MIN_PERM 8
#define ND_MINHASH_MAX_PERM 4096
#define ND_MINHASH_EMPTY G_MAXUINT32

/* Computes the N-value signature of the shingle hashes `hashes[0..n)` (duplicates allowed) into
 * `sig[0..num_perm)`. With n == 0 every value is ND_MINHASH_EMPTY. num_perm must be within
 * [ND_MINHASH_MIN_PERM, ND_MINHASH_MAX_PERM]; `seed` drives the densification probes. */
void nd_minhash_sign(const guint64 *hashes, gsize n, guint num_perm, guint64 seed, guint32 *sig);

/* Share of positions where two signatures of length num_perm agree: the estimate of Jaccard. */
double nd_minhash_jaccard(const guint32 *a, const guint32 *b, guint num_perm);

ND_END_DECLS

#endif
