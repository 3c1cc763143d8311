/* shingle.c — k-shingles of token hashes (see include/neardup/shingle.h).
 *
 * Each window's hash is XXH3-64 over its k token hashes with the seed: the tokens are already
 * hashed once by the tokenizer, so a shingle costs one short hash, whatever the words' lengths.
 */
#include <neardup/neardup.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"

gboolean
nd_shingle_spec_parse(const char *text, NdShingleSpec *spec, GError **error)
{
  g_return_val_if_fail(spec != NULL, FALSE);
  NdShingleSpec out = { ND_TOKENS_WORDS, ND_DEFAULT_WORD_K };
  const char *rest = NULL;
  if (text != NULL && g_str_has_prefix(text, "words")) {
    out = (NdShingleSpec){ ND_TOKENS_WORDS, ND_DEFAULT_WORD_K };
    rest = text + 5;
  } else if (text != NULL && g_str_has_prefix(text, "chars")) {
    out = (NdShingleSpec){ ND_TOKENS_CHARS, ND_DEFAULT_CHAR_K };
    rest = text + 5;
  }
  if (rest != NULL && *rest == ':') {
    guint64 k = 0;
    if (!g_ascii_string_to_unsigned(rest + 1, 10, 1, ND_SHINGLE_K_MAX, &k, NULL))
      rest = NULL;
    else
      out.k = (guint)k;
  } else if (rest != NULL && *rest != '\0') {
    rest = NULL;
  }
  if (rest == NULL) {
    g_set_error(error, ND_ERROR, ND_ERROR_INVALID_ARG,
                "invalid shingle spec '%s': expected words:K or chars:K with K from 1 to %d",
                text ? text : "", ND_SHINGLE_K_MAX);
    return FALSE;
  }
  *spec = out;
  return TRUE;
}

char *
nd_shingle_spec_to_string(const NdShingleSpec *spec)
{
  return g_strdup_printf("%s:%u", spec->mode == ND_TOKENS_CHARS ? "chars" : "words", spec->k);
}

void
nd_shingle_hashes(const NdToken *tokens, gsize n, guint k, guint64 seed, GArray *out)
{
  g_return_if_fail(out != NULL && k >= 1 && k <= ND_SHINGLE_K_MAX);
  if (n == 0)
    return;
  guint64 window[ND_SHINGLE_K_MAX];
  gsize width = n < k ? n : k;
  gsize count = n - width + 1;
  gsize base = out->len;
  g_array_set_size(out, base + count);
  guint64 *dst = &g_array_index(out, guint64, base);
  for (gsize i = 0; i < width; i++)
    window[i] = tokens[i].hash;
  /* The window is kept as a ring; hashing needs it in order, so it is hashed from a linear copy
   * only when it wraps. For k tokens this is k*8 bytes of XXH3 per shingle. */
  for (gsize s = 0; s < count; s++) {
    if (s > 0) {
      memmove(window, window + 1, (width - 1) * sizeof window[0]);
      window[width - 1] = tokens[s + width - 1].hash;
    }
    dst[s] = XXH3_64bits_withSeed(window, width * sizeof window[0], seed);
  }
}
