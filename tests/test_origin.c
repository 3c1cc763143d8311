/* test_origin.c — who took from whom (origin.h): dates, days without a time, dated datelines, the
 * centre of a star of copies, containment deciding nothing, undecided pairs, quotation pairs and the
 * --window test. */
#include <check.h>
#include <neardup/neardup.h>
#include <string.h>

static NdPair
pair(guint a, guint b, double jaccard, double a_in_b, double b_in_a, NdPairKind kind)
{
  NdPair p = { 0 };
  p.a = a;
  p.b = b;
  p.jaccard = jaccard;
  p.containment_a_in_b = a_in_b;
  p.containment_b_in_a = b_in_a;
  p.kind = kind;
  return p;
}

START_TEST(test_dates_decide)
{
  NdPair pairs[] = { pair(0, 1, 0.8, 0.9, 0.9, ND_PAIR_NEAR_DUPLICATE) };
  NdPublished when[] = { { TRUE, 2000, FALSE, FALSE }, { TRUE, 1000, FALSE, FALSE } };
  NdDirection d;
  guint origin[2];
  NdSourceBasis basis[2];
  nd_find_directions(pairs, 1, 2, when, &d, origin, basis);
  ck_assert_uint_eq(d.source, 1);
  ck_assert_int_eq(d.basis, ND_BASIS_DATE);
  ck_assert_str_eq(nd_source_basis_name(d.basis), "date");
  ck_assert_uint_eq(origin[0], 1);
  ck_assert_uint_eq(origin[1], 1);
  ck_assert_int_eq(basis[0], ND_BASIS_DATE);
  /* Less than a minute apart: dates do not decide; equal containments: undecided. */
  when[1].utc = 1990;
  nd_find_directions(pairs, 1, 2, when, &d, NULL, NULL);
  ck_assert_uint_eq(d.source, G_MAXUINT);
  ck_assert_int_eq(d.basis, ND_BASIS_NONE);
  ck_assert_ptr_null(nd_source_basis_name(d.basis));
  /* A date without a time orders only against another day. */
  when[0] = (NdPublished){ TRUE, 86400 * 100 + 3600 * 15, FALSE, FALSE };
  when[1] = (NdPublished){ TRUE, 86400 * 100, TRUE, FALSE }; /* midnight, the same day */
  nd_find_directions(pairs, 1, 2, when, &d, NULL, NULL);
  ck_assert_uint_eq(d.source, G_MAXUINT);
  when[1].utc = 86400 * 99;
  nd_find_directions(pairs, 1, 2, when, &d, NULL, NULL);
  ck_assert_uint_eq(d.source, 1);
}
END_TEST

START_TEST(test_evidence)
{
  /* Without dates or datelines, two articles: containment says nothing either way (a copy may wrap
   * its source or be cut from it): undecided, whichever is more contained. */
  NdPair pairs[] = { pair(0, 1, 0.5, 0.95, 0.6, ND_PAIR_REUSE) };
  NdDirection d;
  guint origin[2];
  NdSourceBasis basis[2];
  nd_find_directions(pairs, 1, 2, NULL, &d, origin, basis);
  ck_assert_uint_eq(d.source, G_MAXUINT);
  ck_assert_int_eq(d.basis, ND_BASIS_NONE);
  ck_assert_uint_eq(origin[1], G_MAXUINT);
  ck_assert_int_eq(basis[1], ND_BASIS_NONE);
  pairs[0] = pair(0, 1, 0.5, 0.6, 0.95, ND_PAIR_REUSE);
  nd_find_directions(pairs, 1, 2, NULL, &d, origin, basis);
  ck_assert_uint_eq(d.source, G_MAXUINT);
  ck_assert_uint_eq(origin[0], G_MAXUINT);
  /* A dated dateline decides it, marked as evidence. */
  NdPublished when[2] = { { 0 } };
  when[1].dated_dateline = TRUE;
  nd_find_directions(pairs, 1, 2, when, &d, origin, basis);
  ck_assert_uint_eq(d.source, 1);
  ck_assert_int_eq(d.basis, ND_BASIS_EVIDENCE);
  ck_assert_uint_eq(origin[0], 1);
  ck_assert_int_eq(basis[0], ND_BASIS_EVIDENCE);
}
END_TEST

