/* shell.c: an interactive session in the project container (see container.h). */
#include "devenv/container/container.h"
#include "devenv/container/exec_auto.h"
#include "util.h"

#include <fcntl.h>
#include <string.h>
#include <time.h>

#define RESIZE_TRIES 20
#define WAIT_EXIT_MS 15000L
#define RESIZE_BACKOFF_MS 10L    /* the i-th retry waits (i + 1) times this */
#define WAIT_EXIT_POLL_MAX_MS 50 /* the exit poll doubles from 2 ms up to this */

struct devenv_shell
{
  engine_client *c; /* borrowed */
  char *container;
  char *exec_id;
  char *user;
  char token[33];
  engine_hijack *stream;
  engine_end_watch *end; /* the container's end, which the stream may not see */
  devenv_agent *agent; /* the agent path: the session runs through it */
  int agent_exit;
};

char **
devenv_shell_argv (char *const *argv)
{
  size_t n = strv_len (argv);
  char **v = xcalloc (n + 7, sizeof *v); /* agent run -- [sh -c chooser] argv NULL */
  size_t k = 0;
  v[k++] = xstrdup (DEVENV_AGENT_TARGET);
  v[k++] = xstrdup ("run");
  v[k++] = xstrdup ("--");
  if (n == 0)
    {
      v[k++] = xstrdup ("/bin/sh");
      v[k++] = xstrdup ("-c");
      v[k++] = xstrdup (DEVENV_SHELL_CHOOSER);
    }
  for (size_t i = 0; i < n; i++)
    v[k++] = xstrdup (argv[i]);
  return v;
}

void
devenv_shell_free (devenv_shell *s)
{
  if (!s)
    return;
  engine_hijack_free (s->stream);
  engine_end_watch_free (s->end);
  devenv_agent_free (s->agent);
  free (s->container);
  free (s->exec_id);
  free (s->user);
  free (s);
}

void
devenv_shell_freep (devenv_shell **s)
{
  devenv_shell_free (*s);
  *s = NULL;
}



bool
devenv_shell_via_agent (const devenv_shell *s)
{
  return s->agent != NULL;
}

int
devenv_shell_pump (devenv_shell *s, const engine_pump_opts *po, sbx_error **err)
{
  if (s->agent)
    return devenv_agent_pump (s->agent, po, &s->agent_exit, err);
  engine_pump_opts o = *po;
  o.end = s->end;
  int r = engine_hijack_pump (s->stream, &o, err);
  if (r == ENGINE_PUMP_CONTAINER_ENDED)
    return sbx_fail (err, SBX_ERR_ENGINE,
                     "the container was stopped or removed (sbx swap or sbx down) while the shell "
                     "ran; it was killed: run it again");
  return r;
}

int
devenv_shell_resize (devenv_shell *s, unsigned rows, unsigned cols, sbx_error **err)
{
  if (rows == 0 || cols == 0)
    return 0;
  if (s->agent)
    return devenv_agent_resize (s->agent, rows, cols, err);
  return engine_exec_resize (s->c, s->exec_id, rows, cols, err);
}

/* The first size may reach the engine before the process runs; engines
   that refuse it then get a few more tries.  Best effort: a process that
   could not start has no TTY to size, and the stream will say why. */
static void
initial_resize (devenv_shell *s, unsigned rows, unsigned cols)
{
  for (int i = 0; i < RESIZE_TRIES; i++)
    {
      sbx_error *e = NULL;
      if (devenv_shell_resize (s, rows, cols, &e) == 0)
        return;
      bool again = e->code != SBX_ERR_NOT_FOUND && e->code != SBX_ERR_INTERRUPTED
                   && e->code != SBX_ERR_UNREACHABLE;
      sbx_error_free (e);
      if (!again)
        return;
      sbx_sleep_ms (RESIZE_BACKOFF_MS * (i + 1));
    }
}

