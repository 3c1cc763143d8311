/* fuzz_tokenize.c — UTF-8 validation, tokenising and normalisation (text.h) on arbitrary bytes.
 *
 * Invariants checked, for both token modes, strict and lossy:
 *   - nd_utf8_find_invalid() agrees with GLib's validator (run on the NUL-separated pieces, since
 *     NUL counts as valid here and not for g_utf8_validate).
 *   - nd_tokenize() appends to the array (entries already there are untouched); every token has
 *     0 <= start < end <= size; tokens are strictly increasing and do not overlap.
 *   - strict mode succeeds iff the text is valid; on failure the code is ND_ERROR_UTF8, the message
 *     names nd_utf8_find_invalid()'s offset, and the tokens kept are exactly the lossy run's tokens
 *     before that offset.
 *   - lossy mode never fails; on valid text it equals strict mode; on invalid text it equals strict
 *     mode on the text with each invalid byte replaced by a space (text.h: invalid bytes separate).
 *   - token boundaries equal those of a straightforward reference tokenizer written from the rule
 *     in text.h / README (maximal runs of letters, marks and digits; ' ’ ʼ ZWJ ZWNJ soft hyphen
 *     between two word characters dropped; chars mode: one letter/digit with its marks; a token
 *     holds at most 256 bytes of letters, digits and marks, a longer run is cut), and each token's
 *     hash is XXH3-64 of nd_normalize_token() of its original bytes.
 *   - nd_normalize_token() of any bytes (the whole input, each token) returns valid UTF-8.
 */
#include "fuzz_common.h"
#include <xxhash.h>

/* The token hash as text.h defines it, written out here: XXH3-64 of the bytes zero-padded to 16
 * with the length as seed, plain XXH3-64 beyond 16 bytes. */
static guint64
ref_token_hash(const char *bytes, gsize n)
{
  if (n > 16)
    return XXH3_64bits(bytes, n);
  char padded[16] = { 0 };
  memcpy(padded, bytes, n);
  return XXH3_64bits_withSeed(padded, 16, n);
}

#define XXH_INLINE_ALL
#include <xxhash.h>

enum { R_SEP, R_WORD, R_JOIN, R_MARK, R_INVALID };

typedef struct {
  guint32 off, len;
  int cls;
} RefCp;

static int
ref_class(gunichar cp)
{
  if (cp < 0x80) {
    if (g_ascii_isalnum((char)cp))
      return R_WORD;
    return cp == '\'' ? R_JOIN : R_SEP;
  }
  if (cp == 0x2019 || cp == 0x02BC || cp == 0x200C || cp == 0x200D || cp == 0x00AD)
    return R_JOIN;
  switch (g_unichar_type(cp)) {
  case G_UNICODE_LOWERCASE_LETTER:
  case G_UNICODE_MODIFIER_LETTER:
  case G_UNICODE_OTHER_LETTER:
  case G_UNICODE_TITLECASE_LETTER:
  case G_UNICODE_UPPERCASE_LETTER:
  case G_UNICODE_DECIMAL_NUMBER:
  case G_UNICODE_LETTER_NUMBER:
  case G_UNICODE_OTHER_NUMBER:
    return R_WORD;
  case G_UNICODE_SPACING_MARK:
  case G_UNICODE_ENCLOSING_MARK:
  case G_UNICODE_NON_SPACING_MARK:
    return R_MARK;
  default:
    return R_SEP;
  }
}

/* Decodes like a lossy reader: an invalid byte is one R_INVALID unit. Uses GLib's decoder. */
static GArray *
ref_decode(const char *text, gsize len)
{
  GArray *cps = g_array_new(FALSE, FALSE, sizeof(RefCp));
  gsize i = 0;
  while (i < len) {
    guint8 c = (guint8)text[i];
    RefCp r = { (guint32)i, 1, R_INVALID };
    if (c < 0x80) {
      r.cls = ref_class(c);
    } else {
      gunichar cp = g_utf8_get_char_validated(text + i, (gssize)(len - i));
      if (cp != (gunichar)-1 && cp != (gunichar)-2) {
        r.len = (guint32)g_unichar_to_utf8(cp, NULL);
        r.cls = ref_class(cp);
      }
    }
    g_array_append_val(cps, r);
    i += r.len;
  }
  return cps;
}

