/* fuzz_article.c — reading one article file (input.h): nd_read_article, and the loader's file path
 * (nd_loader_add_path, nd_loader_add_files_from) on the same file.
 *
 * Input: byte 0 = flags (bit 0 lossy, bit 1 a small max_bytes of byte 1 + 1), then the file's bytes.
 *
 * Invariants:
 *   - nd_read_article gives the documented outcome, in the documented order: ND_ERROR_TOO_LARGE over
 *     max_bytes, ND_ERROR_EMPTY for 0 bytes, ND_ERROR_BINARY for a NUL (message with its offset),
 *     ND_ERROR_UTF8 unless lossy (message with nd_utf8_find_invalid's offset); otherwise exactly the
 *     file's bytes, NUL-terminated, and their length;
 *   - the loader on the same file gives the document nd_signer_sign gives for those bytes (same id,
 *     signature, set), or reports it once with the same error code signing (or reading) gives;
 *   - a list file naming it (with CRLF and blank lines, --files-from) gives the same as the path.
 */
#include "fuzz_common.h"

typedef struct {
  guint n;
  int code;
  char *name;
} Errors;

static void
on_error(const char *input, const GError *error, gpointer user_data)
{
  Errors *e = user_data;
  const int codes[] = { ND_ERROR_IO, ND_ERROR_NOT_FOUND, ND_ERROR_EMPTY, ND_ERROR_NO_TOKENS, ND_ERROR_BINARY,
                        ND_ERROR_UTF8, ND_ERROR_TOO_LARGE };
  fuzz_check_error(error, codes, G_N_ELEMENTS(codes), input);
  e->n++;
  e->code = error->code;
  g_free(e->name);
  e->name = g_strdup(input);
}

static NdCollection *
load(const NdSignParams *p, const char *path, const char *list, Errors *errs)
{
  NdCollection *c = nd_collection_new(p);
  g_autoptr(NdLoader) l = nd_loader_new(c, 1, FALSE);
  nd_loader_set_error_func(l, on_error, errs);
  if (list != NULL)
    nd_loader_add_files_from(l, list);
  else
    nd_loader_add_path(l, path);
  guint skipped = nd_loader_finish(l);
  FUZZ_CHECK(skipped == errs->n, "%u skipped, %u reported", skipped, errs->n);
  FUZZ_CHECK(nd_collection_size(c) + skipped == 1, "one file gave %u documents and %u errors", nd_collection_size(c),
             skipped);
  return c;
}

static void
check_loaded(const NdCollection *c, const Errors *errs, const char *path, const NdDocument *want, int want_code,
             guint num_perm)
{
  if (want == NULL) {
    FUZZ_CHECK(errs->n == 1 && errs->code == want_code && strcmp(errs->name, path) == 0,
               "loader reported code %d for %s, signing gives %d", errs->code, errs->name, want_code);
    return;
  }
  FUZZ_CHECK(nd_collection_size(c) == 1, "loader skipped a file that signs (code %d)", errs->code);
  const NdDocument *d = nd_collection_get(c, 0);
  FUZZ_CHECK(strcmp(d->id, path) == 0 && d->bytes == want->bytes && d->tokens == want->tokens &&
             d->set_size == want->set_size && memcmp(d->signature, want->signature, num_perm * sizeof(guint32)) == 0 &&
             memcmp(d->set, want->set, d->set_size * sizeof(guint32)) == 0 && d->meta == NULL,
             "loaded document differs from signing the bytes");
}

/* TRUE when the loader reads these bytes as plain text: not compressed, not a WARC or JSON Lines
 * file, not a web page (those are recognised by their content: see fuzz_html, fuzz_warc,
 * fuzz_compress, fuzz_jsonl). Conservative: anything that starts like markup or JSON is left out. */
