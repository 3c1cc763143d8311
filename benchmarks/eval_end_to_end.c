/* eval_end_to_end.c — detection quality as users get it: runs the real `neardup pairs` at its
 * defaults (candidate search included) and scores what it reports.
 *
 * Labelled sets (../shared/data/clough or ../shared/data/counter-dev layout: DIR/docs/NAME.txt and
 * DIR/pairs.tsv):
 *
 *   eval_end_to_end DIR [--neardup PATH] [-- EXTRA NEARDUP OPTIONS]
 *
 * runs `neardup pairs --files-from LIST --format json` over every document of DIR and prints, for
 * the labelled (source, derived) pairs — derived = clough cut/light/heavy, COUNTER WD/PD:
 *   - at the defaults: precision, recall (TPR), false-positive rate and balanced accuracy of
 *     "reported" as the prediction of "derived";
 *   - ROC AUC of each score the output carries, taken for the derived article in its source (an
 *     unreported pair scores 0), and the best threshold on it (highest balanced accuracy);
 *   - the ceiling: exact word 3-gram containment of the derived article in its source computed over
 *     every labelled pair (no candidate search, no report rule), its AUC and best threshold.
 *
 * Generated corpora (benchmarks/gen_corpus with --passages):
 *
 *   eval_end_to_end --generated CORPUS.jsonl --truth TRUTH.tsv [--passage-truth PASSAGES.tsv]
 *
 * runs `neardup pairs --jsonl CORPUS.jsonl --format json [--passages]` and prints recall of the
 * planted pairs (by kind and edit rate) and precision of everything reported; with passage truth,
 * word-level precision, recall and F1 of the derived articles' words inside reported passages
 * (words as neardup tokenises them; a word counts as reported when it lies inside a passage of the
 * pair on the derived side), for verbatim + rewritten words and for verbatim words alone.
 *
 * The neardup binary defaults to ../neardup next to this program (the build tree's layout).
 */
#include <neardup/neardup.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

/* ---- running neardup ---- */

/* Runs argv, stdout to `out_path`; returns FALSE (printing why) unless it exits 0 or 1. Stores the
 * wall time and the child's peak RSS (MB). */
static gboolean
run_neardup(GPtrArray *argv, const char *out_path, double *seconds, double *rss_mb)
{
  g_ptr_array_add(argv, NULL);
  g_autofree char *cmd = g_strjoinv(" ", (char **)argv->pdata);
  fprintf(stderr, "running: %s > %s\n", cmd, out_path);
  gint64 t0 = g_get_monotonic_time();
  pid_t pid = fork();
  if (pid == 0) {
    FILE *fp = freopen(out_path, "w", stdout);
    if (fp == NULL)
      _exit(127);
    execv((char *)argv->pdata[0], (char **)argv->pdata);
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  /* One child at a time: the children's peak RSS is this child's. */
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || getrusage(RUSAGE_CHILDREN, &ru) != 0) {
    fprintf(stderr, "cannot run %s: %s\n", (char *)argv->pdata[0], g_strerror(errno));
    return FALSE;
  }
  *seconds = (g_get_monotonic_time() - t0) / 1e6;
  *rss_mb = ru.ru_maxrss / 1024.0;
  g_ptr_array_remove_index(argv, argv->len - 1);
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
    fprintf(stderr, "%s failed (status %d)\n", (char *)argv->pdata[0], status);
    return FALSE;
  }
  return TRUE;
}

static char *
default_neardup(const char *argv0)
{
  g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
  g_autofree char *dir = g_path_get_dirname(self ? self : argv0);
  return g_build_filename(dir, "..", "neardup", NULL);
}

/* ---- ranking metrics ---- */

typedef struct {
  double score;
  gboolean positive;
} Scored;

static int
compare_scored(const void *x, const void *y)
{
  const Scored *a = x, *b = y;
  return a->score < b->score ? -1 : a->score > b->score;
}

/* ROC AUC (Mann-Whitney, ties count half) and the threshold of highest balanced accuracy
 * (predicted positive when score >= threshold). Sorts `s`. */