START_TEST(test_star_centre)
{
  /* Three copies of document 2, each edited: the source is closer to each copy than copies are to
   * each other. Containments equal: only the centre decides. Document 4 is in no pair. */
  NdPair pairs[] = {
    pair(0, 1, 0.55, 0.7, 0.7, ND_PAIR_NEAR_DUPLICATE), pair(0, 2, 0.75, 0.8, 0.8, ND_PAIR_NEAR_DUPLICATE),
    pair(0, 3, 0.5, 0.7, 0.7, ND_PAIR_NEAR_DUPLICATE),  pair(1, 2, 0.7, 0.8, 0.8, ND_PAIR_NEAR_DUPLICATE),
    pair(1, 3, 0.52, 0.7, 0.7, ND_PAIR_NEAR_DUPLICATE), pair(2, 3, 0.72, 0.8, 0.8, ND_PAIR_NEAR_DUPLICATE),
  };
  NdDirection d[6];
  guint origin[5];
  NdSourceBasis basis[5];
  nd_find_directions(pairs, 6, 5, NULL, d, origin, basis);
  for (guint i = 0; i < 4; i++)
    ck_assert_uint_eq(origin[i], 2);
  ck_assert_uint_eq(origin[4], G_MAXUINT);
  ck_assert_uint_eq(d[1].source, 2);
  ck_assert_uint_eq(d[3].source, 2);
  ck_assert_uint_eq(d[5].source, 2);
  ck_assert_uint_eq(d[0].source, G_MAXUINT); /* two copies: no direction */
  /* One dated article (a copy): a date the others lack orders nothing; the centre stays the origin
   * and the two copies' pair stays undecided. */
  NdPublished when[5] = { { TRUE, 5000, FALSE, FALSE } };
  nd_find_directions(pairs, 6, 5, when, d, origin, basis);
  ck_assert_uint_eq(origin[1], 2);
  ck_assert_int_eq(basis[1], ND_BASIS_EVIDENCE);
  ck_assert_uint_eq(d[1].source, 2);
  ck_assert_int_eq(d[1].basis, ND_BASIS_EVIDENCE);
  ck_assert_uint_eq(d[0].source, G_MAXUINT);
  /* Every member dated: the earliest is the origin, by date, and dates decide every pair. */
  for (guint i = 0; i < 4; i++)
    when[i] = (NdPublished){ TRUE, 1000 + 7200 * (gint64)i, FALSE, FALSE };
  nd_find_directions(pairs, 6, 5, when, d, origin, basis);
  ck_assert_uint_eq(origin[3], 0);
  ck_assert_int_eq(basis[3], ND_BASIS_DATE);
  ck_assert_uint_eq(d[5].source, 2);
  ck_assert_int_eq(d[5].basis, ND_BASIS_DATE);
}
END_TEST

