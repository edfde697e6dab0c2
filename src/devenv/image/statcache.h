/* statcache.h: digests of context files, keyed by what stat says of them
   (path, size, mtime, ctime, inode, device, mode), so that an unchanged file
   is not read again.  Any write or chmod moves ctime, which no user can set
   back, so a matching entry means unchanged content.  Files changed within
   the last seconds are never cached (a write in the same clock tick as the
   hashing would not move the times).  The cache is an accelerator only: a
   missing, foreign or damaged file is ignored, and it is replaced
   atomically. */
#ifndef SBX_DEVENV_STATCACHE_H
#define SBX_DEVENV_STATCACHE_H

#include <stdbool.h>
#include <sys/stat.h>
#include "error.h"

#define DEVENV_DIGEST_LEN 32

typedef struct devenv_statcache devenv_statcache;

/* The cache of context directory dir, in file path (NULL: no persistence). */
devenv_statcache *devenv_statcache_open (const char *path, const char *dir);
/* The default file for dir: <cache dir>/stat/<sha256(dir)[:16]>. */
char *devenv_statcache_default_path (const char *dir);
bool devenv_statcache_lookup (devenv_statcache *sc, const char *rel, const struct stat *st,
                              unsigned char digest[DEVENV_DIGEST_LEN]);
void devenv_statcache_store (devenv_statcache *sc, const char *rel, const struct stat *st,
                             const unsigned char digest[DEVENV_DIGEST_LEN]);
/* Write the entries used or stored since open, when anything changed. */
int devenv_statcache_save (devenv_statcache *sc, sbx_error **err);
void devenv_statcache_free (devenv_statcache *sc);
void devenv_statcache_freep (devenv_statcache **sc);
#define _cleanup_statcache_ __attribute__ ((cleanup (devenv_statcache_freep)))

#endif
