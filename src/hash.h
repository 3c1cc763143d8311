/* hash.h — private: xxHash, inlined. All hashing in neardup goes through XXH3. */
#ifndef NEARDUP_HASH_H
#define NEARDUP_HASH_H

#define XXH_INLINE_ALL
#include <xxhash.h>

#endif
