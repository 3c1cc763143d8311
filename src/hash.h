/* hash.h — private: xxHash, inlined. All hashing in neardup goes through XXH3. */
#ifndef NEARDUP_HASH_H
#define NEARDUP_HASH_H

/* Inlined for speed; the static analyzer reads the library's declarations instead of its bodies
 * (it flags code inside xxhash.h that is not ours to change). */
#ifndef __clang_analyzer__
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

#endif
