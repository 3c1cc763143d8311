/* rows.c — the one table of output fields (name, type, meaning, commands, text title and width) and
 * the text / JSON Lines / CSV row writer built on it.
 *
 * Design: a command never spells a field name; it lists FieldIds and the writer takes the names from
 * the table, so the CSV header, the JSON keys, `neardup help fields` and docs/output-fields.md cannot
 * disagree. A name means one thing everywhere (a passage's score is passage_score, a pair's score is
 * score), so CSV rows that carry a pair and one of its passages have no clashing columns. Text rows
 * are the same rows: the writer holds a row's values and lays out the ones a person reads as an
 * aligned line, with the titles and widths of the table (field_format), so a command formats no value
 * itself.
 */
#include "rows.h"
#include <string.h>

#define PAIRWISE (IN_PAIRS | IN_QUERY)
#define CLOSEST (IN_SCAN | IN_DEDUP | IN_INDEX_LIST | IN_INDEX_SHOW)
#define ARCHIVED (IN_INDEX_LIST | IN_INDEX_SHOW)

static const FieldInfo fields[F_COUNT] = {
  [F_A] = { "a", FT_STRING, FALSE, PAIRWISE | IN_DIFF,
            "id of article A: the first of the pair in input order (pairs), the new article (query), the article "
            "compared (diff)" },
  [F_B] = { "b", FT_STRING, FALSE, PAIRWISE | IN_DIFF,
            "id of article B: the second of the pair (pairs), the archived article (query), the source (diff)" },
  [F_ID] = { "id", FT_STRING, FALSE, CLOSEST | IN_EXTRACT | IN_INDEX_EXPORT, "the article's id: its path as given, or its JSON Lines id" },
  [F_RANK] = { "rank", FT_INTEGER, FALSE, IN_QUERY, "1 for the best archived match of the new article, then 2, ..." },
  [F_JACCARD] = { "jaccard", FT_NUMBER, TRUE, PAIRWISE | CLOSEST,
                  "`|A ∩ B| / |A ∪ B|` over the shingle sets (of the article and its `best_match` in scan, dedup "
                  "and index list; null without one)" },
  [F_CONTAINMENT_A_IN_B] = { "containment_a_in_b", FT_NUMBER, FALSE, PAIRWISE,
                             "`|A ∩ B| / |A|`: the share of A's shingles found in B" },
  [F_CONTAINMENT_B_IN_A] = { "containment_b_in_a", FT_NUMBER, FALSE, PAIRWISE,
                             "`|A ∩ B| / |B|`: the share of B's shingles found in A" },
  [F_SHARED_SHINGLES] = { "shared_shingles", FT_INTEGER, FALSE, PAIRWISE, "`|A ∩ B|`: shingles in both" },
  [F_KIND] = { "kind", FT_STRING, FALSE, PAIRWISE,
               "why the pair is reported: `near-duplicate` (jaccard ≥ --threshold), `reuse` (containment ≥ "
               "--containment), `rewrite` (the reuse score alone) or `quotation` (pairs: the two share only what "
               "both quote; --quotations)" },
  [F_PASSAGE_A_IN_B] = { "passage_a_in_b", FT_NUMBER, FALSE, IN_PAIRS,
                         "share of A's passage anchors (runs of six words) found in B" },
  [F_PASSAGE_B_IN_A] = { "passage_b_in_a", FT_NUMBER, FALSE, IN_PAIRS,
                         "share of B's passage anchors found in A" },
  [F_VOCABULARY_A_IN_B] = { "vocabulary_a_in_b", FT_NUMBER, TRUE, IN_PAIRS,
                            "share of A's distinct words found in B, each weighted by its rarity in the batch; "
                            "null below 30 articles" },
  [F_VOCABULARY_B_IN_A] = { "vocabulary_b_in_a", FT_NUMBER, TRUE, IN_PAIRS,
                            "share of B's distinct words found in A, weighted likewise; null below 30 articles" },
  [F_SCORE] = { "score", FT_NUMBER, FALSE, IN_PAIRS,
                "the pair's reuse score (docs/usage.md: when a pair is reported)" },
  [F_QUOTATION_SHARE] = { "quotation_share", FT_NUMBER, FALSE, IN_PAIRS,
                          "share of the passage text the pair shares that lies inside quotation marks in both" },
  [F_SOURCE] = { "source", FT_STRING, TRUE, IN_PAIRS,
                 "the id judged the source of the pair (the other took from it); null when undecided" },
  [F_SOURCE_BASIS] = { "source_basis", FT_STRING, TRUE, IN_PAIRS,
                       "`date` (the earlier --date-field) or `evidence` (inferred from the texts: docs/report.md); "
                       "null when undecided" },
  [F_CLUSTER] = { "cluster", FT_INTEGER, FALSE, IN_SCAN,
                  "the cluster (connected component of reported pairs) numbered 1, 2, ... in order of its first "
                  "article; a batch's own numbering, unlike `group`" },
  [F_CLUSTER_SIZE] = { "cluster_size", FT_INTEGER, FALSE, IN_SCAN, "articles in the cluster" },
  [F_GROUP] = { "group", FT_INTEGER, FALSE, IN_DEDUP | ARCHIVED,
                "the dedup group: one kept article and its duplicates, numbered by the archive (stable across "
                "runs), or the number a new group gets" },
  [F_STATUS] = { "status", FT_STRING, FALSE, IN_DEDUP | ARCHIVED,
                 "`kept` (the group's kept article), `dropped`, or `superseded` (dedup: an archived kept article "
                 "a batch member replaces)" },
  [F_DUPLICATE_OF] = { "duplicate_of", FT_STRING, TRUE, IN_DEDUP,
                       "the kept article of the group; null for a kept article" },
  [F_DUPLICATE_IN_INDEX] = { "duplicate_in_index", FT_BOOLEAN, FALSE, IN_DEDUP, "`duplicate_of` is archived" },
  [F_BEST_MATCH] = { "best_match", FT_STRING, TRUE, CLOSEST,
                     "the article this one is most similar to (scan: highest jaccard in its cluster; dedup, index: "
                     "the one it joined its group through); null when none" },
  [F_BEST_MATCH_IN_INDEX] = { "best_match_in_index", FT_BOOLEAN, FALSE, IN_DEDUP, "`best_match` is archived" },
  [F_CONTAINMENT] = { "containment", FT_NUMBER, TRUE, CLOSEST,
                      "the share of this article's shingles found in `best_match`; null without one" },
  [F_ORIGIN] = { "origin", FT_STRING, TRUE, IN_SCAN,
                 "the cluster's likely origin: its earliest article when all are dated, else the one the texts "
                 "point to; null when undecided" },
  [F_ORIGIN_BASIS] = { "origin_basis", FT_STRING, TRUE, IN_SCAN, "`date` or `evidence` (inferred); null when undecided" },
  [F_B_METADATA] = { "b_metadata", FT_OBJECT, TRUE, IN_QUERY,
                     "the archived article's metadata (a JSON object; in CSV its JSON text), or null" },
  [F_B_GROUP] = { "b_group", FT_INTEGER, FALSE, IN_QUERY, "the archived article's `group`" },
  [F_B_STATUS] = { "b_status", FT_STRING, FALSE, IN_QUERY, "the archived article's `status`: kept or dropped" },
  [F_DATE] = { "date", FT_STRING, TRUE, IN_DEDUP | ARCHIVED,
               "the article's date in UTC, ISO 8601 (`2026-03-11T09:30:00Z`), as understood; null when none "
               "could be read" },
  [F_DATE_TEXT] = { "date_text", FT_STRING, TRUE, ARCHIVED, "the date as written in the input, or null" },
  [F_BYTES] = { "bytes", FT_INTEGER, FALSE, ARCHIVED, "the article's size in bytes (its text)" },
  [F_BATCH] = { "batch", FT_INTEGER, FALSE, ARCHIVED, "the `index add` or `dedup --add` run that archived it" },
  [F_ADDED] = { "added", FT_STRING, TRUE, ARCHIVED, "when it was archived (UTC, ISO 8601)" },
  [F_METADATA] = { "metadata", FT_OBJECT, TRUE, ARCHIVED | IN_EXTRACT | IN_INDEX_EXPORT,
                   "the article's metadata (a JSON object; in CSV its JSON text), or null; in the JSON of extract "
                   "and index export its members are the record's own, as --jsonl reads them (extract: `id` and "
                   "`text` renamed `metadata_id`, `metadata_text`)" },
  [F_ALREADY_ARCHIVED] = { "already_archived", FT_BOOLEAN, FALSE, IN_DEDUP,
                           "the article itself is archived already (a batch run again)" },
  [F_COPY] = { "copy", FT_STRING, TRUE, IN_DEDUP, "its copy under --copy-to DIR (relative to DIR), or null" },
  [F_PASSAGES] = { "passages", FT_ARRAY, FALSE, IN_SCAN | IN_PAIRS | IN_QUERY | IN_DEDUP,
                   "with --passages (JSON): the passage objects the two articles share (fields marked passage); "
                   "in CSV one row per passage instead, the passage fields after the row's own" },
  [F_PASSAGE] = { "passage", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE,
                  "the passage's number, 1-based (CSV with --passages: empty on the row of a pair without "
                  "passages; so are the other passage fields)" },
  [F_A_START] = { "a_start", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE,
                  "byte offset where the passage starts in A's input as saved (a web page, not its extracted "
                  "text; decompressed for .gz)" },
  [F_A_END] = { "a_end", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE, "byte offset where it ends in A (exclusive)" },
  [F_B_START] = { "b_start", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE,
                  "byte offset where it starts in B's input (for an archived B: in its archived text)" },
  [F_B_END] = { "b_end", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE, "byte offset where it ends in B (exclusive)" },
  [F_A_TOKENS] = { "a_tokens", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE, "words in A's span" },
  [F_B_TOKENS] = { "b_tokens", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE, "words in B's span" },
  [F_A_MATCHED] = { "a_matched", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE, "words of A's span aligned with B" },
  [F_B_MATCHED] = { "b_matched", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE, "words of B's span aligned with A" },
  [F_PASSAGE_SCORE] = { "passage_score", FT_NUMBER, TRUE, IN_DIFF | IN_PASSAGE,
                        "`(a_matched + b_matched) / (a_tokens + b_tokens)`" },
  [F_PASSAGE_KIND] = { "passage_kind", FT_STRING, TRUE, IN_DIFF | IN_PASSAGE, "`verbatim` or `rewritten`" },
  [F_PASSAGE_LABEL] = { "passage_label", FT_STRING, TRUE, IN_DIFF | IN_PASSAGE,
                        "`quotation` (most of its aligned words lie inside quotation marks in both articles) or "
                        "`narrative`" },
  [F_A_QUOTED] = { "a_quoted", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE,
                   "aligned words of A's span inside quotation marks in both articles" },
  [F_B_QUOTED] = { "b_quoted", FT_INTEGER, TRUE, IN_DIFF | IN_PASSAGE, "the same for B's span" },
  [F_A_TEXT] = { "a_text", FT_STRING, FALSE, IN_DIFF, "with --text: A's side of the passage (its extracted text)" },
  [F_B_TEXT] = { "b_text", FT_STRING, FALSE, IN_DIFF, "with --text: B's side of the passage" },
  [F_PASSAGE_COUNT] = { "passage_count", FT_INTEGER, FALSE, IN_DIFF, "passages A and B share" },
  [F_A_COVERAGE] = { "a_coverage", FT_NUMBER, FALSE, IN_DIFF, "share of A's words inside the shared passages" },
  [F_B_COVERAGE] = { "b_coverage", FT_NUMBER, FALSE, IN_DIFF, "share of B's words inside the shared passages" },
  [F_QUOTED_WORDS] = { "quoted_words", FT_INTEGER, FALSE, IN_DIFF,
                       "aligned words of A inside quotation marks in both articles (a quotation both report)" },
  [F_NARRATIVE_WORDS] = { "narrative_words", FT_INTEGER, FALSE, IN_DIFF, "the other aligned words of A" },
  [F_TEXT] = { "text", FT_STRING, TRUE, IN_EXTRACT | IN_INDEX_SHOW | IN_INDEX_EXPORT,
               "the article's text as neardup compares it (extract; index show, index export: as archived, null when "
               "not stored)" },
  [F_TOKENS] = { "tokens", FT_INTEGER, FALSE, IN_INDEX_SHOW, "words in the archived article" },
  [F_SHINGLES] = { "shingles", FT_INTEGER, FALSE, IN_INDEX_SHOW, "distinct shingles of the archived article" },
  [F_ANCHORS] = { "anchors", FT_INTEGER, FALSE, IN_INDEX_SHOW | IN_INDEX_STATS,
                  "passage anchors: of the article (index show), of the whole index (index stats)" },
  [F_MEMBERS] = { "members", FT_ARRAY, FALSE, IN_INDEX_SHOW,
                  "the article's group: objects with its members' `id` and `status`, in archive order" },
  [F_INDEX] = { "index", FT_STRING, FALSE, IN_INDEX_STATS, "the index file, as given" },
  [F_FORMAT_VERSION] = { "format_version", FT_INTEGER, FALSE, IN_INDEX_STATS,
                         "the index's format (`index upgrade` copies an older one)" },
  [F_ARTICLES] = { "articles", FT_INTEGER, FALSE, IN_INDEX_STATS, "archived articles" },
  [F_GROUPS] = { "groups", FT_INTEGER, FALSE, IN_INDEX_STATS, "dedup groups" },
  [F_BATCHES] = { "batches", FT_INTEGER, FALSE, IN_INDEX_STATS, "`index add` and `dedup --add` runs" },
  [F_TEXT_BYTES] = { "text_bytes", FT_INTEGER, FALSE, IN_INDEX_STATS, "the archived articles' texts, in bytes" },
  [F_FILE_BYTES] = { "file_bytes", FT_INTEGER, FALSE, IN_INDEX_STATS, "the index file's size in bytes" },
  [F_BAND_KEYS] = { "band_keys", FT_INTEGER, FALSE, IN_INDEX_STATS, "LSH band keys posted" },
  [F_BAND_SEGMENTS] = { "band_segments", FT_INTEGER, FALSE, IN_INDEX_STATS,
                        "segments the band postings are stored in" },
  [F_ANCHOR_SEGMENTS] = { "anchor_segments", FT_INTEGER, FALSE, IN_INDEX_STATS,
                          "segments the anchor postings are stored in" },
  [F_TEXT_STORED] = { "text_stored", FT_STRING, FALSE, IN_INDEX_STATS,
                      "whose texts the index stores (`index create --text`): `all`, `kept` or `none`" },
  [F_TEXT_FORMAT] = { "text_format", FT_STRING, FALSE, IN_INDEX_STATS,
                      "how it stores them (`index create --text-format`): `plain` or `zlib`" },
  [F_SHINGLE] = { "shingle", FT_STRING, FALSE, IN_INDEX_STATS, "the shingles signed (`words:3`: word 3-grams)" },
  [F_NUM_PERM] = { "num_perm", FT_INTEGER, FALSE, IN_INDEX_STATS | IN_PARAMS, "MinHash signature length" },
  [F_SEED] = { "seed", FT_INTEGER, FALSE, IN_INDEX_STATS, "the MinHash seed" },
  [F_THRESHOLD] = { "threshold", FT_NUMBER, FALSE, IN_PARAMS, "the Jaccard threshold the banding is chosen for" },
  [F_BANDS] = { "bands", FT_INTEGER, FALSE, IN_INDEX_STATS | IN_PARAMS, "LSH bands the signature is cut into" },
  [F_ROWS] = { "rows", FT_INTEGER, FALSE, IN_INDEX_STATS | IN_PARAMS, "signature values per band" },
  [F_FALSE_POSITIVE] = { "false_positive", FT_NUMBER, FALSE, IN_PARAMS,
                         "area under the candidate probability below the threshold (wasted verifications)" },
  [F_FALSE_NEGATIVE] = { "false_negative", FT_NUMBER, FALSE, IN_PARAMS,
                         "area above the candidate probability over the threshold (missed pairs)" },
  [F_NEARDUP] = { "neardup", FT_OBJECT, FALSE, IN_INDEX_EXPORT,
                  "the archive's fields of the record, an object: `group`, `status`, `date`, `date_text`, `bytes`, "
                  "`batch`, `added`, `best_match`, `jaccard`, `containment` (--jsonl keeps it as metadata)" },
};

