/* cli_project.h: the project container as the verbs see it (the logic is
   devenv/project_container.h; this adds the CLI's display). */
#ifndef SBX_CLI_PROJECT_H
#define SBX_CLI_PROJECT_H

#include "cli.h"
#include "devenv/project_container.h"

/* devenv_project_container, showing a build's progress and -v notes. */
int cli_ensure_project_container (cli_ctx *ctx, engine_client *c, const sbx_project *p,
                                  const sbx_config *cfg, const devenv_container_req *req,
                                  char **id, sbx_error **err);
/* The working directory of a command: w (relative: to the project), else
   the current directory when it lies inside the project (mounted at the same
   path), else the project directory. */
char *cli_exec_workdir (const sbx_project *p, const char *w);

#endif