/* text.h: "A run of letters longer than 256 bytes is no word ... and is cut into tokens of at most
 * 256 bytes" (bytes of its letters, digits and marks; dropped apostrophes and joiners do not count). */
#define REF_MAX_TOKEN_BYTES 256

/* Token boundaries by the documented rule, on decoded units (invalid units separate). */
static GArray *
ref_tokenize(const char *text, gsize len, NdTokenMode mode)
{
  g_autoptr(GArray) cps = ref_decode(text, len);
  GArray *out = g_array_new(FALSE, FALSE, sizeof(NdToken));
  gboolean open = FALSE;
  gsize kept = 0; /* bytes of the open token's letters, digits and marks (dropped joiners do not count) */
  NdToken cur = { 0, 0, 0 };
#define CLOSE()                                                                                   \
  do {                                                                                            \
    if (open) {                                                                                   \
      cur.hash = 0;                                                                               \
      g_array_append_val(out, cur);                                                               \
      open = FALSE;                                                                               \
    }                                                                                             \
  } while (0)
  for (guint u = 0; u < cps->len; u++) {
    const RefCp *r = &g_array_index(cps, RefCp, u);
    int next = u + 1 < cps->len ? g_array_index(cps, RefCp, u + 1).cls : R_SEP;
    switch (r->cls) {
    case R_WORD:
      if (mode == ND_TOKENS_CHARS)
        CLOSE();
      /* fall through */
    case R_MARK:
      if (open && kept + r->len > REF_MAX_TOKEN_BYTES)
        CLOSE(); /* a longer run is cut into pieces (text.h) */
      if (!open) {
        open = TRUE;
        cur.start = r->off;
        kept = 0;
      }
      cur.end = r->off + r->len;
      kept += r->len;
      break;
    case R_JOIN:
      if (!(open && next == R_WORD))
        CLOSE();
      break;
    default:
      CLOSE();
      break;
    }
  }
  CLOSE();
#undef CLOSE
  return out;
}

/* GLib's opinion on validity, where NUL bytes are allowed: first invalid offset or -1. */
static gssize
ref_find_invalid(const char *text, gsize len)
{
  gsize i = 0;
  while (i < len) {
    const char *nul = memchr(text + i, '\0', len - i);
    gsize piece = nul ? (gsize)(nul - (text + i)) : len - i;
    const gchar *end = NULL;
    if (!g_utf8_validate_len(text + i, piece, &end))
      return (gssize)(end - text);
    i += piece + (nul ? 1 : 0);
  }
  return -1;
}

static void
check_tokens(const GArray *tokens, guint base, gsize size, const char *what)
{
  for (guint t = base; t < tokens->len; t++) {
    const NdToken *tk = &g_array_index(tokens, NdToken, t);
    FUZZ_CHECK(tk->start < tk->end && tk->end <= size, "%s: token %u [%u, %u) of %zu bytes", what, t - base,
               tk->start, tk->end, size);
    if (t > base) {
      const NdToken *prev = &g_array_index(tokens, NdToken, t - 1);
      FUZZ_CHECK(prev->end <= tk->start, "%s: token %u [%u, %u) overlaps or precedes [%u, %u)", what, t - base,
                 tk->start, tk->end, prev->start, prev->end);
    }
  }
}

static gboolean
same_tokens(const NdToken *a, gsize na, const NdToken *b, gsize nb, gboolean hashes)
{
  if (na != nb)
    return FALSE;
  for (gsize i = 0; i < na; i++)
    if (a[i].start != b[i].start || a[i].end != b[i].end || (hashes && a[i].hash != b[i].hash))
      return FALSE;
  return TRUE;
}

