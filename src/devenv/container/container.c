/* container.c: the project container's create body and lifecycle. */
#include "devenv/container/container.h"
#include "devenv/container/agent_client.h"
#include "agent/guard.h"
#include "sha256.h"
#include "util.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>

int
devenv_agent_path (char **out, sbx_error **err)
{
  const char *env = getenv ("SBX_AGENT");
  if (env && *env)
    {
      if (access (env, X_OK) < 0)
        return sbx_fail_errno (err, errno, "SBX_AGENT=%s is not an executable", env);
      *out = xstrdup (env);
      return 0;
    }
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n > 0)
    {
      self[n] = '\0';
      char *slash = strrchr (self, '/');
      if (slash)
        {
          *slash = '\0';
          _cleanup_free_ char *p = xasprintf ("%s/sbx-agent", self);
          if (access (p, X_OK) == 0)
            {
              *out = steal_pointer (&p);
              return 0;
            }
        }
    }
  _cleanup_free_ char *p = xasprintf ("%s/sbx-agent", SBX_LIBEXECDIR);
  if (access (p, X_OK) == 0)
    {
      *out = steal_pointer (&p);
      return 0;
    }
  return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                   "sbx-agent not found next to sbx nor in %s; reinstall sbx or set SBX_AGENT",
                   SBX_LIBEXECDIR);
}

long
devenv_memory_limit_mb (const sbx_config *cfg)
{
  if (cfg && cfg->max_memory_mb > 0)
    return cfg->max_memory_mb;
  long pages = sysconf (_SC_PHYS_PAGES), size = sysconf (_SC_PAGESIZE);
  long half = pages > 0 && size > 0
                  ? (long) ((unsigned long long) pages * (unsigned long long) size / 2 >> 20)
                  : 0;
  return half > 0 && half < DEVENV_MEMORY_DEFAULT_MAX_MB ? half : DEVENV_MEMORY_DEFAULT_MAX_MB;
}

char *
devenv_profile (sbx_level level, const sbx_config *cfg)
{
  /* A canonical, unambiguous text of what devenv_container_config takes
     from the configuration, hashed. */
  _cleanup_json_ json_t *j = json_pack (
      "{s:b,s:b,s:I,s:i,s:s,s:O,s:O}", "network", cfg && cfg->allow_network, "write",
      !cfg || cfg->allow_write, "memory_mb", (json_int_t) devenv_memory_limit_mb (cfg), "cpu_pct",
      cfg ? cfg->max_cpu_pct : 0, "runtime",
      level == SBX_LEVEL_MAXIMUM && cfg && cfg->runtime ? cfg->runtime : "", "ro", json_null (),
      "rw", json_null ());
  json_t *ro = json_array (), *rw = json_array ();
  for (char **d = cfg ? cfg->read_only_dirs : NULL; d && *d; d++)
    json_array_append_new (ro, json_string (*d));
  for (char **d = cfg ? cfg->writable_dirs : NULL; d && *d; d++)
    json_array_append_new (rw, json_string (*d));
  json_object_set_new (j, "ro", ro);
  json_object_set_new (j, "rw", rw);
  if (cfg && cfg->read_only_rootfs)
    json_object_set_new (j, "read_only_rootfs", json_true ());
  /* The configuration's container_hardening: a change (back to strict
     too) is not served by a container made with the other. */
  if (cfg && cfg->hardening != SBX_HARDENING_STRICT)
    json_object_set_new (j, "hardening", json_string (sbx_hardening_name (cfg->hardening)));
  if (cfg && cfg->protected_paths)
    {
      json_t *pp = json_array ();
      for (char **d = cfg->protected_paths; *d; d++)
        json_array_append_new (pp, json_string (*d));
      json_object_set_new (j, "protected", pp);
    }
  /* What the create body holds beyond the configuration: a new layout
     (protected paths, seccomp-filtered agent; 3: the user's entries, home
     volume and hostname; 4: a writable root filesystem; 5: the agent
     watches the missing protected paths) replaces older containers. */
  json_object_set_new (j, "layout", json_integer (5));
  _cleanup_free_ char *text = json_dumps (j, JSON_COMPACT | JSON_SORT_KEYS);
  char hex[SBX_SHA256_HEX_LEN + 1];
  sbx_sha256_hex (text, strlen (text), hex);
  return xasprintf ("%s/%.8s", sbx_level_name (level), hex);
}

