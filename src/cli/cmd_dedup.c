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
  "  --copy-to DIR  copy the kept articles into DIR (files keep their relative paths; JSON Lines\n"
  "                 records become DIR/ID.txt); existing files are never overwritten; --link makes\n"
  "                 hard links instead of copies where possible\n"
  "  --add          add the kept articles to the --index in one transaction\n"
  "\n" CLI_EXIT_CODES_HELP;

typedef struct {
  guint group;
  gint keeper;         /* batch index of the kept member, or -1 when an archived article is kept */
  char *archived_id;   /* the archived article kept for this group */
} Group;

/* A relative destination for a kept article: a path made safe to join under DIR (no leading '/',
 * no "..") for files; "ID.txt" with '/' replaced for JSON Lines ids. */
static char *
destination_name(const char *id, gboolean from_file)
{
  if (!from_file) {
    g_autofree char *safe = g_strdelimit(g_strdup(id), "/\\", '_');
    return g_strconcat(safe[0] == '.' ? "_" : "", safe, ".txt", NULL);
  }
  g_auto(GStrv) parts = g_strsplit(id, "/", -1);
  GString *out = g_string_new(NULL);
  for (guint i = 0; parts[i]; i++) {
    if (parts[i][0] == '\0' || strcmp(parts[i], ".") == 0 || strcmp(parts[i], "..") == 0)
      continue;
    if (out->len)
      g_string_append_c(out, '/');
    g_string_append(out, parts[i]);
  }
  return g_string_free(out, FALSE);
}

/* Writes `len` bytes to DIR/name (through a temporary file linked into place, see write_new_file);
 * refuses to replace an existing file. */
