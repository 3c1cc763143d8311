/* rows.h — the one table of output fields, and the writer that turns rows into text, JSON Lines or CSV.
 *
 * Every field a command writes in JSON Lines or CSV is declared once in rows.c: its name, its type,
 * what it means and which commands write it (curl's --write-out variables). A command lists the
 * fields of its rows (the CSV header and the JSON keys, in one order) and writes each row's values
 * through the writer, which checks that the values come in the order the command listed. Text output
 * is the same rows through the same writer: a command adds a text layout (which of its fields a person
 * sees, in which order) and the titles and widths come from the table too. The same
 * thing has the same name in every command; `neardup help fields` prints the table, and
 * docs/output-fields.md is that output (a test fails when they differ).
 */
#ifndef NEARDUP_ROWS_H
#define NEARDUP_ROWS_H

#include "cli.h"

typedef enum {
  /* ids and ranks */
  F_A, F_B, F_ID, F_RANK,
  /* pair scores */
  F_JACCARD, F_CONTAINMENT_A_IN_B, F_CONTAINMENT_B_IN_A, F_SHARED_SHINGLES, F_KIND, F_PASSAGE_A_IN_B,
  F_PASSAGE_B_IN_A, F_VOCABULARY_A_IN_B, F_VOCABULARY_B_IN_A, F_SCORE, F_QUOTATION_SHARE, F_SOURCE, F_SOURCE_BASIS,
  /* an article's closest partner */
  F_CLUSTER, F_CLUSTER_SIZE, F_GROUP, F_STATUS, F_DUPLICATE_OF, F_DUPLICATE_IN_INDEX, F_BEST_MATCH,
  F_BEST_MATCH_IN_INDEX, F_CONTAINMENT, F_ORIGIN, F_ORIGIN_BASIS,
  /* archived articles */
  F_B_METADATA, F_B_GROUP, F_B_STATUS, F_DATE, F_DATE_TEXT, F_BYTES, F_BATCH, F_ADDED, F_METADATA,
  F_ALREADY_ARCHIVED, F_COPY,
  /* passages */
  F_PASSAGES, F_PASSAGE, F_A_START, F_A_END, F_B_START, F_B_END, F_A_TOKENS, F_B_TOKENS, F_A_MATCHED, F_B_MATCHED,
  F_PASSAGE_SCORE, F_PASSAGE_KIND, F_PASSAGE_LABEL, F_A_QUOTED, F_B_QUOTED, F_A_TEXT, F_B_TEXT, F_PASSAGE_COUNT,
  F_A_COVERAGE, F_B_COVERAGE, F_QUOTED_WORDS, F_NARRATIVE_WORDS,
  /* an article's text and its archived counts (extract, index show) */
  F_TEXT, F_TOKENS, F_SHINGLES, F_ANCHORS, F_MEMBERS,
  /* an index (index stats) and the banding (params) */
  F_INDEX, F_FORMAT_VERSION, F_ARTICLES, F_GROUPS, F_BATCHES, F_TEXT_BYTES, F_FILE_BYTES, F_BAND_KEYS,
  F_BAND_SEGMENTS, F_ANCHOR_SEGMENTS, F_TEXT_STORED, F_TEXT_FORMAT, F_SHINGLE, F_NUM_PERM, F_SEED, F_THRESHOLD,
  F_BANDS, F_ROWS, F_FALSE_POSITIVE, F_FALSE_NEGATIVE,
  /* index export */
  F_NEARDUP,
  F_COUNT
} FieldId;

typedef enum { FT_STRING, FT_INTEGER, FT_NUMBER, FT_BOOLEAN, FT_OBJECT, FT_ARRAY } FieldType;

/* Where a field is written (a bit set). IN_PASSAGE: in the passage objects of --passages (JSON) and
 * in the one-row-per-passage CSV of every command that takes --passages. */
enum {
  IN_SCAN = 1 << 0,
  IN_PAIRS = 1 << 1,
  IN_QUERY = 1 << 2,
  IN_DEDUP = 1 << 3,
  IN_DIFF = 1 << 4,
  IN_INDEX_LIST = 1 << 5,
  IN_PASSAGE = 1 << 6,
  IN_INDEX_SHOW = 1 << 7,
  IN_INDEX_STATS = 1 << 8,
  IN_EXTRACT = 1 << 9,
  IN_PARAMS = 1 << 10,
  IN_INDEX_EXPORT = 1 << 11
};

typedef struct {
  const char *name;
  FieldType type;
  gboolean nullable;        /* the value may be null (JSON) / empty (CSV) */
  unsigned where;           /* IN_* bits */
  const char *description;  /* one sentence, Markdown */
} FieldInfo;

