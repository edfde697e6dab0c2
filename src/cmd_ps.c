/* cmd_ps.c: sbx ps: the containers sbx manages, on this engine. */
#include "cli.h"
#include "devenv/container/container.h"
#include "util.h"

#include <string.h>

int
cmd_ps (cli_ctx *ctx, int argc, char **argv)
{
  static const char usage[] =
      "usage: sbx ps\n\nList the containers sbx manages (all projects), with their\n"
      "state, image, isolation and project.\n";
  int rc;
  if (cli_opt_bare (ctx, argc, argv, usage, &rc))
    return rc;
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_json_ json_t *list = NULL;
  if (cli_open_engine (ctx, &c, &err) < 0
      || engine_container_list (c, DEVENV_LABEL_MANAGED "=true", true, &list, &err) < 0)
    return cli_report (ctx, err);
  _cleanup_json_ json_t *rows = json_array ();
  size_t i;
  json_t *ct;
  json_array_foreach (list, i, ct)
    {
      json_t *labels = json_object_get (ct, "Labels");
      const char *name = json_string_value (json_array_get (json_object_get (ct, "Names"), 0));
      json_array_append_new (
          rows, json_pack ("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name", name ? name + (*name == '/') : "",
                           "id", json_string_value (json_object_get (ct, "Id")), "state",
                           json_string_value (json_object_get (ct, "State")) ?: "", "status",
                           json_string_value (json_object_get (ct, "Status")) ?: "", "image",
                           json_string_value (json_object_get (labels, DEVENV_LABEL_IMAGE)) ?: "",
                           "isolation",
                           json_string_value (json_object_get (labels, DEVENV_LABEL_ISOLATION)) ?: "",
                           "project",
                           json_string_value (json_object_get (labels, DEVENV_LABEL_PROJECT)) ?: ""));
    }
  if (ctx->json)
    {
      _cleanup_json_ json_t *o = json_pack ("{s:O}", "containers", rows);
      cli_print_json (o);
      return 0;
    }
  if (ctx->verbosity >= 0)
    printf ("%-36s %-8s %-10s %-36s %s\n", "NAME", "STATE", "ISOLATION", "IMAGE", "PROJECT");
  json_array_foreach (rows, i, ct)
    {
      const char *f[5];
      static const char *keys[] = { "name", "state", "isolation", "image", "project" };
      for (int k = 0; k < 5; k++)
        f[k] = json_string_value (json_object_get (ct, keys[k]));
      printf ("%-36s %-8s %-10s %-36s %s\n", f[0], f[1], f[2], f[3], f[4]);
    }
  return 0;
}