static gboolean
copy_out(const char *dir, const char *name, const char *src_path, const char *text, gsize len, gboolean link_it,
         GError **error)
{
  g_autofree char *dest = g_build_filename(dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname(dest);
  if (g_mkdir_with_parents(parent, 0777) != 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: cannot create directory: %s", parent, g_strerror(errno));
    return FALSE;
  }
  struct stat st;
  if (lstat(dest, &st) == 0) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: already exists; not overwritten", dest);
    return FALSE;
  }
  if (link_it && src_path != NULL && link(src_path, dest) == 0)
    return TRUE;
  return write_new_file(dest, text, len, error);
}

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
  cli.score = 0; /* the containment rule: a rewrite is not a duplicate */
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
  guint skipped = 0;

  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
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
  if (!find_cli_run(&cli, &coll, &pairs, &skipped, &code)) {
    output_abort(&out);
    goto out;
  }
  {
    guint n = nd_collection_size(coll);
    /* Archived matches of every batch article: nodes n, n+1, ... in the union-find. */
    g_autoptr(GPtrArray) archived_ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) archived_node = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(NdPair));
    g_array_append_vals(all, pairs->data, pairs->len);
    for (guint i = 0; ix != NULL && i < n; i++) {
      if (cli_interrupted()) {
        code = cli_interrupt_exit();
        goto done;
      }
      g_autoptr(GArray) matches = nd_index_query(ix, nd_collection_get(coll, i), &cli.find, &error);
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
          node = GUINT_TO_POINTER(n + archived_ids->len); /* stored +1 so that 0 means absent */
          g_hash_table_insert(archived_node, g_ptr_array_index(archived_ids, archived_ids->len - 1), node);
        }
        NdPair p = x->scores;
        p.a = i;
        p.b = GPOINTER_TO_UINT(node) - 1;
        g_array_append_val(all, p);
      }
    }
    guint total = n + archived_ids->len;
    g_autofree guint *cluster_of = g_new0(guint, total);
    guint n_clusters = nd_cluster_assign((const NdPair *)all->data, all->len, total, cluster_of);
    /* Keeper of each cluster: an archived member if any, else by policy. */
    g_autofree gint *keeper = g_new(gint, n_clusters + 1);
    for (guint c = 0; c <= n_clusters; c++)
      keeper[c] = -1;
    g_autofree gint *archived_keeper = g_new(gint, n_clusters + 1);
    for (guint c = 0; c <= n_clusters; c++)
      archived_keeper[c] = -1;
    for (guint v = n; v < total; v++)
      if (archived_keeper[cluster_of[v]] < 0)
        archived_keeper[cluster_of[v]] = (gint)(v - n);
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
    /* Group numbers for the manifest: clusters in order of first batch member, then singletons get
     * their own numbers, all in input order. */
    g_autofree guint *group_no = g_new0(guint, n_clusters + 1);
    guint next_group = 0;
    g_autoptr(GArray) kept = g_array_new(FALSE, FALSE, sizeof(guint));
    FILE *fp = out.fp;
    if (cli.format == FORMAT_CSV)
      fputs("id,group,status,duplicate_of,duplicate_in_index,similarity\n", fp);
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
      const char *dup_of = NULL;
      gboolean in_index = FALSE;
      double sim = -1;
      if (c != 0 && archived_keeper[c] >= 0) {
        dup_of = g_ptr_array_index(archived_ids, (guint)archived_keeper[c]);
        in_index = TRUE;
        for (guint p = pairs->len; p < all->len; p++) {
          const NdPair *q = &g_array_index(all, NdPair, p);
          if (q->a == i && q->b == n + (guint)archived_keeper[c])
            sim = q->jaccard;
        }
      } else if (c != 0 && keeper[c] != (gint)i) {
        const NdDocument *kd = nd_collection_get(coll, (guint)keeper[c]);
        dup_of = kd->id;
        NdPair q;
        nd_score_pair(d, kd, cli.sign.num_perm, cli.find.verify, &q);
        sim = q.jaccard;
      }
      gboolean is_kept = dup_of == NULL;
      if (is_kept)
        g_array_append_val(kept, i);
      if (cli.format == FORMAT_JSON) {
        fputs("{\"id\":", fp);
        json_write_string(fp, d->id);
        fprintf(fp, ",\"group\":%u,\"status\":\"%s\",\"duplicate_of\":", g, is_kept ? "kept" : "dropped");
        if (dup_of)
          json_write_string(fp, dup_of);
        else
          fputs("null", fp);
        fprintf(fp, ",\"duplicate_in_index\":%s,\"similarity\":", in_index ? "true" : "false");
        if (sim >= 0)
          fprintf(fp, "%.4f}\n", sim);
        else
          fputs("null}\n", fp);
      } else {
        csv_write_field(fp, d->id);
        fprintf(fp, ",%u,%s,", g, is_kept ? "kept" : "dropped");
        csv_write_field(fp, dup_of ? dup_of : "");
        fprintf(fp, ",%s,", in_index ? "true" : "false");
        if (sim >= 0)
          fprintf(fp, "%.4f", sim);
        fputc('\n', fp);
      }
    }
    if (!output_commit(&out)) {
      code = cli_failure_exit();
      goto done;
    }
    fprintf(stderr, "neardup: %u articles, %u kept, %u dropped as duplicates\n", n, kept->len, n - kept->len);
    guint copied = 0;
    if (copy_to != NULL) {
      for (guint k = 0; k < kept->len && !cli_interrupted(); k++) {
        const NdDocument *d = nd_collection_get(coll, g_array_index(kept, guint, k));
        gboolean from_file = d->meta == NULL && strcmp(d->id, "-") != 0 && g_file_test(d->id, G_FILE_TEST_IS_REGULAR);
        g_autofree char *name = destination_name(d->id, from_file);
        g_autoptr(GError) local = NULL;
        if (!copy_out(copy_to, name, from_file ? d->id : NULL, d->text, d->bytes, link_it, &local)) {
          if (cli_interrupted())
            break;
          fprintf(stderr, "neardup: %s\n", local->message);
          code = EXIT_FATAL;
        } else {
          copied++;
        }
      }
    }
    if (cli_interrupted()) {
      code = cli_interrupt_exit();
      g_autofree char *copies = copy_to != NULL ? g_strdup_printf("; %u of %u kept articles were copied (each "
                                                                  "completely)", copied, kept->len) : NULL;
      fprintf(stderr, "neardup: the manifest was written%s%s\n", copies ? copies : "",
              add ? "; nothing was added to the index" : "");
      goto done;
    }
    if (add && code != EXIT_FATAL) {
      gboolean ok = nd_index_begin(ix, &error);
      guint added = 0;
      for (guint k = 0; ok && k < kept->len && !cli_interrupted(); k++) {
        g_autoptr(GError) local = NULL;
        if (nd_index_add(ix, nd_collection_get(coll, g_array_index(kept, guint, k)), &local)) {
          added++;
        } else if (local->code == ND_ERROR_DUPLICATE_ID) {
          fprintf(stderr, "neardup: %s\n", local->message);
        } else {
          g_propagate_error(&error, g_steal_pointer(&local));
          ok = FALSE;
        }
      }
      if (ok && cli_interrupted()) {
        nd_index_rollback(ix);
        code = cli_interrupt_exit();
        fprintf(stderr, "neardup: the manifest was written; the add was rolled back: %s is unchanged\n", index_path);
        goto done;
      }
      if (ok)
        ok = nd_index_commit(ix, &error);
      else
        nd_index_rollback(ix);
      if (!ok) {
        fprintf(stderr, "neardup: %s: nothing was added\n", error->message);
        code = EXIT_FATAL;
      } else {
        fprintf(stderr, "neardup: added %u kept article%s to %s\n", added, added == 1 ? "" : "s", index_path);
      }
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
