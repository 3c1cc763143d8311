/* render.c — passage reports for people (text, HTML) and programs (JSON Lines and CSV rows, through
 * the field table of rows.c). */
#include "render.h"
#include <errno.h>
#include <string.h>

#define RED "\033[31m"
#define GREEN "\033[32m"
#define DIM "\033[2m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

/* Writes text[from, to) with every run of whitespace shown as one space (passages are shown on
 * one line). */
static void
put_flat(FILE *fp, const char *text, gsize from, gsize to)
{
  gboolean space = FALSE;
  for (gsize i = from; i < to; i++) {
    char c = text[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = TRUE;
      continue;
    }
    if (space) {
      fputc(' ', fp);
      space = FALSE;
    }
    fputc(c, fp);
  }
  if (space)
    fputc(' ', fp);
}

/* One side of a passage on one line: context before, the passage with its unaligned words marked,
 * context after. */
static void
render_side_text(FILE *fp, const Side *s, guint32 first, guint32 end, const guint8 *aligned, guint context,
                 gboolean color, gboolean is_a)
{
  guint32 from = first > context ? first - context : 0;
  guint32 to = MIN((gsize)end + context, s->n_tokens);
  /* Colours go through term_control: the article text around them is escaped on a terminal. */
  const char *open = is_a ? "[-" : "{+", *close = is_a ? "-]" : "+}";
  /* Context is dim on a terminal; without colour the passage is bracketed by >> and <<. */
  if (from > 0)
    fputs("…", fp);
  if (color && from < first)
    term_control(fp, DIM);
  gboolean in_diff = FALSE;
  for (guint32 t = from; t <= to; t++) {
    if (in_diff && (t == end || aligned[t])) {
      fputs(close, fp);
      if (color)
        term_control(fp, RESET);
      in_diff = FALSE;
    }
    if (t == end) {
      if (color)
        term_control(fp, DIM);
      else
        fputs("<<", fp);
    }
    if (t == to)
      break;
    if (t > from)
      put_flat(fp, s->text, s->tokens[t - 1].end, s->tokens[t].start);
    if (t == first) {
      if (color)
        term_control(fp, RESET);
      else
        fputs(">>", fp);
    }
    if (t >= first && t < end && !aligned[t] && !in_diff) {
      if (color)
        term_control(fp, is_a ? RED : GREEN);
      fputs(open, fp);
      in_diff = TRUE;
    }
    fwrite(s->text + s->tokens[t].start, 1, s->tokens[t].end - s->tokens[t].start, fp);
  }
  if (color)
    term_control(fp, RESET);
  if (to < s->n_tokens)
    fputs("…", fp);
  fputc('\n', fp);
}

/* A passage's heading in diff's text report: "Passage N (kind, label): score; A bytes S-E (W words),
 * B bytes S-E (W words)". */
static const TextColumn passage_heading_text[] = { { F_PASSAGE, NULL, NULL },
                                                   { F_PASSAGE_KIND, " (", NULL },
                                                   { F_PASSAGE_LABEL, ", ", ")" },
                                                   { F_PASSAGE_SCORE, ": score ", NULL },
                                                   { F_A_START, "; A bytes ", NULL },
                                                   { F_A_END, "-", NULL },
                                                   { F_A_TOKENS, " (", " words)" },
                                                   { F_B_START, ", B bytes ", NULL },
                                                   { F_B_END, "-", NULL },
                                                   { F_B_TOKENS, " (", " words)" } };