/* Text columns: a short title where the name is long, and the width of the widest usual value (a
 * wider value shifts the rest of its line rather than being cut); numbers finer than the default;
 * long texts cut to their first words. */
static const FieldFormat field_format[F_COUNT] = {
  [F_CONTAINMENT_A_IN_B] = { .title = "a_in_b" },
  [F_CONTAINMENT_B_IN_A] = { .title = "b_in_a" },
  [F_KIND] = { .width = 14 },
  [F_GROUP] = { .width = 8 },
  [F_STATUS] = { .width = 7 },
  [F_B_GROUP] = { .title = "group", .width = 5 },
  [F_B_STATUS] = { .title = "status", .width = 7 },
  [F_DATE] = { .width = 20 },
  [F_A_TEXT] = { .words = 12 },
  [F_FALSE_POSITIVE] = { .decimals = 6 },
  [F_FALSE_NEGATIVE] = { .decimals = 6 },
};

const FieldId passage_fields[] = { F_PASSAGE, F_A_START, F_A_END, F_B_START, F_B_END, F_A_TOKENS, F_B_TOKENS,
                                   F_A_MATCHED, F_B_MATCHED, F_PASSAGE_SCORE, F_PASSAGE_KIND, F_PASSAGE_LABEL,
                                   F_A_QUOTED, F_B_QUOTED };
