/* cmd_pairs.c — `neardup pairs`: every pair of articles above the thresholds, with scores. */
#include "render.h"

static const char pairs_description[] =
  "Reads articles like `neardup scan` and prints every pair that is a near-duplicate\n"
  "(Jaccard >= --threshold) or reuses text (containment >= --containment), sorted by input order.\n"
  "\n"
  "Scores: jaccard = |A n B| / |A u B| over word 3-gram sets; containment_a_in_b = |A n B| / |A|,\n"
  "the share of A's 3-grams found in B; passage_a_in_b, the share of A's passage anchors (runs of six\n"
  "words) found in B; vocabulary_a_in_b, the share of A's distinct words found in B, each weighted by\n"
  "its rarity in the batch (null below 30 articles); the b_in_a ones likewise. score: with the\n"
  "vocabulary, max(min(vocabulary) x (1 + max(containment)), 1.25 x max(passage)); without it, the\n"
  "containment. A pair is reported when jaccard >= --threshold (kind near-duplicate), or score >= --score\n"
  "(with the vocabulary) or containment >= --containment (without it); kind reuse when its containment\n"
  "reaches --containment, rewrite otherwise. A pair whose shared text is only what both quote\n"
  "(inside quotation marks in both) is not reported; --quotations list shows it as kind quotation.\n"
  "Direction: source is the id judged the source of the pair (null when undecided); source_basis\n"
  "date when the two --date-field dates decide it (the earlier), evidence when the texts do (in a\n"
  "cluster of copies the one at its centre; else the article largely inside the other): an inference.\n"
  "JSON Lines (--format json): one object per pair. CSV (--format csv): one row per pair.\n";

/* The columns of a pair (CSV order since 0.1; new fields go last). */
static const FieldId pair_fields[] = { F_A, F_B, F_JACCARD, F_CONTAINMENT_A_IN_B, F_CONTAINMENT_B_IN_A,
                                       F_SHARED_SHINGLES, F_KIND, F_PASSAGE_A_IN_B, F_PASSAGE_B_IN_A,
                                       F_VOCABULARY_A_IN_B, F_VOCABULARY_B_IN_A, F_SCORE, F_QUOTATION_SHARE,
                                       F_SOURCE, F_SOURCE_BASIS };

/* What a person reads of a pair: the scores, then the two ids; the source on a line under it. */
static const TextColumn pair_text[] = { { F_JACCARD, NULL, NULL },
                                        { F_CONTAINMENT_A_IN_B, NULL, NULL },
                                        { F_CONTAINMENT_B_IN_A, NULL, NULL },
                                        { F_SCORE, NULL, NULL },
                                        { F_KIND, NULL, NULL },
                                        { F_A, NULL, NULL },
                                        { F_B, "  <->  ", NULL },
                                        { F_SOURCE, "\n      source: ", NULL },
                                        { F_SOURCE_BASIS, " (basis: ", ")" } };

typedef struct {
  const char *a, *b;
  const NdPair *p;
  const char *source;     /* NULL: undecided */
  NdSourceBasis basis;
} PairRow;

static void
write_pair(Rows *r, gconstpointer data)
{
  const PairRow *row = data;
  const NdPair *p = row->p;
  rows_string(r, F_A, row->a);
  rows_string(r, F_B, row->b);
  rows_number(r, F_JACCARD, p->jaccard);
  rows_number(r, F_CONTAINMENT_A_IN_B, p->containment_a_in_b);
  rows_number(r, F_CONTAINMENT_B_IN_A, p->containment_b_in_a);
  rows_integer(r, F_SHARED_SHINGLES, p->shared);
  rows_string(r, F_KIND, nd_pair_kind_name(p->kind));
  rows_number(r, F_PASSAGE_A_IN_B, p->passage_a_in_b);
  rows_number(r, F_PASSAGE_B_IN_A, p->passage_b_in_a);
  if (p->has_vocabulary) {
    rows_number(r, F_VOCABULARY_A_IN_B, p->vocabulary_a_in_b);
    rows_number(r, F_VOCABULARY_B_IN_A, p->vocabulary_b_in_a);
  } else {
    rows_null(r, F_VOCABULARY_A_IN_B);
    rows_null(r, F_VOCABULARY_B_IN_A);
  }
  rows_number(r, F_SCORE, p->score);
  rows_number(r, F_QUOTATION_SHARE, nd_pair_quotation_share(p));
  rows_string(r, F_SOURCE, row->source);
  rows_string(r, F_SOURCE_BASIS, nd_source_basis_name(row->basis));
}

