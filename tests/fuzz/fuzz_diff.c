/* fuzz_diff.c — nd_diff_texts / nd_diff_tokens (diff.h) on two texts cut from the input.
 *
 * Input: byte 0 = flags (bit 0: fuzz the options from bytes 2..7, else the defaults; bit 2: also a
 * strict run; bit 3: chars mode, else words), byte 1 = where
 * to cut the rest into A and B (as a share of its length), bytes 2..7 = options, then the texts.
 * Options stay within what the CLI accepts (seed tokens 1..64, min tokens >= 1, score in [0, 1]).
 *
 * Lossy, and strict when asked (it must then fail with ND_ERROR_UTF8 naming the bad side, or succeed):
 *   - every passage: a_first < a_end <= a_tokens (same for B); byte ranges are those of its first
 *     and last tokens, so 0 <= a_start < a_stop <= |A| (same for B); spans of at least min_tokens;
 *     a_matched <= A span; score = (a_matched + b_matched) / (spans) in [0, 1], at least min_score
 *     for verbatim passages;
 *   - passages sorted by (a_first, b_first); no two passages of one kind overlap by more than half in
 *     both texts (the duplicate rule of diff.h; a rewritten sentence may hold a verbatim run);
 *   - aligned flags only inside passages, and at least a_matched of them inside each passage;
 *   - coverage = share of tokens inside some passage, in [0, 1];
 *   - the result equals nd_diff_tokens on nd_tokenize's tokens (so it is also deterministic);
 *   - A against itself, when A's tokens are all distinct and there are at least max(k, min_tokens)
 *     of them: exactly one passage covering everything, score 1.
 * Not asserted: that diff(A, B) and diff(B, A) find the same number of passages (they need not).
 */
#include "fuzz_common.h"
#include <math.h>

static double
overlap_share(guint32 s1, guint32 e1, guint32 s2, guint32 e2)
{
  guint32 lo = MAX(s1, s2), hi = MIN(e1, e2);
  if (hi <= lo)
    return 0.0;
  return (double)(hi - lo) / MIN(e1 - s1, e2 - s2);
}

