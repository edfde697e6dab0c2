/* cli_devenv.c: build progress on stderr: full lines when stderr is not a
   terminal, one rewritten line ("[3/7] RUN make: last output") when it is. */
#include "cli_devenv.h"
#include "userdirs.h"
#include "util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

void
cli_devenv_progress_init (cli_devenv_progress *p, cli_ctx *ctx)
{
  memset (p, 0, sizeof *p);
  p->ctx = ctx;
  p->tty = isatty (STDERR_FILENO) == 1;
  p->silent = ctx->verbosity < 0 || ctx->json;
  clock_gettime (CLOCK_MONOTONIC, &p->t0);
}

double
cli_devenv_elapsed (const cli_devenv_progress *p)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) (t.tv_sec - p->t0.tv_sec) + (t.tv_nsec - p->t0.tv_nsec) / 1e9;
}

void
cli_devenv_options_init (devenv_options *o, cli_ctx *ctx, cli_devenv_progress *p)
{
  memset (o, 0, sizeof *o);
  o->progress = cli_devenv_progress_cb;
  o->progress_ud = p;
  o->cancel = ctx->cancel;
}

static int
width (void)
{
  struct winsize ws;
  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
    return ws.ws_col;
  return 80;
}

/* The compact line: "[step/steps] instruction: detail", cut to the width. */
static void
compact (cli_devenv_progress *p, const char *detail)
{
  char buf[1024];
  int n;
  if (p->steps)
    n = snprintf (buf, sizeof buf, "[%d/%d] %s%s%s", p->step, p->steps, p->step_text,
                  detail ? ": " : "", detail ? detail : "");
  else
    n = snprintf (buf, sizeof buf, "%s", detail ? detail : "");
  int w = width () - 1;
  if (n > w)
    n = w;
  if (n < 0)
    n = 0;
  for (int i = 0; i < n; i++)
    if ((unsigned char) buf[i] < ' ')
      buf[i] = ' ';
  fprintf (stderr, "\r\033[K%.*s", n, buf);
  fflush (stderr);
  p->line_open = true;
}

void
cli_devenv_progress_end (cli_devenv_progress *p)
{
  if (p->line_open)
    {
      fputs ("\r\033[K", stderr);
      fflush (stderr);
      p->line_open = false;
    }
}