static double
roc_auc(Scored *s, guint n, double *best_threshold, double *best_ba)
{
  qsort(s, n, sizeof *s, compare_scored);
  guint pos = 0, neg = 0;
  for (guint i = 0; i < n; i++)
    pos += s[i].positive, neg += !s[i].positive;
  double good = 0;
  guint neg_below = 0;
  *best_ba = 0;
  *best_threshold = 0;
  guint pos_below = 0;
  for (guint i = 0; i < n;) {
    guint j = i, p = 0, q = 0;
    while (j < n && s[j].score == s[i].score) {
      p += s[j].positive;
      q += !s[j].positive;
      j++;
    }
    /* Threshold s[i].score: everything from i on is predicted positive. */
    double tpr = pos ? (double)(pos - pos_below) / pos : 0, tnr = neg ? (double)neg_below / neg : 0;
    if ((tpr + tnr) / 2 > *best_ba) {
      *best_ba = (tpr + tnr) / 2;
      *best_threshold = s[i].score;
    }
    good += p * (neg_below + 0.5 * q);
    neg_below += q;
    pos_below += p;
    i = j;
  }
  return pos && neg ? good / ((double)pos * neg) : 0;
}

/* ---- labelled sets ---- */

typedef struct {
  char *derived, *source, *label;
  gboolean positive;
  gboolean reported;
  double exact;      /* exact word 3-gram containment of derived in source */
} Labelled;

static gboolean
is_derived_label(const char *label)
{
  return g_strv_contains((const char *const[]){ "cut", "light", "heavy", "WD", "PD", NULL }, label);
}

/* The document name of a path: its base name without extension. */
static char *
doc_name(const char *path)
{
  char *base = g_path_get_basename(path);
  char *dot = strrchr(base, '.');
  if (dot)
    *dot = '\0';
  return base;
}

static char *
pair_key(const char *a, const char *b)
{
  return g_strconcat(a, "\t", b, NULL);
}

/* Numeric members of a pairs JSON object that are scores of one side in the other:
 * NAME_a_in_b / NAME_b_in_a. */
typedef struct {
  char *name;           /* e.g. "containment" */
  GHashTable *value;    /* "derived\tsource" -> double* */
} DirectionalScore;

/* g_ptr_array_sort hands the comparator pointers to the elements. */
static gint
compare_paths(gconstpointer x, gconstpointer y)
{
  return strcmp(*(char *const *)x, *(char *const *)y);
}

