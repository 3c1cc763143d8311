/* cmd_scan.c — `neardup scan`: clusters of near-duplicate and text-reusing articles. */
#include "render.h"
#include <string.h>

static const char scan_description[] =
  "Reads articles from files, directories (recursively), --files-from lists and JSON Lines, finds\n"
  "pairs that are near-duplicates (Jaccard >= --threshold) or reuse each other's text (containment\n"
  ">= --containment), and prints the clusters they form.\n"
  "\n"
  "Text output: one block per cluster, each member with its closest match in the cluster.\n"
  "JSON Lines (--format json): one object per clustered article. CSV (--format csv): one row per\n"
  "clustered article. best_match is the member it is most similar to (highest jaccard), containment\n"
  "the share of this article found in best_match. origin is the cluster's likely origin: its earliest\n"
  "article by --date-field when every member is dated, else the one the texts point to (origin_basis\n"
  "date or evidence).\n"
  "With --passages, the passages each article shares with its best_match (text: one line each).\n";

typedef struct {
  guint match;
  double jaccard, containment;
} BestMatch;

/* The columns of a clustered article (CSV order since 0.1; new fields go last). */
static const FieldId scan_fields[] = { F_CLUSTER, F_ID, F_CLUSTER_SIZE, F_BEST_MATCH, F_JACCARD, F_CONTAINMENT,
                                       F_ORIGIN, F_ORIGIN_BASIS };

/* What a person reads of a clustered article (under its cluster's heading): its id, and on a line
 * under it its closest match with their scores. */
static const TextColumn member_text[] = { { F_ID, NULL, NULL },
                                          { F_BEST_MATCH, "\n      closest: ", NULL },
                                          { F_JACCARD, " (jaccard ", NULL },
                                          { F_CONTAINMENT, ", containment ", ")" } };

typedef struct {
  guint cluster, size;
  const char *id, *match_id;
  const BestMatch *best;
  const char *origin;     /* NULL: undecided */
  NdSourceBasis basis;
} ScanRow;

static void
write_member(Rows *r, gconstpointer data)
{
  const ScanRow *row = data;
  rows_integer(r, F_CLUSTER, row->cluster);
  rows_string(r, F_ID, row->id);
  rows_integer(r, F_CLUSTER_SIZE, row->size);
  rows_string(r, F_BEST_MATCH, row->match_id);
  rows_number(r, F_JACCARD, row->best->jaccard);
  rows_number(r, F_CONTAINMENT, row->best->containment);
  rows_string(r, F_ORIGIN, row->origin);
  rows_string(r, F_ORIGIN_BASIS, nd_source_basis_name(row->basis));
}

/* The best match of every document: the partner with the highest Jaccard, ties to the lower index. */
static BestMatch *
best_matches(const GArray *pairs, guint n_docs)
{
  BestMatch *best = g_new(BestMatch, n_docs);
  for (guint i = 0; i < n_docs; i++)
    best[i] = (BestMatch){ G_MAXUINT, -1.0, 0.0 };
  for (guint i = 0; i < pairs->len; i++) {
    const NdPair *p = &g_array_index(pairs, NdPair, i);
    if (p->jaccard > best[p->a].jaccard || (p->jaccard == best[p->a].jaccard && p->b < best[p->a].match))
      best[p->a] = (BestMatch){ p->b, p->jaccard, p->containment_a_in_b };
    if (p->jaccard > best[p->b].jaccard || (p->jaccard == best[p->b].jaccard && p->a < best[p->b].match))
      best[p->b] = (BestMatch){ p->a, p->jaccard, p->containment_b_in_a };
  }
  return best;
}

