/* bench_pipeline.c — throughput, memory and accuracy of the library pipeline on a generated corpus
 * with planted near-duplicates (benchmarks/gen_corpus.c writes both the corpus and its truth file).
 *
 *   bench_pipeline --jsonl corpus.jsonl --truth truth.tsv [--threads N] [--shingle words:3] ...
 *
 * Phases, each timed separately:
 *   read     JSON Lines parsed into memory (not part of signing)
 *   sign     normalise + tokenise + shingle + MinHash + shingle set, one thread, from memory
 *   sign/N   the same with N threads (the loader's worker pool is not used: plain threads over
 *            slices, to measure the signer alone)
 *   lsh      banding and bucket sort;  index: the containment fingerprint index;  verify: exact
 *            Jaccard/containment of every candidate
 * Then recall of the planted pairs (by kind and edit rate) and precision of everything reported,
 * at the default settings, and once more with the containment index switched off (LSH only), which
 * is the measurement behind the choice of the index. Peak RSS comes from getrusage.
 */
#include <neardup/neardup.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
  char *id;
  char *text;
  gsize len;
} Article;

static double
now(void)
{
  return g_get_monotonic_time() / 1e6;
}

static double
peak_rss_mb(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

static GArray *
read_jsonl(const char *path, GError **error)
{
  FILE *fp = fopen(path, "rb");
  if (fp == NULL) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "%s: %s", path, g_strerror(errno));
    return NULL;
  }
  GArray *arts = g_array_new(FALSE, FALSE, sizeof(Article));
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, fp)) > 0) {
    if (!json_parser_load_from_data(parser, line, n, NULL))
      continue;
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    Article a = { g_strdup(json_object_get_string_member(o, "id")),
                  g_strdup(json_object_get_string_member(o, "text")), 0 };
    a.len = strlen(a.text);
    g_array_append_val(arts, a);
  }
  free(line);
  fclose(fp);
  return arts;
}

typedef struct {
  const Article *arts;
  gsize begin, end;
  const NdSignParams *params;
  NdDocument **out;
} SignJob;

static gpointer
sign_slice(gpointer data)
{
  SignJob *job = data;
  g_autoptr(NdSigner) signer = nd_signer_new(job->params);
  for (gsize i = job->begin; i < job->end; i++)
    job->out[i] = nd_signer_sign(signer, job->arts[i].id, job->arts[i].text, job->arts[i].len, NULL);
  return NULL;
}

static double
sign_all(const Article *arts, gsize n, const NdSignParams *params, guint threads, NdDocument **out)
{
  double t0 = now();
  g_autofree SignJob *jobs = g_new(SignJob, threads);
  g_autofree GThread **tids = g_new(GThread *, threads);
  for (guint t = 0; t < threads; t++) {
    jobs[t] = (SignJob){ arts, n * t / threads, n * (t + 1) / threads, params, out };
    tids[t] = threads > 1 ? g_thread_new("sign", sign_slice, &jobs[t]) : (sign_slice(&jobs[t]), NULL);
  }
  for (guint t = 0; t < threads; t++)
    if (tids[t])
      g_thread_join(tids[t]);
  return now() - t0;
}

static char *
pair_key(const char *a, const char *b)
{
  return strcmp(a, b) < 0 ? g_strconcat(a, "\t", b, NULL) : g_strconcat(b, "\t", a, NULL);
}

typedef struct {
  guint total, found;
} Tally;

