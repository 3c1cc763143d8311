/* cmd_index.c — `neardup index create|add|remove|stats|list|show|export|check|upgrade`: the
 * persistent archive of groups (index.h). */
#include "rows.h"
#include <errno.h>
#include <string.h>

static const char index_description[] =
  "Subcommands:\n"
  "  index create DB [--shingle S] [--num-perm N] [--seed S] [--threshold T] [--text all|kept|none]\n"
  "               [--text-format plain|zlib]\n"
  "      make a new, empty index file (never overwrites an existing file). --text: whose texts are\n"
  "      stored (default all; an article without its text keeps its shingle keys and is matched\n"
  "      all the same); --text-format zlib stores them compressed (smaller, slower to add)\n"
  "  index add DB PATH... [--files-from F] [--jsonl F] [--date-field NAME] [--date-missing mtime] ...\n"
  "      sign the articles and archive them, each a group of its own (dedup --add groups them),\n"
  "      all in one transaction: if the process is killed, the index is left as it was before the\n"
  "      add. JSON Lines fields other than id and text (url, outlet, date ...) are stored as the\n"
  "      article's metadata, the --date-field (default date) also read as a date and stored in\n"
  "      UTC; with --date-missing mtime a file without one gets its modification time. An article\n"
  "      already archived with the same text is not added again (not an error)\n"
  "  index remove DB ID...\n"
  "      remove archived articles (one transaction)\n"
  "  index stats DB [--format json]\n"
  "      number of articles and groups, sizes, parameters\n"
  "  index list DB [--group N] [--where COND]... [--format text|json|csv] [-o FILE]\n"
  "      one line per archived article; JSON and CSV: id, group, status (kept or dropped), date\n"
  "      (UTC), bytes, batch, added, best_match (the article it joined its group through), jaccard,\n"
  "      containment, date_text (as written), metadata (`neardup help fields`)\n"
  "  index show DB ID... [--format text|json|csv]\n"
  "      everything about archived articles: their fields, metadata, group members, and text\n"
  "  index export DB [--group N] [--where COND]... [-o FILE]\n"
  "      JSON Lines that `--jsonl` reads back: id, text and metadata members, and the archive's\n"
  "      fields in an object \"neardup\" (group, status, date, date_text, bytes, batch, added,\n"
  "      best_match, jaccard, containment); text is null where it is not stored\n"
  "  index check DB\n"
  "      read and check everything (pages, rows, groups, postings): exit 0 when sound, 3 when not\n"
  "  index upgrade OLD NEW [--date-field NAME]\n"
  "      copy an index of an older format into a new one (every article a group of its own, signed\n"
  "      again from its stored text); OLD is not changed\n"
  "\n"
  "Conditions (--where, repeatable, all must hold): FIELD=VALUE, or != < <= > >=. FIELD is date\n"
  "(the UTC date; a day without a time means the whole day: date=2026-03-11, date<2026-01-01),\n"
  "added, id, group, batch, status (kept or dropped), or a metadata member (meta.NAME to be\n"
  "explicit), compared as numbers when both sides are numbers, else as text.\n"
  "\n"
  "The index is an SQLite database (open it with sqlite3; its schema is in include/neardup/index.h;\n"
  "a text reads as CAST(sqlar_uncompress(text, bytes) AS TEXT)). Several readers can use it while\n"
  "one process adds; a second writer waits up to --busy-timeout and then fails. An add with\n"
  "--exclusive takes the index alone: readers wait for it instead.\n"
  "\n" CLI_EXIT_CODES_HELP;

