/* devcontainer.c: a project's devcontainer.json read as people write it
   (devenv_devcontainer_load in image.h).  Each property of the spec at
   containers.dev is honoured, refused with an error, or named in a
   warning: nothing is dropped without a word.  Widening properties
   (forwardPorts, appPort, initializeCommand; runArgs, capAdd, securityOpt
   within Docker's default capabilities and no-new-privileges=false;
   mounts: binds of host paths that hold nothing of the host's system, the
   engine, the caller's home, the project or sbx, named volumes, tmpfs)
   count only in a file the user trusted (trust.h), where whatever else
   they ask is an error; the others sbx does not honour at all. */
#include "devenv/image/image.h"
#include "devenv/image/jsonc.h"
#include "devenv/labels.h"
#include "devenv/image/readfile.h"
#include "envfilter.h"
#include "trust.h"
#include "userdirs.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DC_MAX (4 * 1024 * 1024)

void
devenv_devcontainer_free (devenv_devcontainer *dc)
{
  if (!dc)
    return;
  free (dc->path);
  free (dc->name);
  free (dc->image);
  strv_free (dc->container_env);
  strv_free (dc->remote_env);
  free (dc->workspace);
  json_decref (dc->lifecycle);
  free (dc->initialize);
  free (dc->ports);
  strv_free (dc->cache_from);
  free (dc->remote_user);
  free (dc->container_user);
  free (dc->user);
  free (dc->hardening_by);
  json_decref (dc->mounts);
  strv_free (dc->features);
  json_decref (dc->feature_options);
  strv_free (dc->warnings);
  free (dc->unusable);
  free (dc);
}

void
devenv_devcontainer_freep (devenv_devcontainer **dc)
{
  devenv_devcontainer_free (*dc);
  *dc = NULL;
}

/* ---- substitution ---- */

typedef struct subst_ctx
{
  const devenv_devcontainer *dc;
  const char *local_folder;
  bool local;               /* replace the local variables (load time) */
  devenv_env_lookup lookup; /* ${containerEnv:VAR}, when not NULL */
  void *ud;
  char ***warnings;
} subst_ctx;

static void warn (char ***w, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
warn (char ***w, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) >= 0)
    {
      strv_append (w, msg);
      free (msg);
    }
  va_end (ap);
}

/* The value of one ${...} (inner: what lies between the braces), or NULL
   to keep it as written. */
static char *
subst_one (const subst_ctx *sc, const char *inner)
{
  if (sc->local)
    {
      if (strcmp (inner, "localWorkspaceFolder") == 0)
        return xstrdup (sc->local_folder);
      if (strcmp (inner, "containerWorkspaceFolder") == 0)
        return xstrdup (sc->dc->workspace);
      if (strcmp (inner, "localWorkspaceFolderBasename") == 0
          || strcmp (inner, "containerWorkspaceFolderBasename") == 0)
        {
          const char *b = strrchr (sc->local_folder, '/');
          return xstrdup (b && b[1] ? b + 1 : sc->local_folder);
        }
      if (strncmp (inner, "localEnv:", 9) == 0 || strncmp (inner, "env:", 4) == 0)
        {
          const char *var = strchr (inner, ':') + 1;
          const char *colon = strchr (var, ':');
          _cleanup_free_ char *name = colon ? xstrndup (var, colon - var) : xstrdup (var);
          const char *v = getenv (name);
          if (v && !sc->dc->trusted && sbx_env_name_sensitive (name, strlen (name)))
            {
              warn (sc->warnings,
                    "%s: ${localEnv:%s} not passed: the variable looks like a credential and "
                    "this file is not trusted; run 'sbx trust' to trust it as it is now",
                    sc->dc->name, name);
              v = NULL;
            }
          return xstrdup (v ? v : colon ? colon + 1 : "");
        }
    }
  if (sc->lookup && strncmp (inner, "containerEnv:", 13) == 0)
    {
      const char *var = inner + 13;
      const char *colon = strchr (var, ':');
      _cleanup_free_ char *name = colon ? xstrndup (var, colon - var) : xstrdup (var);
      const char *v = sc->lookup (name, sc->ud);
      return xstrdup (v ? v : colon ? colon + 1 : "");
    }
  return NULL;
}

static char *
subst (const subst_ctx *sc, const char *s)
{
  size_t cap = strlen (s) + 1, n = 0;
  char *out = xmalloc (cap);
  for (const char *p = s; *p;)
    {
      const char *end = p[0] == '$' && p[1] == '{' ? strchr (p + 2, '}') : NULL;
      _cleanup_free_ char *val = NULL;
      if (end)
        {
          _cleanup_free_ char *inner = xstrndup (p + 2, end - p - 2);
          val = subst_one (sc, inner);
        }
      const char *piece = val ? val : p;
      size_t len = val ? strlen (val) : 1;
      if (n + len + 1 > cap)
        {
          cap = (n + len + 1) * 2;
          out = xrealloc (out, cap);
        }
      memcpy (out + n, piece, len);
      n += len;
      p = val ? end + 1 : p + 1;
    }
  out[n] = '\0';
  return out;
}

char *
devenv_dc_substitute (const char *s, devenv_env_lookup lookup, void *ud)
{
  subst_ctx sc = { .lookup = lookup, .ud = ud };
  return subst (&sc, s);
}