static void
check_diff(const NdDiff *d, const NdToken *ta, gsize na, gsize a_len, const NdToken *tb, gsize nb, gsize b_len,
           const NdDiffOptions *o, const char *what)
{
  FUZZ_CHECK(d->a_tokens == na && d->b_tokens == nb, "%s: token counts %u/%u, tokenizer %zu/%zu", what, d->a_tokens,
             d->b_tokens, na, nb);
  g_autofree guint8 *in_a = g_new0(guint8, na + 1), *in_b = g_new0(guint8, nb + 1);
  const NdPassage *ps = (const NdPassage *)d->passages->data;
  for (guint i = 0; i < d->passages->len; i++) {
    const NdPassage *p = &ps[i];
    FUZZ_CHECK(p->a_first < p->a_end && p->a_end <= na, "%s: passage %u A tokens [%u, %u) of %zu", what, i, p->a_first,
               p->a_end, na);
    FUZZ_CHECK(p->b_first < p->b_end && p->b_end <= nb, "%s: passage %u B tokens [%u, %u) of %zu", what, i, p->b_first,
               p->b_end, nb);
    FUZZ_CHECK(p->a_start == ta[p->a_first].start && p->a_stop == ta[p->a_end - 1].end, "%s: passage %u A bytes", what, i);
    FUZZ_CHECK(p->b_start == tb[p->b_first].start && p->b_stop == tb[p->b_end - 1].end, "%s: passage %u B bytes", what, i);
    FUZZ_CHECK(p->a_start < p->a_stop && p->a_stop <= a_len, "%s: passage %u A bytes [%" G_GUINT64_FORMAT ", %"
               G_GUINT64_FORMAT ") of %zu", what, i, p->a_start, p->a_stop, a_len);
    FUZZ_CHECK(p->b_start < p->b_stop && p->b_stop <= b_len, "%s: passage %u B bytes [%" G_GUINT64_FORMAT ", %"
               G_GUINT64_FORMAT ") of %zu", what, i, p->b_start, p->b_stop, b_len);
    guint32 span_a = p->a_end - p->a_first, span_b = p->b_end - p->b_first;
    FUZZ_CHECK(span_a >= o->min_tokens && span_b >= o->min_tokens, "%s: passage %u shorter than min_tokens %u", what, i,
               o->min_tokens);
    FUZZ_CHECK(p->a_matched <= span_a && p->b_matched <= span_b, "%s: passage %u matched %u/%u of spans %u/%u", what, i,
               p->a_matched, p->b_matched, span_a, span_b);
    double score = (double)(p->a_matched + p->b_matched) / (span_a + span_b);
    FUZZ_CHECK(fabs(score - p->score) < 1e-12 && p->score >= 0.0 && p->score <= 1.0, "%s: passage %u score %g, "
               "computed %g", what, i, p->score, score);
    FUZZ_CHECK(p->kind == ND_PASSAGE_REWRITTEN || p->score >= o->min_score, "%s: verbatim passage %u score %g below "
               "min_score %g", what, i, p->score, o->min_score);
    FUZZ_CHECK(p->kind == ND_PASSAGE_VERBATIM || p->kind == ND_PASSAGE_REWRITTEN, "%s: passage %u kind %d", what, i,
               p->kind);
    FUZZ_CHECK(p->kind == ND_PASSAGE_VERBATIM || (o->sentence_overlap > 0 && p->a_matched >= 1),
               "%s: rewritten passage %u without sentence alignment or matches", what, i);
    if (i > 0)
      FUZZ_CHECK(ps[i - 1].a_first < p->a_first || (ps[i - 1].a_first == p->a_first && ps[i - 1].b_first <= p->b_first),
                 "%s: passages not sorted at %u", what, i);
    for (guint j = 0; j < i; j++)
      FUZZ_CHECK(ps[j].kind != p->kind ||
                 !(overlap_share(p->a_first, p->a_end, ps[j].a_first, ps[j].a_end) > 0.5 &&
                   overlap_share(p->b_first, p->b_end, ps[j].b_first, ps[j].b_end) > 0.5),
                 "%s: passages %u and %u are the same text found twice", what, j, i);
    guint32 flags_a = 0, flags_b = 0;
    for (guint32 t = p->a_first; t < p->a_end; t++) {
      in_a[t] = 1;
      flags_a += d->a_aligned[t] != 0;
    }
    for (guint32 t = p->b_first; t < p->b_end; t++) {
      in_b[t] = 1;
      flags_b += d->b_aligned[t] != 0;
    }
    FUZZ_CHECK(flags_a >= p->a_matched && flags_b >= p->b_matched, "%s: passage %u has %u/%u aligned flags for %u/%u "
               "matched tokens", what, i, flags_a, flags_b, p->a_matched, p->b_matched);
  }
  gsize cov_a = 0, cov_b = 0;
  for (gsize t = 0; t < na; t++) {
    FUZZ_CHECK(d->a_aligned[t] <= 1 && (!d->a_aligned[t] || in_a[t]), "%s: A token %zu aligned outside passages", what, t);
    cov_a += in_a[t];
  }
  for (gsize t = 0; t < nb; t++) {
    FUZZ_CHECK(d->b_aligned[t] <= 1 && (!d->b_aligned[t] || in_b[t]), "%s: B token %zu aligned outside passages", what, t);
    cov_b += in_b[t];
  }
  double want_a = na ? (double)cov_a / na : 0.0, want_b = nb ? (double)cov_b / nb : 0.0;
  FUZZ_CHECK(fabs(d->a_coverage - want_a) < 1e-12 && fabs(d->b_coverage - want_b) < 1e-12 && d->a_coverage >= 0 &&
             d->a_coverage <= 1 && d->b_coverage >= 0 && d->b_coverage <= 1,
             "%s: coverage %g/%g, passages cover %g/%g", what, d->a_coverage, d->b_coverage, want_a, want_b);
}

static void
check_same(const NdDiff *x, const NdDiff *y, const char *what)
{
  FUZZ_CHECK(x->a_tokens == y->a_tokens && x->b_tokens == y->b_tokens && x->passages->len == y->passages->len &&
             (x->passages->len == 0 ||
              memcmp(x->passages->data, y->passages->data, x->passages->len * sizeof(NdPassage)) == 0) &&
             memcmp(x->a_aligned, y->a_aligned, x->a_tokens + 1) == 0 && memcmp(x->b_aligned, y->b_aligned, x->b_tokens + 1) == 0 &&
             x->a_coverage == y->a_coverage && x->b_coverage == y->b_coverage,
             "%s: results differ", what);
}

static GArray *
tokens_of(const char *t, gsize len, NdTokenMode mode, NdTextFlags flags)
{
  GArray *a = g_array_new(FALSE, FALSE, sizeof(NdToken));
  FUZZ_CHECK(nd_tokenize(t, len, mode, flags, a, NULL), "nd_tokenize failed where nd_diff_texts succeeded");
  return a;
}

static gboolean
all_distinct(const guint64 *keys, guint n)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
  for (guint i = 0; i < n; i++) {
    if (g_hash_table_contains(seen, &keys[i]))
      return FALSE;
    g_hash_table_add(seen, (gpointer)&keys[i]);
  }
  return TRUE;
}

