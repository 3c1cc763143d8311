/* fuzz_compress.c — compressed inputs (src/input/compress.c and stream.c) through the loader: gzip
 * (one or several members) and zstd files are read as what they hold, by their content.
 *
 * Input: byte 0 picks the form of the file, the rest is the payload P:
 *   0: gzip of "x " + P (one member)          1: the same in three members (P cut in thirds)
 *   2: zstd of "x " + P                       3: the gzip magic followed by P (not a valid stream)
 *   bit 2: cut the file at byte (byte 1 of P, scaled), when the form is 0..2.
 * ("x " keeps the content plain text: the payload is compared as an article.)
 *
 * Invariants:
 *   - forms 0..2, whole: exactly one document, equal (bytes, tokens, signature) to signing "x " + P
 *     directly, or the same error signing gives; its path is the file;
 *   - a cut file: when the cut falls between two gzip members, the file is the members before it
 *     (read like form 0 of their text); otherwise no document, and an ND_ERROR_IO naming the
 *     truncation;
 *   - form 3: no crash or leak, at most one document, errors in ND_ERROR with a documented code.
 */
#include "fuzz_common.h"
#include <zlib.h>
#include <zstd.h>

typedef struct {
  guint n;
  int code;
  char *message;
} Errors;

static void
on_error(const char *input, const GError *error, gpointer data)
{
  Errors *e = data;
  const int codes[] = { ND_ERROR_IO, ND_ERROR_EMPTY, ND_ERROR_NO_TOKENS, ND_ERROR_BINARY, ND_ERROR_UTF8,
                        ND_ERROR_TOO_LARGE, ND_ERROR_JSON, ND_ERROR_FORMAT, ND_ERROR_DUPLICATE_ID };
  fuzz_check_error(error, codes, G_N_ELEMENTS(codes), input);
  if (e->n++ == 0) {
    e->code = error->code;
    e->message = g_strdup(error->message);
  }
}

static void
gzip_append(GByteArray *out, const guint8 *data, gsize len)
{
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  gsize cap = deflateBound(&z, (uLong)len) + 32, at = out->len;
  g_byte_array_set_size(out, (guint)(at + cap));
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)len;
  z.next_out = out->data + at;
  z.avail_out = (uInt)cap;
  deflate(&z, Z_FINISH);
  g_byte_array_set_size(out, (guint)(at + cap - z.avail_out));
  deflateEnd(&z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1 || size > (1 << 20))
    return 0;
  int form = data[0] & 3;
  gboolean cut = (data[0] & 4) && form != 3 && size > 1;
  g_autoptr(GByteArray) text = g_byte_array_new();
  g_byte_array_append(text, (const guint8 *)"x ", 2);
  g_byte_array_append(text, data + 1, (guint)(size - 1));
  g_autoptr(GByteArray) file = g_byte_array_new();
  gsize member_end[3] = { 0, 0, 0 }, text_end[3] = { 0, 0, 0 };
  if (form == 0) {
    gzip_append(file, text->data, text->len);
    member_end[0] = file->len;
    text_end[0] = text->len;
  } else if (form == 1) {
    gsize third = text->len / 3;
    gzip_append(file, text->data, third);
    member_end[0] = file->len;
    text_end[0] = third;
    gzip_append(file, text->data + third, third);
    member_end[1] = file->len;
    text_end[1] = 2 * third;
    gzip_append(file, text->data + 2 * third, text->len - 2 * third);
    member_end[2] = file->len;
    text_end[2] = text->len;
  } else if (form == 2) {
    gsize cap = ZSTD_compressBound(text->len);
    g_byte_array_set_size(file, (guint)cap);
    gsize n = ZSTD_compress(file->data, cap, text->data, text->len, 1);
    FUZZ_CHECK(!ZSTD_isError(n), "ZSTD_compress failed");
    g_byte_array_set_size(file, (guint)n);
  } else {
    g_byte_array_append(file, (const guint8 *)"\x1f\x8b\x08", 3);
    g_byte_array_append(file, data + 1, (guint)(size - 1));
  }
  gsize whole = file->len;
  if (cut)
    g_byte_array_set_size(file, (guint)(file->len * data[1] / 256));
  /* a cut between two gzip members leaves a whole file of the members before it */
  gsize read_len = text->len;
  gboolean at_boundary = FALSE;
  for (int k = 0; k < 3 && cut && form != 2; k++)
    if (member_end[k] != 0 && file->len == member_end[k]) {
      at_boundary = TRUE;
      read_len = text_end[k];
    }
  char *path = fuzz_write_temp(file->data, file->len, ".txt");

  NdSignParams p;
  nd_sign_params_init(&p);
  g_autoptr(NdSigner) signer = nd_signer_new(&p);
  g_autoptr(GError) sign_error = NULL;
  g_autoptr(NdDocument) want = nd_signer_sign(signer, path, (const char *)text->data, read_len, &sign_error);

  g_autoptr(NdCollection) c = nd_collection_new(&p);
  Errors e = { 0, 0, NULL };
  NdLoader *l = nd_loader_new(c, 1, FALSE);
  nd_loader_set_error_func(l, on_error, &e);
  nd_loader_add_path(l, path);
  nd_loader_finish(l);
  nd_loader_free(l);
  guint docs = nd_collection_size(c);
  FUZZ_CHECK(docs + e.n >= 1 && docs <= 1, "%u documents and %u errors for one file", docs, e.n);
  if (docs == 1 && form != 3 && (!cut || at_boundary)) {
    const NdDocument *d = nd_collection_get(c, 0);
    FUZZ_CHECK(want != NULL && d->bytes == want->bytes && d->tokens == want->tokens &&
               memcmp(d->signature, want->signature, p.num_perm * sizeof(guint32)) == 0,
               "the document read differs from signing the payload");
    FUZZ_CHECK(d->path != NULL && strcmp(d->path, path) == 0, "the document's path is not the file");
  }
  if (form != 3 && (!cut || at_boundary)) {
    FUZZ_CHECK(docs == (want != NULL), "whole file: %u documents, signing %s", docs, want ? "works" : "fails");
    if (want == NULL)
      FUZZ_CHECK(e.n == 1 && e.code == sign_error->code, "whole file: error %d (%s), signing gives %d",
                 e.code, e.message ? e.message : "", sign_error->code);
  }
  if (cut && !at_boundary && file->len < whole && file->len > 4 && form != 2)
    FUZZ_CHECK(docs == 0 && e.n == 1 && e.code == ND_ERROR_IO && strstr(e.message, "gzip") != NULL,
               "a gzip file cut at %u of %zu bytes: %u documents, error %s", file->len, whole, docs,
               e.message ? e.message : "none");
  g_free(e.message);
  g_unlink(path);
  g_free(path);
  return 0;
}
