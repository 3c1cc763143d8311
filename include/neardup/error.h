/* error.h — the one error domain of libneardup.
 *
 * Every fallible call reports a GError in ND_ERROR with one of the codes below. The message names
 * the input (file path or JSON Lines id/line) and what is wrong with it; nd_error_describe() gives
 * the generic text of a code, in one place, for tools that want it.
 */
#ifndef NEARDUP_ERROR_H
#define NEARDUP_ERROR_H

#include <glib.h>

G_BEGIN_DECLS

#define ND_ERROR (nd_error_quark())
GQuark nd_error_quark(void);

typedef enum {
  ND_ERROR_IO = 1,       /* a file or directory could not be opened or read */
  ND_ERROR_EMPTY,        /* the article has no text (empty file, or only whitespace) */
  ND_ERROR_NO_TOKENS,    /* the article has text but no word or character to compare */
  ND_ERROR_BINARY,       /* the input contains NUL bytes: not a text file */
  ND_ERROR_UTF8,         /* invalid UTF-8 (the message gives the byte offset) */
  ND_ERROR_TOO_LARGE,    /* the article is larger than the configured maximum */
  ND_ERROR_JSON,         /* a JSON Lines record is malformed or lacks the id/text field */
  ND_ERROR_DUPLICATE_ID, /* two articles carry the same id */
  ND_ERROR_INVALID_ARG,  /* a parameter is out of range */
  ND_ERROR_NOT_FOUND,    /* a path, or an archived article, does not exist */
  ND_ERROR_INDEX,        /* the index is not a neardup index, is corrupt, newer, or a write failed */
  ND_ERROR_INDEX_BUSY,   /* another process is writing the index */
  ND_ERROR_CANCELLED,    /* the caller's cancel flag was raised (e.g. by SIGINT) */
  ND_ERROR_DATE          /* a date that is not one of the forms date.h reads */
} NdErrorCode;

/* Generic English text for `code`; a static string, never NULL (unknown codes give "unknown error"). */
const char *nd_error_describe(NdErrorCode code);

G_END_DECLS

#endif
