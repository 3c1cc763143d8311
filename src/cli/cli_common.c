/* cli_common.c — options, loading, interruption, atomic output and quoting shared by the
 * subcommands. */
#define _GNU_SOURCE /* O_TMPFILE, linkat(AT_EMPTY_PATH) */
#include "cli.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <sys/resource.h>
#ifdef NEARDUP_HAVE_MPI
#include <neardup/dist.h>
#endif

/* ---- interruption ---- */

static gint signal_received; /* written by the handler with a lock-free atomic store */
/* The named temporary output file, for a second signal to remove before the process dies. */
static char pending_tmp[4096];
static volatile sig_atomic_t pending_tmp_dirfd = -1; /* -1: none */

static void
on_signal(int sig)
{
  if (g_atomic_int_get(&signal_received) != 0) {
    /* A second signal: stop now. Only async-signal-safe calls here. */
    static const char msg[] = "\nneardup: interrupted again: stopping at once\n";
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
      /* nothing to do */
    }
    if (pending_tmp_dirfd >= 0)
      unlinkat(pending_tmp_dirfd, pending_tmp, 0);
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_atomic_int_set(&signal_received, sig);
}

void
cli_signals_install(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: a read blocked on a pipe returns EINTR and the loader stops */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

void
cli_remember_tmp(int dirfd, const char *name)
{
  pending_tmp_dirfd = -1;
  if (dirfd >= 0 && name != NULL && strlen(name) < sizeof pending_tmp) {
    memcpy(pending_tmp, name, strlen(name) + 1);
    pending_tmp_dirfd = dirfd;
  }
}

int
cli_interrupted(void)
{
  return g_atomic_int_get(&signal_received);
}

int
cli_interrupt_exit(void)
{
  static gboolean told;
  int sig = cli_interrupted();
  if (!told) {
    fprintf(stderr, "neardup: %s\n", sig == SIGTERM ? "terminated" : "interrupted");
    told = TRUE;
  }
  return 128 + (sig ? sig : SIGINT);
}

int
cli_failure_exit(void)
{
  return cli_interrupted() ? cli_interrupt_exit() : EXIT_FATAL;
}

void
cli_error(const char *command, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fprintf(stderr, "neardup %s: %s\n", command, msg);
}

void
find_cli_init(FindCli *cli)
{
  memset(cli, 0, sizeof *cli);
  cli->threshold = ND_DEFAULT_THRESHOLD;
  cli->containment = ND_DEFAULT_CONTAINMENT;
  cli->num_perm = ND_DEFAULT_NUM_PERM;
  cli->seed = ND_DEFAULT_SEED;
  cli->threads = 0;
  cli->max_bytes = (gint64)ND_DEFAULT_MAX_BYTES;
  cli->max_tokens = (gint64)ND_DEFAULT_MAX_TOKENS;
  cli->min_shared = ND_DEFAULT_MIN_SHARED;
  cli->score = ND_DEFAULT_SCORE;
  cli->exact_limit = 100000;
  cli->window_days = -1;
}

void
find_cli_clear(FindCli *cli)
{
  g_strfreev(cli->paths);
  g_strfreev(cli->files_from);
  g_strfreev(cli->jsonl);
  g_strfreev(cli->include);
  g_strfreev(cli->exclude);
  g_free(cli->id_field);
  g_free(cli->text_field);
  g_free(cli->format_name);
  g_free(cli->output);
  g_free(cli->shingle);
  g_free(cli->verify_name);
  g_free(cli->quotations_name);
  g_free(cli->date_field);
  if (cli->help_texts != NULL)
    g_ptr_array_unref(cli->help_texts);
}

/* A help text built for this command (defaults differ: dedup's containment is 0.8), kept until
 * find_cli_clear. */
static const char *
help_text(FindCli *cli, char *text)
{
  if (cli->help_texts == NULL)
    cli->help_texts = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(cli->help_texts, text);
  return text;
}

void
find_cli_add_options(FindCli *cli, GOptionContext *ctx, unsigned groups)
{
  char num[G_ASCII_DTOSTR_BUF_SIZE];
  const char *threshold_help = help_text(cli, g_strdup_printf("Jaccard threshold for near-duplicates (default: %s)",
                                                              g_ascii_formatd(num, sizeof num, "%g", cli->threshold)));
  const char *containment_help = help_text(cli, g_strdup_printf("Containment threshold for text reuse, 0 disables "
                                                                "(default: %s)",
                                                                g_ascii_formatd(num, sizeof num, "%g", cli->containment)));
  const char *min_shared_help = help_text(cli, g_strdup_printf("Shingles two articles must share for a containment "
                                                               "match (default: %d)", cli->min_shared));
  const char *score_help = help_text(cli, g_strdup_printf("Reuse score threshold, with the batch's word frequencies "
                                                          "(30 articles or more); 0: the containment rule instead "
                                                          "(default: %s)",
                                                          g_ascii_formatd(num, sizeof num, "%g", cli->score)));
  const char *format_help = help_text(cli, g_strdup_printf("Output format: %s (default: %s)",
                                                           cli->default_format != NULL && strcmp(cli->default_format, "text") != 0
                                                             ? "json (JSON Lines) or csv" : "text, json (JSON Lines) or csv",
                                                           cli->default_format ? cli->default_format : "text"));
  const char *quotations_help =
    help_text(cli, g_strdup_printf("Pairs that share only quotations both quote: drop (not reported), list (reported "
                                   "with kind quotation, apart from reuse) or count (as any shared text) (default: %s)",
                                   cli->default_quotations ? cli->default_quotations : "drop"));
  GOptionEntry inputs[] = {
    { "files-from", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &cli->files_from, "Read article paths from FILE, one per line ('-' = stdin)", "FILE" },
    { "jsonl", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &cli->jsonl, "Read articles from a JSON Lines file ('-' = stdin)", "FILE" },
    { "id-field", 0, 0, G_OPTION_ARG_STRING, &cli->id_field, "JSON field holding the article id (default: id)", "NAME" },
    { "text-field", 0, 0, G_OPTION_ARG_STRING, &cli->text_field, "JSON field holding the article text (default: text)", "NAME" },
    { "include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cli->include, "In directories, read only files whose name (or path below the directory) matches GLOB ('*', '?'; repeatable)", "GLOB" },
    { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cli->exclude, "In directories, leave out files and directories matching GLOB (repeatable)", "GLOB" },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &cli->threads, "Worker threads (default: all cores; output is identical for any count)", "N" },
    { "max-bytes", 0, 0, G_OPTION_ARG_INT64, &cli->max_bytes, "Skip articles larger than BYTES (default: 67108864; a JSON line may be twice as long, plus 1 KiB)", "BYTES" },
    { "max-tokens", 0, 0, G_OPTION_ARG_INT64, &cli->max_tokens, "Skip articles of more than N words (characters with chars:K) (default: 4194304; 0: no limit)", "N" },
    { "lossy", 0, 0, G_OPTION_ARG_NONE, &cli->lossy, "Treat invalid UTF-8 bytes as separators instead of skipping the article", NULL },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &cli->strict, "Stop at the first input that cannot be read", NULL },
    { "progress", 0, 0, G_OPTION_ARG_NONE, &cli->progress, "Show progress on stderr even when it is not a terminal", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &cli->paths, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionEntry signing[] = {
    { "num-perm", 'n', 0, G_OPTION_ARG_INT, &cli->num_perm, "MinHash signature length (default: 128)", "N" },
    { "shingle", 'k', 0, G_OPTION_ARG_STRING, &cli->shingle, "Shingles: words:K or chars:K (default: words:3; chars:K for Chinese, Japanese, Thai)", "SPEC" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &cli->seed, "Hash seed (default: 1)", "S" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionEntry matching[] = {
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &cli->threshold, threshold_help, "T" },
    { "containment", 'c', 0, G_OPTION_ARG_DOUBLE, &cli->containment, containment_help, "C" },
    { "min-shared", 0, 0, G_OPTION_ARG_INT, &cli->min_shared, min_shared_help, "N" },
    { "score", 0, 0, G_OPTION_ARG_DOUBLE, &cli->score, score_help, "S" },
    { "quotations", 0, 0, G_OPTION_ARG_STRING, &cli->quotations_name, quotations_help, "HOW" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionEntry dates[] = {
    { "date-field", 0, 0, G_OPTION_ARG_STRING, &cli->date_field, "Metadata field with the publication date, which decides who took from whom (default: date)", "NAME" },
    { "window", 0, 0, G_OPTION_ARG_DOUBLE, &cli->window_days, "Keep only pairs published within DAYS of each other (pairs with an undated article are kept)", "DAYS" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionEntry verifying[] = {
    { "verify", 0, 0, G_OPTION_ARG_STRING, &cli->verify_name, "Verify candidates: auto (exact up to --exact-limit articles, then sample), exact, sample (1-in-8 shingle samples, ~700 bytes per article) or signature (default: auto)", "MODE" },
    { "exact-limit", 0, 0, G_OPTION_ARG_INT, &cli->exact_limit, "With --verify auto: beyond N articles, keep samples instead of full shingle sets (default: 100000)", "N" },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &cli->show_stats, "Print timing and candidate counts on stderr", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionEntry output[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &cli->format_name, format_help, "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &cli->output, "Write results to FILE (atomically) instead of stdout", "FILE" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionEntry passages[] = {
    { "passages", 'p', 0, G_OPTION_ARG_NONE, &cli->passages, "Show the passages each reported pair shares (keeps all texts in memory)", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  if (groups & OPT_INPUTS)
    g_option_context_add_main_entries(ctx, inputs, NULL);
  if (groups & OPT_SIGNING)
    g_option_context_add_main_entries(ctx, signing, NULL);
  if (groups & OPT_MATCHING)
    g_option_context_add_main_entries(ctx, matching, NULL);
  if (groups & OPT_VERIFYING)
    g_option_context_add_main_entries(ctx, verifying, NULL);
  if (groups & OPT_OUTPUT)
    g_option_context_add_main_entries(ctx, output, NULL);
  if (groups & OPT_PASSAGES)
    g_option_context_add_main_entries(ctx, passages, NULL);
  if (groups & OPT_DATES)
    g_option_context_add_main_entries(ctx, dates, NULL);
}

NdPublished *
find_cli_dates(const FindCli *cli, const NdCollection *coll)
{
  guint n = nd_collection_size(coll);
  NdPublished *published = g_new0(NdPublished, n + 1);
  DateReport report = { 0 };
  gboolean any = FALSE;
  for (guint i = 0; i < n; i++) {
    NdDate date;
    g_autofree char *text = NULL;
    const NdDocument *doc = nd_collection_get(coll, i);
    if (cli_document_date(doc, cli->date_field ? cli->date_field : "date", FALSE, &date, &text, &report)) {
      published[i] = (NdPublished){ TRUE, date.utc, !date.has_time, FALSE };
      any = TRUE;
    }
    published[i].dated_dateline = doc->dated_dateline;
    any = any || doc->dated_dateline;
  }
  date_report_print(&report);
  if (!any)
    g_clear_pointer(&published, g_free);
  return published;
}

void
find_cli_apply_window(const FindCli *cli, GArray *pairs, const NdPublished *published)
{
  if (cli->window_days < 0 || published == NULL)
    return;
  gint64 seconds = (gint64)(cli->window_days * 86400.0);
  guint kept = 0;
  for (guint i = 0; i < pairs->len; i++)
    if (nd_pair_within_window(&g_array_index(pairs, NdPair, i), published, seconds))
      g_array_index(pairs, NdPair, kept++) = g_array_index(pairs, NdPair, i);
  g_array_set_size(pairs, kept);
}

gboolean
parse_format(const char *name, OutputFormat *format)
{
  if (name == NULL || strcmp(name, "text") == 0)
    *format = FORMAT_TEXT;
  else if (strcmp(name, "json") == 0 || strcmp(name, "jsonl") == 0)
    *format = FORMAT_JSON;
  else if (strcmp(name, "csv") == 0)
    *format = FORMAT_CSV;
  else
    return FALSE;
  return TRUE;
}

gboolean
find_cli_finish_options(FindCli *cli, const char *command)
{
  return find_cli_finish_options_for(cli, command, NULL);
}

gboolean
find_cli_finish_options_for(FindCli *cli, const char *command, const NdSignParams *fixed)
{
  g_autoptr(GError) error = NULL;
  if (cli_ranks() > 1) { /* every rank enumerates every input: standard input reaches rank 0 only */
    gboolean stdin_named = FALSE;
    for (char **lists[] = { cli->paths, cli->files_from, cli->jsonl }, **const *l = lists; l < lists + 3; l++)
      for (char **p = *l; p && *p; p++)
        stdin_named |= strcmp(*p, "-") == 0;
    if (stdin_named) {
      cli_error(command, "standard input cannot be shared by %u MPI ranks: name a file", cli_ranks());
      return FALSE;
    }
  }
  if (!parse_format(cli->format_name, &cli->format)) {
    cli_error(command, "unknown format '%s' (expected text, json or csv)", cli->format_name);
    return FALSE;
  }
  nd_sign_params_init(&cli->sign);
  if (fixed != NULL) {
    cli->sign = *fixed;
    cli->shingle = NULL;
    cli->num_perm = (gint)fixed->num_perm;
    cli->seed = (gint64)fixed->seed;
  }
  if (cli->shingle != NULL && !nd_shingle_spec_parse(cli->shingle, &cli->sign.shingle, &error)) {
    cli_error(command, "%s", error->message);
    return FALSE;
  }
  if (cli->num_perm < ND_MINHASH_MIN_PERM || cli->num_perm > ND_MINHASH_MAX_PERM) {
    cli_error(command, "--num-perm must be between %d and %d", ND_MINHASH_MIN_PERM, ND_MINHASH_MAX_PERM);
    return FALSE;
  }
  if (cli->threads < 0 || cli->threads > 1024) {
    cli_error(command, "--threads must be between 0 (all cores) and 1024");
    return FALSE;
  }
  if (cli->max_bytes < 1 || (guint64)cli->max_bytes > ND_TEXT_MAX_BYTES) {
    cli_error(command, "--max-bytes must be between 1 and %" G_GSIZE_FORMAT, ND_TEXT_MAX_BYTES);
    return FALSE;
  }
  if (cli->max_tokens < 0) {
    cli_error(command, "--max-tokens must be at least 0 (0: no limit)");
    return FALSE;
  }
  if (cli->min_shared < 1) {
    cli_error(command, "--min-shared must be at least 1");
    return FALSE;
  }
  cli->sign.num_perm = (guint)cli->num_perm;
  cli->sign.seed = (guint64)cli->seed;
  cli->sign.max_bytes = (gsize)cli->max_bytes;
  cli->sign.text_flags = cli->lossy ? ND_TEXT_LOSSY : ND_TEXT_DEFAULT;
  cli->sign.keep_text = cli->passages || (fixed != NULL && fixed->keep_text);

  nd_find_options_init(&cli->find);
  cli->find.threshold = cli->threshold;
  cli->find.containment = cli->containment;
  cli->find.min_shared = (guint)cli->min_shared;
  cli->find.score = cli->score;
  const char *quotations = cli->quotations_name ? cli->quotations_name
                                                : cli->default_quotations ? cli->default_quotations : "drop";
  if (strcmp(quotations, "drop") == 0) {
    cli->find.quotations = ND_QUOTATIONS_DROP;
  } else if (strcmp(quotations, "list") == 0) {
    cli->find.quotations = ND_QUOTATIONS_LIST;
  } else if (strcmp(quotations, "count") == 0) {
    cli->find.quotations = ND_QUOTATIONS_COUNT;
  } else {
    cli_error(command, "--quotations takes drop, list or count, not '%s'", quotations);
    return FALSE;
  }
  if (cli->window_days < 0 && cli->window_days != -1) {
    cli_error(command, "--window takes a number of days, 0 or more");
    return FALSE;
  }
  cli->find.threads = (guint)cli->threads;
  /* Band keys are computed by the signing workers, in parallel, rather than by the finder. */
  NdLshParams lsh;
  if (nd_lsh_params_for(cli->find.threshold, cli->sign.num_perm, ND_LSH_FN_WEIGHT, &lsh, NULL)) {
    cli->sign.lsh_bands = lsh.bands;
    cli->sign.lsh_rows = lsh.rows;
  }
  cli->auto_verify = cli->verify_name == NULL || strcmp(cli->verify_name, "auto") == 0;
  if (cli->auto_verify || strcmp(cli->verify_name, "exact") == 0) {
    cli->find.verify = ND_VERIFY_EXACT;
  } else if (strcmp(cli->verify_name, "sample") == 0) {
    cli->find.verify = ND_VERIFY_SAMPLE;
    cli->sign.keep_sets = FALSE;
    cli->sign.keep_signature = FALSE;
  } else if (strcmp(cli->verify_name, "signature") == 0) {
    cli->find.verify = ND_VERIFY_SIGNATURE;
    cli->sign.keep_sets = FALSE;
  } else {
    cli_error(command, "unknown --verify mode '%s' (expected auto, exact, sample or signature)", cli->verify_name);
    return FALSE;
  }
  if (cli->exact_limit < 0) {
    cli_error(command, "--exact-limit must be at least 0 (0: never switch)");
    return FALSE;
  }
  if (!nd_find_options_validate(&cli->find, &error) || !nd_sign_params_validate(&cli->sign, &error)) {
    cli_error(command, "%s", error->message);
    return FALSE;
  }
  if (cli->archive != NULL && cli_ranks() > 1) {
    cli_error(command, "archived articles are read by one process: run it without mpirun");
    return FALSE;
  }
  if (cli->paths == NULL && cli->files_from == NULL && cli->jsonl == NULL && cli->archive == NULL) {
    cli_error(command, "no input: give files or directories, --files-from or --jsonl (see --help)");
    return FALSE;
  }
  return TRUE;
}

/* Reports of one kind (one error code) printed before the rest are only counted: a list naming a
 * million duplicates must not print a million lines. */
#define REPORTS_PER_KIND 100
#define N_KINDS 64

typedef struct {
  guint64 reported[N_KINDS]; /* per error code */
  guint64 warnings;
} Reports;

const char *
cli_error_hint(const GError *error)
{
  if (error == NULL || error->domain != ND_ERROR)
    return "";
  switch (error->code) {
  case ND_ERROR_TOO_LARGE: return " (see --max-bytes)";
  case ND_ERROR_TOO_MANY_TOKENS: return " (see --max-tokens)";
  default: return "";
  }
}

static void
on_input_error(const char *input, const GError *error, gpointer data)
{
  Reports *p = data;
  guint kind = error->domain == ND_ERROR && error->code > 0 && error->code < N_KINDS ? (guint)error->code : 0;
  if (++p->reported[kind] > REPORTS_PER_KIND)
    return;
  cli_message("%s: %s%s", input, error->message, cli_error_hint(error));
  if (p->reported[kind] == REPORTS_PER_KIND)
    cli_message("(further inputs skipped for this reason are counted, not listed)");
}

/* A problem that did not stop an input (a charset that lied): one line, not counted as skipped. */
static void
on_input_warning(const char *input, const GError *warning, gpointer data)
{
  Reports *p = data;
  if (++p->warnings > REPORTS_PER_KIND)
    return;
  cli_message("%s: warning: %s", input, warning->message);
  if (p->warnings == REPORTS_PER_KIND)
    cli_message("(further warnings are counted, not listed)");
}

/* The lines that count what was not listed: of each kind, the inputs `reported` beyond those
 * `listed` by name, and the warnings alike. */
static void
print_unlisted(const guint64 *reported, const guint64 *listed, guint64 warnings, guint64 warnings_listed)
{
  for (guint kind = 0; kind < N_KINDS; kind++)
    if (reported[kind] > listed[kind])
      cli_message("%" G_GUINT64_FORMAT " more inputs skipped as: %s (not listed)", reported[kind] - listed[kind],
                  kind ? nd_error_describe((NdErrorCode)kind) : "other errors");
  if (warnings > warnings_listed)
    cli_message("%" G_GUINT64_FORMAT " more warnings (not listed)", warnings - warnings_listed);
}

/* One line for each kind of report that went over the limit. */
static void
summarise_reports(const Reports *p)
{
  guint64 listed[N_KINDS];
  for (guint kind = 0; kind < N_KINDS; kind++)
    listed[kind] = MIN(p->reported[kind], REPORTS_PER_KIND);
  print_unlisted(p->reported, listed, p->warnings, MIN(p->warnings, REPORTS_PER_KIND));
}

static void
on_progress(guint64 articles, guint64 bytes, guint64 skipped, gpointer data)
{
  (void)bytes;
  (void)data;
  progress_set(articles + skipped, 0);
}

/* Where an MPI rank's loader puts its documents: encoded, with their item numbers (dist.h). */
typedef struct {
  NdLoader *loader;
  struct NdDistShare *share; /* dist.h */
  guint64 items, names_digest; /* what the loader enumerated (nd_loader_items), set when it is done */
  guint64 plan_bytes;          /* bytes read to plan the byte ranges */
  Reports reports;             /* this rank's reports, summed over the ranks before their summary */
  char *passed;                /* this rank's inputs passed over, "COUNT\tREASON\n" each (owned) */
} ShareSink;

#ifdef NEARDUP_HAVE_MPI
/* Each rank reads only its byte range of the JSON Lines files and .warc.gz named as arguments
 * (input.h: nd_input_range_plan), when every rank can: the ranks count the lines of their JSON Lines
 * ranges and add up the counts of the ranks before them, which numbers their first lines. Files
 * found in directories, lists, and files that cannot be cut are shared by items (every rank reads
 * them through). All of it happens before the loader starts, so that no rank stops before a
 * collective call the others make. NEARDUP_MPI_RANGES=0 turns it off (measurements). Returns the
 * bytes it read. */
static guint64
plan_input_ranges(FindCli *cli, NdLoader *loader)
{
  const char *env = g_getenv("NEARDUP_MPI_RANGES");
  if (cli_ranks() < 2 || (env != NULL && strcmp(env, "0") == 0))
    return 0;
  guint n_paths = cli->paths ? g_strv_length(cli->paths) : 0, n = n_paths + (cli->jsonl ? g_strv_length(cli->jsonl) : 0);
  if (n == 0)
    return 0;
  g_autofree NdInputRange *ranges = g_new0(NdInputRange, n);
  g_autofree guint64 *usable = g_new0(guint64, n), *first_line = g_new0(guint64, n);
  guint64 bytes = 0;
  for (guint i = 0; i < n; i++) {
    const char *path = i < n_paths ? cli->paths[i] : cli->jsonl[i - n_paths];
    usable[i] = nd_input_range_plan(path, i >= n_paths, cli_rank(), cli_ranks(), output_file_check, NULL, &ranges[i],
                                   &bytes);
    first_line[i] = ranges[i].newlines;
  }
  nd_dist_sum_array(usable, n);
  nd_dist_exclusive_sum(first_line, n);
  for (guint i = 0; i < n; i++)
    if (usable[i] == cli_ranks())
      nd_loader_set_input_range(loader, i < n_paths ? cli->paths[i] : cli->jsonl[i - n_paths], &ranges[i], first_line[i]);
  return bytes;
}
#endif

/* Loads the inputs as find_cli_load_into says; with `sink`, only this rank's share of them
 * (input.h: nd_loader_set_share), its documents encoded into sink->share. */
static guint
load_inputs(FindCli *cli, NdCollection *coll, NdDocumentFunc func, gpointer data, ShareSink *sink)
{
  Reports reports = { { 0 }, 0 };
  progress_start(cli->progress);
  progress_phase("reading and signing", "articles", 0);
  progress_count_inputs(cli->paths, cli->files_from, cli->jsonl);
  g_autoptr(NdLoader) loader = nd_loader_new(coll, (guint)cli->threads, cli->strict);
  if (sink != NULL) {
    sink->loader = loader;
    /* NEARDUP_MPI_BLOCK: the items per block of a share (docs/mpi.md; tests deal small inputs out
     * in blocks of 1 to exercise every rank) */
    const char *block = g_getenv("NEARDUP_MPI_BLOCK");
    nd_loader_set_share(loader, cli_rank(), cli_ranks(), block ? (guint)g_ascii_strtoull(block, NULL, 10) : 0);
#ifdef NEARDUP_HAVE_MPI
    sink->plan_bytes = plan_input_ranges(cli, loader);
#endif
  }
  nd_loader_set_error_func(loader, on_input_error, &reports);
  nd_loader_set_warning_func(loader, on_input_warning, &reports);
  for (char **g = cli->include; g && *g; g++)
    nd_loader_add_include(loader, *g);
  for (char **g = cli->exclude; g && *g; g++)
    nd_loader_add_exclude(loader, *g);
  nd_loader_set_progress_func(loader, on_progress, NULL);
  nd_loader_set_cancel_flag(loader, &signal_received);
  nd_loader_set_file_check(loader, output_file_check, loader);
  nd_loader_set_max_tokens(loader, (guint64)cli->max_tokens);
  if (func != NULL)
    nd_loader_set_document_func(loader, func, data);
  const char *idf = cli->id_field ? cli->id_field : "id", *txf = cli->text_field ? cli->text_field : "text";
  nd_loader_set_jsonl_fields(loader, idf, txf);
  for (char **p = cli->paths; p && *p; p++)
    nd_loader_add_path(loader, *p);
  for (char **p = cli->files_from; p && *p; p++)
    nd_loader_add_files_from(loader, *p);
  for (char **p = cli->jsonl; p && *p; p++)
    nd_loader_add_jsonl(loader, *p, idf, txf);
  guint skipped = nd_loader_finish(loader);
  progress_stop_counting();
  guint n_passed;
  const NdPassedOver *passed = nd_loader_passed_over(loader, &n_passed);
  if (sink != NULL) { /* the summary is of all the ranks' inputs: load_distributed prints it */
    sink->items = nd_loader_items(loader, &sink->names_digest);
    sink->loader = NULL;
    sink->reports = reports;
    GString *text = g_string_new(NULL);
    for (guint i = 0; i < n_passed; i++)
      g_string_append_printf(text, "%" G_GUINT64_FORMAT "\t%s\n", passed[i].count, passed[i].reason);
    sink->passed = g_string_free(text, FALSE);
    return skipped;
  }
  summarise_reports(&reports);
  for (guint i = 0; i < n_passed; i++)
    cli_message("passed over: %" G_GUINT64_FORMAT " %s", passed[i].count, passed[i].reason);
  return skipped;
}

guint
find_cli_load_into(FindCli *cli, NdCollection *coll, NdDocumentFunc func, gpointer data)
{
  return load_inputs(cli, coll, func, data, NULL);
}

/* Peak resident memory of this process in MB. */
static double
peak_rss_mb(void)
{
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss / 1024.0 : 0.0;
}

#ifdef NEARDUP_HAVE_MPI
/* Bytes this process has read through read(2) and its kind so far (/proc/self/io's rchar: page
 * cache or not), or 0 where there is no such file. */
static guint64
bytes_read_so_far(void)
{
  g_autofree char *io = NULL;
  if (!g_file_get_contents("/proc/self/io", &io, NULL, NULL))
    return 0;
  const char *r = strstr(io, "rchar:");
  return r != NULL ? g_ascii_strtoull(r + 6, NULL, 10) : 0;
}

/* Prints on rank 0 the summary lines of one process (summarise_reports, "passed over: ...") for
 * every rank's inputs, from each rank's reports of its loading (`loaded`) and of rank 0's merge
 * (`merged`: duplicate ids), and its inputs passed over (`passed`: "COUNT\tREASON\n" lines),
 * summed over the ranks. Each of them listed up to REPORTS_PER_KIND inputs of a kind itself, so
 * the "more ... not listed" counts are of what none listed. The reasons passed over come in rank
 * order of first occurrence. Collective. */
static void
summarise_ranks(const Reports *loaded, const Reports *merged, const char *passed)
{
  const guint64 most = REPORTS_PER_KIND;
  guint64 counts[2 * N_KINDS + 2];
  for (guint k = 0; k < N_KINDS; k++) {
    counts[k] = loaded->reported[k] + merged->reported[k];
    counts[N_KINDS + k] = MIN(loaded->reported[k], most) + MIN(merged->reported[k], most);
  }
  counts[2 * N_KINDS] = loaded->warnings;
  counts[2 * N_KINDS + 1] = MIN(loaded->warnings, most);
  nd_dist_sum_array(counts, G_N_ELEMENTS(counts));
  g_autofree char *all = nd_dist_gather_text(passed);
  if (cli_rank() != 0)
    return;
  print_unlisted(counts, counts + N_KINDS, counts[2 * N_KINDS], counts[2 * N_KINDS + 1]);
  g_autoptr(GPtrArray) reasons = g_ptr_array_new(); /* borrowed from `all` */
  g_autoptr(GArray) totals = g_array_new(FALSE, TRUE, sizeof(guint64));
  for (char *line = all, *next; line != NULL && *line != '\0'; line = next) {
    next = strchr(line, '\n');
    if (next != NULL)
      *next++ = '\0';
    char *tab = strchr(line, '\t');
    if (tab == NULL)
      continue;
    *tab = '\0';
    guint i = 0;
    while (i < reasons->len && strcmp(g_ptr_array_index(reasons, i), tab + 1) != 0)
      i++;
    if (i == reasons->len) {
      g_ptr_array_add(reasons, tab + 1);
      g_array_set_size(totals, reasons->len);
    }
    g_array_index(totals, guint64, i) += g_ascii_strtoull(line, NULL, 10);
  }
  for (guint i = 0; i < reasons->len; i++)
    cli_message("passed over: %" G_GUINT64_FORMAT " %s", g_array_index(totals, guint64, i),
                (const char *)g_ptr_array_index(reasons, i));
}

static gboolean dist_failed; /* the ranks' inputs did not agree: the run stops with EXIT_FATAL */
static NdDistShare *dist_share; /* this rank's share, gathered: its search keys serve the search */

static gboolean
encode_document(NdDocument *doc, gpointer data, GError **error)
{
  (void)error;
  ShareSink *sink = data;
  guint64 item = 0;
  const char *name = nd_loader_current_item(sink->loader, &item);
  nd_dist_share_add(sink->share, item, name ? name : doc->id, doc);
  nd_document_free(doc);
  return TRUE;
}

/* An MPI run: this rank reads and signs its share, rank 0 gathers every share into `coll` in input
 * order. Returns the number of inputs skipped on all ranks together. */
static guint
load_distributed(FindCli *cli, NdCollection *coll)
{
  gint64 t0 = g_get_monotonic_time();
  g_clear_pointer(&dist_share, nd_dist_share_free);
  NdDistShare *share = dist_share = nd_dist_share_new(nd_collection_params(coll));
  nd_dist_share_set_lean_after(share, nd_collection_lean_after(coll)); /* every rank's coll is set as rank 0's */
  if (nd_dist_search_over_ranks()) /* (on one machine rank 0 searches: no keys to keep) */
    nd_dist_share_keep_search_keys(share);
  ShareSink sink = { NULL, share, 0, 0, 0, { { 0 }, 0 }, NULL };
  /* Without --threads, the ranks on one machine share its cores for reading and signing (rank 0's
   * candidate search, when the others are done, uses them all). */
  int threads = cli->threads;
  guint local = nd_dist_local_size();
  if (threads == 0)
    cli->threads = (int)MAX(1u, g_get_num_processors() / local);
  guint64 read_before = bytes_read_so_far();
  guint skipped = load_inputs(cli, coll, encode_document, &sink, &sink);
  guint64 read_after = bytes_read_so_far();
  cli->threads = threads;
  gint64 t1 = g_get_monotonic_time();
  nd_dist_wait_all(); /* the ranks done first sleep until the others are */
  gint64 t2 = g_get_monotonic_time();
  /* Every rank must have enumerated the same items, or the shares do not add up to the input. */
  guint64 most = nd_dist_max(sink.items), digest = nd_dist_max(sink.names_digest);
  guint64 least = G_MAXUINT64 - nd_dist_max(G_MAXUINT64 - sink.items);
  if (nd_dist_sum(sink.items != most || sink.names_digest != digest) != 0) {
    if (cli_rank() == 0)
      fprintf(stderr, "neardup: the %u MPI ranks did not see the same inputs (from %" G_GUINT64_FORMAT " to %"
              G_GUINT64_FORMAT " articles and inputs, or other names): name regular files on a file system every rank "
              "reads, not pipes, and do not change them during the run\n", cli_ranks(), least, most);
    dist_failed = TRUE;
    g_free(sink.passed);
    return (guint)nd_dist_sum(skipped);
  }
  Reports reports = { { 0 }, 0 };
  guint rejected = 0;
  NdDistStats st;
  g_autoptr(GError) error = NULL;
  if (!nd_dist_gather(share, coll, on_input_error, &reports, &rejected, &st, &error)) {
    fprintf(stderr, "neardup: rank %u: %s\n", cli_rank(), error->message);
    nd_dist_abort(EXIT_FATAL);
  }
  summarise_ranks(&sink.reports, &reports, sink.passed);
  g_free(sink.passed);
  if (cli->show_stats)
    fprintf(stderr, "stats: rank %u of %u: read+sign %.3f s, %" G_GUINT64_FORMAT " articles, %" G_GUINT64_FORMAT
            " bytes encoded (%.0f per article%s), %" G_GUINT64_FORMAT " bytes read (%" G_GUINT64_FORMAT " of them to "
            "plan byte ranges); waited %.3f s for the other ranks; gather %.3f s, %" G_GUINT64_FORMAT
            " messages, %" G_GUINT64_FORMAT " bytes received; peak RSS %.1f MB before the search\n", cli_rank(),
            cli_ranks(), (t1 - t0) / 1e6, st.documents, st.bytes_encoded, st.bytes_encoded / (double)MAX(st.documents, 1),
            !st.lean ? "" : st.lean_alone ? ", lean: known while reading" : ", lean: decided by the ranks",
            read_after - read_before, sink.plan_bytes, (t2 - t1) / 1e6, st.seconds,
            st.messages, st.bytes_received, peak_rss_mb());
  return (guint)nd_dist_sum(skipped + rejected);
}
#endif

static gboolean distributed; /* MPI started by cli_mpi_start */

gboolean
cli_distributed(void)
{
  return distributed;
}

int
cli_mpi_start(const char *command, int *argc, char ***argv)
{
  const char *size_text = g_getenv("OMPI_COMM_WORLD_SIZE");
  if (size_text == NULL)
    size_text = g_getenv("PMI_SIZE");
  if (size_text == NULL && g_getenv("PMIX_RANK") == NULL)
    return EXIT_OK; /* not launched by mpirun or srun: no MPI start-up to pay */
  guint64 size = size_text ? g_ascii_strtoull(size_text, NULL, 10) : 0;
  gboolean batch = strcmp(command, "scan") == 0 || strcmp(command, "pairs") == 0 || strcmp(command, "dedup") == 0;
  if (!batch) {
    if (size <= 1)
      return EXIT_OK;
    fprintf(stderr, "neardup: %s does not run on several MPI ranks (scan, pairs and dedup do)\n", command);
    return EXIT_USAGE;
  }
#ifdef NEARDUP_HAVE_MPI
  (void)size;
  g_autoptr(GError) error = NULL;
  if (!nd_dist_init(argc, argv, &error)) {
    fprintf(stderr, "neardup: %s\n", error->message);
    return EXIT_FATAL;
  }
  distributed = TRUE;
  return EXIT_OK;
#else
  (void)argc;
  (void)argv;
  if (size <= 1)
    return EXIT_OK;
  fprintf(stderr, "neardup: launched on %" G_GUINT64_FORMAT " MPI ranks, but built without MPI (NEARDUP_MPI)\n", size);
  return EXIT_USAGE;
#endif
}

void
cli_mpi_end(void)
{
#ifdef NEARDUP_HAVE_MPI
  g_clear_pointer(&dist_share, nd_dist_share_free);
  nd_dist_finalize();
#endif
  distributed = FALSE;
}

guint
cli_rank(void)
{
#ifdef NEARDUP_HAVE_MPI
  return nd_dist_rank();
#else
  return 0;
#endif
}

guint
cli_ranks(void)
{
#ifdef NEARDUP_HAVE_MPI
  return nd_dist_size();
#else
  return 1;
#endif
}

typedef struct {
  NdCollection *coll;
  NdSigner *signer;
  guint skipped;          /* not added: no stored text, an id already read, a text that cannot be signed */
  guint64 without_text;
} ArchiveLoad;

static gboolean
add_archived(const NdIndexRecord *record, const char *text, gsize len, gpointer data)
{
  ArchiveLoad *al = data;
  if (cli_interrupted())
    return FALSE;
  if (text == NULL) { /* reported once, counted */
    al->without_text++;
    al->skipped++;
    return TRUE;
  }
  g_autoptr(GError) error = NULL;
  NdDocument *doc = nd_signer_sign(al->signer, record->id, text, len, &error);
  if (doc != NULL) {
    doc->meta = g_strdup(record->metadata);
    if (nd_collection_add(al->coll, doc, &error)) /* takes doc, also when it refuses it */
      return TRUE;
  }
  cli_message("%s (archived)%s", error->message, cli_error_hint(error));
  al->skipped++;
  return TRUE;
}

/* Adds the archived articles cli->archive selects to `coll`, signed again from their stored texts
 * with `coll`'s parameters (the archive's: see find_cli_finish_options_for), their metadata as a
 * JSON Lines record's. Returns the number left out (each reported), or -1 when the archive could
 * not be read (reported). */
static gint64
load_archived(FindCli *cli, NdCollection *coll)
{
  g_autoptr(NdSigner) signer = nd_signer_new(nd_collection_params(coll));
  ArchiveLoad al = { coll, signer, 0, 0 };
  g_autoptr(GError) error = NULL;
  progress_start(cli->progress);
  progress_phase("reading archived articles", "articles", 0);
  if (!nd_index_foreach(cli->archive, cli->archive_group, cli->archive_where, cli->n_archive_where, TRUE,
                        add_archived, &al, &error)) {
    cli_message("%s", error->message);
    return -1;
  }
  if (al.without_text > 0)
    cli_message("%" G_GUINT64_FORMAT " archived article%s selected without a stored text (the archive keeps only "
                "some texts: index create --text) left out", al.without_text, al.without_text == 1 ? "" : "s");
  return al.skipped;
}

NdCollection *
find_cli_load(FindCli *cli, guint *skipped)
{
  NdCollection *coll = nd_collection_new(&cli->sign);
  if (cli->auto_verify && cli->sign.keep_sets)
    nd_collection_set_lean_after(coll, (guint)cli->exact_limit);
  g_autoptr(GError) spool_error = NULL;
  if (cli->spool_texts && cli->sign.keep_text && !nd_collection_spool_texts(coll, NULL, &spool_error))
    cli_message("%s; the texts are kept in memory", spool_error->message);
#ifdef NEARDUP_HAVE_MPI
  if (cli_distributed()) {
    *skipped = load_distributed(cli, coll);
    return coll;
  }
#endif
  *skipped = cli->paths || cli->files_from || cli->jsonl ? find_cli_load_into(cli, coll, NULL, NULL) : 0;
  if (cli->archive != NULL && !cli_interrupted()) {
    gint64 left_out = load_archived(cli, coll);
    if (left_out < 0)
      cli->archive_failed = TRUE;
    else
      *skipped += (guint)left_out;
  }
  return coll;
}

/* A lean collection is verified on its shingle samples: says so once and sets cli->find.verify. */
static void
lean_verification(FindCli *cli, const NdCollection *coll)
{
  if (!nd_collection_is_lean(coll) || cli->find.verify == ND_VERIFY_SAMPLE)
    return;
  cli->find.verify = ND_VERIFY_SAMPLE;
  fprintf(stderr, "neardup: more than %d articles: scores are computed on 1-in-%u shingle samples to bound "
          "memory (--exact-limit, --verify exact)\n", cli->exact_limit, nd_collection_fingerprint_sampling(coll));
}

gboolean
find_cli_run(FindCli *cli, NdCollection **coll_out, GArray **pairs_out, guint *skipped, int *exit_code)
{
  gint64 t0 = g_get_monotonic_time();
  g_autoptr(NdCollection) coll = find_cli_load(cli, skipped);
  gint64 t1 = g_get_monotonic_time();
  g_autoptr(GError) error = NULL;
  NdFindStats stats;
  g_autoptr(GArray) dist_pairs = NULL; /* found over the ranks (rank 0), with `error` when NULL */
  gboolean searched = FALSE;
#ifdef NEARDUP_HAVE_MPI
  if (cli_distributed()) {
    /* Every rank decides as rank 0 will: a signal, or an input that is the output, seen by any rank
     * abandons the run on all. The ranks search for candidates together; then only rank 0 goes on. */
    int sig = (int)nd_dist_max((guint64)cli_interrupted());
    if (sig != 0 && cli_interrupted() == 0)
      g_atomic_int_set(&signal_received, sig);
    gboolean alias = nd_dist_max(output_alias_found()) != 0;
    if (!alias && !dist_failed && !cli_interrupted()) {
      /* The candidate search runs over all the ranks when rank 0 would start it (the checks below;
       * when they fail, rank 0 says why there and the others leave here). */
      gboolean go = cli_rank() != 0 || (!cli->archive_failed && !(cli->strict && *skipped > 0) &&
                                        nd_collection_size(coll) > 0);
      if (nd_dist_max(!go) == 0) {
        if (cli_rank() == 0)
          lean_verification(cli, coll);
        cli->find.cancel_flag = &signal_received;
        progress_phase("matching within the batch", "", 0);
        NdDistSearchStats ss;
        dist_pairs = nd_dist_find_pairs(dist_share, cli_rank() == 0 ? coll : NULL, &cli->find, &stats, &ss, &error);
        searched = TRUE;
        if (cli->show_stats && ss.over_ranks)
          fprintf(stderr, "stats: rank %u of %u: candidate search%s over the ranks %.3f s, %" G_GUINT64_FORMAT
                  " bytes sent in %" G_GUINT64_FORMAT " rounds; peak RSS %.1f MB\n", cli_rank(), cli_ranks(),
                  ss.verified_over_ranks ? " and verification" : "", ss.seconds, ss.bytes_sent, ss.rounds, peak_rss_mb());
        else if (cli->show_stats && cli_rank() == 0)
          fprintf(stderr, "stats: the candidate search ran on rank 0 alone (the default when the ranks share one "
                  "machine; NEARDUP_MPI_SEARCH=1 runs it over the ranks)\n");
      }
    }
    if (cli_rank() != 0 || alias || dist_failed) {
      *exit_code = cli_interrupted() ? cli_interrupt_exit() : alias ? EXIT_USAGE : dist_failed ? EXIT_FATAL : EXIT_OK;
      return FALSE;
    }
  }
#endif
  if (cli_interrupted()) {
    *exit_code = cli_interrupt_exit();
    return FALSE;
  }
  if (output_alias_found()) {
    *exit_code = EXIT_USAGE;
    return FALSE;
  }
  if (cli->archive_failed) {
    *exit_code = EXIT_FATAL;
    return FALSE;
  }
  if (cli->strict && *skipped > 0) {
    fprintf(stderr, "neardup: stopped at the first unreadable input (--strict)\n");
    *exit_code = EXIT_FATAL;
    return FALSE;
  }
  if (nd_collection_size(coll) == 0) {
    fprintf(stderr, "neardup: no article could be read\n");
    *exit_code = EXIT_FATAL;
    return FALSE;
  }
  GArray *pairs = g_steal_pointer(&dist_pairs);
  if (!searched) {
    lean_verification(cli, coll);
    cli->find.cancel_flag = &signal_received; /* SIGINT/SIGTERM stop the candidate search too */
    progress_phase("matching within the batch", "", 0);
    pairs = nd_find_pairs(coll, &cli->find, &stats, &error);
  }
  if (pairs == NULL && g_error_matches(error, ND_ERROR, ND_ERROR_CANCELLED)) {
    *exit_code = cli_interrupt_exit();
    return FALSE;
  }
  if (pairs == NULL) {
    fprintf(stderr, "neardup: %s\n", error->message);
    *exit_code = EXIT_FATAL;
    return FALSE;
  }
  if (cli_interrupted()) { /* a signal after the search: the output is abandoned all the same */
    g_array_unref(pairs);
    *exit_code = cli_interrupt_exit();
    return FALSE;
  }
  if (cli->show_stats) {
    progress_stop();
    double read_s = (t1 - t0) / 1e6;
    guint64 bytes = 0;
    for (guint i = 0; i < nd_collection_size(coll); i++)
      bytes += nd_collection_get(coll, i)->bytes;
    fprintf(stderr,
            "stats: %u articles, %.1f MB; read+sign %.3f s (%.0f docs/s, %.1f MB/s)\n"
            "stats: LSH b=%u r=%u; candidates: %" G_GUINT64_FORMAT " from LSH, %" G_GUINT64_FORMAT
            " from passage anchors, %" G_GUINT64_FORMAT " from rare words, %" G_GUINT64_FORMAT " distinct; LSH %.3f s, "
            "anchors %.3f s, vocabulary %.3f s%s\n"
            "stats: verified %" G_GUINT64_FORMAT " pairs, %" G_GUINT64_FORMAT " reported; %.3f s\n"
            "stats: boilerplate: %" G_GUINT64_FORMAT " lines found in %u articles or more, in %" G_GUINT64_FORMAT
            " articles (left out of the anchors and passages)\n",
            nd_collection_size(coll), bytes / 1e6, read_s, nd_collection_size(coll) / MAX(read_s, 1e-9),
            bytes / 1e6 / MAX(read_s, 1e-9), stats.lsh.bands, stats.lsh.rows, stats.candidates_lsh,
            stats.candidates_anchor, stats.candidates_rare, stats.candidates, stats.seconds_lsh, stats.seconds_anchor,
            stats.seconds_vocabulary, stats.vocabulary ? "" : " (no batch vocabulary)", stats.candidates,
            stats.reported, stats.seconds_verify, stats.boilerplate_lines, (guint)ND_BOILERPLATE_MIN_ARTICLES,
            stats.boilerplate_articles);
    if (cli_distributed())
      fprintf(stderr, "stats: rank 0: peak RSS %.1f MB after the search\n", peak_rss_mb());
  }
  *coll_out = g_steal_pointer(&coll);
  *pairs_out = pairs;
  *exit_code = *skipped > 0 ? EXIT_INPUT_ERRORS : EXIT_OK;
  return TRUE;
}

static void
on_index_warning(const GError *problem, gpointer data)
{
  guint *count = data;
  ++*count;
  cli_message("%s", problem->message);
}

void
cli_index_watch(NdIndex *ix, guint *problems)
{
  nd_index_set_warning_func(ix, on_index_warning, problems);
  nd_index_set_progress_func(ix, cli_index_progress, NULL);
}

char *
find_cli_take_first_path(FindCli *cli)
{
  if (cli->paths == NULL || cli->paths[0] == NULL)
    return NULL;
  char *first = g_strdup(cli->paths[0]);
  char **rest = g_strdupv(cli->paths + 1);
  g_strfreev(cli->paths);
  cli->paths = rest[0] ? rest : (g_strfreev(rest), NULL);
  return first;
}
