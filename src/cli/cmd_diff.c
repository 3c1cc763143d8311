/* cmd_diff.c — `neardup diff A B [C...]`: the passages A shares with each of the other articles. */
#include "render.h"
#include <string.h>
#include <unistd.h>

static const char diff_description[] =
  "Aligns article A with each SOURCE and reports the passages they share, verbatim or rewritten:\n"
  "maximal stretches of matching words, tolerant of substituted, inserted or deleted words, changed\n"
  "punctuation and quote marks, other inflections of a word (English: Snowball stems) and moved\n"
  "paragraphs (each its own passage); and sentences of A rewritten from a sentence of the source\n"
  "(their content words, in other words and order). A passage of A found in several sources is\n"
  "reported for each of them.\n"
  "\n"
  "Verbatim passages: seeds are runs of --seed-tokens words found in both texts; seeds are chained\n"
  "when at most --max-gap unaligned words separate them and the alignment shifts by at most\n"
  "--max-drift words; a chain is a passage when both sides have at least --min-tokens words, three of\n"
  "its aligned words carry content (not \"the\", \"said\" ...) and at least --min-score of its words\n"
  "are aligned exactly. Rewritten passages: a sentence of A (mostly outside verbatim passages) whose\n"
  "content words, weighted by their rarity among the source's sentences, are found at least\n"
  "--sentence-overlap in one sentence of the source (four of them at least).\n"
  "\n"
  "Text output: each passage with its kind and both sides on one line, words only in A as [-word-],\n"
  "words only in the source as {+word+} (coloured on a terminal), --context words around.\n"
  "JSON Lines (--format json) and CSV (--format csv, a header line): one row per passage. Byte\n"
  "  offsets [start, end) are into the files as saved: for a web page, into the page, not its\n"
  "  extracted text; decompressed for .gz. passage_score = (a_matched + b_matched) / (a_tokens +\n"
  "  b_tokens); passage_count is the pair's number of passages, a_coverage and b_coverage the share of\n"
  "  each article's words in passages; a_text and b_text come with --text.\n"
  "HTML (--format html, best with -o FILE): one self-contained page, the articles side by side,\n"
  "  shared passages highlighted in matching colours and linked, a summary table at the top.\n"
  "\n";

typedef struct {
  NdDocument *doc; /* read the way the loader reads (web pages extracted), with its text and offset map */
  GArray *tokens;
} Loaded;

static gboolean
load_side(const char *path, gsize max_bytes, guint64 max_tokens, NdTextFlags flags, NdTokenMode mode, Loaded *out)
{
  g_autoptr(GError) error = NULL;
  NdSignParams params;
  nd_sign_params_init(&params);
  params.max_bytes = max_bytes;
  params.text_flags = flags;
  params.shingle.mode = mode;
  params.keep_sets = FALSE;
  out->doc = nd_read_document(path, &params, max_tokens, NULL, NULL, &error);
  if (out->doc == NULL) {
    fprintf(stderr, "neardup: %s: %s%s\n", path, error->message, cli_error_hint(error));
    return FALSE;
  }
  out->tokens = g_array_new(FALSE, FALSE, sizeof(NdToken));
  /* signed already, so this cannot fail */
  nd_tokenize(out->doc->text, out->doc->bytes, mode, flags, out->tokens, NULL);
  return TRUE;
}

static void
loaded_clear(Loaded *l)
{
  nd_document_free(l->doc);
  if (l->tokens)
    g_array_unref(l->tokens);
}

static Side
side_of(const char *id, const Loaded *l)
{
  return (Side){ id, l->doc->text, l->doc->bytes, (const NdToken *)l->tokens->data, l->tokens->len, l->doc->map };
}