void
render_diff_text(FILE *fp, const Side *a, const Side *b, const NdDiff *d, const RenderOptions *o)
{
  guint n = d->passages->len;
  for (int side = 0; side < 2; side++) {
    if (o->color)
      term_control(fp, BOLD);
    fprintf(fp, "%s: %s", side == 0 ? "A" : "B", side == 0 ? a->id : b->id);
    if (o->color)
      term_control(fp, RESET);
    fputc('\n', fp);
  }
  fprintf(fp, "%u shared passage%s; %.0f%% of A and %.0f%% of B are in them.\n", n, n == 1 ? "" : "s",
          100.0 * d->a_coverage, 100.0 * d->b_coverage);
  g_auto(Rows) heading = { 0 };
  rows_init(&heading, fp, FORMAT_TEXT, passage_fields, n_passage_fields);
  rows_text_layout(&heading, passage_heading_text, G_N_ELEMENTS(passage_heading_text), "\nPassage ");
  heading.text_sentence = TRUE;
  for (guint p = 0; p < n; p++) {
    const NdPassage *q = &g_array_index(d->passages, NdPassage, p);
    rows_begin(&heading);
    rows_passage(&heading, a, b, d, p);
    rows_end(&heading);
    fputs("  A: ", fp);
    render_side_text(fp, a, q->a_first, q->a_end, d->a_aligned, o->context, o->color, TRUE);
    fputs("  B: ", fp);
    render_side_text(fp, b, q->b_first, q->b_end, d->b_aligned, o->context, o->color, FALSE);
  }
}

/* A slice of a text as a NUL-terminated copy (caller frees). */
static char *
text_slice(const char *text, gsize from, gsize to)
{
  return g_strndup(text + from, to - from);
}

void
rows_passage(Rows *r, const Side *a, const Side *b, const NdDiff *d, guint index)
{
  if (d == NULL || index >= d->passages->len) {
    for (guint i = 0; i < n_passage_fields; i++)
      rows_null(r, passage_fields[i]);
    return;
  }
  const NdPassage *q = &g_array_index(d->passages, NdPassage, index);
  guint64 as, ae, bs, be;
  passage_bytes(a, b, q, &as, &ae, &bs, &be);
  rows_integer(r, F_PASSAGE, index + 1);
  rows_integer(r, F_A_START, as);
  rows_integer(r, F_A_END, ae);
  rows_integer(r, F_B_START, bs);
  rows_integer(r, F_B_END, be);
  rows_integer(r, F_A_TOKENS, q->a_end - q->a_first);
  rows_integer(r, F_B_TOKENS, q->b_end - q->b_first);
  rows_integer(r, F_A_MATCHED, q->a_matched);
  rows_integer(r, F_B_MATCHED, q->b_matched);
  rows_number(r, F_PASSAGE_SCORE, q->score);
  rows_string(r, F_PASSAGE_KIND, q->kind == ND_PASSAGE_REWRITTEN ? "rewritten" : "verbatim");
  rows_string(r, F_PASSAGE_LABEL, nd_passage_label(q));
  rows_integer(r, F_A_QUOTED, q->a_quoted);
  rows_integer(r, F_B_QUOTED, q->b_quoted);
}

const FieldId diff_fields[] = { F_A, F_B, F_PASSAGE, F_A_START, F_A_END, F_B_START, F_B_END, F_A_TOKENS,
                                F_B_TOKENS, F_A_MATCHED, F_B_MATCHED, F_PASSAGE_SCORE, F_PASSAGE_KIND,
                                F_PASSAGE_LABEL, F_A_QUOTED, F_B_QUOTED, F_PASSAGE_COUNT, F_A_COVERAGE,
                                F_B_COVERAGE, F_QUOTED_WORDS, F_NARRATIVE_WORDS, F_A_TEXT, F_B_TEXT };
const guint n_diff_fields = G_N_ELEMENTS(diff_fields);

void
render_diff_rows(Rows *r, const Side *a, const Side *b, const NdDiff *d, gboolean with_text)
{
  for (guint p = 0; p < d->passages->len; p++) {
    const NdPassage *q = &g_array_index(d->passages, NdPassage, p);
    rows_begin(r);
    rows_string(r, F_A, a->id);
    rows_string(r, F_B, b->id);
    rows_passage(r, a, b, d, p);
    rows_integer(r, F_PASSAGE_COUNT, d->passages->len);
    rows_number(r, F_A_COVERAGE, d->a_coverage);
    rows_number(r, F_B_COVERAGE, d->b_coverage);
    rows_integer(r, F_QUOTED_WORDS, d->quoted_words);
    rows_integer(r, F_NARRATIVE_WORDS, d->narrative_words);
    if (with_text) {
      g_autofree char *at = text_slice(a->text, q->a_start, q->a_stop);
      g_autofree char *bt = text_slice(b->text, q->b_start, q->b_stop);
      rows_string(r, F_A_TEXT, at);
      rows_string(r, F_B_TEXT, bt);
    }
    rows_end(r);
  }
}