static const NdToken sentinel[2] = { { 0x1234, 7, 9 }, { 0x5678, 1, 2 } };

/* Tokenises into an array that already holds two sentinel tokens; checks they survive and returns
 * the new tokens only. */
static GArray *
tokenize_appending(const char *text, gsize len, NdTokenMode mode, NdTextFlags flags, gboolean *ok, GError **error)
{
  GArray *arr = g_array_new(FALSE, FALSE, sizeof(NdToken));
  g_array_append_vals(arr, sentinel, 2);
  *ok = nd_tokenize(text, len, mode, flags, arr, error);
  FUZZ_CHECK(arr->len >= 2 && memcmp(arr->data, sentinel, sizeof sentinel) == 0,
             "nd_tokenize changed the tokens already in the array");
  check_tokens(arr, 2, len, flags & ND_TEXT_LOSSY ? "lossy" : "strict");
  g_array_remove_range(arr, 0, 2);
  return arr;
}

static void
check_normalized(const char *bytes, gsize len)
{
  g_autofree char *norm = nd_normalize_token(bytes, len);
  FUZZ_CHECK(norm != NULL, "nd_normalize_token returned NULL");
  FUZZ_CHECK(g_utf8_validate(norm, -1, NULL), "nd_normalize_token returned invalid UTF-8");
}