static void
labelled_set(const char *dir, const char *neardup, char **extra)
{
  g_autofree char *docs_dir = g_build_filename(dir, "docs", NULL);
  g_autoptr(GDir) d = g_dir_open(docs_dir, 0, NULL);
  if (d == NULL) {
    fprintf(stderr, "%s: no docs/ directory\n", dir);
    exit(2);
  }
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  for (const char *name; (name = g_dir_read_name(d)) != NULL;)
    if (g_str_has_suffix(name, ".txt"))
      g_ptr_array_add(files, g_build_filename(docs_dir, name, NULL));
  g_ptr_array_sort(files, compare_paths);
  g_autoptr(GString) list = g_string_new(NULL);
  for (guint i = 0; i < files->len; i++)
    g_string_append_printf(list, "%s\n", (char *)files->pdata[i]);
  g_autofree char *tmp = g_dir_make_tmp("eval_e2e-XXXXXX", NULL);
  g_autofree char *list_path = g_build_filename(tmp, "list", NULL);
  g_autofree char *out_path = g_build_filename(tmp, "pairs.jsonl", NULL);
  g_file_set_contents(list_path, list->str, (gssize)list->len, NULL);

  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)neardup);
  g_ptr_array_add(argv, "pairs");
  g_ptr_array_add(argv, "--files-from");
  g_ptr_array_add(argv, list_path);
  g_ptr_array_add(argv, "--format");
  g_ptr_array_add(argv, "json");
  for (char **e = extra; e && *e; e++)
    g_ptr_array_add(argv, *e);
  double seconds, rss;
  if (!run_neardup(argv, out_path, &seconds, &rss))
    exit(1);

  /* Reported pairs and their directional scores. */
  g_autofree char *out = NULL;
  g_file_get_contents(out_path, &out, NULL, NULL);
  g_unlink(out_path);
  g_unlink(list_path);
  g_rmdir(tmp);
  g_autoptr(GHashTable) reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GArray) scores = g_array_new(FALSE, TRUE, sizeof(DirectionalScore));
  g_autoptr(JsonParser) parser = json_parser_new();
  g_auto(GStrv) lines = g_strsplit(out ? out : "", "\n", -1);
  guint n_reported = 0;
  for (guint li = 0; lines[li]; li++) {
    if (lines[li][0] == '\0' || !json_parser_load_from_data(parser, lines[li], -1, NULL))
      continue;
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    g_autofree char *a = doc_name(json_object_get_string_member(o, "a"));
    g_autofree char *b = doc_name(json_object_get_string_member(o, "b"));
    n_reported++;
    g_hash_table_add(reported, pair_key(a, b));
    g_hash_table_add(reported, pair_key(b, a));
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *m = members; m; m = m->next) {
      const char *name = m->data;
      /* NAME_a_in_b with NAME_b_in_a, or the pair's own "score" (the same both ways) */
      gboolean symmetric = strcmp(name, "score") == 0;
      if (!symmetric && !g_str_has_suffix(name, "_a_in_b"))
        continue;
      g_autofree char *stem = symmetric ? g_strdup(name) : g_strndup(name, strlen(name) - strlen("_a_in_b"));
      g_autofree char *other = symmetric ? g_strdup(name) : g_strconcat(stem, "_b_in_a", NULL);
      if (!json_object_has_member(o, other) || json_node_get_value_type(json_object_get_member(o, name)) != G_TYPE_DOUBLE)
        continue;
      guint k;
      for (k = 0; k < scores->len && strcmp(g_array_index(scores, DirectionalScore, k).name, stem) != 0; k++)
        ;
      if (k == scores->len) {
        DirectionalScore ds = { g_strdup(stem), g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free) };
        g_array_append_val(scores, ds);
      }
      GHashTable *v = g_array_index(scores, DirectionalScore, k).value;
      double *ab = g_new(double, 1), *ba = g_new(double, 1);
      *ab = json_object_get_double_member(o, name);
      *ba = json_object_get_double_member(o, other);
      g_hash_table_insert(v, pair_key(a, b), ab);
      g_hash_table_insert(v, pair_key(b, a), ba);
    }
  }

  /* The ceiling: exact 3-gram containment of every labelled pair, signed by the library. */
  NdSignParams sp;
  nd_sign_params_init(&sp);
  sp.text_flags = ND_TEXT_LOSSY;
  g_autoptr(NdCollection) coll = nd_collection_new(&sp);
  {
    g_autoptr(NdLoader) loader = nd_loader_new(coll, 0, FALSE);
    nd_loader_add_path(loader, docs_dir);
    nd_loader_finish(loader);
  }
  g_autoptr(GHashTable) by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < nd_collection_size(coll); i++)
    g_hash_table_insert(by_name, doc_name(nd_collection_get(coll, i)->id), GUINT_TO_POINTER(i + 1));

  g_autofree char *tsv_path = g_build_filename(dir, "pairs.tsv", NULL);
  g_autofree char *tsv = NULL;
  if (!g_file_get_contents(tsv_path, &tsv, NULL, NULL)) {
    fprintf(stderr, "%s: cannot read\n", tsv_path);
    exit(2);
  }
  g_auto(GStrv) rows = g_strsplit(tsv, "\n", -1);
  g_autoptr(GArray) L = g_array_new(FALSE, TRUE, sizeof(Labelled));
  for (guint li = 1; rows[li]; li++) {
    g_auto(GStrv) f = g_strsplit(rows[li], "\t", -1);
    if (g_strv_length(f) < 3)
      continue;
    /* clough: answer, source, task, label; COUNTER: source, derived, label, ... */
    gboolean clough = g_str_has_prefix(f[1], "orig_");
    Labelled l = { g_strdup(clough ? f[0] : f[1]), g_strdup(clough ? f[1] : f[0]), g_strdup(clough ? f[3] : f[2]),
                   FALSE, FALSE, 0 };
    l.positive = is_derived_label(l.label);
    guint id = GPOINTER_TO_UINT(g_hash_table_lookup(by_name, l.derived));
    guint is = GPOINTER_TO_UINT(g_hash_table_lookup(by_name, l.source));
    if (id && is) {
      NdPair p;
      nd_score_pair(nd_collection_get(coll, id - 1), nd_collection_get(coll, is - 1), sp.num_perm, ND_VERIFY_EXACT,
                    &p);
      l.exact = p.containment_a_in_b;
    }
    g_autofree char *key = pair_key(l.derived, l.source);
    l.reported = g_hash_table_contains(reported, key);
    g_array_append_val(L, l);
  }
  guint n = L->len, tp = 0, fp = 0, fn = 0, tn = 0;
  for (guint i = 0; i < n; i++) {
    const Labelled *l = &g_array_index(L, Labelled, i);
    tp += l->reported && l->positive;
    fp += l->reported && !l->positive;
    fn += !l->reported && l->positive;
    tn += !l->reported && !l->positive;
  }
  double tpr = tp + fn ? (double)tp / (tp + fn) : 0, fpr = fp + tn ? (double)fp / (fp + tn) : 0;
  printf("%s: %u labelled pairs (%u derived, %u not), %u documents; `neardup pairs` reported %u pairs in %.2f s, "
         "peak RSS %.0f MB\n", dir, n, tp + fn, fp + tn, nd_collection_size(coll), n_reported, seconds, rss);
  printf("  at the defaults: precision %.3f  recall (TPR) %.3f  FPR %.3f  balanced accuracy %.3f  "
         "(tp %u fp %u fn %u tn %u)\n", tp + fp ? (double)tp / (tp + fp) : 1.0, tpr, fpr, (tpr + 1 - fpr) / 2, tp, fp,
         fn, tn);
  g_autofree Scored *s = g_new(Scored, n + 1);
  for (guint k = 0; k < scores->len; k++) {
    const DirectionalScore *ds = &g_array_index(scores, DirectionalScore, k);
    for (guint i = 0; i < n; i++) {
      const Labelled *l = &g_array_index(L, Labelled, i);
      g_autofree char *key = pair_key(l->derived, l->source);
      const double *v = g_hash_table_lookup(ds->value, key);
      s[i] = (Scored){ v ? *v : 0.0, l->positive };
    }
    double thr, ba;
    double auc = roc_auc(s, n, &thr, &ba);
    printf("  reported %s%s (0 when not reported): ROC AUC %.3f; best threshold %.4f (balanced accuracy %.3f)\n",
           ds->name, strcmp(ds->name, "score") == 0 ? "" : " of the derived article in its source", auc, thr, ba);
  }
  for (guint i = 0; i < n; i++)
    s[i] = (Scored){ g_array_index(L, Labelled, i).exact, g_array_index(L, Labelled, i).positive };
  double thr, ba;
  double auc = roc_auc(s, n, &thr, &ba);
  printf("  ceiling, exact word 3-gram containment over every labelled pair: ROC AUC %.3f; best threshold %.4f "
         "(balanced accuracy %.3f)\n", auc, thr, ba);
  /* Reported share per label. */
  printf("  reported per label:");
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < n; i++) {
    const char *label = g_array_index(L, Labelled, i).label;
    if (!g_hash_table_add(seen, (gpointer)label))
      continue;
    guint tot = 0, hit = 0;
    for (guint j = 0; j < n; j++)
      if (strcmp(g_array_index(L, Labelled, j).label, label) == 0) {
        tot++;
        hit += g_array_index(L, Labelled, j).reported;
      }
    printf(" %s %u/%u", label, hit, tot);
  }
  printf("\n");
  for (guint i = 0; i < n; i++) {
    Labelled *l = &g_array_index(L, Labelled, i);
    g_free(l->derived);
    g_free(l->source);
    g_free(l->label);
  }
  for (guint k = 0; k < scores->len; k++) {
    g_free(g_array_index(scores, DirectionalScore, k).name);
    g_hash_table_unref(g_array_index(scores, DirectionalScore, k).value);
  }
}

