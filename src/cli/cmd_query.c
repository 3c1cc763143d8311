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
  "JSON Lines (--format json): one object per match; CSV (--format csv): one row per match,\n"
  "b_metadata as its JSON text. b_metadata is the archived article's metadata object (or null),\n"
  "b_group and b_status its group and whether it is the group's kept article.\n";

/* The columns of a match (CSV order since 0.1; new fields go last). */
static const FieldId query_fields[] = { F_A, F_B, F_RANK, F_JACCARD, F_CONTAINMENT_A_IN_B, F_CONTAINMENT_B_IN_A,
                                        F_SHARED_SHINGLES, F_KIND, F_B_METADATA, F_B_GROUP, F_B_STATUS };

/* What a person reads of a match (under the heading of its new article): rank, scores, the archived
 * article's group and id; its metadata on a line under it. */
static const TextColumn match_text[] = { { F_RANK, NULL, NULL },
                                         { F_JACCARD, NULL, NULL },
                                         { F_CONTAINMENT_A_IN_B, NULL, NULL },
                                         { F_CONTAINMENT_B_IN_A, NULL, NULL },
                                         { F_KIND, NULL, NULL },
                                         { F_B_GROUP, NULL, NULL },
                                         { F_B_STATUS, NULL, NULL },
                                         { F_B, NULL, NULL },
                                         { F_B_METADATA, "\n      metadata: ", NULL } };

typedef struct {
  const char *a;
  guint rank;
  const NdIndexMatch *x;
} MatchRow;

static void
write_match(Rows *r, gconstpointer data)
{
  const MatchRow *row = data;
  const NdPair *p = &row->x->scores;
  rows_string(r, F_A, row->a);
  rows_string(r, F_B, row->x->id);
  rows_integer(r, F_RANK, row->rank);
  rows_number(r, F_JACCARD, p->jaccard);
  rows_number(r, F_CONTAINMENT_A_IN_B, p->containment_a_in_b);
  rows_number(r, F_CONTAINMENT_B_IN_A, p->containment_b_in_a);
  rows_integer(r, F_SHARED_SHINGLES, p->shared);
  rows_string(r, F_KIND, nd_pair_kind_name(p->kind));
  rows_json(r, F_B_METADATA, row->x->metadata);
  rows_integer(r, F_B_GROUP, row->x->group);
  rows_string(r, F_B_STATUS, row->x->kept ? "kept" : "dropped");
}

int
cmd_query(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  gint limit = 0;
  g_autoptr(GOptionContext) ctx = g_option_context_new("DB PATH... - find archived sources of new articles");
  g_autofree char *description = fields_help(query_description, query_fields, G_N_ELEMENTS(query_fields),
                                             PASSAGES_FIELDS_HELP);
  g_option_context_set_description(ctx, description);
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
  FieldId cols[G_N_ELEMENTS(query_fields) + 16];
  g_auto(Rows) rows = { 0 };
  guint n_cols = columns_with_passages(cols, query_fields, G_N_ELEMENTS(query_fields), cli.format, cli.passages);
  rows_init(&rows, fp, cli.format, cols, n_cols);
  if (cli.format == FORMAT_TEXT)
    rows_text_layout(&rows, match_text, G_N_ELEMENTS(match_text), "  ");
  else
    rows_header(&rows);
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
    if (cli.format == FORMAT_TEXT) {
      fprintf(fp, "%s%s: %u archived match%s\n", i ? "\n" : "", doc->id, matches->len, matches->len == 1 ? "" : "es");
      if (n > 0)
        rows_header(&rows); /* the column titles under each article's heading */
    }
    for (guint m = 0; m < n; m++) {
      const NdIndexMatch *x = &g_array_index(matches, NdIndexMatch, m);
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
          d = nd_diff_pair(doc->text, doc->bytes, sp.text_flags, archived, len, ND_TEXT_LOSSY, sp.shingle.mode, NULL,
                           ta, tb, NULL);
          sa = (Side){ doc->id, doc->text, doc->bytes, (const NdToken *)ta->data, ta->len, doc->map };
          sb = (Side){ x->id, archived, len, (const NdToken *)tb->data, tb->len, NULL }; /* the archived text */
        }
      }
      MatchRow row = { doc->id, m + 1, x };
      rows_write_with_passages(&rows, cli.passages, &sa, &sb, d, write_match, &row);
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