static int
usage_error(const char *sub, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int
usage_error(const char *sub, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autofree char *cmd = g_strdup_printf("index %s", sub);
  cli_error(cmd, "%s", msg);
  return EXIT_USAGE;
}

/* An index opened for a subcommand, its problems reported (and counted) on stderr. */
static NdIndex *
open_index(const char *path, gboolean writable, guint *problems)
{
  g_autoptr(GError) error = NULL;
  NdIndex *ix = nd_index_open(path, writable, &error);
  if (ix == NULL) {
    cli_message("%s", error->message);
    if (strstr(error->message, "older neardup") != NULL)
      cli_message("upgrade it with: neardup index upgrade %s NEW.db", path);
    return NULL;
  }
  cli_index_watch(ix, problems);
  output_protect_index(path);
  return ix;
}

static int
index_create(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  g_autofree char *text = NULL, *text_format = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new("DB - create an empty index");
  g_option_context_set_description(ctx, index_description);
  find_cli_add_options(&cli, ctx, OPT_SIGNING);
  GOptionEntry extra[] = {
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &cli.threshold, "Jaccard threshold the LSH bands are tuned for (default: 0.5)", "T" },
    { "text", 0, 0, G_OPTION_ARG_STRING, &text, "Whose texts to store: all, kept or none (default: all)", "WHICH" },
    { "text-format", 0, 0, G_OPTION_ARG_STRING, &text_format, "How to store texts: plain or zlib (default: plain)", "FORMAT" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &cli.paths, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_option_context_add_main_entries(ctx, extra, NULL);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  NdSignParams sp;
  nd_sign_params_init(&sp);
  NdIndexOptions io;
  nd_index_options_init(&io);
  if (!cli_parse(ctx, &argc, &argv, &error)) {
    code = usage_error("create", "%s (see --help)", error->message);
  } else if (cli.paths == NULL || g_strv_length(cli.paths) != 1) {
    code = usage_error("create", "give exactly one index file to create");
  } else if (cli.shingle && !nd_shingle_spec_parse(cli.shingle, &sp.shingle, &error)) {
    code = usage_error("create", "%s", error->message);
  } else if (text != NULL && strcmp(text, "all") != 0 && strcmp(text, "kept") != 0 && strcmp(text, "none") != 0) {
    code = usage_error("create", "--text takes all, kept or none");
  } else if (text_format != NULL && strcmp(text_format, "plain") != 0 && strcmp(text_format, "zlib") != 0) {
    code = usage_error("create", "--text-format takes plain or zlib");
  } else {
    if (text != NULL)
      io.text = strcmp(text, "all") == 0 ? ND_INDEX_TEXT_ALL : strcmp(text, "kept") == 0 ? ND_INDEX_TEXT_KEPT
                                                                                        : ND_INDEX_TEXT_NONE;
    if (text_format != NULL)
      io.text_format = strcmp(text_format, "zlib") == 0 ? ND_INDEX_TEXT_ZLIB : ND_INDEX_TEXT_PLAIN;
    sp.num_perm = (guint)MAX(cli.num_perm, 0);
    sp.seed = (guint64)cli.seed;
    g_autoptr(NdIndex) ix = nd_index_create_with(cli.paths[0], &sp, cli.threshold, &io, &error);
    if (ix == NULL) {
      cli_message("%s", error->message);
      code = error->code == ND_ERROR_INVALID_ARG ? EXIT_USAGE : EXIT_FATAL;
    } else {
      const NdLshParams *l = nd_index_lsh_params(ix);
      g_autofree char *spec = nd_shingle_spec_to_string(&sp.shingle);
      cli_message("created %s (shingles %s, %u permutations, seed %" G_GUINT64_FORMAT ", %u bands x %u rows)",
                  cli.paths[0], spec, sp.num_perm, sp.seed, l->bands, l->rows);
    }
  }
  find_cli_clear(&cli);
  return code;
}

typedef struct {
  NdIndex *index;
  const char *date_field;
  gboolean use_mtime;
  DateReport dates;
  guint64 added, already, differ;
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
  NdDate date;
  g_autofree char *date_text = NULL;
  gboolean dated = cli_document_date(owned, ctx->date_field, ctx->use_mtime, &date, &date_text, &ctx->dates);
  NdIndexEntry entry = { .group = 0, .kept = TRUE, .date = dated ? &date : NULL, .date_text = date_text };
  g_autoptr(GError) local = NULL;
  if (nd_index_add_entry(ctx->index, owned, &entry, &local)) {
    ctx->added++;
    progress_add(1);
    return TRUE;
  }
  if (local->code == ND_ERROR_DUPLICATE_ID) {
    /* The same article archived before (a batch added again) is not an error; other text is. */
    if (nd_index_holds(ctx->index, owned, NULL, NULL) > 0) {
      ctx->already++;
      return TRUE;
    }
    ctx->differ++;
    g_set_error(error, ND_ERROR, ND_ERROR_DUPLICATE_ID, "id '%s' is already archived with another text; not added",
                owned->id);
    return FALSE;
  }
  ctx->fatal = g_error_copy(local);
  g_propagate_error(error, g_steal_pointer(&local));
  return FALSE;
}

static int
index_add(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  gint busy_ms = 10000;
  gboolean show_stats = FALSE, exclusive = FALSE;
  g_autofree char *date_field = NULL, *date_missing = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new("DB PATH... - add articles to an index");
  g_option_context_set_description(ctx, index_description);
  find_cli_add_options(&cli, ctx, OPT_INPUTS);
  GOptionEntry extra[] = {
    { "busy-timeout", 0, 0, G_OPTION_ARG_INT, &busy_ms, "Milliseconds to wait for another writer (default: 10000)", "MS" },
    { "exclusive", 0, 0, G_OPTION_ARG_NONE, &exclusive, "Take " CLI_EXCLUSIVE_HELP, NULL },
    { "date-field", 0, 0, G_OPTION_ARG_STRING, &date_field, "Metadata field with the publication date (default: date)", "NAME" },
    { "date-missing", 0, 0, G_OPTION_ARG_STRING, &date_missing, "mtime: a file without a date gets its modification time", "mtime" },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &show_stats, "Print the time of each phase on stderr", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_option_context_add_main_entries(ctx, extra, NULL);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  if (!cli_parse(ctx, &argc, &argv, &error)) {
    find_cli_clear(&cli);
    return usage_error("add", "%s (see --help)", error->message);
  }
  if (cli.paths == NULL || cli.paths[0] == NULL) {
    find_cli_clear(&cli);
    return usage_error("add", "give the index file, then the articles (see --help)");
  }
  if (date_missing != NULL && strcmp(date_missing, "mtime") != 0 && strcmp(date_missing, "first") != 0 &&
      strcmp(date_missing, "last") != 0) {
    find_cli_clear(&cli);
    return usage_error("add", "--date-missing takes first, last or mtime");
  }
  /* The first positional argument is the index; the rest are inputs. */
  g_autofree char *db = find_cli_take_first_path(&cli);
  guint problems = 0;
  g_autoptr(NdIndex) ix = open_index(db, TRUE, &problems);
  if (ix == NULL) {
    find_cli_clear(&cli);
    return EXIT_FATAL;
  }
  nd_index_set_busy_timeout(ix, (guint)MAX(busy_ms, 0));
  nd_index_set_exclusive(ix, exclusive);
  if (!find_cli_finish_options_for(&cli, "index add", nd_index_sign_params(ix))) {
    find_cli_clear(&cli);
    return EXIT_USAGE;
  }
  nd_index_archive_only_params(&cli.sign); /* an add scores no pairs */
  gint64 t0 = g_get_monotonic_time();
  if (!nd_index_begin(ix, &error)) {
    cli_message("%s", error->message);
    find_cli_clear(&cli);
    return EXIT_FATAL;
  }
  g_autoptr(NdCollection) params_only = nd_collection_new(&cli.sign);
  AddContext add = { .index = ix, .date_field = date_field ? date_field : "date",
                     .use_mtime = date_missing && strcmp(date_missing, "mtime") == 0 };
  guint skipped = find_cli_load_into(&cli, params_only, add_document, &add);
  date_report_print(&add.dates);
  if (cli_interrupted()) {
    /* Checked before the commit: once the loader stops, nothing more reaches add_document. */
    nd_index_rollback(ix);
    g_clear_error(&add.fatal);
    code = cli_interrupt_exit();
    cli_message("the add was rolled back: %s is unchanged", db);
  } else if (add.fatal != NULL) {
    nd_index_rollback(ix);
    cli_message("%s: nothing was added", add.fatal->message);
    g_error_free(add.fatal);
    code = EXIT_FATAL;
  } else if (cli.strict && skipped > 0) {
    nd_index_rollback(ix);
    cli_message("stopped at the first unreadable input (--strict); nothing was added");
    code = EXIT_FATAL;
  } else {
    progress_phase("writing", "", 0);
    if (!nd_index_commit(ix, &error)) {
      progress_stop();
      cli_message("%s: nothing was added", error->message);
      code = EXIT_FATAL;
    } else {
      progress_stop();
      double s = (g_get_monotonic_time() - t0) / 1e6;
      GString *line = g_string_new(NULL);
      g_string_append_printf(line, "added %" G_GUINT64_FORMAT " article%s to %s in %.1f s (%.0f articles/s)", add.added,
                             add.added == 1 ? "" : "s", db, s, add.added / MAX(s, 1e-9));
      if (add.already)
        g_string_append_printf(line, "; %" G_GUINT64_FORMAT " already archived", add.already);
      if (skipped)
        g_string_append_printf(line, "; %u input%s skipped", skipped, skipped == 1 ? "" : "s");
      if (show_stats) {
        g_autofree char *t = progress_timings();
        cli_message("phases: %s", t);
      }
      cli_message("%s", line->str);
      g_string_free(line, TRUE);
      code = skipped ? EXIT_INPUT_ERRORS : EXIT_OK;
    }
  }
  progress_stop();
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
    code = usage_error("remove", "%s", error ? error->message : "give the index file and at least one id");
    g_strfreev(ids);
    return code;
  }
  guint problems = 0;
  g_autoptr(NdIndex) ix = open_index(ids[0], TRUE, &problems);
  if (ix == NULL || !nd_index_begin(ix, &error)) {
    if (error != NULL)
      cli_message("%s", error->message);
    g_strfreev(ids);
    return EXIT_FATAL;
  }
  guint removed = 0, missing = 0;
  for (guint i = 1; ids[i] && code == EXIT_OK && !cli_interrupted(); i++) {
    g_autoptr(GError) local = NULL;
    if (nd_index_remove(ix, ids[i], &local)) {
      removed++;
    } else if (local->code == ND_ERROR_NOT_FOUND) {
      cli_message("%s", local->message);
      missing++;
    } else {
      cli_message("%s: nothing was removed", local->message);
      code = EXIT_FATAL;
    }
  }
  if (code == EXIT_OK && cli_interrupted()) {
    nd_index_rollback(ix);
    code = cli_interrupt_exit();
    cli_message("nothing was removed: %s is unchanged", ids[0]);
  } else if (code == EXIT_OK && !nd_index_commit(ix, &error)) {
    cli_message("%s: nothing was removed", error->message);
    code = EXIT_FATAL;
  } else if (code != EXIT_OK) {
    nd_index_rollback(ix);
  } else {
    cli_message("removed %u article%s from %s", removed, removed == 1 ? "" : "s", ids[0]);
    code = missing ? EXIT_INPUT_ERRORS : EXIT_OK;
  }
  g_strfreev(ids);
  return code;
}

/* The fields of `index stats --format json|csv`: one row. */
static const FieldId stats_fields[] = { F_INDEX, F_FORMAT_VERSION, F_ARTICLES, F_GROUPS, F_BATCHES, F_TEXT_BYTES,
                                        F_FILE_BYTES, F_BAND_KEYS, F_ANCHORS, F_BAND_SEGMENTS, F_ANCHOR_SEGMENTS,
                                        F_TEXT_STORED, F_TEXT_FORMAT, F_SHINGLE, F_NUM_PERM, F_SEED, F_BANDS, F_ROWS };

static int
index_stats(int argc, char **argv)
{
  char **args = NULL, *format_name = NULL;
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "Output format: text, json or csv (default: text)", "FORMAT" },
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
      !parse_format(format_name, &format)) {
    code = usage_error("stats", "%s", error ? error->message : "give one index file (format text, json or csv)");
  } else {
    guint problems = 0;
    g_autoptr(NdIndex) ix = open_index(args[0], FALSE, &problems);
    NdIndexStats s;
    if (ix == NULL) {
      code = EXIT_FATAL;
    } else if (!nd_index_stats(ix, &s, &error)) {
      cli_message("%s", error->message);
      code = EXIT_FATAL;
    } else {
      const NdSignParams *sp = nd_index_sign_params(ix);
      const NdLshParams *l = nd_index_lsh_params(ix);
      const NdIndexOptions *io = nd_index_options(ix);
      static const char *const text_names[] = { "all", "kept", "none" }, *const format_names[] = { "plain", "zlib" };
      g_autofree char *spec = nd_shingle_spec_to_string(&sp->shingle);
      if (format != FORMAT_TEXT) {
        Rows rows;
        rows_init(&rows, stdout, format, stats_fields, G_N_ELEMENTS(stats_fields));
        rows_header(&rows);
        rows_begin(&rows);
        rows_string(&rows, F_INDEX, args[0]);
        rows_integer(&rows, F_FORMAT_VERSION, (guint64)s.format_version);
        rows_integer(&rows, F_ARTICLES, s.articles);
        rows_integer(&rows, F_GROUPS, s.groups);
        rows_integer(&rows, F_BATCHES, s.batches);
        rows_integer(&rows, F_TEXT_BYTES, s.text_bytes);
        rows_integer(&rows, F_FILE_BYTES, s.file_bytes);
        rows_integer(&rows, F_BAND_KEYS, s.band_keys);
        rows_integer(&rows, F_ANCHORS, s.anchors);
        rows_integer(&rows, F_BAND_SEGMENTS, s.band_segments);
        rows_integer(&rows, F_ANCHOR_SEGMENTS, s.anchor_segments);
        rows_string(&rows, F_TEXT_STORED, text_names[io->text]);
        rows_string(&rows, F_TEXT_FORMAT, format_names[io->text_format]);
        rows_string(&rows, F_SHINGLE, spec);
        rows_integer(&rows, F_NUM_PERM, sp->num_perm);
        rows_integer(&rows, F_SEED, sp->seed);
        rows_integer(&rows, F_BANDS, l->bands);
        rows_integer(&rows, F_ROWS, l->rows);
        rows_end(&rows);
      } else {
        printf("index %s (format %d)\n", args[0], s.format_version);
        printf("  articles       %" G_GUINT64_FORMAT " in %" G_GUINT64_FORMAT " groups (%.1f MB of text), from %"
               G_GUINT64_FORMAT " batches\n", s.articles, s.groups, s.text_bytes / 1e6, s.batches);
        printf("  database       %.1f MB (%.0f bytes per article); texts stored: %s, %s\n", s.file_bytes / 1e6,
               s.articles ? (double)s.file_bytes / s.articles : 0.0, text_names[io->text], format_names[io->text_format]);
        printf("  postings       %" G_GUINT64_FORMAT " band keys, %" G_GUINT64_FORMAT " passage anchors (%u and %u "
               "segments)\n", s.band_keys, s.anchors, s.band_segments, s.anchor_segments);
        printf("  signing        shingles %s, %u permutations, seed %" G_GUINT64_FORMAT ", %u bands x %u rows\n", spec,
               sp->num_perm, sp->seed, l->bands, l->rows);
      }
      code = problems ? EXIT_INPUT_ERRORS : EXIT_OK;
    }
  }
  g_strfreev(args);
  g_free(format_name);
  return code;
}

