/* cmd_swap.c: sbx swap [--image REF] [--drain DUR] [--force] */
#include "cli.h"
#include "cli_swap.h"
#include "util.h"

#include <getopt.h>
#include <string.h>

static void
help (void)
{
  printf ("usage: sbx swap [--image REF] [--drain DUR] [--force]\n\n"
          "Replace the running project container with one on the project's current\n"
          "image (rebuilt first if its Dockerfile or context changed), without a\n"
          "moment where 'sbx exec' has nowhere to run: the new container must\n"
          "answer before it takes the project's name; commands still running in the\n"
          "old one are waited for (up to --drain), then it is removed.  If the\n"
          "build or the new container fails, the old one keeps serving.\n\n"
          "  --image REF  swap to this image (remembered like 'sbx up --image')\n"
          "  --drain DUR  how long to wait for running commands (default 30s)\n"
          "  --force      replace the container even if it already runs that image\n");
}

int
cmd_swap (cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "image", required_argument, 0, 'i' },
                                         { "drain", required_argument, 0, 'd' },
                                         { "force", no_argument, 0, 'f' },
                                         { "help", no_argument, 0, 'h' },
                                         { 0, 0, 0, 0 } };
  const char *image_arg = NULL;
  long drain_ms = 30000;
  bool force = false;
  _cleanup_error_ sbx_error *err = NULL;
  cli_opts op = { .argc = argc, .argv = argv, .shortopts = "", .longopts = opts, .help = help };
  int ch, rc;
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    switch (ch)
      {
      case 'i':
        image_arg = optarg;
        break;
      case 'd':
        if (sbx_parse_duration (optarg, &drain_ms, &err) < 0)
          return cli_report (ctx, err);
        break;
      case 'f':
        force = true;
        break;
      }
  if (ch == CLI_OPT_RETURN)
    return rc;
  if (cli_opt_no_operands (ctx, &op, &rc) < 0)
    return rc;

  _cleanup_project_ sbx_project *p = NULL;
  sbx_config cfg;
  if (cli_open_project (ctx, &p, &cfg, &err) < 0)
    return cli_report (ctx, err);
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_free_ char *image = NULL;
  devenv_swap_result res = { 0 };
  rc = SBX_EXIT_ERROR;
  if (cli_open_engine (ctx, &c, &err) < 0
      || cli_swap_project (ctx, c, p, &cfg, image_arg, drain_ms, force, &res, &image, &err) < 0)
    goto out;
  cli_swap_print (ctx, p, &res, image, drain_ms);
  rc = 0;
out:
  if (err)
    rc = cli_report (ctx, err);
  devenv_swap_result_clear (&res);
  sbx_config_clear (&cfg);
  return rc;
}