int
devenv_shell_start (engine_client *c, const char *container, const devenv_shell_opts *o,
                    devenv_shell **out, sbx_error **err)
{
  _cleanup_shell_ devenv_shell *s = xcalloc (1, sizeof *s);
  s->c = c;
  s->container = xstrdup (container);
  s->user = o->user ? xstrdup (o->user) : NULL;
  sbx_random_hex (s->token, 16);

  _cleanup_strv_ char **argv = devenv_shell_argv (o->argv);
  _cleanup_strv_ char **env = strv_dup (o->env);
  _cleanup_free_ char *tok = xasprintf ("SBX_EXEC_ID=%s", s->token);
  strv_append (&env, tok);

  engine_exec_config cfg = { .cmd = argv, .env = env, .workdir = o->workdir, .user = o->user,
                             .tty = o->tty, .attach_stdin = o->attach_stdin };
  if (engine_exec_create (c, container, &cfg, &s->exec_id, err) < 0)
    return -1;
  if (engine_container_watch_end (c, container, &s->end, err) < 0)
    return -1;
  if (engine_exec_start_hijack (c, s->exec_id, o->tty, &s->stream, err) < 0)
    return -1;
  if (o->tty && o->rows && o->cols)
    initial_resize (s, o->rows, o->cols);
  *out = steal_pointer (&s);
  return 0;
}

int
devenv_shell_start_auto (engine_client *c, const sbx_project *p, const char *container,
                         const devenv_shell_opts *o, devenv_shell **out, char **why,
                         sbx_error **err)
{
  _cleanup_agent_ devenv_agent *a = NULL;
  int r = devenv_agent_open_container (c, p, container, &a, why, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      _cleanup_strv_ char **argv = devenv_shell_argv (o->argv);
      devenv_exec_opts eo = { .argv = argv, .env = o->env, .workdir = o->workdir,
                              .user = o->user, .attach_stdin = o->attach_stdin,
                              .stdin_fd = STDIN_FILENO, .tty = o->tty,
                              .rows = (unsigned short) o->rows, .cols = (unsigned short) o->cols };
      sbx_error *e = NULL;
      if (devenv_agent_start (a, &eo, &e) == 0)
        {
          devenv_shell *s = xcalloc (1, sizeof *s);
          s->c = c;
          s->container = xstrdup (container);
          s->agent = steal_pointer (&a);
          *out = s;
          return 0;
        }
      if (e->code != SBX_ERR_UNAVAILABLE)
        {
          *err = e;
          return -1;
        }
      free (*why);
      *why = steal_pointer (&e->msg);
      sbx_error_free (e);
    }
  return devenv_shell_start (c, container, o, out, err);
}

int
devenv_shell_wait (devenv_shell *s, int *exit_code, sbx_error **err)
{
  if (s->agent)
    {
      *exit_code = s->agent_exit;
      return 0;
    }
  engine_exec_state st = { 0 };
  long waited = 0, step = 2;
  for (;;)
    {
      if (engine_exec_inspect (s->c, s->exec_id, &st, err) < 0)
        return -1;
      if (!st.running)
        break;
      if (waited >= WAIT_EXIT_MS)
        return sbx_fail (err, SBX_ERR_ENGINE,
                         "exec %.12s: its stream ended but the engine still reports it running",
                         s->exec_id);
      sbx_sleep_ms (step);
      waited += step;
      if (step < WAIT_EXIT_POLL_MAX_MS)
        step *= 2;
    }
  if (st.exit_code == 128 + 9 && devenv_container_went (s->c, s->container, DEVENV_STOP_WAIT_MS))
    return sbx_fail (err, SBX_ERR_ENGINE,
                     "the container was stopped or removed (sbx swap or sbx down) while the shell "
                     "ran; it was killed: run it again");
  *exit_code = st.exit_code;
  return 0;
}

int
devenv_shell_kill (devenv_shell *s, sbx_error **err)
{
  if (s->agent)
    return devenv_agent_kill (s->agent, err);
  engine_client_set_cancel (s->c, NULL);
  /* The stream first: output nobody reads any more holds the engine's
     copy, and with it the processes the kill waits for. */
  engine_hijack_free (s->stream);
  s->stream = NULL;
  return devenv_exec_kill (s->c, s->container, s->user, s->token, err);
}
