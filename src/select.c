/* select.c: backend selection per isolation level (see select.h). */
#include "select.h"
#include "engine/engine.h"
#include "host/host.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
sbx_probe_host (sbx_probes *p, bool probe_bwrap)
{
  memset (p, 0, sizeof *p);
#ifdef __APPLE__
  p->os = SBX_OS_MACOS;
#else
  p->os = SBX_OS_LINUX;
#endif
  host_probe hp;
  host_probe_run (&hp, probe_bwrap);
  p->landlock_abi = hp.landlock_abi;
  p->seccomp = hp.seccomp;
  p->nsjail = hp.nsjail;
  p->seatbelt = hp.seatbelt;
  p->bwrap = hp.bwrap;
  p->bwrap_probed = probe_bwrap;
  if (!hp.bwrap && hp.bwrap_error)
    snprintf (p->bwrap_error, sizeof p->bwrap_error, "%s", hp.bwrap_error);
  host_probe_clear (&hp);
}

void
sbx_probe_bwrap (sbx_probes *p)
{
  _cleanup_free_ char *why = NULL;
  p->bwrap = host_bwrap_works (&why);
  p->bwrap_probed = true;
  p->bwrap_error[0] = '\0';
  if (!p->bwrap && why)
    snprintf (p->bwrap_error, sizeof p->bwrap_error, "%s", why);
}

void
sbx_probe_bwrap_installed (sbx_probes *p)
{
  _cleanup_free_ char *why = NULL;
  _cleanup_free_ char *path = host_bwrap_find (&why);
  p->bwrap = path != NULL;
  p->bwrap_probed = true;
  p->bwrap_error[0] = '\0';
  if (why)
    snprintf (p->bwrap_error, sizeof p->bwrap_error, "%s", why);
}

void
sbx_probe_bwrap_failed (sbx_probes *p, const char *why)
{
  p->bwrap = false;
  p->bwrap_probed = true;
  snprintf (p->bwrap_error, sizeof p->bwrap_error, "%s", why);
}

void
sbx_probe_engine (sbx_probes *p, engine_client *c, const char *client_error)
{
  p->engine_probed = true;
  p->engine = false;
  p->runsc = false;
  p->engine_error[0] = '\0';
  if (c == NULL)
    {
      snprintf (p->engine_error, sizeof p->engine_error, "%s",
                client_error ? client_error : "no engine client");
      return;
    }
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_free_ char *api = NULL;
  if (engine_ping (c, &api, &err) < 0)
    {
      snprintf (p->engine_error, sizeof p->engine_error, "%s", err->msg);
      return;
    }
  p->engine = true;
  _cleanup_json_ json_t *info = NULL;
  if (engine_info (c, &info, &err) < 0)
    return;
  p->runsc = sbx_runtime_is_gvisor (info, "runsc", NULL);
}

bool
sbx_runtime_is_gvisor (json_t *info, const char *name, char **why)
{
  json_t *rt = json_object_get (json_object_get (info, "Runtimes"), name ? name : "runsc");
  if (why)
    *why = NULL;
  if (!json_is_object (rt))
    {
      if (why)
        {
          _cleanup_free_ char *known = xstrdup ("");
          const char *k;
          json_t *v;
          json_object_foreach (json_object_get (info, "Runtimes"), k, v)
            {
              char *n = xasprintf ("%s%s%s", known, *known ? ", " : "", k);
              free (known);
              known = n;
            }
          *why = xasprintf ("the engine has no runtime '%s' (it has: %s)", name, known);
        }
      return false;
    }
  const char *path = json_string_value (json_object_get (rt, "path"));
  const char *type = json_string_value (json_object_get (rt, "runtimeType"));
  if (path && path[0])
    {
      const char *base = strrchr (path, '/');
      base = base ? base + 1 : path;
      if (strcmp (base, "runsc") == 0 || strncmp (base, "runsc-", 6) == 0)
        return true;
    }
  else if (type && strncmp (type, "io.containerd.runsc.", 20) == 0)
    return true;
  if (why)
    *why = xasprintf ("the engine's runtime '%s' runs %s, not gVisor's runsc", name,
                      path && path[0] ? path : type ? type : "an unknown program");
  return false;
}

int
sbx_check_gvisor (engine_client *c, const char *name, const char *from, sbx_error **err)
{
  _cleanup_json_ json_t *info = NULL;
  if (engine_info (c, &info, err) < 0)
    return -1;
  _cleanup_free_ char *why = NULL;
  if (sbx_runtime_is_gvisor (info, name, &why))
    return 0;
  return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                   "isolation 'maximum' runs only on gVisor, but %s (the runtime is %s's); name a "
                   "runtime whose program is runsc, or register runsc in dockerd's daemon.json",
                   why, from ? from : "the default");
}

