/* address.c: DOCKER_HOST parsing (no I/O). */
#include "engine.h"
#include "util.h"

#include <string.h>

void
engine_address_clear (engine_address *a)
{
  free (a->socket_path);
  free (a->host);
  free (a->url_base);
  free (a->display);
  memset (a, 0, sizeof *a);
}

static int
parse_tcp (const char *rest, bool tls, engine_address *a, const char *orig, sbx_error **err)
{
  /* host[:port][/], host may be [v6]. */
  _cleanup_free_ char *hp = xstrdup (rest);
  char *slash = strchr (hp, '/');
  if (slash)
    {
      if (slash[1] != '\0')
        return sbx_fail (err, SBX_ERR_INVALID,
                         "DOCKER_HOST %s: a path after the address is not supported; use tcp://HOST:PORT",
                         orig);
      *slash = '\0';
    }
  char *port = NULL;
  char *host = hp;
  if (hp[0] == '[')
    {
      char *close = strchr (hp, ']');
      if (!close)
        return sbx_fail (err, SBX_ERR_INVALID, "DOCKER_HOST %s: unterminated '[' in the address",
                         orig);
      *close = '\0';
      host = hp + 1;
      if (close[1] == ':')
        port = close + 2;
      else if (close[1] != '\0')
        return sbx_fail (err, SBX_ERR_INVALID, "DOCKER_HOST %s: junk after ']'", orig);
    }
  else
    {
      char *colon = strrchr (hp, ':');
      if (colon)
        {
          *colon = '\0';
          port = colon + 1;
        }
    }
  if (*host == '\0')
    return sbx_fail (err, SBX_ERR_INVALID, "DOCKER_HOST %s: no host name; use tcp://HOST:PORT",
                     orig);
  long p = tls ? 2376 : 2375;
  if (port)
    {
      char *end;
      errno = 0;
      p = strtol (port, &end, 10);
      if (*port == '\0' || *end != '\0' || p <= 0 || p > 65535)
        return sbx_fail (err, SBX_ERR_INVALID, "DOCKER_HOST %s: invalid port '%s'", orig, port);
    }
  a->kind = ENGINE_ADDR_TCP;
  a->host = xstrdup (host);
  a->port = (int) p;
  a->tls = tls;
  bool v6 = strchr (host, ':') != NULL;
  a->url_base = xasprintf ("%s://%s%s%s:%d", tls ? "https" : "http", v6 ? "[" : "", host,
                           v6 ? "]" : "", a->port);
  return 0;
}

int
engine_address_parse (const char *host, bool tls, engine_address *out, sbx_error **err)
{
  engine_address a = { 0 };
  if (host == NULL || *host == '\0')
    host = ENGINE_DEFAULT_HOST;
  a.display = xstrdup (host);
  int ret;
  if (strncmp (host, "unix://", 7) == 0)
    {
      const char *path = host + 7;
      if (*path != '/')
        {
          ret = sbx_fail (err, SBX_ERR_INVALID,
                          "DOCKER_HOST %s: the socket path must be absolute (unix:///path)", host);
          goto fail;
        }
      a.kind = ENGINE_ADDR_UNIX;
      a.socket_path = xstrdup (path);
      a.url_base = xstrdup ("http://localhost");
      *out = a;
      return 0;
    }
  if (strncmp (host, "tcp://", 6) == 0)
    ret = parse_tcp (host + 6, tls, &a, host, err);
  else if (strncmp (host, "http://", 7) == 0)
    ret = parse_tcp (host + 7, false, &a, host, err);
  else if (strncmp (host, "https://", 8) == 0)
    ret = parse_tcp (host + 8, true, &a, host, err);
  else if (strstr (host, "://") == NULL && strchr (host, ':') != NULL)
    ret = parse_tcp (host, tls, &a, host, err);
  else
    ret = sbx_fail (err, SBX_ERR_INVALID,
                    "DOCKER_HOST %s: unsupported address; use unix:///path or tcp://HOST:PORT",
                    host);
  if (ret == 0)
    {
      *out = a;
      return 0;
    }
fail:
  engine_address_clear (&a);
  return -1;
}
