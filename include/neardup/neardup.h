/* neardup.h — public API of libneardup, the near-duplicate and text-reuse finder.
 *
 * Include this one header. The pipeline, module by module:
 *
 *   text.h        UTF-8 validation, normalisation (NFKC + case fold + typographic folding) and
 *                 tokenisation; every token keeps its byte offsets into the original text.
 *   shingle.h     word or character k-grams of tokens, hashed with XXH3-64 and a seed.
 *   minhash.h     fixed-size MinHash signatures (one-permutation hashing, densified).
 *   lsh.h         banding of signatures; b and r derived from a Jaccard threshold.
 *   collection.h  a set of signed documents (ids, sizes, signatures, shingle sets, anchors, words).
 *   input.h       reading files, directories and JSON Lines into a collection, in parallel.
 *   score.h       the scores of a pair, the candidate rule and the report rule (batch and archive).
 *   finder.h      candidate pairs of a batch (LSH, passage anchors, rare words), verification.
 *   cluster.h     union-find clustering of verified pairs.
 *   index.h       a persistent SQLite archive: add, remove, query, statistics.
 *   words.h       match keys (Snowball stems) and content words for the passage aligner.
 *   diff.h        the passages two articles share, with byte offsets (seed-and-chain alignment for
 *                 verbatim passages, sentence alignment for rewritten ones).
 *
 * Errors: every fallible function takes a GError ** in the ND_ERROR domain (error.h).
 * Memory: functions named _new/_dup return owned values freed with the matching _free;
 * g_autoptr() works for every object type.
 */
#ifndef NEARDUP_NEARDUP_H
#define NEARDUP_NEARDUP_H

#include <neardup/error.h>
#include <neardup/text.h>
#include <neardup/shingle.h>
#include <neardup/minhash.h>
#include <neardup/lsh.h>
#include <neardup/collection.h>
#include <neardup/input.h>
#include <neardup/score.h>
#include <neardup/finder.h>
#include <neardup/cluster.h>
#include <neardup/words.h>
#include <neardup/diff.h>
#include <neardup/index.h>

G_BEGIN_DECLS

#define NEARDUP_VERSION_MAJOR 0
#define NEARDUP_VERSION_MINOR 1
#define NEARDUP_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH"; a static string, never NULL. */
const char *nd_version(void);

G_END_DECLS

#endif
