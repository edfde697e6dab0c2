/* context.h: the build context as the key and the tar see it: the entries
   of the context directory that survive .dockerignore and that a COPY/ADD
   source reaches (all of them when a source cannot be resolved), walked
   without following any symlink, in a fixed (byte) order. */
#ifndef SBX_DEVENV_CONTEXT_H
#define SBX_DEVENV_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "error.h"
#include "devenv/image/dockerfile.h"
#include "devenv/image/ignore.h"
#include "devenv/image/statcache.h"

typedef struct devenv_entry
{
  char *path; /* relative, '/'-separated */
  struct stat st;
  char *link;                              /* a symlink's target */
  unsigned char digest[DEVENV_DIGEST_LEN]; /* content (files), target (links), zero (dirs) */
  bool keyed; /* reached from a stage the target reaches: in the key (all are sent) */
} devenv_entry;

typedef struct devenv_context
{
  char *dir;
  devenv_entry *v;
  size_t n, cap;
  bool all;              /* every entry is sent (no reach filter) */
  bool key_all;          /* every entry is keyed */
  char **warnings;       /* NULL-terminated */
  size_t hashed, cached; /* files read, files found in the stat cache */
} devenv_context;

/* Walk dir.  df NULL: every entry counts; else only what its sources reach.
   A plain source (no wildcard) that matches nothing is an error naming its
   Dockerfile line (name: the Dockerfile for messages). */
int devenv_context_scan (const char *dir, const devenv_ignore *ig, const devenv_dockerfile *df,
                         const char *name, devenv_context **out, sbx_error **err);
/* Fill the digests, through the stat cache sc (may be NULL). */
int devenv_context_digest (devenv_context *ctx, devenv_statcache *sc, sbx_error **err);
void devenv_context_free (devenv_context *ctx);
void devenv_context_freep (devenv_context **ctx);
#define _cleanup_context_ __attribute__ ((cleanup (devenv_context_freep)))

#endif
