/* cmd_dedup.c — `neardup dedup PATH... [--index DB]`: group near-duplicates within a batch and
 * against the archive, keep one article per group by a stated policy, and write a manifest. */
#include "cli.h"
#include <json-glib/json-glib.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

static const char dedup_description[] =
  "Groups the batch's near-duplicates (Jaccard >= --threshold, or one article contained in the\n"
  "other >= --containment, default 0.8 here: a reprint inside page chrome is a duplicate, an\n"
  "article that quotes another is not) with each other and, with --index, with archived articles.\n"
  "Keeps one article per group and writes a manifest (stdout or -o FILE):\n"
  "  --keep first     the first in input order (default)\n"
  "  --keep longest   the one with the most bytes (ties: the first)\n"
  "  --keep earliest  the earliest --date-field value (JSON Lines metadata, compared as text, so\n"
  "                   ISO 8601 dates sort correctly; articles without a date count as latest)\n"
  "A group that contains an archived article keeps the archived one: every batch member is dropped\n"
  "as its duplicate. Inputs are never deleted, moved or modified.\n"
  "\n"
  "Manifest (JSON Lines, or CSV with --format csv): one row per batch article with id, group,\n"
  "status (kept or dropped), duplicate_of (the kept article's id, or null), duplicate_in_index\n"
  "(true when that is an archived article), similarity (Jaccard with it, or null).\n"
  "  --copy-to DIR  copy the kept articles into DIR, each made from the article's own text (with\n"
  "                 --link: a hard link to its own input file, if that still holds what was read).\n"
  "                 Names come from ids, percent-encoded so that each id has its own name (files keep\n"
  "                 their relative paths, JSON Lines records become DIR/ID.txt; a long name is cut\n"
  "                 and ends in ~HASH). Existing files are never overwritten (one that already holds\n"
  "                 the article counts as copied, so a rerun completes an interrupted run), and\n"
  "                 symbolic links inside DIR are never followed. The manifest's \"copy\" field gives\n"
  "                 each kept article's copy, relative to DIR.\n"
  "  --add          add the kept articles to the --index in one transaction, after the copies: an\n"
  "                 article whose copy failed is reported and not added (the next run retries it);\n"
  "                 articles already archived (same id) are not added again\n"
  "\n"
  "Outputs never replace an input: -o naming the index (or its -wal/-shm file) or an input file is\n"
  "refused with exit status 2 before anything is written.\n"
  "\n" CLI_EXIT_CODES_HELP;

typedef struct {
  guint group;
  gint keeper;         /* batch index of the kept member, or -1 when an archived article is kept */
  char *archived_id;   /* the archived article kept for this group */
} Group;

