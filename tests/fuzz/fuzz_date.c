/* fuzz_date.c — the date reader (date.h) on any bytes.
 *
 * The input is read as a date (nd_date_parse, with its exact length, so a read past it is caught by
 * AddressSanitizer) and, when it holds no NUL byte, as the text of a metadata object whose "date"
 * member is read (nd_date_from_metadata: JSON check, json-glib, then the same reader).
 *
 * Invariants: no crash, no leak; a failure is ND_ERROR_DATE with a message of bounded length (the
 * message quotes at most 40 bytes of the input); a date read is within the years 1 to 9999, its
 * offset within 18 hours (0 without a zone), reading the same bytes again gives the same date, and
 * its UTC form reads back as the same time.
 */
#include "fuzz_common.h"

static const int date_codes[] = { ND_ERROR_DATE };

static void
check_date(const NdDate *d)
{
  FUZZ_CHECK(d->utc >= G_GINT64_CONSTANT(-62135596800) && d->utc <= G_GINT64_CONSTANT(253402300799),
             "time %" G_GINT64_FORMAT " out of range", d->utc);
  FUZZ_CHECK(d->offset >= -18 * 3600 && d->offset <= 18 * 3600, "offset %d", d->offset);
  FUZZ_CHECK(d->has_zone || d->offset == 0, "an offset without a zone");
  char iso[ND_DATE_ISO_SIZE];
  nd_date_format_utc(d->utc, iso);
  FUZZ_CHECK(strlen(iso) == ND_DATE_ISO_SIZE - 1, "UTC form '%s'", iso);
  NdDate back;
  g_autoptr(GError) error = NULL;
  FUZZ_CHECK(nd_date_parse(iso, -1, &back, &error), "the UTC form '%s' does not read back: %s", iso,
             error ? error->message : "?");
  FUZZ_CHECK(back.utc == d->utc && back.has_zone && back.offset == 0, "'%s' reads back as %" G_GINT64_FORMAT, iso,
             back.utc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  NdDate d, again;
  g_autoptr(GError) error = NULL;
  gboolean ok = nd_date_parse((const char *)data, (gssize)size, &d, &error);
  if (ok) {
    check_date(&d);
    FUZZ_CHECK(nd_date_parse((const char *)data, (gssize)size, &again, NULL) && again.utc == d.utc &&
               again.offset == d.offset && again.has_zone == d.has_zone && again.has_time == d.has_time,
               "the same bytes read twice differently");
  } else {
    fuzz_check_error(error, date_codes, G_N_ELEMENTS(date_codes), "nd_date_parse");
    FUZZ_CHECK(strlen(error->message) < 600, "a message of %zu bytes", strlen(error->message));
  }
  if (memchr(data, 0, size) == NULL) {
    g_autofree char *meta = g_strndup((const char *)data, size);
    g_autofree char *original = NULL;
    g_autoptr(GError) merr = NULL;
    int r = nd_date_from_metadata(meta, "date", &d, &original, &merr);
    FUZZ_CHECK(r >= -1 && r <= 1, "result %d", r);
    if (r == 1) {
      check_date(&d);
      FUZZ_CHECK(original != NULL && merr == NULL, "a date without its text");
    } else if (r == 0) {
      FUZZ_CHECK(original == NULL && merr == NULL, "no date, but a text or an error");
    } else {
      FUZZ_CHECK(original == NULL, "an error with a text");
      fuzz_check_error(merr, date_codes, G_N_ELEMENTS(date_codes), "nd_date_from_metadata");
    }
  }
  return 0;
}