const char *
devenv_hardening_name (const devenv_runtime *rt)
{
  if (!rt || !rt->docker_caps)
    return "strict";
  return rt->no_nnp ? "docker-default" : "docker-default-caps";
}

char *
devenv_hostname (const sbx_project *p)
{
  /* The basename is [a-z0-9_-]: a hostname takes no '_'. */
  char *h = xstrndup (p->basename, 63);
  for (char *c = h; *c; c++)
    if (*c == '_' || *c == '.')
      *c = '-';
  return h;
}

/* A named volume, without the image's content at the target: in
   HostConfig.Binds ("NAME:TARGET:nocopy"), the form both Docker and
   podman honour (podman 4.3's Docker API drops Mounts' VolumeOptions
   and would copy the image's files, owned by the image's users, into the
   host directory behind the volume).  Targets hold no ':' (devcontainer.c,
   usable_home). */
static json_t *
volume_bind (const char *name, const char *target, bool ro)
{
  return json_sprintf ("%s:%s:%snocopy", name, target, ro ? "ro," : "");
}

static json_t *
mount_bind (const char *source, const char *target, bool ro)
{
  return json_pack ("{s:s,s:s,s:s,s:b}", "Type", "bind", "Source", source, "Target", target,
                    "ReadOnly", ro);
}

/* The project's protected paths that exist (directories and regular
   files; a symlink is not followed, it is left as the project has it),
   and .git itself bound onto itself so that it cannot be renamed or
   removed (EBUSY).  The agent is given the others it must watch
   (appended to entry: agent/guard.h), at most SBX_GUARD_MAX of them. */
static void
mount_protected (json_t *mounts, json_t *entry, const char *dir, char *const *extra)
{
  struct stat st;
  _cleanup_free_ char *git = xasprintf ("%s/.git", dir);
  if (lstat (git, &st) == 0 && (S_ISDIR (st.st_mode) || S_ISREG (st.st_mode)))
    /* A worktree's .git is a file naming its git directory: read-only. */
    json_array_append_new (mounts, mount_bind (git, git, S_ISREG (st.st_mode)));
  _cleanup_strv_ char **paths = NULL;
  sbx_error *err = NULL;
  if (sbx_protected_paths (dir, extra, &paths, &err) < 0)
    {
      sbx_error_free (err); /* dir is absolute: cannot happen */
      return;
    }
  size_t watched = 0;
  for (char **p = paths; p && *p; p++)
    if (lstat (*p, &st) == 0 && (S_ISDIR (st.st_mode) || S_ISREG (st.st_mode)))
      json_array_append_new (mounts, mount_bind (*p, *p, true));
    else if (watched < SBX_GUARD_MAX && sbx_protected_watched (dir, *p))
      {
        json_array_append_new (entry, json_string (*p));
        watched++;
      }
}

int
devenv_container_guarded (engine_client *c, const char *container, char **msg)
{
  *msg = NULL;
  if (!devenv_container_went (c, container, DEVENV_STOP_WAIT_MS))
    return 0;
  _cleanup_json_ json_t *j = NULL;
  sbx_error *e = NULL;
  if (engine_container_inspect (c, container, &j, &e) < 0)
    {
      sbx_error_free (e);
      return 0;
    }
  json_t *state = json_object_get (j, "State");
  json_t *args = json_object_get (j, "Args");
  if (json_is_true (json_object_get (state, "Running")) || !json_is_array (args))
    return 0;
  int code = (int) json_integer_value (json_object_get (state, "ExitCode"));
  if (code < SBX_GUARD_EXIT || code >= SBX_GUARD_EXIT_PARENT + SBX_GUARD_MAX)
    return 0;
  bool parent = code >= SBX_GUARD_EXIT_PARENT;
  size_t k = (size_t) (code - (parent ? SBX_GUARD_EXIT_PARENT : SBX_GUARD_EXIT));
  /* serve SOCKET TAG PATH..., or init PATH... (devenv_container_config) */
  const char *verb = json_string_value (json_array_get (args, 0));
  size_t first = verb && strcmp (verb, "serve") == 0 ? 3 : 1;
  const char *path = json_string_value (json_array_get (args, first + k));
  if (path == NULL || path[0] != '/')
    return 0;
  char buf[PATH_MAX + 512];
  sbx_guard_format (path, parent, 0, buf, sizeof buf);
  *msg = xstrdup (buf);
  return 1;
}

