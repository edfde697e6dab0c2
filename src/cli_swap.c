/* cli_swap.c: see cli_swap.h. */
#include "cli_swap.h"
#include "cli_project.h"
#include "util.h"

#include <string.h>

int
cli_remember_image (engine_client *c, const sbx_project *p, const char *image, sbx_error **err)
{
  _cleanup_json_ json_t *ins = NULL;
  if (engine_image_inspect (c, image, &ins, err) < 0)
    return (*err)->code == SBX_ERR_UNREACHABLE ? -1 : sbx_error_prefix (err, "image %s", image);
  _cleanup_free_ char *current = cli_current_tag (p);
  char *colon = strrchr (current, ':');
  *colon = '\0';
  return engine_image_tag (c, image, current, colon + 1, err);
}

int
cli_swap_project (cli_ctx *ctx, engine_client *c, const sbx_project *p, const sbx_config *cfg,
                  const char *image_arg, long drain_ms, bool force, devenv_swap_result *res,
                  char **image, sbx_error **err)
{
  _cleanup_json_ json_t *cur = NULL;
  _cleanup_free_ char *img = NULL, *key = NULL, *agent = NULL;
  sbx_level level = SBX_LEVEL_CONTAINER;
  if (devenv_container_find (c, p, &cur, err) < 0)
    return -1;
  /* The level stays what the container runs at. */
  json_t *labels = json_object_get (json_object_get (cur, "Config"), "Labels");
  const char *lvl = json_string_value (json_object_get (labels, DEVENV_LABEL_ISOLATION));
  if (lvl ? sbx_level_parse (lvl, &level, err) < 0
          : cli_level_for_container (ctx, cfg, &level, false, err) < 0)
    return -1;
  if (image_arg)
    {
      if (cli_remember_image (c, p, image_arg, err) < 0)
        return -1;
      img = xstrdup (image_arg);
    }
  else if (cli_resolve_image (ctx, c, p, cfg, &img, &key, err) < 0)
    return -1;
  if (devenv_agent_path (&agent, err) < 0)
    return -1;
  devenv_spec spec;
  cli_spec_init (&spec, p, cfg, img, key, level, agent);
  if (devenv_swap (c, &spec, drain_ms, force, res, err) < 0)
    return -1;
  *image = steal_pointer (&img);
  return 0;
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
    fprintf (stderr, "%s: %d command(s) still running in the old container were killed after %ld ms\n",
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
