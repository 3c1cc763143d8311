/* render.h — writing passage reports: text (with optional colour), JSON Lines and HTML. */
#ifndef NEARDUP_RENDER_H
#define NEARDUP_RENDER_H

#include "cli.h"

/* One side of a compared pair: the article's id, original bytes and tokens. */
typedef struct {
  const char *id;
  const char *text;
  gsize len;
  const NdToken *tokens;
  gsize n_tokens;
} Side;

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

/* HTML: a self-contained report of A against every source (n sources, one NdDiff each). */
void render_diff_html(FILE *fp, const Side *a, const Side *sources, NdDiff *const *diffs, guint n);

#endif