/* ---- generated corpora ---- */

typedef struct {
  guint64 start, end;
  gboolean verbatim;
} Span;

typedef struct {
  guint total, found;
} Tally;

/* Reads the corpus texts (id -> text) from JSON Lines. */
static GHashTable *
read_corpus(const char *path)
{
  GHashTable *texts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  FILE *fp = fopen(path, "rb");
  if (fp == NULL) {
    fprintf(stderr, "%s: %s\n", path, g_strerror(errno));
    exit(2);
  }
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  while ((got = getline(&line, &cap, fp)) > 0) {
    if (!json_parser_load_from_data(parser, line, got, NULL))
      continue;
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    g_hash_table_insert(texts, g_strdup(json_object_get_string_member(o, "id")),
                        g_strdup(json_object_get_string_member(o, "text")));
  }
  free(line);
  fclose(fp);
  return texts;
}

/* Boilerplate found by the library (nd_find_boilerplate, the batch rule of words.h) against the page
 * chrome gen_corpus planted: word-level precision and recall over every article. */
static void
boilerplate_quality(const char *corpus, GHashTable *texts, GHashTable *chrome)
{
  NdSignParams sp;
  nd_sign_params_init(&sp);
  g_autoptr(NdCollection) coll = nd_collection_new(&sp);
  {
    g_autoptr(NdLoader) loader = nd_loader_new(coll, 0, FALSE);
    nd_loader_add_jsonl(loader, corpus, "id", "text");
    nd_loader_finish(loader);
  }
  guint64 articles = 0;
  g_autoptr(GArray) bp = nd_find_boilerplate(coll, &articles);
  const guint32 *keys = (const guint32 *)bp->data;
  guint64 tp = 0, fp = 0, fn = 0;
  g_autoptr(GArray) tokens = g_array_new(FALSE, FALSE, sizeof(NdToken));
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, texts);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    const char *text = v;
    const GArray *spans = g_hash_table_lookup(chrome, k);
    g_array_set_size(tokens, 0);
    nd_tokenize(text, strlen(text), ND_TOKENS_WORDS, ND_TEXT_LOSSY, tokens, NULL);
    const NdToken *t = (const NdToken *)tokens->data;
    g_autofree guint32 *line = g_new(guint32, tokens->len + 1);
    nd_line_ids(text, t, tokens->len, line);
    for (guint first = 0; first < tokens->len;) {
      guint end = first + 1;
      while (end < tokens->len && line[end] == line[first])
        end++;
      gboolean flagged = FALSE;
      if (end - first <= ND_BOILERPLATE_MAX_WORDS) {
        guint32 key = nd_line_key(t + first, end - first);
        for (guint x = 0; x < bp->len && !flagged; x++)
          flagged = keys[x] == key;
      }
      for (guint i = first; i < end; i++) {
        gboolean is_chrome = FALSE;
        for (guint j = 0; spans && j < spans->len && !is_chrome; j++)
          is_chrome = t[i].start >= g_array_index(spans, Span, j).start && t[i].end <= g_array_index(spans, Span, j).end;
        tp += flagged && is_chrome;
        fp += flagged && !is_chrome;
        fn += !flagged && is_chrome;
      }
      first = end;
    }
  }
  double p = tp + fp ? (double)tp / (tp + fp) : 1, r = tp + fn ? (double)tp / (tp + fn) : 0;
  printf("  boilerplate (lines of at most %d words in %d articles or more): %u lines in %" G_GUINT64_FORMAT " articles; "
         "words of page chrome found: precision %.3f recall %.3f (%" G_GUINT64_FORMAT " chrome words)\n",
         ND_BOILERPLATE_MAX_WORDS, ND_BOILERPLATE_MIN_ARTICLES, bp->len, articles, p, r, tp + fn);
}