json_t *
devenv_container_config (const devenv_spec *s)
{
  const sbx_config *cfg = s->cfg;
  const char *dir = s->project->dir;
  _cleanup_free_ char *user = xasprintf ("%u:%u", (unsigned) s->uid, (unsigned) s->gid);

  json_t *labels = json_pack ("{s:s,s:s,s:s,s:s}", DEVENV_LABEL_MANAGED, "true",
                              DEVENV_LABEL_PROJECT, dir, DEVENV_LABEL_IMAGE, s->image,
                              DEVENV_LABEL_ISOLATION, sbx_level_name (s->level));
  json_object_set_new (labels, DEVENV_LABEL_IMAGE_KEY, json_string (s->image_key ? s->image_key : ""));
  json_object_set_new (labels, DEVENV_LABEL_OWNER, json_sprintf ("%u", (unsigned) getuid ()));
  _cleanup_free_ char *profile = devenv_profile (s->level, cfg);
  json_object_set_new (labels, DEVENV_LABEL_PROFILE, json_string (profile));

  json_t *mounts = json_array ();
  json_t *binds = json_array (); /* the named volumes (volume_bind) */
  json_array_append_new (mounts, mount_bind (dir, dir, cfg && !cfg->allow_write));
  /* The agent is PID 1; with a socket it also serves commands.  It
     watches the protected paths that are missing (mount_protected). */
  bool serve = s->agent_dir && s->agent_socket;
  json_t *entry = json_pack ("[s,s]", DEVENV_AGENT_TARGET, serve ? "serve" : "init");
  if (serve)
    {
      json_array_append_new (entry,
                             json_sprintf ("%s/%s", DEVENV_AGENT_RUN_TARGET, s->agent_socket));
      json_array_append_new (entry, json_string (profile));
    }
  if (!cfg || cfg->allow_write)
    mount_protected (mounts, entry, dir, cfg ? cfg->protected_paths : NULL);
  json_array_append_new (mounts, mount_bind (s->agent_path, DEVENV_AGENT_TARGET, true));
  if (serve)
    {
      json_array_append_new (mounts, mount_bind (s->agent_dir, DEVENV_AGENT_RUN_TARGET, false));
      json_object_set_new (labels, DEVENV_LABEL_AGENT, json_string (s->agent_socket));
    }
  for (char **d = cfg ? cfg->read_only_dirs : NULL; d && *d; d++)
    json_array_append_new (mounts, mount_bind (*d, *d, true));
  for (char **d = cfg ? cfg->writable_dirs : NULL; d && *d; d++)
    json_array_append_new (mounts, mount_bind (*d, *d, false));

  const devenv_runtime *rt = s->rt;
  json_t *host = json_pack ("{s:o,s:o,s:[s],s:i,s:s,s:b,s:{s:s},s:b}", "Mounts", mounts, "Binds",
                            binds, "CapDrop", "ALL", "PidsLimit", 4096, "NetworkMode",
                            cfg && cfg->allow_network ? "bridge" : "none", "ReadonlyRootfs",
                            cfg && cfg->read_only_rootfs, "Tmpfs", "/tmp",
                            "rw,nosuid,nodev,mode=1777", "Init", 0);
  /* Strict: no capability, no-new-privileges.  A trusted project's opt-in:
     Docker's default capabilities (added after dropping all: exactly
     those), no-new-privileges off unless it was kept. */
  if (rt && rt->docker_caps)
    json_object_set_new (host, "CapAdd",
                         json_pack ("[s,s,s,s,s,s,s,s,s,s,s,s,s,s]", DEVENV_DOCKER_DEFAULT_CAPS));
  json_object_set_new (host, "SecurityOpt",
                       rt && rt->no_nnp ? json_array () : json_pack ("[s]", "no-new-privileges"));
  json_object_set_new (labels, DEVENV_LABEL_HARDENING, json_string (devenv_hardening_name (rt)));
  /* A memory bound always (devenv_memory_limit_mb), swap not beyond it. */
  json_int_t mem = (json_int_t) devenv_memory_limit_mb (cfg) << 20;
  json_object_set_new (host, "Memory", json_integer (mem));
  json_object_set_new (host, "MemorySwap", json_integer (mem));
  if (cfg && cfg->max_cpu_pct > 0)
    json_object_set_new (host, "NanoCpus", json_integer ((json_int_t) cfg->max_cpu_pct * 10000000));
  if (s->level == SBX_LEVEL_MAXIMUM)
    {
      json_object_set_new (host, "Runtime", json_string (s->runtime ? s->runtime : "runsc"));
      json_object_set_new (labels, DEVENV_LABEL_RUNTIME, json_string (s->runtime ? s->runtime : "runsc"));
    }

  json_t *env = json_array ();
  const devenv_user *u = s->user;
  if (u && u->name)
    {
      /* The user's entries, read-only; its home, the project's volume,
         without the image's content at that path. */
      json_array_append_new (mounts, mount_bind (u->passwd, "/etc/passwd", true));
      json_array_append_new (mounts, mount_bind (u->group, "/etc/group", true));
      json_array_append_new (binds, volume_bind (u->volume, u->home, false));
      json_array_append_new (env, json_sprintf ("HOME=%s", u->home));
      json_array_append_new (env, json_sprintf ("USER=%s", u->name));
      json_array_append_new (env, json_sprintf ("LOGNAME=%s", u->name));
      json_array_append_new (env, json_sprintf ("SHELL=%s", u->shell));
    }
  else if (s->uid != 0)
    json_array_append_new (env, json_string ("HOME=/tmp"));
  /* The devcontainer.json's mounts (checked when it was read): a volume
     is the project's (devenv_volumes_prepare made it), without the
     image's content; a tmpfs is writable by the caller's uid. */
  size_t mi;
  json_t *m;
  json_array_foreach (rt ? rt->mounts : NULL, mi, m)
  {
    const char *type = json_string_value (json_object_get (m, "Type"));
    if (strcmp (type, "volume") == 0)
      {
        _cleanup_free_ char *vol
            = devenv_volume_name (s->project, json_string_value (json_object_get (m, "Source")));
        json_array_append_new (binds,
                               volume_bind (vol, json_string_value (json_object_get (m, "Target")),
                                            json_is_true (json_object_get (m, "ReadOnly"))));
        continue;
      }
    json_t *copy = json_deep_copy (m);
    if (strcmp (type, "tmpfs") == 0)
      json_object_set_new (copy, "TmpfsOptions", json_pack ("{s:i}", "Mode", 01777));
    json_array_append_new (mounts, copy);
  }
  if (rt && rt->no_nnp)
    json_array_append_new (
        env, json_sprintf ("%s=%s", DEVENV_HARDENING_ENV, devenv_hardening_name (rt)));
  /* The devcontainer.json's environment, ports and working directory. */
  for (char **e = rt ? rt->env : NULL; e && *e; e++)
    json_array_append_new (env, json_string (*e));
  json_object_set_new (labels, DEVENV_LABEL_DEVCONTAINER,
                       json_string (rt && rt->digest ? rt->digest : ""));
  json_t *exposed = NULL;
  if (rt && rt->n_ports)
    {
      exposed = json_object ();
      json_t *bindings = json_object ();
      for (size_t i = 0; i < rt->n_ports; i++)
        {
          _cleanup_free_ char *k = xasprintf ("%d/tcp", rt->ports[i].ctr);
          _cleanup_free_ char *hp = xasprintf ("%d", rt->ports[i].host);
          json_object_set_new (exposed, k, json_object ());
          json_t *l = json_object_get (bindings, k);
          if (!l)
            json_object_set_new (bindings, k, l = json_array ());
          json_array_append_new (l, json_pack ("{s:s,s:s}", "HostIp", "127.0.0.1", "HostPort", hp));
        }
      json_object_set_new (host, "PortBindings", bindings);
      _cleanup_free_ char *ports = devenv_ports_format (rt->ports, rt->n_ports);
      json_object_set_new (labels, DEVENV_LABEL_PORTS, json_string (ports));
    }
  _cleanup_free_ char *hostname = devenv_hostname (s->project);

  json_t *body = json_pack ("{s:s,s:o,s:[],s:s,s:s,s:o,s:o,s:s,s:s,s:o}", "Image", s->image,
                            "Entrypoint", entry, "Cmd", "User", user, "WorkingDir",
                            rt && rt->workdir ? rt->workdir : dir, "Env", env, "Labels", labels,
                            "StopSignal", "SIGTERM", "Hostname", hostname, "HostConfig", host);
  if (exposed)
    json_object_set_new (body, "ExposedPorts", exposed);
  return body;
}

