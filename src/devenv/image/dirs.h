/* dirs.h: where devenv keeps its per-user accelerators (the stat cache,
   the per-project build locks) and where the default Dockerfiles are. */
#ifndef SBX_DEVENV_DIRS_H
#define SBX_DEVENV_DIRS_H

#include "error.h"

/* $SBX_CACHE_DIR, else $XDG_CACHE_HOME/sbx, else $HOME/.cache/sbx, with
   sub (may be NULL) appended; created (0700) when missing. */
int devenv_cache_dir (const char *sub, char **out, sbx_error **err);
/* The directory of the shipped Dockerfiles: $SBX_DOCKERFILES_DIR, else the
   source tree's dockerfiles/ for a binary of the build tree, else the
   installed SBX_DATADIR/dockerfiles. */
int devenv_dockerfiles_dir (char **out, sbx_error **err);

#endif
