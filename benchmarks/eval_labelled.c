/* eval_labelled.c — detection quality on a labelled text-reuse set (../shared/data/clough or
 * ../shared/data/counter-dev layout: DIR/docs/NAME.txt and DIR/pairs.tsv).
 *
 * For every labelled (source, derived) pair it scores the two documents exactly (Jaccard and both
 * containments, as `neardup pairs` does) and reports:
 *   - ROC AUC of each score for derived vs non-derived (ranking quality, threshold-free);
 *   - precision and recall of "derived" at the given thresholds, counting a labelled pair as
 *     predicted derived when the full pipeline (LSH + containment index + verification, exactly
 *     what `neardup pairs` runs) reports it.
 * Labels: clough cut/light/heavy = derived, non = not; counter WD/PD = derived, ND = not.
 *
 *   eval_labelled DIR [--shingle words:5] [--threshold T] [--containment C] [--num-perm N]
 */
#include <neardup/neardup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *a, *b, *label;
  gboolean derived;
  double score[4]; /* jaccard, max containment, containment of derived in source, reported */
} Labelled;

static double
roc_auc(const Labelled *l, guint n, int which)
{
  /* Mann-Whitney U: share of (derived, non-derived) pairs ranked correctly, ties count half. */
  double good = 0, total = 0;
  for (guint i = 0; i < n; i++) {
    if (!l[i].derived)
      continue;
    for (guint j = 0; j < n; j++) {
      if (l[j].derived)
        continue;
      total++;
      if (l[i].score[which] > l[j].score[which])
        good += 1;
      else if (l[i].score[which] == l[j].score[which])
        good += 0.5;
    }
  }
  return total > 0 ? good / total : 0.0;
}

static gboolean
is_derived_label(const char *label)
{
  return strcmp(label, "cut") == 0 || strcmp(label, "light") == 0 || strcmp(label, "heavy") == 0 ||
         strcmp(label, "WD") == 0 || strcmp(label, "PD") == 0;
}

