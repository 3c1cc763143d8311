/* text.c — the plain-text format: the article is the bytes as they are (UTF-8, checked when it is
 * signed), and its offsets are the file's. */
#include "source.h"

static gboolean
text_parse(NdWorkerCtx *ctx, const NdDocInput *in, NdArticle *out, GError **error)
{
  (void)ctx;
  (void)error;
  out->text = (const char *)in->bytes;
  out->len = in->len;
  return TRUE;
}

const NdFormat nd_format_text = {
  .name = "text",
  .parse = text_parse,
};