static void
evaluate(const char *label, const NdCollection *coll, const GArray *pairs, const char *truth_path)
{
  g_autoptr(GHashTable) reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < pairs->len; i++) {
    const NdPair *p = &g_array_index(pairs, NdPair, i);
    g_hash_table_add(reported, pair_key(nd_collection_get(coll, p->a)->id, nd_collection_get(coll, p->b)->id));
  }
  g_autofree char *truth = NULL;
  if (!g_file_get_contents(truth_path, &truth, NULL, NULL)) {
    fprintf(stderr, "cannot read %s\n", truth_path);
    return;
  }
  g_auto(GStrv) lines = g_strsplit(truth, "\n", -1);
  Tally dup[4] = { 0 }, excerpt = { 0 };
  guint planted_found = 0;
  g_autoptr(GHashTable) planted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 1; lines[i]; i++) {
    g_auto(GStrv) f = g_strsplit(lines[i], "\t", 4);
    if (g_strv_length(f) < 4)
      continue;
    char *key = pair_key(f[0], f[1]);
    gboolean hit = g_hash_table_contains(reported, key);
    double edit = g_ascii_strtod(f[3], NULL);
    if (strcmp(f[2], "dup") == 0) {
      guint bucket = edit < 0.1 ? 0 : edit < 0.2 ? 1 : edit <= 0.3 ? 2 : 3;
      dup[bucket].total++;
      dup[bucket].found += hit;
    } else {
      excerpt.total++;
      excerpt.found += hit;
    }
    if (g_hash_table_add(planted, key))
      planted_found += hit;
  }
  guint true_reported = 0;
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, reported);
  while (g_hash_table_iter_next(&it, &k, NULL))
    true_reported += g_hash_table_contains(planted, k);
  printf("%s: recall of planted pairs: near-dup edit<10%% %.4f (%u), 10-20%% %.4f (%u), 20-30%% %.4f (%u), "
         "copies of copies %.4f (%u); excerpts %.4f (%u)\n", label,
         dup[0].total ? (double)dup[0].found / dup[0].total : 0, dup[0].total,
         dup[1].total ? (double)dup[1].found / dup[1].total : 0, dup[1].total,
         dup[2].total ? (double)dup[2].found / dup[2].total : 0, dup[2].total,
         dup[3].total ? (double)dup[3].found / dup[3].total : 0, dup[3].total,
         excerpt.total ? (double)excerpt.found / excerpt.total : 0, excerpt.total);
  printf("%s: overall recall %.4f (%u of %u planted), precision %.4f (%u of %u reported pairs are planted)\n",
         label, g_hash_table_size(planted) ? (double)planted_found / g_hash_table_size(planted) : 0, planted_found,
         g_hash_table_size(planted), pairs->len ? (double)true_reported / pairs->len : 1.0, true_reported, pairs->len);
}

