/* project_container.h: the project container as a whole, what `sbx up`,
   `sbx exec` and `sbx swap` (and programs embedding libsbx) ask for: which
   image it runs (configured, remembered, or the devenv image, built when
   stale), at which level and with which configuration, making sure it
   runs, and swapping it. */
#ifndef SBX_DEVENV_PROJECT_CONTAINER_H
#define SBX_DEVENV_PROJECT_CONTAINER_H

#include "devenv/devenv.h"

/* How a caller follows what happens. */
typedef struct devenv_hooks
{
  const devenv_options *build; /* a devenv build's options (progress, cancel), or NULL */
  devenv_result *build_result; /* receives a failed build's details, or NULL */
  void (*note) (const char *msg, void *ud); /* what is done and why, or NULL */
  devenv_lifecycle_output lifecycle;        /* lifecycle commands' output, or NULL */
  /* What the user must be told (a running container replaced), or NULL:
     note. */
  void (*warn) (const char *msg, void *ud);
  void *ud;
} devenv_hooks;

/* What is asked of the project container. */
typedef struct devenv_container_req
{
  sbx_level level;
  bool level_set;           /* false: whatever level it runs at (a new one: the config's) */
  const char *image;        /* the image to create it from, or NULL to resolve it */
  bool match_config;        /* replace a container created with another profile
                               or another devcontainer.json runtime */
  const devenv_port *ports; /* `sbx up -p`: published besides the devcontainer.json's */
  size_t n_ports;
  bool attach; /* run the postAttachCommand (sbx up, sbx shell) */
  /* A failed postAttachCommand is said through h->warn and the session
     goes on (sbx shell), instead of being the call's error (sbx up). */
  bool attach_goes_on;
} devenv_container_req;

/* What the project's devcontainer.json asks of its container (and the
   extra ports), with its digest; the environment is resolved against
   image's (${containerEnv:VAR}) by devenv_runtime_resolve.  Ports need the
   project's network allowed: else an error that says how. */
typedef struct devenv_project_runtime
{
  devenv_runtime rt;
  char *workdir, *digest;
  char *initialize; /* initializeCommand of a trusted file, or NULL */
  char *hardening_by, *user_name;
} devenv_project_runtime;
int devenv_runtime_load (const sbx_project *p, const sbx_config *cfg, const devenv_port *ports,
                         size_t n_ports, const devenv_hooks *h, devenv_project_runtime *out,
                         sbx_error **err);
int devenv_runtime_resolve (engine_client *c, const char *image, devenv_project_runtime *r,
                            sbx_error **err);
void devenv_runtime_clear (devenv_project_runtime *r);
/* The hardening the project asks for (devenv_hardening_name: "strict"
   unless a trusted file asked for Docker's default capabilities) and what
   asked for it (*by NULL: nothing), allocated. */
int devenv_project_hardening (const sbx_project *p, const sbx_config *cfg, char **mode, char **by,
                              sbx_error **err);
#define _cleanup_runtime_ __attribute__ ((cleanup (devenv_runtime_clear)))

/* "<image_repo>:current": the image given last to `sbx up --image`. */
char *devenv_current_tag (const sbx_project *p);
/* Check that image exists and tag it <repo>:current, so that later commands
   (and a container recreated behind sbx's back) use it. */
int devenv_remember_image (engine_client *c, const sbx_project *p, const char *image,
                           sbx_error **err);
/* The image the project container runs: config "image", else the :current
   tag, else the devenv image (reused, or built).  *key: its devenv key or
   NULL. */
int devenv_resolve_image (engine_client *c, const sbx_project *p, const sbx_config *cfg,
                          const devenv_hooks *h, char **image, char **key, sbx_error **err);
/* Check level (level_set) or choose it from the config: container or
   maximum. */
int devenv_container_level (const sbx_config *cfg, sbx_level *level, bool level_set,
                            sbx_error **err);
void devenv_spec_init (devenv_spec *spec, const sbx_project *p, const sbx_config *cfg,
                       const char *image, const char *key, sbx_level level, const char *agent);

/* Make the project container run: start it, or create it; replace it when it
   runs at another level than req->level_set asks, or (match_config) with
   another configuration profile (devenv_profile), through the gap-free swap
   (its running commands drained for up to DEVENV_REPLACE_DRAIN_MS, not
   killed; h->warn says so).  Repairs an interrupted swap first. */
#define DEVENV_REPLACE_DRAIN_MS 30000L
int devenv_project_container (engine_client *c, const sbx_project *p, const sbx_config *cfg,
                              const devenv_container_req *req, const devenv_hooks *h, char **id,
                              sbx_error **err);

/* Swap the project container to image (remembered), or to the project's
   image when NULL, keeping its isolation level.  *image_out: the image. */
int devenv_project_swap (engine_client *c, const sbx_project *p, const sbx_config *cfg,
                         const char *image, long drain_ms, bool force, const devenv_hooks *h,
                         devenv_swap_result *res, char **image_out, sbx_error **err);

#endif