static void
run_mode(const char *text, gsize size, gssize bad, NdTokenMode mode)
{
  const char *mname = mode == ND_TOKENS_CHARS ? "chars" : "words";
  gboolean ok_lossy, ok_strict;
  g_autoptr(GError) err_lossy = NULL, err_strict = NULL;
  g_autoptr(GArray) lossy = tokenize_appending(text, size, mode, ND_TEXT_LOSSY, &ok_lossy, &err_lossy);
  FUZZ_CHECK(ok_lossy && err_lossy == NULL, "%s: lossy tokenising failed: %s", mname,
             err_lossy ? err_lossy->message : "(no error)");
  g_autoptr(GArray) strict = tokenize_appending(text, size, mode, ND_TEXT_DEFAULT, &ok_strict, &err_strict);
  const NdToken *L = (const NdToken *)lossy->data, *S = (const NdToken *)strict->data;

  if (bad < 0) {
    FUZZ_CHECK(ok_strict, "%s: strict tokenising of valid UTF-8 failed: %s", mname,
               err_strict ? err_strict->message : "(no error)");
    FUZZ_CHECK(same_tokens(L, lossy->len, S, strict->len, TRUE), "%s: lossy tokens differ from strict on valid text",
               mname);
  } else {
    FUZZ_CHECK(!ok_strict, "%s: strict tokenising accepted invalid UTF-8 at %zd", mname, bad);
    const int codes[] = { ND_ERROR_UTF8 };
    fuzz_check_error(err_strict, codes, 1, "strict nd_tokenize");
    g_autofree char *want = g_strdup_printf("invalid UTF-8 at byte offset %zd", bad);
    FUZZ_CHECK(strstr(err_strict->message, want) != NULL, "%s: message '%s' lacks '%s'", mname, err_strict->message,
               want);
    /* The tokens before the fault: the lossy run's tokens that start before it. */
    gsize before = 0;
    while (before < lossy->len && L[before].start < (gsize)bad)
      before++;
    FUZZ_CHECK(same_tokens(L, before, S, strict->len, TRUE),
               "%s: strict run kept %u tokens before the fault, lossy has %zu there", mname, strict->len, before);

    /* Lossy = strict on the text with every invalid byte (as the lossy reader meets them) made a space. */
    g_autofree char *fixed = g_memdup2(text, size);
    gsize pos = 0;
    for (;;) {
      gssize rel = nd_utf8_find_invalid(fixed + pos, size - pos);
      if (rel < 0)
        break;
      fixed[pos + (gsize)rel] = ' ';
      pos += (gsize)rel + 1;
    }
    FUZZ_CHECK(nd_utf8_find_invalid(fixed, size) < 0, "%s: repaired text still invalid", mname);
    gboolean ok_fixed;
    g_autoptr(GError) err_fixed = NULL;
    g_autoptr(GArray) repaired = tokenize_appending(fixed, size, mode, ND_TEXT_DEFAULT, &ok_fixed, &err_fixed);
    FUZZ_CHECK(ok_fixed, "%s: repaired text failed: %s", mname, err_fixed ? err_fixed->message : "");
    FUZZ_CHECK(same_tokens(L, lossy->len, (const NdToken *)repaired->data, repaired->len, TRUE),
               "%s: lossy tokens differ from strict tokens of the repaired text (%u vs %u)", mname, lossy->len,
               repaired->len);
  }

  /* The documented rule, independently: boundaries, then hashes through nd_normalize_token. */
  g_autoptr(GArray) ref = ref_tokenize(text, size, mode);
  if (ref->len != lossy->len) {
    for (guint t = 0; t < MAX(ref->len, lossy->len); t++)
      fprintf(stderr, "  %u: ref %s lib %s\n", t,
              t < ref->len ? g_strdup_printf("[%u,%u)", g_array_index(ref, NdToken, t).start,
                                             g_array_index(ref, NdToken, t).end) : "-",
              t < lossy->len ? g_strdup_printf("[%u,%u)", L[t].start, L[t].end) : "-");
  }
  FUZZ_CHECK(same_tokens((const NdToken *)ref->data, ref->len, L, lossy->len, FALSE),
             "%s: token boundaries differ from the reference tokenizer (%u vs %u tokens)", mname, ref->len, lossy->len);
  guint slow_checked = 0;
  for (guint t = 0; t < lossy->len; t++) {
    const char *tb = text + L[t].start;
    gsize tl = L[t].end - L[t].start;
    gboolean ascii = TRUE;
    for (gsize i = 0; i < tl && ascii; i++)
      ascii = (guint8)tb[i] < 0x80;
    if (ascii && tl <= 256) {
      /* ASCII: the normal form is the letters and digits lower-cased (apostrophes dropped). */
      char low[256];
      gsize n = 0;
      for (gsize i = 0; i < tl; i++)
        if (tb[i] != '\'')
          low[n++] = g_ascii_tolower(tb[i]);
      FUZZ_CHECK(ref_token_hash(low, n) == L[t].hash, "%s: ASCII token %u [%u, %u) hash is not that of its lower case",
                 mname, t, L[t].start, L[t].end);
      if (t % 16 != 0)
        continue; /* and check nd_normalize_token agrees on some of them */
    } else if (++slow_checked > 24) {
      continue; /* normalising costs several allocations: check the first ones of each input */
    }
    g_autofree char *norm = nd_normalize_token(tb, tl);
    FUZZ_CHECK(norm != NULL && g_utf8_validate(norm, -1, NULL), "%s: token %u normalises to invalid UTF-8", mname, t);
    guint64 h = ref_token_hash(norm, strlen(norm));
    FUZZ_CHECK(h == L[t].hash && h == nd_token_hash(norm, strlen(norm)), "%s: token %u [%u, %u) hash %016"
               G_GINT64_MODIFIER "x, hash of nd_normalize_token = "
               "%016" G_GINT64_MODIFIER "x ('%s')", mname, t, L[t].start, L[t].end, L[t].hash, h, norm);
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *text = (const char *)data;
  gssize bad = nd_utf8_find_invalid(text, size);
  gssize want = ref_find_invalid(text, size);
  FUZZ_CHECK(bad == want, "nd_utf8_find_invalid = %zd, GLib's validator says %zd", bad, want);
  FUZZ_CHECK(bad >= -1 && bad < (gssize)size + (size == 0), "offset %zd out of range", bad);

  run_mode(text, size, bad, ND_TOKENS_WORDS);
  run_mode(text, size, bad, ND_TOKENS_CHARS);
  check_normalized(text, size);
  return 0;
}
