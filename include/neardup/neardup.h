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
 *   offsets.h     maps from an article's text back to the bytes of the page it was extracted from.
 *   html.h        the article in a web page (headline, body, metadata), with an offset map.
 *   input.h       reading files, directories, JSON Lines, web pages and WARC into a collection.
 *   score.h       the scores of a pair, the candidate rule and the report rule (batch and archive).
 *   finder.h      candidate pairs of a batch (LSH, passage anchors, rare words), verification.
 *   cluster.h     union-find clustering of verified pairs.
 *   origin.h      who took from whom: pair directions and cluster origins (dates, else evidence).
 *   date.h        publication dates (ISO 8601, RFC 2822, HTTP, written forms, Unix time) in UTC.
 *   dedup.h       the dedup plan: groups of a batch with the archive's groups, which article each keeps.
 *   index.h       a persistent SQLite archive of groups: add, match, browse, check, upgrade.
 *   words.h       match keys (Snowball stems) and content words for the passage aligner.
 *   quote.h       which parts of a text lie inside quotation marks (any style, across paragraphs).
 *   diff.h        the passages two articles share, with byte offsets (seed-and-chain alignment for
 *                 verbatim passages, sentence alignment for rewritten ones).
 *
 * Errors: every fallible function takes a GError ** in the ND_ERROR domain (error.h).
 * Memory: functions named _new/_dup return owned values freed with the matching _free;
 * g_autoptr() works for every object type.
 *
 * Stability: this header, nd_version() and the version macros (version.h) are stable; each module's
 * header says what of it is stable (docs/api.md).
 */
#ifndef NEARDUP_NEARDUP_H
#define NEARDUP_NEARDUP_H

#include <neardup/api.h>
#include <neardup/version.h>
#include <neardup/error.h>
#include <neardup/text.h>
#include <neardup/offsets.h>
#include <neardup/shingle.h>
#include <neardup/minhash.h>
#include <neardup/lsh.h>
#include <neardup/collection.h>
#include <neardup/html.h>
#include <neardup/input.h>
#include <neardup/score.h>
#include <neardup/finder.h>
#include <neardup/cluster.h>
#include <neardup/words.h>
#include <neardup/quote.h>
#include <neardup/diff.h>
#include <neardup/origin.h>
#include <neardup/date.h>
#include <neardup/index.h>
#include <neardup/dedup.h>

ND_BEGIN_DECLS

/* The version of the library linked, as "MAJOR.MINOR.PATCH" (NEARDUP_VERSION_STRING is the version of
 * the headers compiled against); a static string, never NULL. */
const char *nd_version(void);

ND_END_DECLS

#endif
