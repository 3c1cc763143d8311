/* fuzz_spec.c — nd_shingle_spec_parse (shingle.h), the parser behind --shingle and the index
 * header's "shingle" entry, on arbitrary strings.
 *
 * Invariants: it accepts exactly the documented grammar — "words" or "chars", optionally followed by
 * ":K" with K a decimal number from 1 to ND_SHINGLE_K_MAX — giving the default K
 * (ND_DEFAULT_WORD_K, ND_DEFAULT_CHAR_K) when K is absent; anything else fails with
 * ND_ERROR_INVALID_ARG and leaves the spec untouched; nd_shingle_spec_to_string of an accepted spec
 * parses back to the same spec.
 */
#include "fuzz_common.h"

static gboolean
reference(const char *s, NdShingleSpec *out)
{
  if (strncmp(s, "words", 5) == 0)
    *out = (NdShingleSpec){ ND_TOKENS_WORDS, ND_DEFAULT_WORD_K };
  else if (strncmp(s, "chars", 5) == 0)
    *out = (NdShingleSpec){ ND_TOKENS_CHARS, ND_DEFAULT_CHAR_K };
  else
    return FALSE;
  s += 5;
  if (*s == '\0')
    return TRUE;
  if (*s++ != ':' || *s == '\0')
    return FALSE;
  guint64 k = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return FALSE;
    k = k * 10 + (guint64)(*s - '0');
    if (k > ND_SHINGLE_K_MAX)
      return FALSE;
  }
  if (k < 1)
    return FALSE;
  out->k = (guint)k;
  return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  NdShingleSpec want = { 0, 0 };
  gboolean ref_ok = reference(text, &want);
  NdShingleSpec spec = { (NdTokenMode)7, 12345 };
  g_autoptr(GError) error = NULL;
  gboolean ok = nd_shingle_spec_parse(text, &spec, &error);
  if (ok != ref_ok && fuzz_known("spec-vtab") && strchr(text, '\v') != NULL)
    return 0; /* known: GLib's number parser lets strtoull skip a vertical tab before K */
  FUZZ_CHECK(ok == ref_ok, "'%s': parse says %d, the documented grammar %d", text, ok, ref_ok);
  if (!ok) {
    const int codes[] = { ND_ERROR_INVALID_ARG };
    fuzz_check_error(error, codes, 1, "nd_shingle_spec_parse");
    FUZZ_CHECK(spec.mode == (NdTokenMode)7 && spec.k == 12345, "failed parse changed the spec");
    return 0;
  }
  FUZZ_CHECK(error == NULL && spec.mode == want.mode && spec.k == want.k, "'%s' parsed as %d:%u, expected %d:%u", text,
             spec.mode, spec.k, want.mode, want.k);
  g_autofree char *back = nd_shingle_spec_to_string(&spec);
  NdShingleSpec again;
  FUZZ_CHECK(nd_shingle_spec_parse(back, &again, NULL) && again.mode == spec.mode && again.k == spec.k,
             "'%s' does not parse back", back);
  return 0;
}
