/* cmd_swap.c: sbx swap [--image REF] [--drain DUR] [--force] */
#include "cli.h"
#include "cli_project.h"
#include "devenv/swap.h"
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
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long (argc, argv, "+h", opts, NULL)) != -1)
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
      case 'h':
        help ();
        return 0;
      default:
        return cli_usage_error (ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
      }
  if (optind < argc)
    return cli_usage_error (ctx, "unexpected argument '%s'", argv[optind]);

  sbx_project *p = NULL;
  sbx_config cfg;
  if (cli_open_project (ctx, &p, &cfg, &err) < 0)
    return cli_report (ctx, err);
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_json_ json_t *cur = NULL;
  _cleanup_free_ char *image = NULL, *key = NULL, *agent = NULL;
  devenv_swap_result res = { 0 };
  int rc = SBX_EXIT_ERROR;
  sbx_level level = SBX_LEVEL_CONTAINER;
  if (cli_open_engine (ctx, &c, &err) < 0 || devenv_container_find (c, p, &cur, &err) < 0)
    goto out;
  /* The level stays what the container runs at. */
  const char *lvl = json_string_value (
      json_object_get (json_object_get (json_object_get (cur, "Config"), "Labels"), DEVENV_LABEL_ISOLATION));
  if (lvl)
    {
      if (sbx_level_parse (lvl, &level, &err) < 0)
        goto out;
    }
  else if (cli_level_for_container (ctx, &cfg, &level, false, &err) < 0)
    goto out;
  if (image_arg)
    {
      _cleanup_json_ json_t *ins = NULL;
      if (engine_image_inspect (c, image_arg, &ins, &err) < 0)
        {
          sbx_error_prefix (&err, "image %s", image_arg);
          goto out;
        }
      _cleanup_free_ char *current = cli_current_tag (p);
      char *colon = strrchr (current, ':');
      *colon = '\0';
      if (engine_image_tag (c, image_arg, current, colon + 1, &err) < 0)
        goto out;
      image = xstrdup (image_arg);
    }
  else if (cli_resolve_image (ctx, c, p, &cfg, &image, &key, &err) < 0)
    goto out;
  if (devenv_agent_path (&agent, &err) < 0)
    goto out;
  devenv_spec spec;
  cli_spec_init (&spec, p, &cfg, image, key, level, agent);
  if (devenv_swap (c, &spec, drain_ms, force, &res, &err) < 0)
    goto out;
  if (ctx->json)
    {
      _cleanup_json_ json_t *o = json_pack (
          "{s:s,s:b,s:s,s:s,s:s,s:i,s:i,s:I,s:I}", "container", p->container_name, "swapped",
          res.swapped, "id", res.new_id ? res.new_id : "", "old_image",
          res.old_image ? res.old_image : "", "image", image, "drained", res.drained, "cut",
          res.cut, "ready_ms", (json_int_t) res.ready_ms, "total_ms", (json_int_t) res.total_ms);
      cli_print_json (o);
    }
  else if (!res.swapped)
    printf ("%s already runs %s; nothing to swap (--force to replace it anyway)\n",
            p->container_name, image);
  else
    {
      printf ("%s now runs %s (new container ready in %ld ms, swap done in %ld ms)\n",
              p->container_name, image, res.ready_ms, res.total_ms);
      if (res.cut)
        fprintf (stderr, "%s: %d command(s) still running in the old container were killed after %ld ms\n",
                 ctx->prog, res.cut, drain_ms);
    }
  rc = 0;
out:
  if (err)
    rc = cli_report (ctx, err);
  devenv_swap_result_clear (&res);
  sbx_config_clear (&cfg);
  sbx_project_free (p);
  return rc;
}