const char *
sbx_backend_name (sbx_backend b)
{
  switch (b)
    {
    case SBX_BACKEND_NONE:
      return "none";
    case SBX_BACKEND_LANDLOCK:
      return "landlock+seccomp";
    case SBX_BACKEND_NSJAIL:
      return "nsjail";
    case SBX_BACKEND_BWRAP:
      return "bwrap";
    case SBX_BACKEND_SEATBELT:
      return "seatbelt";
    case SBX_BACKEND_DOCKER:
      return "docker";
    case SBX_BACKEND_DOCKER_RUNSC:
      return "docker+runsc";
    }
  return "unknown";
}

const char *
sbx_selection_backend_name (const sbx_selection *s)
{
  switch (s->backend)
    {
    case SBX_BACKEND_NSJAIL:
      return s->seccomp ? "nsjail+seccomp" : "nsjail";
    case SBX_BACKEND_BWRAP:
      return s->seccomp ? "bwrap+seccomp" : "bwrap";
    case SBX_BACKEND_SEATBELT:
      return s->strict ? "seatbelt-strict" : "seatbelt-workspace";
    default:
      return sbx_backend_name (s->backend);
    }
}

/* ------------------------------------------------------------ reasons */

typedef struct
{
  char *buf;
  size_t size;
} rbuf;

