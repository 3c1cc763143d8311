/* pagecheck.c — an SQLite VFS that keeps a checksum in every page of an index, so that a flipped
 * bit anywhere in the file is an error, never a wrong answer.
 *
 * Design: SQLite can leave a few bytes at the end of every page unused ("reserved bytes", byte 20 of
 * the file header). An index is created with 8 of them, and this shim over the default VFS fills
 * them with the XXH3-64 of the rest of the page whenever a page is written to the database file,
 * and checks them whenever a page is read back from it, returning SQLITE_IOERR_DATA on a mismatch.
 * The write-ahead log is left alone: SQLite checksums each WAL frame over the page as it hands it
 * over, so a page must reach the WAL unchanged (its frames are checked by SQLite's own recovery),
 * and a checkpoint writing it into the database file gives it its page checksum there. Checksums live in the pages themselves, so they travel with the file and cost one hash
 * per page read or written. A page is any read or write of a power-of-two size from 512 to 65536
 * bytes (SQLite's page sizes; the 100-byte header read is smaller). Files whose header does
 * not reserve 8 bytes (not made by neardup, or older indexes) are passed through unchecked; the
 * index refuses a current-format file that is not checked (see index.c).
 *
 * Other programs (the sqlite3 shell) can read an index; a page they write keeps its old checksum
 * and fails the check: an index is written only by neardup.
 */
#include "pagecheck.h"
#include "hash.h"
#include <errno.h>
#include <string.h>

#define RESERVED 8
#define PENDING_BYTE_OFFSET ((off_t)0x40000000) /* SQLite's lock-byte page starts here (1 GiB) */

typedef struct CheckedFile {
  sqlite3_file base;
  sqlite3_file *real;        /* the wrapped file, allocated right after this struct */
  gboolean checked;          /* the header reserves 8 bytes, so the pages carry checksums */
  unsigned char *page;       /* scratch copy of a page being written */
  int page_cap;
} CheckedFile;

static sqlite3_vfs checked_vfs;
static sqlite3_vfs *real_vfs;

static gboolean
is_page_size(int n)
{
  return n >= 512 && n <= 65536 && (n & (n - 1)) == 0;
}

static void
page_sum(const unsigned char *page, int n, unsigned char out[RESERVED])
{
  guint64 h = GUINT64_TO_LE(XXH3_64bits(page, (size_t)(n - RESERVED)));
  memcpy(out, &h, RESERVED);
}

static int
checked_close(sqlite3_file *file)
{
  CheckedFile *f = (CheckedFile *)file;
  g_free(f->page);
  return f->real->pMethods->xClose(f->real);
}

static int
checked_read(sqlite3_file *file, void *buf, int n, sqlite3_int64 offset)
{
  CheckedFile *f = (CheckedFile *)file;
  int rc = f->real->pMethods->xRead(f->real, buf, n, offset);
  if (rc != SQLITE_OK)
    return rc; /* short reads (past the end) come back zero-filled: nothing written there to check */
  if (offset == 0 && n >= 100)
    f->checked = ((const unsigned char *)buf)[20] == RESERVED; /* the header: are pages checksummed? */
  if (f->checked && is_page_size(n)) {
    unsigned char want[RESERVED];
    page_sum(buf, n, want);
    if (memcmp(want, (const unsigned char *)buf + n - RESERVED, RESERVED) != 0)
      return SQLITE_IOERR_DATA;
  }
  return SQLITE_OK;
}

static int
checked_write(sqlite3_file *file, const void *buf, int n, sqlite3_int64 offset)
{
  CheckedFile *f = (CheckedFile *)file;
  if (offset == 0 && n >= 100)
    f->checked = ((const unsigned char *)buf)[20] == RESERVED;
  if (!f->checked || !is_page_size(n))
    return f->real->pMethods->xWrite(f->real, buf, n, offset);
  if (f->page_cap < n) {
    g_free(f->page);
    f->page = g_malloc((gsize)n);
    f->page_cap = n;
  }
  memcpy(f->page, buf, (size_t)n); /* SQLite's own page stays as it is */
  page_sum(f->page, n, f->page + n - RESERVED);
  return f->real->pMethods->xWrite(f->real, f->page, n, offset);
}

