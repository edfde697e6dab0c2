/* project_container.c: see project_container.h. */
#include "devenv/project_container.h"
#include "util.h"

#include <stdarg.h>
#include <string.h>

static void
note (const devenv_hooks *h, const char *fmt, ...)
{
  if (!h || !h->note)
    return;
  va_list ap;
  va_start (ap, fmt);
  _cleanup_free_ char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) >= 0)
    h->note (msg, h->ud);
  va_end (ap);
}

static void warn (const devenv_hooks *h, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* What the user must know (a container replaced): the warn hook, else the
   note hook. */
static void
warn (const devenv_hooks *h, const char *fmt, ...)
{
  void (*fn) (const char *, void *) = h ? (h->warn ? h->warn : h->note) : NULL;
  if (!fn)
    return;
  va_list ap;
  va_start (ap, fmt);
  _cleanup_free_ char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) >= 0)
    fn (msg, h->ud);
  va_end (ap);
}

char *
devenv_current_tag (const sbx_project *p)
{
  return xasprintf ("%s:%s", p->image_repo, DEVENV_TAG_CURRENT);
}

int
devenv_remember_image (engine_client *c, const sbx_project *p, const char *image, sbx_error **err)
{
  _cleanup_json_ json_t *ins = NULL;
  if (engine_image_inspect (c, image, &ins, err) < 0)
    return (*err)->code == SBX_ERR_UNREACHABLE ? -1 : sbx_error_prefix (err, "image %s", image);
  _cleanup_free_ char *current = devenv_current_tag (p);
  char *colon = strrchr (current, ':');
  *colon = '\0';
  return engine_image_tag (c, image, current, colon + 1, err);
}

int
devenv_resolve_image (engine_client *c, const sbx_project *p, const sbx_config *cfg,
                      const devenv_hooks *h, char **image, char **key, sbx_error **err)
{
  *key = NULL;
  if (cfg->image)
    {
      *image = xstrdup (cfg->image);
      return 0;
    }
  /* The image of the last `sbx up --image`, kept as a tag so that a container
     removed behind sbx's back can be recreated. */
  _cleanup_free_ char *current = devenv_current_tag (p);
  _cleanup_json_ json_t *ins = NULL;
  sbx_error *e = NULL;
  if (engine_image_inspect (c, current, &ins, &e) == 0)
    {
      *image = steal_pointer (&current);
      return 0;
    }
  if (e->code != SBX_ERR_NOT_FOUND)
    {
      *err = e;
      return -1;
    }
  sbx_error_free (e);
  /* The devenv image: reused while its key is unchanged, else built. */
  devenv_result res;
  int r = devenv_get_or_build (c, p, h ? h->build : NULL, &res, err);
  if (r == 0)
    {
      *image = steal_pointer (&res.image);
      *key = xstrdup (res.key);
    }
  if (h && h->build_result)
    *h->build_result = res;
  else
    devenv_result_clear (&res);
  return r;
}

void
devenv_runtime_clear (devenv_project_runtime *r)
{
  strv_free (r->rt.env);
  free (r->rt.ports);
  json_decref (r->rt.lifecycle);
  json_decref (r->rt.mounts);
  free (r->workdir);
  free (r->digest);
  free (r->initialize);
  free (r->hardening_by);
  free (r->user_name);
  memset (r, 0, sizeof *r);
}

static void
add_port (devenv_runtime *rt, devenv_port port)
{
  for (size_t i = 0; i < rt->n_ports; i++)
    if (rt->ports[i].host == port.host)
      return;
  rt->ports = xrealloc (rt->ports, (rt->n_ports + 1) * sizeof *rt->ports);
  rt->ports[rt->n_ports++] = port;
}

