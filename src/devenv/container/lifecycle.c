/* lifecycle.c: what a devcontainer.json asks of the project container
   once it runs (devenv_runtime in container.h): its lifecycle commands, in
   the three forms of the spec (a string through /bin/sh -c, an array as
   argv, an object of those run in parallel), and the published ports as
   labels keep them. */
#include "devenv/container/container.h"
#include "sha256.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The lifecycle commands in the spec's order. */
static const char *const steps[]
    = { "onCreateCommand",  "updateContentCommand", "postCreateCommand",
        "postStartCommand", "postAttachCommand",    NULL };

char *
devenv_ports_format (const devenv_port *ports, size_t n)
{
  _cleanup_free_ char *s = xstrdup ("");
  for (size_t i = 0; i < n; i++)
    {
      char *t = xasprintf ("%s%s%d:%d", s, i ? "," : "", ports[i].host, ports[i].ctr);
      free (s);
      s = t;
    }
  return steal_pointer (&s);
}

static int
port_number (const char *s, size_t len, int *out)
{
  if (len == 0 || len > 5)
    return -1;
  long v = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return -1;
      v = v * 10 + (s[i] - '0');
    }
  if (v < 1 || v > 65535)
    return -1;
  *out = (int) v;
  return 0;
}

int
devenv_ports_parse (const char *s, devenv_port **ports, size_t *n, sbx_error **err)
{
  *ports = NULL;
  *n = 0;
  _cleanup_free_ devenv_port *v = NULL;
  size_t k = 0;
  for (const char *p = s; p && *p;)
    {
      size_t len = strcspn (p, ",");
      const char *colon = memchr (p, ':', len);
      devenv_port port;
      int bad = colon ? port_number (p, colon - p, &port.host)
                            | port_number (colon + 1, len - (colon + 1 - p), &port.ctr)
                      : port_number (p, len, &port.host);
      if (!colon)
        port.ctr = port.host;
      if (bad)
        return sbx_fail (err, SBX_ERR_INVALID,
                         "'%.*s' is not a port: give PORT or HOSTPORT:CONTAINERPORT (1..65535)",
                         (int) len, p);
      v = xrealloc (v, (k + 1) * sizeof *v);
      v[k++] = port;
      p += len;
      if (*p == ',')
        p++;
    }
  *ports = steal_pointer (&v);
  *n = k;
  return 0;
}

char *
devenv_runtime_digest (const devenv_runtime *rt)
{
  if (!rt
      || ((!rt->env || !rt->env[0]) && !rt->workdir && rt->n_ports == 0
          && (!rt->lifecycle || json_object_size (rt->lifecycle) == 0) && !rt->user_name
          && !json_array_size (rt->mounts)))
    return xstrdup ("");
  _cleanup_json_ json_t *j = json_object ();
  json_t *env = json_array ();
  for (char **e = rt->env; e && *e; e++)
    json_array_append_new (env, json_string (*e));
  json_object_set_new (j, "env", env);
  json_object_set_new (j, "workdir", rt->workdir ? json_string (rt->workdir) : json_null ());
  _cleanup_free_ char *ports = devenv_ports_format (rt->ports, rt->n_ports);
  json_object_set_new (j, "ports", json_string (ports));
  json_object_set (j, "lifecycle", rt->lifecycle ? rt->lifecycle : json_null ());
  if (rt->user_name)
    json_object_set_new (j, "user", json_string (rt->user_name));
  if (json_array_size (rt->mounts))
    json_object_set (j, "mounts", rt->mounts);
  _cleanup_free_ char *text = json_dumps (j, JSON_COMPACT | JSON_SORT_KEYS);
  char hex[SBX_SHA256_HEX_LEN + 1];
  sbx_sha256_hex (text, strlen (text), hex);
  return xstrndup (hex, 12);
}

/* ---- running them ---- */

static char *
quote (const char *s)
{
  _cleanup_free_ char *q = xstrdup ("'");
  for (; *s; s++)
    {
      char *n = *s == '\'' ? xasprintf ("%s'\\''", q) : xasprintf ("%s%c", q, *s);
      free (q);
      q = n;
    }
  return xasprintf ("%s'", q);
}

/* One command of an object as a shell command line. */
static char *
command_line (const json_t *cmd)
{
  if (json_is_string (cmd))
    return xstrdup (json_string_value (cmd));
  _cleanup_free_ char *line = xstrdup ("");
  size_t i;
  json_t *a;
  json_array_foreach (cmd, i, a)
  {
    _cleanup_free_ char *q = quote (json_string_value (a));
    char *n = xasprintf ("%s%s%s", line, i ? " " : "", q);
    free (line);
    line = n;
  }
  return steal_pointer (&line);
}

/* An object's commands in parallel: each one's output prefixed with
   "[name] ", each status kept in a file; the first failure is said (on
   stderr) and is the status of the whole. */
