/* lock.h: per-project advisory locks (flock) in a per-user runtime
   directory.  A lock dies with its process, so a lock file that exists but
   can be taken marks an operation that was interrupted. */
#ifndef SBX_LOCK_H
#define SBX_LOCK_H

#include <stdbool.h>
#include "error.h"

/* The path of the lock file for project id and purpose ("swap", "build"):
   $XDG_RUNTIME_DIR/sbx/<id>.<what>.lock, else /tmp/sbx-<uid>/<id>.<what>.lock.
   The directory is created (0700) when create_dir. */
int sbx_lock_path (const char *project_id, const char *what, bool create_dir, char **out,
                   sbx_error **err);

/* Open (creating) and flock the file.  wait: block until it is free; else
   *fd = -1 when another process holds it.  Close *fd to release.  *stale
   (may be NULL): the file existed before and nobody held it, i.e. its last
   holder died without removing it (holders that finish unlink it before
   they close: see sbx_lock_release). */
int sbx_lock_acquire (const char *path, bool wait, int *fd, bool *stale, sbx_error **err);
/* Unlink the file, then release the lock. */
void sbx_lock_release (const char *path, int *fd);

#endif