/* During a swap, for a few milliseconds, no container has the project's
   name: the newest running container with the project label is the one. */
static int
find_by_label (engine_client *c, const sbx_project *p, json_t **out, sbx_error **err)
{
  _cleanup_free_ char *label = xasprintf ("%s=%s", DEVENV_LABEL_PROJECT, p->dir);
  _cleanup_json_ json_t *list = NULL;
  if (engine_container_list (c, label, false, &list, err) < 0)
    return -1;
  json_t *best = NULL;
  size_t i;
  json_t *ct;
  json_array_foreach (list, i, ct)
    if (!best || json_integer_value (json_object_get (ct, "Created"))
                     > json_integer_value (json_object_get (best, "Created")))
      best = ct;
  if (!best)
    return 0;
  sbx_error *e = NULL;
  if (engine_container_inspect (c, json_string_value (json_object_get (best, "Id")), out, &e) < 0)
    {
      if (e->code != SBX_ERR_NOT_FOUND)
        {
          *err = e;
          return -1;
        }
      sbx_error_free (e);
    }
  return 0;
}

int
devenv_container_find (engine_client *c, const sbx_project *p, devenv_ctr *out, sbx_error **err)
{
  sbx_error *e = NULL;
  _cleanup_json_ json_t *ins = NULL;
  devenv_ctr_parse (NULL, out);
  if (engine_container_inspect (c, p->container_name, &ins, &e) < 0)
    {
      if (e->code == SBX_ERR_NOT_FOUND)
        {
          sbx_error_free (e);
          if (find_by_label (c, p, &ins, err) < 0)
            return -1;
          devenv_ctr_parse (ins, out);
          return 0;
        }
      *err = e;
      return -1;
    }
  devenv_ctr_parse (ins, out);
  /* A container of that name that sbx does not manage is not ours. */
  if (!out->project || strcmp (out->project, p->dir) != 0)
    {
      devenv_ctr_clear (out);
      return sbx_fail (err, SBX_ERR_CONFLICT,
                       "a container named %s exists but is not the sbx container of %s; remove or rename it",
                       p->container_name, p->dir);
    }
  return 0;
}