int
devenv_runtime_load (const sbx_project *p, const sbx_config *cfg, const devenv_port *ports,
                     size_t n_ports, const devenv_hooks *h, devenv_project_runtime *out,
                     sbx_error **err)
{
  memset (out, 0, sizeof *out);
  _cleanup_devcontainer_ devenv_devcontainer *dc = NULL;
  if (devenv_devcontainer_load (p->dir, &dc, err) < 0)
    return -1;
  out->rt.env = xcalloc (1, sizeof *out->rt.env);
  if (dc && !dc->compose)
    {
      for (char **e = dc->container_env; e && *e; e++)
        strv_append (&out->rt.env, *e);
      for (char **e = dc->remote_env; e && *e; e++)
        strv_append (&out->rt.env, *e);
      for (size_t i = 0; i < dc->n_ports; i++)
        add_port (&out->rt, (devenv_port){ dc->ports[i], dc->ports[i] });
      if (strcmp (dc->workspace, p->dir) != 0)
        out->workdir = xstrdup (dc->workspace);
      if (json_object_size (dc->lifecycle))
        out->rt.lifecycle = json_incref (dc->lifecycle);
      out->initialize = dc->initialize ? xstrdup (dc->initialize) : NULL;
      out->user_name = dc->user ? xstrdup (dc->user) : NULL;
      out->rt.mounts = dc->mounts ? json_incref (dc->mounts) : NULL;
      if (dc->docker_caps)
        {
          out->rt.docker_caps = true;
          out->rt.no_nnp = dc->no_new_privileges != 1;
          out->hardening_by = xstrdup (dc->hardening_by);
        }
    }
  /* The configuration's container_hardening (a trusted file's). */
  if (cfg && cfg->hardening == SBX_HARDENING_DOCKER_DEFAULT && !out->rt.docker_caps)
    {
      out->rt.docker_caps = out->rt.no_nnp = true;
      out->hardening_by = xasprintf ("\"container_hardening\" in %s",
                                     cfg->source ? cfg->source : "the configuration");
    }
  out->rt.hardening_by = out->hardening_by;
  out->rt.user_name = out->user_name;
  out->rt.workdir = out->workdir;
  /* The digest is the file's: ports given on the command line have their
     own label (they stay until `sbx down`). */
  out->digest = devenv_runtime_digest (&out->rt);
  out->rt.digest = out->digest;
  bool from_file = out->rt.n_ports > 0;
  for (size_t i = 0; i < n_ports; i++)
    add_port (&out->rt, ports[i]);
  if (out->rt.n_ports && !(cfg && cfg->allow_network))
    {
      devenv_runtime_clear (out);
      return sbx_fail (err, SBX_ERR_INVALID,
                       "publishing ports (%s) needs the project's network, which is not allowed; "
                       "set \"allow_network\": true in the configuration (a trusted "
                       ".sbx/config.json or ~/.config/sbx/config.json)",
                       from_file ? "forwardPorts/appPort of the devcontainer.json" : "sbx up -p");
    }
  out->rt.output = h ? h->lifecycle : NULL;
  out->rt.output_ud = h ? h->ud : NULL;
  return 0;
}

int
devenv_project_hardening (const sbx_project *p, const sbx_config *cfg, char **mode, char **by,
                          sbx_error **err)
{
  *mode = *by = NULL;
  _cleanup_runtime_ devenv_project_runtime run = { 0 };
  if (devenv_runtime_load (p, cfg, NULL, 0, NULL, &run, err) < 0)
    return -1;
  *mode = xstrdup (devenv_hardening_name (&run.rt));
  *by = run.hardening_by ? xstrdup (run.hardening_by) : NULL;
  return 0;
}

/* ${containerEnv:VAR}: the container's environment as it will be, the
   image's then the entries before this one. */
typedef struct env_view
{
  json_t *image_env; /* array of "K=V" */
  char **env;
  size_t upto;
} env_view;

