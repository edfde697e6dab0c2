/* system.c: /version and /info (the /_ping of the handshake is in
   transport.c). */
#include "engine.h"
#include "util.h"

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
