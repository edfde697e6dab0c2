/* engine_internal.h: the client structure, shared by the files of src/engine
   only. */
#ifndef SBX_ENGINE_INTERNAL_H
#define SBX_ENGINE_INTERNAL_H

#include <curl/curl.h>
#include "engine.h"

struct engine_client
{
  engine_address addr;
  CURL *curl;
  char *api_version;  /* negotiated */
  char *env_version;  /* DOCKER_API_VERSION */
  char *ping_version; /* Api-Version header of the last answer */
  bool tls_verify;
  char *ca, *cert, *key;
  volatile sig_atomic_t *cancel;
};

/* Connecting takes at most this long: an engine that is not there is
   reported in under a second. */
#define ENGINE_CONNECT_TIMEOUT_MS 900L

/* The bound of a request that names none and is not a stream: generous
   (a container stop waits for its grace period, an image removal can be
   slow), but a bound. */
#define ENGINE_REQUEST_TIMEOUT_MS (5 * 60 * 1000L)

/* The most of an error answer's body that is read (its message is quoted
   in the error). */
#define ENGINE_ERROR_BODY_MAX (64 * 1024)

/* SBX_ERR_UNREACHABLE: "cannot reach the Docker engine at <address>: why;
   hint" (hint NULL: is dockerd running (or set DOCKER_HOST)?).  -1. */
/* An answer 5xx: the engine failed on what ("METHOD /path"); the message
   says so and what to do. */
void engine_error_engine_failed (sbx_error **err, const char *what);
int engine_fail_unreachable (const engine_client *c, const char *why, const char *hint,
                             sbx_error **err);

/* The options every connection to the engine takes: url, error buffer,
   timeouts, unix socket or TLS material. */
void engine_curl_connection_opts (engine_client *c, CURL *h, const char *url, char *errbuf);

#endif
