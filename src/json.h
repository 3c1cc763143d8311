/* json.h — private: strict JSON for the JSON that neardup reads from untrusted places (JSON Lines
 * records, metadata read back from an archive) and writes back out.
 *
 * json-glib builds the trees and writes them, but its reader is a lenient scanner that changes or
 * drops data that is not JSON, and its writer emits a few forms that are not JSON. So every text
 * goes through nd_json_check (the RFC 8259 grammar, in one pass with an explicit stack) before
 * json-glib reads it, and every text json-glib writes goes through nd_json_mend_written.
 */
#ifndef NEARDUP_JSON_H
#define NEARDUP_JSON_H

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct {
  guint64 members;         /* members of all objects, for the repeated-name check */
  gssize nul_at;           /* byte offset of the first \u0000 escape, or -1 */
  gboolean nul_member_set; /* the \u0000 lies in a member of the top-level object: */
  gsize nul_member_start, nul_member_len; /* its name as written, between its quotes */
} NdJsonScan;

/* Checks that s[0..len) is one JSON value (a UTF-8 byte order mark before it and raw control
 * characters inside strings are tolerated: they read back unchanged), nested at most
 * ND_JSON_MAX_DEPTH levels, with no string longer than max_string bytes (ND_ERROR_TOO_LARGE) and no
 * NUL byte (ND_ERROR_BINARY). FALSE with ND_ERROR_JSON naming what is wrong and its byte offset. */
gboolean nd_json_check(const char *s, gsize len, gsize max_string, NdJsonScan *scan, GError **error);

/* One member of a top-level object as written: its name between its quotes (s[name_start ..
 * name_start + name_len)), its value s[value_start .. value_end). */
typedef struct {
  gsize name_start, name_len, value_start, value_end;
} NdJsonMember;

/* nd_json_check, which also puts the members of the top-level object, when it is one, into
 * `members` (a GArray of NdJsonMember, emptied first; may be NULL). */
gboolean nd_json_check_members(const char *s, gsize len, gsize max_string, NdJsonScan *scan, GArray *members,
                               GError **error);

/* Appends to `out` the UTF-8 text of the string written s[0..len) (between its quotes, escapes and
 * all), which nd_json_check has accepted (its escapes are whole). */
void nd_json_unescape_append(const char *s, gsize len, GString *out);

/* TRUE when s[0..len) is UTF-8 as g_utf8_validate_len judges it (no overlong forms, surrogates or
 * code points past U+10FFFF); ASCII is skipped eight bytes at a time. */
gboolean nd_utf8_valid(const char *s, gsize len);

/* The members[0..n) of the checked object in `s`, as one compact JSON object written exactly as
 * nd_json_to_string writes the tree json-glib reads from them: copied as written when json-glib
 * would write them unchanged (plain strings, integers, true, false, null), otherwise read and
 * written by json-glib. NULL when n is 0, or with an error (as nd_json_object_canonical: a name
 * given twice). Caller frees. */
char *nd_json_members_canonical(const char *s, const NdJsonMember *members, guint n, GError **error);

/* The members of all objects in the tree under `node`. */
guint64 nd_json_count_members(JsonNode *node);

/* Checks s[0..len) and loads it into `parser`: the root object (owned by the parser), or NULL with
 * ND_ERROR_JSON (not JSON, not an object, an object naming a member twice), ND_ERROR_TOO_LARGE or
 * ND_ERROR_BINARY. `scan` receives what the check found (e.g. a \u0000, which the caller judges). */
JsonObject *nd_json_parse_object(JsonParser *parser, const char *s, gsize len, gsize max_string, NdJsonScan *scan,
                                 GError **error);

/* Mends the few non-JSON forms json-glib's writer produces (see json.c). Takes ownership of `json`;
 * returns it or a new string. */
char *nd_json_mend_written(char *json);

/* `node` written as compact JSON text (mended); caller frees. */
char *nd_json_to_string(JsonNode *node);

/* The JSON object in s[0..len) written back by the writer: checked, parsed and re-emitted, so the
 * result is one JSON object whatever the input held. NULL with an error (as nd_json_parse_object,
 * and ND_ERROR_BINARY for a \u0000 in a string, which json-glib would cut). Caller frees. */
char *nd_json_object_canonical(const char *s, gsize len, GError **error);

#endif
