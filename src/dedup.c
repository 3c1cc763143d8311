/* dedup.c — the dedup plan (rules in include/neardup/dedup.h).
 *
 * Design: the links (batch pairs and batch-to-archive matches) are sorted best first and taken
 * Kruskal-style over a union-find of the batch articles, where each component remembers the one
 * archived group it is bound to; a link that would bind a component to a second archived group is
 * skipped. Everything after that is per group: numbering in input order, the keeper by policy. The
 * plan holds only indices and borrowed strings, so it costs a few words per article and link.
 */
#include <neardup/neardup.h>
#include <string.h>

typedef struct {
  guint a;            /* batch article */
  gint b;             /* the other batch article, or -1 for an archived article */
  guint64 group;      /* archived: its group */
  const char *id;     /* archived: its id */
  NdPair scores;      /* a = article a */
} Link;

struct NdDedupPlan {
  NdDedupOptions options;
  NdDedupArticle *articles;
  guint n;
  GArray *links;       /* Link */
  GHashTable *groups;  /* guint64 group -> NdDedupGroup * (owned copies) */
  NdDedupResult *results;
  GArray *superseded;  /* NdDedupSuperseded */
  gboolean *withdrawn_group; /* per batch article: its group is withdrawn (set for every member) */
  guint new_groups;
  gboolean solved;
};

NdDedupPlan *
nd_dedup_plan_new(const NdDedupOptions *options, const NdDedupArticle *articles, guint n)
{
  NdDedupPlan *p = g_new0(NdDedupPlan, 1);
  p->options = *options;
  p->articles = g_new0(NdDedupArticle, (gsize)n + 1);
  if (n > 0)
    memcpy(p->articles, articles, (gsize)n * sizeof *articles);
  p->n = n;
  p->links = g_array_new(FALSE, FALSE, sizeof(Link));
  p->groups = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
  p->results = g_new0(NdDedupResult, n + 1);
  p->superseded = g_array_new(FALSE, FALSE, sizeof(NdDedupSuperseded));
  p->withdrawn_group = g_new0(gboolean, n + 1);
  return p;
}

void
nd_dedup_plan_free(NdDedupPlan *p)
{
  if (p == NULL)
    return;
  g_free(p->articles);
  g_array_unref(p->links);
  g_hash_table_unref(p->groups);
  g_free(p->results);
  g_array_unref(p->superseded);
  g_free(p->withdrawn_group);
  g_free(p);
}

void
nd_dedup_plan_add_pairs(NdDedupPlan *p, const NdPair *pairs, gsize n_pairs)
{
  for (gsize k = 0; k < n_pairs; k++) {
    Link l = { pairs[k].a, (gint)pairs[k].b, 0, NULL, pairs[k] };
    g_array_append_val(p->links, l);
  }
}

void
nd_dedup_plan_add_archived(NdDedupPlan *p, guint article, guint64 group, const char *id, const NdPair *scores)
{
  Link l = { article, -1, group, id, *scores };
  l.scores.a = article;
  g_array_append_val(p->links, l);
}

void
nd_dedup_plan_add_group(NdDedupPlan *p, const NdDedupGroup *group)
{
  NdDedupGroup *g = g_memdup2(group, sizeof *group);
  g_hash_table_replace(p->groups, &g->group, g);
}

static double
best_score(const NdPair *s)
{
  return MAX(s->jaccard, MAX(s->containment_a_in_b, s->containment_b_in_a));
}

static int
compare_links(gconstpointer x, gconstpointer y)
{
  const Link *a = x, *b = y;
  double sa = best_score(&a->scores), sb = best_score(&b->scores);
  if (sa != sb)
    return sa > sb ? -1 : 1;
  if (a->scores.jaccard != b->scores.jaccard)
    return a->scores.jaccard > b->scores.jaccard ? -1 : 1;
  guint amin = a->b >= 0 ? MIN(a->a, (guint)a->b) : a->a, bmin = b->b >= 0 ? MIN(b->a, (guint)b->b) : b->a;
  if (amin != bmin)
    return amin < bmin ? -1 : 1;
  if ((a->b >= 0) != (b->b >= 0)) /* batch links before archived ones */
    return a->b >= 0 ? -1 : 1;
  if (a->b >= 0)
    return a->b < b->b ? -1 : a->b > b->b ? 1 : (a->a > b->a) - (a->a < b->a);
  return a->group != b->group ? (a->group < b->group ? -1 : 1) : strcmp(a->id, b->id);
}