char *
passages_json_array(const Side *a, const Side *b, const NdDiff *d)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  if (fp == NULL)
    g_error("open_memstream: %s", g_strerror(errno));
  fputc('[', fp);
  Rows r;
  rows_init(&r, fp, FORMAT_JSON, passage_fields, n_passage_fields);
  r.nested = TRUE;
  for (guint p = 0; d != NULL && p < d->passages->len; p++) {
    if (p)
      fputc(',', fp);
    rows_begin(&r);
    rows_passage(&r, a, b, d, p);
    rows_end(&r);
  }
  fputc(']', fp);
  fclose(fp);
  return buf;
}

guint
columns_with_passages(FieldId *cols, const FieldId *base, guint n, OutputFormat format, gboolean passages)
{
  memcpy(cols, base, n * sizeof *cols);
  if (!passages || format == FORMAT_TEXT)
    return n;
  if (format == FORMAT_JSON) {
    cols[n] = F_PASSAGES;
    return n + 1;
  }
  memcpy(cols + n, passage_fields, n_passage_fields * sizeof *cols);
  return n + n_passage_fields;
}

void
rows_write_with_passages(Rows *r, gboolean passages, const Side *a, const Side *b, const NdDiff *d,
                         RowFieldsFunc write_fields, gconstpointer data)
{
  if (r->format == FORMAT_TEXT) { /* the row's line, then a line per passage under it */
    rows_begin(r);
    write_fields(r, data);
    rows_end(r);
    if (passages && d != NULL)
      render_passages_brief(r->fp, a, b, d);
    return;
  }
  if (!passages || r->format == FORMAT_JSON) {
    rows_begin(r);
    write_fields(r, data);
    if (passages) {
      g_autofree char *array = passages_json_array(a, b, d);
      rows_json(r, F_PASSAGES, array);
    }
    rows_end(r);
    return;
  }
  guint n = d != NULL && d->passages->len > 0 ? d->passages->len : 1;
  for (guint p = 0; p < n; p++) { /* CSV: one row per passage; a pair without one keeps its row */
    rows_begin(r);
    write_fields(r, data);
    rows_passage(r, a, b, d, p);
    rows_end(r);
  }
}

/* ---- HTML ---------------------------------------------------------------------------------- */

void
html_escape(FILE *fp, const char *text, gsize from, gsize to)
{
  gsize run = from; /* the bytes from `run` to i need no escape: written with one fwrite */
  for (gsize i = from; i < to; i++) {
    const char *entity;
    switch (text[i]) {
    case '<': entity = "&lt;"; break;
    case '>': entity = "&gt;"; break;
    case '&': entity = "&amp;"; break;
    case '"': entity = "&quot;"; break;
    default: continue;
    }
    fwrite(text + run, 1, i - run, fp);
    fputs(entity, fp);
    run = i + 1;
  }
  if (to > run)
    fwrite(text + run, 1, to - run, fp);
}

void
html_escape_str(FILE *fp, const char *s)
{
  g_autofree char *valid = g_utf8_make_valid(s, -1);
  html_escape(fp, valid, 0, strlen(valid));
}

/* The passage (1-based; 0 = none) each token of one side belongs to: the first passage covering it. */
static guint *
token_passages(const NdDiff *d, gsize n_tokens, gboolean is_a)
{
  guint *owner = g_new0(guint, n_tokens + 1);
  for (guint p = 0; p < d->passages->len; p++) {
    const NdPassage *q = &g_array_index(d->passages, NdPassage, p);
    guint32 first = is_a ? q->a_first : q->b_first, end = is_a ? q->a_end : q->b_end;
    for (guint32 t = first; t < end; t++)
      if (owner[t] == 0)
        owner[t] = p + 1;
  }
  return owner;
}