/* The other methods pass straight through. */
static int checked_truncate(sqlite3_file *f, sqlite3_int64 size) { return ((CheckedFile *)f)->real->pMethods->xTruncate(((CheckedFile *)f)->real, size); }
static int checked_sync(sqlite3_file *f, int flags) { return ((CheckedFile *)f)->real->pMethods->xSync(((CheckedFile *)f)->real, flags); }
static int checked_file_size(sqlite3_file *f, sqlite3_int64 *size) { return ((CheckedFile *)f)->real->pMethods->xFileSize(((CheckedFile *)f)->real, size); }
static int checked_lock(sqlite3_file *f, int lock) { return ((CheckedFile *)f)->real->pMethods->xLock(((CheckedFile *)f)->real, lock); }
static int checked_unlock(sqlite3_file *f, int lock) { return ((CheckedFile *)f)->real->pMethods->xUnlock(((CheckedFile *)f)->real, lock); }
static int checked_check_reserved_lock(sqlite3_file *f, int *out) { return ((CheckedFile *)f)->real->pMethods->xCheckReservedLock(((CheckedFile *)f)->real, out); }
static int checked_sector_size(sqlite3_file *f) { return ((CheckedFile *)f)->real->pMethods->xSectorSize(((CheckedFile *)f)->real); }
static int checked_device_characteristics(sqlite3_file *f) { return ((CheckedFile *)f)->real->pMethods->xDeviceCharacteristics(((CheckedFile *)f)->real); }
static int checked_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **p) { return ((CheckedFile *)f)->real->pMethods->xShmMap(((CheckedFile *)f)->real, pg, sz, extend, p); }
static int checked_shm_lock(sqlite3_file *f, int offset, int n, int flags) { return ((CheckedFile *)f)->real->pMethods->xShmLock(((CheckedFile *)f)->real, offset, n, flags); }
static void checked_shm_barrier(sqlite3_file *f) { ((CheckedFile *)f)->real->pMethods->xShmBarrier(((CheckedFile *)f)->real); }
static int checked_shm_unmap(sqlite3_file *f, int del) { return ((CheckedFile *)f)->real->pMethods->xShmUnmap(((CheckedFile *)f)->real, del); }
static int checked_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p) { (void)f; (void)off; (void)n; *p = NULL; return SQLITE_OK; /* no memory-mapped pages: every page is read, so every page is checked */ }
static int checked_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) { (void)f; (void)off; (void)p; return SQLITE_OK; }

static int
checked_file_control(sqlite3_file *file, int op, void *arg)
{
  CheckedFile *f = (CheckedFile *)file;
  if (op == SQLITE_FCNTL_PRAGMA && f->checked) {
    /* A new page size would be applied by VACUUM through a temporary file that carries no
     * checksums, and by copying its pages into pages of the old size: refused (ignored, as SQLite
     * ignores a page size it cannot apply). */
    char **pragma = arg;
    if (pragma[1] != NULL && pragma[2] != NULL && sqlite3_stricmp(pragma[1], "page_size") == 0)
      return SQLITE_OK;
  }
  if (op == SQLITE_FCNTL_VFSNAME) {
    char **name = arg;
    char *below = NULL;
    int rc = f->real->pMethods->xFileControl(f->real, op, &below);
    *name = sqlite3_mprintf("%s/%z", PAGECHECK_VFS_NAME, rc == SQLITE_OK ? below : NULL);
    return SQLITE_OK;
  }
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

static const sqlite3_io_methods checked_methods = {
  3, checked_close, checked_read, checked_write, checked_truncate, checked_sync, checked_file_size, checked_lock,
  checked_unlock, checked_check_reserved_lock, checked_file_control, checked_sector_size,
  checked_device_characteristics, checked_shm_map, checked_shm_lock, checked_shm_barrier, checked_shm_unmap,
  checked_fetch, checked_unfetch,
};

static int
checked_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
  (void)vfs;
  if ((flags & SQLITE_OPEN_MAIN_DB) == 0) /* the WAL, journals, temporary files: as they are */
    return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
  CheckedFile *f = (CheckedFile *)file;
  memset(f, 0, sizeof *f);
  f->real = (sqlite3_file *)(f + 1);
  int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    f->real->pMethods = NULL;
    return rc; /* SQLite calls no method on a file whose pMethods is NULL */
  }
  file->pMethods = &checked_methods;
  return SQLITE_OK;
}

/* The VFS-level methods are the default VFS's. */
static int checked_delete(sqlite3_vfs *v, const char *n, int sync) { (void)v; return real_vfs->xDelete(real_vfs, n, sync); }
static int checked_access(sqlite3_vfs *v, const char *n, int flags, int *out) { (void)v; return real_vfs->xAccess(real_vfs, n, flags, out); }
static int checked_full_pathname(sqlite3_vfs *v, const char *n, int size, char *out) { (void)v; return real_vfs->xFullPathname(real_vfs, n, size, out); }
static void *checked_dl_open(sqlite3_vfs *v, const char *n) { (void)v; return real_vfs->xDlOpen(real_vfs, n); }
static void checked_dl_error(sqlite3_vfs *v, int n, char *out) { (void)v; real_vfs->xDlError(real_vfs, n, out); }
static void (*checked_dl_sym(sqlite3_vfs *v, void *h, const char *s))(void) { (void)v; return real_vfs->xDlSym(real_vfs, h, s); }
static void checked_dl_close(sqlite3_vfs *v, void *h) { (void)v; real_vfs->xDlClose(real_vfs, h); }
static int checked_randomness(sqlite3_vfs *v, int n, char *out) { (void)v; return real_vfs->xRandomness(real_vfs, n, out); }
static int checked_sleep(sqlite3_vfs *v, int us) { (void)v; return real_vfs->xSleep(real_vfs, us); }
static int checked_current_time(sqlite3_vfs *v, double *t) { (void)v; return real_vfs->xCurrentTime(real_vfs, t); }
static int checked_get_last_error(sqlite3_vfs *v, int n, char *out) { (void)v; return real_vfs->xGetLastError(real_vfs, n, out); }
static int checked_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *t) { (void)v; return real_vfs->xCurrentTimeInt64(real_vfs, t); }

