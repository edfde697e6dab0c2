/* cmd_down.c: sbx down: stop and remove the project container. */
#include "cli.h"
#include "cli_project.h"
#include "util.h"

#include <string.h>

int
cmd_down (cli_ctx *ctx, int argc, char **argv)
{
  static const char usage[] =
      "usage: sbx down\n\nStop and remove the project container; forget the image\n"
      "given to 'sbx up --image'.  Images built for the project stay cached.\n";
  int rc;
  if (cli_opt_bare (ctx, argc, argv, usage, &rc))
    return rc;
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_project_ sbx_project *p = NULL;
  if (cli_open_project (ctx, &p, NULL, &err) < 0)
    return cli_report (ctx, err);
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_free_ char *current = devenv_current_tag (p);
  int removed = 0;
  rc = SBX_EXIT_ERROR;
  if (cli_open_engine (ctx, &c, &err) < 0 || devenv_container_remove_all (c, p, &removed, &err) < 0)
    goto out;
  sbx_error *e = NULL;
  if (engine_image_remove (c, current, false, &e) < 0 && e->code != SBX_ERR_NOT_FOUND)
    {
      err = e;
      goto out;
    }
  sbx_error_free (e);
  if (ctx->json)
    {
      _cleanup_json_ json_t *o = json_pack ("{s:s,s:i}", "container", p->container_name, "removed",
                                            removed);
      cli_print_json (o);
    }
  else if (ctx->verbosity >= 0)
    printf (removed ? "%s removed\n" : "%s was not running\n", p->container_name);
  rc = 0;
out:
  if (err)
    rc = cli_report (ctx, err);
  return rc;
}
