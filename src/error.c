/* error.c — the ND_ERROR domain and the one table that turns error codes into text. */
#include <neardup/neardup.h>

G_DEFINE_QUARK(neardup-error-quark, nd_error)

const char *
nd_error_describe(NdErrorCode code)
{
  switch (code) {
  case ND_ERROR_IO: return "cannot read input";
  case ND_ERROR_EMPTY: return "empty article";
  case ND_ERROR_NO_TOKENS: return "no words to compare";
  case ND_ERROR_BINARY: return "binary data (NUL bytes)";
  case ND_ERROR_UTF8: return "invalid UTF-8";
  case ND_ERROR_TOO_LARGE: return "article too large";
  case ND_ERROR_JSON: return "malformed JSON line";
  case ND_ERROR_DUPLICATE_ID: return "duplicate article id";
  case ND_ERROR_INVALID_ARG: return "invalid argument";
  case ND_ERROR_NOT_FOUND: return "no such file or directory";
  case ND_ERROR_INDEX: return "index error";
  case ND_ERROR_INDEX_BUSY: return "index is being written by another process";
  case ND_ERROR_CANCELLED: return "cancelled";
  case ND_ERROR_FORMAT: return "malformed WARC record or HTTP message";
  case ND_ERROR_DATE: return "unreadable date";
  case ND_ERROR_TOO_MANY_TOKENS: return "article has too many tokens";
  }
  return "unknown error";
}

const char *
nd_version(void)
{
  return NEARDUP_VERSION_STRING;
}