static const char *
env_lookup (const char *name, void *ud)
{
  env_view *v = ud;
  size_t n = strlen (name);
  const char *found = NULL;
  size_t i;
  json_t *e;
  json_array_foreach (v->image_env, i, e)
  {
    const char *s = json_string_value (e);
    if (s && strncmp (s, name, n) == 0 && s[n] == '=')
      found = s + n + 1;
  }
  for (size_t k = 0; k < v->upto; k++)
    if (strncmp (v->env[k], name, n) == 0 && v->env[k][n] == '=')
      found = v->env[k] + n + 1;
  return found;
}

int
devenv_runtime_resolve (engine_client *c, const char *image, devenv_project_runtime *r,
                        sbx_error **err)
{
  bool any = false;
  for (char **e = r->rt.env; e && *e; e++)
    any = any || strstr (*e, "${containerEnv:") != NULL;
  if (!any)
    return 0;
  _cleanup_json_ json_t *ins = NULL;
  if (engine_image_inspect (c, image, &ins, err) < 0)
    return sbx_error_prefix (err, "image %s", image);
  env_view v
      = { .image_env = json_object_get (json_object_get (ins, "Config"), "Env"), .env = r->rt.env };
  for (size_t k = 0; r->rt.env[k]; k++)
    {
      v.upto = k;
      char *eq = strchr (r->rt.env[k], '=');
      _cleanup_free_ char *val = devenv_dc_substitute (eq + 1, env_lookup, &v);
      char *kv = xasprintf ("%.*s=%s", (int) (eq - r->rt.env[k]), r->rt.env[k], val);
      free (r->rt.env[k]);
      r->rt.env[k] = kv;
    }
  return 0;
}

int
devenv_container_level (const sbx_config *cfg, sbx_level *level, bool level_set, sbx_error **err)
{
  if (level_set)
    {
      if (*level != SBX_LEVEL_CONTAINER && *level != SBX_LEVEL_MAXIMUM)
        return sbx_fail (
            err, SBX_ERR_INVALID,
            "the project container runs at isolation 'container' or 'maximum', not '%s'",
            sbx_level_name (*level));
      return 0;
    }
  *level = cfg->isolation == SBX_LEVEL_MAXIMUM ? SBX_LEVEL_MAXIMUM : SBX_LEVEL_CONTAINER;
  return 0;
}

void
devenv_spec_init (devenv_spec *spec, const sbx_project *p, const sbx_config *cfg, const char *image,
                  const char *key, sbx_level level, const char *agent)
{
  memset (spec, 0, sizeof *spec);
  spec->project = p;
  spec->cfg = cfg;
  spec->image = image;
  spec->image_key = key;
  spec->level = level;
  spec->runtime = cfg->runtime;
  spec->agent_path = agent;
  spec->uid = getuid ();
  spec->gid = getgid ();
}

/* The postAttachCommand, when req asks for it; its failure is the call's,
   or (attach_goes_on) a warning, and the session goes on. */
static int
attach (engine_client *c, const char *id, const devenv_spec *spec, const devenv_container_req *req,
        const devenv_hooks *h, sbx_error **err)
{
  if (!req->attach)
    return 0;
  sbx_error *e = NULL;
  if (devenv_lifecycle_run (c, id, spec, "postAttachCommand", "postAttachCommand", &e) == 0)
    return 0;
  if (!req->attach_goes_on || e->code == SBX_ERR_INTERRUPTED || e->code == SBX_ERR_UNREACHABLE)
    {
      *err = e;
      return -1;
    }
  warn (h, "%s; the session goes on", e->msg);
  sbx_error_free (e);
  return 0;
}

