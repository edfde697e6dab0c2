/* archive_shim.c: the libarchive functions sbx uses, loaded on first use
   (see lazylib.h): only a build that sends a context needs them.
   archive_write_new returns NULL when libarchive cannot be loaded, which
   the context writer reports; the others are only reached with an archive. */
#include <archive.h>
#include <archive_entry.h>

#include "lazylib.h"

static sbx_lazylib archive = { .soname = "libarchive.so.13" };

struct archive *
archive_write_new (void)
{
  __typeof__ (&archive_write_new) f
      = (__typeof__ (&archive_write_new)) sbx_lazylib_sym (&archive, "archive_write_new");
  return f ? f () : NULL;
}

SBX_LAZY_FORWARD (archive, int, archive_write_set_format_pax_restricted, (struct archive * a), (a))
SBX_LAZY_FORWARD (archive, int, archive_write_set_bytes_per_block, (struct archive * a, int n),
                  (a, n))
SBX_LAZY_FORWARD (archive, int, archive_write_set_bytes_in_last_block, (struct archive * a, int n),
                  (a, n))
SBX_LAZY_FORWARD (archive, int, archive_write_open2,
                  (struct archive * a, void *ud, archive_open_callback *o,
                   archive_write_callback *w, archive_close_callback *cl,
                   archive_free_callback *fr),
                  (a, ud, o, w, cl, fr))
SBX_LAZY_FORWARD (archive, int, archive_write_header,
                  (struct archive * a, struct archive_entry * e), (a, e))
SBX_LAZY_FORWARD (archive, la_ssize_t, archive_write_data,
                  (struct archive * a, const void *buf, size_t n), (a, buf, n))
SBX_LAZY_FORWARD (archive, int, archive_write_close, (struct archive * a), (a))
SBX_LAZY_FORWARD (archive, int, archive_write_free, (struct archive * a), (a))
SBX_LAZY_FORWARD (archive, const char *, archive_error_string, (struct archive * a), (a))
SBX_LAZY_FORWARD (archive, struct archive_entry *, archive_entry_new, (void), ())
SBX_LAZY_FORWARD (archive, void, archive_entry_free, (struct archive_entry * e), (e))
SBX_LAZY_FORWARD (archive, void, archive_entry_copy_pathname,
                  (struct archive_entry * e, const char *s), (e, s))
SBX_LAZY_FORWARD (archive, void, archive_entry_copy_symlink,
                  (struct archive_entry * e, const char *s), (e, s))
SBX_LAZY_FORWARD (archive, void, archive_entry_set_mode, (struct archive_entry * e, __LA_MODE_T m),
                  (e, m))
SBX_LAZY_FORWARD (archive, void, archive_entry_set_uid, (struct archive_entry * e, la_int64_t v),
                  (e, v))
SBX_LAZY_FORWARD (archive, void, archive_entry_set_gid, (struct archive_entry * e, la_int64_t v),
                  (e, v))
SBX_LAZY_FORWARD (archive, void, archive_entry_set_size, (struct archive_entry * e, la_int64_t v),
                  (e, v))
SBX_LAZY_FORWARD (archive, void, archive_entry_set_mtime,
                  (struct archive_entry * e, time_t s, long ns), (e, s, ns))
