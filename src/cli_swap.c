/* cli_swap.c: see cli_swap.h. */
#include "cli_swap.h"
#include "cli_devenv.h"
#include "select.h"
#include "util.h"

#include <string.h>

int
cli_swap_project (cli_ctx *ctx, engine_client *c, const sbx_project *p, const sbx_config *cfg,
                  const char *image_arg, long drain_ms, bool force, devenv_swap_result *res,
                  char **image, sbx_error **err)
{
  /* maximum never runs without gVisor: the level the swap keeps (the
     container's) or takes (the configuration's). */
  _cleanup_ctr_ devenv_ctr ctr = { 0 };
  if (devenv_container_find (c, p, &ctr, err) < 0)
    return -1;
  sbx_level have;
  bool maximum = devenv_ctr_level (&ctr, &have) ? have == SBX_LEVEL_MAXIMUM
                                                : cfg->isolation == SBX_LEVEL_MAXIMUM;
  if (maximum
      && sbx_check_gvisor (c, cfg->runtime ? cfg->runtime : "runsc", cfg->runtime_from, err) < 0)
    return -1;
  cli_devenv_hooks k;
  cli_devenv_hooks_init (&k, ctx);
  cli_devenv_hooks_log (&k, p, false);
  int r = devenv_project_swap (c, p, cfg, image_arg, drain_ms, force, &k.h, res, image, err);
  /* A build that failed stopped the swap before it began. */
  if (r < 0 && cli_devenv_build_failed (&k) && ctr.json)
    sbx_error_prefix (err, "swap aborted, %s still runs its previous image", p->container_name);
  cli_devenv_hooks_end (&k, r, err);
  return r;
}

void
cli_swap_print (cli_ctx *ctx, const sbx_project *p, const devenv_swap_result *res,
                const char *image, long drain_ms)
{
  if (ctx->json)
    {
      _cleanup_json_ json_t *o = json_pack (
          "{s:s,s:b,s:s,s:s,s:s,s:i,s:i,s:I,s:I}", "container", p->container_name, "swapped",
          res->swapped, "id", res->new_id ? res->new_id : "", "old_image",
          res->old_image ? res->old_image : "", "image", image, "drained", res->drained, "cut",
          res->cut, "ready_ms", (json_int_t) res->ready_ms, "total_ms", (json_int_t) res->total_ms);
      cli_print_json (o);
      return;
    }
  if (res->cut)
    fprintf (stderr,
             "%s: %d command(s) still running in the old container were killed after %ld ms\n",
             ctx->prog, res->cut, drain_ms);
  if (ctx->verbosity < 0)
    return;
  if (!res->swapped)
    printf ("%s already runs %s; nothing to swap (--force to replace it anyway)\n",
            p->container_name, image);
  else
    printf ("%s now runs %s (new container ready in %ld ms, swap done in %ld ms)\n",
            p->container_name, image, res->ready_ms, res->total_ms);
}
