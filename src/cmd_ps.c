/* cmd_ps.c: sbx ps: the containers sbx manages, on this engine. */
#include "cli.h"
#include "devenv/devenv.h"
#include "util.h"

#include <string.h>

/* One row: every column but the last padded to its width, two spaces
   between them, no trailing blanks. */
static void
print_row (const char *const *f, const int *width, int cols)
{
  int last = cols - 1;
  while (last > 0 && !*f[last])
    last--;
  for (int k = 0; k <= last; k++)
    printf ("%-*s%s", k < last ? width[k] : 0, f[k], k < last ? "  " : "\n");
}

int
cmd_ps (cli_ctx *ctx, int argc, char **argv)
{
  static const char usage[]
      = "usage: sbx ps\n\nList the containers sbx manages (all projects), with their\n"
        "state, image, isolation, project and the ports published on 127.0.0.1.\n"
        "Columns are as wide as their widest entry; nothing is cut.  With the\n"
        "global --json: one object, {\"containers\": [...]}.\n";
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
      json_array_append_new (rows, json_pack ("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name",
                                              r->name ?: "", "id", r->id, "state", r->state ?: "",
                                              "status", r->status ?: "", "image", r->image ?: "",
                                              "isolation", r->isolation ?: "", "project",
                                              r->project ?: "", "ports", ports));
    }
  if (ctx->json)
    {
      _cleanup_json_ json_t *o = json_pack ("{s:O}", "containers", rows);
      cli_print_json (o);
      return 0;
    }
  /* Columns as wide as their widest entry (as docker ps aligns them):
     nothing is cut, a long image name only widens its column. */
  static const char *heads[] = { "NAME", "STATE", "ISOLATION", "IMAGE", "PROJECT", "PORTS" };
  static const char *keys[] = { "name", "state", "isolation", "image", "project", "ports" };
  enum
  {
    COLS = sizeof keys / sizeof keys[0]
  };
  int width[COLS];
  for (int k = 0; k < COLS; k++)
    width[k] = (int) strlen (heads[k]);
  json_array_foreach (rows, i, ct) for (int k = 0; k < COLS; k++)
  {
    int n = (int) strlen (json_string_value (json_object_get (ct, keys[k])));
    if (n > width[k])
      width[k] = n;
  }
  if (ctx->verbosity >= 0)
    print_row (heads, width, COLS);
  json_array_foreach (rows, i, ct)
  {
    const char *f[COLS];
    for (int k = 0; k < COLS; k++)
      f[k] = json_string_value (json_object_get (ct, keys[k]));
    print_row (f, width, COLS);
  }
  return 0;
}
