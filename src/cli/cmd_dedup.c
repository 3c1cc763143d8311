/* cmd_dedup.c — `neardup dedup PATH... [--index DB [--add]]`: the batch's articles grouped with each
 * other and with the archive's groups (the plan: dedup.h), copies of the kept articles, the batch
 * archived, and a manifest saying for every article which group and kept article it belongs to and
 * why. */
#include "render.h"
#include <string.h>

static const char dedup_description[] =
  "Groups the batch's near-duplicates (Jaccard >= --threshold, or one article contained in the\n"
  "other >= --containment, default 0.8 here: a reprint inside page chrome is a duplicate, an\n"
  "article that quotes another is not) with each other and, with --index, with the archive's\n"
  "groups: every archived article, kept or dropped, is compared, and an article joins the group of\n"
  "its best match (archived groups never merge). Each group keeps one article:\n"
  "  --keep first     a new group keeps its first article in input order (default)\n"
  "  --keep longest   ... the one with the most bytes (ties: the first)\n"
  "  --keep earliest  ... the one with the earliest date (--date-field of the metadata, read as a\n"
  "                   date: ISO 8601, RFC 2822/RSS, HTTP, \"11 March 2026\", Unix time; ties: the\n"
  "                   first)\n"
  "  --rekeep never|earliest|longest   an archived group keeps its kept article (never, the\n"
  "                   default), or a batch member replaces it when it is earlier (or longer); the\n"
  "                   replaced article is reported as superseded\n"
  "  --date-missing last|first|mtime   an article without a readable date counts as the latest\n"
  "                   (default) or the earliest, or takes its file's modification time. Dates that\n"
  "                   cannot be read are reported once, with their count.\n"
  "Inputs are never deleted, moved or modified.\n"
  "\n"
  "Manifest (JSON Lines, or CSV with --format csv): one row per batch article, then one per\n"
  "archived kept article a batch member replaces (status superseded). group is the archive's group\n"
  "number, or the number a new group gets; duplicate_of the group's kept article; best_match the\n"
  "article it joined through, jaccard and containment (the share of this article found there) its\n"
  "scores; date the date in UTC, as understood; already_archived: the article itself is archived (a\n"
  "batch run again); copy its copy, relative to DIR.\n"
  "  --copy-to DIR  copy the kept articles into DIR, each made from the article's own text (with\n"
  "                 --link: a hard link to its own input file, if that still holds what was read).\n"
  "                 Names come from ids, percent-encoded so that each id has its own name (files keep\n"
  "                 their relative paths, JSON Lines records become DIR/ID.txt; a long name is cut\n"
  "                 and ends in ~HASH). Existing files are never overwritten (one that already holds\n"
  "                 the article counts as copied, so a rerun completes an interrupted run), and\n"
  "                 symbolic links inside DIR are never followed.\n"
  "  --copy-format txt|jsonl  the text itself (default), or its record as one JSON Lines line\n"
  "                 (id, text and metadata), named NAME.jsonl\n"
  "  --add          archive the batch in the --index, in one transaction, after the copies: every\n"
  "                 article with its group, kept or dropped; a group whose kept article could not be\n"
  "                 copied is reported and not archived (the next run retries it); articles already\n"
  "                 archived are not added again. Running a batch again changes nothing.\n"
  "\n"
  "Outputs never replace an input: -o naming the index (or its -wal/-shm file) or an input file is\n"
  "refused with exit status 2 before anything is written.\n"
  "\n";

typedef struct {
  gboolean has_date;
  NdDate date;
  char *date_text;
  gboolean archived;     /* the article itself is archived */
  NdIndexRecord record;  /* ... its record */
  char *copy;            /* its copy's name, or NULL */
} Item;

static const char *const status_names[] = { "kept", "dropped", "superseded" };

