/* cli_project.c: the project container as the verbs see it: which image and
   level it runs, making sure it runs, and running a command in it. */
#include "cli.h"
#include "cli_project.h"
#include "cli_devenv.h"
#include "devenv/container.h"
#include "devenv/swap.h"
#include "util.h"

#include <limits.h>
#include <string.h>

char *
cli_current_tag (const sbx_project *p)
{
  return xasprintf ("%s:current", p->image_repo);
}

int
cli_resolve_image (cli_ctx *ctx, engine_client *c, const sbx_project *p, const sbx_config *cfg,
                   char **image, char **key, sbx_error **err)
{
  *key = NULL;
  if (cfg->image)
    {
      *image = xstrdup (cfg->image);
      return 0;
    }
  /* The image of the last `sbx up --image`, kept as a tag so that a container
     removed behind sbx's back can be recreated. */
  _cleanup_free_ char *current = cli_current_tag (p);
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
  cli_devenv_progress prog;
  cli_devenv_progress_init (&prog, ctx);
  devenv_options o;
  cli_devenv_options_init (&o, ctx, &prog);
  devenv_result res;
  int r = devenv_get_or_build (c, p, &o, &res, err);
  if (r < 0)
    cli_devenv_show_failure (&prog, &res);
  cli_devenv_progress_end (&prog);
  if (r == 0)
    {
      *image = steal_pointer (&res.image);
      *key = xstrdup (res.key);
    }
  devenv_result_clear (&res);
  return r;
}

int
cli_level_for_container (cli_ctx *ctx, const sbx_config *cfg, sbx_level *level, bool level_set,
                         sbx_error **err)
{
  if (level_set)
    {
      if (*level != SBX_LEVEL_CONTAINER && *level != SBX_LEVEL_MAXIMUM)
        return sbx_fail (err, SBX_ERR_INVALID,
                         "the project container runs at isolation 'container' or 'maximum', not '%s'",
                         sbx_level_name (*level));
      return 0;
    }
  *level = cfg->isolation == SBX_LEVEL_MAXIMUM ? SBX_LEVEL_MAXIMUM : SBX_LEVEL_CONTAINER;
  return 0;
}

