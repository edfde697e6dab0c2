/* cmd_shell.c: sbx shell [-t|-T] [-e K=V]... [-w DIR] [CMD...]

   An interactive session in the project container.  With a terminal on
   stdin (or -t) the exec gets a TTY and the local terminal goes into raw
   mode, so that every byte (Ctrl-C, Ctrl-Z, Ctrl-D included) reaches the
   container's TTY; the terminal is restored on every way out.  Window size is
   sent at start and on SIGWINCH.  Without a terminal (or with -T) stdin and
   the output streams are passed as they are and stdin EOF is passed on. */
#include "cli.h"
#include "cli_project.h"
#include "devenv/devenv.h"
#include "util.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

static void
help (void)
{
  printf ("usage: sbx shell [-t|-T] [-e K=V]... [-w DIR] [CMD...]\n\n"
          "Open an interactive shell (bash if the image has it, else sh), or run CMD,\n"
          "in the project container, starting (or creating) it if needed.  With a\n"
          "terminal on stdin the command gets a TTY: the local terminal is put in raw\n"
          "mode (Ctrl-C goes to the command) and restored on exit; window size\n"
          "changes follow.  Without one (echo 'echo hi' | sbx shell) stdin is passed\n"
          "as it is.  The exit status is the command's.  The devcontainer.json's\n"
          "postAttachCommand runs first (its failure is said; the session opens).\n\n"
          "  -t, --tty      allocate a TTY even when stdin is not a terminal\n"
          "  -T, --no-tty   never allocate a TTY\n"
          "  -e K=V         set an environment variable (-e K takes K from this environment)\n"
          "  -w DIR         working directory (relative: to the project; default: the current\n"
          "                 directory when inside the project, else the project)\n");
}

/* ---- signals: flags plus a self-pipe that wakes the pump ---- */

static volatile sig_atomic_t got_winch;
static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t *cancel_flag, *signalled_flag;
static int wake_pipe[2] = { -1, -1 };

static void
on_signal (int sig)
{
  int saved = errno;
  if (sig == SIGWINCH)
    got_winch = 1;
  else
    {
      got_stop = sig;
      if (cancel_flag)
        *cancel_flag = sig;
      if (signalled_flag)
        *signalled_flag = sig;
    }
  if (wake_pipe[1] >= 0)
    (void) !write (wake_pipe[1], "", 1);
  errno = saved;
}