/* The columns of the manifest (CSV order since 0.2; new fields go last). */
static const FieldId manifest_fields[] = { F_ID, F_GROUP, F_STATUS, F_DUPLICATE_OF, F_DUPLICATE_IN_INDEX,
                                           F_BEST_MATCH, F_BEST_MATCH_IN_INDEX, F_JACCARD, F_CONTAINMENT,
                                           F_DATE, F_ALREADY_ARCHIVED, F_COPY };

/* One manifest row. */
typedef struct {
  const char *id;
  guint64 group;
  const char *status;
  const char *duplicate_of; /* NULL for a kept article */
  gboolean duplicate_in_index;
  const char *best_match;   /* NULL: none (then no scores) */
  gboolean best_match_in_index;
  double jaccard, containment;
  gboolean has_date;
  gint64 date_utc;
  gboolean already_archived;
  const char *copy;
} ManifestRow;

static void
write_manifest_row(Rows *r, gconstpointer data)
{
  const ManifestRow *m = data;
  rows_string(r, F_ID, m->id);
  rows_integer(r, F_GROUP, m->group);
  rows_string(r, F_STATUS, m->status);
  rows_string(r, F_DUPLICATE_OF, m->duplicate_of);
  rows_boolean(r, F_DUPLICATE_IN_INDEX, m->duplicate_in_index);
  rows_string(r, F_BEST_MATCH, m->best_match);
  rows_boolean(r, F_BEST_MATCH_IN_INDEX, m->best_match_in_index);
  if (m->best_match != NULL) {
    rows_number(r, F_JACCARD, m->jaccard);
    rows_number(r, F_CONTAINMENT, m->containment);
  } else {
    rows_null(r, F_JACCARD);
    rows_null(r, F_CONTAINMENT);
  }
  char iso[ND_DATE_ISO_SIZE];
  if (m->has_date)
    nd_date_format_utc(m->date_utc, iso);
  rows_string(r, F_DATE, m->has_date ? iso : NULL);
  rows_boolean(r, F_ALREADY_ARCHIVED, m->already_archived);
  rows_string(r, F_COPY, m->copy);
}

/* The record of a document as one JSON Lines line: its id and text under the input's field names,
 * then its metadata members. */
static GString *
record_line(const NdDocument *d, const char *id_field, const char *text_field)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  fputc('{', fp);
  json_write_string(fp, id_field);
  fputc(':', fp);
  json_write_string(fp, d->id);
  fputc(',', fp);
  json_write_string(fp, text_field);
  fputc(':', fp);
  json_write_string(fp, d->text);
  if (d->meta != NULL && d->meta[0] == '{' && strcmp(d->meta, "{}") != 0) {
    fputc(',', fp);
    fwrite(d->meta + 1, 1, strlen(d->meta) - 2, fp);
  }
  fputs("}\n", fp);
  fclose(fp);
  GString *s = g_string_new_len(buf, (gssize)len);
  free(buf);
  return s;
}

/* The passages document d shares with its best match (a batch document or an archived text). */
static NdDiff *
passages_with(NdIndex *ix, const NdDocument *d, const NdDocument *other_doc, const char *other_id,
              const NdSignParams *sp, GArray *ta, GArray *tb, char **archived_text, Side *sa, Side *sb)
{
  gsize len = 0;
  const char *text = NULL;
  if (other_doc != NULL) {
    text = other_doc->text;
    len = other_doc->bytes;
  } else if (ix != NULL) {
    g_autoptr(GError) error = NULL;
    *archived_text = nd_index_get_text(ix, other_id, &len, &error);
    if (*archived_text == NULL) {
      cli_message("%s: no passages: %s", d->id, error->message);
      return NULL;
    }
    text = *archived_text;
  }
  if (text == NULL || d->text == NULL)
    return NULL;
  /* the batch article was signed from its text, and an archived text is read lossily: no error */
  NdDiff *diff = nd_diff_pair(d->text, d->bytes, sp->text_flags, text, len, ND_TEXT_LOSSY, sp->shingle.mode, NULL, ta,
                              tb, NULL);
  *sa = (Side){ d->id, d->text, d->bytes, (const NdToken *)(void *)ta->data, ta->len, d->map };
  /* offsets into the page for a batch article; into the archived text otherwise */
  *sb = (Side){ other_id, text, len, (const NdToken *)(void *)tb->data, tb->len,
                other_doc != NULL ? other_doc->map : NULL };
  return diff;
}