static void
say (rbuf *r, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
say (rbuf *r, const char *fmt, ...)
{
  size_t len = strlen (r->buf);
  if (len + 1 >= r->size)
    return;
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (r->buf + len, r->size - len, fmt, ap);
  va_end (ap);
}

static bool
landlock_ok (const sbx_probes *p)
{
  return p->landlock_abi > 0 && p->seccomp;
}

static void
why_landlock (rbuf *r, const sbx_probes *p)
{
  if (p->landlock_abi <= 0 && !p->seccomp)
    say (r, "no Landlock and no seccomp in this kernel");
  else if (p->landlock_abi <= 0)
    say (r, "no Landlock in this kernel (needs Linux >= 5.13 with landlock in lsm=)");
  else
    say (r, "no seccomp filter support in this kernel");
}

static void
why_bwrap (rbuf *r, const sbx_probes *p)
{
  if (!p->bwrap_probed)
    say (r, "bwrap not tried");
  else if (p->bwrap_error[0])
    say (r, "%s", p->bwrap_error);
  else
    say (r, "bwrap cannot create a sandbox here");
}

static void
why_engine (rbuf *r, const sbx_probes *p)
{
  if (!p->engine_probed)
    say (r, "the Docker engine was not asked");
  else if (p->engine_error[0])
    say (r, "the Docker engine is not reachable: %s", p->engine_error);
  else
    say (r, "the Docker engine is not reachable");
}

static void
landlock_features (rbuf *r, const sbx_probes *p)
{
  say (r, "Landlock ABI %d", p->landlock_abi);
  if (p->landlock_abi >= 6)
    say (r, " (files, TCP, abstract sockets and signals scoped)");
  else if (p->landlock_abi >= 4)
    say (r, " (files and TCP)");
  else
    say (r, " (files; network off enforced by seccomp)");
  say (r, " + seccomp");
}

static void
set (sbx_selection *s, sbx_level level, sbx_backend b, bool seccomp, bool strict)
{
  s->level = level;
  s->backend = b;
  s->seccomp = seccomp;
  s->strict = strict;
}

/* Fill s for level if the level can be had; else write why not into r and
   return false. */
static bool
try_level (sbx_level level, const sbx_probes *p, sbx_selection *s, rbuf *r)
{
  switch (level)
    {
    case SBX_LEVEL_OFF:
      set (s, level, SBX_BACKEND_NONE, false, false);
      say (r, "isolation off: the command runs unconfined");
      return true;

    case SBX_LEVEL_DEFAULT:
      if (p->os == SBX_OS_MACOS)
        {
          if (!p->seatbelt)
            {
              say (r, "default needs Seatbelt, but sandbox-exec is not on this Mac");
              return false;
            }
          set (s, level, SBX_BACKEND_SEATBELT, false, false);
          say (r, "Seatbelt (sandbox-exec) with the workspace profile");
          return true;
        }
      if (landlock_ok (p))
        {
          set (s, level, SBX_BACKEND_LANDLOCK, true, false);
          landlock_features (r, p);
          say (r, " in the child process");
          return true;
        }
      if (p->nsjail)
        {
          set (s, level, SBX_BACKEND_NSJAIL, p->seccomp, false);
          why_landlock (r, p);
          say (r, "; nsjail (namespaces)%s instead", p->seccomp ? " + seccomp" : "");
          return true;
        }
      if (p->bwrap)
        {
          set (s, level, SBX_BACKEND_BWRAP, p->seccomp, false);
          why_landlock (r, p);
          say (r, "; nsjail not installed; bwrap (namespaces)%s instead",
               p->seccomp ? " + seccomp" : "");
          return true;
        }
      if (p->engine)
        {
          set (s, level, SBX_BACKEND_DOCKER, false, false);
          why_landlock (r, p);
          say (r, "; nsjail not installed; ");
          why_bwrap (r, p);
          say (r, "; a hardened Docker container instead");
          return true;
        }
      say (r, "default needs Landlock + seccomp, nsjail, bwrap or a Docker engine: ");
      why_landlock (r, p);
      say (r, "; nsjail not installed; ");
      why_bwrap (r, p);
      say (r, "; ");
      why_engine (r, p);
      return false;

    case SBX_LEVEL_ENHANCED:
      if (p->os == SBX_OS_MACOS)
        {
          if (!p->seatbelt)
            {
              say (r, "enhanced needs Seatbelt, but sandbox-exec is not on this Mac");
              return false;
            }
          set (s, level, SBX_BACKEND_SEATBELT, false, true);
          say (r, "Seatbelt (sandbox-exec) with the strict profile");
          return true;
        }
      if (p->seccomp && p->nsjail)
        {
          set (s, level, SBX_BACKEND_NSJAIL, true, false);
          say (r, "nsjail (namespaces) + seccomp");
          return true;
        }
      if (p->seccomp && p->bwrap)
        {
          set (s, level, SBX_BACKEND_BWRAP, true, false);
          say (r, "bwrap (namespaces) + seccomp; nsjail not installed");
          return true;
        }
      if (landlock_ok (p))
        {
          set (s, level, SBX_BACKEND_LANDLOCK, true, false);
          say (r, "no namespace sandbox (nsjail not installed; ");
          why_bwrap (r, p);
          say (r, "); ");
          landlock_features (r, p);
          say (r, ", the enhanced level's second choice");
          return true;
        }
      say (r, "enhanced needs nsjail or bwrap with seccomp, or Landlock + seccomp: ");
      if (!p->seccomp)
        say (r, "no seccomp filter support in this kernel");
      else
        {
          say (r, "nsjail not installed; ");
          why_bwrap (r, p);
          say (r, "; ");
          why_landlock (r, p);
        }
      return false;

    case SBX_LEVEL_CONTAINER:
      if (p->engine)
        {
          set (s, level, SBX_BACKEND_DOCKER, false, false);
          say (r, "a hardened Docker container (no capabilities, no-new-privileges, network "
                  "off unless allowed)");
          return true;
        }
      say (r, "container needs a Docker engine: ");
      why_engine (r, p);
      return false;

    case SBX_LEVEL_MAXIMUM:
      if (p->engine && p->runsc)
        {
          set (s, level, SBX_BACKEND_DOCKER_RUNSC, false, false);
          say (r, "a hardened Docker container on the runsc runtime (gVisor)");
          return true;
        }
      say (r, "maximum needs a Docker engine with the runsc (gVisor) runtime: ");
      if (!p->engine)
        why_engine (r, p);
      else
        say (r, "the engine does not list runsc among its runtimes (install gVisor and "
                "register it in daemon.json)");
      return false;
    }
  say (r, "unknown isolation level %d", (int) level);
  return false;
}

int
sbx_select (sbx_level level, const sbx_probes *p, bool fallback, sbx_selection *out,
            sbx_error **err)
{
  memset (out, 0, sizeof *out);
  out->requested = level;
  if ((unsigned) level > SBX_LEVEL_MAXIMUM)
    return sbx_fail (err, SBX_ERR_INVALID, "unknown isolation level %d", (int) level);
  rbuf r = { out->reason, sizeof out->reason };
  if (try_level (level, p, out, &r))
    return 0;
  if (!fallback)
    return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                     "isolation level '%s' is not available here: %s; use --fallback to accept "
                     "a weaker level, or see 'sbx doctor'",
                     sbx_level_name (level), out->reason);
  char why[sizeof out->reason];
  snprintf (why, sizeof why, "%s", out->reason);
  for (int l = (int) level - 1; l >= (int) SBX_LEVEL_OFF; l--)
    {
      char given[sizeof out->reason] = "";
      rbuf g = { given, sizeof given };
      if (try_level ((sbx_level) l, p, out, &g))
        {
          out->fallback = true;
          out->requested = level;
          out->reason[0] = '\0';
          say (&r, "%s; --fallback: level %s instead: %s", why, sbx_level_name ((sbx_level) l),
               given);
          return 0;
        }
    }
  /* Not reached: off is always available. */
  return sbx_fail (err, SBX_ERR_UNAVAILABLE, "no isolation level is available: %s", why);
}