int
cmd_diff(int argc, char **argv)
{
  char **paths = NULL, *format_name = NULL, *output = NULL, *color_name = NULL, *shingle = NULL;
  gint context = 5, seed_tokens = 0, min_tokens = 0, max_gap = -1, max_drift = -1;
  double min_score = -1, sentence_overlap = -1;
  gint64 max_bytes = (gint64)ND_DEFAULT_MAX_BYTES, max_tokens = (gint64)ND_DEFAULT_MAX_TOKENS;
  gboolean with_text = FALSE, lossy = FALSE;
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "Output format: text, json (JSON Lines), csv or html (default: text)", "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the report to FILE (atomically) instead of stdout", "FILE" },
    { "context", 'C', 0, G_OPTION_ARG_INT, &context, "Words of context around each passage in text output (default: 5)", "N" },
    { "color", 0, 0, G_OPTION_ARG_STRING, &color_name, "Colour text output: auto (when stdout is a terminal and NO_COLOR is not set), always, never", "WHEN" },
    { "text", 0, 0, G_OPTION_ARG_NONE, &with_text, "Include both sides' text of each passage in JSON and CSV output", NULL },
    { "shingle", 'k', 0, G_OPTION_ARG_STRING, &shingle, "Tokens: words or chars (chars:K for Chinese, Japanese, Thai; K is ignored)", "SPEC" },
    { "seed-tokens", 0, 0, G_OPTION_ARG_INT, &seed_tokens, "Words in a seed (default: 3)", "N" },
    { "min-tokens", 0, 0, G_OPTION_ARG_INT, &min_tokens, "Shortest passage in words (default: 6)", "N" },
    { "max-gap", 0, 0, G_OPTION_ARG_INT, &max_gap, "Most unaligned words between two seeds of a passage (default: 12)", "N" },
    { "max-drift", 0, 0, G_OPTION_ARG_INT, &max_drift, "Most words inserted on one side between two seeds (default: 6)", "N" },
    { "min-score", 0, 0, G_OPTION_ARG_DOUBLE, &min_score, "Least share of aligned words in a verbatim passage (default: 0.5)", "S" },
    { "sentence-overlap", 0, 0, G_OPTION_ARG_DOUBLE, &sentence_overlap, "Rewritten sentences: least share of a sentence's content words found in one sentence of the source; 0 turns them off (default: 0.4)", "S" },
    { "max-bytes", 0, 0, G_OPTION_ARG_INT64, &max_bytes, "Refuse articles larger than BYTES (default: 67108864)", "BYTES" },
    { "max-tokens", 0, 0, G_OPTION_ARG_INT64, &max_tokens, "Refuse articles of more than N words (default: 4194304; 0: no limit)", "N" },
    { "lossy", 0, 0, G_OPTION_ARG_NONE, &lossy, "Treat invalid UTF-8 bytes as separators instead of refusing the file", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &paths, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("A SOURCE... - show the passages A shares with each source");
  g_autofree char *description = fields_help(diff_description, diff_fields, n_diff_fields, NULL);
  g_option_context_set_description(ctx, description);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  enum { OUT_TEXT, OUT_JSON, OUT_CSV, OUT_HTML } format = OUT_TEXT;
  NdDiffOptions dopt;
  nd_diff_options_init(&dopt);
  NdShingleSpec spec = { ND_TOKENS_WORDS, ND_DEFAULT_WORD_K };
  gboolean color = FALSE;

  if (!cli_parse(ctx, &argc, &argv, &error)) {
    cli_error("diff", "%s (see --help)", error->message);
    code = EXIT_USAGE;
  } else if (paths == NULL || g_strv_length(paths) < 2) {
    cli_error("diff", "give an article and at least one source to compare it with (see --help)");
    code = EXIT_USAGE;
  } else if (format_name && !g_strv_contains((const char *const[]){ "text", "json", "jsonl", "csv", "html", NULL }, format_name)) {
    cli_error("diff", "unknown format '%s' (expected text, json, csv or html)", format_name);
    code = EXIT_USAGE;
  } else if (color_name && !g_strv_contains((const char *const[]){ "auto", "always", "never", NULL }, color_name)) {
    cli_error("diff", "--color takes auto, always or never");
    code = EXIT_USAGE;
  } else if (shingle && !nd_shingle_spec_parse(shingle, &spec, &error)) {
    cli_error("diff", "%s", error->message);
    code = EXIT_USAGE;
  } else if (context < 0 || seed_tokens < 0 || seed_tokens > ND_SHINGLE_K_MAX || min_tokens < 0 ||
             max_gap < -1 || max_drift < -1 || (min_score != -1 && (min_score < 0 || min_score > 1)) ||
             (sentence_overlap != -1 && (sentence_overlap < 0 || sentence_overlap > 1)) ||
             max_bytes < 1 || (guint64)max_bytes > ND_TEXT_MAX_BYTES || max_tokens < 0) {
    cli_error("diff", "an option is out of range (see --help)");
    code = EXIT_USAGE;
  }
  if (code != EXIT_OK)
    goto out;
  if (format_name && strcmp(format_name, "html") == 0)
    format = OUT_HTML;
  else if (format_name && strncmp(format_name, "json", 4) == 0)
    format = OUT_JSON;
  else if (format_name && strcmp(format_name, "csv") == 0)
    format = OUT_CSV;
  if (seed_tokens > 0)
    dopt.seed_tokens = (guint)seed_tokens;
  if (min_tokens > 0)
    dopt.min_tokens = (guint)min_tokens;
  if (max_gap >= 0)
    dopt.max_gap = (guint)max_gap;
  if (max_drift >= 0)
    dopt.max_drift = (guint)max_drift;
  if (min_score >= 0)
    dopt.min_score = min_score;
  if (sentence_overlap >= 0)
    dopt.sentence_overlap = sentence_overlap;
  color = color_name && strcmp(color_name, "always") == 0;
  if ((color_name == NULL || strcmp(color_name, "auto") == 0) && output == NULL)
  {
    const char *no_color = g_getenv("NO_COLOR"); /* no-color.org: set and not empty */
    color = isatty(STDOUT_FILENO) && (no_color == NULL || no_color[0] == '\0');
  }
  {
    NdTextFlags flags = lossy ? ND_TEXT_LOSSY : ND_TEXT_DEFAULT;
    guint n_sources = g_strv_length(paths) - 1;
    Loaded a = { 0 };
    if (!load_side(paths[0], (gsize)max_bytes, (guint64)max_tokens, flags, spec.mode, &a)) {
      loaded_clear(&a);
      code = EXIT_FATAL;
      goto out;
    }
    Side side_a = side_of(paths[0], &a);
    g_autofree Loaded *loaded = g_new0(Loaded, n_sources);
    g_autofree Side *sides = g_new0(Side, n_sources);
    g_autofree NdDiff **diffs = g_new0(NdDiff *, n_sources);
    guint n_ok = 0;
    for (guint i = 0; i < n_sources && !cli_interrupted(); i++) {
      if (!load_side(paths[i + 1], (gsize)max_bytes, (guint64)max_tokens, flags, spec.mode, &loaded[n_ok])) {
        loaded_clear(&loaded[n_ok]);
        memset(&loaded[n_ok], 0, sizeof(Loaded));
        code = EXIT_INPUT_ERRORS;
        continue;
      }
      sides[n_ok] = side_of(paths[i + 1], &loaded[n_ok]);
      dopt.a_len = side_a.len;
      dopt.b_len = sides[n_ok].len;
      diffs[n_ok] = nd_diff_tokens(side_a.text, side_a.tokens, side_a.n_tokens, sides[n_ok].text, sides[n_ok].tokens,
                                   sides[n_ok].n_tokens, &dopt);
      n_ok++;
    }
    if (cli_interrupted()) {
      code = cli_interrupt_exit();
    } else if (n_ok == 0) {
      fprintf(stderr, "neardup: no source could be read\n");
      code = EXIT_FATAL;
    } else {
      Output out;
      gboolean aliased = FALSE;
      if (output_open(&out, output))
        for (char **p = paths; *p != NULL && !aliased; p++)
          aliased = !output_refuse_input(&out, "diff", *p, NULL);
      if (out.fp == NULL) {
        code = EXIT_FATAL;
      } else if (aliased) {
        output_abort(&out);
        code = EXIT_USAGE;
      } else {
        RenderOptions ro = { (guint)context, color };
        if (format == OUT_HTML) {
          render_diff_html(out.fp, &side_a, sides, diffs, n_ok);
        } else if (format == OUT_JSON || format == OUT_CSV) {
          Rows rows;
          rows_init(&rows, out.fp, format == OUT_CSV ? FORMAT_CSV : FORMAT_JSON, diff_fields,
                    with_text ? n_diff_fields : n_diff_fields - 2);
          rows_header(&rows);
          for (guint i = 0; i < n_ok; i++)
            render_diff_rows(&rows, &side_a, &sides[i], diffs[i], with_text);
        } else {
          for (guint i = 0; i < n_ok; i++) {
            if (i > 0)
              fputs("\n\n", out.fp);
            render_diff_text(out.fp, &side_a, &sides[i], diffs[i], &ro);
          }
        }
        if (!output_commit(&out))
          code = cli_failure_exit();
      }
    }
    for (guint i = 0; i < n_ok; i++) {
      nd_diff_free(diffs[i]);
      loaded_clear(&loaded[i]);
    }
    loaded_clear(&a);
  }
out:
  g_strfreev(paths);
  g_free(format_name);
  g_free(output);
  g_free(color_name);
  g_free(shingle);
  return code;
}
