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
  "(inside quotation marks in both) is kind quotation, listed apart and never reuse (--quotations).\n"
  "Direction: source is the id judged the source of the pair (null when undecided); source_basis\n"
  "\"date\" when the two --date-field dates decide it (the earlier), \"evidence\" when the texts do (the\n"
  "article largely inside the other is the copy; in a cluster of copies, the one at its centre is the\n"
  "source): an inference. quotation_share: the share of the shared passage text both quote.\n"
  "JSON Lines (--format json): one object per pair with the fields a, b, jaccard,\n"
  "  containment_a_in_b, containment_b_in_a, shared_shingles, passage_a_in_b, passage_b_in_a,\n"
  "  vocabulary_a_in_b, vocabulary_b_in_a, score, kind, quotation_share, source, source_basis, and with\n"
  "  --passages quoted_words, narrative_words (shared words of a, inside quotation marks in both or\n"
  "  not) and an array \"passages\" of passage objects (fields as in `neardup diff --format json`:\n"
  "  passage, a_start, a_end, b_start, b_end, a_tokens, b_tokens, a_matched, b_matched, score, kind,\n"
  "  label (quotation or narrative), a_quoted, b_quoted).\n"
  "CSV (--format csv): the same fields, with a header line; passages as one field\n"
  "  \"a_start-a_end:b_start-b_end:score;...\".\n"
  "\n" CLI_EXIT_CODES_HELP;

int
cmd_pairs(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  g_autoptr(GOptionContext) ctx = g_option_context_new("PATH... - list near-duplicate and text-reusing pairs");
  g_option_context_set_description(ctx, pairs_description);
  cli.default_quotations = "list";
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
    g_autoptr(GArray) ta = g_array_new(FALSE, FALSE, sizeof(NdToken));
    g_autoptr(GArray) tb = g_array_new(FALSE, FALSE, sizeof(NdToken));
    g_autoptr(GArray) boilerplate = cli.passages ? nd_find_boilerplate(coll, NULL) : NULL;
    if (cli.format == FORMAT_CSV)
      fprintf(fp, "a,b,jaccard,containment_a_in_b,containment_b_in_a,shared_shingles,kind,passage_a_in_b,"
              "passage_b_in_a,vocabulary_a_in_b,vocabulary_b_in_a,score,quotation_share,source,source_basis%s\n",
              cli.passages ? ",quoted_words,narrative_words,passages" : "");
    else if (cli.format == FORMAT_TEXT && pairs->len > 0)
      fputs("jaccard  a_in_b  b_in_a  score  kind            a  <->  b\n", fp);
    for (guint i = 0; i < pairs->len && !cli_interrupted() && !ferror(fp); i++) {
      const NdPair *p = &g_array_index(pairs, NdPair, i);
      const char *a = nd_collection_get(coll, p->a)->id, *b = nd_collection_get(coll, p->b)->id;
      const char *kind = nd_pair_kind_name(p->kind);
      const NdDirection *dir = &direction[i];
      const char *source = dir->source != G_MAXUINT ? nd_collection_get(coll, dir->source)->id : NULL;
      const char *basis = nd_source_basis_name(dir->basis);
      Side sa, sb;
      g_autoptr(NdDiff) d = cli.passages ? pair_diff(coll, p->a, p->b, boilerplate, ta, tb, &sa, &sb) : NULL;
      switch (cli.format) {
      case FORMAT_TEXT:
        fprintf(fp, "%7.3f  %6.3f  %6.3f  %5.3f  %-14s  %s  <->  %s\n", p->jaccard, p->containment_a_in_b,
                p->containment_b_in_a, p->score, kind, a, b);
        if (source != NULL)
          fprintf(fp, "      source: %s (%s)\n", source, dir->basis == ND_BASIS_DATE ? "earlier date" : "inferred from the texts");
        if (d != NULL)
          render_passages_brief(fp, &sa, &sb, d);
        break;
      case FORMAT_JSON:
        fputs("{\"a\":", fp);
        json_write_string(fp, a);
        fputs(",\"b\":", fp);
        json_write_string(fp, b);
        fprintf(fp, ",\"jaccard\":%.4f,\"containment_a_in_b\":%.4f,\"containment_b_in_a\":%.4f,"
                "\"shared_shingles\":%u", p->jaccard, p->containment_a_in_b, p->containment_b_in_a, p->shared);
        fprintf(fp, ",\"passage_a_in_b\":%.4f,\"passage_b_in_a\":%.4f", p->passage_a_in_b, p->passage_b_in_a);
        if (p->has_vocabulary)
          fprintf(fp, ",\"vocabulary_a_in_b\":%.4f,\"vocabulary_b_in_a\":%.4f", p->vocabulary_a_in_b,
                  p->vocabulary_b_in_a);
        else
          fputs(",\"vocabulary_a_in_b\":null,\"vocabulary_b_in_a\":null", fp);
        fprintf(fp, ",\"score\":%.4f,\"kind\":\"%s\",\"quotation_share\":%.4f,\"source\":", p->score, kind,
                nd_pair_quotation_share(p));
        if (source != NULL)
          json_write_string(fp, source);
        else
          fputs("null", fp);
        if (basis != NULL)
          fprintf(fp, ",\"source_basis\":\"%s\"", basis);
        else
          fputs(",\"source_basis\":null", fp);
        if (d != NULL)
          fprintf(fp, ",\"quoted_words\":%u,\"narrative_words\":%u", d->quoted_words, d->narrative_words);
        if (d != NULL) {
          fputs(",\"passages\":", fp);
          render_passages_json_array(fp, &sa, &sb, d);
        }
        fputs("}\n", fp);
        break;
      case FORMAT_CSV:
        csv_write_field(fp, a);
        fputc(',', fp);
        csv_write_field(fp, b);
        fprintf(fp, ",%.4f,%.4f,%.4f,%u,%s,%.4f,%.4f", p->jaccard, p->containment_a_in_b, p->containment_b_in_a,
                p->shared, kind, p->passage_a_in_b, p->passage_b_in_a);
        if (p->has_vocabulary)
          fprintf(fp, ",%.4f,%.4f", p->vocabulary_a_in_b, p->vocabulary_b_in_a);
        else
          fputs(",,", fp);
        fprintf(fp, ",%.4f,%.4f,", p->score, nd_pair_quotation_share(p));
        if (source != NULL)
          csv_write_field(fp, source);
        fprintf(fp, ",%s", basis ? basis : "");
        if (d != NULL) {
          fprintf(fp, ",%u,%u,", d->quoted_words, d->narrative_words);
          render_passages_csv(fp, &sa, &sb, d);
        }
        fputc('\n', fp);
        break;
      }
    }
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