/* ---- browsing: list, show, export ---- */

/* The columns of `index list` (CSV order since 0.2; new fields go last). */
static const FieldId list_fields[] = { F_ID, F_GROUP, F_STATUS, F_DATE, F_BYTES, F_BATCH, F_ADDED, F_BEST_MATCH,
                                       F_JACCARD, F_CONTAINMENT, F_DATE_TEXT, F_METADATA };

/* What a person reads of an archived article: its group, status, date and id, under their titles. */
static const TextColumn list_text[] = { { F_GROUP, NULL, NULL },
                                        { F_STATUS, NULL, NULL },
                                        { F_DATE, NULL, NULL },
                                        { F_ID, NULL, NULL } };

typedef struct {
  OutputFormat format;
  FILE *fp;
  guint64 n_rows, without_text;
  gboolean export_mode;
  Rows rows; /* list */
} ListContext;

/* The archive's fields of a record (`index show`, `index export`), names from rows.c's table. */
static const FieldId record_fields[] = { F_GROUP, F_STATUS, F_DATE, F_DATE_TEXT, F_BYTES, F_BATCH, F_ADDED,
                                         F_BEST_MATCH, F_JACCARD, F_CONTAINMENT };

/* Writes the values of record_fields for `r` into `rows` (in a row the caller began). */
static void
write_record_values(Rows *rows, const NdIndexRecord *r)
{
  char date[ND_DATE_ISO_SIZE];
  if (r->has_date)
    nd_date_format_utc(r->date_utc, date);
  rows_integer(rows, F_GROUP, r->group);
  rows_string(rows, F_STATUS, r->kept ? "kept" : "dropped");
  rows_string(rows, F_DATE, r->has_date ? date : NULL);
  rows_string(rows, F_DATE_TEXT, r->date);
  rows_integer(rows, F_BYTES, r->bytes);
  rows_integer(rows, F_BATCH, r->batch);
  rows_string(rows, F_ADDED, r->added);
  rows_string(rows, F_BEST_MATCH, r->match_id);
  if (r->match_id != NULL) {
    rows_number(rows, F_JACCARD, r->jaccard);
    rows_number(rows, F_CONTAINMENT, r->containment);
  } else {
    rows_null(rows, F_JACCARD);
    rows_null(rows, F_CONTAINMENT);
  }
}

