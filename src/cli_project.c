/* cli_project.c: the project container as the verbs see it: which image and
   level it runs, making sure it runs, and running a command in it. */
#include "cli.h"
#include "cli_project.h"
#include "cli_devenv.h"
#include "select.h"
#include "userdirs.h"
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>

int
cli_ensure_project_container (cli_ctx *ctx, engine_client *c, const sbx_project *p,
                              const sbx_config *cfg, const devenv_container_req *req, char **id,
                              sbx_error **err)
{
  /* maximum never runs without gVisor, whatever the runtime's name. */
  sbx_level level = req->level;
  if (devenv_container_level (cfg, &level, req->level_set, err) < 0)
    return -1;
  if (level == SBX_LEVEL_MAXIMUM
      && sbx_check_gvisor (c, cfg->runtime ? cfg->runtime : "runsc", cfg->runtime_from, err) < 0)
    return -1;
  cli_devenv_hooks k;
  cli_devenv_hooks_init (&k, ctx);
  /* The verbs that run a command (exec, shell, run) keep their stderr for
     it: a build on the way goes to its log. */
  cli_devenv_hooks_log (&k, p, !(ctx->command && strcmp (ctx->command, "up") == 0));
  int r = devenv_project_container (c, p, cfg, req, &k.h, id, err);
  cli_devenv_hooks_end (&k, r, err);
  return r;
}

void
cli_say_if_outdated (cli_ctx *ctx, engine_client *c, const sbx_project *p, const sbx_config *cfg,
                     const devenv_ctr *ctr)
{
  if (ctx->json || ctx->verbosity < 0)
    return;
  devenv_options o = { .cancel = ctx->cancel };
  bool stale = false;
  sbx_error *e = NULL;
  if (devenv_container_outdated (c, p, cfg, ctr, &o, &stale, &e) < 0)
    {
      /* Only advice: a project that cannot be read now says so when it
         is built. */
      sbx_error_free (e);
      return;
    }
  if (stale)
    fprintf (stderr,
             "%s: %s runs an older image of the project (its Dockerfile or context changed); "
             "'sbx swap' or 'sbx up --swap' updates it without stopping it\n",
             ctx->prog, p->container_name);
}

/* sbx exec says that the container runs an older image once per change of
   the project's key, not at every command, and cheaply: the key is
   computed here (no engine), and only a key this user's sbx has not
   checked yet (recorded in the runtime dir, <id>.key-checked) costs the
   engine's look at the container.  c: an engine client, opened here when
   needed and NULL. */
static void
exec_say_if_outdated (cli_ctx *ctx, engine_client **c, const sbx_project *p, const sbx_config *cfg)
{
  if (ctx->json || ctx->verbosity < 0 || cfg->image)
    return;
  sbx_error *e = NULL;
  _cleanup_plan_ devenv_plan *plan = NULL;
  _cleanup_free_ char *run = NULL, *path = NULL;
  devenv_options o = { .cancel = ctx->cancel };
  if (devenv_plan_new (p, &o, &plan, &e) < 0 || sbx_run_dir (&run, &e) < 0)
    {
      /* Only advice: a project that cannot be read now says so when it
         is built. */
      sbx_error_free (e);
      return;
    }
  path = xasprintf ("%s/%s.key-checked", run, p->id);
  char seen[80] = "";
  int rfd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (rfd >= 0)
    {
      ssize_t n = read (rfd, seen, sizeof seen - 1);
      seen[n > 0 ? n : 0] = '\0';
      close (rfd);
    }
  if (strcmp (seen, plan->key) == 0)
    return;
  _cleanup_ctr_ devenv_ctr ctr = { 0 };
  if ((!*c && cli_open_engine (ctx, c, &e) < 0) || devenv_container_find (*c, p, &ctr, &e) < 0)
    {
      sbx_error_free (e);
      return;
    }
  if (ctr.json)
    cli_say_if_outdated (ctx, *c, p, cfg, &ctr);
  if (sbx_private_dir (run, &e) < 0)
    {
      sbx_error_free (e);
      return;
    }
  /* A new file renamed over the old: a reader sees one key or the other. */
  _cleanup_free_ char *tmp = xasprintf ("%s.%d", path, (int) getpid ());
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return;
  bool ok = write_all (fd, plan->key, strlen (plan->key)) == 0;
  close (fd);
  if (!ok || rename (tmp, path) < 0)
    unlink (tmp);
}

/* ---- exec ---- */

/* ud: the cli_ctx.  A reader that stopped reading (a full pipe) would
   block the write for ever: each piece (at most PIPE_BUF, which a pipe
   that polls writable takes without blocking) waits for room in rounds
   of OUTPUT_POLL_MS, and once sbx got a signal a full output ends it (the
   command is then killed). */
