/* tar.h: the build context as a tar stream, produced on demand with
   libarchive (pax where ustar cannot say it: long or non-ASCII names),
   in bounded memory whatever the context size.  Modes are kept, owners are
   0:0, symlinks are stored as links and never followed; a file that
   changed since it was hashed fails the stream (the image must match the
   key). */
#ifndef SBX_DEVENV_TAR_H
#define SBX_DEVENV_TAR_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "devenv/image/context.h"

typedef struct devenv_tar devenv_tar;

typedef struct devenv_tar_extra
{
  const char *name;   /* path inside the archive */
  const char *source; /* absolute path of the file to store there, or NULL: */
  const char *data;   /* these bytes */
  size_t len;
} devenv_tar_extra;

/* The entries of ctx, then the extra files (NULL-name terminated, may be
   NULL): the Dockerfile and .dockerignore, which the engine needs even when
   nothing copies them.  An entry of ctx with the name of an extra is left
   out (the extra replaces it). */
devenv_tar *devenv_tar_new (const devenv_context *ctx, const devenv_tar_extra *extra);
/* An engine_read_cb: fills buf; 0 at the end, -1 on error (then
   devenv_tar_error says what failed). */
ssize_t devenv_tar_read (char *buf, size_t len, void *tar);
/* The failure of the last devenv_tar_read that returned -1 (moved into
   *err), or 0 when there was none. */
int devenv_tar_error (devenv_tar *t, sbx_error **err);
size_t devenv_tar_bytes (const devenv_tar *t);
void devenv_tar_free (devenv_tar *t);
void devenv_tar_freep (devenv_tar **t);
#define _cleanup_tar_ __attribute__ ((cleanup (devenv_tar_freep)))

#endif
