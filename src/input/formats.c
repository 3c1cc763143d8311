/* formats.c — the input formats, in the order content recognition tries them, and the rules that
 * recognise an input by its first bytes rather than its name.
 *
 * A new format is a new file under src/input/ defining an NdFormat (source.h), and one line here.
 */
#include "source.h"
#include <string.h>

/* Containers: their own items, one per record. Tried in this order. */
static const NdFormat *const containers[] = { &nd_format_warc, &nd_format_jsonl };

const NdFormat *
nd_format_container_for(const guint8 *head, gsize len, gboolean complete)
{
  for (gsize i = 0; i < G_N_ELEMENTS(containers); i++)
    if (containers[i]->sniff(head, len, complete))
      return containers[i];
  return NULL;
}

/* TRUE when the media type in `content_type` (parameters ignored, any case) is `type`. */
static gboolean
media_type_is(const char *content_type, const char *type)
{
  while (*content_type == ' ' || *content_type == '\t')
    content_type++;
  gsize n = strlen(type);
  if (g_ascii_strncasecmp(content_type, type, n) != 0)
    return FALSE;
  char c = content_type[n];
  return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

const NdFormat *
nd_format_document_for(const guint8 *bytes, gsize len, const char *content_type)
{
  if (content_type != NULL &&
      (media_type_is(content_type, "text/html") || media_type_is(content_type, "application/xhtml+xml")))
    return &nd_format_html;
  if (nd_format_html.sniff(bytes, MIN(len, (gsize)4096), len <= 4096))
    return &nd_format_html;
  return &nd_format_text;
}

gboolean
nd_parse_document(NdWorkerCtx *ctx, const NdDocInput *in, NdArticle *out, GError **error)
{
  const NdFormat *f = nd_format_document_for(in->bytes, in->len, in->content_type);
  return f->parse(ctx, in, out, error);
}
