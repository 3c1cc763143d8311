/* sort.c — LSD radix sorts (see sort.h). Small inputs use insertion sort; a radix pass whose digit
 * is the same for every element is skipped, so keys with few distinct high bits cost less. */
#include <string.h>
#include "sort.h"

#define SMALL 48

/* Insertion sort: for small arrays, and to finish nearly sorted ones (few, short inversions). */
static void
insertion_sort_u32(guint32 *a, gsize n)
{
  for (gsize i = 1; i < n; i++) {
    guint32 v = a[i];
    gsize j = i;
    for (; j > 0 && a[j - 1] > v; j--)
      a[j] = a[j - 1];
    a[j] = v;
  }
}

gsize
nd_sort_unique_u32(guint32 *a, guint32 *scratch, gsize n)
{
  if (n == 0)
    return 0;
  if (n <= SMALL) {
    insertion_sort_u32(a, n);
  } else if (n <= 4096) {
    /* An article's shingle keys (hundreds to a few thousand, uniformly random): one scatter by the
     * top `bits` bits, about one bucket per key, leaves the array sorted but for the few keys that
     * share a bucket, which one insertion pass puts in order. Its comparisons are almost always
     * false, so they cost no mispredicted branches (the bucket-wise insertion sorts of a 256-way
     * scatter did). */
    guint bits = MIN(g_bit_storage(n), 12u);
    guint shift = 32 - bits;
    guint32 count[(1u << 12) + 1];
    memset(count, 0, ((1u << bits) + 1) * sizeof count[0]);
    for (gsize i = 0; i < n; i++)
      count[(a[i] >> shift) + 1]++;
    for (guint d = 0; d < (1u << bits); d++)
      count[d + 1] += count[d];
    for (gsize i = 0; i < n; i++)
      scratch[count[a[i] >> shift]++] = a[i];
    memcpy(a, scratch, n * sizeof *a);
    insertion_sort_u32(a, n);
  } else {
    guint32 *src = a, *dst = scratch;
    for (int shift = 0; shift < 32; shift += 8) {
      gsize count[256] = { 0 };
      for (gsize i = 0; i < n; i++)
        count[(src[i] >> shift) & 0xFF]++;
      if (count[(src[0] >> shift) & 0xFF] == n)
        continue;
      gsize pos = 0;
      for (int d = 0; d < 256; d++) {
        gsize c = count[d];
        count[d] = pos;
        pos += c;
      }
      for (gsize i = 0; i < n; i++)
        dst[count[(src[i] >> shift) & 0xFF]++] = src[i];
      guint32 *t = src;
      src = dst;
      dst = t;
    }
    if (src != a)
      memcpy(a, src, n * sizeof *a);
  }
  gsize out = 1;
  for (gsize i = 1; i < n; i++)
    if (a[i] != a[out - 1])
      a[out++] = a[i];
  return out;
}

/* Stable LSD radix sort of a[0..n) on bits [first_shift, 64), a byte a pass; passes whose byte is
 * the same for every value are skipped. Small inputs use insertion sort on the same bits. */
static void
radix_u64_from(guint64 *a, guint64 *scratch, gsize n, int first_shift)
{
  if (n <= SMALL) {
    for (gsize i = 1; i < n; i++) {
      guint64 v = a[i];
      gsize j = i;
      for (; j > 0 && (a[j - 1] >> first_shift) > (v >> first_shift); j--)
        a[j] = a[j - 1];
      a[j] = v;
    }
    return;
  }
  guint64 *src = a, *dst = scratch;
  for (int shift = first_shift; shift < 64; shift += 8) {
    gsize count[256] = { 0 };
    for (gsize i = 0; i < n; i++)
      count[(src[i] >> shift) & 0xFF]++;
    if (count[(src[0] >> shift) & 0xFF] == n)
      continue;
    gsize pos = 0;
    for (int d = 0; d < 256; d++) {
      gsize c = count[d];
      count[d] = pos;
      pos += c;
    }
    for (gsize i = 0; i < n; i++)
      dst[count[(src[i] >> shift) & 0xFF]++] = src[i];
    guint64 *t = src;
    src = dst;
    dst = t;
  }
  if (src != a)
    memcpy(a, src, n * sizeof *a);
}

void
nd_sort_u64(guint64 *a, guint64 *scratch, gsize n)
{
  radix_u64_from(a, scratch, n, 0);
}

void
nd_sort_keyed(NdKeyed *a, NdKeyed *scratch, gsize n)
{
  if (n <= SMALL) {
    for (gsize i = 1; i < n; i++) {
      NdKeyed v = a[i];
      gsize j = i;
      for (; j > 0 && a[j - 1].key > v.key; j--)
        a[j] = a[j - 1];
      a[j] = v;
    }
    return;
  }
  NdKeyed *src = a, *dst = scratch;
  for (int shift = 0; shift < 64; shift += 8) {
    gsize count[256] = { 0 };
    for (gsize i = 0; i < n; i++)
      count[(src[i].key >> shift) & 0xFF]++;
    if (count[(src[0].key >> shift) & 0xFF] == n)
      continue;
    gsize pos = 0;
    for (int d = 0; d < 256; d++) {
      gsize c = count[d];
      count[d] = pos;
      pos += c;
    }
    for (gsize i = 0; i < n; i++)
      dst[count[(src[i].key >> shift) & 0xFF]++] = src[i];
    NdKeyed *t = src;
    src = dst;
    dst = t;
  }
  if (src != a)
    memcpy(a, src, n * sizeof *a);
}

void
nd_sort_u64_high32(guint64 *a, guint64 *scratch, gsize n)
{
  radix_u64_from(a, scratch, n, 32);
}
