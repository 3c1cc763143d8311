/* error.h — the one error domain of libneardup.
 *
 * Every fallible call reports a GError in ND_ERROR with one of the codes below. The message names
 * the input (file path or JSON Lines id/line) and what is wrong with it; nd_error_describe() gives
 * the generic text of a code, in one place, for tools that want it.
 *
 * Stable: the codes are numbered explicitly; a number is never reused or removed, and new codes are
 * added at the end (as curl's CURLcode). Messages are for people and may change between versions;
 * programs should test the code, never the message. Messages name the input and the library's own
 * terms (a limit by its value), never a command-line option: a tool adds its own hints (the neardup
 * tool appends "(see --max-bytes)" to ND_ERROR_TOO_LARGE, for instance).
 */
#ifndef NEARDUP_ERROR_H
#define NEARDUP_ERROR_H

#include <neardup/api.h>
#include <glib.h>

ND_BEGIN_DECLS

#define ND_ERROR (nd_error_quark())
GQuark nd_error_quark(void);

typedef enum {
  ND_ERROR_IO = 1,          /* a file or directory could not be opened or read */
  ND_ERROR_EMPTY = 2,       /* the article has no text (empty file, or only whitespace) */
  ND_ERROR_NO_TOKENS = 3,   /* the article has text but no word or character to compare */
  ND_ERROR_BINARY = 4,      /* the input contains NUL bytes: not a text file */
  ND_ERROR_UTF8 = 5,        /* invalid UTF-8 (the message gives the byte offset) */
  ND_ERROR_TOO_LARGE = 6,   /* the article (or a line, record, page or body) is larger than a maximum */
  ND_ERROR_JSON = 7,        /* a JSON Lines record is malformed or lacks the id/text field */
  ND_ERROR_DUPLICATE_ID = 8, /* two articles carry the same id */
  ND_ERROR_INVALID_ARG = 9, /* a parameter is out of range */
  ND_ERROR_NOT_FOUND = 10,  /* a path, or an archived article, does not exist */
  ND_ERROR_INDEX = 11,      /* the index is not a neardup index, is corrupt, newer, or a write failed */
  ND_ERROR_INDEX_BUSY = 12, /* another process is writing the index */
  ND_ERROR_CANCELLED = 13,  /* the caller's cancel flag was raised (e.g. by SIGINT) */
  ND_ERROR_FORMAT = 14,     /* a WARC record or its HTTP message is malformed or truncated */
  ND_ERROR_DATE = 15,       /* a date that is not one of the forms date.h reads */
  ND_ERROR_TOO_MANY_TOKENS = 16, /* the article has more tokens than the configured maximum (max_tokens) */
} NdErrorCode;

/* Generic English text for `code`; a static string, never NULL (unknown codes give "unknown error"). */
const char *nd_error_describe(NdErrorCode code);

ND_END_DECLS

#endif