int
devenv_project_container (engine_client *c, const sbx_project *p, const sbx_config *cfg,
                          const devenv_container_req *req, const devenv_hooks *h, char **id,
                          sbx_error **err)
{
  sbx_level level = req->level;
  if (devenv_container_level (cfg, &level, req->level_set, err) < 0)
    return -1;
  _cleanup_ctr_ devenv_ctr ctr = { 0 };
  _cleanup_runtime_ devenv_project_runtime run = { 0 };
  bool replacing = false; /* a container that cannot start, by one like it */
  if (devenv_runtime_load (p, cfg, req->ports, req->n_ports, h, &run, err) < 0
      || devenv_swap_recover (c, p, err) < 0 || devenv_container_find (c, p, &ctr, err) < 0)
    return -1;
  if (ctr.json)
    {
      _cleanup_free_ char *want_profile = req->match_config ? devenv_profile (level, cfg) : NULL;
      const char *why = devenv_ctr_mismatch (
          &ctr, NULL, req->level_set ? &level : NULL,
          req->match_config ? devenv_hardening_name (&run.rt) : NULL, want_profile);
      if (!why && req->match_config
          && strcmp (ctr.devcontainer ? ctr.devcontainer : "", run.digest) != 0)
        why = "devcontainer.json";
      _cleanup_free_ char *want_ports = devenv_ports_format (run.rt.ports, run.rt.n_ports);
      if (!why && req->n_ports && strcmp (ctr.ports ? ctr.ports : "", want_ports) != 0)
        why = "published ports";
      if (!why)
        {
          const char *cid = ctr.id;
          devenv_spec spec;
          devenv_spec_init (&spec, p, cfg, ctr.image, NULL, level, NULL);
          spec.rt = &run.rt;
          if (!ctr.running)
            {
              note (h, "starting container %s", p->container_name);
              sbx_error *e = NULL;
              if (devenv_container_prepare (c, p, err) < 0)
                return sbx_error_prefix (err, "starting container %s", p->container_name);
              if (engine_container_start (c, cid, &e) < 0)
                {
                  if (e->http_status < 500)
                    {
                      *err = e;
                      return sbx_error_prefix (err, "starting container %s", p->container_name);
                    }
                  /* The engine fails to start it (a dockerd killed while
                     starting it left a task behind): a new one replaces it. */
                  warn (h, "%s cannot start (%s); replacing it with a new one", p->container_name,
                        e->msg);
                  sbx_error_free (e);
                  /* Its level and image, not the defaults: a replacement
                     is never weaker than the container it replaces. */
                  if (!req->level_set)
                    devenv_ctr_level (&ctr, &level);
                  replacing = true;
                  if (engine_container_remove (c, cid, true, err) < 0)
                    return sbx_error_prefix (err, "removing container %s", p->container_name);
                  goto create;
                }
              if (devenv_lifecycle_run (c, cid, &spec, "postStartCommand", "postStartCommand", err)
                  < 0)
                return -1;
            }
          if (attach (c, cid, &spec, req, h, err) < 0)
            return -1;
          *id = xstrdup (cid);
          return 0;
        }
      /* Replaced through the swap: commands running in it finish there
         (drained, not killed) while new ones go to the new container.
         Published ports cannot be held by two containers at once: then
         the old one goes first. */
      _cleanup_free_ char *image = NULL, *key = NULL, *agent = NULL;
      if (req->image)
        image = xstrdup (req->image);
      else if (devenv_resolve_image (c, p, cfg, h, &image, &key, err) < 0)
        return -1;
      if (devenv_agent_path (&agent, err) < 0 || devenv_runtime_resolve (c, image, &run, err) < 0)
        return -1;
      bool ports = run.rt.n_ports > 0 || (ctr.ports && *ctr.ports);
      sbx_level had = level;
      bool known = devenv_ctr_level (&ctr, &had);
      const char *how = ports ? "removing it first (published ports cannot be handed over)"
                              : "through a swap (commands running in it finish there)";
      if (strcmp (why, "isolation") == 0 && known)
        warn (h,
              "%s runs at isolation '%s'; replacing it with one at '%s' %s; to return: sbx up "
              "--isolation %s",
              p->container_name, sbx_level_name (had), sbx_level_name (level), how,
              sbx_level_name (had));
      else if (strcmp (why, "hardening") == 0)
        warn (h, "%s runs with hardening '%s'; replacing it with one with hardening '%s'%s%s %s",
              p->container_name, ctr.hardening, devenv_hardening_name (&run.rt),
              run.rt.hardening_by ? ", asked by " : "",
              run.rt.hardening_by ? run.rt.hardening_by : "", how);
      else
        warn (h, "%s was created with another %s; replacing it %s", p->container_name, why, how);
      devenv_spec spec;
      devenv_spec_init (&spec, p, cfg, image, key, level, agent);
      spec.rt = &run.rt;
      if (ports)
        {
          if (devenv_container_remove_all (c, p, NULL, err) < 0
              || devenv_container_ensure (c, &spec, id, NULL, err) < 0)
            return -1;
        }
      else
        {
          devenv_swap_result res;
          int r = devenv_swap (c, &spec, DEVENV_REPLACE_DRAIN_MS, true, &res, err);
          if (r == 0)
            *id = xstrdup (res.new_id);
          devenv_swap_result_clear (&res);
          if (r < 0)
            return -1;
        }
      return attach (c, *id, &spec, req, h, err);
    }
create:;
  _cleanup_free_ char *image = NULL, *key = NULL, *agent = NULL;
  if (req->image)
    image = xstrdup (req->image);
  else if (replacing && ctr.image)
    {
      image = xstrdup (ctr.image);
      key = ctr.image_key && *ctr.image_key ? xstrdup (ctr.image_key) : NULL;
    }
  else if (devenv_resolve_image (c, p, cfg, h, &image, &key, err) < 0)
    return -1;
  if (devenv_agent_path (&agent, err) < 0)
    return -1;
  if (devenv_runtime_resolve (c, image, &run, err) < 0)
    return -1;
  devenv_spec spec;
  devenv_spec_init (&spec, p, cfg, image, key, level, agent);
  spec.rt = &run.rt;
  note (h, "creating container %s from %s (isolation %s)", p->container_name, image,
        sbx_level_name (level));
  if (devenv_container_ensure (c, &spec, id, NULL, err) < 0)
    return -1;
  return attach (c, *id, &spec, req, h, err);
}

