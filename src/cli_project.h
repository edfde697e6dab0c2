/* cli_project.h: the project container as the verbs see it. */
#ifndef SBX_CLI_PROJECT_H
#define SBX_CLI_PROJECT_H

#include "cli.h"
#include "devenv/container.h"

/* "<image_repo>:current": the image of the last `sbx up --image`. */
char *cli_current_tag (const sbx_project *p);
/* The image the project container runs: config "image", else the
   :current tag, else the devenv image.  *key is its devenv key or NULL. */
int cli_resolve_image (cli_ctx *ctx, engine_client *c, const sbx_project *p,
                       const sbx_config *cfg, char **image, char **key, sbx_error **err);
/* Check or choose the container level (container or maximum). */
int cli_level_for_container (cli_ctx *ctx, const sbx_config *cfg, sbx_level *level,
                             bool level_set, sbx_error **err);
void cli_spec_init (devenv_spec *spec, const sbx_project *p, const sbx_config *cfg,
                    const char *image, const char *key, sbx_level level, const char *agent);
/* What a verb asks of the project container. */
typedef struct cli_container_req
{
  sbx_level level;
  bool level_set;        /* false: whatever level it runs at (else the config's) */
  const char *image;     /* the image to create it from, or NULL to resolve it */
  bool match_config;     /* replace a container created with another profile */
} cli_container_req;

/* Make the project container run: start it, or create it; replace it when it
   runs at another level than req->level_set asks, or (match_config) with
   another configuration profile (devenv_profile). */
int cli_ensure_project_container (cli_ctx *ctx, engine_client *c, const sbx_project *p,
                                  const sbx_config *cfg, const cli_container_req *req, char **id,
                                  sbx_error **err);
/* The working directory of a command: w (relative: to the project), else
   the current directory when it lies inside the project (mounted at the same
   path), else the project directory. */
char *cli_exec_workdir (const sbx_project *p, const char *w);

#endif