/* Every string inside j substituted in place (lifecycle commands). */
static void
subst_json (const subst_ctx *sc, json_t *j)
{
  size_t i;
  json_t *v;
  const char *k;
  if (json_is_array (j))
    json_array_foreach (j, i, v)
    {
      if (json_is_string (v))
        {
          _cleanup_free_ char *s = subst (sc, json_string_value (v));
          json_array_set_new (j, i, json_string (s));
        }
      else
        subst_json (sc, v);
    }
  else if (json_is_object (j))
    json_object_foreach (j, k, v)
    {
      if (json_is_string (v))
        {
          _cleanup_free_ char *s = subst (sc, json_string_value (v));
          json_object_set_new (j, k, json_string (s));
        }
      else
        subst_json (sc, v);
    }
}

/* ---- the properties ---- */

static const char *const lifecycle_names[]
    = { "onCreateCommand",  "updateContentCommand", "postCreateCommand",
        "postStartCommand", "postAttachCommand",    NULL };

/* A lifecycle command: a non-empty string, an array of strings (argv), or
   an object of those (named commands run in parallel). */
static int
check_command (const char *name, const char *key, json_t *v, bool nested, sbx_error **err)
{
  if (json_is_string (v))
    return 0;
  if (json_is_array (v) && json_array_size (v) > 0)
    {
      size_t i;
      json_t *a;
      json_array_foreach (v, i, a) if (!json_is_string (a)) return sbx_fail (
          err, SBX_ERR_INVALID,
          "%s: \"%s\": an array command holds only strings (the program and "
          "its arguments)",
          name, key);
      return 0;
    }
  if (!nested && json_is_object (v))
    {
      const char *k;
      json_t *c;
      json_object_foreach (v, k, c) if (check_command (name, key, c, true, err) < 0) return -1;
      return 0;
    }
  return sbx_fail (err, SBX_ERR_INVALID,
                   "%s: \"%s\" must be a string (run by a shell), a non-empty array (the "
                   "program and its arguments)%s",
                   name, key, nested ? "" : " or an object of those (run in parallel)");
}

static int
env_object (const subst_ctx *sc, const char *name, const char *key, json_t *v, char ***out,
            sbx_error **err)
{
  *out = xcalloc (1, sizeof **out);
  if (!v)
    return 0;
  if (!json_is_object (v))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"%s\" must be an object of strings", name, key);
  const char *k;
  json_t *x;
  json_object_foreach (v, k, x)
  {
    if (!json_is_string (x) && !json_is_null (x))
      return sbx_fail (err, SBX_ERR_INVALID, "%s: \"%s\".\"%s\" must be a string", name, key, k);
    if (!*k || strchr (k, '='))
      return sbx_fail (err, SBX_ERR_INVALID, "%s: \"%s\": \"%s\" is not a variable name", name, key,
                       k);
    if (json_is_null (x))
      continue;
    _cleanup_free_ char *val = subst (sc, json_string_value (x));
    _cleanup_free_ char *kv = xasprintf ("%s=%s", k, val);
    strv_append (out, kv);
  }
  return 0;
}

/* A port of forwardPorts or appPort: a number, "1234", or "host:1234"
   (a port of another service: not published). */
static int
add_port (devenv_devcontainer *dc, const char *key, json_t *v, sbx_error **err)
{
  long port = -1;
  if (json_is_integer (v))
    port = (long) json_integer_value (v);
  else if (json_is_string (v))
    {
      const char *s = json_string_value (v);
      char *end = NULL;
      port = strtol (s, &end, 10);
      if (end == s || *end)
        {
          warn (&dc->warnings,
                "%s: \"%s\": \"%s\" not published: sbx publishes ports of the "
                "project container only",
                dc->name, key, s);
          return 0;
        }
    }
  if (port < 1 || port > 65535)
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"%s\" holds a port that is not in 1..65535",
                     dc->name, key);
  for (size_t i = 0; i < dc->n_ports; i++)
    if (dc->ports[i] == (int) port)
      return 0;
  dc->ports = xrealloc (dc->ports, (dc->n_ports + 1) * sizeof *dc->ports);
  dc->ports[dc->n_ports++] = (int) port;
  return 0;
}

static int
ports (devenv_devcontainer *dc, json_t *j, sbx_error **err)
{
  const char *keys[] = { "forwardPorts", "appPort" };
  for (int k = 0; k < 2; k++)
    {
      json_t *v = json_object_get (j, keys[k]);
      if (!v)
        continue;
      if (!dc->trusted)
        {
          warn (&dc->warnings,
                "%s: \"%s\" not honoured: publishing ports widens isolation and this file is "
                "not trusted; run 'sbx trust' to trust it as it is now (or use 'sbx up -p PORT')",
                dc->name, keys[k]);
          continue;
        }
      if (json_is_array (v))
        {
          size_t i;
          json_t *x;
          json_array_foreach (v, i, x) if (add_port (dc, keys[k], x, err) < 0) return -1;
        }
      else if (add_port (dc, keys[k], v, err) < 0)
        return -1;
    }
  return 0;
}

static int
string_or_null (const char *name, json_t *j, const char *key, char **out, sbx_error **err)
{
  json_t *v = json_object_get (j, key);
  if (!v)
    return 0;
  if (!json_is_string (v))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"%s\" must be a string", name, key);
  *out = xstrdup (json_string_value (v));
  return 0;
}

/* initializeCommand: on the host, so only from a trusted file; as one
   shell command line. */
