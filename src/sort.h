/* sort.h — private: radix sorts for the hot paths (shingle sets, band keys, candidate pairs). */
#ifndef NEARDUP_SORT_H
#define NEARDUP_SORT_H

#include <glib.h>

/* Sorts a[0..n) ascending using scratch[0..n) and removes duplicates in place; returns the number
 * of distinct values, which are left in a[0..result). */
gsize nd_sort_unique_u32(guint32 *a, guint32 *scratch, gsize n);

/* Sorts a[0..n) of 64-bit values ascending (LSD radix, 16 bits a pass), using scratch[0..n). */
void nd_sort_u64(guint64 *a, guint64 *scratch, gsize n);

/* Sorts a[0..n) by their high 32 bits only, stably (records packed as key << 32 | value keep the
 * order of their values when they were generated in that order); 4 byte passes at most. */
void nd_sort_u64_high32(guint64 *a, guint64 *scratch, gsize n);

/* Sorts (key, value) records by key (stable for equal keys), using scratch of n records. */
typedef struct {
  guint64 key;
  guint32 value;
  guint32 pad;
} NdKeyed;
void nd_sort_keyed(NdKeyed *a, NdKeyed *scratch, gsize n);

#endif