int
main(int argc, char **argv)
{
  char *jsonl = NULL, *truth = NULL, *shingle = NULL;
  gint threads = 2, num_perm = ND_DEFAULT_NUM_PERM;
  double threshold = ND_DEFAULT_THRESHOLD, containment = ND_DEFAULT_CONTAINMENT;
  gboolean no_lsh_only = FALSE;
  GOptionEntry entries[] = {
    { "jsonl", 0, 0, G_OPTION_ARG_FILENAME, &jsonl, "corpus (JSON Lines with id and text)", "FILE" },
    { "truth", 0, 0, G_OPTION_ARG_FILENAME, &truth, "planted pairs (a, b, kind, edit)", "FILE" },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, "threads for the parallel phases (default 2)", "N" },
    { "shingle", 'k', 0, G_OPTION_ARG_STRING, &shingle, "shingle spec (default words:3)", "SPEC" },
    { "num-perm", 'n', 0, G_OPTION_ARG_INT, &num_perm, "signature length", "N" },
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &threshold, "Jaccard threshold", "T" },
    { "containment", 'c', 0, G_OPTION_ARG_DOUBLE, &containment, "containment threshold", "C" },
    { "skip-lsh-only", 0, 0, G_OPTION_ARG_NONE, &no_lsh_only, "do not repeat the search without the index", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_autoptr(GOptionContext) ctx = g_option_context_new("- benchmark the pipeline on a generated corpus");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || jsonl == NULL || threads < 1) {
    fprintf(stderr, "usage: bench_pipeline --jsonl FILE [--truth FILE] (%s)\n", error ? error->message : "");
    return 2;
  }
  NdSignParams sp;
  nd_sign_params_init(&sp);
  sp.num_perm = (guint)num_perm;
  if (shingle && !nd_shingle_spec_parse(shingle, &sp.shingle, &error)) {
    fprintf(stderr, "%s\n", error->message);
    return 2;
  }
  double t0 = now();
  g_autoptr(GArray) arts = read_jsonl(jsonl, &error);
  if (arts == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  double t_read = now() - t0;
  gsize n = arts->len, bytes = 0;
  const Article *A = (const Article *)arts->data;
  for (gsize i = 0; i < n; i++)
    bytes += A[i].len;
  double mb = bytes / 1e6;
  g_autofree char *spec = nd_shingle_spec_to_string(&sp.shingle);
  printf("corpus: %s, %" G_GSIZE_FORMAT " articles, %.1f MB (mean %.0f bytes); shingle %s, num_perm %u, "
         "threshold %.2f, containment %.2f\n", jsonl, n, mb, n ? (double)bytes / n : 0, spec, sp.num_perm,
         threshold, containment);
  printf("read:    %.3f s (JSON Lines into memory)\n", t_read);

  g_autofree NdDocument **docs = g_new0(NdDocument *, n);
  double t_sign1 = sign_all(A, n, &sp, 1, docs);
  printf("sign:    1 thread  %.3f s  %.0f docs/s  %.1f MB/s\n", t_sign1, n / t_sign1, mb / t_sign1);
  if (threads > 1) {
    g_autofree NdDocument **again = g_new0(NdDocument *, n);
    double t_signn = sign_all(A, n, &sp, (guint)threads, again);
    gboolean same = TRUE;
    for (gsize i = 0; i < n; i++) {
      if (docs[i] && again[i])
        same &= memcmp(docs[i]->signature, again[i]->signature, sp.num_perm * sizeof(guint32)) == 0;
      nd_document_free(again[i]);
    }
    printf("sign:    %d threads %.3f s  %.0f docs/s  %.1f MB/s  (speed-up %.2fx; signatures %s)\n", threads,
           t_signn, n / t_signn, mb / t_signn, t_sign1 / t_signn, same ? "identical" : "DIFFER");
  }
  /* The texts are not needed any more: free them so peak RSS reflects the pipeline's own state. */
  for (gsize i = 0; i < n; i++)
    g_clear_pointer(&g_array_index(arts, Article, i).text, g_free);
  double rss_texts = peak_rss_mb();

  g_autoptr(NdCollection) coll = nd_collection_new(&sp);
  for (gsize i = 0; i < n; i++)
    if (docs[i])
      nd_collection_add(coll, docs[i], NULL);
  NdFindOptions fo;
  nd_find_options_init(&fo);
  fo.threshold = threshold;
  fo.containment = containment;
  fo.threads = (guint)threads;
  NdFindStats st;
  g_autoptr(GArray) pairs = nd_find_pairs(coll, &fo, &st, &error);
  if (pairs == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  printf("lsh:     b=%u r=%u  %.3f s  %.0f docs/s  (%" G_GUINT64_FORMAT " bucket pairs)\n", st.lsh.bands, st.lsh.rows,
         st.seconds_lsh, n / MAX(st.seconds_lsh, 1e-9), st.candidates_lsh);
  printf("anchors: %.3f s  %.0f docs/s  (%" G_GUINT64_FORMAT " pairs sharing a passage anchor)\n", st.seconds_anchor,
         n / MAX(st.seconds_anchor, 1e-9), st.candidates_anchor);
  printf("words:   %.3f s  %.0f docs/s  (%" G_GUINT64_FORMAT " pairs sharing rare words%s)\n", st.seconds_vocabulary,
         n / MAX(st.seconds_vocabulary, 1e-9), st.candidates_rare, st.vocabulary ? "" : "; no batch vocabulary");
  printf("verify:  %.3f s  %" G_GUINT64_FORMAT " candidates (%.0f pairs/s), %" G_GUINT64_FORMAT " reported\n",
         st.seconds_verify, st.candidates, st.candidates / MAX(st.seconds_verify, 1e-9), st.reported);
  printf("memory:  peak RSS %.0f MB (%.0f MB while the texts were still in memory)\n", peak_rss_mb(), rss_texts);
  if (truth != NULL) {
    evaluate("defaults", coll, pairs, truth);
    if (!no_lsh_only) {
      /* The alternatives to the containment index: LSH alone, at the report threshold and at
       * lower banding thresholds (more candidates, all verified). */
      fo.anchors = FALSE;
      fo.score = 0;
      const double lsh_thresholds[] = { 0.0, 0.3, 0.2, 0.1 };
      for (guint i = 0; i < G_N_ELEMENTS(lsh_thresholds); i++) {
        if (lsh_thresholds[i] == 0.1 && n > 20000) {
          printf("LSH only, banding for 0.10: skipped above 20,000 articles (candidates grow quadratically)\n");
          continue;
        }
        fo.lsh_threshold = lsh_thresholds[i];
        NdFindStats s2;
        g_autoptr(GArray) lsh_only = nd_find_pairs(coll, &fo, &s2, &error);
        g_autofree char *label = g_strdup_printf("LSH only, banding for %.2f (b=%u r=%u, %" G_GUINT64_FORMAT
                                                 " candidates, %.3f s)", lsh_thresholds[i] > 0 ? lsh_thresholds[i] :
                                                 threshold, s2.lsh.bands, s2.lsh.rows, s2.candidates,
                                                 s2.seconds_lsh + s2.seconds_verify);
        evaluate(label, coll, lsh_only, truth);
      }
    }
  }
  for (gsize i = 0; i < n; i++) {
    g_free(g_array_index(arts, Article, i).id);
  }
  g_free(jsonl);
  g_free(truth);
  g_free(shingle);
  return 0;
}