static int
initialize (devenv_devcontainer *dc, json_t *v, sbx_error **err)
{
  if (!v)
    return 0;
  if (check_command (dc->name, "initializeCommand", v, false, err) < 0)
    return -1;
  if (!dc->trusted)
    {
      warn (&dc->warnings,
            "%s: \"initializeCommand\" not run: it runs on the host, outside any sandbox, and "
            "this file is not trusted; run 'sbx trust' to trust it as it is now",
            dc->name);
      return 0;
    }
  if (json_is_object (v))
    {
      warn (&dc->warnings,
            "%s: \"initializeCommand\" not run: sbx runs it on the host as a string or an "
            "array, not as an object of named commands",
            dc->name);
      return 0;
    }
  if (json_is_string (v))
    {
      dc->initialize = xstrdup (json_string_value (v));
      return 0;
    }
  /* argv: each word quoted for the shell. */
  _cleanup_free_ char *line = xstrdup ("");
  size_t i;
  json_t *a;
  json_array_foreach (v, i, a)
  {
    _cleanup_free_ char *q = xstrdup ("'");
    for (const char *s = json_string_value (a); *s; s++)
      {
        char *n = *s == '\'' ? xasprintf ("%s'\\''", q) : xasprintf ("%s%c", q, *s);
        free (q);
        q = n;
      }
    char *n = xasprintf ("%s%s%s'", line, i ? " " : "", q);
    free (line);
    line = n;
  }
  dc->initialize = steal_pointer (&line);
  return 0;
}

/* features: local folders ("./features/foo") with devcontainer-feature.json
   and install.sh; anything else would be fetched from a registry. */
static int
features (devenv_devcontainer *dc, const char *project_dir, const char *cfgdir, json_t *v,
          sbx_error **err)
{
  dc->features = xcalloc (1, sizeof *dc->features);
  dc->feature_options = json_array ();
  if (!v)
    return 0;
  if (!json_is_object (v))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"features\" must be an object", dc->name);
  const char *id;
  json_t *opts;
  json_object_foreach (v, id, opts)
  {
    if (strncmp (id, "./", 2) != 0 && strncmp (id, "../", 3) != 0)
      {
        if (!dc->unusable)
          dc->unusable = xasprintf (
              "%s: feature \"%s\" would be fetched from a registry, which sbx does not do; "
              "copy it into the project (a folder with devcontainer-feature.json and "
              "install.sh) and name it \"./...\"",
              dc->name, id);
        continue;
      }
    char real[PATH_MAX];
    _cleanup_free_ char *dir = xasprintf ("%s/%s", cfgdir, id);
    size_t n = strlen (project_dir);
    if (!realpath (dir, real) || strncmp (real, project_dir, n) != 0
        || (real[n] != '/' && real[n] != '\0'))
      return sbx_fail (err, SBX_ERR_INVALID,
                       "%s: feature \"%s\": %s is not a folder inside the project", dc->name, id,
                       dir);
    _cleanup_free_ char *meta = xasprintf ("%s/devcontainer-feature.json", real);
    _cleanup_free_ char *install = xasprintf ("%s/install.sh", real);
    struct stat st;
    if (stat (meta, &st) < 0 || stat (install, &st) < 0)
      return sbx_fail (err, SBX_ERR_INVALID,
                       "%s: feature \"%s\" needs devcontainer-feature.json and install.sh in %s",
                       dc->name, id, real);
    if (!json_is_object (opts) && !json_is_string (opts) && !json_is_boolean (opts))
      return sbx_fail (err, SBX_ERR_INVALID,
                       "%s: feature \"%s\": its options must be an object (or a version string)",
                       dc->name, id);
    strv_append (&dc->features, real);
    json_array_append_new (dc->feature_options,
                           json_is_object (opts) ? json_deep_copy (opts) : json_object ());
  }
  return 0;
}

/* ---- what widens the container: trusted files only ---- */

static const char *const default_caps[] = { DEVENV_DOCKER_DEFAULT_CAPS, NULL };

#define HARDENING_HINT                                                                             \
  "sbx takes only Docker's default capabilities (" DEVENV_DOCKER_DEFAULT_CAPS_TEXT                 \
  ") and no-new-privileges=false; remove it"

static void
asked (devenv_devcontainer *dc, const char *key)
{
  if (!dc->hardening_by)
    dc->hardening_by = xasprintf ("%s \"%s\"", dc->name, key);
}

/* A capability of --cap-add or capAdd: one of Docker's default set. */
static int
cap_add (devenv_devcontainer *dc, const char *key, const char *cap, sbx_error **err)
{
  const char *c = strncasecmp (cap, "CAP_", 4) == 0 ? cap + 4 : cap;
  for (size_t i = 0; default_caps[i]; i++)
    if (strcasecmp (c, default_caps[i]) == 0)
      {
        dc->docker_caps = true;
        asked (dc, key);
        return 0;
      }
  return sbx_fail (err, SBX_ERR_INVALID,
                   "%s: \"%s\": capability %s is not allowed: it is not one of Docker's default "
                   "capabilities; " HARDENING_HINT,
                   dc->name, key, cap);
}

/* A --security-opt or securityOpt value: only no-new-privileges. */
static int
security_opt (devenv_devcontainer *dc, const char *key, const char *opt, sbx_error **err)
{
  static const char *const off[] = { "no-new-privileges=false", "no-new-privileges:false", NULL };
  static const char *const on[]
      = { "no-new-privileges", "no-new-privileges=true", "no-new-privileges:true", NULL };
  for (size_t i = 0; off[i]; i++)
    if (strcmp (opt, off[i]) == 0)
      {
        dc->no_new_privileges = 0;
        dc->docker_caps = true;
        asked (dc, key);
        return 0;
      }
  for (size_t i = 0; on[i]; i++)
    if (strcmp (opt, on[i]) == 0)
      {
        dc->no_new_privileges = 1;
        return 0;
      }
  return sbx_fail (err, SBX_ERR_INVALID,
                   "%s: \"%s\": security option \"%s\" is not allowed: %s; " HARDENING_HINT,
                   dc->name, key, opt,
                   strncmp (opt, "seccomp", 7) == 0 || strncmp (opt, "apparmor", 8) == 0
                           || strncmp (opt, "label", 5) == 0
                       ? "it would turn a confinement off or replace it"
                       : "sbx does not know it");
}

