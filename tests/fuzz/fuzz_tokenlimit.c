/* fuzz_tokenlimit.c — nd_check_token_limit (input.h), the loader's token pre-count for --max-tokens.
 *
 * Input: byte 0 = flags (bit 0 chars mode, bit 1 lossy, bit 2 make it big), byte 1 = the separator
 * put between copies of a big text (0: none, 1: space, 2: newline, else none), then the text. A big
 * text is the text repeated to just over 300 KiB, so that the count runs in two 256 KiB chunks and,
 * without white space, has to cut inside a token.
 *
 * Let n be the tokens signing would see: all of them when lossy or valid, else those before the
 * first invalid byte (nd_tokenize's strict prefix). Invariants, for limits around n:
 *   - FALSE only with ND_ERROR_TOO_MANY_TOKENS, and only when n > limit ("certainly has more");
 *   - limit 0 means no limit: always TRUE;
 *   - texts of one chunk are counted exactly: TRUE iff n <= limit;
 *   - big texts: TRUE may be given for a few tokens over the limit (each cut inside a token may
 *     count one extra), but never for more than one extra per chunk (lossy or valid text);
 *   - tokenising a big text takes well under a second (linear time: about 0.05 s for 300 KiB under
 *     AddressSanitizer). crashes/tokenlimit/ keeps the input that found GLib's NFKC normalisation to
 *     be quadratic in the length of one long token of composable letters ("ééé…"), before nd_tokenize
 *     cut tokens at 256 bytes.
 */
#include "fuzz_common.h"

#define CHUNK ((gsize)256 << 10)
#define BIG ((gsize)300 << 10)

static guint64
signed_tokens(const char *text, gsize len, NdTokenMode mode, NdTextFlags flags)
{
  g_autoptr(GArray) t = g_array_new(FALSE, FALSE, sizeof(NdToken));
  nd_tokenize(text, len, mode, flags, t, NULL); /* on failure, t holds the tokens before the fault */
  return t->len;
}

static void
check(const char *text, gsize len, NdTokenMode mode, NdTextFlags flags, guint64 n, guint64 limit, gboolean exact,
      gboolean bounded)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = nd_check_token_limit(text, len, mode, flags, limit, &error);
  if (!ok) {
    const int codes[] = { ND_ERROR_TOO_MANY_TOKENS };
    fuzz_check_error(error, codes, 1, "nd_check_token_limit");
    FUZZ_CHECK(limit > 0 && n > limit, "refused %zu bytes with %" G_GUINT64_FORMAT " tokens at limit %" G_GUINT64_FORMAT,
               len, n, limit);
    return;
  }
  FUZZ_CHECK(error == NULL, "TRUE with an error");
  if (limit == 0)
    return;
  if (exact)
    FUZZ_CHECK(n <= limit, "accepted %zu bytes with %" G_GUINT64_FORMAT " tokens at limit %" G_GUINT64_FORMAT, len, n,
               limit);
  else if (bounded)
    FUZZ_CHECK(n <= limit + len / CHUNK + 1, "accepted %zu bytes with %" G_GUINT64_FORMAT " tokens at limit %"
               G_GUINT64_FORMAT " (more than one extra per chunk)", len, n, limit);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  NdTokenMode mode = (data[0] & 1) ? ND_TOKENS_CHARS : ND_TOKENS_WORDS;
  NdTextFlags flags = (data[0] & 2) ? ND_TEXT_LOSSY : ND_TEXT_DEFAULT;
  const char *text = (const char *)data + 2;
  gsize len = size - 2;
  g_autofree char *big = NULL;
  if ((data[0] & 4) && len > 0) {
    const char *sep = data[1] == 1 ? " " : data[1] == 2 ? "\n" : "";
    GString *s = g_string_sized_new(BIG + len + 1);
    while (s->len < BIG) {
      g_string_append_len(s, text, (gssize)len);
      g_string_append(s, sep);
    }
    len = s->len;
    big = g_string_free(s, FALSE);
    text = big;
  }
  gint64 t0 = g_get_monotonic_time();
  guint64 n = signed_tokens(text, len, mode, flags);
  double seconds = (g_get_monotonic_time() - t0) / 1e6;
  FUZZ_CHECK(big == NULL || seconds < 1.0 || fuzz_known("quadratic-normalize"),
             "tokenising %zu bytes took %.2f s (%" G_GUINT64_FORMAT " tokens)", len, seconds, n);
  gboolean exact = len <= CHUNK;
  gboolean bounded = (flags & ND_TEXT_LOSSY) || nd_utf8_find_invalid(text, len) < 0;
  const guint64 limits[] = { 0, n, n > 0 ? n - 1 : 1, 1, n + 1, n / 2, n > 3 ? n - 3 : 2 };
  gsize n_limits = big ? 4 : G_N_ELEMENTS(limits); /* a big text costs three full tokenisations per limit */
  for (gsize i = 0; i < n_limits; i++)
    check(text, len, mode, flags, n, limits[i], exact, bounded);
  return 0;
}
