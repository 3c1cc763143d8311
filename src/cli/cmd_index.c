/* cmd_index.c — `neardup index create|add|remove|stats`: the persistent archive (index.h). */
#include "cli.h"
#include <string.h>

static const char index_description[] =
  "Subcommands:\n"
  "  index create DB [--shingle S] [--num-perm N] [--seed S] [--threshold T]\n"
  "      make a new, empty index file (never overwrites an existing file)\n"
  "  index add DB PATH... [--files-from F] [--jsonl F] ...\n"
  "      sign the articles and archive them, all in one transaction: if the process is killed, the\n"
  "      index is left as it was before the add; JSON Lines fields other than id and text (url,\n"
  "      outlet, date ...) are stored as the article's metadata; ids already archived are skipped\n"
  "  index remove DB ID...\n"
  "      remove archived articles (one transaction)\n"
  "  index stats DB [--format json]\n"
  "      number of articles, sizes, parameters\n"
  "\n"
  "The index is an SQLite database (open it with sqlite3; the schema is in the README). Several\n"
  "readers can use it while one process adds; a second writer waits up to --busy-timeout and\n"
  "then fails.\n"
  "\n" CLI_EXIT_CODES_HELP;

static int
index_create(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  g_autoptr(GOptionContext) ctx = g_option_context_new("DB - create an empty index");
  g_option_context_set_description(ctx, index_description);
  find_cli_add_options(&cli, ctx, OPT_SIGNING);
  GOptionEntry extra[] = {
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &cli.threshold, "Jaccard threshold the LSH bands are tuned for (default: 0.5)", "T" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &cli.paths, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_option_context_add_main_entries(ctx, extra, NULL);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  NdSignParams sp;
  nd_sign_params_init(&sp);
  if (!cli_parse(ctx, &argc, &argv, &error)) {
    cli_error("index create", "%s (see --help)", error->message);
    code = EXIT_USAGE;
  } else if (cli.paths == NULL || g_strv_length(cli.paths) != 1) {
    cli_error("index create", "give exactly one index file to create");
    code = EXIT_USAGE;
  } else if (cli.shingle && !nd_shingle_spec_parse(cli.shingle, &sp.shingle, &error)) {
    cli_error("index create", "%s", error->message);
    code = EXIT_USAGE;
  } else {
    sp.num_perm = (guint)MAX(cli.num_perm, 0);
    sp.seed = (guint64)cli.seed;
    g_autoptr(NdIndex) ix = nd_index_create(cli.paths[0], &sp, cli.threshold, &error);
    if (ix == NULL) {
      fprintf(stderr, "neardup: %s\n", error->message);
      code = error->code == ND_ERROR_INVALID_ARG ? EXIT_USAGE : EXIT_FATAL;
    } else {
      const NdLshParams *l = nd_index_lsh_params(ix);
      g_autofree char *spec = nd_shingle_spec_to_string(&sp.shingle);
      fprintf(stderr, "neardup: created %s (shingles %s, %u permutations, seed %" G_GUINT64_FORMAT ", %u bands x %u rows)\n",
              cli.paths[0], spec, sp.num_perm, sp.seed, l->bands, l->rows);
    }
  }
  find_cli_clear(&cli);
  return code;
}

typedef struct {
  NdIndex *index;
  guint64 added;
  GError *fatal; /* a database failure: the add is rolled back */
} AddContext;

static gboolean
add_document(NdDocument *doc, gpointer data, GError **error)
{
  AddContext *ctx = data;
  g_autoptr(NdDocument) owned = doc;
  if (ctx->fatal != NULL) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_INDEX, "not added: the index add has failed");
    return FALSE;
  }
  g_autoptr(GError) local = NULL;
  if (!nd_index_add(ctx->index, owned, &local)) {
    if (local->code != ND_ERROR_DUPLICATE_ID)
      ctx->fatal = g_error_copy(local);
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  ctx->added++;
  return TRUE;
}