/* Why a docker run option is refused. */
static const char *
run_arg_why (const char *name)
{
  if (strcmp (name, "--privileged") == 0)
    return "a privileged container has every capability and the host's devices";
  if (strcmp (name, "--pid") == 0 || strcmp (name, "--network") == 0 || strcmp (name, "--net") == 0
      || strcmp (name, "--ipc") == 0 || strcmp (name, "--uts") == 0
      || strcmp (name, "--userns") == 0 || strcmp (name, "--cgroupns") == 0)
    return "sbx chooses the container's namespaces (the network: \"allow_network\" in the "
           "configuration)";
  if (strcmp (name, "-v") == 0 || strcmp (name, "--volume") == 0 || strcmp (name, "--mount") == 0
      || strcmp (name, "--volumes-from") == 0)
    return "give mounts in \"mounts\" (a bind of a directory, a volume or a tmpfs)";
  if (strcmp (name, "--device") == 0 || strcmp (name, "--device-cgroup-rule") == 0
      || strcmp (name, "--gpus") == 0)
    return "it gives the container a device of the host";
  return "sbx does not pass docker run options through";
}

/* runArgs: "--cap-add X", "--cap-add=X", "--security-opt V",
   "--security-opt=V"; any other option is an error. */
static int
run_args (devenv_devcontainer *dc, json_t *v, sbx_error **err)
{
  if (!json_is_array (v))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"runArgs\" must be an array of strings", dc->name);
  size_t n = json_array_size (v);
  for (size_t i = 0; i < n; i++)
    {
      const char *a = json_string_value (json_array_get (v, i));
      if (!a)
        return sbx_fail (err, SBX_ERR_INVALID, "%s: \"runArgs\" must be an array of strings",
                         dc->name);
      const char *eq = strchr (a, '=');
      _cleanup_free_ char *name = eq ? xstrndup (a, eq - a) : xstrdup (a);
      bool cap = strcmp (name, "--cap-add") == 0, sec = strcmp (name, "--security-opt") == 0;
      if (!cap && !sec)
        return sbx_fail (
            err, SBX_ERR_INVALID,
            "%s: \"runArgs\": option \"%s\" is not allowed: %s; sbx takes only "
            "--cap-add with Docker's default capabilities (" DEVENV_DOCKER_DEFAULT_CAPS_TEXT
            ") and --security-opt no-new-privileges=false from runArgs; remove it",
            dc->name, a, run_arg_why (name));
      const char *val = eq ? eq + 1 : NULL;
      if (!val)
        {
          val = i + 1 < n ? json_string_value (json_array_get (v, i + 1)) : NULL;
          if (!val)
            return sbx_fail (err, SBX_ERR_INVALID, "%s: \"runArgs\": \"%s\" needs a value",
                             dc->name, a);
          i++;
        }
      if ((cap ? cap_add (dc, "runArgs", val, err) : security_opt (dc, "runArgs", val, err)) < 0)
        return -1;
    }
  return 0;
}

static int
string_list (devenv_devcontainer *dc, const char *key, json_t *v,
             int (*each) (devenv_devcontainer *, const char *, const char *, sbx_error **),
             sbx_error **err)
{
  if (!json_is_array (v))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"%s\" must be an array of strings", dc->name, key);
  size_t i;
  json_t *x;
  json_array_foreach (v, i, x)
  {
    if (!json_is_string (x))
      return sbx_fail (err, SBX_ERR_INVALID, "%s: \"%s\" must be an array of strings", dc->name,
                       key);
    if (each (dc, key, json_string_value (x), err) < 0)
      return -1;
  }
  return 0;
}

/* runArgs, capAdd, securityOpt, privileged: honoured (the safe subset)
   in a trusted file, else a warning each. */
static int
hardening (devenv_devcontainer *dc, json_t *j, sbx_error **err)
{
  dc->no_new_privileges = -1;
  static const char *const keys[] = { "runArgs", "capAdd", "securityOpt", "privileged", NULL };
  for (size_t k = 0; keys[k]; k++)
    {
      json_t *v = json_object_get (j, keys[k]);
      if (!v)
        continue;
      if (k == 3 && !json_is_boolean (v))
        return sbx_fail (err, SBX_ERR_INVALID, "%s: \"privileged\" must be true or false",
                         dc->name);
      if (k == 3 && json_is_false (v))
        continue;
      if (!dc->trusted)
        {
          warn (&dc->warnings,
                "%s: \"%s\" not honoured: it widens isolation and this file is not trusted; run "
                "'sbx trust' to trust it as it is now",
                dc->name, keys[k]);
          continue;
        }
      int r = 0;
      switch (k)
        {
        case 0:
          r = run_args (dc, v, err);
          break;
        case 1:
          r = string_list (dc, "capAdd", v, cap_add, err);
          break;
        case 2:
          r = string_list (dc, "securityOpt", v, security_opt, err);
          break;
        default:
          r = sbx_fail (err, SBX_ERR_INVALID,
                        "%s: \"privileged\": true is not allowed: a privileged container has "
                        "every capability and the host's devices; " HARDENING_HINT,
                        dc->name);
        }
      if (r < 0)
        return -1;
    }
  return 0;
}