int
devenv_project_swap (engine_client *c, const sbx_project *p, const sbx_config *cfg,
                     const char *image_arg, long drain_ms, bool force, const devenv_hooks *h,
                     devenv_swap_result *res, char **image_out, sbx_error **err)
{
  _cleanup_ctr_ devenv_ctr cur = { 0 };
  _cleanup_free_ char *image = NULL, *key = NULL, *agent = NULL;
  sbx_level level = SBX_LEVEL_CONTAINER;
  memset (res, 0, sizeof *res);
  if (devenv_container_find (c, p, &cur, err) < 0)
    return -1;
  /* The level stays what the container runs at. */
  const char *lvl = cur.isolation;
  if (lvl ? sbx_level_parse (lvl, &level, err) < 0
          : devenv_container_level (cfg, &level, false, err) < 0)
    return -1;
  if (image_arg)
    {
      if (devenv_remember_image (c, p, image_arg, err) < 0)
        return -1;
      image = xstrdup (image_arg);
    }
  else if (devenv_resolve_image (c, p, cfg, h, &image, &key, err) < 0)
    return -1;
  if (devenv_agent_path (&agent, err) < 0)
    return -1;
  /* The ports `sbx up -p` published stay published. */
  _cleanup_free_ devenv_port *ports = NULL;
  size_t n_ports = 0;
  if (cur.ports && devenv_ports_parse (cur.ports, &ports, &n_ports, err) < 0)
    return -1;
  _cleanup_runtime_ devenv_project_runtime run = { 0 };
  if (devenv_runtime_load (p, cfg, ports, n_ports, h, &run, err) < 0
      || devenv_runtime_resolve (c, image, &run, err) < 0)
    return -1;
  devenv_spec spec;
  devenv_spec_init (&spec, p, cfg, image, key, level, agent);
  spec.rt = &run.rt;
  if (devenv_swap (c, &spec, drain_ms, force, res, err) < 0)
    return -1;
  *image_out = steal_pointer (&image);
  return 0;
}