/* The field `f` of the table (never NULL). */
const FieldInfo *field_info(FieldId f);

/* How a field's values look: in text output its column title and the least width of its column
 * (numbers and integers are right-aligned; strings left-aligned; null is "-"), and the decimals of a
 * number (default: 4 in JSON and CSV, 3 in text). */
typedef struct {
  const char *title; /* NULL: the field's name */
  int width;         /* at least the title's length */
  int decimals;      /* 0: the default */
  int words;         /* text: a string shown as its first `words` words on one line, " …" when cut (0: whole) */
} FieldFormat;

/* The column title of `f` in text output (never NULL; static). */
const char *field_text_title(FieldId f);

/* Prints the table as a Markdown table (what `neardup help fields` shows). */
void fields_print_markdown(FILE *fp);

/* The fields of a passage, in their order (for a command's column list); n_passage_fields of them. */
extern const FieldId passage_fields[];
extern const guint n_passage_fields;

/* One column of a text layout: the field shown, what stands before it (NULL: two spaces; the first
 * column has the layout's indent instead) and after it (NULL: nothing). A `before` starting with a
 * newline starts a line of its own (a note under the row, such as a pair's source): there values are
 * not padded, and a null value is left out with its before and after. */
typedef struct {
  FieldId field;
  const char *before;
  const char *after;
} TextColumn;

/* A writer of rows with the columns `cols` (n of them), in text, JSON Lines or CSV. Values are given
 * field by field, in the order of `cols`; a value for another field than the next column is a
 * programming error (g_error). `nested` writes JSON objects without a newline (passage objects inside
 * a row, an index's group members). In text the values of a row
 * are held until rows_end writes the fields of the text layout (rows_text_layout) as one aligned
 * line; that is the only memory the writer holds (rows_clear frees it; a JSON or CSV writer holds
 * none). */
typedef struct {
  FILE *fp;
  OutputFormat format;
  const FieldId *cols;
  guint n_cols;
  guint next;          /* the next column expected */
  gboolean nested;     /* JSON: no newline after the object */
  const TextColumn *text_cols; /* text: the layout (not owned) */
  guint n_text_cols;
  gboolean text_sentence;      /* text: the layout is a sentence, not a table row (rows_text_layout) */
  const char *text_indent;     /* text: before each line (not owned; NULL: none) */
  GPtrArray *cells;            /* text: the values of the row being written, by column (owned) */
} Rows;

void rows_init(Rows *r, FILE *fp, OutputFormat format, const FieldId *cols, guint n);
/* Text: the fields a line shows (n of `layout`, each one of the writer's columns; not copied: they
 * must outlive the writer) after `indent` (NULL: none). Without a layout a text row writes nothing.
 * Set r->text_sentence afterwards for a line that reads as a sentence: every column then is as a
 * note's (no padding, no titles, a null left out with its before and after). */
void rows_text_layout(Rows *r, const TextColumn *layout, guint n, const char *indent);
/* Frees what a text writer holds; safe on a zeroed, cleared or JSON/CSV writer. */
void rows_clear(Rows *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Rows, rows_clear)
/* The CSV header line, or the text layout's line of column titles (nothing in JSON). */
void rows_header(Rows *r);
void rows_begin(Rows *r);
void rows_end(Rows *r);
/* A string (NULL: null / empty). */
void rows_string(Rows *r, FieldId f, const char *s);
void rows_integer(Rows *r, FieldId f, guint64 v);
/* A number with 4 decimals (JSON, CSV) or 3 (text). */
void rows_number(Rows *r, FieldId f, double v);
/* true / false (text: yes / no). */
void rows_boolean(Rows *r, FieldId f, gboolean v);
void rows_null(Rows *r, FieldId f);
/* A JSON value given as its text (an object, an array); in CSV the JSON text as one field; NULL:
 * null / empty. */
void rows_json(Rows *r, FieldId f, const char *json);
/* A JSON object given as its text ("{...}", no space around the braces; NULL: none) whose members
 * become the row's own in JSON (a record --jsonl reads back; never the row's first column); in CSV
 * and text the object's text as one column, as rows_json. */
void rows_json_members(Rows *r, FieldId f, const char *object);
/* Empty values (null / empty) for every remaining column of the row. */
void rows_null_rest(Rows *r);

/* A command's --help description: `description`, then the names of `cols` (n) in order, then
 * `after` (or NULL), a pointer to `neardup help fields` and the exit codes. Caller frees. */
char *fields_help(const char *description, const FieldId *cols, guint n, const char *after);

#endif
