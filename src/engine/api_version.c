/* api_version.c: the Engine API versions sbx speaks, compared and
   negotiated (no I/O): DOCKER_API_VERSION when set, else the newest that
   both the engine (its /_ping answer) and sbx speak. */
#include "engine.h"
#include "util.h"

#include <ctype.h>
#include <string.h>

static bool
parse_version (const char *s, long *major, long *minor)
{
  if (!s || !isdigit ((unsigned char) *s))
    return false;
  char *end;
  *major = strtol (s, &end, 10);
  if (*end != '.' || !isdigit ((unsigned char) end[1]))
    return false;
  *minor = strtol (end + 1, &end, 10);
  return *end == '\0';
}

int
engine_version_compare (const char *a, const char *b)
{
  long am = 0, an = 0, bm = 0, bn = 0;
  bool va = parse_version (a, &am, &an), vb = parse_version (b, &bm, &bn);
  if (!va || !vb)
    return (int) va - (int) vb;
  if (am != bm)
    return am < bm ? -1 : 1;
  if (an != bn)
    return an < bn ? -1 : 1;
  return 0;
}

int
engine_version_negotiate (const char *server, const char *env_override, char **out,
                          sbx_error **err)
{
  long m, n;
  if (env_override && *env_override)
    {
      const char *v = env_override[0] == 'v' ? env_override + 1 : env_override;
      if (!parse_version (v, &m, &n))
        return sbx_fail (err, SBX_ERR_INVALID,
                         "DOCKER_API_VERSION '%s' is not a version like 1.41; fix or unset it",
                         env_override);
      if (engine_version_compare (v, ENGINE_API_MIN) < 0)
        return sbx_fail (err, SBX_ERR_INVALID,
                         "DOCKER_API_VERSION %s is older than %s, the oldest API sbx speaks; unset it",
                         v, ENGINE_API_MIN);
      *out = xstrdup (v);
      return 0;
    }
  if (!parse_version (server, &m, &n))
    return sbx_fail (err, SBX_ERR_ENGINE,
                     "the engine announced no usable API version ('%s'); is this a Docker engine?",
                     server ? server : "");
  if (engine_version_compare (server, ENGINE_API_MIN) < 0)
    return sbx_fail (err, SBX_ERR_ENGINE,
                     "the engine speaks API %s, older than %s, the oldest sbx supports; upgrade Docker",
                     server, ENGINE_API_MIN);
  *out = xstrdup (engine_version_compare (server, ENGINE_API_MAX) < 0 ? server : ENGINE_API_MAX);
  return 0;
}