const guint n_passage_fields = G_N_ELEMENTS(passage_fields);

const FieldInfo *
field_info(FieldId f)
{
  g_assert((guint)f < F_COUNT);
  return &fields[f];
}

const char *
field_text_title(FieldId f)
{
  g_assert((guint)f < F_COUNT);
  return field_format[f].title != NULL ? field_format[f].title : fields[f].name;
}

static const char *const type_names[] = { "string", "integer", "number", "boolean", "object", "array" };

void
fields_print_markdown(FILE *fp)
{
  static const struct {
    unsigned bit;
    const char *name;
  } where[] = { { IN_SCAN, "scan" },   { IN_PAIRS, "pairs" }, { IN_QUERY, "query" }, { IN_DEDUP, "dedup" },
                { IN_DIFF, "diff" },   { IN_INDEX_LIST, "index list" }, { IN_PASSAGE, "passage" },
                { IN_INDEX_SHOW, "index show" }, { IN_INDEX_STATS, "index stats" }, { IN_EXTRACT, "extract" },
                { IN_PARAMS, "params" }, { IN_INDEX_EXPORT, "index export" } };
  fputs("| field | type | written by | meaning |\n|---|---|---|---|\n", fp);
  for (guint f = 0; f < F_COUNT; f++) {
    const FieldInfo *fi = &fields[f];
    fprintf(fp, "| `%s` | %s%s | ", fi->name, type_names[fi->type], fi->nullable ? " or null" : "");
    gboolean first = TRUE;
    for (gsize w = 0; w < G_N_ELEMENTS(where); w++) {
      if (fi->where & where[w].bit) {
        fprintf(fp, "%s%s", first ? "" : ", ", where[w].name);
        first = FALSE;
      }
    }
    fprintf(fp, " | %s |\n", fi->description);
  }
}

