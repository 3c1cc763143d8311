/* render.h — writing passage reports: text (with optional colour), JSON Lines and HTML. */
#ifndef NEARDUP_RENDER_H
#define NEARDUP_RENDER_H

#include "cli.h"

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
  gboolean with_text;  /* include the passages' text in JSON */
} RenderOptions;

/* Text: a header with coverage, then each passage with both sides; words only in A are shown as
 * [-word-] (red), words only in B as {+word+} (green). */
void render_diff_text(FILE *fp, const Side *a, const Side *b, const NdDiff *d, const RenderOptions *o);

/* JSON Lines: one object per passage (fields documented in `neardup diff --help`). */
void render_diff_json(FILE *fp, const Side *a, const Side *b, const NdDiff *d, const RenderOptions *o);

/* The fields of one passage ("passage":N,"a_start":...), without braces or the pair's ids. */
void render_passage_json_fields(FILE *fp, const Side *a, const Side *b, const NdDiff *d, guint index,
                                gboolean with_text);

/* Tokenises the kept texts of documents a and b of `coll` (signed with keep_text) into ta/tb and
 * fills both sides; returns their alignment (free with nd_diff_free), the batch's boilerplate lines
 * (nd_find_boilerplate; NULL = none) left out. */
NdDiff *pair_diff(const NdCollection *coll, guint a, guint b, const GArray *boilerplate, GArray *ta, GArray *tb,
                  Side *sa, Side *sb);

/* The alignment of two sides with the default options, their lengths (quotation marks after the last
 * word) and the batch's boilerplate lines (NULL = none) given. Free with nd_diff_free. */
NdDiff *side_diff(const Side *a, const Side *b, const GArray *boilerplate);

/* `pairs`/`scan --passages` helpers: an indented summary line per passage (text), a JSON array of
 * passage objects, and one CSV field "a_start-a_end:b_start-b_end:score;..." */
void render_passages_brief(FILE *fp, const Side *a, const Side *b, const NdDiff *d);
void render_passages_json_array(FILE *fp, const Side *a, const Side *b, const NdDiff *d);
void render_passages_csv(FILE *fp, const Side *a, const Side *b, const NdDiff *d);

/* HTML escaping of text[from, to) (< > & "), and of a whole string (bytes that are not UTF-8 replaced). */
void html_escape(FILE *fp, const char *text, gsize from, gsize to);
void html_escape_str(FILE *fp, const char *s);

/* HTML: a self-contained report of A against every source (n sources, one NdDiff each). */
void render_diff_html(FILE *fp, const Side *a, const Side *sources, NdDiff *const *diffs, guint n);

#endif