int
cmd_dedup(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  cli.containment = 0.8;
  cli.default_format = "json";
  char *index_path = NULL, *keep_name = NULL, *rekeep_name = NULL, *date_field = NULL, *date_missing = NULL;
  char *copy_to = NULL, *copy_format = NULL;
  gboolean add = FALSE, link_it = FALSE, show_stats = FALSE, exclusive = FALSE;
  gint busy_ms = 10000;
  cli.score = 0; /* the containment rule: a rewrite is not a duplicate */
  g_autoptr(GOptionContext) ctx = g_option_context_new("PATH... - keep one article per group of near-duplicates");
  g_autofree char *description = fields_help(dedup_description, manifest_fields, G_N_ELEMENTS(manifest_fields),
                                             PASSAGES_FIELDS_HELP);
  g_option_context_set_description(ctx, description);
  find_cli_add_options(&cli, ctx, OPT_INPUTS | OPT_SIGNING | OPT_MATCHING | OPT_OUTPUT | OPT_PASSAGES);
  GOptionEntry extra[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path, "Also group with the articles archived in DB", "DB" },
    { "keep", 0, 0, G_OPTION_ARG_STRING, &keep_name, "Which article a new group keeps: first, longest or earliest (default: first)", "POLICY" },
    { "rekeep", 0, 0, G_OPTION_ARG_STRING, &rekeep_name, "Whether a batch member replaces an archived group's kept article: never, earliest or longest (default: never)", "POLICY" },
    { "date-field", 0, 0, G_OPTION_ARG_STRING, &date_field, "Metadata field with the publication date (default: date)", "NAME" },
    { "date-missing", 0, 0, G_OPTION_ARG_STRING, &date_missing, "An article without a date counts as: last, first, or its file's mtime (default: last)", "RULE" },
    { "copy-to", 0, 0, G_OPTION_ARG_FILENAME, &copy_to, "Copy the kept articles into DIR", "DIR" },
    { "copy-format", 0, 0, G_OPTION_ARG_STRING, &copy_format, "Copies as txt (the text) or jsonl (the record with its metadata) (default: txt)", "FORMAT" },
    { "link", 0, 0, G_OPTION_ARG_NONE, &link_it, "With --copy-to: hard-link instead of copying where possible", NULL },
    { "add", 0, 0, G_OPTION_ARG_NONE, &add, "Archive the batch in the --index", NULL },
    { "busy-timeout", 0, 0, G_OPTION_ARG_INT, &busy_ms, "With --add: milliseconds to wait for another writer (default: 10000)", "MS" },
    { "exclusive", 0, 0, G_OPTION_ARG_NONE, &exclusive, "With --add: take " CLI_EXCLUSIVE_HELP, NULL },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &show_stats, "Print the time of each phase on stderr", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_option_context_add_main_entries(ctx, extra, NULL);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  NdDedupOptions dopt = { ND_KEEP_FIRST, ND_REKEEP_NEVER, ND_DATE_MISSING_LAST };
  gboolean use_mtime = FALSE, jsonl_copies = FALSE;
  g_autoptr(NdIndex) ix = NULL;
  NdCollection *coll = NULL;
  GArray *pairs = NULL;
  guint skipped = 0, index_problems = 0;
  Output out = { 0 };
  gboolean out_open = FALSE;
  Item *items = NULL;
  guint n_items = 0;

  if (!cli_parse(ctx, &argc, &argv, &error)) {
    cli_error("dedup", "%s (see --help)", error->message);
    code = EXIT_USAGE;
    goto out;
  }
  static const char *const keep_names[] = { "first", "longest", "earliest" };
  static const char *const rekeep_names[] = { "never", "earliest", "longest" };
  static const char *const missing_names[] = { "last", "first", "mtime" };
  int keep = 0, rekeep = 0, missing = 0;
  for (keep = 0; keep_name != NULL && keep < 3 && strcmp(keep_name, keep_names[keep]) != 0; keep++)
    ;
  for (rekeep = 0; rekeep_name != NULL && rekeep < 3 && strcmp(rekeep_name, rekeep_names[rekeep]) != 0; rekeep++)
    ;
  for (missing = 0; date_missing != NULL && missing < 3 && strcmp(date_missing, missing_names[missing]) != 0; missing++)
    ;
  const char *usage = keep == 3 ? "--keep takes first, longest or earliest"
                    : rekeep == 3 ? "--rekeep takes never, earliest or longest"
                    : missing == 3 ? "--date-missing takes last, first or mtime"
                    : copy_format != NULL && strcmp(copy_format, "txt") != 0 && strcmp(copy_format, "jsonl") != 0
                      ? "--copy-format takes txt or jsonl"
                    : add && index_path == NULL ? "--add needs --index DB"
                    : rekeep != 0 && index_path == NULL ? "--rekeep needs --index DB"
                    : copy_format != NULL && strcmp(copy_format, "jsonl") == 0 && link_it
                      ? "--link makes hard links to the input files: it cannot write --copy-format jsonl"
                    : NULL;
  if (usage != NULL) {
    cli_error("dedup", "%s", usage);
    code = EXIT_USAGE;
    goto out;
  }
  dopt = (NdDedupOptions){ (NdKeepPolicy)keep, (NdRekeepPolicy)rekeep,
                           missing == 1 ? ND_DATE_MISSING_FIRST : ND_DATE_MISSING_LAST };
  use_mtime = missing == 2;
  jsonl_copies = copy_format != NULL && strcmp(copy_format, "jsonl") == 0;
  if (cli.format_name == NULL)
    cli.format_name = g_strdup("json");
  if (index_path != NULL) {
    ix = nd_index_open(index_path, add, &error);
    if (ix == NULL) {
      cli_message("%s", error->message);
      code = EXIT_FATAL;
      goto out;
    }
    output_protect_index(index_path);
    cli_index_watch(ix, &index_problems);
    nd_index_set_busy_timeout(ix, (guint)MAX(busy_ms, 0));
    nd_index_set_exclusive(ix, exclusive);
  }
  {
    NdSignParams fixed;
    if (ix != NULL) {
      fixed = *nd_index_sign_params(ix);
      fixed.keep_text = add || copy_to != NULL || cli.passages;
    }
    if (!find_cli_finish_options_for(&cli, "dedup", ix ? &fixed : NULL)) {
      code = EXIT_USAGE;
      goto out;
    }
    if (cli.format == FORMAT_TEXT) {
      cli_error("dedup", "the manifest is JSON Lines or CSV (--format json or csv)");
      code = EXIT_USAGE;
      goto out;
    }
    /* every archived article keeps its text (a kept one is copied); --passages needs them */
    cli.sign.keep_text = add || copy_to != NULL || cli.passages;
    /* Kept texts are wanted only once the batch is planned, one at a time (archived, copied): they
     * wait in a temporary file, not in memory (400 MB for 100,000 articles). Passages align
     * pairs in any order, so they keep the texts in memory. */
    cli.spool_texts = !cli.passages;
    if (ix != NULL)
      cli.exact_limit = 0; /* archived articles are scored exactly: every batch article keeps its set */
  }
  if (!(out_open = output_open(&out, cli.output))) { /* opened first: fails before the work */
    code = EXIT_FATAL;
    goto out;
  }
  if (index_path != NULL && !output_refuse_input(&out, "dedup", index_path, "index")) {
    code = EXIT_USAGE;
    goto out;
  }
  gint64 t0 = g_get_monotonic_time();
  if (!find_cli_run(&cli, &coll, &pairs, &skipped, &code))
    goto out;
  {
    guint n = nd_collection_size(coll);
    items = g_new0(Item, n + 1);
    n_items = n;
    DateReport dates = { 0 };
    const char *field = date_field ? date_field : "date";
    for (guint i = 0; i < n; i++)
      items[i].has_date = cli_document_date(nd_collection_get(coll, i), field, use_mtime, &items[i].date,
                                            &items[i].date_text, &dates);
    date_report_print(&dates);
    /* With --add, the archive is locked (and checked) before it is read: the plan is made on the
     * state the batch is added to. */
    if (add && !nd_index_begin(ix, &error)) {
      cli_message("%s", error->message);
      code = EXIT_FATAL;
      goto done;
    }
    g_autoptr(GPtrArray) matches = NULL;               /* per article not archived: NdIndexMatch */
    g_autoptr(GArray) groups = g_array_new(FALSE, TRUE, sizeof(NdIndexGroup));
    g_array_set_clear_func(groups, (GDestroyNotify)nd_index_group_clear);
    g_autoptr(GHashTable) described = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    guint64 next_group = 1;
    g_autofree NdDedupArticle *arts = g_new0(NdDedupArticle, n + 1);
    for (guint i = 0; i < n; i++) {
      const NdDocument *d = nd_collection_get(coll, i);
      arts[i] = (NdDedupArticle){ .id = d->id, .bytes = d->bytes, .has_date = items[i].has_date, .date = items[i].date.utc };
    }
    if (ix != NULL) {
      progress_phase("matching the archive", "", 0);
      /* A batch article whose id is archived is that article (a batch run again). */
      g_autoptr(GPtrArray) fresh = g_ptr_array_new();
      for (guint i = 0; i < n && !cli_interrupted(); i++) {
        const NdDocument *d = nd_collection_get(coll, i);
        g_autoptr(GError) local = NULL;
        int held = nd_index_holds(ix, d, &items[i].record, &local);
        if (held < 0 && local != NULL) {
          cli_message("%s", local->message);
          code = EXIT_FATAL;
          goto done;
        }
        if (held != 0) {
          if (held < 0)
            cli_message("%s: archived already with another text; the archived article stands", d->id);
          items[i].archived = TRUE;
          arts[i].archived_group = items[i].record.group;
          arts[i].archived_kept = items[i].record.kept;
          arts[i].archived_match = items[i].record.match_id;
          arts[i].archived_jaccard = items[i].record.jaccard;
          arts[i].archived_containment = items[i].record.containment;
        } else {
          g_ptr_array_add(fresh, (gpointer)d);
        }
      }
      matches = nd_index_match(ix, (const NdDocument *const *)fresh->pdata, fresh->len, &cli.find, &error);
      if (matches == NULL || cli_interrupted() || !nd_index_next_group(ix, &next_group, &error)) {
        if (!cli_interrupted())
          cli_message("%s", error->message);
        code = cli_interrupted() ? cli_interrupt_exit() : EXIT_FATAL;
        goto done;
      }
      /* The groups the plan needs described: those matched, and those of archived batch articles. */
      for (guint f = 0; f < matches->len; f++) {
        GArray *m = g_ptr_array_index(matches, f);
        for (guint k = 0; k < m->len; k++)
          g_hash_table_add(described, g_memdup2(&g_array_index(m, NdIndexMatch, k).group, sizeof(guint64)));
      }
      for (guint i = 0; i < n; i++)
        if (items[i].archived)
          g_hash_table_add(described, g_memdup2(&arts[i].archived_group, sizeof(guint64)));
      GHashTableIter it;
      gpointer key;
      g_hash_table_iter_init(&it, described);
      while (g_hash_table_iter_next(&it, &key, NULL)) {
        NdIndexGroup g;
        if (!nd_index_get_group(ix, *(guint64 *)key, &g, &error)) {
          cli_message("%s", error->message);
          code = EXIT_FATAL;
          goto done;
        }
        g_array_append_val(groups, g);
      }
      if (index_problems > 0 && code == EXIT_OK)
        code = EXIT_INPUT_ERRORS; /* archived rows named above were skipped */
    }
    g_autoptr(NdDedupPlan) plan = nd_dedup_plan_new(&dopt, arts, n);
    nd_dedup_plan_add_pairs(plan, (const NdPair *)(void *)pairs->data, pairs->len);
    if (matches != NULL) {
      guint f = 0;
      for (guint i = 0; i < n; i++) {
        if (items[i].archived)
          continue;
        GArray *m = g_ptr_array_index(matches, f++);
        for (guint k = 0; k < m->len; k++) {
          const NdIndexMatch *x = &g_array_index(m, NdIndexMatch, k);
          nd_dedup_plan_add_archived(plan, i, x->group, x->id, &x->scores);
        }
      }
    }
    for (guint g = 0; g < groups->len; g++) {
      const NdIndexGroup *ig = &g_array_index(groups, NdIndexGroup, g);
      NdDedupGroup dg = { ig->group, ig->kept.id, ig->kept.bytes, ig->kept.has_date, ig->kept.date_utc };
      nd_dedup_plan_add_group(plan, &dg);
    }
    if (!nd_dedup_plan_solve(plan, next_group, &error)) {
      cli_message("%s", error->message);
      code = EXIT_FATAL;
      goto done;
    }

    /* Copies first: only a group whose kept article is in DIR is archived, so that the archive and
     * the copy directory agree after any interruption, and a rerun completes the work. */
    guint kept_in_batch = 0, copied = 0, copy_failures = 0;
    for (guint i = 0; i < n; i++)
      kept_in_batch += nd_dedup_plan_result(plan, i)->status == ND_DEDUP_KEPT;
    if (copy_to != NULL) {
      CopyDir *cd = copy_dir_open(copy_to, link_it, &error);
      if (cd == NULL) {
        cli_message("%s", error->message);
        code = EXIT_FATAL;
        goto done;
      }
      progress_phase("copying", "articles", kept_in_batch);
      const char *idf = cli.id_field ? cli.id_field : "id", *txf = cli.text_field ? cli.text_field : "text";
      for (guint i = 0; i < n && !cli_interrupted(); i++) {
        if (nd_dedup_plan_result(plan, i)->status != ND_DEDUP_KEPT)
          continue;
        progress_add(1);
        const NdDocument *d = nd_collection_get(coll, i);
        /* a record becomes ID.txt (or ID.jsonl); a file keeps its path (plus .jsonl) */
        char *name = copy_name(d->id, d->path != NULL, jsonl_copies ? ".jsonl" : d->path != NULL ? NULL : ".txt");
        g_autoptr(GError) local = NULL;
        CopyResult result;
        gboolean done_copy;
        if (!nd_collection_load_text(coll, i, &local)) {
          done_copy = FALSE;
        } else if (jsonl_copies) {
          GString *line = record_line(d, d->path != NULL ? "id" : idf, d->path != NULL ? "text" : txf);
          done_copy = copy_dir_put_bytes(cd, d, line->str, line->len, name, &result, &local);
          g_string_free(line, TRUE);
        } else {
          done_copy = copy_dir_put(cd, d, name, &result, &local);
        }
        nd_collection_unload_text(coll, i);
        if (done_copy) {
          items[i].copy = name;
          copied++;
        } else {
          g_free(name);
          if (cli_interrupted())
            break;
          cli_message("%s: not copied: %s", d->id, local->message);
          nd_dedup_plan_withdraw(plan, i);
          copy_failures++;
        }
      }
      copy_dir_close(cd);
      if (copy_failures > 0)
        code = EXIT_FATAL; /* an output could not be written (the rest was done) */
    }
    if (cli_interrupted()) {
      code = cli_interrupt_exit();
      progress_stop();
      g_autofree char *copies = copy_to != NULL ? g_strdup_printf("; %u of %u kept articles are in %s (each "
                                                                  "complete)", copied, kept_in_batch, copy_to) : NULL;
      cli_message("no manifest was written%s%s", copies ? copies : "", add ? "; nothing was added to the index" : "");
      goto done;
    }
    guint64 added = 0, added_kept = 0, already = 0;
    gboolean add_failed = FALSE;
    if (add) {
      progress_phase("writing", "articles", n);
      gboolean ok = TRUE;
      for (guint i = 0; ok && i < n && !cli_interrupted(); i++) {
        progress_add(1);
        if (items[i].archived) {
          already++;
          continue;
        }
        if (!nd_dedup_plan_to_archive(plan, i))
          continue;
        const NdDedupResult *r = nd_dedup_plan_result(plan, i);
        NdIndexEntry entry = { r->group, r->status == ND_DEDUP_KEPT, r->match_id, r->jaccard, r->containment,
                               items[i].has_date ? &items[i].date : NULL, items[i].date_text };
        if (!nd_collection_load_text(coll, i, &error) || !nd_index_add_entry(ix, nd_collection_get(coll, i), &entry, &error))
          ok = FALSE;
        nd_collection_unload_text(coll, i);
        added++;
        added_kept += entry.kept;
      }
      if (ok && cli_interrupted()) {
        nd_index_rollback(ix);
        code = cli_interrupt_exit();
        progress_stop();
        cli_message("no manifest was written; the add was rolled back: %s is unchanged", index_path);
        goto done;
      }
      progress_phase("committing", "", 0);
      if (ok)
        ok = nd_index_commit(ix, &error);
      else
        nd_index_rollback(ix);
      if (!ok) {
        progress_stop();
        cli_message("%s: nothing was added", error->message);
        add_failed = TRUE;
        code = EXIT_FATAL;
      }
    }
    progress_stop();

    /* The manifest: a row per batch article, then the archived kept articles the batch replaced. */
    FILE *fp = out.fp;
    NdSignParams sp = cli.sign;
    g_autoptr(GArray) ta = g_array_new(FALSE, FALSE, sizeof(NdToken));
    g_autoptr(GArray) tb = g_array_new(FALSE, FALSE, sizeof(NdToken));
    FieldId cols[G_N_ELEMENTS(manifest_fields) + 16];
    guint n_cols = columns_with_passages(cols, manifest_fields, G_N_ELEMENTS(manifest_fields), cli.format,
                                         cli.passages);
    Rows rows;
    rows_init(&rows, fp, cli.format, cols, n_cols);
    rows_header(&rows);
    guint n_kept = 0, n_dropped = 0, n_joined_archive = 0;
    for (guint i = 0; i < n && !ferror(fp); i++) {
      const NdDocument *d = nd_collection_get(coll, i);
      const NdDedupResult *r = nd_dedup_plan_result(plan, i);
      gboolean kept = r->status == ND_DEDUP_KEPT;
      n_dropped += r->status == ND_DEDUP_DROPPED;
      n_kept += kept;
      n_joined_archive += !r->new_group && !items[i].archived;
      ManifestRow row = {
        .id = d->id, .group = r->group, .status = status_names[r->status],
        .duplicate_of = kept ? NULL : r->kept_id, .duplicate_in_index = !kept && r->kept_article < 0,
        .best_match = r->match_id, .best_match_in_index = r->match_id != NULL && r->match_article < 0,
        .jaccard = r->jaccard, .containment = r->containment, .has_date = items[i].has_date,
        .date_utc = items[i].date.utc, .already_archived = items[i].archived, .copy = items[i].copy,
      };
      g_autofree char *archived_text = NULL;
      Side sa = { 0 }, sb = { 0 };
      g_autoptr(NdDiff) diff = NULL;
      if (cli.passages && r->match_id != NULL) {
        const NdDocument *other = r->match_article >= 0 ? nd_collection_get(coll, (guint)r->match_article) : NULL;
        diff = passages_with(ix, d, other, r->match_id, &sp, ta, tb, &archived_text, &sa, &sb);
      }
      rows_write_with_passages(&rows, cli.passages, &sa, &sb, diff, write_manifest_row, &row);
    }
    guint n_superseded = 0;
    const NdDedupSuperseded *sup = nd_dedup_plan_superseded(plan, &n_superseded);
    for (guint k = 0; k < n_superseded; k++) {
      gboolean in_batch = FALSE;
      for (guint i = 0; i < n && !in_batch; i++)
        in_batch = items[i].archived && strcmp(nd_collection_get(coll, i)->id, sup[k].id) == 0;
      if (in_batch)
        continue; /* its row is above */
      const NdIndexRecord *old = NULL; /* the superseded article as archived: its match and date */
      for (guint g = 0; g < groups->len && old == NULL; g++)
        if (g_array_index(groups, NdIndexGroup, g).group == sup[k].group)
          old = &g_array_index(groups, NdIndexGroup, g).kept;
      gboolean has_match = old != NULL && old->match_id != NULL;
      ManifestRow row = {
        .id = sup[k].id, .group = sup[k].group, .status = "superseded",
        .duplicate_of = nd_collection_get(coll, sup[k].new_kept)->id, .duplicate_in_index = FALSE,
        .best_match = has_match ? old->match_id : NULL, .best_match_in_index = has_match,
        .jaccard = has_match ? old->jaccard : 0, .containment = has_match ? old->containment : 0,
        .has_date = old != NULL && old->has_date, .date_utc = old != NULL ? old->date_utc : 0,
        .already_archived = TRUE, .copy = NULL,
      };
      /* its passages are not computed: the archived kept article is not compared again */
      rows_write_with_passages(&rows, cli.passages, NULL, NULL, NULL, write_manifest_row, &row);
    }
    if (!output_commit(&out)) {
      code = cli_failure_exit();
      goto done;
    }
    double secs = (g_get_monotonic_time() - t0) / 1e6;
    GString *line = g_string_new(NULL);
    g_string_append_printf(line, "%u articles: %u kept, %u dropped as duplicates", n, n_kept, n_dropped);
    if (ix != NULL)
      g_string_append_printf(line, " (%u joined archived groups, %u new groups)", n_joined_archive,
                             nd_dedup_plan_new_groups(plan));
    if (n_superseded)
      g_string_append_printf(line, "; %u archived kept article%s superseded", n_superseded,
                             n_superseded == 1 ? "" : "s");
    if (copy_to != NULL)
      g_string_append_printf(line, "; %u kept article%s in %s%s", copied, copied == 1 ? "" : "s", copy_to,
                             copy_failures ? (add ? " (the others could not be copied and their groups were not "
                                                    "archived)" : " (the others could not be copied)") : "");
    if (add && !add_failed) {
      g_string_append_printf(line, "; added %" G_GUINT64_FORMAT " article%s (%" G_GUINT64_FORMAT " kept) to %s",
                             added, added == 1 ? "" : "s", added_kept, index_path);
      if (already)
        g_string_append_printf(line, " (%" G_GUINT64_FORMAT " already archived)", already);
    }
    g_string_append_printf(line, "; %.1f s", secs);
    if (show_stats) {
      g_autofree char *t = progress_timings();
      cli_message("phases: %s", t);
    }
    cli_message("%s", line->str);
    g_string_free(line, TRUE);
  }
done:
  for (guint i = 0; i < n_items; i++) {
    g_free(items[i].date_text);
    g_free(items[i].copy);
    nd_index_record_clear(&items[i].record);
  }
  g_free(items);
  progress_stop();
  if (pairs != NULL)
    g_array_unref(pairs);
  nd_collection_free(coll);
out:
  progress_stop();
  if (out_open)
    output_abort(&out); /* nothing when it was committed */
  find_cli_clear(&cli);
  g_free(index_path);
  g_free(keep_name);
  g_free(rekeep_name);
  g_free(date_field);
  g_free(date_missing);
  g_free(copy_to);
  g_free(copy_format);
  return code;
}