char *
fields_help(const char *description, const FieldId *cols, guint n, const char *after)
{
  GString *s = g_string_new(description);
  g_string_append(s, "Fields, in this order (JSON keys; CSV columns, with a header line):\n ");
  gsize line = 1;
  for (guint i = 0; i < n; i++) {
    const char *name = fields[cols[i]].name;
    gsize width = strlen(name) + (i + 1 < n ? 1 : 0);
    if (line + 1 + width > 100) {
      g_string_append(s, "\n ");
      line = 1;
    }
    g_string_append_printf(s, " %s%s", name, i + 1 < n ? "," : "");
    line += 1 + width;
  }
  g_string_append(s, "\n");
  if (after != NULL)
    g_string_append(s, after);
  g_string_append(s, "`neardup help fields` says what each field means.\n\n" CLI_EXIT_CODES_HELP);
  return g_string_free(s, FALSE);
}

/* ---- the writer ---- */

void
rows_init(Rows *r, FILE *fp, OutputFormat format, const FieldId *cols, guint n)
{
  *r = (Rows){ .fp = fp, .format = format, .cols = cols, .n_cols = n };
}

void
rows_text_layout(Rows *r, const TextColumn *layout, guint n, const char *indent)
{
  g_assert(r->format == FORMAT_TEXT);
  for (guint i = 0; i < n; i++) {
    guint c = 0;
    while (c < r->n_cols && r->cols[c] != layout[i].field)
      c++;
    if (c == r->n_cols)
      g_error("rows: the text field %s is not one of the row's columns", fields[layout[i].field].name);
  }
  r->text_cols = layout;
  r->n_text_cols = n;
  r->text_indent = indent;
  if (r->cells == NULL)
    r->cells = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_set_size(r->cells, (gint)r->n_cols);
}