/* ---- mounts: trusted files only ---- */

/* Is p equal to dir or below it?  Both absolute, without a trailing '/'
   (dir "/" holds everything). */
static bool
path_within (const char *p, const char *dir)
{
  size_t n = strlen (dir);
  if (strcmp (dir, "/") == 0)
    return true;
  return strncmp (p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* dir resolved when it exists, else as given (allocated; NULL stays). */
static char *
resolved (const char *dir)
{
  char real[PATH_MAX];
  if (!dir)
    return NULL;
  return xstrdup (realpath (dir, real) ? real : dir);
}

/* Why the host path src (resolved) may not be bound, or NULL. */
static char *
bind_source_refused (const char *src, const char *project_dir)
{
  if (strcmp (src, "/") == 0)
    return xstrdup ("it is the host's root");
  static const char *const system[] = { "/proc", "/sys", "/dev", "/run", "/var/run", NULL };
  for (size_t i = 0; system[i]; i++)
    if (path_within (src, system[i]))
      return xasprintf ("it is in %s (the host's kernel, devices or the engine's socket)",
                        system[i]);
  const char *dh = getenv ("DOCKER_HOST");
  if (dh && strncmp (dh, "unix://", 7) == 0)
    {
      _cleanup_free_ char *sock = resolved (dh + 7);
      if (path_within (sock, src))
        return xasprintf ("it is or holds the engine's socket %s", sock);
    }
  _cleanup_free_ char *home_raw = sbx_user_home ();
  _cleanup_free_ char *home = resolved (home_raw);
  if (home && path_within (home, src))
    return xasprintf ("it is your home %s or holds it", home);
  if (path_within (project_dir, src))
    return xstrdup ("it is the project or holds it (the project's protected paths would be "
                    "writable there)");
  if (path_within (src, project_dir))
    return xstrdup ("it is inside the project, which is mounted at its own path already");
  /* sbx's own directories: the trust store, the locks and agent sockets,
     the projects' user files (devenv_project_data_dir's base). */
  char *dirs[4] = { sbx_user_config_dir (), NULL, NULL, NULL };
  sbx_error *e = NULL;
  if (sbx_state_dir (&dirs[1], &e) < 0)
    sbx_error_free (e), e = NULL;
  if (sbx_run_dir (&dirs[2], &e) < 0)
    sbx_error_free (e), e = NULL;
  dirs[3] = sbx_user_data_dir ();
  char *why = NULL;
  for (size_t i = 0; i < 4; i++)
    {
      _cleanup_free_ char *d = resolved (dirs[i]);
      if (!why && d && (path_within (src, d) || path_within (d, src)))
        why = xasprintf ("it is, is in or holds sbx's own directory %s (its trust store, "
                         "agent sockets and project files)",
                         d);
      free (dirs[i]);
    }
  return why;
}

/* Why target may not be a mount's target, or NULL. */
static const char *
target_refused (const char *t, const char *project_dir)
{
  if (t[0] != '/' || strstr (t, "/./") || strstr (t, "/../") || strstr (t, "//")
      || (strlen (t) >= 2 && (strcmp (t + strlen (t) - 2, "/.") == 0))
      || (strlen (t) >= 3 && strcmp (t + strlen (t) - 3, "/..") == 0))
    return "the target must be an absolute path without \".\", \"..\" or \"//\"";
  if (strchr (t, ':'))
    return "the target holds a ':', which the engine's volume syntax cannot carry";
  if (strcmp (t, "/") == 0)
    return "the target is the container's root";
  if (path_within (t, project_dir))
    return "the target is the project or inside it (it would hide or replace the project's "
           "files and protected paths)";
  if (path_within (project_dir, t))
    return "the target holds the project (it would hide it)";
  if (path_within (t, "/.sbx"))
    return "the target is sbx's own /.sbx (sbx-agent and its socket)";
  static const char *const system[] = { "/proc", "/sys", "/dev", NULL };
  for (size_t i = 0; system[i]; i++)
    if (path_within (t, system[i]))
      return "the target is in /proc, /sys or /dev, which the runtime mounts";
  return NULL;
}

static bool
volume_name_ok (const char *s)
{
  if (!s || !*s || strlen (s) > 64 || !(isalnum ((unsigned char) s[0])))
    return false;
  for (; *s; s++)
    if (!isalnum ((unsigned char) *s) && !strchr ("_.-", *s))
      return false;
  return true;
}

/* A "true"/"false"-like option value; -1: neither. */
static int
bool_value (const char *v)
{
  if (!v || strcmp (v, "true") == 0 || strcmp (v, "1") == 0)
    return 1;
  if (strcmp (v, "false") == 0 || strcmp (v, "0") == 0)
    return 0;
  return -1;
}

#define MOUNTS_HINT                                                                                \
  "sbx takes type=bind of a host directory or file, type=volume with a name, or type=tmpfs, "      \
  "with readonly; fix or remove the entry"

/* One entry of mounts, as written (text, for messages), into the engine's
   Mount object appended to dc->mounts. */
static int
mount_entry (devenv_devcontainer *dc, const subst_ctx *sc, const char *project_dir, json_t *v,
             sbx_error **err)
{
  _cleanup_free_ char *text = json_is_string (v) ? xstrdup (json_string_value (v))
                                                 : json_dumps (v, JSON_COMPACT | JSON_SORT_KEYS);
  _cleanup_free_ char *type = NULL, *source = NULL, *target = NULL;
  int ro = 0;
#define BAD(...) sbx_fail (err, SBX_ERR_INVALID, "%s: \"mounts\": entry \"%s\": " __VA_ARGS__)
  if (json_is_string (v))
    {
      _cleanup_free_ char *s = subst (sc, json_string_value (v));
      char *save = NULL;
      for (char *item = strtok_r (s, ",", &save); item; item = strtok_r (NULL, ",", &save))
        {
          char *eq = strchr (item, '=');
          if (eq)
            *eq = '\0';
          const char *val = eq ? eq + 1 : NULL;
          char **slot = NULL;
          if (strcmp (item, "type") == 0)
            slot = &type;
          else if (strcmp (item, "source") == 0 || strcmp (item, "src") == 0)
            slot = &source;
          else if (strcmp (item, "target") == 0 || strcmp (item, "dst") == 0
                   || strcmp (item, "destination") == 0)
            slot = &target;
          else if (strcmp (item, "readonly") == 0 || strcmp (item, "ro") == 0)
            {
              if ((ro = bool_value (val)) < 0)
                return BAD ("\"%s=%s\" must be true or false; " MOUNTS_HINT, dc->name, text, item,
                            val);
              continue;
            }
          else if (strcmp (item, "consistency") == 0)
            continue; /* macOS only: no effect on Linux, as with docker */
          else
            return BAD ("option \"%s\" is not allowed; " MOUNTS_HINT, dc->name, text, item);
          if (!val || !*val)
            return BAD ("\"%s\" needs a value; " MOUNTS_HINT, dc->name, text, item);
          free (*slot);
          *slot = xstrdup (val);
        }
    }
  else if (json_is_object (v))
    {
      const char *k;
      json_t *x;
      json_object_foreach (v, k, x)
      {
        char **slot = strcmp (k, "type") == 0     ? &type
                      : strcmp (k, "source") == 0 ? &source
                      : strcmp (k, "target") == 0 ? &target
                                                  : NULL;
        if (!slot)
          return BAD ("property \"%s\" is not allowed (an object has type, source and "
                      "target); " MOUNTS_HINT,
                      dc->name, text, k);
        if (!json_is_string (x))
          return BAD ("\"%s\" must be a string", dc->name, text, k);
        *slot = subst (sc, json_string_value (x));
      }
    }
  else
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s: \"mounts\" holds strings (\"source=...,target=...,type=...\") or "
                     "objects ({\"source\", \"target\", \"type\"})",
                     dc->name);

  if (!target)
    return BAD ("it has no target; " MOUNTS_HINT, dc->name, text);
  size_t tl = strlen (target);
  while (tl > 1 && target[tl - 1] == '/')
    target[--tl] = '\0';
  const char *why = target_refused (target, project_dir);
  if (why)
    return BAD ("%s; choose another target", dc->name, text, why);
  size_t i;
  json_t *m;
  json_array_foreach (dc->mounts, i, m)
  {
    if (strcmp (json_string_value (json_object_get (m, "Target")), target) == 0)
      return BAD ("another entry has the target %s; remove one", dc->name, text, target);
  }
  json_t *mount = NULL;
  if (!type || strcmp (type, "volume") == 0)
    {
      if (!source)
        return BAD ("an anonymous volume is not taken; give it a name (source=NAME): sbx keeps it "
                    "as the project's until 'sbx down --volumes'",
                    dc->name, text);
      if (!volume_name_ok (source))
        return BAD ("\"%s\" is not a volume name (letters, digits, '_', '.', '-'; a host path "
                    "needs type=bind)",
                    dc->name, text, source);
      mount = json_pack ("{s:s,s:s,s:s,s:b}", "Type", "volume", "Source", source, "Target", target,
                         "ReadOnly", ro);
    }
  else if (strcmp (type, "bind") == 0)
    {
      if (!source)
        return BAD ("a bind needs a source (a host directory or file)", dc->name, text);
      char real[PATH_MAX];
      struct stat st;
      if (source[0] != '/')
        return BAD ("the source %s is not an absolute path; use ${localWorkspaceFolder} or "
                    "${localEnv:HOME} to start it",
                    dc->name, text, source);
      if (!realpath (source, real) || stat (real, &st) < 0)
        return BAD ("the source %s cannot be used (%s); create it or remove the entry", dc->name,
                    text, source, strerror (errno));
      _cleanup_free_ char *refused = bind_source_refused (real, project_dir);
      if (refused)
        return BAD ("the source %s may not be mounted: %s; bind a directory of its own instead",
                    dc->name, text, real, refused);
      if (!S_ISDIR (st.st_mode) && !S_ISREG (st.st_mode))
        return BAD ("the source %s is not a directory or a regular file; remove the entry",
                    dc->name, text, real);
      mount = json_pack ("{s:s,s:s,s:s,s:b}", "Type", "bind", "Source", real, "Target", target,
                         "ReadOnly", ro);
    }
  else if (strcmp (type, "tmpfs") == 0)
    {
      if (source)
        return BAD ("a tmpfs takes no source; remove it", dc->name, text);
      mount = json_pack ("{s:s,s:s,s:b}", "Type", "tmpfs", "Target", target, "ReadOnly", ro);
    }
  else
    return BAD ("type \"%s\" is not allowed; " MOUNTS_HINT, dc->name, text, type);
#undef BAD
  json_array_append_new (dc->mounts, mount);
  return 0;
}

/* mounts: the safe subset (mount_entry) in a trusted file, else a warning. */
static int
mounts (devenv_devcontainer *dc, const subst_ctx *sc, const char *project_dir, json_t *v,
        sbx_error **err)
{
  if (!v)
    return 0;
  if (!json_is_array (v))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"mounts\" must be an array", dc->name);
  if (!dc->trusted)
    {
      warn (&dc->warnings,
            "%s: \"mounts\" not honoured: it widens isolation and this file is not trusted; run "
            "'sbx trust' to trust it as it is now",
            dc->name);
      return 0;
    }
  dc->mounts = json_array ();
  size_t i;
  json_t *x;
  json_array_foreach (v, i, x)
  {
    if (mount_entry (dc, sc, project_dir, x, err) < 0)
      return -1;
  }
  if (json_array_size (dc->mounts) == 0)
    {
      json_decref (dc->mounts);
      dc->mounts = NULL;
    }
  return 0;
}

