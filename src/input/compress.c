/* compress.c — gzip and zstd decoding for the input streams (stream.c), recognised by their magic
 * numbers, never by file names.
 *
 * Design: a decoder turns compressed bytes into plain ones one step at a time and stops at the end
 * of every gzip member or zstd frame, so the stream can note where each member starts in the file:
 * a .warc.gz holds one member per record, and a record's offset is its member's. zlib reads gzip
 * (the format's reference implementation, in every Debian system); libzstd reads zstd.
 */
#include "source.h"
#include <zlib.h>
#include <zstd.h>
#include <string.h>

struct NdDecoder {
  NdCompression kind;
  z_stream z;
  ZSTD_DStream *zs;
  gboolean in_member; /* inside a member/frame: its end not seen yet */
};

NdCompression
nd_compression_sniff(const guint8 *head, gsize len)
{
  if (len >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8)
    return ND_COMPRESSION_GZIP;
  if (len >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
    return ND_COMPRESSION_ZSTD;
  return ND_COMPRESSION_NONE;
}

NdDecoder *
nd_decoder_new(NdCompression kind)
{
  NdDecoder *d = g_new0(NdDecoder, 1);
  d->kind = kind;
  if (kind == ND_COMPRESSION_GZIP) {
    if (inflateInit2(&d->z, 15 + 16) != Z_OK) /* 15 + 16: a gzip header and trailer, 32 KiB window */
      g_error("inflateInit2 failed: out of memory");
  } else if (kind == ND_COMPRESSION_ZSTD) {
    d->zs = ZSTD_createDStream();
    if (d->zs == NULL)
      g_error("ZSTD_createDStream failed: out of memory");
    /* Refuse frames that ask for windows over 128 MiB: a hostile header must not cost gigabytes. */
    ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax, 27);
  }
  return d;
}

void
nd_decoder_free(NdDecoder *d)
{
  if (d == NULL)
    return;
  if (d->kind == ND_COMPRESSION_GZIP)
    inflateEnd(&d->z);
  if (d->zs != NULL)
    ZSTD_freeDStream(d->zs);
  g_free(d);
}

void
nd_decoder_reset(NdDecoder *d)
{
  if (d->kind == ND_COMPRESSION_GZIP)
    inflateReset(&d->z);
  else if (d->kind == ND_COMPRESSION_ZSTD)
    ZSTD_DCtx_reset(d->zs, ZSTD_reset_session_only);
  d->in_member = FALSE;
}

gboolean
nd_decoder_at_boundary(const NdDecoder *d)
{
  return !d->in_member;
}

gboolean
nd_decoder_step(NdDecoder *d, const guint8 *in, gsize in_len, gsize *used, guint8 *out, gsize out_cap,
                gsize *produced, gboolean *member_end, GError **error)
{
  *used = *produced = 0;
  *member_end = FALSE;
  if (in_len > 0)
    d->in_member = TRUE;
  if (d->kind == ND_COMPRESSION_GZIP) {
    /* zlib counts in uInt: feed at most 1 GiB at a time */
    d->z.next_in = (Bytef *)in;
    d->z.avail_in = (uInt)MIN(in_len, (gsize)1 << 30);
    d->z.next_out = out;
    d->z.avail_out = (uInt)MIN(out_cap, (gsize)1 << 30);
    uInt in_before = d->z.avail_in, out_before = d->z.avail_out;
    int rc = inflate(&d->z, Z_NO_FLUSH);
    *used = in_before - d->z.avail_in;
    *produced = out_before - d->z.avail_out;
    if (rc == Z_STREAM_END) {
      *member_end = TRUE;
      d->in_member = FALSE;
      inflateReset(&d->z);
      return TRUE;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR)
      return TRUE;
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "corrupt gzip data (%s)",
                d->z.msg ? d->z.msg : rc == Z_MEM_ERROR ? "out of memory" : "invalid data");
    return FALSE;
  }
  ZSTD_inBuffer ib = { in, in_len, 0 };
  ZSTD_outBuffer ob = { out, out_cap, 0 };
  size_t rc = ZSTD_decompressStream(d->zs, &ob, &ib);
  *used = ib.pos;
  *produced = ob.pos;
  if (ZSTD_isError(rc)) {
    g_set_error(error, ND_ERROR, ND_ERROR_IO, "corrupt zstd data (%s)", ZSTD_getErrorName(rc));
    return FALSE;
  }
  if (rc == 0) { /* a frame is complete and flushed */
    *member_end = TRUE;
    d->in_member = FALSE;
  }
  return TRUE;
}

gboolean
nd_inflate_body(const guint8 *in, gsize len, gboolean gzip, gsize max, GByteArray *out, gboolean *truncated,
                GError **error)
{
  *truncated = FALSE;
  g_byte_array_set_size(out, 0);
  /* gzip: a gzip or zlib header (32 + 15); deflate: a zlib stream, or raw deflate (-15) as some servers send */
  int tries[2] = { gzip ? 15 + 32 : 15, gzip ? 0 : -15 };
  for (int t = 0; t < 2 && tries[t] != 0; t++) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, tries[t]) != Z_OK)
      g_error("inflateInit2 failed: out of memory");
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)MIN(len, (gsize)G_MAXUINT32);
    g_byte_array_set_size(out, 0);
    int rc = Z_OK;
    while (rc == Z_OK) {
      gsize old = out->len, room = MIN((gsize)64 << 10, max + 1 - old);
      if (room == 0)
        break;
      g_byte_array_set_size(out, (guint)(old + room));
      z.next_out = out->data + old;
      z.avail_out = (uInt)room;
      rc = inflate(&z, Z_NO_FLUSH);
      g_byte_array_set_size(out, (guint)(old + room - z.avail_out));
      if (rc == Z_BUF_ERROR && z.avail_in == 0) {
        *truncated = TRUE; /* the body ends inside the compressed stream */
        rc = Z_STREAM_END;
      }
    }
    const char *msg = z.msg;
    inflateEnd(&z);
    if (out->len > max) {
      g_set_error(error, ND_ERROR, ND_ERROR_TOO_LARGE, "the body decompresses to more than the maximum of %"
                  G_GSIZE_FORMAT " bytes", max);
      return FALSE;
    }
    if (rc == Z_STREAM_END)
      return TRUE;
    if (t == 1 || tries[1] == 0) {
      g_set_error(error, ND_ERROR, ND_ERROR_FORMAT, "corrupt %s body (%s)", gzip ? "gzip" : "deflate",
                  msg ? msg : "invalid data");
      return FALSE;
    }
  }
  return FALSE;
}
