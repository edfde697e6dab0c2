/* exec.c: running a command in the project container through the engine's
   exec API.  The command runs under `sbx-agent run` with a per-exec token in
   its environment; the API has no kill-exec or signal-exec call, so a
   timeout or a cancellation is enforced by a second exec, `sbx-agent kill
   TOKEN`, which kills every process carrying the token, and a signal for
   the command (forward_signals) is passed on by `sbx-agent kill -N TOKEN`. */
#include "devenv/container/container.h"
#include "engine/hijack.h"
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SIGNAL_FORWARD_MS 2000 /* the exec that passes a signal on */
#define KILL_TIMEOUT_MS 30000 /* the kill exec of a timeout or cancellation (a fork bomb slows it) */

static int
discard (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  return 0;
}

/* `sbx-agent kill [-N] TOKEN` in the container, as user, within
   timeout_ms. */
static int
agent_kill_exec (engine_client *c, const char *container, const char *user, const char *token,
                 int sig, long timeout_ms, sbx_error **err)
{
  char num[16];
  snprintf (num, sizeof num, "-%d", sig);
  char *const with_sig[] = { DEVENV_AGENT_TARGET, "kill", num, (char *) token, NULL };
  char *const all[] = { DEVENV_AGENT_TARGET, "kill", (char *) token, NULL };
  engine_exec_config cfg = { .cmd = sig ? with_sig : all, .user = user };
  _cleanup_free_ char *id = NULL;
  if (engine_exec_create (c, container, &cfg, &id, err) < 0)
    return -1;
  return engine_exec_start (c, id, discard, NULL, timeout_ms, err);
}

int
devenv_exec_kill (engine_client *c, const char *container, const char *user, const char *token,
                  sbx_error **err)
{
  /* The cancellation flag that stopped the command must not stop its
     cleanup. */
  engine_client_set_cancel (c, NULL);
  return agent_kill_exec (c, container, user, token, 0, KILL_TIMEOUT_MS, err);
}

/* A signal for the command, passed on while its stream is pumped (the
   hijacked connection is not the client's own).  The command has
   DEVENV_SIGNAL_GRACE_MS to end on it, else it is killed: sbx always ends
   soon after a signal.  A second signal ends it at once. */
typedef struct forwarder
{
  engine_client *c;
  const char *container, *user, *token;
  engine_pump_opts *po;
  int sig;            /* the signal passed on; 0: none */
  long user_deadline; /* the --timeout deadline (0: none) */
} forwarder;

static int
forward_signal (void *ud, int sig, sbx_error **err)
{
  forwarder *f = ud;
  if (sig <= 0)
    return 0;
  if (f->sig)
    {
      f->sig = sig;
      return sbx_fail (err, SBX_ERR_INTERRUPTED, "interrupted (signal %d)", sig);
    }
  f->sig = sig;
  sbx_error *e = NULL;
  /* When the command has just ended there is nobody to signal: not an
     error of the command's.  The grace counts from when the signal was
     passed on (an exec: slow under runsc on a loaded machine). */
  if (agent_kill_exec (f->c, f->container, f->user, f->token, sig, SIGNAL_FORWARD_MS, &e) < 0)
    sbx_error_free (e);
  long grace = sbx_now_ms () + DEVENV_SIGNAL_GRACE_MS;
  if (!f->po->deadline || f->po->deadline > grace)
    f->po->deadline = grace;
  return 0;
}


/* The output callback.  When the runtime cannot start the process, the
   engine writes its error into the stdout stream as one frame ending in
   "\r\n", and the exec never gets a pid.  Such a first frame is held back
   until more output comes or the exec is inspected, so that the engine's
   message is never taken for the command's output. */
#define EXIT_POLL_MS 5       /* asking the engine whether the exec ended */
#define EXIT_POLL_ROUNDS 400 /* 2 s at most */
#define HOLD_MAX 4096
#define CONTAINER_WENT_MSG                                                                         \
  "the container was stopped or removed (sbx swap or sbx down) while the command ran; it was "     \
  "killed: run it again"

typedef struct counted
{
  engine_output_cb cb;
  void *ud;
  size_t bytes;
  char held[HOLD_MAX];
  size_t held_len;
} counted;

static int
release_held (counted *c, sbx_error **err)
{
  size_t n = c->held_len;
  c->held_len = 0;
  return n ? c->cb (1, c->held, n, c->ud, err) : 0;
}

