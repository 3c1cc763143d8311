/* offsets.c — maps from an article's text offsets to its input's bytes (see offsets.h).
 *
 * Design: a sorted array of spans (text, text_len, source, source_len), 16 bytes each, looked up by
 * binary search. Byte-for-byte spans that continue each other are merged as they are appended, so a
 * plain run of text costs one span however long it is; a page costs about one span per text node
 * and one per entity.
 */
#include <neardup/offsets.h>

typedef struct {
  guint32 text, text_len, source, source_len;
} Span;

struct NdOffsetMap {
  GArray *spans; /* Span, increasing text */
};

NdOffsetMap *
nd_offset_map_new(void)
{
  NdOffsetMap *m = g_new(NdOffsetMap, 1);
  m->spans = g_array_new(FALSE, FALSE, sizeof(Span));
  return m;
}

void
nd_offset_map_free(NdOffsetMap *map)
{
  if (map == NULL)
    return;
  g_array_unref(map->spans);
  g_free(map);
}

NdOffsetMap *
nd_offset_map_copy(const NdOffsetMap *map)
{
  if (map == NULL)
    return NULL;
  NdOffsetMap *m = nd_offset_map_new();
  g_array_append_vals(m->spans, map->spans->data, map->spans->len);
  return m;
}

guint
nd_offset_map_spans(const NdOffsetMap *map)
{
  return map ? map->spans->len : 0;
}

void
nd_offset_map_span(const NdOffsetMap *map, guint i, guint32 *text, guint32 *text_len, guint32 *source,
                   guint32 *source_len)
{
  g_return_if_fail(map != NULL && i < map->spans->len);
  const Span *s = &g_array_index(map->spans, Span, i);
  *text = s->text;
  *text_len = s->text_len;
  *source = s->source;
  *source_len = s->source_len;
}

void
nd_offset_map_add(NdOffsetMap *map, guint32 text, guint32 text_len, guint32 source, guint32 source_len)
{
  g_return_if_fail(map != NULL);
  if (text_len == 0)
    return;
  if (map->spans->len > 0) {
    Span *last = &g_array_index(map->spans, Span, map->spans->len - 1);
    /* in 64 bits: a span may end at 2^32, and the next must not start again at 0 */
    guint64 last_end = (guint64)last->text + last->text_len;
    g_return_if_fail(text >= last_end);
    if (last->text_len == last->source_len && text_len == source_len && last_end == text &&
        (guint64)last->source + last->source_len == source) {
      last->text_len += text_len;
      last->source_len += source_len;
      return;
    }
  }
  Span s = { text, text_len, source, source_len };
  g_array_append_val(map->spans, s);
}

/* The index of the last span starting at or before `text`, or -1. */
static gssize
find(const NdOffsetMap *map, guint64 text)
{
  const Span *spans = (const Span *)(gconstpointer)map->spans->data;
  if (spans == NULL || map->spans->len == 0)
    return -1;
  gssize lo = 0, hi = (gssize)map->spans->len - 1, best = -1;
  while (lo <= hi) {
    gssize mid = lo + (hi - lo) / 2;
    if (spans[mid].text <= text) {
      best = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

/* The span `find` found, or NULL. */
static const Span *
span_at(const NdOffsetMap *map, gssize i)
{
  const Span *spans = (const Span *)(gconstpointer)map->spans->data;
  return i >= 0 && spans != NULL ? &spans[i] : NULL;
}

guint64
nd_offset_map_start(const NdOffsetMap *map, guint64 text)
{
  if (map == NULL)
    return text;
  const Span *s = span_at(map, find(map, text));
  if (s == NULL)
    return 0;
  if (text < (guint64)s->text + s->text_len)
    return s->text_len == s->source_len ? s->source + (text - s->text) : s->source;
  return (guint64)s->source + s->source_len;
}

guint64
nd_offset_map_end(const NdOffsetMap *map, guint64 text_end)
{
  if (map == NULL)
    return text_end;
  if (text_end == 0)
    return nd_offset_map_start(map, 0);
  guint64 t = text_end - 1;
  const Span *s = span_at(map, find(map, t));
  if (s == NULL)
    return 0;
  if (t < (guint64)s->text + s->text_len && s->text_len == s->source_len)
    return s->source + (t - s->text) + 1;
  return (guint64)s->source + s->source_len;
}

NdOffsetMap *
nd_offset_map_compose(const NdOffsetMap *inner, const NdOffsetMap *outer)
{
  if (outer == NULL)
    return nd_offset_map_copy(inner);
  if (inner == NULL)
    return nd_offset_map_copy(outer);
  NdOffsetMap *m = nd_offset_map_new();
  for (guint i = 0; i < inner->spans->len; i++) {
    const Span *s = &g_array_index(inner->spans, Span, i);
    if (s->text_len != s->source_len) { /* whole: the outer image of its middle span, whole */
      guint64 a = nd_offset_map_start(outer, s->source);
      guint64 b = nd_offset_map_end(outer, (guint64)s->source + s->source_len);
      nd_offset_map_add(m, s->text, s->text_len, (guint32)a, (guint32)(b > a ? b - a : 0));
      continue;
    }
    /* byte for byte: cut it where the outer spans are cut */
    guint64 mid = s->source, mid_end = (guint64)s->source + s->source_len;
    while (mid < mid_end) {
      gssize j = find(outer, mid);
      const Span *o = span_at(outer, j);
      guint64 piece_end;
      guint32 text = (guint32)(s->text + (mid - s->source));
      if (o != NULL && mid < (guint64)o->text + o->text_len) {
        piece_end = MIN(mid_end, (guint64)o->text + o->text_len);
        if (o->text_len == o->source_len)
          nd_offset_map_add(m, text, (guint32)(piece_end - mid), (guint32)(o->source + (mid - o->text)),
                            (guint32)(piece_end - mid));
        else
          nd_offset_map_add(m, text, (guint32)(piece_end - mid), o->source, o->source_len);
      } else { /* a gap of the outer map: up to the next outer span */
        const Span *next = (guint)(j + 1) < outer->spans->len ? span_at(outer, j + 1) : NULL;
        piece_end = next != NULL ? MIN(mid_end, (guint64)next->text) : mid_end;
        guint64 at = nd_offset_map_start(outer, mid);
        nd_offset_map_add(m, text, (guint32)(piece_end - mid), (guint32)at, 0);
      }
      mid = piece_end;
    }
  }
  return m;
}
