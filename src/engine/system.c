/* system.c: /_ping, /version, /info. */
#include "engine.h"
#include "engine_internal.h"
#include "util.h"

int
engine_ping (engine_client *c, char **api_version, sbx_error **err)
{
  free (c->ping_version);
  c->ping_version = NULL;
  engine_request req = { .method = "GET", .path = "/_ping", .versionless = true,
                         .timeout_ms = 5000 };
  sbx_error *e = NULL;
  if (engine_call (c, &req, NULL, NULL, &e) < 0)
    {
      if (e->http_status == 0)
        {
          *err = e;
          return -1;
        }
      /* Something answered, but not as a Docker engine does. */
      sbx_fail (err, SBX_ERR_UNREACHABLE,
                "cannot reach the Docker engine at %s: /_ping answered HTTP %d, not OK; is DOCKER_HOST right?",
                engine_client_address (c), e->http_status);
      sbx_error_free (e);
      return -1;
    }
  if (api_version)
    *api_version = c->ping_version ? xstrdup (c->ping_version) : NULL;
  return 0;
}

int
engine_version (engine_client *c, json_t **out, sbx_error **err)
{
  return engine_get_json (c, "/version", out, err);
}

int
engine_info (engine_client *c, json_t **out, sbx_error **err)
{
  return engine_get_json (c, "/info", out, err);
}