/* Them as a JSON object of their own (export's "neardup" member). Caller frees. */
static char *
record_fields_json(const NdIndexRecord *r)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  if (fp == NULL)
    g_error("open_memstream: %s", g_strerror(errno));
  Rows rows;
  rows_init(&rows, fp, FORMAT_JSON, record_fields, G_N_ELEMENTS(record_fields));
  rows.nested = TRUE;
  rows_begin(&rows);
  write_record_values(&rows, r);
  rows_end(&rows);
  fclose(fp);
  return buf;
}

/* The fields of `index export`: a record --jsonl reads back (id, text, the metadata's members),
 * then the archive's fields in one object. */
static const FieldId export_fields[] = { F_ID, F_TEXT, F_METADATA, F_NEARDUP };

static gboolean
list_record(const NdIndexRecord *r, const char *text, gsize text_len, gpointer data)
{
  ListContext *c = data;
  FILE *fp = c->fp;
  (void)text_len; /* texts hold no NUL byte: written up to it */
  c->n_rows++;
  char date[ND_DATE_ISO_SIZE] = "";
  if (r->has_date)
    nd_date_format_utc(r->date_utc, date);
  if (c->export_mode) {
    g_autofree char *archive_fields = record_fields_json(r);
    if (text == NULL)
      c->without_text++;
    rows_begin(&c->rows);
    rows_string(&c->rows, F_ID, r->id);
    rows_string(&c->rows, F_TEXT, text);
    rows_json_members(&c->rows, F_METADATA, r->metadata);
    rows_json(&c->rows, F_NEARDUP, archive_fields);
    rows_end(&c->rows);
  } else {
    Rows *rows = &c->rows;
    rows_begin(rows);
    rows_string(rows, F_ID, r->id);
    rows_integer(rows, F_GROUP, r->group);
    rows_string(rows, F_STATUS, r->kept ? "kept" : "dropped");
    rows_string(rows, F_DATE, r->has_date ? date : NULL);
    rows_integer(rows, F_BYTES, r->bytes);
    rows_integer(rows, F_BATCH, r->batch);
    rows_string(rows, F_ADDED, r->added);
    rows_string(rows, F_BEST_MATCH, r->match_id);
    if (r->match_id != NULL) {
      rows_number(rows, F_JACCARD, r->jaccard);
      rows_number(rows, F_CONTAINMENT, r->containment);
    } else {
      rows_null(rows, F_JACCARD);
      rows_null(rows, F_CONTAINMENT);
    }
    rows_string(rows, F_DATE_TEXT, r->date);
    rows_json(rows, F_METADATA, r->metadata);
    rows_end(rows);
  }
  return !ferror(fp) && !cli_interrupted();
}

