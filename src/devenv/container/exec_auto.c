/* exec_auto.c: choosing how a command reaches the project container: its
   sbx-agent when one answers (a Unix socket round trip), else the engine's
   exec API (devenv_exec). */
#include "devenv/container/exec_auto.h"
#include "devenv/container/container.h"
#include "lock.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define OPEN_TIMEOUT_MS 1000
#define START_WAIT_S 5 /* a container started this recently may not listen yet */
#define START_POLL_MS 20 /* how often its socket is tried meanwhile */

/* Open the agent at path if it serves (not retired, tag as wanted; its
   listener the container's init, init_pid when > 0): 1 open, 0 not
   (why). */
static int
open_agent (const char *path, pid_t init_pid, const char *want_tag, devenv_agent **out, char **why)
{
  _cleanup_agent_ devenv_agent *a = NULL;
  sbx_error *e = NULL;
  if (devenv_agent_open_pid (path, init_pid, OPEN_TIMEOUT_MS, &a, &e) < 0)
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
  if (!open_agent (path, 0, want_tag, &a, why))
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
started_ago (const devenv_ctr *ctr)
{
  const char *at = ctr->started_at;
  struct tm tm = { 0 };
  if (!at || !strptime (at, "%Y-%m-%dT%H:%M:%S", &tm))
    return 1L << 30;
  return (long) (time (NULL) - timegm (&tm));
}

/* Does the container's init (host pid) listen on /.sbx/run/name?  Its
   network namespace's /proc/net/unix says, without the engine. */
static bool
init_listens (pid_t init_pid, const char *name)
{
  if (init_pid <= 0)
    return false;
  _cleanup_free_ char *path = xasprintf ("/proc/%d/net/unix", (int) init_pid);
  _cleanup_free_ char *want = xasprintf (" %s/%s\n", DEVENV_AGENT_RUN_TARGET, name);
  FILE *f = fopen (path, "re");
  if (!f)
    return false;
  char line[512];
  bool found = false;
  while (!found && fgets (line, sizeof line, f))
    {
      size_t n = strlen (line), w = strlen (want);
      found = n >= w && strcmp (line + n - w, want) == 0;
    }
  fclose (f);
  return found;
}

/* devenv_agent_open_container; claim: make it the project's current. */
static int
open_container (engine_client *c, const sbx_project *p, const char *container, bool claim,
                devenv_agent **out, char **why, sbx_error **err)
{
  *why = NULL;
  *out = NULL;
  _cleanup_json_ json_t *ins = NULL;
  _cleanup_ctr_ devenv_ctr ctr = { 0 };
  _cleanup_free_ char *dir = NULL;
  const char *name = NULL;
  if (devenv_agent_disabled ())
    {
      *why = xstrdup ("SBX_NO_AGENT is set");
      return 0;
    }
  if (engine_container_inspect (c, container, &ins, err) < 0)
    return -1;
  devenv_ctr_parse (ins, &ctr);
  name = ctr.agent;
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
  long ago = started_ago (&ctr);
  pid_t init_pid = ctr.pid;
  for (int attempt = 0;; attempt++)
    {
      free (*why);
      *why = NULL;
      if (open_agent (path, init_pid, NULL, out, why))
        {
          /* Later commands reach it without the engine. */
          sbx_error *ce = NULL;
          if (claim && devenv_agent_claim (dir, name, &ce) < 0)
            sbx_error_free (ce);
          return 1;
        }
      /* Just started: its agent may not listen yet.  Once it does (or
         when it is old), waiting does not help. */
      if (ago + attempt / (1000 / START_POLL_MS) >= START_WAIT_S
          || attempt >= START_WAIT_S * (1000 / START_POLL_MS) || init_listens (init_pid, name))
        return 0;
      sbx_sleep_ms (START_POLL_MS);
    }
}

int
devenv_agent_open_container (engine_client *c, const sbx_project *p, const char *container,
                             devenv_agent **out, char **why, sbx_error **err)
{
  return open_container (c, p, container, true, out, why, err);
}

/* Through the agent when the container has one that answers (claim: may
   this process take the agent's socket over), else the engine's exec. */
static int
exec_auto (engine_client *c, const sbx_project *p, const char *container, bool claim,
           const devenv_exec_opts *o, devenv_exec_result *res, devenv_exec_via *via, char **why,
           sbx_error **err)
{
  *via = DEVENV_VIA_API;
  _cleanup_agent_ devenv_agent *a = NULL;
  int r = open_container (c, p, container, claim, &a, why, err);
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

int
devenv_exec_probe (engine_client *c, const sbx_project *p, const char *container,
                   const devenv_exec_opts *o, devenv_exec_result *res, sbx_error **err)
{
  devenv_exec_via via;
  _cleanup_free_ char *why = NULL;
  return exec_auto (c, p, container, false, o, res, &via, &why, err);
}

int
devenv_exec_auto (engine_client *c, const sbx_project *p, const char *container,
                  const devenv_exec_opts *o, devenv_exec_result *res, devenv_exec_via *via,
                  char **why, sbx_error **err)
{
  return exec_auto (c, p, container, true, o, res, via, why, err);
}
