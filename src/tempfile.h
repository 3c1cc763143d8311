/* tempfile.h — private: unnamed temporary files for data that does not fit in memory (postings
 * waiting to be written, the texts of a batch waiting to be archived).
 *
 * The files have no name (O_TMPFILE, or a name removed at once where that is missing), so they
 * vanish with the process, even after kill -9, and nothing is left for a user to clean up.
 */
#ifndef NEARDUP_TEMPFILE_H
#define NEARDUP_TEMPFILE_H

#include <glib.h>

/* A new unnamed file in `dir`, open for reading and writing; -1 with errno set. The caller closes it. */
int nd_temp_file(const char *dir);

/* Writes p[0..n) at the file's position, through short writes and EINTR; FALSE with errno set. */
gboolean nd_write_all(int fd, const void *p, gsize n);

/* Reads n bytes at `offset` into p; FALSE with errno set (0 when the file is shorter). */
gboolean nd_pread_all(int fd, void *p, gsize n, guint64 offset);

#endif
