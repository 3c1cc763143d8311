/* test_date.c — dates read from feeds (date.h): every accepted form against its known UTC time,
 * zones and offsets, calendar edges (leap years, month lengths), Unix time in seconds and
 * milliseconds, JSON metadata members, and refusals with their reasons. */
#include <check.h>
#include <neardup/neardup.h>
#include <string.h>

/* The UTC form of s, or "ERROR: message". */
static char *
utc_of(const char *s)
{
  NdDate d;
  GError *error = NULL;
  if (!nd_date_parse(s, -1, &d, &error)) {
    ck_assert_int_eq(error->domain, ND_ERROR);
    ck_assert_int_eq(error->code, ND_ERROR_DATE);
    char *msg = g_strdup_printf("ERROR: %s", error->message);
    g_error_free(error);
    return msg;
  }
  ck_assert_ptr_null(error);
  char buf[ND_DATE_ISO_SIZE];
  nd_date_format_utc(d.utc, buf);
  return g_strdup(buf);
}

#define ck_date(s, want)                                                                                  \
  do {                                                                                                    \
    char *got_ = utc_of(s);                                                                               \
    ck_assert_msg(strcmp(got_, (want)) == 0, "'%s' read as %s, want %s", (s), got_, (want));              \
    g_free(got_);                                                                                         \
  } while (0)

#define ck_refused(s, fragment)                                                                           \
  do {                                                                                                    \
    char *got_ = utc_of(s);                                                                               \
    ck_assert_msg(g_str_has_prefix(got_, "ERROR: ") && strstr(got_, (fragment)) != NULL,                 \
                  "'%s' gave %s, want an error mentioning '%s'", (s), got_, (fragment));                  \
    g_free(got_);                                                                                         \
  } while (0)

START_TEST(test_iso8601)
{
  ck_date("2026-03-11", "2026-03-11T00:00:00Z");
  ck_date("2026-03-11T14:30", "2026-03-11T14:30:00Z");
  ck_date("2026-03-11T14:30:05", "2026-03-11T14:30:05Z");
  ck_date("2026-03-11t14:30:05z", "2026-03-11T14:30:05Z");
  ck_date("2026-03-11 14:30:05.250", "2026-03-11T14:30:05Z");
  ck_date("2026-03-11T14:30:05,999Z", "2026-03-11T14:30:05Z");
  ck_date("2026-03-11T14:30:05+01:00", "2026-03-11T13:30:05Z");
  ck_date("2026-03-11T14:30:05+0100", "2026-03-11T13:30:05Z");
  ck_date("2026-03-11T14:30:05+01", "2026-03-11T13:30:05Z");
  ck_date("2026-03-11T00:30:00-05:30", "2026-03-11T06:00:00Z");
  ck_date("2026-03-11T23:30:00-02:00", "2026-03-12T01:30:00Z"); /* across midnight */
  ck_date("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z"); /* across a year */
  ck_date("2026-03-11 14:30:05 UTC", "2026-03-11T14:30:05Z");
  ck_date("2026-03-11 14:30:05 +0200", "2026-03-11T12:30:05Z");
  ck_date("  2026-03-11\n", "2026-03-11T00:00:00Z");
  ck_date("2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"); /* a leap second counts as :59 */
  NdDate d;
  ck_assert(nd_date_parse("2026-03-11T14:30:05+01:00", -1, &d, NULL));
  ck_assert(d.has_zone && d.has_time);
  ck_assert_int_eq(d.offset, 3600);
  ck_assert(nd_date_parse("2026-03-11", -1, &d, NULL));
  ck_assert(!d.has_zone && !d.has_time);
  ck_assert_int_eq(d.utc, G_GINT64_CONSTANT(1773187200));
}
END_TEST

START_TEST(test_rfc2822_and_http)
{
  ck_date("Wed, 11 Mar 2026 14:30:05 +0100", "2026-03-11T13:30:05Z");
  ck_date("Wed, 11 Mar 2026 14:30:05 GMT", "2026-03-11T14:30:05Z");   /* IMF-fixdate */
  ck_date("11 Mar 2026 14:30 EST", "2026-03-11T19:30:00Z");
  ck_date("Mon, 05 Jan 2026 08:00:00 PDT", "2026-01-05T15:00:00Z");
  ck_date("Fri, 9 Jan 2026 10:00:00 -0000", "2026-01-09T10:00:00Z");
  ck_date("11 Mar 26 14:30 UT", "2026-03-11T14:30:00Z");              /* two-digit year */
  ck_date("1 Jan 99 00:00 Z", "1999-01-01T00:00:00Z");
  ck_date("Wednesday, 11-Mar-26 14:30:05 GMT", "2026-03-11T14:30:05Z"); /* RFC 850 */
  ck_date("Wed Mar 11 14:30:05 2026", "2026-03-11T14:30:05Z");         /* asctime */
  ck_date("Wed Mar  1 04:30:05 2026", "2026-03-01T04:30:05Z");
  ck_date("WED, 11 MAR 2026 14:30:05 gmt", "2026-03-11T14:30:05Z");
  /* The RSS dates of the issue: text order would keep the later one. */
  NdDate mon, fri;
  ck_assert(nd_date_parse("Mon, 05 Jan 2026", -1, &mon, NULL));
  ck_assert(nd_date_parse("Fri, 09 Jan 2026", -1, &fri, NULL));
  ck_assert(mon.utc < fri.utc);
  ck_assert(strcmp("Mon, 05 Jan 2026", "Fri, 09 Jan 2026") > 0);
}
END_TEST

