/* cmd_report.c — `neardup report PATH... -o report.html`: the journalist's answer in one page.
 *
 * Reads articles like `pairs`, finds the reported pairs (quotation-only pairs listed apart), their
 * directions and each cluster's origin (origin.h), and writes one self-contained HTML page: a
 * summary, then per cluster a timeline drawn as inline SVG (articles by publication time, arrows from
 * source to copy) and every pair's passages side by side with headline, outlet, date and URL,
 * quotations and narrative marked differently, each passage linked to its counterpart. No script and
 * no resource from elsewhere: it works offline and prints. Large inputs: FILE holds the summary, the
 * clusters go to pages of at most --per-page clusters and about PAGE_TEXT_BYTES of article text
 * (FILE-2.html, ...; a page's text is what a browser takes time to lay out) and the rest to the last
 * pages. The pairs of a page are aligned on the worker threads ahead of the writer (AlignStream).
 * With --index, a selection of archived articles (the archive's --group/--where, index.h) is read as
 * inputs (find_cli_load): the same page from the archive's stored texts and metadata.
 */
#include "render.h"
#include <json-glib/json-glib.h>
#include <string.h>

static const char report_description[] =
  "Writes one self-contained HTML page (no scripts or resources from elsewhere; works offline and\n"
  "prints) answering who copied from whom: a summary (articles, clusters, their origins, pairs by\n"
  "kind), a timeline of each cluster (articles by publication date from --date-field, arrows from the\n"
  "source to the copy; without dates, by the evidence of the texts, dashed), and each pair's shared\n"
  "passages side by side with headline, outlet, date and URL (from the articles' metadata; the first\n"
  "line of the text for the headline), words both articles quote marked apart from copied narrative.\n"
  "Each passage links to its counterpart. Pairs that share only quotations are listed apart.\n"
  "With more than --per-page clusters or 256 KB of article text, FILE holds the summary, the clusters\n"
  "go to FILE-2.html, FILE-3.html ... next to it (at most --per-page clusters and about 256 KB of text\n"
  "each, so that a browser opens them quickly; a cluster is never split), and the articles apart,\n"
  "quotation pairs and weaker links to the last pages, all linked from the summary.\n"
  "\n"
  "From an archive: --index DB adds the articles archived in DB (all of them, the members of\n"
  "--group N, or those meeting every --where COND, the conditions of `index list`) to the articles\n"
  "of the PATHs, if any: their stored texts are signed again with the archive's parameters (which\n"
  "then replace --shingle, --num-perm and --seed), their stored metadata give headline, outlet, URL\n"
  "and date, and the page is laid out as for files. An archived article without a stored text, or\n"
  "with the id of an article already read, is left out and reported (exit 1).\n"
  "\n" CLI_EXIT_CODES_HELP;

/* The permissive rule of the weaker links (a shared quotation or phrase of a few words). */
#define WEAK_CONTAINMENT 0.02
#define WEAK_MIN_SHARED 3
#define WEAK_SCORE 0.05

typedef struct {
  char *headline, *outlet, *url, *date;
} Meta;

static void
meta_clear(Meta *m)
{
  g_free(m->headline);
  g_free(m->outlet);
  g_free(m->url);
  g_free(m->date);
}

static char *
member_string(JsonObject *o, const char *const *names)
{
  for (; *names != NULL; names++) {
    JsonNode *n = json_object_get_member(o, *names);
    if (n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
      const char *s = json_node_get_string(n);
      if (s != NULL && *s != '\0')
        return g_strdup(s);
    }
  }
  return NULL;
}

/* Headline, outlet, URL and date as written, from the metadata; the headline falls back to the first
 * line of the text holding a letter. */
static void
meta_of(const NdDocument *doc, const char *date_field, Meta *m)
{
  memset(m, 0, sizeof *m);
  if (doc->meta != NULL) {
    g_autoptr(JsonParser) parser = json_parser_new();
    if (json_parser_load_from_data(parser, doc->meta, -1, NULL) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
      JsonObject *o = json_node_get_object(json_parser_get_root(parser));
      m->headline = member_string(o, (const char *const[]){ "title", "headline", NULL });
      m->outlet = member_string(o, (const char *const[]){ "site", "outlet", "source", "publisher", NULL });
      m->url = member_string(o, (const char *const[]){ "url", "link", NULL });
      m->date = member_string(o, (const char *const[]){ date_field, NULL });
    }
  }
  if (m->headline == NULL && doc->text != NULL) {
    const char *p = doc->text, *end = doc->text + doc->bytes;
    while (p < end) {
      const char *nl = memchr(p, '\n', (gsize)(end - p));
      const char *e = nl ? nl : end;
      gboolean letter = FALSE;
      for (const char *q = p; q < e && !letter; q++)
        letter = g_ascii_isalpha(*q) || (guchar)*q >= 0x80;
      if (letter) {
        m->headline = g_utf8_make_valid(p, MIN(e - p, 200));
        g_strstrip(m->headline);
        break;
      }
      p = e + 1;
    }
  }
}

