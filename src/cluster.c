/* cluster.c — union-find over verified pairs (see include/neardup/cluster.h). */
#include <neardup/neardup.h>

static guint
find_root(guint *parent, guint x)
{
  while (parent[x] != x) {
    parent[x] = parent[parent[x]]; /* path halving */
    x = parent[x];
  }
  return x;
}

guint
nd_cluster_assign(const NdPair *pairs, gsize n_pairs, guint n_docs, guint *cluster_of)
{
  g_return_val_if_fail(cluster_of != NULL || n_docs == 0, 0);
  if (n_docs == 0)
    return 0;
  g_autofree guint *parent = g_new(guint, n_docs);
  g_autofree guint *size = g_new(guint, n_docs);
  for (guint i = 0; i < n_docs; i++) {
    parent[i] = i;
    size[i] = 1;
  }
  for (gsize p = 0; p < n_pairs; p++) {
    if (pairs[p].kind == ND_PAIR_QUOTATION) /* sharing a quotation is no reuse: it joins nothing */
      continue;
    guint ra = find_root(parent, pairs[p].a), rb = find_root(parent, pairs[p].b);
    if (ra == rb)
      continue;
    if (size[ra] < size[rb]) {
      guint t = ra;
      ra = rb;
      rb = t;
    }
    parent[rb] = ra;
    size[ra] += size[rb];
  }
  /* Number clusters by first member: walking documents in order, a root met for the first time
   * gets the next number. Singletons get 0. The root's number is cached in `size` (reused). */
  guint n_clusters = 0;
  for (guint i = 0; i < n_docs; i++)
    if (parent[i] == i)
      size[i] = size[i] > 1 ? G_MAXUINT : 0;
  for (guint i = 0; i < n_docs; i++) {
    guint r = find_root(parent, i);
    if (size[r] == G_MAXUINT)
      size[r] = ++n_clusters;
    cluster_of[i] = size[r];
  }
  return n_clusters;
}
