/* pagecheck.h — private: the checksummed SQLite VFS that every index is opened through (see
 * pagecheck.c for the design). */
#ifndef NEARDUP_PAGECHECK_H
#define NEARDUP_PAGECHECK_H

#include <glib.h>
#include <sqlite3.h>

#define PAGECHECK_VFS_NAME "neardup"

/* Registers the VFS (once, thread-safe; not the default VFS). SQLITE_OK or SQLite's error code. */
int pagecheck_register(void);
/* TRUE when `db`'s main file is open through the VFS and its pages carry checksums. */
gboolean pagecheck_active(sqlite3 *db);
/* The bytes reserved at the end of every page for the checksum (8). */
int pagecheck_reserved_bytes(void);

/* Reads the main database file of `db` (opened through this VFS) from start to end, through
 * SQLite's own file handle (page size from its header) and checks every
 * page's checksum: 0 when all pass, the 1-based number of the first page that fails, or -1 with
 * errno set when the file cannot be read (or its size is not a whole number of pages: EINVAL). A
 * sequential read of the file, several times faster than PRAGMA quick_check's B-tree walk. The
 * caller holds the write lock, so no checkpoint writes the file meanwhile. */
gint64 pagecheck_sweep(sqlite3 *db);

#endif
