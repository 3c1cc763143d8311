/* api.h — what libneardup exports.
 *
 * The library is compiled with hidden visibility: only declarations between ND_BEGIN_DECLS and
 * ND_END_DECLS in these public headers (or marked ND_API) are exported from the shared library.
 * Every public header wraps its declarations in them; functions declared only in src/ stay private,
 * whatever their names. The calls and types declared in include/neardup/ are the API;
 * error codes keep their numbers (error.h); the index format has its own version (index.h).
 *
 * Stability (docs/api.md): within a minor version (0.MINOR.x) the API and ABI do not change; while
 * the version is 0.x a new minor version may change them, and its soname (libneardup.so.0.MINOR)
 * changes with it. Structs that callers fill start from their _init function and only grow at the
 * end; structs the library fills only grow at the end. Error codes are never renumbered (error.h).
 */
#ifndef NEARDUP_API_H
#define NEARDUP_API_H

#include <glib.h>

#if defined(__GNUC__) || defined(__clang__)
#define ND_API __attribute__((visibility("default")))
#define ND_BEGIN_DECLS G_BEGIN_DECLS _Pragma("GCC visibility push(default)")
#define ND_END_DECLS _Pragma("GCC visibility pop") G_END_DECLS
#else
#define ND_API
#define ND_BEGIN_DECLS G_BEGIN_DECLS
#define ND_END_DECLS G_END_DECLS
#endif

#endif