typedef struct {
  const FindCli *cli;
  const NdCollection *coll;
  const GArray *pairs;
  const NdDirection *direction;
  const NdPublished *published;
  const guint *origin;
  const NdSourceBasis *origin_basis;
  Meta *meta;
  const GArray *boilerplate;
} Report;

static const char style[] =
  "body{font:15px/1.5 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;color:#222;padding:0 1em}\n"
  "h1{font-size:1.4em} h2{font-size:1.2em;margin-top:2.5em;border-top:2px solid #ccc;padding-top:.8em}\n"
  "h3{font-size:1em;margin:1.5em 0 .4em}\n"
  "table{border-collapse:collapse;margin:.6em 0} td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;"
  "vertical-align:top}\n"
  "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
  ".art{font-size:.9em;color:#444} .art b{color:#000}\n"
  "table.pass{width:100%;table-layout:fixed} table.pass td{width:50%}\n"
  "a.p{color:inherit;text-decoration:none;display:block} td:target{outline:3px solid #1a5fb4}\n"
  "mark.q{background:#cfe3ff;border-bottom:2px dotted #1a5fb4} mark.n{background:#ffe08a}\n"
  ".lab{font-size:.75em;text-transform:uppercase;letter-spacing:.05em;color:#555}\n"
  ".legend mark{padding:0 .3em;margin-right:1em}\n"
  "svg{max-width:100%;height:auto;border:1px solid #eee;background:#fcfcfc}\n"
  "@media print{a.p{color:#000} td:target{outline:none} h2{break-before:page}}\n";

/* An article's line: headline, outlet, date, URL and id. */
static void
article_line(FILE *fp, const Report *r, guint i)
{
  const Meta *m = &r->meta[i];
  fputs("<span class=\"art\"><b>", fp);
  html_escape_str(fp, m->headline ? m->headline : nd_collection_get(r->coll, i)->id);
  fputs("</b>", fp);
  if (m->outlet) {
    fputs(" · ", fp);
    html_escape_str(fp, m->outlet);
  }
  if (r->published && r->published[i].dated) {
    char iso[ND_DATE_ISO_SIZE];
    nd_date_format_utc(r->published[i].utc, iso);
    fprintf(fp, " · %.*s", r->published[i].day_only ? 10 : 16, iso);
  } else if (m->date) {
    fputs(" · ", fp);
    html_escape_str(fp, m->date);
  }
  if (m->url) {
    fputs(" · <a href=\"", fp);
    html_escape_str(fp, m->url);
    fputs("\">", fp);
    html_escape_str(fp, m->url);
    fputs("</a>", fp);
  }
  fputs(" · <code>", fp);
  html_escape_str(fp, nd_collection_get(r->coll, i)->id);
  fputs("</code></span>", fp);
}

/* One side of a passage: its words, quotation words and narrative words marked, a few words of
 * context around it. */
static void
passage_side(FILE *fp, const Side *s, guint32 first, guint32 end, const guint8 *aligned, const guint8 *quoted)
{
  const guint ctx = 6;
  guint32 from = first > ctx ? first - ctx : 0, to = MIN((guint32)s->n_tokens, end + ctx);
  if (from < first)
    fputs("… ", fp);
  /* The text is escaped in runs between mark changes (a gap between two tokens goes outside a mark
   * that closes there and inside one that goes on). */
  const char *open = NULL;
  gsize written = from < to ? s->tokens[from].start : 0;
  for (guint32 t = from; t < to; t++) {
    const char *want = t >= first && t < end && aligned[t] ? (quoted[t] ? "q" : "n") : NULL;
    if (open != NULL && (want == NULL || strcmp(want, open) != 0)) {
      html_escape(fp, s->text, written, s->tokens[t - 1].end);
      written = s->tokens[t - 1].end;
      fputs("</mark>", fp);
      open = NULL;
    }
    if (want != NULL && open == NULL) {
      html_escape(fp, s->text, written, s->tokens[t].start);
      written = s->tokens[t].start;
      fprintf(fp, "<mark class=\"%s\">", want);
      open = want;
    }
  }
  if (from < to)
    html_escape(fp, s->text, written, s->tokens[to - 1].end);
  if (open != NULL)
    fputs("</mark>", fp);
  if (to > end)
    fputs(" …", fp);
}

/* The sides of a pair (not NULL) as the report shows them: the source on the left when there is one
 * (dir NULL: none). */
static void
pair_sides(const NdPair *p, const NdDirection *dir, guint *left, guint *right)
{
  g_assert(p != NULL);
  gboolean swap = dir != NULL && dir->source == p->b;
  *left = swap ? p->b : p->a;
  *right = swap ? p->a : p->b;
}

/* The pairs a page writes, in order, aligned ALIGN_BATCH at a time on the worker threads ahead of
 * the writer (the output does not depend on the thread count). */
