/* devenv.h: the project environment, the face that the CLI and sbx.h
   include.  Two halves that never include each other:
     devenv/image/      the project image: which Dockerfile, the content key,
                        the build context, the cache kept in the engine
                        (image/image.h)
     devenv/container/  the project container: create and start, exec
                        (agent or engine API), shell, gap-free swap
                        (container/container.h)
   and the project layer above both (project_container.c, status.c, gc.c),
   declared here and in project_container.h.  Every dev.sbx.* label and
   derived name is in labels.h. */
#ifndef SBX_DEVENV_H
#define SBX_DEVENV_H

#include "devenv/image/image.h"
#include "devenv/container/container.h"

/* ---- status.c: devenv_status_get, devenv_is_stale, devenv_invalidate ---- */

typedef struct devenv_status
{
  devenv_plan *plan; /* owned */
  bool image_present;
  char *image_id;
  char *image_created;
  bool invalidated;      /* marked by devenv_invalidate */
  char *container;       /* the project container's name, or NULL */
  char *container_state; /* "running", "exited"... */
  char *container_key;   /* its dev.sbx.image-key label ("" when none) */
  char *container_image; /* its dev.sbx.image label */
  char *container_hardening; /* its dev.sbx.hardening label ("strict" when none) */
  bool stale;            /* the image for the key is missing, or the
                            container runs another key */
  bool other_image;      /* the container runs an image not built from the
                            project (sbx up --image, config "image"): not
                            stale, whatever the project image's state */
  char *why;             /* why stale (or other_image), or NULL */
} devenv_status;

int devenv_status_get (engine_client *c, const sbx_project *p, const devenv_options *o,
                       devenv_status *st, sbx_error **err);
void devenv_status_clear (devenv_status *st);
/* Stale: the image of the current key is missing, or the project container
   runs an image of another key. */
int devenv_is_stale (engine_client *c, const sbx_project *p, const devenv_options *o, bool *stale,
                     sbx_error **err);
/* Whether ctr, the project container, runs an older devenv image than the
   project's key names now (devenv_is_stale); never for a container that
   is not running or runs an image that is not the devenv image (cfg's
   "image", `sbx up --image`). */
int devenv_container_outdated (engine_client *c, const sbx_project *p, const sbx_config *cfg,
                               const devenv_ctr *ctr, const devenv_options *o, bool *outdated,
                               sbx_error **err);
/* Make the next devenv_get_or_build rebuild without the layer cache: the image of the
   current key loses its key tag and is tagged <repo>:invalidated. *had_image
   (may be NULL): whether there was one. */
int devenv_invalidate (engine_client *c, const sbx_project *p, const devenv_options *o,
                       bool *had_image, sbx_error **err);

/* ---- gc.c ---- */

typedef struct devenv_gc_item
{
  char *kind; /* "container", "image" or "volume" */
  char *id;
  char *name;    /* container name or image tag(s) */
  char *project; /* dev.sbx.project */
  char *reason;
} devenv_gc_item;

typedef struct devenv_gc_report
{
  devenv_gc_item *items;
  size_t n;
  size_t kept_images;
  char **errors; /* removals that failed, NULL-terminated or NULL */
} devenv_gc_report;

/* Remove exited sbx containers and sbx images that no container uses,
   except each project's newest, and the home volumes of projects whose
   directory no longer exists: those of owner (their dev.sbx.owner label,
   else the owner of their project directory), or all (owner NULL).
   dry_run: only report. */
int devenv_gc (engine_client *c, bool dry_run, const uid_t *owner, devenv_gc_report *rep,
               sbx_error **err);
void devenv_gc_report_clear (devenv_gc_report *rep);

#endif