int
cmd_pairs(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  g_autoptr(GOptionContext) ctx = g_option_context_new("PATH... - list near-duplicate and text-reusing pairs");
  g_autofree char *description = fields_help(pairs_description, pair_fields, G_N_ELEMENTS(pair_fields),
                                             PASSAGES_FIELDS_HELP);
  g_option_context_set_description(ctx, description);
  find_cli_add_options(&cli, ctx, OPT_FIND | OPT_DATES);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  NdCollection *coll = NULL;
  GArray *pairs = NULL;
  guint skipped = 0;
  if (!cli_parse(ctx, &argc, &argv, &error)) {
    cli_error("pairs", "%s (see --help)", error->message);
    code = EXIT_USAGE;
    goto out;
  }
  if (!find_cli_finish_options(&cli, "pairs")) {
    code = EXIT_USAGE;
    goto out;
  }
  Output out; /* opened first: an output that cannot be written fails before the work */
  if (!output_open(&out, cli.output)) {
    code = EXIT_FATAL;
    goto out;
  }
  if (!find_cli_run(&cli, &coll, &pairs, &skipped, &code)) {
    output_abort(&out);
    goto out;
  }
  progress_stop();
  {
    g_autofree NdPublished *published = find_cli_dates(&cli, coll);
    find_cli_apply_window(&cli, pairs, published);
    g_autofree NdDirection *direction = g_new(NdDirection, pairs->len + 1);
    nd_find_directions((const NdPair *)pairs->data, pairs->len, nd_collection_size(coll), published, direction, NULL,
                       NULL);
    FILE *fp = out.fp;
    g_autoptr(GArray) boilerplate = cli.passages ? nd_find_boilerplate(coll, NULL) : NULL;
    FieldId cols[G_N_ELEMENTS(pair_fields) + 16];
    g_auto(Rows) rows = { 0 };
    guint n_cols = columns_with_passages(cols, pair_fields, G_N_ELEMENTS(pair_fields), cli.format, cli.passages);
    rows_init(&rows, fp, cli.format, cols, n_cols);
    if (cli.format == FORMAT_TEXT)
      rows_text_layout(&rows, pair_text, G_N_ELEMENTS(pair_text), NULL);
    if (cli.format != FORMAT_TEXT || pairs->len > 0)
      rows_header(&rows);
    /* With --passages, the pairs are aligned a batch at a time on the worker threads, then written in
     * order. */
    guint batch_first = 0, batch_len = 0;
    AlignedPair *aligned = NULL;
    guint pa[ALIGN_BATCH], pb[ALIGN_BATCH];
    for (guint i = 0; i < pairs->len && !cli_interrupted() && !ferror(fp); i++) {
      const NdPair *p = &g_array_index(pairs, NdPair, i);
      const NdDirection *dir = &direction[i];
      PairRow row = { nd_collection_get(coll, p->a)->id, nd_collection_get(coll, p->b)->id, p,
                      dir->source != G_MAXUINT ? nd_collection_get(coll, dir->source)->id : NULL, dir->basis };
      Side sa = { 0 }, sb = { 0 };
      const NdDiff *d = NULL;
      if (cli.passages) {
        if (i == batch_first + batch_len) {
          aligned_pairs_free(aligned, batch_len);
          batch_first = i;
          batch_len = MIN(ALIGN_BATCH, pairs->len - i);
          for (guint k = 0; k < batch_len; k++) {
            pa[k] = g_array_index(pairs, NdPair, i + k).a;
            pb[k] = g_array_index(pairs, NdPair, i + k).b;
          }
          aligned = align_pairs(coll, pa, pb, batch_len, boilerplate, (guint)cli.threads);
        }
        const AlignedPair *ap = &aligned[i - batch_first];
        if (ap->diff == NULL)
          break; /* interrupted */
        d = ap->diff;
        sa = ap->sa;
        sb = ap->sb;
      }
      rows_write_with_passages(&rows, cli.passages, &sa, &sb, d, write_pair, &row);
    }
    aligned_pairs_free(aligned, batch_len);
    if (cli.format == FORMAT_TEXT)
      fprintf(fp, "%s%u pair%s among %u articles.\n", pairs->len ? "\n" : "", pairs->len,
              pairs->len == 1 ? "" : "s", nd_collection_size(coll));
    if (!output_commit(&out))
      code = cli_failure_exit();
  }
  g_array_unref(pairs);
  nd_collection_free(coll);
out:
  find_cli_clear(&cli);
  return code;
}