static int
signals_setup (cli_ctx *ctx, sbx_error **err)
{
  if (pipe2 (wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    return sbx_fail_errno (err, errno, "creating a pipe");
  cancel_flag = ctx->cancel;
  signalled_flag = ctx->signalled;
  struct sigaction sa = { .sa_handler = on_signal };
  sigemptyset (&sa.sa_mask);
  int sigs[] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP };
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaction (sigs[i], &sa, NULL);
  return 0;
}

static void
signals_teardown (void)
{
  signal (SIGWINCH, SIG_DFL);
  /* Forget the descriptors before closing them: a late signal must not
     write into a reused one. */
  for (int i = 1; i >= 0; i--)
    if (wake_pipe[i] >= 0)
      {
        int fd = wake_pipe[i];
        wake_pipe[i] = -1;
        close (fd);
      }
}

/* ---- the local terminal ---- */

static struct termios saved_termios;
static int raw_fd = -1;

static void
term_restore (void)
{
  if (raw_fd >= 0)
    {
      tcsetattr (raw_fd, TCSANOW, &saved_termios);
      raw_fd = -1;
    }
}

static int
term_raw (int fd, sbx_error **err)
{
  static bool registered;
  struct termios t;
  if (tcgetattr (fd, &saved_termios) < 0)
    return sbx_fail_errno (err, errno, "reading the terminal settings");
  if (!registered)
    {
      atexit (term_restore);
      registered = true;
    }
  t = saved_termios;
  cfmakeraw (&t);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  /* TCSANOW, not TCSAFLUSH: what was typed ahead must reach the shell. */
  if (tcsetattr (fd, TCSANOW, &t) < 0)
    return sbx_fail_errno (err, errno, "putting the terminal in raw mode");
  raw_fd = fd;
  return 0;
}

static void
term_size (unsigned *rows, unsigned *cols)
{
  struct winsize ws = { 0 };
  *rows = *cols = 0;
  if ((ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
      || (ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col))
    {
      *rows = ws.ws_row;
      *cols = ws.ws_col;
    }
}

/* ---- the session ---- */

typedef struct session
{
  devenv_shell *shell;
  bool tty;
  unsigned rows, cols;
} session;

static int
on_wake (void *ud, sbx_error **err)
{
  session *s = ud;
  char buf[64];
  while (read (wake_pipe[0], buf, sizeof buf) > 0)
    ;
  if (got_stop)
    return 1;
  if (got_winch)
    {
      got_winch = 0;
      unsigned rows, cols;
      term_size (&rows, &cols);
      if (s->tty && rows && (rows != s->rows || cols != s->cols))
        {
          /* A failed resize (the process is ending) is no reason to stop. */
          sbx_error *e = NULL;
          if (devenv_shell_resize (s->shell, rows, cols, &e) == 0)
            {
              s->rows = rows;
              s->cols = cols;
            }
          sbx_error_free (e);
        }
    }
  return 0;
}

static bool
env_has (char *const *env, const char *name)
{
  size_t n = strlen (name);
  for (char *const *e = env; e && *e; e++)
    if (strncmp (*e, name, n) == 0 && (*e)[n] == '=')
      return true;
  return false;
}

static void
kill_quietly (cli_ctx *ctx, devenv_shell *shell)
{
  sbx_error *e = NULL;
  /* A container that is gone took the shell's processes with it. */
  if (devenv_shell_kill (shell, &e) < 0 && e->code != SBX_ERR_NOT_FOUND)
    fprintf (stderr, "%s: the shell's processes could not be killed: %s\n", ctx->prog, e->msg);
  sbx_error_free (e);
}

static int
run_shell (cli_ctx *ctx, char *const *cmd, char *const *env_in, const char *w, bool tty, bool raw)
{
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_project_ sbx_project *p = NULL;
  sbx_config cfg;
  if (cli_open_project (ctx, &p, &cfg, &err) < 0)
    return cli_report (ctx, err);
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_free_ char *id = NULL, *workdir = NULL, *user = NULL;
  _cleanup_strv_ char **env = strv_dup (env_in);
  _cleanup_shell_ devenv_shell *shell = NULL;
  session s = { .tty = tty };
  int rc = SBX_EXIT_ERROR;
  /* A session attaches: the devcontainer.json's postAttachCommand runs
     first; when it fails, that is said and the session opens all the
     same (as the Dev Containers tools do). */
  devenv_container_req req = { .attach = true, .attach_goes_on = true };

  if (signals_setup (ctx, &err) < 0 || cli_open_engine (ctx, &c, &err) < 0
      || cli_ensure_project_container (ctx, c, p, &cfg, &req, &id, &err) < 0)
    goto out;
  workdir = cli_exec_workdir (p, w);
  user = xasprintf ("%u:%u", (unsigned) getuid (), (unsigned) getgid ());
  if (tty && !env_has (env, "TERM"))
    {
      const char *term = getenv ("TERM");
      _cleanup_free_ char *kv = xasprintf ("TERM=%s", term && *term ? term : "xterm");
      strv_append (&env, kv);
    }
  if (tty)
    term_size (&s.rows, &s.cols);
  if (got_stop)
    goto stopped;

  /* Raw mode before the start: from then on every byte typed belongs to the
     container's TTY, and nothing typed ahead is flushed. */
  if (raw && term_raw (STDIN_FILENO, &err) < 0)
    goto out;
  devenv_shell_opts so = { .argv = cmd,
                           .env = env,
                           .workdir = workdir,
                           .user = user,
                           .tty = tty,
                           .attach_stdin = true,
                           .rows = s.rows,
                           .cols = s.cols };
  _cleanup_free_ char *why = NULL;
  if (devenv_shell_start_auto (c, p, id, &so, &shell, &why, &err) < 0)
    goto out;
  if (devenv_shell_via_agent (shell))
    cli_verbose (ctx, "shell in %s (%s) through its sbx agent", p->container_name,
                 tty ? "tty" : "no tty");
  else
    cli_verbose (ctx, "shell in %s (%s) through the engine API (%s)", p->container_name,
                 tty ? "tty" : "no tty", why ? why : "");
  s.shell = shell;

  engine_pump_opts po = { .in_fd = STDIN_FILENO,
                          .out_fd = STDOUT_FILENO,
                          .err_fd = STDERR_FILENO,
                          .on_eof = !tty  ? ENGINE_EOF_HALF_CLOSE
                                    : raw ? ENGINE_EOF_STOP
                                          : ENGINE_EOF_SEND_EOT,
                          .wake_fd = wake_pipe[0],
                          .on_wake = on_wake,
                          .ud = &s };
  int r = devenv_shell_pump (shell, &po, &err);
  term_restore ();
  if (r < 0)
    {
      kill_quietly (ctx, shell);
      goto out;
    }
  if (r == ENGINE_PUMP_STOPPED)
    goto stopped;
  if (r == ENGINE_PUMP_STDIN_EOF)
    {
      /* The terminal went away: nobody is left to talk to the shell. */
      kill_quietly (ctx, shell);
      rc = 128 + SIGHUP;
      goto out;
    }
  int code = 0;
  if (devenv_shell_wait (shell, &code, &err) < 0)
    goto out;
  rc = code;
  goto out;

stopped:
  term_restore ();
  if (shell)
    kill_quietly (ctx, shell);
  rc = 128 + (int) got_stop;
  if (ctx->verbosity >= 0)
    fprintf (stderr, "%s: shell ended by %s\n", ctx->prog, strsignal ((int) got_stop));
out:
  term_restore ();
  signals_teardown ();
  if (err)
    rc = cli_report (ctx, err);
  sbx_config_clear (&cfg);
  return rc;
}

int
cmd_shell (cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[]
      = { { "tty", no_argument, 0, 't' },       { "no-tty", no_argument, 0, 'T' },
          { "env", required_argument, 0, 'e' }, { "workdir", required_argument, 0, 'w' },
          { "help", no_argument, 0, 'h' },      { 0, 0, 0, 0 } };
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_strv_ char **env = xcalloc (1, sizeof *env);
  const char *workdir = NULL;
  int want_tty = -1;
  cli_opts op
      = { .argc = argc, .argv = argv, .shortopts = "tTe:w:", .longopts = opts, .help = help };
  int ch, rc;
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    switch (ch)
      {
      case 't':
        want_tty = 1;
        break;
      case 'T':
        want_tty = 0;
        break;
      case 'e':
        if (cli_env_append (&env, optarg, &err) < 0)
          return cli_usage_error (ctx, "%s", err->msg);
        break;
      case 'w':
        if (!optarg[0])
          return cli_usage_error (ctx, "-w needs a directory");
        workdir = optarg;
        break;
      }
  if (ch == CLI_OPT_RETURN)
    return rc;
  bool in_tty = isatty (STDIN_FILENO);
  bool tty = want_tty >= 0 ? want_tty == 1 : in_tty;
  return run_shell (ctx, argv + optind, env, workdir, tty, tty && in_tty);
}