/* The date of a document for --keep earliest: the string value of `field` in its metadata. */
static char *
document_date(const NdDocument *doc, const char *field)
{
  if (doc->meta == NULL)
    return NULL;
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_data(parser, doc->meta, -1, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  if (!JSON_NODE_HOLDS_OBJECT(root))
    return NULL;
  JsonNode *v = json_object_get_member(json_node_get_object(root), field); /* top level only */
  if (v == NULL || !JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_STRING)
    return NULL;
  return g_strdup(json_node_get_string(v));
}

int
cmd_dedup(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  cli.containment = 0.8;
  cli.default_format = "json";
  char *index_path = NULL, *keep_name = NULL, *date_field = NULL, *copy_to = NULL;
  gboolean add = FALSE, link_it = FALSE;
  g_autoptr(GOptionContext) ctx = g_option_context_new("PATH... - keep one article per group of near-duplicates");
  g_option_context_set_description(ctx, dedup_description);
  find_cli_add_options(&cli, ctx, OPT_INPUTS | OPT_SIGNING | OPT_MATCHING | OPT_OUTPUT);
  GOptionEntry extra[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path, "Also group with the articles archived in DB", "DB" },
    { "keep", 0, 0, G_OPTION_ARG_STRING, &keep_name, "Which article of a group to keep: first, longest or earliest (default: first)", "POLICY" },
    { "date-field", 0, 0, G_OPTION_ARG_STRING, &date_field, "Metadata field with the publication date (default: date)", "NAME" },
    { "copy-to", 0, 0, G_OPTION_ARG_FILENAME, &copy_to, "Copy the kept articles into DIR", "DIR" },
    { "link", 0, 0, G_OPTION_ARG_NONE, &link_it, "With --copy-to: hard-link instead of copying where possible", NULL },
    { "add", 0, 0, G_OPTION_ARG_NONE, &add, "Add the kept articles to the --index", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_option_context_add_main_entries(ctx, extra, NULL);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  enum { KEEP_FIRST, KEEP_LONGEST, KEEP_EARLIEST } keep = KEEP_FIRST;
  g_autoptr(NdIndex) ix = NULL;
  NdCollection *coll = NULL;
  GArray *pairs = NULL;
  guint skipped = 0, index_problems = 0;

  if (!cli_parse(ctx, &argc, &argv, &error)) {
    cli_error("dedup", "%s (see --help)", error->message);
    code = EXIT_USAGE;
    goto out;
  }
  if (keep_name == NULL || strcmp(keep_name, "first") == 0)
    keep = KEEP_FIRST;
  else if (strcmp(keep_name, "longest") == 0)
    keep = KEEP_LONGEST;
  else if (strcmp(keep_name, "earliest") == 0)
    keep = KEEP_EARLIEST;
  else {
    cli_error("dedup", "--keep takes first, longest or earliest");
    code = EXIT_USAGE;
    goto out;
  }
  if (add && index_path == NULL) {
    cli_error("dedup", "--add needs --index DB");
    code = EXIT_USAGE;
    goto out;
  }
  if (cli.format_name == NULL)
    cli.format_name = g_strdup("json");
  if (index_path != NULL) {
    ix = nd_index_open(index_path, add, &error);
    if (ix == NULL) {
      fprintf(stderr, "neardup: %s\n", error->message);
      code = EXIT_FATAL;
      goto out;
    }
    cli_index_watch(ix, &index_problems);
  }
  {
    NdSignParams fixed;
    if (ix != NULL) {
      fixed = *nd_index_sign_params(ix);
      fixed.keep_text = add || copy_to != NULL;
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
    cli.sign.keep_text = add || copy_to != NULL;
  }
  Output out; /* opened first: an output that cannot be written fails before the work */
  if (!output_open(&out, cli.output)) {
    code = EXIT_FATAL;
    goto out;
  }
  if (index_path != NULL && !output_refuse_input(&out, "dedup", index_path, "index")) {
    output_abort(&out);
    code = EXIT_USAGE;
    goto out;
  }
  if (!find_cli_run(&cli, &coll, &pairs, &skipped, &code)) {
    output_abort(&out);
    goto out;
  }
  {
    guint n = nd_collection_size(coll);
    /* Archived matches of every batch article: nodes n, n+1, ... in the union-find. A batch article
     * whose id is archived is that archived article (a batch run again): it shares its node. */
    g_autoptr(GPtrArray) archived_ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) archived_node = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(NdPair));
    g_autofree gboolean *already = g_new0(gboolean, n); /* the batch article is archived already */
    g_autoptr(GArray) self_of = g_array_new(FALSE, FALSE, sizeof(gint)); /* archived node -> batch article, or -1 */
    g_array_append_vals(all, pairs->data, pairs->len);
    for (guint i = 0; ix != NULL && i < n; i++) {
      if (cli_interrupted()) {
        code = cli_interrupt_exit();
        goto done;
      }
      const NdDocument *d = nd_collection_get(coll, i);
      g_autoptr(GArray) matches = nd_index_query(ix, d, &cli.find, &error);
      if (matches == NULL) {
        fprintf(stderr, "neardup: %s\n", error->message);
        code = EXIT_FATAL;
        goto done;
      }
      for (guint m = 0; m < matches->len; m++) {
        NdIndexMatch *x = &g_array_index(matches, NdIndexMatch, m);
        gpointer node = g_hash_table_lookup(archived_node, x->id);
        if (node == NULL) {
          g_ptr_array_add(archived_ids, g_strdup(x->id));
          gint none = -1;
          g_array_append_val(self_of, none);
          node = GUINT_TO_POINTER(n + archived_ids->len); /* stored +1 so that 0 means absent */
          g_hash_table_insert(archived_node, g_ptr_array_index(archived_ids, archived_ids->len - 1), node);
        }
        if (strcmp(x->id, d->id) == 0) {
          already[i] = TRUE;
          g_array_index(self_of, gint, GPOINTER_TO_UINT(node) - 1 - n) = (gint)i;
        }
        NdPair p = x->scores;
        p.a = i;
        p.b = GPOINTER_TO_UINT(node) - 1;
        g_array_append_val(all, p);
      }
    }
    if (index_problems > 0 && code == EXIT_OK)
      code = EXIT_INPUT_ERRORS; /* archived rows named above were skipped */
    guint total = n + archived_ids->len;
    g_autofree guint *cluster_of = g_new0(guint, total);
    guint n_clusters = nd_cluster_assign((const NdPair *)all->data, all->len, total, cluster_of);
    /* Keeper of each cluster: an archived member if any (the batch's own copy of it when the batch
     * holds one), else by policy. */
    g_autofree gint *keeper = g_new(gint, n_clusters + 1);
    for (guint c = 0; c <= n_clusters; c++)
      keeper[c] = -1;
    g_autofree gint *archived_keeper = g_new(gint, n_clusters + 1);
    for (guint c = 0; c <= n_clusters; c++)
      archived_keeper[c] = -1;
    for (guint v = n; v < total; v++) {
      gint *k = &archived_keeper[cluster_of[v]];
      if (*k < 0 || (g_array_index(self_of, gint, *k) < 0 && g_array_index(self_of, gint, v - n) >= 0))
        *k = (gint)(v - n);
    }
    g_autoptr(GPtrArray) dates = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < n; i++)
      g_ptr_array_add(dates, keep == KEEP_EARLIEST ? document_date(nd_collection_get(coll, i), date_field ? date_field : "date") : NULL);
    for (guint i = 0; i < n; i++) {
      guint c = cluster_of[i];
      if (c == 0)
        continue;
      gint k = keeper[c];
      gboolean better = k < 0;
      if (!better && keep == KEEP_LONGEST)
        better = nd_collection_get(coll, i)->bytes > nd_collection_get(coll, (guint)k)->bytes;
      if (!better && keep == KEEP_EARLIEST) {
        const char *di = g_ptr_array_index(dates, i), *dk = g_ptr_array_index(dates, (guint)k);
        better = di != NULL && (dk == NULL || strcmp(di, dk) < 0);
      }
      if (better)
        keeper[c] = (gint)i;
    }
    /* Each batch article: kept, or dropped as the duplicate of dup_of[i] (an archived id when
     * dup_archived[i]) with Jaccard sim[i]. */
    g_autofree const char **dup_of = g_new0(const char *, n);
    g_autofree gboolean *dup_archived = g_new0(gboolean, n);
    g_autofree double *sim = g_new(double, n);
    g_autoptr(GArray) kept = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint i = 0; i < n; i++) {
      const NdDocument *d = nd_collection_get(coll, i);
      guint c = cluster_of[i];
      sim[i] = -1;
      if (c != 0 && archived_keeper[c] >= 0 && g_array_index(self_of, gint, archived_keeper[c]) != (gint)i) {
        dup_of[i] = g_ptr_array_index(archived_ids, (guint)archived_keeper[c]);
        dup_archived[i] = TRUE;
        for (guint p = pairs->len; p < all->len; p++) {
          const NdPair *q = &g_array_index(all, NdPair, p);
          if (q->a == i && q->b == n + (guint)archived_keeper[c])
            sim[i] = q->jaccard;
        }
      } else if (c != 0 && archived_keeper[c] < 0 && keeper[c] != (gint)i) {
        const NdDocument *kd = nd_collection_get(coll, (guint)keeper[c]);
        dup_of[i] = kd->id;
        NdPair q;
        nd_score_pair(d, kd, cli.sign.num_perm, cli.find.verify, &q);
        sim[i] = q.jaccard;
      }
      if (dup_of[i] == NULL)
        g_array_append_val(kept, i);
    }

    /* Copies first: only an article whose copy is in DIR is archived, so that the archive and the
     * copy directory agree after any interruption, and a rerun completes the work. */
    g_autoptr(GPtrArray) copy_names = g_ptr_array_new_with_free_func(g_free); /* per batch article, or NULL */
    g_ptr_array_set_size(copy_names, (gint)n);
    g_autofree gboolean *copy_failed = g_new0(gboolean, n);
    guint copied = 0, copy_failures = 0;
    if (copy_to != NULL) {
      CopyDir *cd = copy_dir_open(copy_to, link_it, &error);
      if (cd == NULL) {
        fprintf(stderr, "neardup: %s\n", error->message);
        code = EXIT_FATAL;
        goto done;
      }
      for (guint k = 0; k < kept->len && !cli_interrupted(); k++) {
        guint i = g_array_index(kept, guint, k);
        const NdDocument *d = nd_collection_get(coll, i);
        char *name = copy_name(d->id, d->path != NULL, d->path != NULL ? NULL : ".txt");
        g_autoptr(GError) local = NULL;
        CopyResult result;
        if (copy_dir_put(cd, d, name, &result, &local)) {
          g_ptr_array_index(copy_names, i) = name;
          copied++;
        } else {
          g_free(name);
          if (cli_interrupted())
            break;
          fprintf(stderr, "neardup: %s: not copied: %s\n", d->id, local->message);
          copy_failed[i] = TRUE;
          copy_failures++;
        }
      }
      copy_dir_close(cd);
      if (copy_failures > 0)
        code = EXIT_FATAL; /* an output could not be written (the rest was done) */
    }
    if (cli_interrupted()) {
      code = cli_interrupt_exit();
      g_autofree char *copies = copy_to != NULL ? g_strdup_printf("; %u of %u kept articles are in %s (each "
                                                                  "complete)", copied, kept->len, copy_to) : NULL;
      fprintf(stderr, "neardup: no manifest was written%s%s\n", copies ? copies : "",
              add ? "; nothing was added to the index" : "");
      goto done;
    }
    guint added = 0, already_there = 0;
    gboolean add_failed = FALSE;
    if (add) {
      gboolean ok = nd_index_begin(ix, &error);
      for (guint k = 0; ok && k < kept->len && !cli_interrupted(); k++) {
        guint i = g_array_index(kept, guint, k);
        if (copy_failed[i])
          continue;
        if (already[i]) {
          already_there++;
          continue;
        }
        g_autoptr(GError) local = NULL;
        if (nd_index_add(ix, nd_collection_get(coll, i), &local)) {
          added++;
        } else if (local->code == ND_ERROR_DUPLICATE_ID) {
          already_there++; /* archived under this id, though it did not match itself (edited since) */
          fprintf(stderr, "neardup: %s\n", local->message);
        } else {
          g_propagate_error(&error, g_steal_pointer(&local));
          ok = FALSE;
        }
      }
      if (ok && cli_interrupted()) {
        nd_index_rollback(ix);
        code = cli_interrupt_exit();
        fprintf(stderr, "neardup: no manifest was written; the add was rolled back: %s is unchanged\n", index_path);
        goto done;
      }
      if (ok)
        ok = nd_index_commit(ix, &error);
      else
        nd_index_rollback(ix);
      if (!ok) {
        fprintf(stderr, "neardup: %s: nothing was added\n", error->message);
        add_failed = TRUE;
        code = EXIT_FATAL;
      }
    }

    /* The manifest. Group numbers: clusters in order of first batch member, then singletons get
     * their own numbers, all in input order. */
    g_autofree guint *group_no = g_new0(guint, n_clusters + 1);
    guint next_group = 0;
    FILE *fp = out.fp;
    if (cli.format == FORMAT_CSV)
      fputs("id,group,status,duplicate_of,duplicate_in_index,similarity,already_archived,copy\n", fp);
    for (guint i = 0; i < n; i++) {
      const NdDocument *d = nd_collection_get(coll, i);
      guint c = cluster_of[i], g;
      if (c == 0) {
        g = ++next_group;
      } else {
        if (group_no[c] == 0)
          group_no[c] = ++next_group;
        g = group_no[c];
      }
      const char *status = dup_of[i] ? "dropped" : "kept";
      const char *copy = g_ptr_array_index(copy_names, i);
      if (cli.format == FORMAT_JSON) {
        fputs("{\"id\":", fp);
        json_write_string(fp, d->id);
        fprintf(fp, ",\"group\":%u,\"status\":\"%s\",\"duplicate_of\":", g, status);
        if (dup_of[i])
          json_write_string(fp, dup_of[i]);
        else
          fputs("null", fp);
        fprintf(fp, ",\"duplicate_in_index\":%s,\"similarity\":", dup_archived[i] ? "true" : "false");
        if (sim[i] >= 0)
          fprintf(fp, "%.4f", sim[i]);
        else
          fputs("null", fp);
        fprintf(fp, ",\"already_archived\":%s,\"copy\":", already[i] ? "true" : "false");
        if (copy)
          json_write_string(fp, copy);
        else
          fputs("null", fp);
        fputs("}\n", fp);
      } else {
        csv_write_field(fp, d->id);
        fprintf(fp, ",%u,%s,", g, status);
        csv_write_field(fp, dup_of[i] ? dup_of[i] : "");
        fprintf(fp, ",%s,", dup_archived[i] ? "true" : "false");
        if (sim[i] >= 0)
          fprintf(fp, "%.4f", sim[i]);
        fprintf(fp, ",%s,", already[i] ? "true" : "false");
        csv_write_field(fp, copy ? copy : "");
        fputc('\n', fp);
      }
    }
    if (!output_commit(&out)) {
      code = cli_failure_exit();
      goto done;
    }
    fprintf(stderr, "neardup: %u articles, %u kept, %u dropped as duplicates\n", n, kept->len, n - kept->len);
    if (copy_to != NULL)
      fprintf(stderr, "neardup: %u kept article%s in %s%s\n", copied, copied == 1 ? "" : "s", copy_to,
              !copy_failures ? "" : add ? "; the others could not be copied (see above) and were not added"
                                        : "; the others could not be copied (see above)");
    if (add && !add_failed) {
      g_autofree char *there = already_there ? g_strdup_printf(" (%u already archived)", already_there) : NULL;
      fprintf(stderr, "neardup: added %u kept article%s to %s%s\n", added, added == 1 ? "" : "s", index_path,
              there ? there : "");
    }
  }
done:
  output_abort(&out); /* nothing when it was committed */
  g_array_unref(pairs);
  nd_collection_free(coll);
out:
  find_cli_clear(&cli);
  g_free(index_path);
  g_free(keep_name);
  g_free(date_field);
  g_free(copy_to);
  return code;
}
