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

#endif
