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
    gboolean digits = rest[1] != '\0';
    for (const char *d = rest + 1; *d && digits; d++)
      digits = g_ascii_isdigit(*d); /* no signs or white space, which strtoull would accept */
    if (!digits || !g_ascii_string_to_unsigned(rest + 1, 10, 1, ND_SHINGLE_K_MAX, &k, NULL))
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
  gsize width = n < k ? n : k;
  gsize count = n - width + 1;
  gsize base = out->len;
  /* The token hashes are first gathered into the output array itself (n >= count slots), so that
   * every window is k consecutive 64-bit values: shingle s is XXH3 over hashes[s .. s + k), and
   * overwriting slot s with it is safe because later windows start after s. */
  g_array_set_size(out, base + n);
  guint64 *dst = &g_array_index(out, guint64, base);
  for (gsize i = 0; i < n; i++)
    dst[i] = tokens[i].hash;
  for (gsize s = 0; s < count; s++)
    dst[s] = XXH3_64bits_withSeed(dst + s, width * sizeof(guint64), seed);
  g_array_set_size(out, base + count);
}
