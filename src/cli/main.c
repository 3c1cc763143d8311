/* main.c — the neardup tool: a small command table in front of one file per subcommand. */
#include "rows.h"
#include <locale.h>
#include <string.h>

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "scan", cmd_scan, "cluster near-duplicate and text-reusing articles" },
  { "pairs", cmd_pairs, "list every near-duplicate or text-reusing pair with its scores" },
  { "index", cmd_index, "create an archive index; add, remove, list, show, export, check or upgrade it" },
  { "query", cmd_query, "find the archived articles new articles match (their sources)" },
  { "dedup", cmd_dedup, "keep one article per group of near-duplicates (batch and archive), write a manifest" },
  { "report", cmd_report, "write one HTML page: who copied from whom, timelines, passages side by side" },
  { "diff", cmd_diff, "show the passages an article shares with one or more others" },
  { "extract", cmd_extract, "print the text and metadata neardup reads from each input (pages, WARC, JSON Lines)" },
  { "params", cmd_params, "show the LSH bands/rows chosen for a threshold and their error rates" },
};

static void
usage(FILE *fp)
{
  fprintf(fp, "Usage: neardup COMMAND [OPTION...] [PATH...]\n\n"
              "Find near-duplicate and text-reusing news articles.\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(fp, "\nRun 'neardup help COMMAND' (or 'neardup COMMAND --help') for a command's options, and\n"
              "'neardup help fields' for the fields of the JSON Lines and CSV outputs.\n"
              "  --help     show this help\n  --version  show the version\n\n" CLI_EXIT_CODES_HELP);
}

/* Runs the command argv[0] with its arguments argv[1..]. */
static int
run_command(int argc, char **argv)
{
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
    if (strcmp(argv[0], commands[i].name) == 0) {
      g_autofree char *prg = g_strdup_printf("neardup %s", commands[i].name);
      g_set_prgname(prg); /* "Usage: neardup scan ..." in --help */
      int code = cli_mpi_start(argv[0], &argc, &argv);
      if (code != EXIT_OK)
        return code;
      code = commands[i].run(argc, argv);
      progress_stop();
      cli_mpi_end();
      return code;
    }
  }
  const char *names[G_N_ELEMENTS(commands) + 1];
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    names[i] = commands[i].name;
  names[G_N_ELEMENTS(commands)] = NULL;
  const char *near = cli_suggest(argv[0], names);
  if (near != NULL)
    fprintf(stderr, "neardup: unknown command '%s' (did you mean '%s'?)\n\n", argv[0], near);
  else
    fprintf(stderr, "neardup: unknown command '%s'\n\n", argv[0]);
  usage(stderr);
  return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  term_install();
  cli_signals_install();
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      (strcmp(argv[1], "help") == 0 && argc == 2)) {
    usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(argv[1], "help") == 0 && strcmp(argv[2], "fields") == 0) {
    fields_print_markdown(stdout); /* the output fields of every command (docs/output-fields.md) */
    return EXIT_OK;
  }
  if (strcmp(argv[1], "help") == 0) { /* `neardup help scan` is `neardup scan --help` */
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    for (int i = 2; i < argc; i++)
      g_ptr_array_add(args, argv[i]);
    g_ptr_array_add(args, (char *)"--help");
    g_ptr_array_add(args, NULL);
    return run_command((int)args->len - 1, (char **)args->pdata);
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    printf("neardup %s\n", nd_version());
    return EXIT_OK;
  }
  return run_command(argc - 1, argv + 1);
}