/* Writes the clusters in the chosen format; returns the exit code of the writing. */
static int
write_clusters(const FindCli *cli, const NdCollection *coll, GArray *pairs, Output *out)
{
  guint n = nd_collection_size(coll);
  g_autofree NdPublished *published = find_cli_dates(cli, coll);
  find_cli_apply_window(cli, pairs, published);
  g_autofree guint *origin = g_new(guint, n + 1);
  g_autofree NdSourceBasis *origin_basis = g_new(NdSourceBasis, n + 1);
  nd_find_directions((const NdPair *)pairs->data, pairs->len, n, published, NULL, origin, origin_basis);
  g_autofree guint *cluster_of = g_new0(guint, n);
  guint n_clusters = nd_cluster_assign((const NdPair *)pairs->data, pairs->len, n, cluster_of);
  g_autofree BestMatch *best = best_matches(pairs, n);

  /* Members of each cluster in input order: a counting sort by cluster number. */
  g_autofree guint *first = g_new0(guint, n_clusters + 2);
  for (guint i = 0; i < n; i++)
    first[cluster_of[i] + 1]++;
  for (guint c = 1; c <= n_clusters + 1; c++)
    first[c] += first[c - 1];
  g_autofree guint *fill = g_memdup2(first, (n_clusters + 2) * sizeof(guint));
  g_autofree guint *order = g_new(guint, n);
  for (guint i = 0; i < n; i++)
    order[fill[cluster_of[i]]++] = i;

  FILE *fp = out->fp;
  g_autoptr(GArray) ta = g_array_new(FALSE, FALSE, sizeof(NdToken));
  g_autoptr(GArray) tb = g_array_new(FALSE, FALSE, sizeof(NdToken));
  g_autoptr(GArray) boilerplate = cli->passages ? nd_find_boilerplate(coll, NULL) : NULL;
  FieldId cols[G_N_ELEMENTS(scan_fields) + 16];
  g_auto(Rows) rows = { 0 };
  guint n_cols = columns_with_passages(cols, scan_fields, G_N_ELEMENTS(scan_fields), cli->format, cli->passages);
  rows_init(&rows, fp, cli->format, cols, n_cols);
  if (cli->format == FORMAT_TEXT)
    rows_text_layout(&rows, member_text, G_N_ELEMENTS(member_text), "  "); /* no titles: the lines say */
  else
    rows_header(&rows);
  guint clustered = 0;
  for (guint c = 1; c <= n_clusters && !cli_interrupted() && !ferror(fp); c++) {
    guint size = first[c + 1] - first[c];
    guint o = origin[order[first[c]]];
    const char *origin_id = o != G_MAXUINT ? nd_collection_get(coll, o)->id : NULL;
    NdSourceBasis basis = origin_basis[order[first[c]]];
    if (cli->format == FORMAT_TEXT) {
      fprintf(fp, "%sCluster %u: %u articles\n", c > 1 ? "\n" : "", c, size);
      if (origin_id != NULL)
        fprintf(fp, "  origin: %s (%s)\n", origin_id, basis == ND_BASIS_DATE ? "earliest date" : "inferred from the texts");
    }
    for (guint k = first[c]; k < first[c + 1]; k++) {
      guint i = order[k];
      const char *id = nd_collection_get(coll, i)->id;
      const BestMatch *b = &best[i];
      const char *match_id = nd_collection_get(coll, b->match)->id;
      clustered++;
      Side sa = { 0 }, sb = { 0 };
      g_autoptr(NdDiff) d = cli->passages ? pair_diff(coll, i, b->match, boilerplate, ta, tb, &sa, &sb) : NULL;
      ScanRow row = { c, size, id, match_id, b, origin_id, basis };
      rows_write_with_passages(&rows, cli->passages, &sa, &sb, d, write_member, &row);
    }
  }
  if (cli->format == FORMAT_TEXT)
    fprintf(fp, "%s%u cluster%s; %u of %u articles are in a cluster.\n", n_clusters ? "\n" : "", n_clusters,
            n_clusters == 1 ? "" : "s", clustered, n);
  return output_commit(out) ? EXIT_OK : cli_failure_exit();
}

int
cmd_scan(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  g_autoptr(GOptionContext) ctx = g_option_context_new("PATH... - cluster near-duplicate articles");
  g_autofree char *description = fields_help(scan_description, scan_fields, G_N_ELEMENTS(scan_fields),
                                             PASSAGES_FIELDS_HELP);
  g_option_context_set_description(ctx, description);
  find_cli_add_options(&cli, ctx, OPT_FIND | OPT_DATES);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  NdCollection *coll = NULL;
  GArray *pairs = NULL;
  guint skipped = 0;
  if (!cli_parse(ctx, &argc, &argv, &error)) {
    cli_error("scan", "%s (see --help)", error->message);
    code = EXIT_USAGE;
  } else if (!find_cli_finish_options(&cli, "scan")) {
    code = EXIT_USAGE;
  } else {
    Output out; /* opened first: an output that cannot be written fails before the work */
    if (!output_open(&out, cli.output)) {
      code = EXIT_FATAL;
    } else if (find_cli_run(&cli, &coll, &pairs, &skipped, &code)) {
    progress_stop();
      int written = write_clusters(&cli, coll, pairs, &out);
      if (written != EXIT_OK)
        code = written;
      g_array_unref(pairs);
      nd_collection_free(coll);
    } else {
      output_abort(&out);
    }
  }
  find_cli_clear(&cli);
  return code;
}