bool
sbx_select_needs_bwrap (sbx_level level, const sbx_probes *p, bool fallback)
{
  if (p->os != SBX_OS_LINUX)
    return false;
  switch (level)
    {
    case SBX_LEVEL_OFF:
      return false;
    case SBX_LEVEL_DEFAULT:
      return !landlock_ok (p) && !p->nsjail;
    case SBX_LEVEL_ENHANCED:
      return (p->seccomp && !p->nsjail) || (fallback && !landlock_ok (p) && !p->nsjail);
    case SBX_LEVEL_CONTAINER:
    case SBX_LEVEL_MAXIMUM:
      return fallback;
    }
  return false;
}

bool
sbx_select_needs_engine (sbx_level level, const sbx_probes *p, bool fallback)
{
  switch (level)
    {
    case SBX_LEVEL_OFF:
      return false;
    case SBX_LEVEL_DEFAULT:
      return p->os == SBX_OS_LINUX && !landlock_ok (p) && !p->nsjail && !p->bwrap;
    case SBX_LEVEL_ENHANCED:
      return fallback && p->os == SBX_OS_LINUX && !p->seccomp && !p->nsjail && !p->bwrap;
    case SBX_LEVEL_CONTAINER:
    case SBX_LEVEL_MAXIMUM:
      return true;
    }
  return false;
}

json_t *
sbx_host_report (const sbx_probes *p)
{
  json_t *probes = json_object ();
  json_object_set_new (probes, "os", json_string (p->os == SBX_OS_MACOS ? "macos" : "linux"));
  json_object_set_new (probes, "landlock", json_boolean (p->landlock_abi > 0));
  json_object_set_new (probes, "landlock_abi", json_integer (p->landlock_abi));
  json_object_set_new (probes, "seccomp", json_boolean (p->seccomp));
  json_object_set_new (probes, "bwrap", json_boolean (p->bwrap));
  if (!p->bwrap && (p->bwrap_error[0] || !p->bwrap_probed))
    json_object_set_new (probes, "bwrap_error",
                         json_string (p->bwrap_error[0] ? p->bwrap_error : "not probed"));
  json_object_set_new (probes, "nsjail", json_boolean (p->nsjail));
  json_object_set_new (probes, "seatbelt", json_boolean (p->seatbelt));
  json_object_set_new (probes, "engine", json_boolean (p->engine));
  if (!p->engine && (p->engine_error[0] || !p->engine_probed))
    json_object_set_new (probes, "engine_error",
                         json_string (p->engine_error[0] ? p->engine_error : "not probed"));
  json_object_set_new (probes, "runsc", json_boolean (p->runsc));

  json_t *levels = json_object ();
  for (int l = SBX_LEVEL_OFF; l <= SBX_LEVEL_MAXIMUM; l++)
    {
      sbx_selection s;
      _cleanup_error_ sbx_error *err = NULL;
      json_t *o;
      if (sbx_select ((sbx_level) l, p, false, &s, &err) == 0)
        o = json_pack ("{s:s,s:s,s:b}", "backend", sbx_selection_backend_name (&s), "reason",
                       s.reason, "available", 1);
      else
        {
          o = json_pack ("{s:n,s:s,s:b}", "backend", "reason", s.reason, "available", 0);
          sbx_selection fb;
          _cleanup_error_ sbx_error *err2 = NULL;
          if (sbx_select ((sbx_level) l, p, true, &fb, &err2) == 0)
            json_object_set_new (o, "fallback",
                                 json_pack ("{s:s,s:s,s:s}", "level", sbx_level_name (fb.level),
                                            "backend", sbx_selection_backend_name (&fb),
                                            "reason", fb.reason));
        }
      json_object_set_new (levels, sbx_level_name ((sbx_level) l), o);
    }
  return json_pack ("{s:o,s:o}", "probes", probes, "levels", levels);
}