int
devenv_runtime_available (engine_client *c, const char *name, bool *available, char **known,
                          sbx_error **err)
{
  _cleanup_json_ json_t *info = NULL;
  if (engine_info (c, &info, err) < 0)
    return -1;
  json_t *rt = json_object_get (info, "Runtimes");
  *available = json_object_get (rt, name) != NULL;
  if (known)
    {
      _cleanup_free_ char *list = xstrdup ("");
      const char *k;
      json_t *v;
      json_object_foreach (rt, k, v)
        {
          char *n = xasprintf ("%s%s%s", list, *list ? ", " : "", k);
          free (list);
          list = n;
        }
      *known = steal_pointer (&list);
    }
  return 0;
}

static int
check_runtime (engine_client *c, const devenv_spec *spec, sbx_error **err)
{
  if (spec->level != SBX_LEVEL_MAXIMUM)
    return 0;
  const char *rt = spec->runtime ? spec->runtime : "runsc";
  bool ok = false;
  _cleanup_free_ char *known = NULL;
  if (devenv_runtime_available (c, rt, &ok, &known, err) < 0)
    return -1;
  if (!ok)
    return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                     "isolation 'maximum' needs the gVisor runtime '%s', but the engine at %s has only: %s; "
                     "install runsc and register it in dockerd's daemon.json (\"runtimes\")",
                     rt, engine_client_address (c), known);
  return 0;
}