START_TEST(test_written_forms)
{
  ck_date("11 March 2026", "2026-03-11T00:00:00Z");
  ck_date("11th March 2026", "2026-03-11T00:00:00Z");
  ck_date("1st May 2026", "2026-05-01T00:00:00Z");
  ck_date("March 11, 2026", "2026-03-11T00:00:00Z");
  ck_date("Mar 11 2026", "2026-03-11T00:00:00Z");
  ck_date("Sept 3, 2025", "2025-09-03T00:00:00Z");
  ck_date("Wednesday, March 11, 2026", "2026-03-11T00:00:00Z");
  ck_date("11 March 2026 14:30", "2026-03-11T14:30:00Z");
  ck_date("11 March 2026, 2:30 pm", "2026-03-11T14:30:00Z");
  ck_date("March 11, 2026 at 12:05 AM", "2026-03-11T00:05:00Z");
  ck_date("March 11, 2026 12:05 pm +01:00", "2026-03-11T11:05:00Z");
  ck_date("11 march 2026", "2026-03-11T00:00:00Z");
}
END_TEST

START_TEST(test_unix_time)
{
  ck_date("0", "1970-01-01T00:00:00Z");
  ck_date("1773239405", "2026-03-11T14:30:05Z");
  ck_date("1773239405.75", "2026-03-11T14:30:05Z");
  ck_date("1773239405000", "2026-03-11T14:30:05Z"); /* milliseconds */
  ck_date("-86400", "1969-12-31T00:00:00Z");
  ck_date("253402300799", "1978-01-11T21:31:40Z"); /* 12 digits: milliseconds */
  NdDate d;
  ck_assert(nd_date_from_unix(253402300799, FALSE, &d, NULL));
  ck_assert(!nd_date_from_unix(253402300800, FALSE, &d, NULL));
  ck_assert(nd_date_from_unix(-1, TRUE, &d, NULL));
  ck_assert_int_eq(d.utc, -1); /* -1 ms is in the second before the epoch */
  ck_refused("99999999999999999999", "too large");
}
END_TEST

START_TEST(test_calendar)
{
  ck_date("2024-02-29", "2024-02-29T00:00:00Z");
  ck_date("2000-02-29", "2000-02-29T00:00:00Z");
  ck_refused("1900-02-29", "February 1900 has 28 days");
  ck_refused("2026-02-30", "February 2026 has 28 days");
  ck_refused("2026-04-31", "April 2026 has 30 days");
  ck_refused("2026-13-01", "month 13");
  ck_refused("2026-00-10", "month 0");
  ck_refused("0000-01-01", "year 0");
  ck_date("0001-01-01", "0001-01-01T00:00:00Z");
  ck_date("9999-12-31T23:59:59", "9999-12-31T23:59:59Z");
  ck_refused("9999-12-31T23:59:59-01:00", "outside the years 1 to 9999");
  ck_refused("2026-03-11T24:00", "out of range");
  ck_refused("2026-03-11T12:60", "out of range");
  /* every day of four years in both directions */
  for (gint64 t = G_GINT64_CONSTANT(1700000000); t < G_GINT64_CONSTANT(1700000000) + 4 * 366 * 86400; t += 86400 + 7) {
    char iso[ND_DATE_ISO_SIZE];
    nd_date_format_utc(t, iso);
    NdDate d;
    ck_assert(nd_date_parse(iso, -1, &d, NULL));
    ck_assert_int_eq(d.utc, t);
  }
}
END_TEST