static gboolean
plain_by_content(const guint8 *b, gsize n)
{
  if (n >= 2 && ((b[0] == 0x1f && b[1] == 0x8b) || (b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff)))
    return FALSE;
  if (n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0)
    return FALSE;
  if (n >= 5 && memcmp(b, "WARC/", 5) == 0)
    return FALSE;
  gsize i = n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
  while (i < n && g_ascii_isspace(b[i]))
    i++;
  return i == n || (b[i] != '<' && b[i] != '{');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  NdTextFlags flags = (data[0] & 1) ? ND_TEXT_LOSSY : ND_TEXT_DEFAULT;
  gsize max_bytes = (data[0] & 2) ? (gsize)data[1] + 1 : ND_DEFAULT_MAX_BYTES;
  const char *bytes = (const char *)data + 2;
  gsize len = size - 2;
  char *path = fuzz_write_temp(data + 2, len, ".txt");

  int want = 0;
  const char *nul = memchr(bytes, '\0', len);
  gssize bad = nd_utf8_find_invalid(bytes, len);
  if (len > max_bytes)
    want = ND_ERROR_TOO_LARGE;
  else if (len == 0)
    want = ND_ERROR_EMPTY;
  else if (nul != NULL)
    want = ND_ERROR_BINARY;
  else if (bad >= 0 && !(flags & ND_TEXT_LOSSY))
    want = ND_ERROR_UTF8;

  gsize got_len = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *got = nd_read_article(path, max_bytes, flags, &got_len, &error);
  if (got == NULL) {
    const int codes[] = { ND_ERROR_TOO_LARGE, ND_ERROR_EMPTY, ND_ERROR_BINARY, ND_ERROR_UTF8 };
    fuzz_check_error(error, codes, G_N_ELEMENTS(codes), "nd_read_article");
    FUZZ_CHECK(error->code == want, "nd_read_article: error %d (%s), documented outcome %d", error->code,
               error->message, want);
    g_autofree char *at = g_strdup_printf("offset %zd", want == ND_ERROR_BINARY ? (gssize)(nul - bytes) : bad);
    if (want == ND_ERROR_BINARY || want == ND_ERROR_UTF8)
      FUZZ_CHECK(strstr(error->message, at) != NULL, "message '%s' lacks '%s'", error->message, at);
  } else {
    FUZZ_CHECK(want == 0, "nd_read_article accepted a file whose documented outcome is error %d", want);
    FUZZ_CHECK(got_len == len && memcmp(got, bytes, len) == 0 && got[len] == '\0', "nd_read_article: wrong bytes");
  }

  NdSignParams p;
  nd_sign_params_init(&p);
  p.text_flags = flags;
  p.max_bytes = max_bytes;
  g_autoptr(NdSigner) signer = nd_signer_new(&p);
  g_autoptr(GError) sign_error = NULL;
  g_autoptr(NdDocument) doc = len > max_bytes ? NULL : nd_signer_sign(signer, path, bytes, len, &sign_error);
  int want_code = len > max_bytes ? ND_ERROR_TOO_LARGE : doc == NULL ? sign_error->code : 0;

  Errors e1 = { 0, 0, NULL }, e2 = { 0, 0, NULL };
  if (!plain_by_content((const guint8 *)bytes, len)) {
    /* read as another format: only the reading of the raw bytes (above) is this target's */
    g_free(e1.name);
    g_unlink(path);
    g_free(path);
    return 0;
  }
  g_autoptr(NdCollection) c1 = load(&p, path, NULL, &e1);
  check_loaded(c1, &e1, path, doc, want_code, p.num_perm);

  g_autofree char *list_text = g_strdup_printf("\n%s\r\n\n", path);
  char *list = fuzz_write_temp((const uint8_t *)list_text, strlen(list_text), ".list");
  g_autoptr(NdCollection) c2 = load(&p, path, list, &e2);
  check_loaded(c2, &e2, path, doc, want_code, p.num_perm);

  g_free(e1.name);
  g_free(e2.name);
  g_unlink(list);
  g_free(list);
  g_unlink(path);
  g_free(path);
  return 0;
}