/* The properties sbx reads without needing to do anything, and those it
   does not honour, with why. */
static const struct
{
  const char *key, *why;
} not_honoured[] = {
  { "init", "sbx-agent is always the container's init" },
  { "overrideCommand", "sbx-agent is always the container's main process" },
  { "shutdownAction", "the container runs until 'sbx down'" },
  { "userEnvProbe", "the environment is containerEnv and remoteEnv" },
  { "hostRequirements", "not checked" },
  { "waitFor", "sbx waits for every create-time command before the container serves" },
  { "portsAttributes", "ports are published as they are listed" },
  { "otherPortsAttributes", "ports are published as they are listed" },
  { "overrideFeatureInstallOrder", "features install in the order they are listed" },
  { "customizations", "editor settings: sbx has no editor" },
  { "workspaceMount", "the project is mounted at its own path" },
  { NULL, NULL },
};

static const char *const known[] = { "name",
                                     "$schema",
                                     "image",
                                     "build",
                                     "dockerFile",
                                     "context",
                                     "dockerComposeFile",
                                     "service",
                                     "runServices",
                                     "containerEnv",
                                     "remoteEnv",
                                     "workspaceFolder",
                                     "forwardPorts",
                                     "appPort",
                                     "initializeCommand",
                                     "features",
                                     "onCreateCommand",
                                     "updateContentCommand",
                                     "postCreateCommand",
                                     "postStartCommand",
                                     "postAttachCommand",
                                     "runArgs",
                                     "capAdd",
                                     "securityOpt",
                                     "privileged",
                                     "remoteUser",
                                     "containerUser",
                                     "updateRemoteUserUID",
                                     "mounts",
                                     NULL };

