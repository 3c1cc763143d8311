/* fuzz_html.c — the web page reader (html.h: nd_html_extract; src/input/html.c, charset.c).
 *
 * Input: byte 0 picks the HTTP Content-Type given with the page (none, or text/html with charset
 * windows-1252, shift_jis, utf-16le, koi8-r or an unknown one), the rest is the page.
 *
 * Invariants:
 *   - the page is extracted, or refused with ND_ERROR_BINARY, ND_ERROR_TOO_LARGE or ND_ERROR_EMPTY
 *     and a message;
 *   - the text is valid UTF-8 without NUL bytes, its length is `len`; body_start <= len; the
 *     metadata fields are valid UTF-8 without NUL;
 *   - the offset map leads every word of the text into the page: [start, end) inside the input;
 *     the body's words in increasing order, each with start < end;
 *   - when no conversion can happen (no Content-Type, no "charset" in the page, no byte order mark,
 *     valid UTF-8), each body word whose page bytes hold no character reference ('&') is exactly
 *     those bytes, less the characters HTML does not allow in text (C0 controls, DEL, U+FFFE,
 *     U+FFFF), which libxml2 drops: the offsets are right, not only in range;
 *   - extracting twice gives the same text and metadata (no state leaks between pages).
 */
#include "fuzz_common.h"

static const char *const content_types[] = { NULL, "text/html; charset=windows-1252", "text/html; charset=shift_jis",
                                             "text/html; charset=utf-16le", "text/html;charset=KOI8-R",
                                             "text/html; charset=x-no-such-charset" };

/* The page bytes p[0..n) without the characters libxml2 drops from text. */
static GString *
without_dropped(const guint8 *p, gsize n)
{
  GString *o = g_string_sized_new(n);
  for (gsize i = 0; i < n; i++) {
    if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') || p[i] == 0x7f)
      continue;
    if (i + 2 < n && p[i] == 0xef && p[i + 1] == 0xbf && (p[i + 2] == 0xbe || p[i + 2] == 0xbf)) {
      i += 2;
      continue;
    }
    g_string_append_c(o, (char)p[i]);
  }
  return o;
}

static void
check_str(const char *s, const char *what)
{
  if (s == NULL)
    return;
  FUZZ_CHECK(g_utf8_validate(s, -1, NULL), "%s is not UTF-8", what);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  const char *ct = content_types[data[0] % G_N_ELEMENTS(content_types)];
  const guint8 *page = data + 1;
  gsize len = size - 1;
  GError *warning = NULL, *error = NULL;
  NdPage *p = nd_html_extract(page, len, ct, &warning, &error);
  if (warning != NULL) {
    FUZZ_CHECK(warning->domain == ND_ERROR && warning->message[0] != '\0', "bad warning");
    g_clear_error(&warning);
  }
  if (p == NULL) {
    const int codes[] = { ND_ERROR_BINARY, ND_ERROR_TOO_LARGE, ND_ERROR_EMPTY };
    fuzz_check_error(error, codes, G_N_ELEMENTS(codes), "nd_html_extract");
    g_clear_error(&error);
    return 0;
  }
  FUZZ_CHECK(p->text != NULL && strlen(p->text) == p->len, "text length %zu, strlen %zu", p->len, strlen(p->text));
  FUZZ_CHECK(g_utf8_validate(p->text, (gssize)p->len, NULL), "text is not UTF-8");
  FUZZ_CHECK(p->body_start <= p->len, "body_start %zu past the text (%zu)", p->body_start, p->len);
  check_str(p->title, "title");
  check_str(p->url, "url");
  check_str(p->date, "date");
  check_str(p->site, "site");
  check_str(p->author, "author");

  gboolean plain = ct == NULL && nd_utf8_find_invalid((const char *)page, len) < 0 &&
                   g_strstr_len((const char *)page, (gssize)len, "harset") == NULL &&
                   g_strstr_len((const char *)page, (gssize)len, "HARSET") == NULL &&
                   !(len >= 2 && ((page[0] == 0xff && page[1] == 0xfe) || (page[0] == 0xfe && page[1] == 0xff))) &&
                   !(len >= 3 && page[0] == 0xef && page[1] == 0xbb && page[2] == 0xbf);
  g_autoptr(GArray) tokens = g_array_new(FALSE, FALSE, sizeof(NdToken));
  nd_tokenize(p->text, p->len, ND_TOKENS_WORDS, ND_TEXT_DEFAULT, tokens, NULL);
  guint64 last = 0;
  for (guint i = 0; i < tokens->len; i++) {
    const NdToken *t = &g_array_index(tokens, NdToken, i);
    guint64 s = nd_offset_map_start(p->map, t->start), e = nd_offset_map_end(p->map, t->end);
    FUZZ_CHECK(s <= e && e <= len, "word %u maps to [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ") of %zu bytes", i,
               s, e, len);
    if (t->start < p->body_start)
      continue;
    FUZZ_CHECK(s < e, "body word %u maps to an empty range at %" G_GUINT64_FORMAT, i, s);
    FUZZ_CHECK(s >= last, "body word %u maps to %" G_GUINT64_FORMAT ", before the word before it (%" G_GUINT64_FORMAT
               ")", i, s, last);
    last = e;
    if (plain && memchr(page + s, '&', e - s) == NULL) {
      GString *src = without_dropped(page + s, e - s);
      FUZZ_CHECK(src->len == t->end - t->start && memcmp(src->str, p->text + t->start, src->len) == 0,
                 "body word %u '%.*s' maps to '%.*s'", i, (int)(t->end - t->start), p->text + t->start, (int)(e - s),
                 page + s);
      g_string_free(src, TRUE);
    }
  }

  NdPage *again = nd_html_extract(page, len, ct, NULL, NULL);
  FUZZ_CHECK(again != NULL && again->len == p->len && memcmp(again->text, p->text, p->len) == 0 &&
             g_strcmp0(again->title, p->title) == 0 && g_strcmp0(again->date, p->date) == 0,
             "a second extraction differs");
  nd_page_free(again);
  nd_page_free(p);
  return 0;
}