void
cli_spec_init (devenv_spec *spec, const sbx_project *p, const sbx_config *cfg, const char *image,
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

int
cli_ensure_project_container (cli_ctx *ctx, engine_client *c, const sbx_project *p,
                              const sbx_config *cfg, const cli_container_req *req, char **id,
                              sbx_error **err)
{
  sbx_level level = req->level;
  if (cli_level_for_container (ctx, cfg, &level, req->level_set, err) < 0)
    return -1;
  _cleanup_json_ json_t *ins = NULL;
  if (devenv_swap_recover (c, p, err) < 0 || devenv_container_find (c, p, &ins, err) < 0)
    return -1;
  if (ins)
    {
      json_t *labels = json_object_get (json_object_get (ins, "Config"), "Labels");
      const char *have_level = json_string_value (json_object_get (labels, DEVENV_LABEL_ISOLATION));
      const char *have_profile = json_string_value (json_object_get (labels, DEVENV_LABEL_PROFILE));
      _cleanup_free_ char *want_profile = req->match_config ? devenv_profile (level, cfg) : NULL;
      const char *why = NULL;
      if (req->level_set && (!have_level || strcmp (have_level, sbx_level_name (level)) != 0))
        why = "isolation";
      else if (want_profile && (!have_profile || strcmp (have_profile, want_profile) != 0))
        why = "configuration";
      if (!why)
        {
          const char *cid = json_string_value (json_object_get (ins, "Id"));
          if (!json_is_true (json_object_get (json_object_get (ins, "State"), "Running")))
            {
              cli_verbose (ctx, "starting container %s", p->container_name);
              if (devenv_container_prepare (c, p, err) < 0
                  || engine_container_start (c, cid, err) < 0)
                return sbx_error_prefix (err, "starting container %s", p->container_name);
            }
          *id = xstrdup (cid);
          return 0;
        }
      cli_verbose (ctx, "replacing %s: its %s changed", p->container_name, why);
      if (devenv_container_remove_all (c, p, NULL, err) < 0)
        return -1;
    }
  _cleanup_free_ char *image = NULL, *key = NULL, *agent = NULL;
  if (req->image)
    image = xstrdup (req->image);
  else if (cli_resolve_image (ctx, c, p, cfg, &image, &key, err) < 0)
    return -1;
  if (devenv_agent_path (&agent, err) < 0)
    return -1;
  devenv_spec spec;
  cli_spec_init (&spec, p, cfg, image, key, level, agent);
  cli_verbose (ctx, "creating container %s from %s (isolation %s)", p->container_name, image,
               sbx_level_name (level));
  return devenv_container_ensure (c, &spec, id, NULL, err);
}

/* ---- exec ---- */

static int
write_output (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  if (write_all (stream == 2 ? STDERR_FILENO : STDOUT_FILENO, data, len) < 0)
    return sbx_fail_errno (err, errno, "writing the command's %s", stream == 2 ? "stderr" : "stdout");
  return 0;
}

char *
cli_exec_workdir (const sbx_project *p, const char *w)
{
  if (w && w[0] == '/')
    return xstrdup (w);
  if (w)
    return xasprintf ("%s/%s", p->dir, w);
  char cwd[PATH_MAX];
  size_t n = strlen (p->dir);
  if (getcwd (cwd, sizeof cwd) && strncmp (cwd, p->dir, n) == 0 && (cwd[n] == '\0' || cwd[n] == '/'))
    return xstrdup (cwd);
  return xstrdup (p->dir);
}

int
cli_exec_in_project (cli_ctx *ctx, const cli_exec_opts *o)
{
  _cleanup_error_ sbx_error *err = NULL;
  sbx_project *p = NULL;
  sbx_config loaded;
  if (cli_open_project (ctx, &p, o->cfg ? NULL : &loaded, &err) < 0)
    return cli_report (ctx, err);
  const sbx_config *cfg = o->cfg ? o->cfg : &loaded;
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_free_ char *id = NULL, *workdir = NULL, *user = NULL, *why = NULL, *want = NULL;
  int rc = SBX_EXIT_ERROR;
  workdir = cli_exec_workdir (p, o->workdir);
  user = xasprintf ("%u:%u", (unsigned) getuid (), (unsigned) getgid ());
  devenv_exec_opts eo = { .argv = o->argv, .env = o->env, .workdir = workdir, .user = user,
                          .timeout_ms = o->timeout_ms, .output = write_output,
                          .cancel = ctx->cancel };
  devenv_exec_result res;
  /* The project container's agent, when it answers, without the engine. */
  /* An explicit configuration (sbx run) must be the one the container runs
     with; plain exec takes the container as it is. */
  sbx_level level = o->level;
  if (o->cfg && cli_level_for_container (ctx, cfg, &level, o->level_set, &err) < 0)
    goto out;
  want = o->cfg ? devenv_profile (level, cfg) : NULL;
  int fast = devenv_exec_fast (p, ctx->host, want, &eo, &res, &why, &err);
  if (fast < 0)
    goto out;
  if (fast > 0)
    {
      cli_verbose (ctx, "exec in %s through its sbx agent", p->container_name);
      goto done;
    }
  cli_verbose (ctx, "no agent reached without the engine (%s)", why);
  if (cli_open_engine (ctx, &c, &err) < 0)
    goto out;
  devenv_exec_via via;
  for (int attempt = 0;; attempt++)
    {
      free (id);
      free (why);
      id = why = NULL;
      cli_container_req req = { .level = o->level, .level_set = o->level_set,
                                .match_config = o->cfg != NULL };
      if (cli_ensure_project_container (ctx, c, p, cfg, &req, &id, &err) < 0)
        goto out;
      if (devenv_exec_auto (c, p, id, &eo, &res, &via, &why, &err) == 0)
        break;
      /* Not found, or not running (409): the container went between the
         lookup and the start of the command (a swap replaced it), which
         did not run: look again. */
      if ((err->code != SBX_ERR_NOT_FOUND && err->code != SBX_ERR_CONFLICT) || attempt == 2)
        goto out;
      cli_verbose (ctx, "%s went before the command started; looking it up again", p->container_name);
      sbx_error_free (err);
      err = NULL;
    }
  if (via == DEVENV_VIA_AGENT)
    cli_verbose (ctx, "exec in %s through its sbx agent", p->container_name);
  else
    cli_verbose (ctx, "exec in %s through the engine API%s%s%s", p->container_name,
                 why ? " (" : "", why ? why : "", why ? ")" : "");
done:
  if (res.timed_out)
    fprintf (stderr, "%s: command timed out after %ld ms; killed\n", ctx->prog, o->timeout_ms);
  rc = res.exit_code;
out:
  if (err)
    rc = cli_report (ctx, err);
  if (!o->cfg)
    sbx_config_clear (&loaded);
  sbx_project_free (p);
  return rc;
}
