/* fuzz_quote.c — quotation spans (quote.h, src/quote.c) on any bytes.
 *
 * Invariants: no crash, no leak; spans lie inside the input, are non-empty, sorted and disjoint;
 * each starts with a quotation mark (one of quote.h's list) and ends either with one or at the end
 * of a line's last non-space character; the same bytes give the same spans; the spans of the first
 * paragraph (to the first blank line) do not depend on the lines after the next non-blank one (a
 * prefix cut there keeps them); nd_quote_mark_tokens marks exactly the tokens inside the spans.
 */
#include "fuzz_common.h"

static const char *const marks[] = { "\"", "“", "”", "„", "‟", "«", "»", "〝", "〞", "〟", "＂", "「", "」", "『",
                                     "』", "'", "‘", "’", "‚", "‛", "‹", "›" };

static gboolean
starts_with_mark(const char *p, gsize n)
{
  for (gsize k = 0; k < G_N_ELEMENTS(marks); k++) {
    gsize m = strlen(marks[k]);
    if (m <= n && memcmp(p, marks[k], m) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean
ends_with_mark(const char *text, guint64 end)
{
  for (gsize k = 0; k < G_N_ELEMENTS(marks); k++) {
    gsize m = strlen(marks[k]);
    if (m <= end && memcmp(text + end - m, marks[k], m) == 0)
      return TRUE;
  }
  return FALSE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *text = (const char *)data;
  g_autoptr(GArray) spans = nd_quote_spans(text, size);
  g_autoptr(GArray) again = nd_quote_spans(text, size);
  FUZZ_CHECK(spans->len == again->len &&
             (spans->len == 0 || memcmp(spans->data, again->data, spans->len * sizeof(NdQuoteSpan)) == 0),
             "the same bytes gave other spans");
  for (guint i = 0; i < spans->len; i++) {
    const NdQuoteSpan *q = &g_array_index(spans, NdQuoteSpan, i);
    FUZZ_CHECK(q->start < q->end && q->end <= size, "span %u: [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ")", i,
               q->start, q->end);
    FUZZ_CHECK(i == 0 || g_array_index(spans, NdQuoteSpan, i - 1).end <= q->start, "span %u overlaps", i);
    FUZZ_CHECK(starts_with_mark(text + q->start, size - q->start), "span %u does not open with a mark", i);
    /* Or only spaces follow it on its line (a paragraph of a quotation that continues). */
    const char *p = text + q->end, *end = text + size;
    gboolean line_end = TRUE;
    while (p < end) {
      gunichar c = g_utf8_get_char_validated(p, end - p);
      if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029)
        break;
      if (c == (gunichar)-1 || c == (gunichar)-2 || !(g_unichar_isspace(c) || c == 0xA0 || c == 0x200B || c == 0xFEFF)) {
        line_end = FALSE;
        break;
      }
      p = g_utf8_next_char(p);
    }
    FUZZ_CHECK(ends_with_mark(text, q->end) || line_end, "span %u ends inside a line without a mark", i);
  }
  /* Spans of a prefix: cut after the first paragraph's end (a line break, then a line of spaces and
   * tabs: a hard-wrapped quotation and the possessive rule reach no further) and the next line holding
   * anything but spaces (the one that may reopen a quotation); the spans that end before the
   * paragraph's end stay. */
  const char *cut = NULL;
  for (const char *nl = memchr(text, '\n', size); nl != NULL && cut == NULL;
       nl = memchr(nl + 1, '\n', (gsize)(text + size - nl - 1))) {
    const char *q = nl + 1;
    while (q < text + size && (*q == ' ' || *q == '\t'))
      q++;
    if (q < text + size && *q == '\n')
      cut = nl;
  }
  if (cut != NULL) {
    const char *p = cut + 1, *end = text + size;
    gboolean other_break = FALSE; /* \r, U+2028, U+2029 also end lines: keep the check simple */
    while (p < end) {
      gunichar c = g_utf8_get_char_validated(p, end - p);
      if (c == (gunichar)-1 || c == (gunichar)-2 || !(g_unichar_isspace(c) || c == 0xA0 || c == 0x200B || c == 0xFEFF))
        break;
      other_break = other_break || c == '\r' || c == 0x2028 || c == 0x2029;
      p = g_utf8_next_char(p);
    }
    const char *second = p < end ? memchr(p, '\n', (gsize)(end - p)) : NULL;
    if (second != NULL && !other_break) {
      gsize prefix = (gsize)(second - text) + 1;
      g_autoptr(GArray) part = nd_quote_spans(text, prefix);
      guint same = 0;
      for (guint i = 0; i < spans->len; i++)
        if (g_array_index(spans, NdQuoteSpan, i).end <= (guint64)(cut - text))
          same++;
      FUZZ_CHECK(part->len >= same, "a prefix lost spans");
      for (guint i = 0; i < same; i++)
        FUZZ_CHECK(memcmp(&g_array_index(part, NdQuoteSpan, i), &g_array_index(spans, NdQuoteSpan, i),
                          sizeof(NdQuoteSpan)) == 0, "span %u changed by text two lines later", i);
    }
  }
  g_autoptr(GArray) tokens = g_array_new(FALSE, FALSE, sizeof(NdToken));
  if (size <= G_MAXUINT32 && nd_tokenize(text, size, ND_TOKENS_WORDS, ND_TEXT_LOSSY, tokens, NULL)) {
    g_autofree guint8 *quoted = g_new0(guint8, tokens->len + 1);
    gsize n = nd_quote_mark_tokens(text, size, (const NdToken *)tokens->data, tokens->len, quoted);
    gsize count = 0;
    for (guint t = 0; t < tokens->len; t++) {
      const NdToken *k = &g_array_index(tokens, NdToken, t);
      gboolean inside = FALSE;
      for (guint i = 0; i < spans->len && !inside; i++) {
        const NdQuoteSpan *q = &g_array_index(spans, NdQuoteSpan, i);
        inside = q->start <= k->start && k->end <= q->end;
      }
      FUZZ_CHECK(quoted[t] == inside, "token %u marked %d", t, quoted[t]);
      count += quoted[t];
    }
    FUZZ_CHECK(count == n, "count %zu, marked %zu", n, count);
  }
  return 0;
}