static int
index_add(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  gint busy_ms = 10000;
  g_autoptr(GOptionContext) ctx = g_option_context_new("DB PATH... - add articles to an index");
  g_option_context_set_description(ctx, index_description);
  find_cli_add_options(&cli, ctx, OPT_INPUTS);
  GOptionEntry extra[] = {
    { "busy-timeout", 0, 0, G_OPTION_ARG_INT, &busy_ms, "Milliseconds to wait for another writer (default: 10000)", "MS" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_option_context_add_main_entries(ctx, extra, NULL);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  if (!cli_parse(ctx, &argc, &argv, &error)) {
    cli_error("index add", "%s (see --help)", error->message);
    find_cli_clear(&cli);
    return EXIT_USAGE;
  }
  if (cli.paths == NULL || cli.paths[0] == NULL) {
    cli_error("index add", "give the index file, then the articles (see --help)");
    find_cli_clear(&cli);
    return EXIT_USAGE;
  }
  /* The first positional argument is the index; the rest are inputs. */
  g_autofree char *db = find_cli_take_first_path(&cli);
  g_autoptr(NdIndex) ix = nd_index_open(db, TRUE, &error);
  if (ix == NULL) {
    fprintf(stderr, "neardup: %s\n", error->message);
    find_cli_clear(&cli);
    return EXIT_FATAL;
  }
  nd_index_set_busy_timeout(ix, (guint)MAX(busy_ms, 0));
  if (!find_cli_finish_options_for(&cli, "index add", nd_index_sign_params(ix))) {
    find_cli_clear(&cli);
    return EXIT_USAGE;
  }
  if (!nd_index_begin(ix, &error)) {
    fprintf(stderr, "neardup: %s\n", error->message);
    find_cli_clear(&cli);
    return EXIT_FATAL;
  }
  g_autoptr(NdCollection) params_only = nd_collection_new(&cli.sign);
  AddContext add = { ix, 0, NULL };
  guint skipped = find_cli_load_into(&cli, params_only, add_document, &add);
  if (cli_interrupted()) {
    /* Checked before the commit: once the loader stops, nothing more reaches add_document. */
    nd_index_rollback(ix);
    g_clear_error(&add.fatal);
    code = cli_interrupt_exit();
    fprintf(stderr, "neardup: the add was rolled back: %s is unchanged\n", db);
  } else if (add.fatal != NULL) {
    nd_index_rollback(ix);
    fprintf(stderr, "neardup: %s: nothing was added\n", add.fatal->message);
    g_error_free(add.fatal);
    code = EXIT_FATAL;
  } else if (cli.strict && skipped > 0) {
    nd_index_rollback(ix);
    fprintf(stderr, "neardup: stopped at the first unreadable input (--strict); nothing was added\n");
    code = EXIT_FATAL;
  } else if (!nd_index_commit(ix, &error)) {
    fprintf(stderr, "neardup: %s: nothing was added\n", error->message);
    code = EXIT_FATAL;
  } else {
    fprintf(stderr, "neardup: added %" G_GUINT64_FORMAT " article%s to %s", add.added, add.added == 1 ? "" : "s", db);
    if (skipped)
      fprintf(stderr, "; %u input%s skipped", skipped, skipped == 1 ? "" : "s");
    fputc('\n', stderr);
    code = skipped ? EXIT_INPUT_ERRORS : EXIT_OK;
  }
  find_cli_clear(&cli);
  return code;
}

static int
index_remove(int argc, char **argv)
{
  char **ids = NULL;
  GOptionEntry entries[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &ids, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("DB ID... - remove articles from an index");
  g_option_context_set_description(ctx, index_description);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  if (!cli_parse(ctx, &argc, &argv, &error) || ids == NULL || g_strv_length(ids) < 2) {
    cli_error("index remove", "%s", error ? error->message : "give the index file and at least one id");
    g_strfreev(ids);
    return EXIT_USAGE;
  }
  g_autoptr(NdIndex) ix = nd_index_open(ids[0], TRUE, &error);
  if (ix == NULL || !nd_index_begin(ix, &error)) {
    fprintf(stderr, "neardup: %s\n", error->message);
    g_strfreev(ids);
    return EXIT_FATAL;
  }
  guint removed = 0, missing = 0;
  for (guint i = 1; ids[i] && code == EXIT_OK && !cli_interrupted(); i++) {
    g_autoptr(GError) local = NULL;
    if (nd_index_remove(ix, ids[i], &local)) {
      removed++;
    } else if (local->code == ND_ERROR_NOT_FOUND) {
      fprintf(stderr, "neardup: %s\n", local->message);
      missing++;
    } else {
      fprintf(stderr, "neardup: %s: nothing was removed\n", local->message);
      code = EXIT_FATAL;
    }
  }
  if (code == EXIT_OK && cli_interrupted()) {
    nd_index_rollback(ix);
    code = cli_interrupt_exit();
    fprintf(stderr, "neardup: nothing was removed: %s is unchanged\n", ids[0]);
  } else if (code == EXIT_OK && !nd_index_commit(ix, &error)) {
    fprintf(stderr, "neardup: %s: nothing was removed\n", error->message);
    code = EXIT_FATAL;
  } else if (code != EXIT_OK) {
    nd_index_rollback(ix);
  } else {
    fprintf(stderr, "neardup: removed %u article%s from %s\n", removed, removed == 1 ? "" : "s", ids[0]);
    code = missing ? EXIT_INPUT_ERRORS : EXIT_OK;
  }
  g_strfreev(ids);
  return code;
}

static int
index_stats(int argc, char **argv)
{
  char **args = NULL, *format_name = NULL;
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "Output format: text or json (default: text)", "FORMAT" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("DB - show what an index holds");
  g_option_context_set_description(ctx, index_description);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  OutputFormat format;
  int code = EXIT_OK;
  if (!cli_parse(ctx, &argc, &argv, &error) || args == NULL || g_strv_length(args) != 1 ||
      !parse_format(format_name, &format) || format == FORMAT_CSV) {
    cli_error("index stats", "%s", error ? error->message : "give one index file (format text or json)");
    code = EXIT_USAGE;
  } else {
    g_autoptr(NdIndex) ix = nd_index_open(args[0], FALSE, &error);
    NdIndexStats s;
    if (ix == NULL || !nd_index_stats(ix, &s, &error)) {
      fprintf(stderr, "neardup: %s\n", error->message);
      code = EXIT_FATAL;
    } else {
      const NdSignParams *sp = nd_index_sign_params(ix);
      const NdLshParams *l = nd_index_lsh_params(ix);
      g_autofree char *spec = nd_shingle_spec_to_string(&sp->shingle);
      if (format == FORMAT_JSON) {
        printf("{\"index\":");
        json_write_string(stdout, args[0]);
        printf(",\"format_version\":%d,\"articles\":%" G_GUINT64_FORMAT ",\"text_bytes\":%" G_GUINT64_FORMAT
               ",\"file_bytes\":%" G_GUINT64_FORMAT ",\"band_keys\":%" G_GUINT64_FORMAT ",\"fingerprints\":%"
               G_GUINT64_FORMAT ",\"shingle\":\"%s\",\"num_perm\":%u,\"seed\":%" G_GUINT64_FORMAT ",\"bands\":%u,"
               "\"rows\":%u}\n", s.format_version, s.articles, s.text_bytes, s.file_bytes, s.band_keys,
               s.fingerprints, spec, sp->num_perm, sp->seed, l->bands, l->rows);
      } else {
        printf("index %s (format %d)\n", args[0], s.format_version);
        printf("  articles       %" G_GUINT64_FORMAT " (%.1f MB of text)\n", s.articles, s.text_bytes / 1e6);
        printf("  database       %.1f MB (%.0f bytes per article)\n", s.file_bytes / 1e6,
               s.articles ? (double)s.file_bytes / s.articles : 0.0);
        printf("  postings       %" G_GUINT64_FORMAT " band keys, %" G_GUINT64_FORMAT " fingerprints\n", s.band_keys,
               s.fingerprints);
        printf("  signing        shingles %s, %u permutations, seed %" G_GUINT64_FORMAT ", %u bands x %u rows\n", spec,
               sp->num_perm, sp->seed, l->bands, l->rows);
      }
    }
  }
  g_strfreev(args);
  g_free(format_name);
  return code;
}

int
cmd_index(int argc, char **argv)
{
  static const struct {
    const char *name;
    int (*run)(int, char **);
  } subs[] = { { "create", index_create }, { "add", index_add }, { "remove", index_remove }, { "stats", index_stats } };
  if (argc >= 2) {
    for (gsize i = 0; i < G_N_ELEMENTS(subs); i++)
      if (strcmp(argv[1], subs[i].name) == 0) {
        g_autofree char *prg = g_strdup_printf("neardup index %s", subs[i].name);
        g_set_prgname(prg);
        return subs[i].run(argc - 1, argv + 1);
      }
  }
  FILE *fp = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout : stderr;
  fprintf(fp, "Usage: neardup index create|add|remove|stats DB ...\n\n%s", index_description);
  return fp == stdout ? EXIT_OK : EXIT_USAGE;
}