static guint
find(guint *parent, guint x)
{
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

/* -1 when article a is the better keeper under (keep policy, missing-date rule), 1 when b is, 0 when
 * neither is (callers fall back to input order). */
static int
compare_dates(gboolean ha, gint64 da, gboolean hb, gint64 db, NdDateMissing missing)
{
  if (ha && hb)
    return da < db ? -1 : da > db;
  if (ha == hb)
    return 0;
  /* one has a date: a missing date counts as latest (LAST) or earliest (FIRST) */
  return (ha ? -1 : 1) * (missing == ND_DATE_MISSING_LAST ? 1 : -1);
}

/* TRUE when batch article i is a better keeper than batch article k (k < i in input order). */
static gboolean
better_keeper(const NdDedupPlan *p, guint i, guint k)
{
  const NdDedupArticle *a = &p->articles[i], *b = &p->articles[k];
  switch (p->options.keep) {
  case ND_KEEP_FIRST:
    return i < k;
  case ND_KEEP_LONGEST:
    return a->bytes > b->bytes || (a->bytes == b->bytes && i < k);
  case ND_KEEP_EARLIEST: {
    int c = compare_dates(a->has_date, a->date, b->has_date, b->date, p->options.date_missing);
    return c < 0 || (c == 0 && i < k);
  }
  }
  return FALSE;
}

/* TRUE when batch article i should replace the archived kept article of group g (rekeep). */
static gboolean
replaces(const NdDedupPlan *p, guint i, const NdDedupGroup *g)
{
  const NdDedupArticle *a = &p->articles[i];
  switch (p->options.rekeep) {
  case ND_REKEEP_NEVER:
    return FALSE;
  case ND_REKEEP_LONGEST:
    return a->bytes > g->kept_bytes;
  case ND_REKEEP_EARLIEST:
    return compare_dates(a->has_date, a->date, g->kept_has_date, g->kept_date, p->options.date_missing) < 0;
  }
  return FALSE;
}

/* The better rekeep candidate of two batch articles under the rekeep policy (ties: input order). */
static gboolean
better_rekeep(const NdDedupPlan *p, guint i, guint k)
{
  const NdDedupArticle *a = &p->articles[i], *b = &p->articles[k];
  if (p->options.rekeep == ND_REKEEP_LONGEST)
    return a->bytes > b->bytes || (a->bytes == b->bytes && i < k);
  int c = compare_dates(a->has_date, a->date, b->has_date, b->date, p->options.date_missing);
  return c < 0 || (c == 0 && i < k);
}

gboolean
nd_dedup_plan_solve(NdDedupPlan *p, guint64 next_group, GError **error)
{
  guint n = p->n;
  for (guint k = 0; k < p->links->len; k++) {
    const Link *l = &g_array_index(p->links, Link, k);
    if (l->a >= n || (l->b >= 0 && ((guint)l->b >= n || (guint)l->b == l->a))) {
      g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "a link names article %u or %d of a batch of %u", l->a, l->b, n);
      return FALSE;
    }
    if (l->b < 0 && !g_hash_table_contains(p->groups, &l->group)) {
      g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "group %" G_GUINT64_FORMAT " is matched but not described",
                  l->group);
      return FALSE;
    }
  }
  for (guint i = 0; i < n; i++)
    if (p->articles[i].archived_group != 0 && !g_hash_table_contains(p->groups, &p->articles[i].archived_group)) {
      g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG, "group %" G_GUINT64_FORMAT " of '%s' is not described",
                  p->articles[i].archived_group, p->articles[i].id);
      return FALSE;
    }
  g_array_sort(p->links, compare_links);

  g_autofree guint *parent = g_new(guint, n + 1);
  g_autofree guint64 *bound = g_new0(guint64, n + 1); /* per root: its archived group, 0 none */
  g_autofree gboolean *has_best = g_new0(gboolean, n + 1);
  for (guint i = 0; i < n; i++) {
    parent[i] = i;
    bound[i] = p->articles[i].archived_group;
    p->results[i] = (NdDedupResult){ .match_article = -1, .kept_article = -1 };
  }
  for (guint k = 0; k < p->links->len; k++) {
    const Link *l = &g_array_index(p->links, Link, k);
    /* The first link of an article is its best match (what it joined through). */
    guint ends[2] = { l->a, l->b >= 0 ? (guint)l->b : l->a };
    for (int e = 0; e < (l->b >= 0 ? 2 : 1); e++) {
      guint i = ends[e];
      if (has_best[i] || p->articles[i].archived_group != 0)
        continue;
      has_best[i] = TRUE;
      NdDedupResult *r = &p->results[i];
      if (l->b < 0) {
        r->match_id = l->id;
        r->match_article = -1;
      } else {
        guint other = e == 0 ? (guint)l->b : l->a;
        r->match_id = p->articles[other].id;
        r->match_article = (gint)other;
      }
      r->jaccard = l->scores.jaccard;
      r->containment = e == 0 ? l->scores.containment_a_in_b : l->scores.containment_b_in_a;
    }
    guint ra = find(parent, l->a);
    if (l->b < 0) {
      if (bound[ra] == 0)
        bound[ra] = l->group;
      continue; /* bound to another group: archived groups never merge */
    }
    guint rb = find(parent, (guint)l->b);
    if (ra == rb || (bound[ra] != 0 && bound[rb] != 0 && bound[ra] != bound[rb]))
      continue;
    guint root = MIN(ra, rb), child = MAX(ra, rb);
    parent[child] = root;
    bound[root] = bound[root] != 0 ? bound[root] : bound[child];
  }

  /* Groups: archived ones keep their numbers; new ones are numbered in input order. The keeper (or
   * rekeep candidate) is chosen per group: several components may join one archived group. */
  g_autofree guint64 *group_of_root = g_new0(guint64, n + 1);
  g_autoptr(GHashTable) keeper = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL); /* group -> i + 1 */
  g_autoptr(GHashTable) by_id = g_hash_table_new(g_str_hash, g_str_equal); /* id -> i + 1 */
  for (guint i = 0; i < n; i++)
    g_hash_table_insert(by_id, (gpointer)p->articles[i].id, GUINT_TO_POINTER(i + 1));
  p->new_groups = 0;
  for (guint i = 0; i < n; i++) {
    guint r = find(parent, i);
    if (group_of_root[r] == 0)
      group_of_root[r] = bound[r] != 0 ? bound[r] : next_group + p->new_groups++;
    NdDedupResult *res = &p->results[i];
    res->group = group_of_root[r];
    res->new_group = bound[r] == 0;
    if (p->articles[i].archived_group != 0) {
      res->match_id = p->articles[i].archived_match; /* in the batch too when it is run again */
      res->match_article = res->match_id ? (gint)GPOINTER_TO_UINT(g_hash_table_lookup(by_id, res->match_id)) - 1 : -1;
      res->jaccard = p->articles[i].archived_jaccard;
      res->containment = p->articles[i].archived_containment;
      continue; /* archived already: never a new keeper */
    }
    guint k = GPOINTER_TO_UINT(g_hash_table_lookup(keeper, &res->group));
    if (k == 0 || (res->new_group ? better_keeper(p, i, k - 1) : better_rekeep(p, i, k - 1)))
      g_hash_table_insert(keeper, g_memdup2(&res->group, sizeof res->group), GUINT_TO_POINTER(i + 1));
  }
  g_array_set_size(p->superseded, 0);
  g_autoptr(GHashTable) kept_in_batch = g_hash_table_new(g_int64_hash, g_int64_equal); /* group -> i + 1 */
  for (guint j = 0; j < n; j++)
    if (p->articles[j].archived_kept && p->articles[j].archived_group != 0)
      g_hash_table_insert(kept_in_batch, &p->articles[j].archived_group, GUINT_TO_POINTER(j + 1));
  for (guint i = 0; i < n; i++) {
    NdDedupResult *res = &p->results[i];
    gint k = (gint)GPOINTER_TO_UINT(g_hash_table_lookup(keeper, &res->group)) - 1;
    const NdDedupGroup *g = res->new_group ? NULL : g_hash_table_lookup(p->groups, &res->group);
    gboolean rekeep = g != NULL && k >= 0 && replaces(p, (guint)k, g);
    if (g != NULL && !rekeep) {
      res->kept_id = g->kept_id;
      /* the archived kept article may be in the batch itself */
      res->kept_article = (gint)GPOINTER_TO_UINT(g_hash_table_lookup(kept_in_batch, &g->group)) - 1;
    } else {
      res->kept_article = k;
      res->kept_id = p->articles[k].id;
    }
    if (res->kept_article >= 0 && (guint)res->kept_article == i)
      res->status = ND_DEDUP_KEPT;
    else if (rekeep && p->articles[i].archived_kept)
      res->status = ND_DEDUP_SUPERSEDED;
    else
      res->status = ND_DEDUP_DROPPED;
    res->rekept = rekeep && (guint)k == i;
    if (res->rekept) {
      NdDedupSuperseded sup = { g->group, g->kept_id, i };
      g_array_append_val(p->superseded, sup);
    }
  }
  p->solved = TRUE;
  return TRUE;
}