int
devenv_container_prepare (engine_client *c, const sbx_project *p, sbx_error **err)
{
  _cleanup_free_ char *dir = NULL;
  return devenv_agent_dir (p->id, engine_client_address (c), true, &dir, err);
}

int
devenv_container_create_started (engine_client *c, const devenv_spec *spec, const char *name,
                                 char **id, sbx_error **err)
{
  if (check_runtime (c, spec, err) < 0)
    return -1;
  /* A local engine: the agent serves a socket of its own in the project's
     agent directory. */
  devenv_spec s = *spec;
  _cleanup_free_ char *agent_dir = NULL, *agent_socket = NULL;
  /* Under gVisor a socket made in a bind mount stays inside the sandbox
     (runsc's --host-uds is off): those containers are reached through the
     engine only. */
  if (!s.agent_dir && s.level != SBX_LEVEL_MAXIMUM)
    {
      if (devenv_agent_dir (spec->project->id, engine_client_address (c), true, &agent_dir, err) < 0)
        return -1;
      if (agent_dir)
        {
          agent_socket = devenv_agent_socket_name ();
          s.agent_dir = agent_dir;
          s.agent_socket = agent_socket;
        }
    }
  /* The user's entries and home, kept on this machine: a local engine
     only (the agent directory says whether it is one). */
  _cleanup_free_ char *local = NULL;
  __attribute__ ((cleanup (devenv_user_clear))) devenv_user user = { 0 };
  if (devenv_agent_dir (spec->project->id, engine_client_address (c), false, &local, err) < 0)
    return -1;
  if (!s.user && local)
    {
      if (devenv_user_prepare (c, &s, &user, err) < 0)
        return sbx_error_prefix (err, "the user of %s", name);
      if (user.name)
        s.user = &user;
    }
  /* The devcontainer.json's named volumes, the project's. */
  if (devenv_volumes_prepare (c, &s, local != NULL, err) < 0)
    return -1;
  spec = &s;
  _cleanup_json_ json_t *config = devenv_container_config (spec);
  _cleanup_free_ char *cid = NULL;
  if (engine_container_create (c, name, config, &cid, err) < 0)
    return sbx_error_prefix (err, "creating container %s from %s", name, spec->image);
  if (engine_container_start (c, cid, err) < 0)
    {
      sbx_error_prefix (err, "starting container %s", name);
      engine_container_remove (c, cid, true, NULL);
      return -1;
    }
  /* Its create-time commands, once, before it serves anything: a
     container whose setup failed is never used. */
  if (devenv_lifecycle_run (c, cid, spec, "onCreateCommand", "postStartCommand", err) < 0)
    {
      engine_container_remove (c, cid, true, NULL);
      return sbx_error_prefix (err, "container %s removed (its setup failed)", name);
    }
  if (id)
    *id = steal_pointer (&cid);
  return 0;
}