typedef struct {
  const NdPair *pair;
  guint number;             /* its number in the report (anchors) */
  const NdDirection *dir;   /* NULL: a weak link, no direction */
} PairRef;

typedef struct {
  const Report *r;
  const PairRef *refs;
  guint n, first, len;
  AlignedPair *aligned;
} AlignStream;

/* The aligned pair refs[j]; j must not decrease between calls. NULL after an interrupt. */
static const AlignedPair *
stream_get(AlignStream *s, guint j)
{
  if (j >= s->first + s->len) {
    aligned_pairs_free(s->aligned, s->len);
    s->first = j;
    s->len = MIN(ALIGN_BATCH, s->n - j);
    guint left[ALIGN_BATCH] = { 0 }, right[ALIGN_BATCH] = { 0 }; /* zeroed for the analyzer: len <= ALIGN_BATCH */
    for (guint i = 0; i < s->len; i++)
      pair_sides(s->refs[j + i].pair, s->refs[j + i].dir, &left[i], &right[i]);
    s->aligned = align_pairs(s->r->coll, left, right, s->len, s->r->boilerplate, (guint)s->r->cli->threads);
  }
  const AlignedPair *a = &s->aligned[j - s->first];
  return a->diff != NULL ? a : NULL;
}

static void
stream_clear(AlignStream *s)
{
  aligned_pairs_free(s->aligned, s->len);
  s->aligned = NULL;
  s->first = s->len = 0;
}

/* What a page holds: the summary, clusters c_first to c_end - 1, articles apart a_first to a_end - 1,
 * the other pairs (quotation pairs, then weaker links) r_first to r_end - 1. */
typedef struct {
  gboolean summary;
  guint c_first, c_end;
  guint a_first, a_end;
  guint r_first, r_end;
} PagePlan;

/* The weight of an article apart in the list: about its line of HTML. */
#define APART_WEIGHT 256

/* The article text a pair shows (both sides): a page's weight. A page with 3 MB of HTML took 4 s
 * longer to open in Chromium than an empty one; 256 KB of text makes about 400 KB of HTML. */
#define PAGE_TEXT_BYTES (256 * 1024)

static guint64
pair_weight(const NdCollection *coll, const NdPair *p)
{
  return nd_collection_get(coll, p->a)->bytes + nd_collection_get(coll, p->b)->bytes;
}

/* A pair: both articles, the direction, the passages side by side. */
static void
write_pair(FILE *fp, const Report *r, const PairRef *ref, const AlignedPair *al)
{
  static const NdDirection undecided = { G_MAXUINT, ND_BASIS_NONE };
  const NdPair *p = ref->pair;
  g_assert(p != NULL);
  const NdDirection *dir = ref->dir != NULL ? ref->dir : &undecided;
  guint k = ref->number, left, right;
  pair_sides(p, dir, &left, &right);
  const NdDiff *d = al->diff;
  const Side sa = al->sa, sb = al->sb;
  if (dir == &undecided && p->kind == ND_PAIR_UNRELATED && d->passages->len == 0)
    return; /* a weak link without a passage to show */
  fprintf(fp, "<h3 id=\"pair%u\">%s · score %.2f · %u passage%s, %u words quoted by both, %u narrative</h3>\n", k + 1,
          p->kind == ND_PAIR_UNRELATED ? "shared passages" : nd_pair_kind_name(p->kind), p->score, d->passages->len, d->passages->len == 1 ? "" : "s", d->quoted_words,
          d->narrative_words);
  fputs("<p>", fp);
  if (dir->source != G_MAXUINT)
    fprintf(fp, "<span class=\"lab\">source (%s)</span> ", dir->basis == ND_BASIS_DATE ? "earlier date" : "inferred");
  else
    fputs("<span class=\"lab\">left</span> ", fp);
  article_line(fp, r, left);
  fprintf(fp, "<br><span class=\"lab\">%s</span> ", dir->source != G_MAXUINT ? "copy" : "right");
  article_line(fp, r, right);
  fputs("</p>\n<table class=\"pass\">\n", fp);
  for (guint i = 0; i < d->passages->len; i++) {
    const NdPassage *q = &g_array_index(d->passages, NdPassage, i);
    fprintf(fp, "<tr><td id=\"p%u-a%u\"><a class=\"p\" href=\"#p%u-b%u\"><span class=\"lab\">%s · %s</span><br>", k + 1,
            i + 1, k + 1, i + 1, nd_passage_label(q), q->kind == ND_PASSAGE_REWRITTEN ? "rewritten" : "verbatim");
    passage_side(fp, &sa, q->a_first, q->a_end, d->a_aligned, d->a_quoted);
    fprintf(fp, "</a></td><td id=\"p%u-b%u\"><a class=\"p\" href=\"#p%u-a%u\"><span class=\"lab\">%s</span><br>", k + 1,
            i + 1, k + 1, i + 1, nd_passage_label(q));
    passage_side(fp, &sb, q->b_first, q->b_end, d->b_aligned, d->b_quoted);
    fputs("</a></td></tr>\n", fp);
  }
  fputs("</table>\n", fp);
}