/* The whole text of one side, passages highlighted and linked to their counterpart in the other
 * column (ids "s<source>-a<passage>" / "s<source>-b<passage>"), unaligned words inside passages
 * marked. Text between tokens is copied as it is (white-space: pre-wrap keeps the paragraphs). */
static void
html_side(FILE *fp, const Side *s, const NdDiff *d, guint source, gboolean is_a)
{
  g_autofree guint *owner = token_passages(d, s->n_tokens, is_a);
  const guint8 *aligned = is_a ? d->a_aligned : d->b_aligned;
  const char *me = is_a ? "a" : "b", *other = is_a ? "b" : "a";
  guint open = 0;
  gsize pos = 0;
  for (gsize t = 0; t <= s->n_tokens; t++) {
    guint want = t < s->n_tokens ? owner[t] : 0;
    gsize tok_start = t < s->n_tokens ? s->tokens[t].start : s->len;
    if (want != open) {
      if (open) {
        fputs("</a>", fp);
        html_escape(fp, s->text, pos, tok_start);
      } else {
        html_escape(fp, s->text, pos, tok_start);
      }
      if (want)
        fprintf(fp, "<a class=\"p c%u\" id=\"s%u-%s%u\" href=\"#s%u-%s%u\" title=\"passage %u\">", (want - 1) % 12,
                source, me, want, source, other, want, want);
      open = want;
    } else {
      html_escape(fp, s->text, pos, tok_start);
    }
    if (t == s->n_tokens)
      break;
    gboolean diff = open && !aligned[t];
    if (diff)
      fprintf(fp, "<span class=\"%s\">", is_a ? "only-a" : "only-b");
    html_escape(fp, s->text, s->tokens[t].start, s->tokens[t].end);
    if (diff)
      fputs("</span>", fp);
    pos = s->tokens[t].end;
  }
  if (open)
    fputs("</a>", fp);
  html_escape(fp, s->text, pos, s->len);
}