void
rows_clear(Rows *r)
{
  g_clear_pointer(&r->cells, g_ptr_array_unref);
}

/* The width of f's text column: its declared width, at least its title's. */
static int
text_width(FieldId f)
{
  return MAX(field_format[f].width, (int)strlen(field_text_title(f)));
}

/* One text line: the layout's titles (`header`) or the held values of the row. */
static void
rows_text_line(Rows *r, gboolean header)
{
  if (r->n_text_cols == 0 || (header && r->text_sentence))
    return;
  if (r->text_indent != NULL)
    fputs(r->text_indent, r->fp);
  gboolean note = r->text_sentence; /* on a line of its own under the row, or in a sentence */
  for (guint i = 0; i < r->n_text_cols; i++) {
    const TextColumn *col = &r->text_cols[i];
    FieldId f = col->field;
    note = note || (col->before != NULL && col->before[0] == '\n');
    if (header && note)
      break; /* notes have no titles */
    gboolean last = i + 1 == r->n_text_cols || (!note && r->text_cols[i + 1].before != NULL &&
                                                r->text_cols[i + 1].before[0] == '\n');
    const char *s = field_text_title(f);
    if (!header) {
      guint c = 0;
      while (r->cols[c] != f) /* found: rows_text_layout checked it */
        c++;
      s = g_ptr_array_index(r->cells, c);
      if (s == NULL && (note || last))
        continue; /* nothing to show at the end of a line */
      if (s == NULL)
        s = "-";
    }
    if (i > 0)
      fputs(col->before != NULL ? col->before : "  ", r->fp);
    FieldType type = fields[f].type;
    if (note || (last && type != FT_INTEGER && type != FT_NUMBER))
      fputs(s, r->fp);
    else if (type == FT_INTEGER || type == FT_NUMBER)
      fprintf(r->fp, "%*s", text_width(f), s);
    else
      fprintf(r->fp, "%-*s", text_width(f), s);
    if (col->after != NULL)
      fputs(col->after, r->fp);
  }
  fputc('\n', r->fp);
}

