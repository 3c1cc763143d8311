/* fuzz_origin.c — the text's evidence of direction (origin.h, src/origin.c) on any bytes.
 *
 * The input is read as an article's text by nd_text_has_dated_dateline (with its exact length, so a
 * read past it is caught by AddressSanitizer), and its first bytes also drive nd_find_directions
 * on a small set of pairs among 6 documents (dates, datelines, kinds and scores from the bytes).
 *
 * Invariants: no crash, no leak; the same bytes give the same answer; a dated dateline stays one
 * when bytes are appended (only the text's opening is read, up to the credit's closing
 * parenthesis); each pair's source is one of its two articles or undecided (G_MAXUINT) with basis
 * none, exactly; a quotation pair is undecided; the directions and origins do not depend on the
 * order of the pairs; a pair decided by date has a dated source, earlier than the copy when that is
 * dated (an undated copy: the source is its cluster's earliest dated article).
 */
#include "fuzz_common.h"

#define N_DOCS 6
#define MAX_PAIRS 12

static void
check_directions(const uint8_t *data, size_t size)
{
  if (size < 2 + N_DOCS * 3)
    return;
  NdPublished when[N_DOCS] = { { 0 } };
  for (guint i = 0; i < N_DOCS; i++) {
    guint8 b = data[i * 3];
    when[i].dated = (b & 1) != 0;
    when[i].day_only = (b & 2) != 0;
    when[i].dated_dateline = (b & 4) != 0;
    when[i].utc = (gint64)data[i * 3 + 1] * 3600 + (gint64)data[i * 3 + 2] * 59;
  }
  const uint8_t *p = data + N_DOCS * 3;
  size_t left = size - N_DOCS * 3;
  NdPair pairs[MAX_PAIRS], reversed[MAX_PAIRS];
  guint n = 0;
  for (; n < MAX_PAIRS && left >= 3; p += 3, left -= 3) {
    guint a = p[0] % N_DOCS, b = p[1] % N_DOCS;
    if (a == b)
      continue;
    gboolean seen = FALSE; /* pairs are distinct, as finders report them */
    for (guint k = 0; k < n; k++)
      seen = seen || (MIN(pairs[k].a, pairs[k].b) == MIN(a, b) && MAX(pairs[k].a, pairs[k].b) == MAX(a, b));
    if (seen)
      continue;
    NdPair q = { 0 };
    q.a = MIN(a, b);
    q.b = MAX(a, b);
    q.jaccard = (p[2] & 0x3f) / 63.0;
    q.containment_a_in_b = q.containment_b_in_a = q.jaccard;
    q.kind = (p[2] & 0xc0) == 0xc0 ? ND_PAIR_QUOTATION : ND_PAIR_REUSE;
    pairs[n++] = q;
  }
  if (n == 0)
    return;
  for (guint k = 0; k < n; k++)
    reversed[k] = pairs[n - 1 - k];
  NdDirection d[MAX_PAIRS], r[MAX_PAIRS];
  guint origin[N_DOCS], origin_r[N_DOCS];
  NdSourceBasis basis[N_DOCS], basis_r[N_DOCS];
  nd_find_directions(pairs, n, N_DOCS, when, d, origin, basis);
  nd_find_directions(reversed, n, N_DOCS, when, r, origin_r, basis_r);
  for (guint k = 0; k < n; k++) {
    const NdPair *q = &pairs[k];
    FUZZ_CHECK(d[k].source == q->a || d[k].source == q->b || d[k].source == G_MAXUINT, "source %u", d[k].source);
    FUZZ_CHECK((d[k].source == G_MAXUINT) == (d[k].basis == ND_BASIS_NONE), "basis %d", d[k].basis);
    FUZZ_CHECK(q->kind != ND_PAIR_QUOTATION || d[k].source == G_MAXUINT, "a quotation pair with a source");
    FUZZ_CHECK(d[k].source == r[n - 1 - k].source && d[k].basis == r[n - 1 - k].basis,
               "pair %u: the order of the pairs changed its direction", k);
    if (d[k].basis == ND_BASIS_DATE) {
      guint copy = d[k].source == q->a ? q->b : q->a;
      FUZZ_CHECK(when[d[k].source].dated && (!when[copy].dated || when[d[k].source].utc < when[copy].utc),
                 "pair %u decided by date without an earlier date", k);
    }
  }
  for (guint i = 0; i < N_DOCS; i++)
    FUZZ_CHECK(origin[i] == origin_r[i] && basis[i] == basis_r[i], "document %u: origin depends on pair order", i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = g_memdup2(data, size ? size : 1);
  gboolean dated = nd_text_has_dated_dateline(text, size);
  FUZZ_CHECK(dated == nd_text_has_dated_dateline(text, size), "not deterministic");
  if (dated) {
    static const char tail[] = " appended words (and a credit) \n\nLONDON (Wire) - more\n";
    char *longer = g_malloc(size + sizeof tail);
    memcpy(longer, data, size);
    memcpy(longer + size, tail, sizeof tail);
    FUZZ_CHECK(nd_text_has_dated_dateline(longer, size + sizeof tail - 1), "appending bytes lost the dateline");
    g_free(longer);
  }
  g_free(text);
  check_directions(data, size);
  return 0;
}