static int
count_output (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  counted *c = ud;
  bool first = c->bytes == 0;
  c->bytes += len;
  if (first && stream == 1 && len >= 2 && len <= HOLD_MAX && memcmp (data + len - 2, "\r\n", 2) == 0)
    {
      memcpy (c->held, data, len);
      c->held_len = len;
      return 0;
    }
  if (release_held (c, err) < 0)
    return -1;
  return c->cb (stream, data, len, c->ud, err);
}

/* Is the container stopped or gone?  The engine may report it running for
   a moment after its init was killed: wait briefly for it to stop. */
bool
devenv_container_went (engine_client *c, const char *container, long wait_ms)
{
  _cleanup_free_ char *path = xasprintf ("/containers/%s/wait?condition=not-running", container);
  engine_request wreq = { .method = "POST", .path = path, .timeout_ms = wait_ms };
  sbx_error *e = NULL;
  bool went = engine_call (c, &wreq, NULL, NULL, &e) == 0 || e->code == SBX_ERR_NOT_FOUND;
  sbx_error_free (e);
  return went;
}

/* Stream the exec's output, and its stdin when attached, on a hijacked
   connection, until the process ends, or its container does (some
   runtimes never close the stream then).  *stdin_sent: bytes of stdin
   passed on, which could not be replayed.  Returns the pump's status. */
static int
stream_exec (engine_client *c, const char *container, const char *id, const devenv_exec_opts *o,
             forwarder *fw, counted *out, size_t *stdin_sent, sbx_error **err)
{
  *stdin_sent = 0;
  _cleanup_end_watch_ engine_end_watch *end = NULL;
  if (engine_container_watch_end (c, container, &end, err) < 0)
    return -1;
  _cleanup_hijack_ engine_hijack *h = NULL;
  if (engine_exec_start_hijack (c, id, false, &h, err) < 0)
    return -1;
  fw->user_deadline = o->timeout_ms > 0 ? sbx_now_ms () + o->timeout_ms : 0;
  engine_pump_opts po = { .in_fd = o->attach_stdin ? o->stdin_fd : -1,
                          .out_fd = -1,
                          .err_fd = -1,
                          .output = count_output,
                          .output_ud = out,
                          .on_eof = ENGINE_EOF_HALF_CLOSE,
                          .deadline = fw->user_deadline,
                          .stop_on_cancel = true,
                          .wake_fd = -1,
                          .on_cancel = o->forward_signals ? forward_signal : NULL,
                          .ud = fw,
                          .end = end };
  fw->po = &po;
  int r = engine_hijack_pump (h, &po, err);
  fw->po = NULL;
  *stdin_sent = engine_hijack_stdin_sent (h);
  return r;
}

/* The stream failed with e (taken): whatever stopped it, nothing of the
   command may go on.  A deadline or an interruption is the command's
   result (124, 130); anything else is the error. */
static int
kill_after_stream (engine_client *c, const char *container, const devenv_exec_opts *o,
                   const char *token, const forwarder *fw, counted *out, sbx_error *e,
                   devenv_exec_result *res, sbx_error **err)
{
  /* The grace after a signal passed on is not the user's deadline. */
  if (e->code == SBX_ERR_TIMEOUT && fw->sig
      && !(fw->user_deadline && sbx_now_ms () >= fw->user_deadline))
    e->code = SBX_ERR_INTERRUPTED;
  int sig = fw->sig ? fw->sig : o->cancel && *o->cancel > 0 ? (int) *o->cancel : SIGINT;
  bool stop = e->code == SBX_ERR_TIMEOUT || e->code == SBX_ERR_INTERRUPTED;
  sbx_error *ke = NULL;
  if (release_held (out, &ke) < 0)
    sbx_error_freep (&ke);
  if (devenv_exec_kill (c, container, o->user, token, &ke) < 0 && stop)
    {
      bool timed_out = e->code == SBX_ERR_TIMEOUT;
      sbx_error_free (e);
      *err = ke;
      return sbx_error_prefix (err, "the command outlived its %s and could not be killed",
                               timed_out ? "deadline" : "signal");
    }
  sbx_error_free (ke);
  if (!stop)
    {
      *err = e;
      return -1;
    }
  res->timed_out = e->code == SBX_ERR_TIMEOUT;
  res->interrupted = e->code == SBX_ERR_INTERRUPTED;
  res->signal = res->interrupted ? sig : 0;
  res->exit_code = res->timed_out ? 124 : 128 + sig;
  sbx_error_free (e);
  return 0;
}

/* The stream ends when the process does; the engine may record its exit
   a moment later: *st once it no longer runs (or after EXIT_POLL_ROUNDS). */
