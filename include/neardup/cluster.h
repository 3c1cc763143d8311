/* cluster.h — connected components of reported pairs (union-find with path halving and union by
 * size). Cluster numbers are assigned 1, 2, ... in the order of each cluster's first document, so
 * they are stable for a given input order.
 *
 * Stability: stable (docs/api.md): nd_cluster_assign and its numbering of clusters.
 */
#ifndef NEARDUP_CLUSTER_H
#define NEARDUP_CLUSTER_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/finder.h>

ND_BEGIN_DECLS

/* Fills cluster_of[0..n_docs) with the cluster number of each document (0 for documents in no
 * pair) and returns the number of clusters. Pairs of kind ND_PAIR_QUOTATION (score.h) join nothing.
 * `pairs` may be NULL iff n_pairs == 0. */
guint nd_cluster_assign(const NdPair *pairs, gsize n_pairs, guint n_docs, guint *cluster_of);

ND_END_DECLS

#endif
