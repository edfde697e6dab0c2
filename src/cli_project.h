/* cli_project.h: the project container as the verbs see it (the logic is
   devenv/project_container.h; this adds the CLI's display). */
#ifndef SBX_CLI_PROJECT_H
#define SBX_CLI_PROJECT_H

#include "cli.h"
#include "devenv/project_container.h"

/* devenv_project_container, showing a build's progress and -v notes. */
int cli_ensure_project_container (cli_ctx *ctx, engine_client *c, const sbx_project *p,
                                  const sbx_config *cfg, const devenv_container_req *req, char **id,
                                  sbx_error **err);
/* ctr, the project container, runs an older image of the project than its
   key names now (devenv_container_outdated): one line on stderr that says
   so and how to update it (nothing with -q or --json, nor when it cannot
   be known). */
void cli_say_if_outdated (cli_ctx *ctx, engine_client *c, const sbx_project *p,
                          const sbx_config *cfg, const devenv_ctr *ctr);
/* The working directory of a command: w (relative: to the project), else
   the current directory when it lies inside the project (mounted at the same
   path), else the project directory. */
char *cli_exec_workdir (const sbx_project *p, const char *w);

/* Run argv in the project container (starting or creating it as needed) with
   the given isolation level (container or maximum); stdout/stderr passed
   through; returns the exit status to use (124 on timeout, 125 on error). */
typedef struct cli_exec_opts
{
  char *const *argv;
  char *const *env; /* "K=V" */
  const char *workdir;
  long timeout_ms;
  bool stdin; /* pass stdin on (else the command reads /dev/null) */
  sbx_level level;
  bool level_set;        /* false: the container's existing level, else the config's */
  const sbx_config *cfg; /* explicit configuration (sbx run): the container must run with it;
                            NULL: the project's, and the container as it is */
} cli_exec_opts;
int cli_exec_in_project (cli_ctx *ctx, const cli_exec_opts *opts);

#endif
