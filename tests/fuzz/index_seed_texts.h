/* index_seed_texts.h — the articles archived in the seed indexes (make_index_seeds.c); fuzz_index.c
 * queries with a1, so a query on an undamaged seed finds matches and reads their rows. */
#ifndef NEARDUP_INDEX_SEED_TEXTS_H
#define NEARDUP_INDEX_SEED_TEXTS_H

static const char index_seed_text_a1[] =
  "Officials in Kyiv said on Tuesday that the talks on grain exports would resume next week, after a "
  "pause of almost a month. The ministry’s spokesman told reporters that ships had been waiting at the "
  "port of Odesa since early October.";
static const char index_seed_text_a2[] =
  "Officials in Kiev said on Tuesday that talks on grain exports would resume next week after a pause "
  "of almost a month, according to the ministry's spokesman. Several ships have waited at Odesa.";
static const char index_seed_text_a3[] =
  "The city council approved a new budget for public libraries on Monday evening, adding two mobile "
  "libraries and longer opening hours on Sundays.";
static const char index_seed_text_a4[] =
  "وزیر اعظم نے منگل کو کہا کہ گندم کی برآمدات پر بات چیت اگلے ہفتے دوبارہ شروع ہوگی۔";
static const char index_seed_text_a5[] = "北京市政府周二宣布，地铁新线路将于明年春天开通。";

#endif