static void
generated(const char *corpus, const char *truth_path, const char *passage_path, const char *neardup, char **extra)
{
  g_autofree char *tmp = g_dir_make_tmp("eval_e2e-XXXXXX", NULL);
  g_autofree char *out_path = g_build_filename(tmp, "pairs.jsonl", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)neardup);
  g_ptr_array_add(argv, "pairs");
  g_ptr_array_add(argv, "--jsonl");
  g_ptr_array_add(argv, (char *)corpus);
  g_ptr_array_add(argv, "--format");
  g_ptr_array_add(argv, "json");
  if (passage_path)
    g_ptr_array_add(argv, "--passages");
  for (char **e = extra; e && *e; e++)
    g_ptr_array_add(argv, *e);
  double seconds, rss;
  if (!run_neardup(argv, out_path, &seconds, &rss))
    exit(1);

  /* Reported pairs, and the derived-side spans of their passages per direction. */
  g_autoptr(GHashTable) reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) spans = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
  FILE *fp = fopen(out_path, "rb");
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  guint n_reported = 0;
  while (fp && (got = getline(&line, &cap, fp)) > 0) {
    if (!json_parser_load_from_data(parser, line, got, NULL))
      continue;
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    const char *a = json_object_get_string_member(o, "a"), *b = json_object_get_string_member(o, "b");
    n_reported++;
    g_hash_table_add(reported, strcmp(a, b) < 0 ? pair_key(a, b) : pair_key(b, a));
    if (!json_object_has_member(o, "passages"))
      continue;
    JsonArray *ps = json_object_get_array_member(o, "passages");
    GArray *in_a = g_array_new(FALSE, FALSE, sizeof(Span)), *in_b = g_array_new(FALSE, FALSE, sizeof(Span));
    for (guint i = 0; i < json_array_get_length(ps); i++) {
      JsonObject *p = json_array_get_object_element(ps, i);
      Span sa = { (guint64)json_object_get_int_member(p, "a_start"), (guint64)json_object_get_int_member(p, "a_end"),
                  FALSE };
      Span sb = { (guint64)json_object_get_int_member(p, "b_start"), (guint64)json_object_get_int_member(p, "b_end"),
                  FALSE };
      g_array_append_val(in_a, sa);
      g_array_append_val(in_b, sb);
    }
    /* key "derived\tsource" -> the derived side's spans */
    g_hash_table_insert(spans, pair_key(a, b), in_a);
    g_hash_table_insert(spans, pair_key(b, a), in_b);
  }
  free(line);
  if (fp)
    fclose(fp);
  g_unlink(out_path);
  g_rmdir(tmp);

  g_autofree char *truth = NULL;
  if (!g_file_get_contents(truth_path, &truth, NULL, NULL)) {
    fprintf(stderr, "%s: cannot read\n", truth_path);
    exit(2);
  }
  g_auto(GStrv) lines = g_strsplit(truth, "\n", -1);
  Tally dup[4] = { 0 }, excerpt = { 0 };
  guint planted_found = 0, planted = 0;
  g_autoptr(GHashTable) planted_set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) excerpt_pairs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 1; lines[i]; i++) {
    g_auto(GStrv) f = g_strsplit(lines[i], "\t", 4);
    if (g_strv_length(f) < 4)
      continue;
    char *key = strcmp(f[0], f[1]) < 0 ? pair_key(f[0], f[1]) : pair_key(f[1], f[0]);
    gboolean hit = g_hash_table_contains(reported, key);
    double edit = g_ascii_strtod(f[3], NULL);
    if (strcmp(f[2], "dup") == 0) {
      guint bucket = edit < 0.1 ? 0 : edit < 0.2 ? 1 : edit <= 0.3 ? 2 : 3;
      dup[bucket].total++;
      dup[bucket].found += hit;
    } else {
      excerpt.total++;
      excerpt.found += hit;
      g_hash_table_add(excerpt_pairs, g_strdup(key));
    }
    if (g_hash_table_add(planted_set, key)) {
      planted++;
      planted_found += hit;
    }
  }
  guint true_reported = 0;
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, reported);
  while (g_hash_table_iter_next(&it, &k, NULL))
    true_reported += g_hash_table_contains(planted_set, k);
  printf("%s: `neardup pairs` reported %u pairs in %.2f s, peak RSS %.0f MB\n", corpus, n_reported, seconds, rss);
  printf("  recall of planted pairs: near-duplicates edit < 10%% %.4f (%u), 10-20%% %.4f (%u), 20-30%% %.4f (%u), "
         "copies of copies > 30%% %.4f (%u); excerpts %.4f (%u)\n",
         dup[0].total ? (double)dup[0].found / dup[0].total : 0, dup[0].total,
         dup[1].total ? (double)dup[1].found / dup[1].total : 0, dup[1].total,
         dup[2].total ? (double)dup[2].found / dup[2].total : 0, dup[2].total,
         dup[3].total ? (double)dup[3].found / dup[3].total : 0, dup[3].total,
         excerpt.total ? (double)excerpt.found / excerpt.total : 0, excerpt.total);
  guint direct = dup[0].total + dup[1].total + dup[2].total + excerpt.total;
  guint direct_found = dup[0].found + dup[1].found + dup[2].found + excerpt.found;
  printf("  overall recall %.4f (%u of %u planted; %.4f of the %u with edits up to 30%% and excerpts), precision "
         "%.4f (%u of %u reported pairs are planted)\n", planted ? (double)planted_found / planted : 0,
         planted_found, planted, direct ? (double)direct_found / direct : 0, direct,
         n_reported ? (double)true_reported / n_reported : 1.0, true_reported, n_reported);
  if (passage_path == NULL)
    return;

  /* Passage truth: derived<TAB>source<TAB>kind<TAB>start<TAB>end (byte spans of the derived text). */
  g_autofree char *ptext = NULL;
  if (!g_file_get_contents(passage_path, &ptext, NULL, NULL)) {
    fprintf(stderr, "%s: cannot read\n", passage_path);
    exit(2);
  }
  g_autoptr(GHashTable) truth_spans = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                            (GDestroyNotify)g_array_unref);
  g_auto(GStrv) plines = g_strsplit(ptext, "\n", -1);
  g_autoptr(GHashTable) chrome = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
  for (guint i = 1; plines[i]; i++) {
    g_auto(GStrv) f = g_strsplit(plines[i], "\t", -1);
    if (g_strv_length(f) < 5)
      continue;
    if (strcmp(f[2], "chrome") == 0) { /* page chrome: the boilerplate truth */
      GArray *arr = g_hash_table_lookup(chrome, f[0]);
      if (arr == NULL) {
        arr = g_array_new(FALSE, FALSE, sizeof(Span));
        g_hash_table_insert(chrome, g_strdup(f[0]), arr);
      }
      Span sp = { g_ascii_strtoull(f[3], NULL, 10), g_ascii_strtoull(f[4], NULL, 10), FALSE };
      g_array_append_val(arr, sp);
      continue;
    }
    char *key = pair_key(f[0], f[1]);
    GArray *arr = g_hash_table_lookup(truth_spans, key);
    if (arr == NULL) {
      arr = g_array_new(FALSE, FALSE, sizeof(Span));
      g_hash_table_insert(truth_spans, key, arr);
    } else {
      g_free(key);
    }
    Span s = { g_ascii_strtoull(f[3], NULL, 10), g_ascii_strtoull(f[4], NULL, 10), strcmp(f[2], "verbatim") == 0 };
    g_array_append_val(arr, s);
  }
  g_autoptr(GHashTable) texts = read_corpus(corpus);
  /* Word counts per kind of planted pair (0 copies, 1 excerpts) and overall (2). */
  guint64 tp_all[3] = { 0 }, fp_all[3] = { 0 }, fn_all[3] = { 0 }, tp_v[3] = { 0 }, fn_v[3] = { 0 }, fp_v[3] = { 0 };
  guint n_kind[3] = { 0 };
  g_autoptr(GArray) tokens = g_array_new(FALSE, FALSE, sizeof(NdToken));
  guint n_truth_pairs = 0;
  g_hash_table_iter_init(&it, truth_spans);
  gpointer v;
  while (g_hash_table_iter_next(&it, &k, &v)) {
    g_auto(GStrv) ids = g_strsplit(k, "\t", 2);
    const char *text = g_hash_table_lookup(texts, ids[0]);
    if (text == NULL)
      continue;
    n_truth_pairs++;
    g_autofree char *pkey = strcmp(ids[0], ids[1]) < 0 ? pair_key(ids[0], ids[1]) : pair_key(ids[1], ids[0]);
    const guint kind = GPOINTER_TO_UINT(g_hash_table_lookup(excerpt_pairs, pkey)) ? 1 : 0;
    n_kind[kind]++;
    n_kind[2]++;
    g_array_set_size(tokens, 0);
    nd_tokenize(text, strlen(text), ND_TOKENS_WORDS, ND_TEXT_LOSSY, tokens, NULL);
    const GArray *ts = v, *ps = g_hash_table_lookup(spans, k);
    for (guint t = 0; t < tokens->len; t++) {
      const NdToken *tok = &g_array_index(tokens, NdToken, t);
      int truth_kind = 0; /* 0 new, 1 rewritten, 2 verbatim */
      for (guint j = 0; j < ts->len; j++) {
        const Span *s = &g_array_index(ts, Span, j);
        if (tok->start < s->end && tok->end > s->start)
          truth_kind = MAX(truth_kind, s->verbatim ? 2 : 1);
      }
      gboolean predicted = FALSE;
      for (guint j = 0; ps && j < ps->len && !predicted; j++) {
        const Span *s = &g_array_index(ps, Span, j);
        predicted = tok->start >= s->start && tok->end <= s->end;
      }
      const guint slots[2] = { kind, 2 };
      for (guint x = 0; x < 2; x++) {
        guint c = slots[x];
        tp_all[c] += predicted && truth_kind > 0;
        fp_all[c] += predicted && truth_kind == 0;
        fn_all[c] += !predicted && truth_kind > 0;
        tp_v[c] += predicted && truth_kind == 2;
        fp_v[c] += predicted && truth_kind != 2;
        fn_v[c] += !predicted && truth_kind == 2;
      }
    }
  }
  printf("  passages, word level over the derived texts of %u planted pairs with passage truth:\n", n_truth_pairs);
  static const char *const kind_names[3] = { "copies", "excerpts", "all" };
  for (guint c = 0; c < 3; c++) {
    if (n_kind[c] == 0)
      continue;
    double pa = tp_all[c] + fp_all[c] ? (double)tp_all[c] / (tp_all[c] + fp_all[c]) : 1;
    double ra = tp_all[c] + fn_all[c] ? (double)tp_all[c] / (tp_all[c] + fn_all[c]) : 0;
    double pv = tp_v[c] + fp_v[c] ? (double)tp_v[c] / (tp_v[c] + fp_v[c]) : 1;
    double rv = tp_v[c] + fn_v[c] ? (double)tp_v[c] / (tp_v[c] + fn_v[c]) : 0;
    printf("    %-8s (%5u): verbatim + rewritten P %.3f R %.3f F1 %.3f;  verbatim only P %.3f R %.3f F1 %.3f\n",
           kind_names[c], n_kind[c], pa, ra, pa + ra > 0 ? 2 * pa * ra / (pa + ra) : 0, pv, rv,
           pv + rv > 0 ? 2 * pv * rv / (pv + rv) : 0);
  }
  if (g_hash_table_size(chrome) > 0)
    boilerplate_quality(corpus, texts, chrome);
}

