/* cmd_version.c: sbx version: client and engine versions, negotiated API. */
#include "cli.h"
#include "util.h"

#include <string.h>

int
cmd_version (cli_ctx *ctx, int argc, char **argv)
{
  static const char usage[] =
      "usage: sbx version\n\nPrint sbx's version, the engine's version and the API\n"
      "version negotiated with it.\n";
  int rc;
  if (cli_opt_bare (ctx, argc, argv, usage, &rc))
    return rc;
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_json_ json_t *v = NULL;
  const char *api = NULL;
  if (!ctx->json)
    printf ("client: sbx %s (API %s to %s)\n", SBX_VERSION, ENGINE_API_MIN, ENGINE_API_MAX);
  if (cli_open_engine (ctx, &c, &err) < 0 || engine_client_api_version (c, &api, &err) < 0
      || engine_version (c, &v, &err) < 0)
    return cli_report (ctx, err);
  const char *ev = json_string_value (json_object_get (v, "Version"));
  const char *eapi = json_string_value (json_object_get (v, "ApiVersion"));
  if (ctx->json)
    {
      _cleanup_json_ json_t *o = json_pack ("{s:s,s:s,s:s,s:s,s:s}", "client", SBX_VERSION, "engine",
                                            ev ? ev : "", "engine_api", eapi ? eapi : "", "api", api,
                                            "host", engine_client_address (c));
      cli_print_json (o);
      return 0;
    }
  printf ("engine: %s (API %s) at %s\n", ev ? ev : "?", eapi ? eapi : "?", engine_client_address (c));
  printf ("api:    %s (negotiated)\n", api);
  return 0;
}