static char *
parallel_script (const json_t *obj)
{
  _cleanup_free_ char *s
      = xstrdup ("d=/tmp/.sbx-lifecycle-$$; rm -rf \"$d\"; mkdir -p \"$d\" || exit 1\n");
  const char *name;
  json_t *cmd;
  size_t i = 0;
  json_object_foreach ((json_t *) obj, name, cmd)
  {
    _cleanup_free_ char *line = command_line (cmd), *qn = quote (name);
    char *n
        = xasprintf ("%s( ( %s\n) </dev/null 2>&1; echo $? >\"$d/%zu\" ) | while IFS= read -r l "
                     "|| [ -n \"$l\" ]; do printf '[%%s] %%s\\n' %s \"$l\"; done &\n",
                     s, line, i, qn);
    free (s);
    s = n;
    i++;
  }
  char *n = xasprintf ("%swait\nrc=0\n", s);
  free (s);
  s = n;
  i = 0;
  json_object_foreach ((json_t *) obj, name, cmd)
  {
    _cleanup_free_ char *qn = quote (name);
    n = xasprintf ("%sr=$(cat \"$d/%zu\" 2>/dev/null || echo 1); if [ \"$r\" != 0 ]; then "
                   "printf '%%s failed with exit status %%s\\n' %s \"$r\" >&2; [ $rc = 0 ] && "
                   "rc=$r; fi\n",
                   s, i, qn);
    free (s);
    s = n;
    i++;
  }
  n = xasprintf ("%srm -rf \"$d\"\nexit $rc\n", s);
  free (s);
  s = n;
  return steal_pointer (&s);
}

typedef struct step_out
{
  const devenv_spec *spec;
  const char *step;
  bool nnp; /* sudo complained (no capabilities, no-new-privileges) */
  char tail[8]; /* the end of the previous chunk, to find "sudo: " across two */
  size_t tail_len;
} step_out;

static int
on_output (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  (void) err;
  step_out *o = ud;
  /* sudo's own complaints ("sudo: ...": no new privileges, setresuid
     refused) */
  char seam[16];
  size_t head = len < 5 ? len : 5;
  memcpy (seam, o->tail, o->tail_len);
  memcpy (seam + o->tail_len, data, head);
  if (memmem (data, len, "sudo: ", 6) || memmem (seam, o->tail_len + head, "sudo: ", 6))
    o->nnp = true;
  o->tail_len = len < 5 ? len : 5;
  memcpy (o->tail, data + len - o->tail_len, o->tail_len);
  if (o->spec->rt->output)
    o->spec->rt->output (o->step, stream, data, len, o->spec->rt->output_ud);
  return 0;
}

static int
run_step (engine_client *c, const char *id, const devenv_spec *spec, const char *step,
          const json_t *cmd, sbx_error **err)
{
  _cleanup_strv_ char **argv = xcalloc (1, sizeof *argv);
  if (json_is_string (cmd))
    strv_append_all (&argv, "/bin/sh", "-c", json_string_value (cmd), NULL);
  else if (json_is_array (cmd))
    {
      size_t i;
      json_t *a;
      json_array_foreach (cmd, i, a) strv_append (&argv, json_string_value (a));
    }
  else
    {
      _cleanup_free_ char *script = parallel_script (cmd);
      strv_append_all (&argv, "/bin/sh", "-c", script, NULL);
    }
  _cleanup_free_ char *user = xasprintf ("%u:%u", (unsigned) spec->uid, (unsigned) spec->gid);
  step_out so = { .spec = spec, .step = step };
  devenv_exec_opts o = { .argv = argv,
                         .user = user,
                         .workdir = spec->rt->workdir ? spec->rt->workdir : spec->project->dir,
                         .output = on_output,
                         .output_ud = &so };
  devenv_exec_result r;
  if (devenv_exec (c, id, &o, &r, err) < 0)
    return sbx_error_prefix (err, "%s", step);
  if (r.interrupted)
    return sbx_fail (err, SBX_ERR_INTERRUPTED, "%s interrupted", step);
  if (r.exit_code == 0)
    return 0;
  return sbx_fail (err, SBX_ERR_GENERIC, "%s failed with exit status %d%s", step, r.exit_code,
                   so.nnp && !spec->rt->no_nnp
                       ? "; sudo cannot work here: the container runs without capabilities and "
                         "with no-new-privileges (install as root in the Dockerfile or in a local "
                         "feature, or let a trusted project ask for Docker's default capabilities: "
                         "\"container_hardening\": \"docker-default\" in .sbx/config.json, or "
                         "runArgs \"--security-opt\", \"no-new-privileges=false\" in "
                         "devcontainer.json, then 'sbx trust')"
                   : r.exit_code == 127 ? " (command not found)"
                                        : "");
}

int
devenv_lifecycle_run (engine_client *c, const char *id, const devenv_spec *spec, const char *first,
                      const char *last, sbx_error **err)
{
  if (!spec->rt || !spec->rt->lifecycle)
    return 0;
  bool on = false;
  for (size_t i = 0; steps[i]; i++)
    {
      if (strcmp (steps[i], first) == 0)
        on = true;
      json_t *cmd = json_object_get (spec->rt->lifecycle, steps[i]);
      if (on && cmd && run_step (c, id, spec, steps[i], cmd, err) < 0)
        return -1;
      if (strcmp (steps[i], last) == 0)
        break;
    }
  return 0;
}