int
main(int argc, char **argv)
{
  char *neardup = NULL, *generated_corpus = NULL, *truth = NULL, *passage_truth = NULL;
  char **rest = NULL;
  GOptionEntry entries[] = {
    { "neardup", 0, 0, G_OPTION_ARG_FILENAME, &neardup, "the neardup binary (default: ../neardup next to this program)",
      "PATH" },
    { "generated", 0, 0, G_OPTION_ARG_FILENAME, &generated_corpus, "a gen_corpus JSON Lines corpus", "FILE" },
    { "truth", 0, 0, G_OPTION_ARG_FILENAME, &truth, "its planted pairs (gen_corpus --truth)", "FILE" },
    { "passage-truth", 0, 0, G_OPTION_ARG_FILENAME, &passage_truth, "its planted passages (gen_corpus --passages)",
      "FILE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_autoptr(GOptionContext) ctx = g_option_context_new("DIR [-- NEARDUP OPTIONS] - end-to-end detection quality");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || (generated_corpus == NULL && rest == NULL) ||
      (generated_corpus != NULL && truth == NULL)) {
    fprintf(stderr, "usage: eval_end_to_end DIR [-- OPTIONS] | --generated CORPUS --truth TRUTH [--passage-truth P] "
            "(%s)\n", error ? error->message : "see --help");
    return 2;
  }
  g_autofree char *bin = neardup ? g_strdup(neardup) : default_neardup(argv[0]);
  if (generated_corpus != NULL)
    generated(generated_corpus, truth, passage_truth, bin, rest);
  else
    labelled_set(rest[0], bin, rest + 1);
  g_free(neardup);
  g_free(generated_corpus);
  g_free(truth);
  g_free(passage_truth);
  g_strfreev(rest);
  return 0;
}