int
main(int argc, char **argv)
{
  char *shingle = NULL;
  double threshold = ND_DEFAULT_THRESHOLD, containment = ND_DEFAULT_CONTAINMENT;
  gint num_perm = ND_DEFAULT_NUM_PERM;
  gboolean sweep = FALSE;
  GOptionEntry entries[] = {
    { "sweep", 0, 0, G_OPTION_ARG_NONE, &sweep, "also print precision/recall over a grid of thresholds", NULL },
    { "shingle", 'k', 0, G_OPTION_ARG_STRING, &shingle, "words:K or chars:K", "SPEC" },
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &threshold, "Jaccard threshold", "T" },
    { "containment", 'c', 0, G_OPTION_ARG_DOUBLE, &containment, "containment threshold", "C" },
    { "num-perm", 'n', 0, G_OPTION_ARG_INT, &num_perm, "signature length", "N" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("DIR - quality on a labelled text-reuse set");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 2) {
    fprintf(stderr, "usage: eval_labelled DIR [options] (%s)\n", error ? error->message : "one DIR");
    return 2;
  }
  const char *dir = argv[1];
  NdSignParams sp;
  nd_sign_params_init(&sp);
  sp.num_perm = (guint)num_perm;
  sp.text_flags = ND_TEXT_LOSSY;
  if (shingle && !nd_shingle_spec_parse(shingle, &sp.shingle, &error)) {
    fprintf(stderr, "%s\n", error->message);
    return 2;
  }
  g_autofree char *docs = g_build_filename(dir, "docs", NULL);
  g_autoptr(NdCollection) coll = nd_collection_new(&sp);
  {
    g_autoptr(NdLoader) loader = nd_loader_new(coll, 0, FALSE);
    nd_loader_add_path(loader, docs);
    nd_loader_finish(loader);
  }
  GHashTable *index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < nd_collection_size(coll); i++) {
    g_autofree char *base = g_path_get_basename(nd_collection_get(coll, i)->id);
    char *dot = strrchr(base, '.');
    if (dot)
      *dot = '\0';
    g_hash_table_insert(index, g_strdup(base), GUINT_TO_POINTER(i + 1));
  }

  g_autofree char *tsv_path = g_build_filename(dir, "pairs.tsv", NULL);
  g_autofree char *tsv = NULL;
  if (!g_file_get_contents(tsv_path, &tsv, NULL, &error)) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  NdFindOptions fo;
  nd_find_options_init(&fo);
  fo.threshold = threshold;
  fo.containment = containment;
  g_autoptr(GArray) found = nd_find_pairs(coll, &fo, NULL, &error);
  if (found == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  GHashTable *reported = g_hash_table_new(g_int64_hash, g_int64_equal);
  g_autofree gint64 *codes = g_new(gint64, found->len + 1);
  for (guint i = 0; i < found->len; i++) {
    NdPair *p = &g_array_index(found, NdPair, i);
    codes[i] = ((gint64)p->a << 32) | p->b;
    g_hash_table_add(reported, &codes[i]);
  }

  g_auto(GStrv) lines = g_strsplit(tsv, "\n", -1);
  GArray *rows = g_array_new(FALSE, TRUE, sizeof(Labelled));
  guint per_label_total[8] = { 0 }, per_label_hit[8] = { 0 };
  const char *label_names[8] = { 0 };
  guint n_labels = 0;
  for (guint li = 1; lines[li]; li++) {
    g_auto(GStrv) f = g_strsplit(lines[li], "\t", -1);
    if (g_strv_length(f) < 3)
      continue;
    gboolean clough = g_str_has_prefix(f[1], "orig_");
    const char *label = clough ? f[3] : f[2];
    guint ia = GPOINTER_TO_UINT(g_hash_table_lookup(index, f[0]));
    guint ib = GPOINTER_TO_UINT(g_hash_table_lookup(index, f[1]));
    if (!ia || !ib)
      continue;
    ia--, ib--;
    Labelled l = { .label = g_strdup(label), .derived = is_derived_label(label) };
    const NdDocument *da = nd_collection_get(coll, ia), *db = nd_collection_get(coll, ib);
    NdPair p;
    nd_score_pair(da, db, sp.num_perm, ND_VERIFY_EXACT, &p);
    /* In pairs.tsv the first column is the derived text for clough (answer, source) and the source
     * for counter (source, derived). */
    double derived_in_source = clough ? p.containment_a_in_b : p.containment_b_in_a;
    gint64 code = ia < ib ? ((gint64)ia << 32) | ib : ((gint64)ib << 32) | ia;
    l.score[0] = p.jaccard;
    l.score[1] = MAX(p.containment_a_in_b, p.containment_b_in_a);
    l.score[2] = derived_in_source;
    l.score[3] = g_hash_table_contains(reported, &code) ? 1.0 : 0.0;
    g_array_append_val(rows, l);
    guint k;
    for (k = 0; k < n_labels && strcmp(label_names[k], label) != 0; k++)
      ;
    if (k == n_labels && n_labels < 8)
      label_names[n_labels++] = l.label;
    if (k < 8) {
      per_label_total[k]++;
      per_label_hit[k] += l.score[3] > 0;
    }
  }
  const Labelled *L = (const Labelled *)rows->data;
  guint tp = 0, fp = 0, fn = 0;
  for (guint i = 0; i < rows->len; i++) {
    gboolean pred = L[i].score[3] > 0;
    tp += pred && L[i].derived;
    fp += pred && !L[i].derived;
    fn += !pred && L[i].derived;
  }
  g_autofree char *spec = nd_shingle_spec_to_string(&sp.shingle);
  printf("%s  shingle=%s num_perm=%u threshold=%.2f containment=%.2f  (%u labelled pairs)\n", dir, spec,
         sp.num_perm, threshold, containment, rows->len);
  printf("  ROC AUC: jaccard %.3f  max-containment %.3f  derived-in-source %.3f\n", roc_auc(L, rows->len, 0),
         roc_auc(L, rows->len, 1), roc_auc(L, rows->len, 2));
  printf("  at these settings: precision %.3f recall %.3f (tp %u fp %u fn %u)\n",
         tp + fp ? (double)tp / (tp + fp) : 1.0, tp + fn ? (double)tp / (tp + fn) : 0.0, tp, fp, fn);
  if (sweep) {
    /* The report rule on exact scores, over a grid of thresholds (no LSH/index involved). */
    printf("  sweep (rule: jaccard >= T or max containment >= C), precision/recall/F1:\n");
    for (double t = 0.2; t <= 0.61; t += 0.1)
      for (double c = 0.1; c <= 0.61; c += 0.05) {
        guint stp = 0, sfp = 0, sfn = 0;
        for (guint i = 0; i < rows->len; i++) {
          gboolean pred = L[i].score[0] >= t || L[i].score[1] >= c;
          stp += pred && L[i].derived;
          sfp += pred && !L[i].derived;
          sfn += !pred && L[i].derived;
        }
        double pr = stp + sfp ? (double)stp / (stp + sfp) : 1.0, rc = stp + sfn ? (double)stp / (stp + sfn) : 0;
        printf("    T=%.2f C=%.2f  P %.3f R %.3f F1 %.3f\n", t, c, pr, rc, pr + rc > 0 ? 2 * pr * rc / (pr + rc) : 0);
      }
  }
  printf("  reported per label:");
  for (guint k = 0; k < n_labels; k++)
    printf(" %s %u/%u", label_names[k], per_label_hit[k], per_label_total[k]);
  printf("\n");
  for (guint i = 0; i < rows->len; i++)
    g_free(g_array_index(rows, Labelled, i).label);
  g_array_unref(rows);
  g_hash_table_unref(reported);
  g_hash_table_unref(index);
  g_free(shingle);
  return 0;
}
