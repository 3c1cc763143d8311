/* eval_direction.c — who took from whom, measured end to end: runs the real `neardup pairs` on a
 * corpus from `gen_corpus --dates --direction` (copies and excerpt articles dated after their source;
 * the truth names each planted pair's source) twice, with the dates and without them (--date-field
 * naming a field no record has), and reports how often the `source` field names the planted source.
 *
 *   gen_corpus -n 5000 --jsonl c.jsonl --truth c.truth --dates --direction
 *   eval_direction c.jsonl c.truth [--neardup PATH]
 *
 * Counted over the planted (source, copy) pairs (two copies of one source have no direction and are
 * left out): found (reported by pairs), right (source = the planted source), wrong, undecided (null).
 * Accuracy = right / found: the direction of the pairs the tool reports; right / planted is printed
 * beside it. The targets (issue 16): >= 95% with dates, >= 85% without.
 */
#include <neardup/neardup.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
pair_key(const char *a, const char *b)
{
  return strcmp(a, b) < 0 ? g_strconcat(a, "\t", b, NULL) : g_strconcat(b, "\t", a, NULL);
}

static char *
default_neardup(const char *argv0)
{
  g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
  g_autofree char *dir = g_path_get_dirname(self ? self : argv0);
  return g_build_filename(dir, "..", "neardup", NULL);
}

/* Runs `neardup pairs` on the corpus; returns pair key -> source id ("" when null). */
static GHashTable *
run_pairs(const char *neardup, const char *corpus, gboolean dates, double *seconds)
{
  const char *argv[] = { neardup, "pairs", "--jsonl", corpus, "--format", "json", "--date-field",
                         dates ? "date" : "no-such-field", NULL };
  g_autofree char *out = NULL, *err = NULL;
  gint status = 0;
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time();
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error) ||
      !g_spawn_check_wait_status(status, NULL)) {
    fprintf(stderr, "eval_direction: %s failed: %s%s\n", neardup, error ? error->message : "", err ? err : "");
    exit(1);
  }
  *seconds = (g_get_monotonic_time() - t0) / 1e6;
  GHashTable *sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  for (char **l = lines; *l; l++) {
    if (**l == '\0' || !json_parser_load_from_data(parser, *l, -1, NULL))
      continue;
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    const char *a = json_object_get_string_member(o, "a"), *b = json_object_get_string_member(o, "b");
    JsonNode *s = json_object_get_member(o, "source");
    const char *source = s != NULL && !JSON_NODE_HOLDS_NULL(s) ? json_node_get_string(s) : "";
    g_hash_table_insert(sources, pair_key(a, b), g_strdup(source));
  }
  return sources;
}

typedef struct {
  guint planted, found, right, wrong, undecided;
} Tally;

static void
tally(GHashTable *sources, char **truth_lines, Tally *t, const char *kind)
{
  memset(t, 0, sizeof *t);
  for (char **l = truth_lines + 1; *l; l++) {
    g_auto(GStrv) f = g_strsplit(*l, "\t", -1);
    if (g_strv_length(f) < 5 || strcmp(f[4], "-") == 0 || (kind != NULL && strcmp(f[2], kind) != 0))
      continue;
    t->planted++;
    g_autofree char *key = pair_key(f[0], f[1]);
    const char *got = g_hash_table_lookup(sources, key);
    if (got == NULL)
      continue;
    t->found++;
    if (*got == '\0')
      t->undecided++;
    else if (strcmp(got, f[4]) == 0)
      t->right++;
    else
      t->wrong++;
  }
}

static void
print_tally(const char *what, const Tally *t)
{
  printf("  %-22s planted %5u  found %5u  right %5u  wrong %4u  undecided %4u  accuracy %.3f  (right/planted "
         "%.3f)\n", what, t->planted, t->found, t->right, t->wrong, t->undecided,
         t->found ? (double)t->right / t->found : 0.0, t->planted ? (double)t->right / t->planted : 0.0);
}

int
main(int argc, char **argv)
{
  char *neardup = NULL;
  GOptionEntry entries[] = {
    { "neardup", 0, 0, G_OPTION_ARG_FILENAME, &neardup, "The neardup binary (default: ../neardup)", "PATH" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("CORPUS.jsonl TRUTH.tsv - direction of reuse, end to end");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 3) {
    fprintf(stderr, "eval_direction: %s\n", error ? error->message : "give CORPUS.jsonl and TRUTH.tsv");
    return 2;
  }
  g_autofree char *bin = neardup ? g_strdup(neardup) : default_neardup(argv[0]);
  g_autofree char *truth = NULL;
  if (!g_file_get_contents(argv[2], &truth, NULL, &error)) {
    fprintf(stderr, "eval_direction: %s\n", error->message);
    return 1;
  }
  g_auto(GStrv) lines = g_strsplit(truth, "\n", -1);
  if (lines[0] == NULL || strstr(lines[0], "\tsource") == NULL) {
    fprintf(stderr, "eval_direction: %s has no source column (gen_corpus --direction)\n", argv[2]);
    return 1;
  }
  for (int with_dates = 1; with_dates >= 0; with_dates--) {
    double seconds;
    g_autoptr(GHashTable) sources = run_pairs(bin, argv[1], with_dates, &seconds);
    printf("%s (neardup pairs, %u pairs reported, %.1f s):\n", with_dates ? "with dates" : "without dates",
           g_hash_table_size(sources), seconds);
    Tally all, dup, excerpt;
    tally(sources, lines, &all, NULL);
    tally(sources, lines, &dup, "dup");
    tally(sources, lines, &excerpt, "excerpt");
    print_tally("all (source, copy)", &all);
    print_tally("copies", &dup);
    print_tally("excerpt articles", &excerpt);
  }
  g_free(neardup);
  return 0;
}
