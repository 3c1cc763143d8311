/* date.h — publication dates as news feeds write them, read into one normalised form (UTC).
 *
 * Dates come from untrusted metadata (JSON Lines fields, archived rows), so the parser accepts a
 * stated set of forms and refuses everything else with a message saying why; it never guesses from
 * context. Accepted (English month and day names, any letter case; surrounding blanks ignored):
 *
 *   ISO 8601 / RFC 3339   2026-03-11, 2026-03-11T14:30, 2026-03-11T14:30:05, 2026-03-11 14:30:05.250,
 *                         each with an optional zone: Z, +01:00, +0100, +01 (a space may come before
 *                         the zone); fractions of a second are dropped
 *   RFC 2822 (RSS, mail)  Wed, 11 Mar 2026 14:30:05 +0100, 11 Mar 26 14:30 GMT (two-digit years:
 *                         00-49 are 2000-2049, 50-99 are 1950-1999), zones UT UTC GMT Z EST EDT CST
 *                         CDT MST MDT PST PDT or +HHMM
 *   HTTP dates            Wed, 11 Mar 2026 14:30:05 GMT (IMF-fixdate), Wednesday, 11-Mar-26
 *                         14:30:05 GMT (RFC 850), Wed Mar 11 14:30:05 2026 (asctime)
 *   written dates         11 March 2026, 11th March 2026, March 11, 2026, Mar 11 2026, optionally with a
 *                         weekday before and a time after (14:30, 14:30:05, 2:30 pm) and a zone
 *   Unix time             1773239405 (seconds, optionally with a fraction); a number of 12 or more
 *                         digits is milliseconds (1773239405000), as JavaScript writes them
 *
 * A weekday, when written, is not checked against the date (feeds get it wrong more often than the
 * date). A date without a zone is taken as UTC (has_zone FALSE says so). Years 1 to 9999 only.
 *
 * Stability: stable (docs/api.md): the calls, NdDate (grows only at the end) and the forms
 * accepted; a new form may be accepted in a new minor version, never one refused that was read.
 */
#ifndef NEARDUP_DATE_H
#define NEARDUP_DATE_H

#include <neardup/api.h>
#include <glib.h>

ND_BEGIN_DECLS

typedef struct {
  gint64 utc;        /* seconds since 1970-01-01T00:00:00Z */
  gint32 offset;     /* the zone written, in seconds east of UTC (0 without one) */
  gboolean has_zone; /* a zone or offset was written */
  gboolean has_time; /* a time of day was written (else the date is midnight UTC) */
} NdDate;

/* Longest text a date is read from: anything longer is refused unread (ND_ERROR_DATE). */
#define ND_DATE_MAX_LEN 256

/* Reads the date in s[0..len) (len -1: NUL-terminated). TRUE and *out, or FALSE with ND_ERROR_DATE
 * and a message naming what is wrong (never quoting more than a few bytes of the input). */
gboolean nd_date_parse(const char *s, gssize len, NdDate *out, GError **error);

/* Unix time `seconds` (or milliseconds when `milliseconds`) as a date; FALSE with ND_ERROR_DATE
 * outside years 1..9999. */
gboolean nd_date_from_unix(gint64 value, gboolean milliseconds, NdDate *out, GError **error);

/* The UTC form of a time: "YYYY-MM-DDTHH:MM:SSZ" (20 characters and a NUL) into buf. `utc` must be in
 * the range nd_date_parse produces. */
#define ND_DATE_ISO_SIZE 21
void nd_date_format_utc(gint64 utc, char buf[ND_DATE_ISO_SIZE]);

/* The date in member `field` of a JSON object's text (metadata, as the loader writes it): a string
 * (read with nd_date_parse) or an integer (Unix time, as above). Returns 1 with *out (and the
 * member's text in *original, caller frees; may be NULL), 0 when the object has no such member or
 * it is null, -1 with ND_ERROR_DATE when the member holds something that is not a date (`metadata`
 * NULL: 0). */
int nd_date_from_metadata(const char *metadata, const char *field, NdDate *out, char **original, GError **error);

ND_END_DECLS

#endif
