/* cli_swap.h: replacing the project container, as `sbx swap` and
   `sbx up --swap` do it. */
#ifndef SBX_CLI_SWAP_H
#define SBX_CLI_SWAP_H

#include "cli.h"
#include "devenv/container/swap.h"

/* devenv_project_swap, showing a build's progress and -v notes. */
int cli_swap_project (cli_ctx *ctx, engine_client *c, const sbx_project *p, const sbx_config *cfg,
                      const char *image_arg, long drain_ms, bool force, devenv_swap_result *res,
                      char **image, sbx_error **err);

/* Report a swap on stdout (text or --json). */
void cli_swap_print (cli_ctx *ctx, const sbx_project *p, const devenv_swap_result *res,
                     const char *image, long drain_ms);

#endif