static bool
in_list (const char *const *l, const char *k)
{
  for (; *l; l++)
    if (strcmp (*l, k) == 0)
      return true;
  return false;
}

static void
unhonoured (devenv_devcontainer *dc, json_t *j)
{
  const char *k;
  json_t *v;
  json_object_foreach (j, k, v)
  {
    if (in_list (known, k))
      continue;
    const char *why = NULL;
    for (size_t i = 0; not_honoured[i].key; i++)
      if (strcmp (not_honoured[i].key, k) == 0)
        why = not_honoured[i].why;
    warn (&dc->warnings, "%s: \"%s\" not honoured: %s", dc->name, k,
          why ? why : "sbx does not know this property");
  }
  json_t *build = json_object_get (j, "build");
  json_object_foreach (build, k, v) if (strcmp (k, "options") == 0)
      warn (&dc->warnings,
            "%s: \"build.options\" not honoured: docker build options are not "
            "passed through",
            dc->name);
  else if (!in_list ((const char *const[]){ "dockerfile", "context", "args", "target", "cacheFrom",
                                            NULL },
                     k))
      warn (&dc->warnings, "%s: \"build.%s\" not honoured: sbx does not know this property",
            dc->name, k);
}

static int
parse (devenv_devcontainer *dc, const char *project_dir, json_t *j, sbx_error **err)
{
  const char *name = dc->name;
  if (!json_is_object (j))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: the top level must be an object", name);
  if (json_object_get (j, "dockerComposeFile"))
    {
      /* Its environment, commands and ports are the Compose service's: none
         of it is the project container's. */
      dc->compose = true;
      dc->workspace = xstrdup (project_dir);
      dc->lifecycle = json_object ();
      dc->container_env = xcalloc (1, sizeof (char *));
      dc->remote_env = xcalloc (1, sizeof (char *));
      dc->cache_from = xcalloc (1, sizeof (char *));
      dc->features = xcalloc (1, sizeof (char *));
      dc->feature_options = json_array ();
      dc->update_remote_user_uid = -1;
      dc->no_new_privileges = -1;
      dc->unusable = xasprintf (
          "%s: \"dockerComposeFile\": Docker Compose projects are out of sbx's scope; give the "
          "service's Dockerfile as \"build\": {\"dockerfile\": ...} or its image as \"image\"",
          name);
      return 0;
    }
  if (string_or_null (name, j, "image", &dc->image, err) < 0)
    return -1;
  if (dc->image && !*dc->image)
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"image\" must not be empty", name);
  json_t *cf = json_object_get (json_object_get (j, "build"), "cacheFrom");
  dc->cache_from = xcalloc (1, sizeof *dc->cache_from);
  if (json_is_string (cf))
    strv_append (&dc->cache_from, json_string_value (cf));
  else if (json_is_array (cf))
    {
      size_t i;
      json_t *x;
      json_array_foreach (cf, i, x)
      {
        if (!json_is_string (x))
          return sbx_fail (err, SBX_ERR_INVALID,
                           "%s: \"build.cacheFrom\" must be a string or an array of strings", name);
        strv_append (&dc->cache_from, json_string_value (x));
      }
    }
  else if (cf)
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s: \"build.cacheFrom\" must be a string or an array of strings", name);

  /* The project is mounted at its own path: that is the container's
     workspace folder; workspaceFolder may name a directory inside it. */
  dc->workspace = xstrdup (project_dir);
  subst_ctx sc
      = { .dc = dc, .local_folder = project_dir, .local = true, .warnings = &dc->warnings };
  json_t *wf = json_object_get (j, "workspaceFolder");
  if (wf && !json_is_string (wf))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"workspaceFolder\" must be a string", name);
  if (wf)
    {
      _cleanup_free_ char *w = subst (&sc, json_string_value (wf));
      size_t n = strlen (project_dir);
      if (strncmp (w, project_dir, n) == 0 && (w[n] == '\0' || w[n] == '/') && !strstr (w, "/.."))
        {
          free (dc->workspace);
          dc->workspace = steal_pointer (&w);
        }
      else
        warn (&dc->warnings,
              "%s: \"workspaceFolder\" not honoured: sbx mounts the project at its own path, "
              "%s (${containerWorkspaceFolder}), and works there, not in %s",
              name, project_dir, w);
    }
  if (env_object (&sc, name, "containerEnv", json_object_get (j, "containerEnv"),
                  &dc->container_env, err)
          < 0
      || env_object (&sc, name, "remoteEnv", json_object_get (j, "remoteEnv"), &dc->remote_env, err)
             < 0)
    return -1;
  dc->lifecycle = json_object ();
  for (size_t i = 0; lifecycle_names[i]; i++)
    {
      json_t *v = json_object_get (j, lifecycle_names[i]);
      if (!v)
        continue;
      if (check_command (name, lifecycle_names[i], v, false, err) < 0)
        return -1;
      json_t *copy = json_deep_copy (v);
      if (json_is_string (copy))
        {
          _cleanup_free_ char *s = subst (&sc, json_string_value (copy));
          json_decref (copy);
          copy = json_string (s);
        }
      else
        subst_json (&sc, copy);
      json_object_set_new (dc->lifecycle, lifecycle_names[i], copy);
    }
  if (string_or_null (name, j, "remoteUser", &dc->remote_user, err) < 0
      || string_or_null (name, j, "containerUser", &dc->container_user, err) < 0)
    return -1;
  json_t *uu = json_object_get (j, "updateRemoteUserUID");
  if (uu && !json_is_boolean (uu))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"updateRemoteUserUID\" must be true or false",
                     name);
  dc->update_remote_user_uid = uu ? json_is_true (uu) : -1;
  if (dc->update_remote_user_uid == 0)
    warn (&dc->warnings,
          "%s: \"updateRemoteUserUID\": false not honoured: sbx always gives the container user "
          "your uid:gid (so that the project's files stay yours)",
          name);
  /* The user commands run as: remoteUser, else containerUser, renumbered
     to the caller's uid/gid.  Root is root's alone: another caller runs
     as itself, under its own name. */
  const char *user = dc->remote_user ? dc->remote_user : dc->container_user;
  if (user && strcmp (user, "root") == 0 && getuid () != 0)
    warn (
        &dc->warnings,
        "%s: \"%s\": \"root\" not honoured: commands run as your uid:gid (%u:%u) under your "
        "login name; install as root in the Dockerfile (or ask for sudo: \"container_hardening\")",
        name, dc->remote_user ? "remoteUser" : "containerUser", (unsigned) getuid (),
        (unsigned) getgid ());
  else if (user && *user)
    dc->user = xstrdup (user);
  _cleanup_free_ char *cfgdir = xstrdup (dc->path);
  *strrchr (cfgdir, '/') = '\0';
  if (ports (dc, j, err) < 0 || initialize (dc, json_object_get (j, "initializeCommand"), err) < 0
      || features (dc, project_dir, cfgdir, json_object_get (j, "features"), err) < 0
      || hardening (dc, j, err) < 0
      || mounts (dc, &sc, project_dir, json_object_get (j, "mounts"), err) < 0)
    return -1;
  unhonoured (dc, j);
  return 0;
}