START_TEST(test_refusals)
{
  ck_refused("", "empty");
  ck_refused("   ", "empty");
  ck_refused("yesterday", "not a form of date");
  ck_refused("next Tuesday", "not a form of date");
  ck_refused("11 Foo 2026", "name of a month");
  ck_refused("2026/03/11", "YYYY-MM-DD");
  ck_refused("2026-3-11", "YYYY-MM-DD");
  ck_refused("2026-03-11T14", "HH:MM");
  ck_refused("2026-03-11T14:30 CET", "unknown time zone 'CET'");
  ck_refused("2026-03-11T14:30+25:00", "out of range");
  ck_refused("2026-03-11 extra", "unexpected text after the date");
  ck_refused("11 March 2026 foo", "unexpected text");
  ck_refused("March 2026", "day of the month");
  ck_refused("11 March", "year");
  ck_refused("11 March 126", "year");
  ck_refused("13:00 pm 11 March 2026", "name of a month");
  ck_refused("11 March 2026 13:00 pm", "12-hour");
  ck_refused("11 March 2026 \x1b[31m", "\\x1b");
  ck_refused("2026-03-11\xff", "unexpected text");
  /* Longer than ND_DATE_MAX_LEN: refused unread, the message quotes nothing of it. */
  char *long_date = g_strnfill(ND_DATE_MAX_LEN + 1, '1');
  ck_refused(long_date, "more than 256 bytes");
  g_free(long_date);
  /* The length given is respected: no byte beyond it is read. */
  NdDate d;
  ck_assert(nd_date_parse("2026-03-11garbage", 10, &d, NULL));
  ck_assert_int_eq(d.utc, G_GINT64_CONSTANT(1773187200));
  /* A message quotes at most 40 bytes of the input. */
  GError *error = NULL;
  ck_assert(!nd_date_parse("1 Jan 2026 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", -1, &d, &error));
  ck_assert(strstr(error->message, "...'") != NULL);
  ck_assert(strlen(error->message) < 200);
  g_error_free(error);
}
END_TEST

START_TEST(test_metadata)
{
  NdDate d;
  char *original = NULL;
  GError *error = NULL;
  ck_assert_int_eq(nd_date_from_metadata("{\"date\":\"Mon, 05 Jan 2026 10:00:00 +0100\",\"url\":\"x\"}", "date", &d,
                                         &original, &error), 1);
  ck_assert_str_eq(original, "Mon, 05 Jan 2026 10:00:00 +0100");
  ck_assert_int_eq(d.utc, G_GINT64_CONSTANT(1767603600));
  g_clear_pointer(&original, g_free);
  ck_assert_int_eq(nd_date_from_metadata("{\"published\":1767603600}", "published", &d, &original, NULL), 1);
  ck_assert_str_eq(original, "1767603600");
  ck_assert_int_eq(d.utc, G_GINT64_CONSTANT(1767603600));
  g_clear_pointer(&original, g_free);
  ck_assert_int_eq(nd_date_from_metadata("{\"ms\":1767603600000}", "ms", &d, NULL, NULL), 1);
  ck_assert_int_eq(d.utc, G_GINT64_CONSTANT(1767603600));
  ck_assert_int_eq(nd_date_from_metadata("{\"f\":1767603600.9}", "f", &d, NULL, NULL), 1);
  ck_assert_int_eq(d.utc, G_GINT64_CONSTANT(1767603600));
  /* absent, null, no metadata: no date, no error */
  ck_assert_int_eq(nd_date_from_metadata("{\"url\":\"x\"}", "date", &d, &original, &error), 0);
  ck_assert_int_eq(nd_date_from_metadata("{\"date\":null}", "date", &d, &original, &error), 0);
  ck_assert_int_eq(nd_date_from_metadata(NULL, "date", &d, &original, &error), 0);
  ck_assert_ptr_null(original);
  ck_assert_ptr_null(error);
  /* not a date */
  static const char *const bad[] = { "{\"date\":\"soon\"}", "{\"date\":true}", "{\"date\":{\"y\":2026}}",
                                     "{\"date\":[2026]}", "{\"date\":1e300}", "{\"date\":99999999999999999}",
                                     "not json", "{\"date\":\"2026-02-30\"}" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    ck_assert_msg(nd_date_from_metadata(bad[i], "date", &d, &original, &error) == -1, "%s", bad[i]);
    ck_assert_int_eq(error->code, ND_ERROR_DATE);
    ck_assert_ptr_null(original);
    g_clear_error(&error);
  }
}
END_TEST

static Suite *
date_suite(void)
{
  Suite *s = suite_create("date");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_iso8601);
  tcase_add_test(tc, test_rfc2822_and_http);
  tcase_add_test(tc, test_written_forms);
  tcase_add_test(tc, test_unix_time);
  tcase_add_test(tc, test_calendar);
  tcase_add_test(tc, test_refusals);
  tcase_add_test(tc, test_metadata);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(date_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
