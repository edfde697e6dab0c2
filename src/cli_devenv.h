/* cli_devenv.h: how the CLI shows a devenv build (sbx devenv build, and
   sbx up / exec when they build the project image). */
#ifndef SBX_CLI_DEVENV_H
#define SBX_CLI_DEVENV_H

#include <stdbool.h>
#include <time.h>

#include "cli.h"
#include "devenv/devenv.h"
#include "devenv/project_container.h"

typedef struct cli_devenv_progress
{
  cli_ctx *ctx;
  bool tty;          /* stderr is a terminal: one compact, rewritten line */
  bool silent;       /* -q or --json: nothing on stderr but errors */
  bool line_open;    /* the compact line is on screen */
  bool output_shown; /* step output went to stderr in full */
  int step, steps;
  char step_text[160];
  struct timespec t0;
  /* The build's log (cli_devenv_hooks_log): every line of a build that
     starts, in a file of the user's state dir, one per project,
     overwritten by the next build and cut at CLI_BUILD_LOG_MAX. */
  char *log_path; /* NULL: no log */
  FILE *log;      /* open from the build's start */
  size_t log_bytes;
  bool log_only;        /* off a terminal, stderr gets the build's first and
                           last lines only (the rest: the log) */
  bool building, built; /* a build started; it finished */
} cli_devenv_progress;

#define CLI_BUILD_LOG_MAX (8 * 1024 * 1024)

void cli_devenv_progress_init (cli_devenv_progress *p, cli_ctx *ctx);
/* A devenv_progress_cb; ud is a cli_devenv_progress. */
void cli_devenv_progress_cb (const devenv_event *ev, void *ud);
/* Clear the compact line, if any. */
void cli_devenv_progress_end (cli_devenv_progress *p);
/* After a failed step: the output tail, unless it was already shown. */
void cli_devenv_show_failure (cli_devenv_progress *p, const devenv_result *res);
double cli_devenv_elapsed (const cli_devenv_progress *p);

/* Options of a default build for verbs other than 'devenv build'. */
void cli_devenv_options_init (devenv_options *o, cli_ctx *ctx, cli_devenv_progress *p);

/* devenv hooks for verbs that may build on the way (up, exec, swap, shell):
   progress and failure shown as 'sbx devenv build' shows them, -v notes. */
typedef struct cli_devenv_hooks
{
  cli_devenv_progress prog;
  devenv_options opts;
  devenv_result res;
  devenv_hooks h;
} cli_devenv_hooks;

void cli_devenv_hooks_init (cli_devenv_hooks *k, cli_ctx *ctx);
/* Keep the log of a build that starts in the user's state dir
   (builds/<project id>.log).  log_only: for the verbs whose stderr is a
   command's (exec, shell, run): off a terminal, the build shows its first
   and last lines only.  A log that cannot be kept is said once and the
   build goes on. */
void cli_devenv_hooks_log (cli_devenv_hooks *k, const sbx_project *p, bool log_only);
/* After the call that used the hooks returned r (and *err when r < 0): a
   failed build's error names its log and what to do, on one line. */
void cli_devenv_hooks_end (cli_devenv_hooks *k, int r, sbx_error **err);
/* A build started and did not finish. */
bool cli_devenv_build_failed (const cli_devenv_hooks *k);

#endif
