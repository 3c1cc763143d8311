/* cmd_query.c — `neardup query DB PATH...`: the archived articles each new article matches. */
#include "render.h"
#include <string.h>

static const char query_description[] =
  "For each article given, lists the archived articles of index DB that it matches (Jaccard >=\n"
  "--threshold, or containment >= --containment), best first: the \"sources of this story\" view.\n"
  "A new article that reuses a few paragraphs of an archived wire story finds it through the\n"
  "containment fingerprints. Only the postings of the article's own keys are read, never the\n"
  "whole index.\n"
  "\n"
  "Scores: a is the query article, b the archived one; containment_a_in_b is the share of the new\n"
  "article found in the archived one.\n"
  "JSON Lines (--format json): one object per match with a, b, rank (1 = best), jaccard,\n"
  "  containment_a_in_b, containment_b_in_a, shared_shingles, kind, b_metadata (the archived\n"
  "  article's metadata object, or null), b_group and b_status (its group, and whether it is the\n"
  "  group's kept article), and with --passages an array \"passages\" (as in pairs).\n"
  "CSV (--format csv): a, b, rank, jaccard, containment_a_in_b, containment_b_in_a,\n"
  "  shared_shingles, kind.\n"
  "\n" CLI_EXIT_CODES_HELP;

int
cmd_query(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  gint limit = 0;
  g_autoptr(GOptionContext) ctx = g_option_context_new("DB PATH... - find archived sources of new articles");
  g_option_context_set_description(ctx, query_description);
  find_cli_add_options(&cli, ctx, OPT_INPUTS | OPT_MATCHING | OPT_OUTPUT | OPT_PASSAGES);
  GOptionEntry extra[] = {
    { "limit", 'l', 0, G_OPTION_ARG_INT, &limit, "Report at most N matches per article (default: all)", "N" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_option_context_add_main_entries(ctx, extra, NULL);
  g_autoptr(GError) error = NULL;
  if (!cli_parse(ctx, &argc, &argv, &error) || cli.paths == NULL || limit < 0) {
    cli_error("query", "%s (see --help)", error ? error->message : "give the index file, then the articles");
    find_cli_clear(&cli);
    return EXIT_USAGE;
  }
  g_autofree char *db = find_cli_take_first_path(&cli);
  guint index_problems = 0;
  g_autoptr(NdIndex) ix = nd_index_open(db, FALSE, &error);
  if (ix == NULL) {
    fprintf(stderr, "neardup: %s\n", error->message);
    find_cli_clear(&cli);
    return EXIT_FATAL;
  }
  cli_index_watch(ix, &index_problems);
  output_protect_index(db);
  NdSignParams sp = *nd_index_sign_params(ix);
  sp.keep_text = cli.passages;
  if (!find_cli_finish_options_for(&cli, "query", &sp)) {
    find_cli_clear(&cli);
    return EXIT_USAGE;
  }
  Output out; /* opened first: an output that cannot be written fails before the work */
  if (!output_open(&out, cli.output)) {
    find_cli_clear(&cli);
    return EXIT_FATAL;
  }
  if (!output_refuse_input(&out, "query", db, "index")) {
    output_abort(&out);
    find_cli_clear(&cli);
    return EXIT_USAGE;
  }
  guint skipped = 0;
  g_autoptr(NdCollection) coll = find_cli_load(&cli, &skipped);
  progress_stop();
  int code = skipped ? EXIT_INPUT_ERRORS : EXIT_OK;
  if (cli_interrupted() || output_alias_found() || nd_collection_size(coll) == 0) {
    output_abort(&out);
    find_cli_clear(&cli);
    if (cli_interrupted())
      return cli_interrupt_exit();
    if (output_alias_found())
      return EXIT_USAGE;
    fprintf(stderr, "neardup: no article could be read\n");
    return EXIT_FATAL;
  }
  FILE *fp = out.fp;
  if (cli.format == FORMAT_CSV)
    fputs("a,b,rank,jaccard,containment_a_in_b,containment_b_in_a,shared_shingles,kind\n", fp);
  g_autoptr(GArray) ta = g_array_new(FALSE, FALSE, sizeof(NdToken));
  g_autoptr(GArray) tb = g_array_new(FALSE, FALSE, sizeof(NdToken));
  gboolean failed = FALSE;
  for (guint i = 0; i < nd_collection_size(coll) && !failed && !cli_interrupted() && !ferror(fp); i++) {
    const NdDocument *doc = nd_collection_get(coll, i);
    g_autoptr(GArray) matches = nd_index_query(ix, doc, &cli.find, &error);
    if (matches == NULL) {
      fprintf(stderr, "neardup: %s\n", error->message);
      failed = TRUE;
      break;
    }
    guint n = limit ? MIN((guint)limit, matches->len) : matches->len;
    if (cli.format == FORMAT_TEXT)
      fprintf(fp, "%s%s: %u archived match%s\n", i ? "\n" : "", doc->id, matches->len, matches->len == 1 ? "" : "es");
    for (guint m = 0; m < n; m++) {
      const NdIndexMatch *x = &g_array_index(matches, NdIndexMatch, m);
      const NdPair *p = &x->scores;
      const char *kind = nd_pair_kind_name(p->kind);
      /* Passages need the archived text: read back from the index and checked against its hash. */
      g_autoptr(NdDiff) d = NULL;
      g_autofree char *archived = NULL;
      Side sa = { 0 }, sb = { 0 };
      if (cli.passages) {
        gsize len = 0;
        archived = nd_index_get_text(ix, x->id, &len, &error);
        if (archived == NULL) {
          fprintf(stderr, "neardup: %s\n", error->message);
          g_clear_error(&error);
          code = EXIT_INPUT_ERRORS;
        } else {
          g_array_set_size(ta, 0);
          g_array_set_size(tb, 0);
          nd_tokenize(doc->text, doc->bytes, sp.shingle.mode, sp.text_flags, ta, NULL);
          nd_tokenize(archived, len, sp.shingle.mode, ND_TEXT_LOSSY, tb, NULL);
          sa = (Side){ doc->id, doc->text, doc->bytes, (const NdToken *)ta->data, ta->len, doc->map };
          sb = (Side){ x->id, archived, len, (const NdToken *)tb->data, tb->len, NULL }; /* the archived text */
          d = side_diff(&sa, &sb, NULL);
        }
      }
      switch (cli.format) {
      case FORMAT_TEXT:
        fprintf(fp, "  %2u. %s  jaccard %.3f, %.0f%% of this article found there, %.0f%% of it found here (%s; group "
                "%" G_GUINT64_FORMAT ", %s)\n", m + 1, x->id, p->jaccard, 100 * p->containment_a_in_b,
                100 * p->containment_b_in_a, kind, x->group, x->kept ? "kept" : "dropped");
        if (x->metadata)
          fprintf(fp, "      %s\n", x->metadata);
        if (d)
          render_passages_brief(fp, &sa, &sb, d);
        break;
      case FORMAT_JSON:
        fputs("{\"a\":", fp);
        json_write_string(fp, doc->id);
        fputs(",\"b\":", fp);
        json_write_string(fp, x->id);
        fprintf(fp, ",\"rank\":%u,\"jaccard\":%.4f,\"containment_a_in_b\":%.4f,\"containment_b_in_a\":%.4f,"
                "\"shared_shingles\":%u,\"kind\":\"%s\",\"b_metadata\":%s,\"b_group\":%" G_GUINT64_FORMAT
                ",\"b_status\":\"%s\"", m + 1, p->jaccard, p->containment_a_in_b, p->containment_b_in_a, p->shared,
                kind, x->metadata ? x->metadata : "null", x->group, x->kept ? "kept" : "dropped");
        if (d) {
          fputs(",\"passages\":", fp);
          render_passages_json_array(fp, &sa, &sb, d);
        }
        fputs("}\n", fp);
        break;
      case FORMAT_CSV:
        csv_write_field(fp, doc->id);
        fputc(',', fp);
        csv_write_field(fp, x->id);
        fprintf(fp, ",%u,%.4f,%.4f,%.4f,%u,%s\n", m + 1, p->jaccard, p->containment_a_in_b, p->containment_b_in_a,
                p->shared, kind);
        break;
      }
    }
  }
  if (index_problems > 0 && code == EXIT_OK)
    code = EXIT_INPUT_ERRORS; /* the archived rows named above were skipped */
  if (failed) {
    output_abort(&out);
    code = EXIT_FATAL;
  } else if (!output_commit(&out)) {
    code = cli_failure_exit();
  }
  find_cli_clear(&cli);
  return code;
}