/* The timeline of a cluster: members by date (undated ones after, in input order), arrows from the
 * source to the copy of every directed pair (solid by date, dashed when inferred). */
static void
write_timeline(FILE *fp, const Report *r, const guint *members, guint n, const guint *pair_list, guint n_pairs)
{
  g_autofree guint *order = g_memdup2(members, n * sizeof(guint));
  /* insertion sort by (dated first, time, index): clusters are small next to the corpus */
  for (guint i = 1; i < n; i++) {
    guint x = order[i], j = i;
    while (j > 0) {
      guint y = order[j - 1];
      gboolean xd = r->published && r->published[x].dated, yd = r->published && r->published[y].dated;
      gboolean before = xd != yd ? xd : xd ? r->published[x].utc < r->published[y].utc : x < y;
      if (!before)
        break;
      order[j] = y;
      j--;
    }
    order[j] = x;
  }
  const guint step = 150, width = MAX(n * step, 300), height = 150;
  g_autoptr(GHashTable) pos = g_hash_table_new(g_direct_hash, g_direct_equal);
  for (guint i = 0; i < n; i++)
    g_hash_table_insert(pos, GUINT_TO_POINTER(order[i] + 1), GUINT_TO_POINTER(i + 1));
  fprintf(fp, "<svg class=\"timeline\" viewBox=\"0 0 %u %u\" width=\"%u\" role=\"img\" aria-label=\"timeline\">\n"
          "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
          "orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#1a5fb4\"/></marker></defs>\n"
          "<line x1=\"20\" y1=\"100\" x2=\"%u\" y2=\"100\" stroke=\"#999\"/>\n", width, height, width, width - 20);
  for (guint k = 0; k < n_pairs; k++) {
    const NdDirection *dir = &r->direction[pair_list[k]];
    if (dir->source == G_MAXUINT)
      continue;
    const NdPair *p = &g_array_index(r->pairs, NdPair, pair_list[k]);
    guint copy = dir->source == p->a ? p->b : p->a;
    guint xs = GPOINTER_TO_UINT(g_hash_table_lookup(pos, GUINT_TO_POINTER(dir->source + 1))) - 1;
    guint xc = GPOINTER_TO_UINT(g_hash_table_lookup(pos, GUINT_TO_POINTER(copy + 1))) - 1;
    double x1 = 75.0 + xs * step, x2 = 75.0 + xc * step, lift = 20.0 + 12.0 * (xs > xc ? xs - xc : xc - xs);
    fprintf(fp, "<path d=\"M%.0f,92 Q%.0f,%.0f %.0f,92\" fill=\"none\" stroke=\"#1a5fb4\" stroke-width=\"2\"%s "
            "marker-end=\"url(#arrow)\"><title>pair %u</title></path>\n", x1, (x1 + x2) / 2, MAX(4.0, 92 - 2 * lift), x2,
            dir->basis == ND_BASIS_DATE ? "" : " stroke-dasharray=\"5 4\"", pair_list[k] + 1);
  }
  for (guint i = 0; i < n; i++) {
    guint m = order[i];
    gboolean is_origin = r->origin[m] == m;
    fprintf(fp, "<circle cx=\"%u\" cy=\"100\" r=\"%d\" fill=\"%s\" stroke=\"#333\"/>\n", 75 + i * step, is_origin ? 9 : 6,
            is_origin ? "#e01b24" : "#fff");
    const Meta *mt = &r->meta[m];
    const char *label = mt->outlet ? mt->outlet : nd_collection_get(r->coll, m)->id;
    g_autofree char *base = g_path_get_basename(label);
    g_autofree char *shortened = g_utf8_substring(base, 0, MIN(g_utf8_strlen(base, -1), 22));
    fprintf(fp, "<text x=\"%u\" y=\"122\" font-size=\"11\" text-anchor=\"middle\">", 75 + i * step);
    html_escape_str(fp, shortened);
    fputs("</text>", fp);
    if (r->published && r->published[m].dated) {
      char iso[ND_DATE_ISO_SIZE];
      nd_date_format_utc(r->published[m].utc, iso);
      fprintf(fp, "<text x=\"%u\" y=\"138\" font-size=\"10\" fill=\"#555\" text-anchor=\"middle\">%.*s</text>",
              75 + i * step, r->published[m].day_only ? 10 : 16, iso);
    }
    fputc('\n', fp);
  }
  fputs("</svg>\n", fp);
}

static void
page_head(FILE *fp, const char *title)
{
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" "
        "content=\"width=device-width\">\n<title>", fp);
  html_escape_str(fp, title);
  fprintf(fp, "</title>\n<style>\n%s</style></head><body>\n", style);
}

