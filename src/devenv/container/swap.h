/* swap.h: replacing the project container with one on a new image without a
   moment where commands have nowhere to run, and recovering from a swap that
   was interrupted. */
#ifndef SBX_DEVENV_SWAP_H
#define SBX_DEVENV_SWAP_H

#include "devenv/container/container.h"

typedef struct devenv_swap_result
{
  bool swapped;     /* false: already on that image (and not forced) */
  char *old_image;  /* image reference of the replaced container */
  char *new_id;     /* the project container now */
  int drained;      /* execs of the old container waited for */
  int cut;          /* execs still running when the drain bound expired */
  long ready_ms;    /* from start to the new container answering an exec */
  long total_ms;
} devenv_swap_result;

void devenv_swap_result_clear (devenv_swap_result *r);

/* Swap the project container to spec (spec->image, level, config): create
   and start the new container under a temporary name, check it answers an
   exec, rename the old one out and the new one in, wait up to drain_ms for
   the execs still running in the old container, remove it.  If anything
   before the renames fails the old container keeps serving.  With no
   project container, this starts one.  force: swap even when the container
   already runs spec->image's id. */
int devenv_swap (engine_client *c, const devenv_spec *spec, long drain_ms, bool force,
                 devenv_swap_result *res, sbx_error **err);

/* After an interrupted swap (its lock file exists but no process holds it):
   keep exactly one project container (the one with the project's name, else
   the newest running one, renamed) and remove the others.  Cheap when no
   swap was interrupted: one stat(). */
int devenv_swap_recover (engine_client *c, const sbx_project *p, sbx_error **err);

#endif
