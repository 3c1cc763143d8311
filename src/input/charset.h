/* charset.h — private: any charset to UTF-8, with a map back to the bytes (charset.c). */
#ifndef NEARDUP_INPUT_CHARSET_H
#define NEARDUP_INPUT_CHARSET_H

#include <neardup/neardup.h>

/* Decodes bytes[0..len) to UTF-8. The charset: a byte order mark, else the charset parameter of
 * `content_type` (an HTTP header; may be NULL), else (with `html`) a <meta> declaration in the first
 * 4 KiB, else UTF-8, each checked against the bytes (see charset.c). Returns FALSE when the bytes
 * are valid UTF-8 as they stand (nothing is set: use them). Otherwise TRUE with *out_text (UTF-8,
 * NUL-terminated, caller frees), *out_len and *out_map (from out_text offsets to bytes offsets;
 * caller frees). *warning (may be NULL) is set when a declaration was wrong or unknown. */
gboolean nd_charset_decode(const guint8 *bytes, gsize len, const char *content_type, gboolean html, char **out_text,
                           gsize *out_len, NdOffsetMap **out_map, GError **warning);

#endif