static char *
page_name(const char *output, guint page)
{
  if (page == 0)
    return g_path_get_basename(output);
  g_autofree char *base = g_path_get_basename(output);
  char *dot = strrchr(base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_strdup_printf("%s-%u.html", base, page + 1);
}

int
cmd_report(int argc, char **argv)
{
  FindCli cli;
  find_cli_init(&cli);
  gint per_page = 50;
  g_autofree char *index_path = NULL;
  gint64 group = 0;
  char **where = NULL;
  GOptionEntry entries[] = {
    { "per-page", 0, 0, G_OPTION_ARG_INT, &per_page, "Clusters on each page (default: 50)", "N" },
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path, "Also report the articles archived in DB (see --group, --where)", "DB" },
    { "group", 'g', 0, G_OPTION_ARG_INT64, &group, "With --index: only the archived members of group N", "N" },
    { "where", 'w', 0, G_OPTION_ARG_STRING_ARRAY, &where, "With --index: only archived articles meeting COND (repeatable; as index list)", "COND" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("[PATH...] [--index DB] -o FILE - one HTML page: who copied from whom");
  g_option_context_set_description(ctx, report_description);
  cli.default_quotations = "list";
  find_cli_add_options(&cli, ctx, OPT_INPUTS | OPT_SIGNING | OPT_MATCHING | OPT_VERIFYING | OPT_DATES);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  int code = EXIT_OK;
  NdCollection *coll = NULL;
  GArray *pairs = NULL;
  guint skipped = 0, index_problems = 0;
  g_autoptr(NdIndex) ix = NULL;
  g_autoptr(GPtrArray) conds = g_ptr_array_new_with_free_func((GDestroyNotify)nd_index_condition_free);
  GOptionEntry output[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &cli.output, "Write the report to FILE (atomically; required)", "FILE" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_option_context_add_main_entries(ctx, output, NULL);
  if (!cli_parse(ctx, &argc, &argv, &error)) {
    cli_error("report", "%s (see --help)", error->message);
    code = EXIT_USAGE;
    goto out;
  }
  cli.passages = TRUE; /* texts kept for the passages */
  if (cli.output == NULL || strcmp(cli.output, "-") == 0 || per_page < 1) {
    cli_error("report", cli.output == NULL || strcmp(cli.output, "-") == 0
                          ? "give the report's file with -o FILE (its pages go next to it)"
                          : "--per-page must be at least 1");
    code = EXIT_USAGE;
    goto out;
  }
  if ((group != 0 || where != NULL) && index_path == NULL) {
    cli_error("report", "--group and --where select archived articles: give the archive with --index DB");
    code = EXIT_USAGE;
    goto out;
  }
  if (group < 0) {
    cli_error("report", "--group takes a group number (1 or more; 0: every group)");
    code = EXIT_USAGE;
    goto out;
  }
  for (char **w = where; w && *w; w++) {
    NdIndexCondition *c = nd_index_condition_parse(*w, &error);
    if (c == NULL) {
      cli_error("report", "%s", error->message);
      code = EXIT_USAGE;
      goto out;
    }
    g_ptr_array_add(conds, c);
  }
  if (index_path != NULL) {
    /* The archive's articles are signed again with its own parameters, and so are the inputs. */
    if ((ix = nd_index_open(index_path, FALSE, &error)) == NULL) {
      cli_message("%s", error->message);
      code = EXIT_FATAL;
      goto out;
    }
    cli_index_watch(ix, &index_problems);
    output_protect_index(index_path);
    cli.archive = ix;
    cli.archive_group = (guint64)group;
    cli.archive_where = (NdIndexCondition *const *)conds->pdata;
    cli.n_archive_where = conds->len;
  }
  NdSignParams archive_params = ix ? *nd_index_sign_params(ix) : (NdSignParams){ 0 };
  archive_params.keep_text = TRUE;
  if (!find_cli_finish_options_for(&cli, "report", ix ? &archive_params : NULL)) {
    code = EXIT_USAGE;
    goto out;
  }
  /* The pairs the report rule reports, and beside them weaker links: pairs found with a permissive
   * rule that share at least one passage (a quoted statement, a phrase of reporting), shown apart. */
  const NdReportRule rule = nd_find_options_rule(&cli.find);
  cli.find.containment = MIN(cli.find.containment, WEAK_CONTAINMENT);
  cli.find.min_shared = MIN(cli.find.min_shared, WEAK_MIN_SHARED);
  cli.find.score = MIN(cli.find.score, WEAK_SCORE);
  cli.find.quotations = ND_QUOTATIONS_COUNT;
  Output first_page;
  if (!output_open(&first_page, cli.output)) {
    code = EXIT_FATAL;
    goto out;
  }
  if (index_path != NULL && !output_refuse_input(&first_page, "report", index_path, "index")) {
    output_abort(&first_page);
    code = EXIT_USAGE;
    goto out;
  }
  if (!find_cli_run(&cli, &coll, &pairs, &skipped, &code)) {
    output_abort(&first_page);
    goto out;
  }
  progress_stop();
  {
    guint n = nd_collection_size(coll);
    /* Pairs the user's rule reports stay in `pairs` (with its kind); the others are weak links. */
    g_autoptr(GArray) weak = g_array_new(FALSE, FALSE, sizeof(NdPair));
    guint kept = 0;
    for (guint k = 0; k < pairs->len; k++) {
      NdPair q = g_array_index(pairs, NdPair, k);
      if (nd_pair_report(&q, &rule))
        g_array_index(pairs, NdPair, kept++) = q;
      else if (q.passage_a_in_b > 0 || q.passage_b_in_a > 0) /* a shared run of words to show */
        g_array_append_val(weak, q);
    }
    g_array_set_size(pairs, kept);
    g_autofree NdPublished *published = find_cli_dates(&cli, coll);
    find_cli_apply_window(&cli, pairs, published);
    g_autofree NdDirection *direction = g_new(NdDirection, pairs->len + 1);
    g_autofree guint *origin = g_new(guint, n + 1);
    g_autofree NdSourceBasis *origin_basis = g_new(NdSourceBasis, n + 1);
    nd_find_directions((const NdPair *)pairs->data, pairs->len, n, published, direction, origin, origin_basis);
    g_autofree guint *cluster_of = g_new0(guint, n + 1);
    guint n_clusters = nd_cluster_assign((const NdPair *)pairs->data, pairs->len, n, cluster_of);
    g_autofree Meta *meta = g_new0(Meta, n + 1);
    for (guint i = 0; i < n; i++)
      meta_of(nd_collection_get(coll, i), cli.date_field ? cli.date_field : "date", &meta[i]);
    g_autoptr(GArray) boilerplate = nd_find_boilerplate(coll, NULL);
    Report r = { &cli, coll, pairs, direction, published, origin, origin_basis, meta, boilerplate };

    /* Members and pairs of each cluster (counting sorts by cluster number); quotation pairs apart. */
    g_autofree guint *mfirst = g_new0(guint, n_clusters + 2), *pfirst = g_new0(guint, n_clusters + 2);
    for (guint i = 0; i < n; i++)
      mfirst[cluster_of[i] + 1]++;
    guint n_quotation = 0;
    for (guint k = 0; k < pairs->len; k++) {
      const NdPair *p = &g_array_index(pairs, NdPair, k);
      if (p->kind == ND_PAIR_QUOTATION)
        n_quotation++;
      else
        pfirst[cluster_of[p->a] + 1]++;
    }
    for (guint c = 1; c <= n_clusters + 1; c++) {
      mfirst[c] += mfirst[c - 1];
      pfirst[c] += pfirst[c - 1];
    }
    g_autofree guint *mfill = g_memdup2(mfirst, (n_clusters + 2) * sizeof(guint));
    g_autofree guint *pfill = g_memdup2(pfirst, (n_clusters + 2) * sizeof(guint));
    g_autofree guint *members = g_new0(guint, n + 1), *plist = g_new0(guint, pairs->len + 1);
    for (guint i = 0; i < n; i++)
      members[mfill[cluster_of[i]]++] = i;
    for (guint k = 0; k < pairs->len; k++) {
      const NdPair *p = &g_array_index(pairs, NdPair, k);
      if (p->kind != ND_PAIR_QUOTATION)
        plist[pfill[cluster_of[p->a]]++] = k;
    }

    /* The other pairs: quotation pairs, then the weaker links. */
    g_autofree PairRef *orefs = g_new0(PairRef, n_quotation + weak->len + 1);
    guint n_orefs = 0;
    for (guint k = 0; k < pairs->len; k++)
      if (g_array_index(pairs, NdPair, k).kind == ND_PAIR_QUOTATION)
        orefs[n_orefs++] = (PairRef){ &g_array_index(pairs, NdPair, k), k, &direction[k] };
    for (guint k = 0; k < weak->len; k++)
      orefs[n_orefs++] = (PairRef){ &g_array_index(weak, NdPair, k), pairs->len + k, NULL };

    /* Pages: one when everything fits in --per-page clusters and PAGE_TEXT_BYTES; otherwise the
     * summary, then pages of whole clusters, then pages of the other pairs (the first with the
     * articles apart), each page at most --per-page clusters and, unless one cluster alone is more,
     * PAGE_TEXT_BYTES of article text in its pairs: what a browser takes time to lay out. */
    g_autofree guint64 *cluster_weight = g_new0(guint64, n_clusters + 2);
    guint64 total_weight = 0;
    for (guint c = 1; c <= n_clusters; c++)
      for (guint k = pfirst[c]; k < pfirst[c + 1]; k++)
        cluster_weight[c] += pair_weight(coll, &g_array_index(pairs, NdPair, plist[k]));
    for (guint c = 1; c <= n_clusters; c++)
      total_weight += cluster_weight[c];
    for (guint j = 0; j < n_orefs; j++)
      total_weight += pair_weight(coll, orefs[j].pair);
    const gboolean paged = n_clusters > (guint)per_page || total_weight > PAGE_TEXT_BYTES;
    g_autoptr(GArray) plan = g_array_new(FALSE, TRUE, sizeof(PagePlan));
    g_autofree guint *cluster_page = g_new0(guint, n_clusters + 2);
    const guint apart = mfirst[1];
    guint first_other_page = 0;
    if (!paged) {
      PagePlan one = { TRUE, 1, n_clusters + 1, 0, apart, 0, n_orefs };
      g_array_append_val(plan, one);
    } else {
      PagePlan summary = { TRUE, 1, 1, 0, 0, 0, 0 };
      g_array_append_val(plan, summary);
      guint64 w = 0;
      for (guint c = 1; c <= n_clusters; c++) {
        PagePlan *last = &g_array_index(plan, PagePlan, plan->len - 1);
        guint on_page = last->c_end - last->c_first;
        if (plan->len == 1 || on_page == (guint)per_page || (on_page > 0 && w + cluster_weight[c] > PAGE_TEXT_BYTES)) {
          PagePlan next = { FALSE, c, c, 0, 0, 0, 0 };
          g_array_append_val(plan, next);
          w = 0;
        }
        g_array_index(plan, PagePlan, plan->len - 1).c_end = c + 1;
        cluster_page[c] = plan->len - 1;
        w += cluster_weight[c];
      }
      /* Then the articles apart and the other pairs, as one sequence cut into pages by weight. */
      PagePlan others = { FALSE, 1, 1, 0, 0, 0, 0 };
      first_other_page = plan->len;
      g_array_append_val(plan, others);
      w = 0;
      for (guint j = 0; j < apart + n_orefs; j++) {
        PagePlan *last = &g_array_index(plan, PagePlan, plan->len - 1);
        guint64 iw = j < apart ? APART_WEIGHT : pair_weight(coll, orefs[j - apart].pair);
        gboolean empty = last->a_end == last->a_first && last->r_end == last->r_first;
        if (!empty && w + iw > PAGE_TEXT_BYTES) {
          PagePlan next = { FALSE, 1, 1, MIN(j, apart), MIN(j, apart), j < apart ? 0 : j - apart, j < apart ? 0 : j - apart };
          g_array_append_val(plan, next);
          last = &g_array_index(plan, PagePlan, plan->len - 1);
          w = 0;
        }
        if (j < apart) {
          last->a_end = j + 1;
        } else {
          if (last->r_end == last->r_first)
            last->r_first = j - apart;
          last->r_end = j - apart + 1;
        }
        w += iw;
      }
    }
    const guint n_pages = plan->len;
    g_autofree char *dir = g_path_get_dirname(cli.output);
    int written = EXIT_OK;
    for (guint page = 0; page < n_pages && written == EXIT_OK; page++) {
      Output other;
      Output *out = &first_page;
      if (page > 0) {
        g_autofree char *name = page_name(cli.output, page);
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (!output_open(&other, path)) {
          written = EXIT_FATAL;
          break;
        }
        out = &other;
      }
      FILE *fp = out->fp;
      page_head(fp, "neardup report");
      if (page > 0) {
        g_autofree char *home = page_name(cli.output, 0);
        fprintf(fp, "<p><a href=\"");
        html_escape_str(fp, home);
        fprintf(fp, "\">summary</a> · page %u of %u</p>\n", page + 1, n_pages);
      }
      const PagePlan *pp = &g_array_index(plan, PagePlan, page);
      if (pp->summary) {
        guint dated = 0;
        for (guint i = 0; published && i < n; i++)
          dated += published[i].dated;
        fprintf(fp, "<h1>Who copied from whom</h1>\n<table id=\"summary\"><tr><th>articles</th><td class=\"n\">%u</td>"
                "</tr><tr><th>with a date</th><td class=\"n\">%u</td></tr><tr><th>clusters (stories shared)</th>"
                "<td class=\"n\">%u</td></tr><tr><th>pairs reusing text</th><td class=\"n\">%u</td></tr><tr><th>pairs "
                "sharing only quotations</th><td class=\"n\">%u</td></tr><tr><th>weaker links (below the rule)</th>"
                "<td class=\"n\">%u</td></tr></table>\n", n, dated, n_clusters, pairs->len - n_quotation, n_quotation,
                weak->len);
        fputs("<p class=\"legend\"><mark class=\"q\">words both articles quote</mark><mark class=\"n\">copied or "
              "rewritten narrative</mark> Click a passage to bring its counterpart into view. Arrows point from the "
              "source to the copy; dashed when inferred from the texts (no dates).</p>\n", fp);
        if (paged) {
          fputs("<p>Pages:", fp);
          for (guint pg = 1; pg < n_pages; pg++) {
            const PagePlan *q = &g_array_index(plan, PagePlan, pg);
            g_autofree char *name = page_name(cli.output, pg);
            fputs(" <a href=\"", fp);
            html_escape_str(fp, name);
            if (q->c_end > q->c_first)
              fprintf(fp, "\">clusters %u–%u</a>", q->c_first, q->c_end - 1);
            else if (pg == first_other_page)
              fputs("\">articles apart, quotations and weaker links</a>", fp);
            else
              fprintf(fp, "\">continued (%u)</a>", pg - first_other_page + 1);
          }
          fputs("</p>\n", fp);
        }
        fputs("<table id=\"clusters\"><tr><th>cluster</th><th>articles</th><th>origin</th><th>by</th></tr>\n", fp);
        for (guint c = 1; c <= n_clusters; c++) {
          guint o = origin[members[mfirst[c]]];
          g_autofree char *target = paged ? page_name(cli.output, cluster_page[c]) : g_strdup("");
          fprintf(fp, "<tr><td><a href=\"");
          html_escape_str(fp, target);
          fprintf(fp, "#cluster%u\">%u</a></td><td class=\"n\">%u</td><td>", c, c, mfirst[c + 1] - mfirst[c]);
          if (o != G_MAXUINT)
            article_line(fp, &r, o);
          else
            fputs("undecided", fp);
          fprintf(fp, "</td><td>%s</td></tr>\n", o == G_MAXUINT ? "" : origin_basis[o] == ND_BASIS_DATE ? "date"
                                                                                                    : "evidence");
        }
        fputs("</table>\n", fp);
      }
      if (pp->a_end > pp->a_first) {
        if (pp->a_first == 0)
          fprintf(fp, "<h2 id=\"apart\">%u article%s sharing no reporting with another</h2>\n", apart,
                  apart == 1 ? "" : "s");
        fputs("<ul>\n", fp);
        for (guint k = pp->a_first; k < pp->a_end; k++) {
          fputs("<li>", fp);
          article_line(fp, &r, members[k]);
          fputs("</li>\n", fp);
        }
        fputs("</ul>\n", fp);
      }
      {
        AlignStream stream = { &r, orefs + pp->r_first, pp->r_end - pp->r_first, 0, 0, NULL };
        const AlignedPair *al;
        for (guint j = pp->r_first; j < pp->r_end && (al = stream_get(&stream, j - pp->r_first)) != NULL && !ferror(fp);
             j++) {
          if (j == 0 && n_quotation > 0)
            fprintf(fp, "<h2 id=\"quotations\">%u pair%s sharing only quotations (the same statement reported, "
                    "not copied reporting)</h2>\n", n_quotation, n_quotation == 1 ? "" : "s");
          if (j == n_quotation)
            fprintf(fp, "<h2 id=\"weak\">Weaker links: passages shared below the report rule</h2>\n<p>Articles "
                    "written apart can share a quoted statement or a phrase of reporting; these pairs share at "
                    "least one passage but are not reuse.</p>\n");
          write_pair(fp, &r, &orefs[j], al);
        }
        stream_clear(&stream);
      }
      /* The page's pairs are contiguous in plist: one stream from the first cluster's to the last's. */
      guint c_first = pp->c_first, c_end = pp->c_end;
      guint k_first = pfirst[c_first], k_end = pfirst[c_end];
      g_autofree PairRef *refs = g_new0(PairRef, k_end - k_first + 1);
      for (guint k = k_first; k < k_end; k++)
        refs[k - k_first] = (PairRef){ &g_array_index(pairs, NdPair, plist[k]), plist[k], &direction[plist[k]] };
      AlignStream stream = { &r, refs, k_end - k_first, 0, 0, NULL };
      for (guint c = c_first; c < c_end && !cli_interrupted() && !ferror(fp); c++) {
        guint nm = mfirst[c + 1] - mfirst[c], np = pfirst[c + 1] - pfirst[c];
        fprintf(fp, "<h2 id=\"cluster%u\">Cluster %u: %u articles, %u pairs</h2>\n", c, c, nm, np);
        write_timeline(fp, &r, members + mfirst[c], nm, plist + pfirst[c], np);
        const AlignedPair *al;
        for (guint k = pfirst[c]; k < pfirst[c + 1] && (al = stream_get(&stream, k - k_first)) != NULL; k++)
          write_pair(fp, &r, &refs[k - k_first], al);
      }
      stream_clear(&stream);
      fputs("</body></html>\n", fp);
      if (page > 0 && !output_commit(out))
        written = cli_failure_exit();
    }
    if (written == EXIT_OK && !output_commit(&first_page))
      written = cli_failure_exit();
    output_abort(&first_page); /* nothing after a commit; the first page abandoned after a failure */
    if (written != EXIT_OK)
      code = written;
    for (guint i = 0; i < n; i++)
      meta_clear(&meta[i]);
  }
  g_array_unref(pairs);
  nd_collection_free(coll);
out:
  if (code == EXIT_OK && index_problems > 0)
    code = EXIT_INPUT_ERRORS; /* corrupt archived rows were skipped, each reported */
  g_strfreev(where);
  find_cli_clear(&cli);
  return code;
}