int
devenv_container_ensure (engine_client *c, const devenv_spec *spec, char **id, bool *created,
                         sbx_error **err)
{
  _cleanup_ctr_ devenv_ctr ctr = { 0 };
  if (created)
    *created = false;
  if (devenv_container_find (c, spec->project, &ctr, err) < 0)
    return -1;
  if (ctr.json)
    {
      const char *cid = ctr.id;
      if (!ctr.running)
        {
          if (devenv_container_prepare (c, spec->project, err) < 0
              || engine_container_start (c, cid, err) < 0)
            return sbx_error_prefix (err, "starting container %s", spec->project->container_name);
          if (devenv_lifecycle_run (c, cid, spec, "postStartCommand", "postStartCommand", err) < 0)
            return -1;
        }
      if (id)
        *id = xstrdup (cid);
      return 0;
    }
  if (devenv_container_create_started (c, spec, spec->project->container_name, id, err) < 0)
    return -1;
  if (created)
    *created = true;
  return 0;
}

int
devenv_container_remove_all (engine_client *c, const sbx_project *p, int *removed, sbx_error **err)
{
  _cleanup_free_ char *label = xasprintf ("%s=%s", DEVENV_LABEL_PROJECT, p->dir);
  _cleanup_json_ json_t *list = NULL;
  if (removed)
    *removed = 0;
  if (engine_container_list (c, label, true, &list, err) < 0)
    return -1;
  size_t i;
  json_t *ct;
  json_array_foreach (list, i, ct)
    {
      const char *cid = json_string_value (json_object_get (ct, "Id"));
      sbx_error *e = NULL;
      /* Forced removal: a graceful stop would only end the init, and the
         kernel then kills every process of the container anyway. */
      if (engine_container_remove (c, cid, true, &e) < 0)
        {
          if (e->code != SBX_ERR_NOT_FOUND)
            {
              *err = e;
              return sbx_error_prefix (err, "removing container %.12s", cid);
            }
          sbx_error_free (e);
        }
      else if (removed)
        (*removed)++;
    }
  /* Their sockets went with them. */
  _cleanup_free_ char *dir = NULL;
  sbx_error *e = NULL;
  if (devenv_agent_dir (p->id, engine_client_address (c), false, &dir, &e) == 0 && dir)
    {
      _cleanup_closedir_ DIR *d = opendir (dir);
      struct dirent *de;
      while (d && (de = readdir (d)))
        if (de->d_name[0] != '.' || strncmp (de->d_name, ".current-", 9) == 0)
          {
            _cleanup_free_ char *f = xasprintf ("%s/%s", dir, de->d_name);
            unlink (f);
          }
      rmdir (dir);
    }
  sbx_error_free (e);
  return 0;
}

int
devenv_container_running_commands (engine_client *c, const char *id, int *count, sbx_error **err)
{
  _cleanup_json_ json_t *ins = NULL;
  *count = 0;
  if (engine_container_inspect (c, id, &ins, err) < 0)
    return -1;
  size_t i;
  json_t *x;
  json_array_foreach (json_object_get (ins, "ExecIDs"), i, x)
    {
      engine_exec_state st;
      sbx_error *ee = NULL;
      if (engine_exec_inspect (c, json_string_value (x), &st, &ee) < 0)
        {
          sbx_error_free (ee);
          continue;
        }
      if (st.running)
        (*count)++;
    }
  /* And what its agent runs; from now on it takes no new command (clients
     then look the project container up again, and find the new one). */
  _cleanup_ctr_ devenv_ctr ctr = { 0 };
  devenv_ctr_parse (ins, &ctr);
  const char *name = ctr.agent, *project = ctr.project;
  if (!name || !project || !ctr.running)
    return 0;
  _cleanup_project_ sbx_project *p = NULL;
  sbx_error *e = NULL;
  _cleanup_free_ char *dir = NULL;
  if (sbx_project_open (project, 1, &p, &e) == 0
      && devenv_agent_dir (p->id, engine_client_address (c), false, &dir, &e) == 0 && dir)
    {
      _cleanup_free_ char *path = xasprintf ("%s/%s", dir, name);
      int n = 0;
      if (devenv_agent_retire (path, &n, &e) == 0)
        *count += n;
    }
  sbx_error_free (e);
  return 0;
}
