/* keys.h — private: what the distributed candidate search needs of the documents a rank signed.
 *
 * A rank sends its documents to rank 0 and keeps, beside, their search keys: the LSH band keys (or
 * the signature, when the documents carry no band keys), the passage anchors, the short lines and
 * the anchors of those lines — the fields the candidate rules read (src/candidates.h) — and what
 * verifying a lean document reads (score.c): its shingle count, its lean fingerprints and its quoted
 * anchors. One flat array of 32-bit values holds them all, so that a document costs these values
 * and 8 bytes, and travels as a copy of its slice. After the gather, each document also knows its
 * number in rank 0's collection (or that rank 0 refused it: a repeated id).
 */
#ifndef NEARDUP_MPI_KEYS_H
#define NEARDUP_MPI_KEYS_H

#include <neardup/neardup.h>
#include <neardup/dist.h>

#define ND_DIST_REFUSED G_MAXUINT32 /* the collection number of a document rank 0 refused */
#define ND_DIST_KEYS_HEAD 6         /* the counts that open a document's values */
#define ND_DIST_KEYS_BLOCK (1u << 22) /* values in a block of the store (16 MiB) */

typedef enum {
  ND_DIST_KEYS_NONE,      /* no document yet */
  ND_DIST_KEYS_BAND_KEYS, /* each document's stored band keys (params->lsh_bands of them) */
  ND_DIST_KEYS_SIGNATURE, /* each document's signature (num_perm values) */
  ND_DIST_KEYS_MISSING,   /* a document had neither: the search cannot run over the ranks */
} NdDistBandSource;

typedef struct {
  NdSignParams params;
  NdDistBandSource band_source;
  GArray *start;     /* guint64 per document: block << 32 | where its values begin in the block */
  GPtrArray *blocks; /* guint32 arrays of ND_DIST_KEYS_BLOCK values (or one document's, when it has
                        more), filled in turn: a document's values are never split, and a full
                        block never moves (no array doubling: the store stays near its size). Per
                        document: ND_DIST_KEYS_HEAD counts (anchors, lines, line anchors, set size,
                        lean fingerprints, quoted anchors), then the band values, the anchors, the
                        lines, the (anchor, line) pairs, the fingerprints and the quoted anchors */
  guint32 used;      /* values used in the last block */
  guint32 capacity;  /* the last block's size */
  guint32 *number; /* after the gather: each document's number in rank 0's collection, or
                      ND_DIST_REFUSED; NULL before */
  guint n_number;
} NdDistKeys;

/* A view of one document's keys (borrowed from the store). */
typedef struct {
  const guint32 *band;         /* band keys or signature, as the store's band_source */
  const guint32 *anchors;
  guint32 n_anchors;
  const guint32 *lines;
  guint32 n_lines;
  const guint32 *line_anchors; /* (anchor, line key) pairs */
  guint32 n_line_anchors;
  guint32 set_size;
  const guint32 *fingerprints; /* as a lean collection keeps them */
  guint32 n_fingerprints;
  const guint32 *quoted_anchors;
  guint32 n_quoted_anchors;
} NdDistDocKeys;

/* An empty store for documents signed with `params` (copied). Free with nd_dist_keys_free (NULL
 * ignored). */
NdDistKeys *nd_dist_keys_new(const NdSignParams *params);
void nd_dist_keys_free(NdDistKeys *keys);
/* Appends the search keys of `doc` (borrowed, whole or lean: both keep these fields). */
void nd_dist_keys_add(NdDistKeys *keys, const NdDocument *doc);
/* The number of documents held. */
guint nd_dist_keys_size(const NdDistKeys *keys);
/* Document i's keys. */
NdDistDocKeys nd_dist_keys_get(const NdDistKeys *keys, guint i);
/* Document i's values (*n of them): what nd_dist_keys_parse reads back. */
const guint32 *nd_dist_keys_values(const NdDistKeys *keys, guint i, gsize *n);
/* The keys in values[0..n) (copied from a store like `keys`, whose band source they have), or FALSE
 * when they do not add up to n values. */
gboolean nd_dist_keys_parse(const NdDistKeys *keys, const guint32 *values, gsize n, NdDistDocKeys *out);

/* The keys `share` keeps (nd_dist_share_keep_search_keys), numbered once it was gathered; NULL
 * when it keeps none. Borrowed. */
const NdDistKeys *nd_dist_share_search_keys(const NdDistShare *share);

#endif
