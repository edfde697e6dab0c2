/* cmd_down.c: sbx down: stop and remove the project container. */
#include "cli.h"
#include "cli_project.h"
#include "util.h"

#include <getopt.h>
#include <string.h>

static void
help (void)
{
  printf ("usage: sbx down [--volumes]\n\nStop and remove the project container; forget the image\n"
          "given to 'sbx up --image'.  Images built for the project stay cached, and so\n"
          "does the home of its user (a volume) unless --volumes.\n\n"
          "  -v, --volumes  also remove the project's home volume (its user's files)\n"
          "  -h, --help     this help\n");
}

int
cmd_down (cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[]
      = { { "volumes", no_argument, 0, 'v' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
  bool volumes = false;
  cli_opts op = { .argc = argc, .argv = argv, .shortopts = "v", .longopts = opts, .help = help };
  int ch, rc;
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    if (ch == 'v')
      volumes = true;
  if (ch == CLI_OPT_RETURN)
    return rc;
  if (cli_opt_no_operands (ctx, &op, &rc) < 0)
    return rc;
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_project_ sbx_project *p = NULL;
  if (cli_open_project (ctx, &p, NULL, &err) < 0)
    return cli_report (ctx, err);
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_free_ char *current = devenv_current_tag (p);
  _cleanup_free_ char *volume = devenv_home_volume_name (p);
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
  bool home = false;
  if (volumes && devenv_home_remove (c, p, &home, &err) < 0)
    goto out;
  if (ctx->json)
    {
      _cleanup_json_ json_t *o = json_pack ("{s:s,s:i}", "container", p->container_name, "removed",
                                            removed);
      if (volumes)
        json_object_set_new (o, "volume_removed", json_boolean (home));
      cli_print_json (o);
    }
  else if (ctx->verbosity >= 0)
    {
      printf (removed ? "%s removed\n" : "%s was not running\n", p->container_name);
      if (volumes)
        printf (home ? "%s removed\n" : "%s did not exist\n", volume);
    }
  rc = 0;
out:
  if (err)
    rc = cli_report (ctx, err);
  return rc;
}
