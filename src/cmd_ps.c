/* cmd_ps.c: sbx ps: the containers sbx manages, on this engine. */
#include "cli.h"
#include "devenv/devenv.h"
#include "util.h"

#include <string.h>

int
cmd_ps (cli_ctx *ctx, int argc, char **argv)
{
  static const char usage[] =
      "usage: sbx ps\n\nList the containers sbx manages (all projects), with their\n"
      "state, image, isolation, project and the ports published on 127.0.0.1.\n";
  int rc;
  if (cli_opt_bare (ctx, argc, argv, usage, &rc))
    return rc;
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_ctrs_ devenv_ctrs list = { 0 };
  if (cli_open_engine (ctx, &c, &err) < 0
      || devenv_ctr_list (c, DEVENV_LABEL_MANAGED "=true", true, &list, &err) < 0)
    return cli_report (ctx, err);
  _cleanup_json_ json_t *rows = json_array ();
  size_t i;
  json_t *ct;
  for (i = 0; i < list.n; i++)
    {
      const devenv_ctr *r = &list.v[i];
      /* Its published ports, as docker ps shows them. */
      _cleanup_free_ char *ports = xstrdup ("");
      for (const char *q = r->ports; q && *q;)
        {
          size_t n = strcspn (q, ",");
          const char *colon = memchr (q, ':', n);
          char *t = colon ? xasprintf ("%s%s127.0.0.1:%.*s->%.*s/tcp", ports, *ports ? "," : "",
                                       (int) (colon - q), q, (int) (n - (colon + 1 - q)), colon + 1)
                          : xstrdup (ports);
          free (ports);
          ports = t;
          q += n + (q[n] == ',');
        }
      json_array_append_new (rows,
                             json_pack ("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name", r->name ?: "",
                                        "id", r->id, "state", r->state ?: "", "status",
                                        r->status ?: "", "image", r->image ?: "", "isolation",
                                        r->isolation ?: "", "project", r->project ?: "", "ports",
                                        ports));
    }
  if (ctx->json)
    {
      _cleanup_json_ json_t *o = json_pack ("{s:O}", "containers", rows);
      cli_print_json (o);
      return 0;
    }
  if (ctx->verbosity >= 0)
    printf ("%-36s %-8s %-10s %-36s %s%s\n", "NAME", "STATE", "ISOLATION", "IMAGE", "PROJECT",
            "  PORTS");
  json_array_foreach (rows, i, ct)
    {
      const char *f[6];
      static const char *keys[] = { "name", "state", "isolation", "image", "project", "ports" };
      for (int k = 0; k < 6; k++)
        f[k] = json_string_value (json_object_get (ct, keys[k]));
      printf ("%-36s %-8s %-10s %-36s %s%s%s\n", f[0], f[1], f[2], f[3], f[4], *f[5] ? "  " : "",
              f[5]);
    }
  return 0;
}
