/* fuzz_dist.c — the MPI wire form of signed documents (src/mpi/dist.c: nd_dist_decode_document and
 * nd_dist_encode_document), what rank 0 decodes from the other ranks' messages. Runs without MPI
 * started (the codec does not use it); built only with NEARDUP_MPI.
 *
 * Input: byte 0 chooses the signing parameters (fuzz_dist_params.h); the rest is a message: records
 * decoded one after another from its start, until one is refused or the bytes end.
 *
 * Invariants, for every record:
 *   - decoding gives a document, its item number and name, and advances the position by exactly the
 *     record's length (its first 8 bytes); or it fails with ND_ERROR_FORMAT and a message, leaving
 *     the position and the name alone;
 *   - a decoded document holds together: a kept text has a NUL after its `bytes` bytes, strings have
 *     no NUL inside, the flag is 0 or 1;
 *   - re-encoding it gives the record's bytes, except for what the wire form cannot tell apart: an
 *     array of length 0 comes back as no array (NULL: its length word 0 becomes NO_BLOB), and the
 *     offset map's spans come back as nd_offset_map_add keeps them (spans of no text dropped, a span
 *     continuing the one before byte for byte in both merged into it: offsets.h);
 *   - that re-encoding is a fixed point: it decodes, and encodes again to the same bytes;
 *   - a record cut anywhere inside is refused (the length word is checked against the bytes).
 */
#include "fuzz_common.h"
#include "fuzz_dist_params.h"
#include <neardup/dist.h>

#define NO_BLOB G_MAXUINT64