START_TEST(test_undated_member)
{
  /* Two articles, one dated: the date says nothing about when the other appeared, so neither the
   * pair nor the cluster gets a source from it (the dated one was named, as "date", before). */
  NdPair pairs[] = { pair(0, 1, 0.8, 0.9, 0.9, ND_PAIR_NEAR_DUPLICATE), pair(1, 2, 0.7, 0.8, 0.8, ND_PAIR_REUSE),
                     pair(0, 2, 0.7, 0.8, 0.8, ND_PAIR_REUSE) };
  NdPublished when[3] = { { TRUE, 5000, FALSE, FALSE }, { FALSE, 0, FALSE, FALSE }, { TRUE, 9000, FALSE, FALSE } };
  NdDirection d[3];
  guint origin[3];
  NdSourceBasis basis[3];
  nd_find_directions(pairs, 1, 3, when, d, origin, basis);
  ck_assert_uint_eq(d[0].source, G_MAXUINT);
  ck_assert_int_eq(d[0].basis, ND_BASIS_NONE);
  ck_assert_uint_eq(origin[0], G_MAXUINT);
  ck_assert_uint_eq(origin[1], G_MAXUINT);
  ck_assert_int_eq(basis[0], ND_BASIS_NONE);
  /* Three, the undated one between: the dated pair is decided by its dates, the others are not,
   * and the cluster has no origin by date (nor a centre: equal similarities). */
  nd_find_directions(pairs, 3, 3, when, d, origin, basis);
  ck_assert_uint_eq(d[2].source, 0);
  ck_assert_int_eq(d[2].basis, ND_BASIS_DATE);
  ck_assert_uint_eq(d[0].source, G_MAXUINT);
  ck_assert_uint_eq(d[1].source, G_MAXUINT);
  ck_assert_uint_eq(origin[2], G_MAXUINT);
  /* The undated one's dated dateline still decides its pairs, and makes it the origin. */
  when[1].dated_dateline = TRUE;
  nd_find_directions(pairs, 3, 3, when, d, origin, basis);
  ck_assert_uint_eq(d[0].source, 1);
  ck_assert_uint_eq(d[1].source, 1);
  ck_assert_int_eq(d[1].basis, ND_BASIS_EVIDENCE);
  ck_assert_uint_eq(origin[0], 1);
  ck_assert_int_eq(basis[0], ND_BASIS_EVIDENCE);
}
END_TEST

START_TEST(test_quotations_and_window)
{
  /* A quotation pair joins nothing and has no direction. */
  NdPair pairs[] = { pair(0, 1, 0.1, 0.9, 0.2, ND_PAIR_QUOTATION) };
  NdPublished when[] = { { TRUE, 0, FALSE, FALSE }, { TRUE, 10 * 86400, FALSE, FALSE } };
  NdDirection d;
  guint origin[2];
  nd_find_directions(pairs, 1, 2, when, &d, origin, NULL);
  ck_assert_uint_eq(d.source, G_MAXUINT);
  ck_assert_uint_eq(origin[0], G_MAXUINT);
  ck_assert(!nd_pair_within_window(&pairs[0], when, 9 * 86400));
  ck_assert(nd_pair_within_window(&pairs[0], when, 10 * 86400));
  ck_assert(nd_pair_within_window(&pairs[0], NULL, 0));
  when[1].dated = FALSE;
  ck_assert(nd_pair_within_window(&pairs[0], when, 0));
  nd_find_directions(NULL, 0, 0, NULL, NULL, NULL, NULL); /* nothing at all */
}
END_TEST

static gboolean
dated(const char *text)
{
  return nd_text_has_dated_dateline(text, strlen(text));
}

START_TEST(test_dated_dateline)
{
  /* Wire datelines with a date, in the styles agencies file them. */
  ck_assert(dated("Harbour plan stalls\n\nPORTMORE, March 3 (Westwire) - The council voted on Tuesday.\n"));
  ck_assert(dated("KELDON, Dec. 1 (UPI) -- Talks resumed.\n"));
  ck_assert(dated("NEW YORK, Nov 28, 2026 (NA) - Shares fell.\n"));
  ck_assert(dated("Lindqvist - 14 June (Nordpress) The mayor said.\n"));
  ck_assert(dated("ممبئی ۔ یکم دسمبر (اے پی پی) ایک جملہ۔\n")); /* a month, no digit */
  ck_assert(dated("کراچی ۔ 6 اگست (ایجنسی) ایک جملہ۔\n"));
  ck_assert(dated("کراچی، ۶ اگست (ایجنسی) ایک جملہ۔\n")); /* Arabic comma, Urdu digit */
  /* Undated datelines, as papers print them, and text that only looks like one. */
  ck_assert(!dated("PORTMORE (Westwire) - The council voted.\n"));
  ck_assert(!dated("ممبئی (وقت نیوز ) ایک جملہ۔\n"));
  ck_assert(!dated("Mumbai, Maharashtra (PTI) The minister said.\n")); /* a region, not a date */
  ck_assert(!dated("The council, which met on 3 March in the old town hall of the port (see below), voted.\n"));
  ck_assert(!dated("PORTMORE, March 3 () - empty credit\n"));
  ck_assert(!dated("PORTMORE, March 3 (Westwire - never closed\n"));
  ck_assert(!dated("(Westwire) PORTMORE, March 3 - credit first\n"));
  ck_assert(!dated("PORTMORE, March 3 - no credit at all\n"));
  ck_assert(!dated("2026, March 3 (Westwire) - a number is not a place\n"));
  /* Only the first five non-blank lines are looked at (a page's navigation, headline, share line). */
  ck_assert(!dated("1.\n\n2.\n\n3.\n\n4.\n\n5.\n\nPORTMORE, March 3 (Westwire) - late.\n"));
  ck_assert(dated("1.\n\n\n\n2.\n\n3.\n \n4.\n\nPORTMORE, March 3 (Westwire) - fifth line.\n"));
  /* Hostile: empty, NULL, invalid UTF-8, a lone paren, a long line, len shorter than the text. */
  ck_assert(!dated(""));
  ck_assert(!nd_text_has_dated_dateline(NULL, 5));
  ck_assert(dated("PORT\xff\xfe, March 3 (W\xc3) -"));   /* invalid bytes beside the parts */
  ck_assert(!dated("PORTMORE, \xff\xfe (Westwire) -")); /* invalid bytes are no date */
  ck_assert(!dated("PORTMORE, March 3 (\xc3\xff) -"));   /* nor a credit */
  ck_assert(!dated("\xe0\xa4"));
  ck_assert(!dated("("));
  ck_assert(!nd_text_has_dated_dateline("PORTMORE, March 3 (Westwire) -", 20)); /* cut inside the credit */
  g_autofree char *long_line = g_strnfill(100000, 'a');
  ck_assert(!dated(long_line));
}
END_TEST