#define OUTPUT_POLL_MS 100
static int
write_output (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  cli_ctx *ctx = ud;
  const char *what = stream == 2 ? "stderr" : "stdout";
  int fd = stream == 2 ? STDERR_FILENO : STDOUT_FILENO;
  while (len > 0)
    {
      struct pollfd p = { .fd = fd, .events = POLLOUT };
      int r = poll (&p, 1, OUTPUT_POLL_MS);
      if ((r == 0 || (r < 0 && errno == EINTR)) && ctx->signalled && *ctx->signalled)
        return sbx_fail (err, SBX_ERR_INTERRUPTED, "interrupted while writing the command's %s",
                         what);
      if (r == 0 || (r < 0 && errno == EINTR))
        continue;
      ssize_t n = write (fd, data, len < PIPE_BUF ? len : PIPE_BUF);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return sbx_fail_errno (err, errno, "writing the command's %s", what);
      data += n;
      len -= (size_t) n;
    }
  return 0;
}

char *
cli_exec_workdir (const sbx_project *p, const char *w)
{
  if (w && w[0] == '/')
    return xstrdup (w);
  if (w)
    return xasprintf ("%s/%s", p->dir, w);
  return sbx_cwd_within (p->dir);
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
  devenv_exec_opts eo = { .argv = o->argv,
                          .env = o->env,
                          .workdir = workdir,
                          .user = user,
                          .timeout_ms = o->timeout_ms,
                          .output = write_output,
                          .output_ud = ctx,
                          .cancel = ctx->cancel,
                          .forward_signals = true,
                          .attach_stdin = o->stdin,
                          .stdin_fd = STDIN_FILENO };
  devenv_exec_result res;
  /* The project container's agent, when it answers, without the engine. */
  /* An explicit configuration (sbx run) must be the one the container runs
     with; plain exec takes the container as it is. */
  sbx_level level = o->level;
  if (o->cfg && devenv_container_level (cfg, &level, o->level_set, &err) < 0)
    goto out;
  want = o->cfg ? devenv_profile (level, cfg) : NULL;
  exec_say_if_outdated (ctx, &c, p, cfg);
  int fast = devenv_exec_fast (p, ctx->host, want, &eo, &res, &why, &err);
  if (fast < 0)
    goto out;
  if (fast > 0)
    {
      cli_verbose (ctx, "exec in %s through its sbx agent", p->container_name);
      goto done;
    }
  cli_verbose (ctx, "no agent reached without the engine (%s)", why);
  if (!c && cli_open_engine (ctx, &c, &err) < 0)
    goto out;
  devenv_exec_via via;
  for (int attempt = 0;; attempt++)
    {
      free (id);
      free (why);
      id = why = NULL;
      devenv_container_req req
          = { .level = o->level, .level_set = o->level_set, .match_config = o->cfg != NULL };
      if (cli_ensure_project_container (ctx, c, p, cfg, &req, &id, &err) < 0)
        goto out;
      if (devenv_exec_auto (c, p, id, &eo, &res, &via, &why, &err) == 0)
        break;
      /* Not found, or not running (409): the container went between the
         lookup and the start of the command (a swap replaced it), which
         did not run: look again. */
      if ((err->code != SBX_ERR_NOT_FOUND && err->code != SBX_ERR_CONFLICT) || attempt == 2)
        goto out;
      cli_verbose (ctx, "%s went before the command started; looking it up again",
                   p->container_name);
      sbx_error_free (err);
      err = NULL;
    }
  if (via == DEVENV_VIA_AGENT)
    cli_verbose (ctx, "exec in %s through its sbx agent", p->container_name);
  else
    cli_verbose (ctx, "exec in %s through the engine API%s%s%s", p->container_name, why ? " (" : "",
                 why ? why : "", why ? ")" : "");
done:
  if (res.timed_out)
    fprintf (stderr, "%s: command timed out after %ld ms; killed\n", ctx->prog, o->timeout_ms);
  rc = res.exit_code;
out:
  /* The container went while the command ran: its agent may have ended
     it because a command made a protected path (the report replaces the
     error; same exit status). */
  if (err && err->code == SBX_ERR_ENGINE)
    {
      _cleanup_error_ sbx_error *unopened = NULL;
      _cleanup_free_ char *guarded = NULL;
      if ((c || cli_open_engine (ctx, &c, &unopened) == 0)
          && devenv_container_guarded (c, p->container_name, &guarded))
        {
          sbx_error_free (err);
          err = NULL;
          sbx_fail (&err, SBX_ERR_GENERIC, "%s", guarded);
        }
    }
  if (err)
    rc = cli_report (ctx, err);
  if (!o->cfg)
    sbx_config_clear (&loaded);
  sbx_project_free (p);
  return rc;
}