const NdDedupResult *
nd_dedup_plan_result(const NdDedupPlan *p, guint i)
{
  g_return_val_if_fail(p->solved && i < p->n, NULL);
  return &p->results[i];
}

guint
nd_dedup_plan_new_groups(const NdDedupPlan *p)
{
  return p->new_groups;
}

const NdDedupSuperseded *
nd_dedup_plan_superseded(const NdDedupPlan *p, guint *n)
{
  *n = p->superseded->len;
  return (const NdDedupSuperseded *)(void *)p->superseded->data;
}

void
nd_dedup_plan_withdraw(NdDedupPlan *p, guint i)
{
  g_return_if_fail(p->solved && i < p->n);
  guint64 group = p->results[i].group;
  for (guint j = 0; j < p->n; j++)
    if (p->results[j].group == group)
      p->withdrawn_group[j] = TRUE;
  for (guint k = 0; k < p->superseded->len;) { /* the rekeep does not happen either */
    if (g_array_index(p->superseded, NdDedupSuperseded, k).group == group)
      g_array_remove_index(p->superseded, k);
    else
      k++;
  }
}

gboolean
nd_dedup_plan_to_archive(const NdDedupPlan *p, guint i)
{
  g_return_val_if_fail(p->solved && i < p->n, FALSE);
  return p->articles[i].archived_group == 0 && !p->withdrawn_group[i];
}
