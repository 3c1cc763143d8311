/* quote.h — which parts of a text lie inside quotation marks.
 *
 * Two articles on one story often share a statement both quote ("We need a lasting peace," the
 * minister said): shared words, but not copied reporting. The passage aligner (diff.h), the passage
 * anchors (collection.h) and the report rule (score.h) use these spans to tell the two apart.
 *
 * Marks, in two families (a closing mark closes the innermost open quotation of its family, whatever
 * its style, so “…”, „…“, „…”, «…», »…«, ”…” (Swedish), "…" and 「…」 all pair up):
 *   double  " “ ” „ ‟ « » 〝 〞 〟 ＂ 「 」 『 』
 *   single  ' ‘ ’ ‚ ‛ ‹ ›
 * Whether a mark opens or closes comes from what flanks it (as CommonMark's smart quotes): it can
 * open when the next character is not a space and the previous one is the start, a space or
 * punctuation; it can close when the previous character is not a space and the next one is the end,
 * a space or punctuation. 「『 only open, 」』 only close. A mark that can do both closes an open
 * quotation of its family if there is one, else opens one (a double mark) or is ignored (a single
 * one). A single mark between two letters or digits is an apostrophe (don't, Kyiv’s, ’90s is one
 * too: an opening single mark before a digit), never a quotation mark.
 *
 * Paragraphs (lines): a quotation still open at the end of a line continues into the next line when
 * that line opens with a mark of the same family (the convention for a quotation of several
 * paragraphs: each paragraph reopens, only the last closes); the span then ends with the line and a
 * new one starts at the reopening mark (a mark followed by punctuation, as in "», he said", closes:
 * it reopens nothing). Otherwise (unless the line wraps: below) the open marks of the line are
 * unbalanced and dropped: an unclosed quotation marks nothing (a stray mark never turns the rest of
 * a text into a quotation). Nested quotations lie inside their outer one; an inner quotation closed inside an
 * unbalanced outer one still counts.
 *
 * Guillemets may stand apart from their words (French « nous restons »): next to a space they open
 * after a space or punctuation and close before one.
 *
 * A plural possessive (a single mark after s, before a space: "the leaders' level") closes an open
 * single quotation only when no later single mark of its line (or of the lines its hard-wrapped
 * paragraph goes on over) could close it.
 *
 * Hard-wrapped text (plain-text wire copy: a paragraph broken over lines of 60-80 columns): a
 * quotation still open at a line break that does not reopen it goes on in the next line when that
 * line is not blank (the paragraph goes on), the line broken may be a wrapped line (at most
 * ND_QUOTE_WRAP_COLUMNS characters) and it has gone on over at most ND_QUOTE_WRAP_LINES breaks.
 * So it ends at a blank line, at U+2029, after a long line (a text of one paragraph per line) and
 * after ND_QUOTE_WRAP_LINES lines; an unclosed mark still marks nothing, and a stray opening mark
 * marks text only if a stray closing mark follows within that reach. The plural-possessive rule
 * above looks for a later closing mark over the same lines.
 *
 * Limits: a quotation in text wrapped at more than ND_QUOTE_WRAP_COLUMNS characters, or over more
 * than ND_QUOTE_WRAP_LINES lines, is missed (nothing marked) rather than guessed.
 *
 * Cost: one pass over the text; the stack of open marks is bounded (ND_QUOTE_MAX_DEPTH, deeper marks
 * are ignored).
 *
 * Stability: new in 0.3, stable (docs/api.md): the calls and NdQuoteSpan. The spans found for a text
 * may improve in a new minor version (the rules above are the documentation, tests/ the reference).
 */
#ifndef NEARDUP_QUOTE_H
#define NEARDUP_QUOTE_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/text.h>

ND_BEGIN_DECLS

#define ND_QUOTE_MAX_DEPTH 16
/* The longest line (in characters) read as a line of a hard-wrapped paragraph. */
#define ND_QUOTE_WRAP_COLUMNS 100
/* The most line breaks a quotation goes on over in a hard-wrapped paragraph. */
#define ND_QUOTE_WRAP_LINES 24

/* A quotation: bytes [start, end) of the text, from its opening mark to the end of its closing mark
 * (or, for a paragraph of a quotation that continues, to the end of the line). */
typedef struct {
  guint64 start, end;
} NdQuoteSpan;

/* The quotations of `len` bytes of `text` (UTF-8; invalid bytes count as ordinary characters): a new
 * array of NdQuoteSpan, sorted by start, disjoint (nested quotations merged into their outer one).
 * `text` may be NULL only when len is 0. Never fails. */
GArray *nd_quote_spans(const char *text, gsize len);

/* Sets quoted[i] to 1 for each of the n tokens of `text` (nd_tokenize) that lies inside a
 * quotation, 0 otherwise; returns how many are quoted. `quoted` holds n bytes (caller's). */
gsize nd_quote_mark_tokens(const char *text, gsize len, const NdToken *tokens, gsize n, guint8 *quoted);

ND_END_DECLS

#endif
