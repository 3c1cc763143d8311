/* render.h — writing passage reports: text (with optional colour), JSON Lines, CSV and HTML. */
#ifndef NEARDUP_RENDER_H
#define NEARDUP_RENDER_H

#include "cli.h"
#include "rows.h"

/* One side of a compared pair: the article's id, text and tokens, and the map from its text to the
 * bytes of the input it was read from (NULL: the text is the input, as for plain text files).
 * Reports give byte offsets into the input: the page the user saved, not the extracted text. */
typedef struct {
  const char *id;
  const char *text;
  gsize len;
  const NdToken *tokens;
  gsize n_tokens;
  const NdOffsetMap *map;
} Side;

/* The byte range of passage `q` in the inputs of a and b (through their maps). */
void passage_bytes(const Side *a, const Side *b, const NdPassage *q, guint64 *a_start, guint64 *a_end,
                   guint64 *b_start, guint64 *b_end);

typedef struct {
  guint context;       /* words of context shown around a passage (text output) */
  gboolean color;      /* ANSI colours (text output) */
} RenderOptions;

/* Text: a header with coverage, then each passage with both sides; words only in A are shown as
 * [-word-] (red), words only in B as {+word+} (green). */
void render_diff_text(FILE *fp, const Side *a, const Side *b, const NdDiff *d, const RenderOptions *o);

/* The passage fields (passage_fields of rows.h) of passage `index` of d; null / empty ones when d is
 * NULL or has no such passage. */
void rows_passage(Rows *r, const Side *a, const Side *b, const NdDiff *d, guint index);

/* diff's rows (JSON Lines or CSV): one per passage, with the columns diff_fields (all n_diff_fields
 * of them with --text; without its last two, a_text and b_text, otherwise). */
extern const FieldId diff_fields[];
extern const guint n_diff_fields;
void render_diff_rows(Rows *r, const Side *a, const Side *b, const NdDiff *d, gboolean with_text);

/* d's passages as a JSON array of passage objects; d NULL: an empty array. Caller frees. */
char *passages_json_array(const Side *a, const Side *b, const NdDiff *d);

/* The columns of a command that takes --passages: `base` (n), then with `passages` the field
 * "passages" (JSON) or the passage fields (CSV: one row per passage); text: `base` alone (the
 * passages are lines of their own under the row). `cols` must hold
 * n + n_passage_fields. Returns how many. */
guint columns_with_passages(FieldId *cols, const FieldId *base, guint n, OutputFormat format, gboolean passages);

/* What --passages adds to the fields, for --help. */
#define PASSAGES_FIELDS_HELP                                                                              \
  "With --passages: JSON adds \"passages\", an array of passage objects (passage, a_start, a_end,\n"       \
  "  b_start, b_end, a_tokens, b_tokens, a_matched, b_matched, passage_score, passage_kind); CSV adds\n"    \
  "  those passage fields as columns, one row per passage (a row without passages keeps one row with\n" \
  "  them empty).\n"

/* Writes a row's own fields (the base columns) from `data`. */
typedef void (*RowFieldsFunc)(Rows *r, gconstpointer data);
/* One row of the columns of columns_with_passages: in text, the row's line and, with `passages`,
 * render_passages_brief's lines under it; in JSON, the row with its "passages" array (when
 * `passages`); in CSV with `passages`, one row per passage of d (its own fields repeated), or one row
 * with empty passage fields when d has none (d may be NULL). */
void rows_write_with_passages(Rows *r, gboolean passages, const Side *a, const Side *b, const NdDiff *d,
                              RowFieldsFunc write_fields, gconstpointer data);

/* Tokenises the kept texts of documents a and b of `coll` (signed with keep_text) into ta/tb and
 * fills both sides; returns their alignment (free with nd_diff_free), the batch's boilerplate lines
 * (nd_find_boilerplate; NULL = none) left out. */
NdDiff *pair_diff(const NdCollection *coll, guint a, guint b, const GArray *boilerplate, GArray *ta, GArray *tb,
                  Side *sa, Side *sb);

/* A pair aligned for showing: its alignment and both sides (sa, sb point into ta, tb). */
typedef struct {
  NdDiff *diff;
  GArray *ta, *tb;
  Side sa, sb;
} AlignedPair;

/* pair_diff of the n pairs (a[i], b[i]) of `coll`, on `threads` worker threads (0: all cores) taking
 * the next pair as they finish one; result i is pair i's whatever the thread count, so output written
 * from them is byte-identical. A pair left unaligned after an interrupt (cli_interrupted) has diff
 * NULL. Free with aligned_pairs_free. */
AlignedPair *align_pairs(const NdCollection *coll, const guint *a, const guint *b, guint n, const GArray *boilerplate,
                         guint threads);

/* Frees the n results of align_pairs; NULL is ignored. */
void aligned_pairs_free(AlignedPair *pairs, guint n);

/* How many pairs a command aligns at once before writing them: enough to keep every thread busy,
 * few enough that their tokens stay small beside the collection. */
#define ALIGN_BATCH 512

/* `--passages` in text output: an indented summary line per passage. */
void render_passages_brief(FILE *fp, const Side *a, const Side *b, const NdDiff *d);

/* HTML escaping of text[from, to) (< > & "), and of a whole string (bytes that are not UTF-8 replaced). */
void html_escape(FILE *fp, const char *text, gsize from, gsize to);
void html_escape_str(FILE *fp, const char *s);

/* HTML: a self-contained report of A against every source (n sources, one NdDiff each). */
void render_diff_html(FILE *fp, const Side *a, const Side *sources, NdDiff *const *diffs, guint n);

#endif
