/* eval_quotation.c — the quotation label measured end to end, by word.
 *
 * Writes a generated set of article pairs (synthetic words, no real text): each pair shares a
 * planted quotation (the same statement quoted by both, in a quote style drawn for each side: “…”,
 * "…", «…», „…“, »…«, ‘…’, '…', 「…」, or a quotation of two paragraphs that reopens) and a planted
 * paragraph of narrative copied from one into the other (with apostrophes: don't, Kyiv's, the
 * leaders' level), each article with its own paragraphs around them. Runs the real
 * `neardup pairs --passages --quotations count --format json` on it and counts, by word of the first
 * article of each pair:
 *   true positives   quotation words (a_quoted) of passages over the planted quotation
 *   false positives  quotation words of passages anywhere else (the copied narrative)
 *   false negatives  words of the planted quotation not counted as quotation words
 * precision = TP / (TP + FP), recall = TP / words of the planted quotations. Target (issue 16): both
 * >= 0.95.
 *
 * With --wrap COLS the articles are plain-text wire copy: paragraphs apart by blank lines, each
 * hard-wrapped at COLS characters (quotations broken over lines).
 *
 *   eval_quotation [--pairs N] [--seed S] [--wrap COLS] [--neardup PATH] [--keep FILE]
 */
#include <neardup/neardup.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static guint64
next(guint64 *s)
{
  guint64 z = (*s += G_GUINT64_CONSTANT(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static const char *const syllables[] = { "ka", "to", "ri", "men", "sa", "lo", "ven", "dra", "mi", "tor", "qua",
                                         "bel", "nor", "fi", "gal", "pe", "ru", "sten", "vo", "lin", "dak", "ho",
                                         "zi", "mar", "te", "plo", "cu", "ner", "was", "jo" };
static const char *const function_words[] = { "the", "of", "and", "to", "in", "a", "that", "for", "on", "with",
                                              "as", "by", "at", "from", "was", "is", "it", "be", "has", "said" };
static const char *const apostrophes[] = { "don't", "Kyiv's", "the leaders' level", "it's", "’90s", "didn’t" };

/* n words of made-up text, sentences of 8 to 16 words. */
static void
words(guint64 *st, guint n, GString *out)
{
  guint in_sentence = 0, len = 8 + (guint)(next(st) % 9);
  for (guint i = 0; i < n; i++) {
    if (i > 0)
      g_string_append_c(out, ' ');
    guint64 r = next(st);
    if (r % 3 == 0) {
      g_string_append(out, function_words[(r >> 8) % G_N_ELEMENTS(function_words)]);
    } else if (r % 17 == 1) {
      g_string_append(out, apostrophes[(r >> 8) % G_N_ELEMENTS(apostrophes)]);
    } else {
      guint n_syl = 2 + (guint)((r >> 8) % 3);
      for (guint k = 0; k < n_syl; k++) {
        const char *s = syllables[(next(st) >> 16) % G_N_ELEMENTS(syllables)];
        if (in_sentence == 0 && k == 0)
          g_string_append_c(out, g_ascii_toupper(s[0])), g_string_append(out, s + 1);
        else
          g_string_append(out, s);
      }
    }
    if (++in_sentence == len) {
      g_string_append_c(out, '.');
      in_sentence = 0;
      len = 8 + (guint)(next(st) % 9);
    }
  }
  if (in_sentence)
    g_string_append_c(out, '.');
}

typedef struct {
  const char *open, *close;
} Style;

static const Style styles[] = { { "“", "”" }, { "\"", "\"" }, { "« ", " »" }, { "„", "“" }, { "»", "«" },
                                { "‘", "’" }, { "'", "'" }, { "「", "」" } };

typedef struct {
  guint64 quote_start, quote_end; /* the quotation's words in A (bytes) */
  guint64 copy_start, copy_end;   /* the copied narrative in A */
} Truth;

/* What ends a paragraph: a line break, or with --wrap a blank line (plain-text wire copy). */
static const char *paragraph_break = "\n";

/* Hard-wraps `s` in place at `cols` characters: a space becomes a line break where the line would
 * grow longer (byte offsets unchanged, so the truth still holds). */
static void
hard_wrap(GString *s, guint cols)
{
  gsize line_start = 0, last_space = G_MAXSIZE;
  for (gsize i = 0; i < s->len; i++) {
    if (s->str[i] == '\n') {
      line_start = i + 1;
      last_space = G_MAXSIZE;
      continue;
    }
    if (s->str[i] == ' ')
      last_space = i;
    if (last_space != G_MAXSIZE && g_utf8_strlen(s->str + line_start, (gssize)(i + 1 - line_start)) > (glong)cols) {
      s->str[last_space] = '\n';
      line_start = last_space + 1;
      last_space = G_MAXSIZE;
    }
  }
}

/* One article: own text, the quotation (one or two paragraphs), own text, the narrative, own text. */
static void
article(guint64 *st, const char *statement1, const char *statement2, const char *narrative, GString *out,
        Truth *t)
{
  const Style *s = &styles[next(st) % G_N_ELEMENTS(styles)];
  words(st, 30 + (guint)(next(st) % 30), out);
  g_string_append(out, paragraph_break);
  gboolean said_first = next(st) % 2;
  if (said_first)
    g_string_append(out, "The spokesperson told reporters: ");
  g_string_append(out, s->open);
  t->quote_start = out->len;
  g_string_append(out, statement1);
  if (statement2 != NULL && s->open[0] != '\'' && strcmp(s->open, "‘") != 0) {
    /* two paragraphs: the first left open, the second reopening (double quotes only) */
    g_string_append(out, paragraph_break);
    g_string_append(out, s->open);
    g_string_append(out, statement2);
  }
  t->quote_end = out->len;
  g_string_append(out, s->close);
  if (!said_first)
    g_string_append(out, ", the spokesperson told reporters.");
  g_string_append(out, paragraph_break);
  words(st, 30 + (guint)(next(st) % 30), out);
  g_string_append(out, paragraph_break);
  t->copy_start = out->len;
  g_string_append(out, narrative);
  t->copy_end = out->len;
  g_string_append(out, paragraph_break);
  words(st, 30 + (guint)(next(st) % 30), out);
  g_string_append(out, paragraph_break);
}

static char *
default_neardup(const char *argv0)
{
  g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
  g_autofree char *dir = g_path_get_dirname(self ? self : argv0);
  return g_build_filename(dir, "..", "neardup", NULL);
}

static void
json_line(GString *out, const char *id, const char *text)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "id");
  json_builder_add_string_value(b, id);
  json_builder_set_member_name(b, "text");
  json_builder_add_string_value(b, text);
  json_builder_end_object(b);
  g_autoptr(JsonGenerator) g = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  json_generator_set_root(g, root);
  g_autofree char *s = json_generator_to_data(g, NULL);
  g_string_append(out, s);
  g_string_append_c(out, '\n');
}

static guint
words_in(const char *text, guint64 start, guint64 end)
{
  g_autoptr(GArray) tok = g_array_new(FALSE, FALSE, sizeof(NdToken));
  nd_tokenize(text + start, end - start, ND_TOKENS_WORDS, ND_TEXT_DEFAULT, tok, NULL);
  return tok->len;
}

int
main(int argc, char **argv)
{
  gint n_pairs = 500;
  gint64 seed = 1;
  gint wrap = 0;
  char *neardup = NULL, *keep = NULL;
  GOptionEntry entries[] = {
    { "pairs", 'n', 0, G_OPTION_ARG_INT, &n_pairs, "Pairs of articles (default: 500)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed (default: 1)", "S" },
    { "wrap", 'w', 0, G_OPTION_ARG_INT, &wrap, "Hard-wrap paragraphs at COLS characters, blank lines between them (default: 0, no wrap)", "COLS" },
    { "neardup", 0, 0, G_OPTION_ARG_FILENAME, &neardup, "The neardup binary (default: ../neardup)", "PATH" },
    { "keep", 0, 0, G_OPTION_ARG_FILENAME, &keep, "Also write the generated JSON Lines to FILE", "FILE" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- the quotation label, by word, end to end");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || n_pairs < 1 || wrap < 0 || (wrap > 0 && wrap < 20)) {
    fprintf(stderr, "eval_quotation: %s\n", error ? error->message : "--pairs must be at least 1, --wrap 0 or at least 20");
    return 2;
  }
  if (wrap > 0)
    paragraph_break = "\n\n";
  g_autofree char *bin = neardup ? g_strdup(neardup) : default_neardup(argv[0]);
  guint64 st = (guint64)seed;
  GString *jsonl = g_string_new(NULL);
  g_autoptr(GHashTable) texts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autofree Truth *truth = g_new0(Truth, n_pairs);
  guint64 quote_words = 0;
  for (gint i = 0; i < n_pairs; i++) {
    g_autoptr(GString) s1 = g_string_new(NULL), s2 = g_string_new(NULL), nar = g_string_new(NULL);
    words(&st, 20 + (guint)(next(&st) % 40), s1);
    gboolean two = next(&st) % 4 == 0;
    if (two)
      words(&st, 15 + (guint)(next(&st) % 20), s2);
    words(&st, 25 + (guint)(next(&st) % 40), nar);
    g_autoptr(GString) a = g_string_new(NULL), b = g_string_new(NULL);
    Truth tb;
    article(&st, s1->str, two ? s2->str : NULL, nar->str, a, &truth[i]);
    article(&st, s1->str, two ? s2->str : NULL, nar->str, b, &tb);
    if (wrap > 0) {
      hard_wrap(a, (guint)wrap);
      hard_wrap(b, (guint)wrap);
    }
    g_autofree char *ida = g_strdup_printf("q%05da", i), *idb = g_strdup_printf("q%05db", i);
    json_line(jsonl, ida, a->str);
    json_line(jsonl, idb, b->str);
    quote_words += words_in(a->str, truth[i].quote_start, truth[i].quote_end);
    g_hash_table_insert(texts, g_strdup(ida), g_strdup(a->str));
  }
  g_autofree char *tmp = g_dir_make_tmp("eval_quotation-XXXXXX", NULL);
  g_autofree char *path = keep ? g_strdup(keep) : g_build_filename(tmp, "set.jsonl", NULL);
  if (!g_file_set_contents(path, jsonl->str, (gssize)jsonl->len, &error)) {
    fprintf(stderr, "eval_quotation: %s\n", error->message);
    return 1;
  }
  g_string_free(jsonl, TRUE);
  const char *args[] = { bin, "pairs", "--jsonl", path, "--passages", "--quotations", "count", "--format", "json", NULL };
  g_autofree char *out = NULL, *err = NULL;
  gint status = 0;
  if (!g_spawn_sync(NULL, (char **)args, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error) ||
      !g_spawn_check_wait_status(status, NULL)) {
    fprintf(stderr, "eval_quotation: %s failed: %s%s\n", bin, error ? error->message : "", err ? err : "");
    return 1;
  }
  if (!keep)
    g_unlink(path);
  g_rmdir(tmp);
  guint64 tp = 0, fp = 0, found_pairs = 0, other_pairs = 0;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  for (char **l = lines; *l; l++) {
    if (**l == '\0' || !json_parser_load_from_data(parser, *l, -1, NULL))
      continue;
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    const char *a = json_object_get_string_member(o, "a"), *b = json_object_get_string_member(o, "b");
    int ia, ib;
    char sa, sb;
    if (sscanf(a, "q%5d%c", &ia, &sa) != 2 || sscanf(b, "q%5d%c", &ib, &sb) != 2 || ia != ib || sa != 'a' ||
        ia >= n_pairs) {
      other_pairs++; /* articles of different pairs: only made-up words in common */
      continue;
    }
    found_pairs++;
    const Truth *t = &truth[ia];
    JsonArray *ps = json_object_get_array_member(o, "passages");
    for (guint k = 0; ps != NULL && k < json_array_get_length(ps); k++) {
      JsonObject *p = json_array_get_object_element(ps, k);
      guint64 s = (guint64)json_object_get_int_member(p, "a_start"), e = (guint64)json_object_get_int_member(p, "a_end");
      guint64 q = (guint64)json_object_get_int_member(p, "a_quoted");
      gboolean over_quote = s < t->quote_end && e > t->quote_start;
      if (over_quote)
        tp += q;
      else
        fp += q;
    }
  }
  double precision = tp + fp ? (double)tp / (tp + fp) : 0.0, recall = quote_words ? (double)tp / quote_words : 0.0;
  printf("quotation label by word (%d generated pairs%s, neardup pairs --passages --quotations count):\n", n_pairs,
         wrap > 0 ? ", hard-wrapped" : "");
  printf("  pairs found %" G_GUINT64_FORMAT " of %d (and %" G_GUINT64_FORMAT " across pairs)\n", found_pairs, n_pairs,
         other_pairs);
  printf("  planted quotation words %" G_GUINT64_FORMAT ", labelled quotation: %" G_GUINT64_FORMAT
         " on the quotation, %" G_GUINT64_FORMAT " elsewhere\n", quote_words, tp, fp);
  printf("  precision %.4f  recall %.4f\n", precision, recall);
  g_free(neardup);
  g_free(keep);
  return 0;
}