static guint64
u64_at(const guint8 *p)
{
  guint64 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static void
check_document(const NdDocument *doc, const char *name)
{
  FUZZ_CHECK(doc->id != NULL && name != NULL, "a document without an id or a name");
  FUZZ_CHECK(doc->text == NULL || doc->text[doc->bytes] == '\0', "the text is not NUL-terminated at %" G_GUINT64_FORMAT,
             doc->bytes);
  FUZZ_CHECK(doc->dated_dateline == TRUE || doc->dated_dateline == FALSE, "dated_dateline %d", doc->dated_dateline);
}

/* The spans of x's offset map section at `at` (a count, or NO_BLOB, then the spans) as nd_offset_map_add
 * documents that it keeps them, written as the encoder writes them; the section's end in *end. */
static GByteArray *
canonical_spans(const guint8 *x, gsize len, gsize at, gsize *end)
{
  GByteArray *out = g_byte_array_new();
  guint64 n = u64_at(x + at);
  *end = at + 8;
  if (n == NO_BLOB) {
    g_byte_array_append(out, x + at, 8);
    return out;
  }
  FUZZ_CHECK(n <= (len - at - 8) / 16, "%" G_GUINT64_FORMAT " spans in %" G_GSIZE_FORMAT " bytes", n, len - at - 8);
  GArray *kept = g_array_new(FALSE, FALSE, 4 * sizeof(guint32));
  for (guint64 i = 0; i < n; i++) {
    guint32 s[4];
    memcpy(s, x + at + 8 + 16 * i, sizeof s);
    if (s[1] == 0)
      continue; /* no text */
    guint32 *last = kept->len ? &g_array_index(kept, guint32, 4 * (kept->len - 1)) : NULL;
    if (last != NULL && last[1] == last[3] && s[1] == s[3] && (guint64)last[0] + last[1] == s[0] &&
        (guint64)last[2] + last[3] == s[2]) {
      last[1] += s[1];
      last[3] += s[3];
    } else {
      g_array_append_vals(kept, s, 1);
    }
  }
  *end = at + 8 + 16 * (gsize)n;
  guint64 count = kept->len;
  g_byte_array_append(out, (const guint8 *)&count, sizeof count);
  g_byte_array_append(out, (const guint8 *)kept->data, kept->len * 4 * (guint)sizeof(guint32));
  g_array_unref(kept);
  return out;
}

/* Checks that `y`, the re-encoding of record x[0..len), is x as documented above. */
static void
check_reencoding(const guint8 *x, gsize len, const GByteArray *y, const NdDocument *doc)
{
  guint spans = doc->map != NULL ? nd_offset_map_spans(doc->map) : 0;
  gsize head = y->len - 8 - 16 * (gsize)spans; /* where the map's section starts, in x as in y */
  FUZZ_CHECK(y->len >= 8 + 16 * (gsize)spans && head + 8 <= len && head >= 8, "re-encoded to %u bytes from %" G_GSIZE_FORMAT,
             y->len, len);
  FUZZ_CHECK(u64_at(y->data) == y->len, "a record of %u bytes says %" G_GUINT64_FORMAT, y->len, u64_at(y->data));
  for (gsize i = 8; i < head;) {
    if (x[i] == y->data[i]) {
      i++;
      continue;
    }
    FUZZ_CHECK(i + 8 <= head && u64_at(x + i) == 0 && u64_at(y->data + i) == NO_BLOB,
               "re-encoded record differs at byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, i, len);
    i += 8; /* an empty array sent back as none */
  }
  gsize end;
  g_autoptr(GByteArray) map = canonical_spans(x, len, head, &end);
  FUZZ_CHECK(end == len, "the map section ends at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, end, len);
  FUZZ_CHECK(map->len == y->len - head && memcmp(map->data, y->data + head, map->len) == 0,
             "the offset map came back other than nd_offset_map_add keeps it");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1 || size > (1 << 20))
    return 0;
  NdSignParams p;
  fuzz_dist_params(data[0], &p);
  const guint8 *bytes = data + 1;
  gsize len = size - 1, pos = 0;
  static const int format_only[] = { ND_ERROR_FORMAT };
  while (pos < len) {
    guint64 item = 0;
    char *name = (char *)"untouched";
    GError *error = NULL;
    gsize at = pos;
    NdDocument *doc = nd_dist_decode_document(&p, bytes, len, &pos, &item, &name, &error);
    if (doc == NULL) {
      fuzz_check_error(error, format_only, G_N_ELEMENTS(format_only), "nd_dist_decode_document");
      FUZZ_CHECK(pos == at && strcmp(name, "untouched") == 0, "a refused record moved the position or set a name");
      g_error_free(error);
      break;
    }
    FUZZ_CHECK(error == NULL, "a document and an error");
    FUZZ_CHECK(at + 8 <= len && pos - at == u64_at(bytes + at), "a record of %" G_GUINT64_FORMAT " bytes read as %"
               G_GSIZE_FORMAT, u64_at(bytes + at), pos - at);
    check_document(doc, name);

    g_autoptr(GByteArray) y = g_byte_array_new();
    nd_dist_encode_document(y, &p, item, name, doc);
    check_reencoding(bytes + at, pos - at, y, doc);

    /* the re-encoding is a fixed point, and refused when cut */
    gsize ypos = 0;
    guint64 item2 = 0;
    char *name2 = NULL;
    NdDocument *again = nd_dist_decode_document(&p, y->data, y->len, &ypos, &item2, &name2, &error);
    FUZZ_CHECK(again != NULL && ypos == y->len, "the re-encoded record does not decode: %s",
               error ? error->message : "");
    FUZZ_CHECK(item2 == item && strcmp(name2, name) == 0, "item or name changed");
    g_autoptr(GByteArray) z = g_byte_array_new();
    nd_dist_encode_document(z, &p, item2, name2, again);
    FUZZ_CHECK(z->len == y->len && memcmp(z->data, y->data, y->len) == 0, "encoding is not a fixed point");
    for (gsize cut = 0; cut < y->len; cut += 1 + cut / 4) {
      gsize cpos = 0;
      char *cname = NULL;
      NdDocument *part = nd_dist_decode_document(&p, y->data, cut, &cpos, &item2, &cname, &error);
      FUZZ_CHECK(part == NULL && cpos == 0 && cname == NULL, "a record cut at %" G_GSIZE_FORMAT " of %u decoded", cut,
                 y->len);
      fuzz_check_error(error, format_only, G_N_ELEMENTS(format_only), "decoding a cut record");
      g_clear_error(&error);
    }
    nd_document_free(again);
    g_free(name2);
    nd_document_free(doc);
    g_free(name);
  }
  return 0;
}