void
render_diff_html(FILE *fp, const Side *a, const Side *sources, NdDiff *const *diffs, guint n)
{
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>neardup: shared passages of ", fp);
  html_escape_str(fp, a->id);
  fputs("</title>\n<style>\n"
        "body{font:15px/1.5 system-ui,sans-serif;margin:1.5em;color:#222}\n"
        "h1{font-size:1.3em} h2{font-size:1.1em;margin-top:2em;border-top:1px solid #ccc;padding-top:1em}\n"
        "table{border-collapse:collapse;margin:1em 0} td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}\n"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
        ".cols{display:grid;grid-template-columns:1fr 1fr;gap:1.5em}\n"
        ".doc{white-space:pre-wrap;border:1px solid #ddd;padding:1em;border-radius:4px;max-height:80vh;overflow:auto}\n"
        ".doc h3{margin:0 0 .5em;font-size:1em;white-space:normal}\n"
        "a.p{color:inherit;text-decoration:none;border-radius:2px} a.p:target{outline:3px solid #333}\n"
        ".only-a{background:#f7b2b2;text-decoration:line-through} .only-b{background:#b2e3b2;text-decoration:underline}\n"
        ".legend span{padding:0 .4em;margin-right:1em}\n", fp);
  static const char *const hues[12] = { "#ffe08a", "#a8d8ff", "#ffc2e2", "#c8f0a8", "#d9c8ff", "#ffd2a8",
                                        "#a8f0e8", "#f0f0a0", "#e0c8b8", "#b8d0ff", "#f8c8c8", "#c8e8c8" };
  for (int c = 0; c < 12; c++)
    fprintf(fp, ".c%d{background:%s}\n", c, hues[c]);
  fputs("</style></head><body>\n<h1>Shared passages of ", fp);
  html_escape_str(fp, a->id);
  fputs("</h1>\n<p class=\"legend\">Each shared passage has one colour in both articles; click it to jump to its "
        "counterpart. <span class=\"only-a\">words only in A</span><span class=\"only-b\">words only in the "
        "source</span></p>\n<table id=\"summary\"><tr><th>source</th><th>passages</th><th>share of A</th>"
        "<th>share of source</th></tr>\n", fp);
  for (guint i = 0; i < n; i++) {
    fprintf(fp, "<tr><td><a href=\"#source%u\">", i + 1);
    html_escape_str(fp, sources[i].id);
    fprintf(fp, "</a></td><td class=\"n\">%u</td><td class=\"n\">%.0f%%</td><td class=\"n\">%.0f%%</td></tr>\n",
            diffs[i]->passages->len, 100.0 * diffs[i]->a_coverage, 100.0 * diffs[i]->b_coverage);
  }
  fputs("</table>\n", fp);
  for (guint i = 0; i < n; i++) {
    const NdDiff *d = diffs[i];
    fprintf(fp, "<h2 id=\"source%u\">A: ", i + 1);
    html_escape_str(fp, a->id);
    fputs(" &nbsp;↔&nbsp; source: ", fp);
    html_escape_str(fp, sources[i].id);
    fprintf(fp, "</h2>\n<table><tr><th>passage</th><th>score</th><th>A bytes</th><th>source bytes</th>"
            "<th>words (A / source)</th></tr>\n");
    for (guint p = 0; p < d->passages->len; p++) {
      const NdPassage *q = &g_array_index(d->passages, NdPassage, p);
      guint64 as, ae, bs, be;
      passage_bytes(a, &sources[i], q, &as, &ae, &bs, &be);
      fprintf(fp, "<tr><td><a class=\"p c%u\" href=\"#s%u-a%u\">%u</a></td><td class=\"n\">%.2f</td>"
              "<td class=\"n\">%" G_GUINT64_FORMAT "–%" G_GUINT64_FORMAT "</td><td class=\"n\">%" G_GUINT64_FORMAT "–%"
              G_GUINT64_FORMAT "</td><td class=\"n\">%u / %u</td></tr>\n", p % 12, i + 1, p + 1, p + 1, q->score,
              as, ae, bs, be, q->a_end - q->a_first, q->b_end - q->b_first);
    }
    fputs("</table>\n<div class=\"cols\"><div class=\"doc\"><h3>A: ", fp);
    html_escape_str(fp, a->id);
    fputs("</h3>", fp);
    html_side(fp, a, d, i + 1, TRUE);
    fputs("</div><div class=\"doc\"><h3>source: ", fp);
    html_escape_str(fp, sources[i].id);
    fputs("</h3>", fp);
    html_side(fp, &sources[i], d, i + 1, FALSE);
    fputs("</div></div>\n", fp);
  }
  fputs("</body></html>\n", fp);
}

NdDiff *
pair_diff(const NdCollection *coll, guint a, guint b, const GArray *boilerplate, GArray *ta, GArray *tb, Side *sa,
          Side *sb)
{
  const NdSignParams *sp = nd_collection_params(coll);
  const NdDocument *da = nd_collection_get(coll, a), *db = nd_collection_get(coll, b);
  NdDiffOptions o;
  nd_diff_options_init(&o);
  if (boilerplate != NULL) {
    o.boilerplate = (const guint32 *)boilerplate->data;
    o.n_boilerplate = boilerplate->len;
  }
  /* The texts were tokenised successfully when they were signed: this cannot fail. */
  NdDiff *diff = nd_diff_pair(da->text, da->bytes, sp->text_flags, db->text, db->bytes, sp->text_flags,
                              sp->shingle.mode, &o, ta, tb, NULL);
  *sa = (Side){ da->id, da->text, da->bytes, (const NdToken *)ta->data, ta->len, da->map };
  *sb = (Side){ db->id, db->text, db->bytes, (const NdToken *)tb->data, tb->len, db->map };
  return diff;
}

typedef struct {
  const NdCollection *coll;
  const guint *a, *b;
  guint n;
  const GArray *boilerplate;
  AlignedPair *out;
  gint next; /* the next pair to align (atomic) */
} AlignJob;

