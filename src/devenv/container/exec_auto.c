/* exec_auto.c: choosing how a command reaches the project container: its
   sbx-agent when one answers (a Unix socket round trip), else the engine's
   exec API (devenv_exec). */
#include "devenv/container/agent_client.h"
#include "devenv/container/container.h"
#include "lock.h"
#include "util.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define OPEN_TIMEOUT_MS 1000
#define START_WAIT_S 5 /* a container started this recently may not listen yet */

/* Open the agent at path if it serves (not retired, tag as wanted): 1 open,
   0 not (why). */
static int
open_agent (const char *path, const char *want_tag, devenv_agent **out, char **why)
{
  _cleanup_agent_ devenv_agent *a = NULL;
  sbx_error *e = NULL;
  if (devenv_agent_open (path, OPEN_TIMEOUT_MS, &a, &e) < 0)
    {
      *why = steal_pointer (&e->msg);
      sbx_error_free (e);
      return 0;
    }
  if (devenv_agent_is_retired (a))
    {
      *why = xstrdup ("its container is being replaced");
      return 0;
    }
  if (want_tag && strcmp (devenv_agent_tag (a), want_tag) != 0)
    {
      *why = xasprintf ("its container runs as '%s', not '%s'", devenv_agent_tag (a), want_tag);
      return 0;
    }
  *out = steal_pointer (&a);
  return 1;
}

/* Run o through the agent: 1 ran, 0 not started (why), -1 error. */
static int
exec_on (devenv_agent *a, const devenv_exec_opts *o, devenv_exec_result *res, char **why,
         sbx_error **err)
{
  sbx_error *e = NULL;
  if (devenv_agent_exec (a, o, res, &e) == 0)
    return 1;
  if (e->code != SBX_ERR_UNAVAILABLE)
    {
      *err = e;
      return -1;
    }
  *why = steal_pointer (&e->msg);
  sbx_error_free (e);
  return 0;
}

static int
via_agent (const char *path, const char *want_tag, const devenv_exec_opts *o,
           devenv_exec_result *res, char **why, sbx_error **err)
{
  _cleanup_agent_ devenv_agent *a = NULL;
  if (!open_agent (path, want_tag, &a, why))
    return 0;
  return exec_on (a, o, res, why, err);
}

int
devenv_exec_fast (const sbx_project *p, const char *engine_host, const char *want_tag,
                  const devenv_exec_opts *o, devenv_exec_result *res, char **why, sbx_error **err)
{
  *why = NULL;
  if (devenv_agent_disabled ())
    {
      *why = xstrdup ("SBX_NO_AGENT is set");
      return 0;
    }
  _cleanup_free_ char *dir = NULL, *lock = NULL;
  sbx_error *e = NULL;
  if (devenv_agent_dir (p->id, engine_host, false, &dir, &e) < 0 || !dir)
    {
      *why = xstrdup (e ? e->msg : "the engine is not local");
      sbx_error_free (e);
      return 0;
    }
  /* During a swap (or after an interrupted one) the engine decides. */
  struct stat st;
  if (sbx_lock_path (p->id, "swap", false, &lock, &e) < 0 || stat (lock, &st) == 0)
    {
      sbx_error_free (e);
      *why = xstrdup ("a swap runs or was interrupted");
      return 0;
    }
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, DEVENV_AGENT_CURRENT);
  return via_agent (path, want_tag, o, res, why, err);
}

/* Seconds since the container started (large when unknown). */
static long
started_ago (json_t *ins)
{
  const char *at = json_string_value (json_object_get (json_object_get (ins, "State"), "StartedAt"));
  struct tm tm = { 0 };
  if (!at || !strptime (at, "%Y-%m-%dT%H:%M:%S", &tm))
    return 1L << 30;
  return (long) (time (NULL) - timegm (&tm));
}

int
devenv_agent_open_container (engine_client *c, const sbx_project *p, const char *container,
                             devenv_agent **out, char **why, sbx_error **err)
{
  *why = NULL;
  *out = NULL;
  _cleanup_json_ json_t *ins = NULL;
  _cleanup_free_ char *dir = NULL;
  const char *name = NULL;
  if (devenv_agent_disabled ())
    {
      *why = xstrdup ("SBX_NO_AGENT is set");
      return 0;
    }
  if (engine_container_inspect (c, container, &ins, err) < 0)
    return -1;
  name = json_string_value (
      json_object_get (json_object_get (json_object_get (ins, "Config"), "Labels"), DEVENV_LABEL_AGENT));
  if (!name)
    {
      *why = xstrdup ("the container has no agent socket");
      return 0;
    }
  if (devenv_agent_dir (p->id, engine_client_address (c), false, &dir, err) < 0)
    return -1;
  if (!dir)
    {
      *why = xstrdup ("the engine is not local");
      return 0;
    }
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, name);
  long ago = started_ago (ins);
  for (int attempt = 0;; attempt++)
    {
      free (*why);
      *why = NULL;
      if (open_agent (path, NULL, out, why))
        {
          /* Later commands reach it without the engine. */
          sbx_error *ce = NULL;
          if (devenv_agent_claim (dir, name, &ce) < 0)
            sbx_error_free (ce);
          return 1;
        }
      /* Just started: its agent may not listen yet. */
      if (ago + attempt / 50 >= START_WAIT_S || attempt >= 250)
        return 0;
      sbx_sleep_ms (20);
    }
}

int
devenv_exec_auto (engine_client *c, const sbx_project *p, const char *container,
                  const devenv_exec_opts *o, devenv_exec_result *res, devenv_exec_via *via,
                  char **why, sbx_error **err)
{
  *via = DEVENV_VIA_API;
  _cleanup_agent_ devenv_agent *a = NULL;
  int r = devenv_agent_open_container (c, p, container, &a, why, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      free (*why);
      *why = NULL;
      r = exec_on (a, o, res, why, err);
      if (r != 0)
        {
          if (r > 0)
            *via = DEVENV_VIA_AGENT;
          return r < 0 ? -1 : 0;
        }
    }
  return devenv_exec (c, container, o, res, err);
}