static void
run(const char *a, gsize a_len, const char *b, gsize b_len, NdTokenMode mode, NdTextFlags flags, const NdDiffOptions *o,
    gboolean pass_null)
{
  const char *what = mode == ND_TOKENS_CHARS ? (flags ? "chars lossy" : "chars") : (flags ? "words lossy" : "words");
  const NdDiffOptions *arg = pass_null ? NULL : o;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdDiff) d = nd_diff_texts(a, a_len, b, b_len, mode, flags, arg, &error);
  if (d == NULL) {
    const int codes[] = { ND_ERROR_UTF8 };
    fuzz_check_error(error, codes, 1, "nd_diff_texts");
    FUZZ_CHECK(!(flags & ND_TEXT_LOSSY), "lossy diff failed: %s", error->message);
    gboolean a_bad = nd_utf8_find_invalid(a, a_len) >= 0;
    FUZZ_CHECK(g_str_has_prefix(error->message, a_bad ? "A: " : "B: "), "message '%s' names the wrong side",
               error->message);
    return;
  }
  FUZZ_CHECK(error == NULL, "result and error");
  g_autoptr(GArray) ta = tokens_of(a, a_len, mode, flags);
  g_autoptr(GArray) tb = tokens_of(b, b_len, mode, flags);
  check_diff(d, (const NdToken *)ta->data, ta->len, a_len, (const NdToken *)tb->data, tb->len, b_len, o, what);
  NdDiffOptions with_len = *o; /* the lengths nd_diff_texts passes on (quotation marks after the last word) */
  with_len.a_len = a_len;
  with_len.b_len = b_len;
  if (pass_null)
    nd_diff_options_init(&with_len), with_len.a_len = a_len, with_len.b_len = b_len;
  g_autoptr(NdDiff) tok = nd_diff_tokens(a, (const NdToken *)ta->data, ta->len, b, (const NdToken *)tb->data, tb->len,
                                         &with_len);
  check_same(d, tok, "nd_diff_tokens vs nd_diff_texts");

  /* A against itself. */
  g_autoptr(NdDiff) self = nd_diff_tokens(a, (const NdToken *)ta->data, ta->len, a, (const NdToken *)ta->data, ta->len,
                                          arg);
  check_diff(self, (const NdToken *)ta->data, ta->len, a_len, (const NdToken *)ta->data, ta->len, a_len, o, "self");
  /* One passage covering A when its match keys (words.h) are all distinct and enough of them carry
   * content: distinct words may share a stem, and a run of function words is no passage. */
  g_autofree guint64 *keys = g_new(guint64, ta->len + 1);
  g_autofree guint8 *content = g_new(guint8, ta->len + 1);
  nd_word_keys(a, (const NdToken *)ta->data, ta->len, self->language, o->stem, keys, content);
  guint n_content = 0;
  for (guint i = 0; i < ta->len; i++)
    n_content += content[i];
  if (ta->len >= MAX(o->seed_tokens, o->min_tokens) && o->max_seed_occurrences >= 1 && n_content >= o->min_content &&
      all_distinct(keys, ta->len)) {
    const NdPassage *p = (const NdPassage *)self->passages->data;
    FUZZ_CHECK(self->passages->len == 1 && p->a_first == 0 && p->a_end == ta->len && p->b_first == 0 &&
               p->b_end == ta->len && p->score == 1.0 && self->a_coverage == 1.0,
               "%s: A against itself (%u distinct tokens) gives %u passages", what, ta->len, self->passages->len);
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 8)
    return 0;
  NdDiffOptions o;
  nd_diff_options_init(&o);
  gboolean fuzz_options = data[0] & 1;
  if (fuzz_options) {
    o.seed_tokens = (data[0] & 2) ? 1u + data[2] % ND_SHINGLE_K_MAX : 1u + data[2] % 5;
    o.min_tokens = 1u + data[3] % 16;
    o.max_gap = data[4] % 24;
    o.max_drift = data[5] % 12;
    o.min_score = data[6] / 255.0;
    o.max_seed_occurrences = 1u + data[7] % 64;
  }
  const char *rest = (const char *)data + 8;
  gsize len = size - 8;
  gsize cut = (gsize)data[1] * len / 255;
  const char *a = rest, *b = rest + cut;
  gsize a_len = cut, b_len = len - cut;
  NdTokenMode mode = (data[0] & 8) ? ND_TOKENS_CHARS : ND_TOKENS_WORDS;
  run(a, a_len, b, b_len, mode, ND_TEXT_LOSSY, &o, !fuzz_options);
  if (data[0] & 4)
    run(a, a_len, b, b_len, mode, ND_TEXT_DEFAULT, &o, !fuzz_options);
  return 0;
}
