/* cmd_up.c: sbx up [--image REF] [--isolation container|maximum] [--runtime R] */
#include "cli.h"
#include "cli_project.h"
#include "util.h"

#include <getopt.h>
#include <string.h>

static void
help (void)
{
  printf ("usage: sbx up [--image REF] [--isolation container|maximum] [--runtime R]\n\n"
          "Start the project container: hardened (no capabilities, no-new-privileges,\n"
          "read-only root, no network unless allowed), the project mounted at its own\n"
          "path, commands running as your uid:gid.\n\n"
          "  --image REF      run this image (remembered for later commands until 'sbx down')\n"
          "  --isolation L    container (runc, default) or maximum (gVisor)\n"
          "  --runtime R      the gVisor runtime name for maximum (default: runsc)\n");
}

int
cmd_up (cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "image", required_argument, 0, 'i' },
                                         { "isolation", required_argument, 0, 'I' },
                                         { "runtime", required_argument, 0, 'r' },
                                         { "help", no_argument, 0, 'h' },
                                         { 0, 0, 0, 0 } };
  const char *image_arg = NULL, *runtime = NULL;
  sbx_level level = SBX_LEVEL_CONTAINER;
  bool level_set = false;
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
      case 'I':
        if (sbx_level_parse (optarg, &level, &err) < 0)
          return cli_report (ctx, err);
        level_set = true;
        break;
      case 'r':
        runtime = optarg;
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
  _cleanup_json_ json_t *ins = NULL;
  _cleanup_free_ char *id = NULL, *current = cli_current_tag (p);
  int rc = SBX_EXIT_ERROR;
  if (runtime)
    {
      free (cfg.runtime);
      cfg.runtime = xstrdup (runtime);
    }
  if (cli_level_for_container (ctx, &cfg, &level, level_set, &err) < 0
      || cli_open_engine (ctx, &c, &err) < 0)
    goto out;
  if (image_arg)
    {
      /* Check the image before touching a running container. */
      if (engine_image_inspect (c, image_arg, &ins, &err) < 0)
        {
          sbx_error_prefix (&err, "image %s", image_arg);
          goto out;
        }
      json_decref (ins);
      ins = NULL;
    }
  if (devenv_container_find (c, p, &ins, &err) < 0)
    goto out;
  if (ins)
    {
      json_t *labels = json_object_get (json_object_get (ins, "Config"), "Labels");
      const char *have_image = json_string_value (json_object_get (labels, DEVENV_LABEL_IMAGE));
      const char *have_level = json_string_value (json_object_get (labels, DEVENV_LABEL_ISOLATION));
      if (!level_set && have_level && sbx_level_parse (have_level, &level, NULL) == 0)
        level_set = true; /* a new image keeps the container's level */
      bool other_image = image_arg && (!have_image || strcmp (have_image, image_arg) != 0);
      bool other_level = level_set && (!have_level || strcmp (have_level, sbx_level_name (level)) != 0);
      if (other_image || other_level)
        {
          cli_verbose (ctx, "replacing %s (%s changed)", p->container_name,
                       other_image ? "image" : "isolation");
          if (devenv_container_remove_all (c, p, NULL, &err) < 0)
            goto out;
        }
    }
  if (image_arg)
    {
      /* Remember the image: tag it <repo>:current. */
      char *colon = strrchr (current, ':');
      *colon = '\0';
      int r = engine_image_tag (c, image_arg, current, colon + 1, &err);
      *colon = ':';
      if (r < 0)
        goto out;
    }
  if (cli_ensure_project_container (ctx, c, p, &cfg, level, level_set, image_arg, &id, &err) < 0)
    goto out;
  json_decref (ins);
  ins = NULL;
  if (engine_container_inspect (c, id, &ins, &err) < 0)
    goto out;
  {
    json_t *labels = json_object_get (json_object_get (ins, "Config"), "Labels");
    const char *img = json_string_value (json_object_get (labels, DEVENV_LABEL_IMAGE));
    const char *lvl = json_string_value (json_object_get (labels, DEVENV_LABEL_ISOLATION));
    if (ctx->json)
      {
        _cleanup_json_ json_t *o = json_pack ("{s:s,s:s,s:s,s:s,s:s}", "container",
                                              p->container_name, "id", id, "image", img ? img : "",
                                              "isolation", lvl ? lvl : "", "project", p->dir);
        cli_print_json (o);
      }
    else if (ctx->verbosity >= 0)
      printf ("%s running (image %s, isolation %s)\n", p->container_name, img ? img : "?",
              lvl ? lvl : "?");
    else
      printf ("%s\n", p->container_name);
  }
  rc = 0;
out:
  if (err)
    rc = cli_report (ctx, err);
  sbx_config_clear (&cfg);
  sbx_project_free (p);
  return rc;
}