int
devenv_devcontainer_load (const char *project_dir, devenv_devcontainer **out, sbx_error **err)
{
  *out = NULL;
  const char *const configs[] = { ".devcontainer/devcontainer.json", ".devcontainer.json" };
  for (size_t i = 0; i < 2; i++)
    {
      _cleanup_free_ char *path = xasprintf ("%s/%s", project_dir, configs[i]);
      struct stat st;
      if (stat (path, &st) < 0)
        continue;
      _cleanup_free_ char *text = NULL;
      size_t len = 0;
      if (devenv_read_file (path, "the devcontainer configuration", DC_MAX, &text, &len, err) < 0)
        return -1;
      devenv_devcontainer *dc = xcalloc (1, sizeof *dc);
      _cleanup_devcontainer_ devenv_devcontainer *own = dc;
      dc->path = steal_pointer (&path);
      dc->name = xstrdup (configs[i]);
      dc->warnings = xcalloc (1, sizeof *dc->warnings);
      dc->trusted = sbx_trust_check (dc->path, text, len);
      _cleanup_json_ json_t *j = NULL;
      if (devenv_jsonc_parse (text, len, dc->name, &j, err) < 0
          || parse (dc, project_dir, j, err) < 0)
        return -1;
      *out = steal_pointer (&own);
      return 0;
    }
  return 0;
}