static void say (cli_devenv_progress *p, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
say (cli_devenv_progress *p, const char *fmt, ...)
{
  cli_devenv_progress_end (p);
  va_list ap;
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

static void
plan_line (cli_devenv_progress *p, const devenv_plan *plan)
{
  const devenv_source *s = &plan->src;
  if (s->origin == DEVENV_ORIGIN_DEFAULT)
    say (p,
         "devenv: the project has no Dockerfile; using sbx's default for a %s project: %s "
         "(add a Dockerfile or .sbx/Dockerfile to choose)",
         s->flavour, s->dockerfile);
  else if (s->origin == DEVENV_ORIGIN_DEVCONTAINER)
    say (p, "devenv: using %s (from %s), context %s", s->display, s->config, s->context);
  else
    say (p, "devenv: using %s (%s)", s->display, devenv_origin_name (s->origin));
  if (p->ctx->verbosity > 0)
    say (p, "devenv: key %s over %zu context entr%s%s%s", plan->key, plan->files,
         plan->files == 1 ? "y" : "ies", plan->whole_context ? " (the whole context" : "",
         plan->whole_context ? (plan->whole_reason ? ": " : ")") : "");
  if (p->ctx->verbosity > 0 && plan->whole_context && plan->whole_reason)
    say (p, "        %s)", plan->whole_reason);
}

/* ---- the build's log ---- */

static void log_line (cli_devenv_progress *p, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* One line into the log, while it is under CLI_BUILD_LOG_MAX; then one
   line that says it was cut, and nothing more. */
static void
log_line (cli_devenv_progress *p, const char *fmt, ...)
{
  if (!p->log || p->log_bytes > CLI_BUILD_LOG_MAX)
    return;
  va_list ap;
  va_start (ap, fmt);
  int n = vfprintf (p->log, fmt, ap);
  va_end (ap);
  fputc ('\n', p->log);
  p->log_bytes += n > 0 ? (size_t) n + 1 : 1;
  if (p->log_bytes > CLI_BUILD_LOG_MAX)
    fprintf (p->log, "[sbx: the log stops here, at %d MiB]\n", CLI_BUILD_LOG_MAX >> 20);
}

/* The build starts: the log is made anew (0600, in a 0700 directory). */
static void
log_open (cli_devenv_progress *p, const devenv_plan *plan)
{
  if (!p->log_path || p->log)
    return;
  _cleanup_error_ sbx_error *e = NULL;
  _cleanup_free_ char *dir = xstrdup (p->log_path);
  *strrchr (dir, '/') = '\0';
  int fd = -1;
  if (sbx_private_dir (dir, &e) == 0)
    {
      fd = open (p->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0)
        sbx_fail_errno (&e, errno, "opening %s", p->log_path);
    }
  if (fd >= 0)
    p->log = fdopen (fd, "w");
  if (!p->log)
    {
      if (fd >= 0)
        close (fd);
      if (!p->ctx->json)
        say (p, "%s: warning: the build's log cannot be kept (%s); its output goes to stderr",
             p->ctx->prog, e ? e->msg : "fdopen failed");
      free (p->log_path);
      p->log_path = NULL;
      p->log_only = false;
      return;
    }
  p->log_bytes = 0;
  log_line (p, "sbx %s: building %s from %s (%s)", p->ctx->command ? p->ctx->command : "",
            plan->image, plan->src.display, plan->src.context);
}

static void
log_event (cli_devenv_progress *p, const devenv_event *ev)
{
  switch (ev->kind)
    {
    case DEVENV_EV_UPLOAD:
      log_open (p, ev->plan);
      log_line (p, "context: %zu entr%s", ev->count, ev->count == 1 ? "y" : "ies");
      break;
    case DEVENV_EV_STEP:
      if (ev->line)
        log_line (p, "[%d/%d] %s  (%s:%d)", ev->step, ev->steps, ev->text, ev->plan->src.display,
                  ev->line);
      else
        log_line (p, "[%d/%d] %s", ev->step, ev->steps, ev->text);
      break;
    case DEVENV_EV_OUTPUT:
    case DEVENV_EV_NOTE:
    case DEVENV_EV_STATUS:
      log_line (p, "    %s", ev->text);
      break;
    case DEVENV_EV_WARNING:
      log_line (p, "warning: %s", ev->text);
      break;
    case DEVENV_EV_BUILT:
      log_line (p, "built %s in %.1fs", ev->text, cli_devenv_elapsed (p));
      break;
    default:
      break;
    }
}

void
cli_devenv_progress_cb (const devenv_event *ev, void *ud)
{
  cli_devenv_progress *p = ud;
  if (ev->kind == DEVENV_EV_UPLOAD)
    p->building = true;
  else if (ev->kind == DEVENV_EV_BUILT)
    p->built = true;
  if (p->log_path)
    log_event (p, ev);
  if (ev->kind == DEVENV_EV_WARNING && !p->ctx->json)
    {
      say (p, "%s: warning: %s", p->ctx->prog, ev->text);
      return;
    }
  if (p->silent)
    return;
  /* Off a terminal, a verb whose stderr is its command's says that a
     build runs, where its log is, and when it is done. */
  if (p->log_only && !p->tty)
    {
      if (ev->kind == DEVENV_EV_UPLOAD)
        say (p, "devenv: building %s (no image for the project's key yet); its log: %s",
             ev->plan->image, p->log_path);
      else if (ev->kind == DEVENV_EV_BUILT)
        say (p, "devenv: built %.19s in %.1fs", ev->text, cli_devenv_elapsed (p));
      else if (ev->kind == DEVENV_EV_WAITING)
        say (p, "devenv: another sbx is building this project; waiting for it");
      return;
    }
  switch (ev->kind)
    {
    case DEVENV_EV_PLAN:
      plan_line (p, ev->plan);
      break;
    case DEVENV_EV_REUSED:
      say (p, "devenv: %s is up to date (key unchanged), nothing to build", ev->text);
      break;
    case DEVENV_EV_WAITING:
      say (p, "devenv: another sbx is building this project; waiting for it");
      break;
    case DEVENV_EV_UPLOAD:
      say (p, "devenv: building %s (context: %zu entr%s)", ev->plan->image, ev->count,
           ev->count == 1 ? "y" : "ies");
      break;
    case DEVENV_EV_STEP:
      p->step = ev->step;
      p->steps = ev->steps;
      snprintf (p->step_text, sizeof p->step_text, "%s", ev->text);
      if (p->tty)
        compact (p, NULL);
      else if (ev->line)
        say (p, "[%d/%d] %s  (%s:%d)", ev->step, ev->steps, ev->text, ev->plan->src.display,
             ev->line);
      else
        say (p, "[%d/%d] %s", ev->step, ev->steps, ev->text);
      break;
    case DEVENV_EV_OUTPUT:
      if (p->tty)
        compact (p, ev->text);
      else
        {
          say (p, "    %s", ev->text);
          p->output_shown = true;
        }
      break;
    case DEVENV_EV_NOTE:
      if (p->ctx->verbosity > 0 && !p->tty)
        say (p, "    %s", ev->text);
      break;
    case DEVENV_EV_STATUS:
      if (p->tty)
        compact (p, ev->text);
      else
        say (p, "    %s", ev->text);
      break;
    case DEVENV_EV_BUILT:
      say (p, "devenv: built %.19s in %.1fs", ev->text, cli_devenv_elapsed (p));
      break;
    default:
      break;
    }
}

void
cli_devenv_show_failure (cli_devenv_progress *p, const devenv_result *res)
{
  cli_devenv_progress_end (p);
  if (p->ctx->json || !res->failure.tail || p->output_shown)
    return;
  fprintf (stderr, "%s: output of the failing step (last lines):\n", p->ctx->prog);
  const char *s = res->failure.tail;
  while (*s)
    {
      const char *nl = strchr (s, '\n');
      size_t n = nl ? (size_t) (nl - s) : strlen (s);
      fprintf (stderr, "    %.*s\n", (int) n, s);
      s += n + (nl ? 1 : 0);
    }
}

static void
note_verbose (const char *msg, void *ud)
{
  cli_verbose (ud, "%s", msg);
}

/* A lifecycle command's output on stderr, each line after its step's name
   ("postCreateCommand: ..."); nothing with -q or --json. */
static void
lifecycle_output (const char *step, int stream, const char *data, size_t len, void *ud)
{
  cli_ctx *ctx = ud;
  static char last_step[64];
  static bool mid_line;
  (void) stream;
  if (ctx->verbosity < 0 || ctx->json)
    return;
  if (mid_line && strcmp (last_step, step) != 0)
    {
      fputc ('\n', stderr);
      mid_line = false;
    }
  snprintf (last_step, sizeof last_step, "%s", step);
  for (size_t i = 0; i < len;)
    {
      if (!mid_line)
        fprintf (stderr, "%s: ", step);
      const char *nl = memchr (data + i, '\n', len - i);
      size_t n = nl ? (size_t) (nl - (data + i)) + 1 : len - i;
      fwrite (data + i, 1, n, stderr);
      mid_line = !nl;
      i += n;
    }
  fflush (stderr);
}

/* What the user must be told (a running container replaced). */
static void
warn_stderr (const char *msg, void *ud)
{
  cli_ctx *ctx = ud;
  if (!ctx->json && ctx->verbosity >= 0)
    fprintf (stderr, "%s: %s\n", ctx->prog, msg);
}

void
cli_devenv_hooks_init (cli_devenv_hooks *k, cli_ctx *ctx)
{
  memset (k, 0, sizeof *k);
  cli_devenv_progress_init (&k->prog, ctx);
  cli_devenv_options_init (&k->opts, ctx, &k->prog);
  k->h = (devenv_hooks){ .build = &k->opts,
                         .build_result = &k->res,
                         .note = note_verbose,
                         .warn = warn_stderr,
                         .lifecycle = lifecycle_output,
                         .ud = ctx };
}

void
cli_devenv_hooks_log (cli_devenv_hooks *k, const sbx_project *p, bool log_only)
{
  _cleanup_free_ char *state = NULL;
  sbx_error *e = NULL;
  if (sbx_state_dir (&state, &e) < 0)
    {
      sbx_error_free (e); /* no log: the build shows its output as before */
      return;
    }
  free (k->prog.log_path);
  k->prog.log_path = xasprintf ("%s/builds/%s.log", state, p->id);
  k->prog.log_only = log_only;
}

bool
cli_devenv_build_failed (const cli_devenv_hooks *k)
{
  return k->prog.building && !k->prog.built;
}

void
cli_devenv_hooks_end (cli_devenv_hooks *k, int r, sbx_error **err)
{
  cli_devenv_progress *p = &k->prog;
  bool named = r < 0 && err && *err && p->log && cli_devenv_build_failed (k);
  /* A log cut at its bound lacks the failing step's last lines: they go
     to the terminal then too. */
  bool cut = p->log_bytes > CLI_BUILD_LOG_MAX;
  if (r < 0 && !(named && p->log_only && !cut))
    cli_devenv_show_failure (p, &k->res);
  if (named)
    {
      if (cut) /* past the cut, the end is what matters */
        fprintf (p->log, "failed: %s\n", (*err)->msg);
      else
        log_line (p, "failed: %s", (*err)->msg);
      char *msg = xasprintf ("%s; the build's log: %s; fix the cause and run it again", (*err)->msg,
                             p->log_path);
      free ((*err)->msg);
      (*err)->msg = msg;
    }
  if (p->log)
    fclose (p->log);
  p->log = NULL;
  free (p->log_path);
  p->log_path = NULL;
  cli_devenv_progress_end (p);
  devenv_result_clear (&k->res);
}