static int
wait_exit (engine_client *c, const char *id, counted *out, engine_exec_state *st, sbx_error **err)
{
  for (int i = 0; i < EXIT_POLL_ROUNDS; i++)
    {
      sbx_error *ie = NULL;
      if (engine_exec_inspect (c, id, st, &ie) < 0)
        {
          if (ie->code != SBX_ERR_NOT_FOUND)
            {
              *err = ie;
              return -1;
            }
          sbx_error_free (ie);
          if (release_held (out, err) < 0)
            return -1;
          return sbx_fail (
              err, SBX_ERR_ENGINE,
              "the container was removed (sbx swap or sbx down) while the command ran; "
              "its exit status is lost: run it again");
        }
      if (!st->running)
        break;
      struct timespec ts = { 0, EXIT_POLL_MS * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  return 0;
}

int
devenv_exec (engine_client *c, const char *container, const devenv_exec_opts *o,
             devenv_exec_result *res, sbx_error **err)
{
  memset (res, 0, sizeof *res);
  char token[33];
  sbx_random_hex (token, 16);

  size_t n = strv_len (o->argv);
  if (n == 0)
    return sbx_fail (err, SBX_ERR_INVALID, "no command given");
  _cleanup_strv_ char **argv = xcalloc (n + 6, sizeof *argv);
  size_t k = 0;
  argv[k++] = xstrdup (DEVENV_AGENT_TARGET);
  argv[k++] = xstrdup ("run");
  if (o->timeout_ms > 0)
    {
      /* Kept inside too: at the pids limit no kill exec can start. */
      argv[k++] = xstrdup ("--timeout-ms");
      argv[k++] = xasprintf ("%ld", o->timeout_ms);
    }
  argv[k++] = xstrdup ("--");
  for (size_t i = 0; i < n; i++)
    argv[k++] = xstrdup (o->argv[i]);

  _cleanup_strv_ char **env = strv_dup (o->env);
  _cleanup_free_ char *tok = xasprintf ("SBX_EXEC_ID=%s", token);
  strv_append (&env, tok);

  engine_exec_config cfg = { .cmd = argv, .env = env, .workdir = o->workdir, .user = o->user,
                             .attach_stdin = o->attach_stdin };
  _cleanup_free_ char *id = NULL;
  if (engine_exec_create (c, container, &cfg, &id, err) < 0)
    return -1;

  sbx_error *e = NULL;
  counted out = { .cb = o->output ? o->output : discard, .ud = o->output_ud };
  size_t stdin_sent;
  forwarder fw = { .c = c, .container = container, .user = o->user, .token = token };
  int status = stream_exec (c, container, id, o, &fw, &out, &stdin_sent, &e);
  if (status < 0)
    return kill_after_stream (c, container, o, token, &fw, &out, e, res, err);
  if (status == ENGINE_PUMP_CONTAINER_ENDED)
    {
      if (release_held (&out, err) < 0)
        return -1;
      return sbx_fail (err, SBX_ERR_ENGINE, CONTAINER_WENT_MSG);
    }
  engine_exec_state st = { 0 };
  if (wait_exit (c, id, &out, &st, err) < 0)
    return -1;
  if (!st.running && st.pid == 0 && st.exit_code == 126)
    {
      /* The runtime could not start the process, so whatever came is the
         engine's message.  When the container stopped first, nothing ran
         and the caller may look the project container up again. */
      if (devenv_container_went (c, container, 500))
        return sbx_fail (err, stdin_sent ? SBX_ERR_ENGINE : SBX_ERR_CONFLICT,
                         "the container %.12s stopped before the command started%s", container,
                         stdin_sent ? ", after some of its stdin was read: run it again" : "");
      res->exit_code = 126;
      size_t n = out.held_len;
      out.held_len = 0;
      if (n == 0)
        return 0;
      out.held[n - 2] = '\n';
      return out.cb (2, out.held, n - 1, out.ud, err);
    }
  if (release_held (&out, err) < 0)
    return -1;
  if (st.running)
    return sbx_fail (err, SBX_ERR_ENGINE, "exec %.12s: output ended but the engine still reports it running",
                     id);
  if (st.exit_code == 128 + 9 && devenv_container_went (c, container, DEVENV_STOP_WAIT_MS))
    /* Killed, not by its own doing: its container was removed (a swap
       that stopped waiting, or sbx down). */
    return sbx_fail (err, SBX_ERR_ENGINE, CONTAINER_WENT_MSG);
  res->exit_code = st.exit_code;
  return 0;
}