void
rows_header(Rows *r)
{
  if (r->format == FORMAT_TEXT) {
    rows_text_line(r, TRUE);
    return;
  }
  if (r->format != FORMAT_CSV)
    return;
  for (guint i = 0; i < r->n_cols; i++) {
    if (i)
      fputc(',', r->fp);
    fputs(fields[r->cols[i]].name, r->fp);
  }
  fputc('\n', r->fp);
}

void
rows_begin(Rows *r)
{
  r->next = 0;
  if (r->format == FORMAT_JSON)
    fputc('{', r->fp);
}

void
rows_end(Rows *r)
{
  if (r->next != r->n_cols)
    g_error("rows: a row ended after %u of its %u fields", r->next, r->n_cols);
  if (r->format == FORMAT_TEXT) {
    rows_text_line(r, FALSE);
    for (guint c = 0; r->cells != NULL && c < r->cells->len; c++)
      g_clear_pointer(&g_ptr_array_index(r->cells, c), g_free);
    return;
  }
  if (r->format == FORMAT_JSON)
    fputc('}', r->fp);
  if (!r->nested)
    fputc('\n', r->fp);
}

/* Checks that `f` is the next column and writes what goes before its value; in text, keeps `cell`
 * (owned; NULL: null) as the column's value and returns FALSE: nothing more to write. */
static void
rows_expect(const Rows *r, FieldId f)
{
  if (r->next >= r->n_cols || r->cols[r->next] != f)
    g_error("rows: field %s written where %s was expected", fields[f].name,
            r->next < r->n_cols ? fields[r->cols[r->next]].name : "the end of the row");
}