START_TEST(test_dateline_decides)
{
  /* Undated pair, containments that would name 0 the source: the dated dateline of 1 decides. */
  NdPair pairs[] = { pair(0, 1, 0.5, 0.95, 0.6, ND_PAIR_REUSE), pair(1, 2, 0.6, 0.7, 0.7, ND_PAIR_REUSE),
                     pair(0, 2, 0.4, 0.7, 0.7, ND_PAIR_REUSE) };
  NdPublished when[3] = { { 0 } };
  when[1].dated_dateline = TRUE;
  NdDirection d[3];
  guint origin[3];
  NdSourceBasis basis[3];
  nd_find_directions(pairs, 1, 3, when, d, origin, basis);
  ck_assert_uint_eq(d[0].source, 1);
  ck_assert_int_eq(d[0].basis, ND_BASIS_EVIDENCE);
  ck_assert_uint_eq(origin[0], 1);
  /* Both with one: the rule says nothing, the pair is undecided again. */
  when[0].dated_dateline = TRUE;
  nd_find_directions(pairs, 1, 3, when, d, origin, basis);
  ck_assert_uint_eq(d[0].source, G_MAXUINT);
  /* A cluster of three where only 1 has one: its origin is 1, every pair holding it points to it. */
  when[0].dated_dateline = FALSE;
  nd_find_directions(pairs, 3, 3, when, d, origin, basis);
  ck_assert_uint_eq(d[0].source, 1);
  ck_assert_uint_eq(d[1].source, 1);
  ck_assert_uint_eq(origin[2], 1);
  ck_assert_int_eq(basis[2], ND_BASIS_EVIDENCE);
  /* Dates still come first. */
  when[0] = (NdPublished){ TRUE, 1000, FALSE, FALSE };
  when[1] = (NdPublished){ TRUE, 90000, FALSE, TRUE };
  nd_find_directions(pairs, 1, 3, when, d, NULL, NULL);
  ck_assert_uint_eq(d[0].source, 0);
  ck_assert_int_eq(d[0].basis, ND_BASIS_DATE);
}
END_TEST

static Suite *
origin_suite(void)
{
  Suite *s = suite_create("origin");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_dates_decide);
  tcase_add_test(tc, test_evidence);
  tcase_add_test(tc, test_star_centre);
  tcase_add_test(tc, test_undated_member);
  tcase_add_test(tc, test_quotations_and_window);
  tcase_add_test(tc, test_dated_dateline);
  tcase_add_test(tc, test_dateline_decides);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(origin_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