/* list and export: the same walk, two outputs. */
static int
index_browse(int argc, char **argv, gboolean export_mode)
{
  const char *sub = export_mode ? "export" : "list";
  char **args = NULL, **where = NULL, *format_name = NULL, *output = NULL;
  gint64 group = 0;
  GOptionEntry entries[] = {
    { "group", 'g', 0, G_OPTION_ARG_INT64, &group, "Only the members of group N", "N" },
    { "where", 'w', 0, G_OPTION_ARG_STRING_ARRAY, &where, "Only articles meeting COND (repeatable; see --help)", "COND" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "list: text, json or csv (default: text)", "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE (atomically) instead of stdout", "FILE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autofree char *summary = g_strdup_printf("DB - %s archived articles", export_mode ? "export" : "list");
  g_autoptr(GOptionContext) ctx = g_option_context_new(summary);
  g_option_context_set_description(ctx, index_description);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  ListContext lc = { FORMAT_TEXT, NULL, 0, 0, export_mode, { 0 } };
  g_autoptr(GPtrArray) conds = g_ptr_array_new_with_free_func((GDestroyNotify)nd_index_condition_free);
  int code = EXIT_OK;
  const char *db = NULL;
  if (!cli_parse(ctx, &argc, &argv, &error) || args == NULL || g_strv_length(args) != 1 || group < 0 ||
      !parse_format(format_name, &lc.format) || (export_mode && format_name != NULL && lc.format != FORMAT_JSON)) {
    code = usage_error(sub, "%s", error ? error->message : export_mode ? "give one index file (export writes JSON Lines)"
                                                                       : "give one index file (format text, json or csv)");
  } else {
    db = args[0];
  }
  for (char **w = where; db != NULL && code == EXIT_OK && w && *w; w++) {
    NdIndexCondition *c = nd_index_condition_parse(*w, &error);
    if (c == NULL)
      code = usage_error(sub, "%s", error->message);
    else
      g_ptr_array_add(conds, c);
  }
  guint problems = 0;
  g_autoptr(NdIndex) ix = NULL;
  Output out = { 0 };
  gboolean opened = FALSE;
  if (db != NULL && code == EXIT_OK && (ix = open_index(db, FALSE, &problems)) == NULL)
    code = EXIT_FATAL;
  if (db != NULL && code == EXIT_OK && !(opened = output_open(&out, output)))
    code = EXIT_FATAL;
  if (db != NULL && code == EXIT_OK && !output_refuse_input(&out, sub, db, "index"))
    code = EXIT_USAGE;
  if (db != NULL && code == EXIT_OK) {
    lc.fp = out.fp;
    if (export_mode) {
      rows_init(&lc.rows, lc.fp, FORMAT_JSON, export_fields, G_N_ELEMENTS(export_fields));
    } else {
      rows_init(&lc.rows, lc.fp, lc.format, list_fields, G_N_ELEMENTS(list_fields));
      if (lc.format == FORMAT_TEXT)
        rows_text_layout(&lc.rows, list_text, G_N_ELEMENTS(list_text), NULL);
      rows_header(&lc.rows);
    }
    if (!nd_index_foreach(ix, (guint64)group, (NdIndexCondition *const *)conds->pdata, conds->len, export_mode,
                          list_record, &lc, &error)) {
      cli_message("%s", error->message);
      code = EXIT_FATAL;
    } else if (cli_interrupted()) {
      code = cli_interrupt_exit();
    } else if (!output_commit(&out)) {
      code = cli_failure_exit();
    } else {
      code = problems ? EXIT_INPUT_ERRORS : EXIT_OK;
      if (export_mode)
        cli_message("exported %" G_GUINT64_FORMAT " article%s from %s%s", lc.n_rows, lc.n_rows == 1 ? "" : "s", db,
                    lc.without_text ? " (some without their text, which is not stored)" : "");
    }
  }
  if (opened)
    output_abort(&out);
  rows_clear(&lc.rows);
  g_strfreev(args);
  g_strfreev(where);
  g_free(format_name);
  g_free(output);
  return code;
}

/* The fields of `index show --format json`: the article, its archive fields, its counts, its group's
 * members (objects of member_fields) and its text. */
static const FieldId show_fields[] = { F_ID, F_GROUP, F_STATUS, F_DATE, F_DATE_TEXT, F_BYTES, F_BATCH, F_ADDED,
                                       F_BEST_MATCH, F_JACCARD, F_CONTAINMENT, F_TOKENS, F_SHINGLES, F_ANCHORS,
                                       F_METADATA, F_MEMBERS, F_TEXT };
static const FieldId member_fields[] = { F_ID, F_STATUS };
/* A member in text: its status, then its id, under the article's "group members:". */
static const TextColumn member_text[] = { { F_STATUS, NULL, NULL }, { F_ID, NULL, NULL } };

typedef struct {
  Rows rows; /* JSON: objects inside the caller's array; text: lines */
  guint64 n;
} MembersContext;

static gboolean
show_member(const NdIndexRecord *r, const char *text, gsize len, gpointer data)
{
  (void)text;
  (void)len;
  MembersContext *m = data;
  if (m->rows.format == FORMAT_JSON && m->n > 0)
    fputc(',', m->rows.fp);
  m->n++;
  rows_begin(&m->rows);
  rows_string(&m->rows, F_ID, r->id);
  rows_string(&m->rows, F_STATUS, r->kept ? "kept" : "dropped");
  rows_end(&m->rows);
  return !ferror(m->rows.fp);
}

static int
index_show(int argc, char **argv)
{
  char **args = NULL, *format_name = NULL;
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "Output format: text, json or csv (default: text)", "FORMAT" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &args, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("DB ID... - show archived articles");
  g_option_context_set_description(ctx, index_description);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  OutputFormat format;
  if (!cli_parse(ctx, &argc, &argv, &error) || args == NULL || g_strv_length(args) < 2 ||
      !parse_format(format_name, &format)) {
    int code = usage_error("show", "%s", error ? error->message : "give the index file and ids (format text, json or csv)");
    g_strfreev(args);
    g_free(format_name);
    return code;
  }
  guint problems = 0, missing = 0;
  g_autoptr(NdIndex) ix = open_index(args[0], FALSE, &problems);
  int code = ix == NULL ? EXIT_FATAL : EXIT_OK;
  if (code == EXIT_OK && format == FORMAT_CSV) { /* one header, a row per article (members as a JSON array) */
    Rows header;
    rows_init(&header, stdout, FORMAT_CSV, show_fields, G_N_ELEMENTS(show_fields));
    rows_header(&header);
    rows_clear(&header);
  }
  for (guint i = 1; code == EXIT_OK && args[i] != NULL; i++) {
    NdIndexRecord r;
    g_autoptr(GError) local = NULL;
    if (!nd_index_get_record(ix, args[i], &r, &local)) {
      cli_message("%s", local->message);
      if (local->code != ND_ERROR_NOT_FOUND)
        code = EXIT_FATAL;
      missing++;
      continue;
    }
    gsize len = 0;
    g_autofree char *text = r.has_text ? nd_index_get_text(ix, args[i], &len, &local) : NULL;
    if (r.has_text && text == NULL) {
      cli_message("%s", local->message);
      problems++;
    }
    char date[ND_DATE_ISO_SIZE] = "";
    if (r.has_date)
      nd_date_format_utc(r.date_utc, date);
    MembersContext m = { { 0 }, 0 };
    char *members = NULL; /* JSON and CSV: the members array */
    size_t members_len = 0;
    if (format != FORMAT_TEXT) {
      FILE *mfp = open_memstream(&members, &members_len);
      if (mfp == NULL)
        g_error("open_memstream: %s", g_strerror(errno));
      rows_init(&m.rows, mfp, FORMAT_JSON, member_fields, G_N_ELEMENTS(member_fields));
      m.rows.nested = TRUE;
      fputc('[', mfp);
    } else {
      printf("%s\n  group          %" G_GUINT64_FORMAT " (%s)\n", r.id, r.group, r.kept ? "kept" : "dropped");
      printf("  date           %s%s%s%s\n", r.has_date ? date : "none", r.date ? " (written \"" : "",
             r.date ? r.date : "", r.date ? "\")" : "");
      printf("  added          batch %" G_GUINT64_FORMAT ", %s\n", r.batch, r.added ? r.added : "?");
      if (r.match_id)
        printf("  joined through %s (jaccard %.4f, %.0f%% of it found there)\n", r.match_id, r.jaccard,
               100 * r.containment);
      printf("  size           %" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT " words, %" G_GUINT64_FORMAT
             " shingles, %" G_GUINT64_FORMAT " anchors\n", r.bytes, r.tokens, r.set_size, r.n_anchors);
      if (r.metadata)
        printf("  metadata       %s\n", r.metadata);
      printf("  group members:\n");
      rows_init(&m.rows, stdout, FORMAT_TEXT, member_fields, G_N_ELEMENTS(member_fields));
      rows_text_layout(&m.rows, member_text, G_N_ELEMENTS(member_text), "    ");
    }
    if (!nd_index_foreach(ix, r.group, NULL, 0, FALSE, show_member, &m, &local)) {
      cli_message("%s", local->message);
      code = EXIT_FATAL;
    }
    if (format != FORMAT_TEXT) {
      fputc(']', m.rows.fp);
      fclose(m.rows.fp);
      g_autofree char *members_array = members;
      Rows rows;
      rows_init(&rows, stdout, format, show_fields, G_N_ELEMENTS(show_fields));
      rows_begin(&rows);
      rows_string(&rows, F_ID, r.id);
      write_record_values(&rows, &r);
      rows_integer(&rows, F_TOKENS, r.tokens);
      rows_integer(&rows, F_SHINGLES, r.set_size);
      rows_integer(&rows, F_ANCHORS, r.n_anchors);
      rows_json(&rows, F_METADATA, r.metadata);
      rows_json(&rows, F_MEMBERS, members_array);
      rows_string(&rows, F_TEXT, text);
      rows_end(&rows);
    } else {
      printf("  text:\n%s%s", text ? text : "    (not stored)\n", text && len && text[len - 1] != '\n' ? "\n" : "");
    }
    rows_clear(&m.rows);
    nd_index_record_clear(&r);
  }
  g_strfreev(args);
  g_free(format_name);
  if (code == EXIT_OK && (missing || problems))
    code = EXIT_INPUT_ERRORS;
  return code;
}

static int
index_check(int argc, char **argv)
{
  char **args = NULL;
  GOptionEntry entries[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("DB - check everything an index holds");
  g_option_context_set_description(ctx, index_description);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!cli_parse(ctx, &argc, &argv, &error) || args == NULL || g_strv_length(args) != 1) {
    int code = usage_error("check", "%s", error ? error->message : "give one index file");
    g_strfreev(args);
    return code;
  }
  guint problems = 0;
  g_autoptr(NdIndex) ix = open_index(args[0], FALSE, &problems);
  int code = EXIT_FATAL;
  guint64 found = 0;
  NdIndexStats s;
  if (ix != NULL) {
    progress_start(FALSE);
    gboolean ok = nd_index_check(ix, &found, &error) && nd_index_stats(ix, &s, &error);
    progress_stop();
    if (!ok) {
      cli_message("%s", error->message);
    } else if (found > 0) {
      cli_message("%s: %" G_GUINT64_FORMAT " problem%s found (listed above)", args[0], found, found == 1 ? "" : "s");
    } else {
      cli_message("%s: sound: %" G_GUINT64_FORMAT " articles in %" G_GUINT64_FORMAT " groups, %" G_GUINT64_FORMAT
                  " band keys and %" G_GUINT64_FORMAT " passage anchors, every page, row and block checked", args[0],
                  s.articles, s.groups, s.band_keys, s.anchors);
      code = EXIT_OK;
    }
  }
  g_strfreev(args);
  return code;
}

static int
index_upgrade(int argc, char **argv)
{
  char **args = NULL, *date_field = NULL;
  GOptionEntry entries[] = {
    { "date-field", 0, 0, G_OPTION_ARG_STRING, &date_field, "Metadata field with the publication date (default: date)", "NAME" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("OLD NEW - copy an older index into a new one");
  g_option_context_set_description(ctx, index_description);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!cli_parse(ctx, &argc, &argv, &error) || args == NULL || g_strv_length(args) != 2) {
    int code = usage_error("upgrade", "%s", error ? error->message : "give the old index and the new file");
    g_strfreev(args);
    g_free(date_field);
    return code;
  }
  progress_start(FALSE);
  guint64 n = 0;
  gboolean ok = nd_index_upgrade(args[0], args[1], date_field ? date_field : "date", cli_index_progress, NULL, &n,
                                 &error);
  progress_stop();
  if (ok)
    cli_message("upgraded %s into %s: %" G_GUINT64_FORMAT " articles, each a group of its own", args[0], args[1], n);
  else
    cli_message("%s", error->message);
  g_strfreev(args);
  g_free(date_field);
  return ok ? EXIT_OK : EXIT_FATAL;
}

static int
index_list(int argc, char **argv)
{
  return index_browse(argc, argv, FALSE);
}

static int
index_export(int argc, char **argv)
{
  return index_browse(argc, argv, TRUE);
}

int
cmd_index(int argc, char **argv)
{
  static const struct {
    const char *name;
    int (*run)(int, char **);
  } subs[] = { { "create", index_create }, { "add", index_add }, { "remove", index_remove }, { "stats", index_stats },
               { "list", index_list }, { "show", index_show }, { "export", index_export }, { "check", index_check },
               { "upgrade", index_upgrade } };
  if (argc >= 2) {
    for (gsize i = 0; i < G_N_ELEMENTS(subs); i++)
      if (strcmp(argv[1], subs[i].name) == 0) {
        g_autofree char *prg = g_strdup_printf("neardup index %s", subs[i].name);
        g_set_prgname(prg);
        return subs[i].run(argc - 1, argv + 1);
      }
  }
  FILE *fp = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout : stderr;
  fprintf(fp, "Usage: neardup index create|add|remove|stats|list|show|export|check|upgrade DB ...\n\n%s",
          index_description);
  return fp == stdout ? EXIT_OK : EXIT_USAGE;
}