static gboolean
rows_key(Rows *r, FieldId f, char *cell)
{
  rows_expect(r, f);
  if (r->format == FORMAT_TEXT) {
    if (r->cells != NULL)
      g_ptr_array_index(r->cells, r->next) = cell;
    else
      g_free(cell);
    r->next++;
    return FALSE;
  }
  g_free(cell);
  if (r->format == FORMAT_JSON) {
    if (r->next)
      fputc(',', r->fp);
    fprintf(r->fp, "\"%s\":", fields[f].name);
  } else if (r->next) {
    fputc(',', r->fp);
  }
  r->next++;
  return TRUE;
}

/* The text value of a cell, only made when the writer writes text. */
#define TEXT_CELL(r, expr) ((r)->format == FORMAT_TEXT ? (expr) : NULL)

void
rows_null(Rows *r, FieldId f)
{
  if (rows_key(r, f, NULL) && r->format == FORMAT_JSON)
    fputs("null", r->fp);
}

/* s as text shows it: with a word limit, its first words with every run of white space as one
 * space, " …" when cut; else a copy. Caller frees. */
static char *
text_string(FieldId f, const char *s)
{
  int limit = field_format[f].words;
  if (limit == 0)
    return g_strdup(s);
  GString *out = g_string_new(NULL);
  int words = 0;
  const char *p = s;
  while (*p != '\0') {
    while (g_ascii_isspace(*p))
      p++;
    if (*p == '\0')
      break;
    if (words == limit) {
      g_string_append(out, " …");
      break;
    }
    const char *start = p;
    while (*p != '\0' && !g_ascii_isspace(*p))
      p++;
    if (words++ > 0)
      g_string_append_c(out, ' ');
    g_string_append_len(out, start, p - start);
  }
  return g_string_free(out, FALSE);
}

void
rows_string(Rows *r, FieldId f, const char *s)
{
  if (s == NULL) {
    rows_null(r, f);
    return;
  }
  if (!rows_key(r, f, TEXT_CELL(r, text_string(f, s))))
    return;
  if (r->format == FORMAT_JSON)
    json_write_string(r->fp, s);
  else
    csv_write_field(r->fp, s);
}

void
rows_integer(Rows *r, FieldId f, guint64 v)
{
  if (rows_key(r, f, TEXT_CELL(r, g_strdup_printf("%" G_GUINT64_FORMAT, v))))
    fprintf(r->fp, "%" G_GUINT64_FORMAT, v);
}

void
rows_number(Rows *r, FieldId f, double v)
{
  int decimals = field_format[f].decimals;
  if (rows_key(r, f, TEXT_CELL(r, g_strdup_printf("%.*f", decimals ? decimals : 3, v))))
    fprintf(r->fp, "%.*f", decimals ? decimals : 4, v);
}

void
rows_boolean(Rows *r, FieldId f, gboolean v)
{
  if (rows_key(r, f, TEXT_CELL(r, g_strdup(v ? "yes" : "no"))))
    fputs(v ? "true" : "false", r->fp);
}

void
rows_json(Rows *r, FieldId f, const char *json)
{
  if (json == NULL) {
    rows_null(r, f);
    return;
  }
  if (!rows_key(r, f, TEXT_CELL(r, g_strdup(json))))
    return;
  if (r->format == FORMAT_JSON)
    fputs(json, r->fp);
  else
    csv_write_field(r->fp, json);
}

void
rows_json_members(Rows *r, FieldId f, const char *object)
{
  if (r->format != FORMAT_JSON) {
    rows_json(r, f, object);
    return;
  }
  rows_expect(r, f);
  if (r->next == 0)
    g_error("rows: the members of %s cannot open a row", fields[f].name);
  r->next++;
  gsize len = object != NULL ? strlen(object) : 0;
  g_assert(len == 0 || (len >= 2 && object[0] == '{' && object[len - 1] == '}'));
  if (len > 2) {
    fputc(',', r->fp);
    fwrite(object + 1, 1, len - 2, r->fp);
  }
}

void
rows_null_rest(Rows *r)
{
  while (r->next < r->n_cols)
    rows_null(r, r->cols[r->next]);
}