static gpointer
register_once(gpointer unused)
{
  (void)unused;
  real_vfs = sqlite3_vfs_find(NULL);
  if (real_vfs == NULL)
    return GINT_TO_POINTER(SQLITE_ERROR);
  G_STATIC_ASSERT(SQLITE_OK == 0);
  checked_vfs = (sqlite3_vfs){
    .iVersion = 2,
    .szOsFile = (int)sizeof(CheckedFile) + real_vfs->szOsFile,
    .mxPathname = real_vfs->mxPathname,
    .zName = PAGECHECK_VFS_NAME,
    .xOpen = checked_open,
    .xDelete = checked_delete,
    .xAccess = checked_access,
    .xFullPathname = checked_full_pathname,
    .xDlOpen = checked_dl_open,
    .xDlError = checked_dl_error,
    .xDlSym = checked_dl_sym,
    .xDlClose = checked_dl_close,
    .xRandomness = checked_randomness,
    .xSleep = checked_sleep,
    .xCurrentTime = checked_current_time,
    .xGetLastError = checked_get_last_error,
    .xCurrentTimeInt64 = checked_current_time_int64,
  };
  return GINT_TO_POINTER(sqlite3_vfs_register(&checked_vfs, 0));
}

int
pagecheck_register(void)
{
  static GOnce once = G_ONCE_INIT;
  return GPOINTER_TO_INT(g_once(&once, register_once, NULL));
}

gboolean
pagecheck_active(sqlite3 *db)
{
  sqlite3_file *file = NULL;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || file == NULL ||
      file->pMethods != &checked_methods)
    return FALSE;
  return ((CheckedFile *)file)->checked;
}

int
pagecheck_reserved_bytes(void)
{
  return RESERVED;
}

gint64
pagecheck_sweep(sqlite3 *db)
{
  /* Read through SQLite's own handle of the file (below the checksum shim), never through a second
   * file descriptor: closing any descriptor of a file drops every POSIX lock the process holds on
   * it, and a reader that then found the database unlocked would take itself for its last user,
   * checkpoint and delete the WAL under the writer (a lost commit, seen under ASan timing). */
  sqlite3_file *top = NULL;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &top) != SQLITE_OK || top == NULL ||
      top->pMethods != &checked_methods) {
    errno = EINVAL;
    return -1;
  }
  sqlite3_file *real = ((CheckedFile *)top)->real;
  unsigned char head[100];
  sqlite3_int64 size = 0;
  if (real->pMethods->xRead(real, head, sizeof head, 0) != SQLITE_OK ||
      real->pMethods->xFileSize(real, &size) != SQLITE_OK) {
    errno = EIO;
    return -1;
  }
  int page = head[16] << 8 | head[17];
  page = page == 1 ? 65536 : page;
  if (!is_page_size(page) || head[20] != RESERVED || size < 0 || size % page != 0) {
    errno = EINVAL;
    return -1;
  }
  gsize chunk = (gsize)page * MAX(1, (1 << 20) / page); /* whole pages, about 1 MiB at a time */
  g_autofree unsigned char *buf = g_malloc(chunk);
  for (sqlite3_int64 at = 0; at < size; at += (sqlite3_int64)chunk) {
    gsize want = (gsize)MIN((sqlite3_int64)chunk, size - at);
    int rc = real->pMethods->xRead(real, buf, (int)want, at);
    if (rc != SQLITE_OK) { /* SQLITE_IOERR_SHORT_READ: the file shrank meanwhile */
      errno = EIO;
      return -1;
    }
    for (gsize p = 0; p < want; p += (gsize)page) {
      if (at + (sqlite3_int64)p == PENDING_BYTE_OFFSET)
        continue; /* the page holding SQLite's lock bytes is never written */
      unsigned char want_sum[RESERVED];
      page_sum(buf + p, page, want_sum);
      if (memcmp(want_sum, buf + p + page - RESERVED, RESERVED) != 0)
        return (gint64)((at + (sqlite3_int64)p) / page) + 1;
    }
  }
  return 0;
}