static gpointer
align_worker(gpointer data)
{
  AlignJob *job = data;
  for (;;) {
    gint i = g_atomic_int_add(&job->next, 1);
    if (i < 0 || (guint)i >= job->n || cli_interrupted())
      break;
    AlignedPair *r = &job->out[i];
    r->ta = g_array_new(FALSE, FALSE, sizeof(NdToken));
    r->tb = g_array_new(FALSE, FALSE, sizeof(NdToken));
    r->diff = pair_diff(job->coll, job->a[i], job->b[i], job->boilerplate, r->ta, r->tb, &r->sa, &r->sb);
  }
  return NULL;
}

AlignedPair *
align_pairs(const NdCollection *coll, const guint *a, const guint *b, guint n, const GArray *boilerplate,
            guint threads)
{
  AlignedPair *out = g_new0(AlignedPair, n + 1);
  AlignJob job = { coll, a, b, n, boilerplate, out, 0 };
  if (threads == 0)
    threads = (guint)g_get_num_processors();
  threads = MAX(1, MIN(threads, n / 2)); /* a thread for one or two pairs costs more than it saves */
  g_autofree GThread **tids = g_new0(GThread *, threads);
  for (guint t = 1; t < threads; t++)
    tids[t] = g_thread_new("neardup-align", align_worker, &job);
  align_worker(&job);
  for (guint t = 1; t < threads; t++)
    g_thread_join(tids[t]);
  return out;
}

void
aligned_pairs_free(AlignedPair *pairs, guint n)
{
  if (pairs == NULL)
    return;
  for (guint i = 0; i < n; i++) {
    nd_diff_free(pairs[i].diff);
    if (pairs[i].ta != NULL)
      g_array_unref(pairs[i].ta);
    if (pairs[i].tb != NULL)
      g_array_unref(pairs[i].tb);
  }
  g_free(pairs);
}

/* A passage in a line under a row (--passages, text): its number, byte ranges, length, score and
 * the first words of A's side. */
static const FieldId brief_fields[] = { F_PASSAGE, F_A_START, F_A_END, F_B_START, F_B_END, F_A_TOKENS,
                                        F_B_TOKENS, F_A_MATCHED, F_B_MATCHED, F_PASSAGE_SCORE, F_PASSAGE_KIND,
                                        F_PASSAGE_LABEL, F_A_QUOTED, F_B_QUOTED, F_A_TEXT };
static const TextColumn brief_text[] = { { F_PASSAGE, NULL, ":" },
                                         { F_A_START, " A bytes ", NULL },
                                         { F_A_END, "-", "," },
                                         { F_B_START, " B bytes ", NULL },
                                         { F_B_END, "-", "," },
                                         { F_A_TOKENS, " ", " words," },
                                         { F_PASSAGE_SCORE, " score ", NULL },
                                         { F_A_TEXT, ": \"", "\"" } };

void
render_passages_brief(FILE *fp, const Side *a, const Side *b, const NdDiff *d)
{
  g_auto(Rows) r = { 0 };
  rows_init(&r, fp, FORMAT_TEXT, brief_fields, G_N_ELEMENTS(brief_fields));
  rows_text_layout(&r, brief_text, G_N_ELEMENTS(brief_text), "      passage ");
  r.text_sentence = TRUE;
  for (guint p = 0; p < d->passages->len; p++) {
    const NdPassage *q = &g_array_index(d->passages, NdPassage, p);
    g_autofree char *a_text = text_slice(a->text, q->a_start, q->a_stop);
    rows_begin(&r);
    rows_passage(&r, a, b, d, p);
    rows_string(&r, F_A_TEXT, a_text);
    rows_end(&r);
  }
}

void
passage_bytes(const Side *a, const Side *b, const NdPassage *q, guint64 *a_start, guint64 *a_end, guint64 *b_start,
              guint64 *b_end)
{
  *a_start = nd_offset_map_start(a->map, q->a_start);
  *a_end = nd_offset_map_end(a->map, q->a_stop);
  *b_start = nd_offset_map_start(b->map, q->b_start);
  *b_end = nd_offset_map_end(b->map, q->b_stop);
}
