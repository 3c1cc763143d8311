/* offsets.h — where an article's text came from in the bytes the user has.
 *
 * An article read from a web page is not the page: it is the text of some of its elements, entities
 * decoded, converted to UTF-8. An NdOffsetMap records, for each span of the text, the span of the
 * input's bytes it came from, so that passage reports (diff, pairs --passages) give byte offsets into
 * the page as saved. A span is either byte for byte (text copied as it stood: equal lengths) or whole
 * (an entity such as "&amp;" became "&", a character converted from another charset): then any
 * offset inside it maps to its start or its end. Text the extractor added (the blank line between
 * paragraphs) belongs to no span and maps to the end of the span before it.
 *
 * Offsets are 32-bit: an article and its input are at most ND_TEXT_MAX_BYTES long.
 * A NULL map is the identity (plain text files: the text is the file).
 *
 * Stability: stable (docs/api.md): the calls; NdOffsetMap is opaque.
 */
#ifndef NEARDUP_OFFSETS_H
#define NEARDUP_OFFSETS_H

#include <neardup/api.h>
#include <glib.h>

ND_BEGIN_DECLS

typedef struct NdOffsetMap NdOffsetMap;

/* An empty map; free with nd_offset_map_free (NULL is ignored). */
NdOffsetMap *nd_offset_map_new(void);
void nd_offset_map_free(NdOffsetMap *map);
/* A copy of `map` (NULL gives NULL). */
NdOffsetMap *nd_offset_map_copy(const NdOffsetMap *map);

/* Appends a span: text bytes [text, text + text_len) came from input bytes [source, source +
 * source_len). Spans must be appended in increasing text order, not overlapping; a span that
 * continues the previous one byte for byte in both is merged into it. Spans with text_len 0 are
 * ignored. */
void nd_offset_map_add(NdOffsetMap *map, guint32 text, guint32 text_len, guint32 source, guint32 source_len);

/* The input offset where the text byte at `text` begins (`map` NULL: `text`). An offset in no span
 * maps to the end of the span before it (0 before the first). */
guint64 nd_offset_map_start(const NdOffsetMap *map, guint64 text);
/* The input offset where text ending at `text_end` (exclusive) ends: the end of the input span of
 * byte text_end - 1 (`map` NULL: `text_end`). */
guint64 nd_offset_map_end(const NdOffsetMap *map, guint64 text_end);

/* The map of `inner` (text -> middle) followed by `outer` (middle -> input): text -> input. Either
 * may be NULL (the identity); the result is NULL only when both are. */
NdOffsetMap *nd_offset_map_compose(const NdOffsetMap *inner, const NdOffsetMap *outer);

/* The number of spans (for tests and memory accounting). */
guint nd_offset_map_spans(const NdOffsetMap *map);
/* Span `i` (< nd_offset_map_spans) of `map` (not NULL) as nd_offset_map_add took it, for copying a map
 * elsewhere (an MPI rank sends its documents' maps): adding the spans in order to an empty map gives
 * a map with the same lookups. */
void nd_offset_map_span(const NdOffsetMap *map, guint i, guint32 *text, guint32 *text_len, guint32 *source,
                        guint32 *source_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdOffsetMap, nd_offset_map_free)

ND_END_DECLS

#endif
