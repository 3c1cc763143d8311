/* article_check.h — private: the checks an article's bytes pass before tokenising, in one place so
 * that a file read for `diff` (nd_read_article) and an article signed for `scan` (nd_signer_sign)
 * are refused with the same errors. */
#ifndef NEARDUP_ARTICLE_CHECK_H
#define NEARDUP_ARTICLE_CHECK_H

#include <neardup/error.h>
#include <string.h>

/* FALSE with ND_ERROR_EMPTY for 0 bytes, or ND_ERROR_BINARY (with the offset) for a NUL byte. */
static inline gboolean
nd_article_bytes_ok(const char *text, gsize len, GError **error)
{
  if (len == 0) {
    g_set_error_literal(error, ND_ERROR, ND_ERROR_EMPTY, "empty article (0 bytes)");
    return FALSE;
  }
  const char *nul = memchr(text, '\0', len);
  if (nul != NULL) {
    g_set_error(error, ND_ERROR, ND_ERROR_BINARY, "binary data: NUL byte at offset %" G_GSIZE_FORMAT,
                (gsize)(nul - text));
    return FALSE;
  }
  return TRUE;
}

#endif
