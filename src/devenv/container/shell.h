/* shell.h: an interactive session in the project container: an exec (with
   or without a TTY) whose stdin and output travel over a hijacked engine
   connection.  The command runs under `sbx-agent run` with its own
   SBX_EXEC_ID token, so that it can be killed whole (`sbx-agent kill`). */
#ifndef SBX_DEVENV_SHELL_H
#define SBX_DEVENV_SHELL_H

#include <stdbool.h>

#include "error.h"
#include "engine/engine.h"
#include "engine/hijack.h"

/* The command when none is given: bash when the image has it on its PATH,
   else sh, decided inside the container by /bin/sh itself (no extra
   round trip). */
#define DEVENV_SHELL_CHOOSER "command -v bash >/dev/null 2>&1 && exec bash; exec sh"

typedef struct devenv_shell_opts
{
  char *const *argv;   /* NULL or empty: bash if present, else sh */
  char *const *env;    /* "K=V", may be NULL */
  const char *workdir; /* NULL: the container's */
  const char *user;    /* "uid:gid" */
  bool tty;            /* allocate a TTY (raw stream) */
  bool attach_stdin;   /* attach stdin */
  /* Initial TTY size (0: leave it); sent as soon as the exec runs. */
  unsigned rows, cols;
} devenv_shell_opts;

typedef struct devenv_shell devenv_shell;

/* The argv run in the container for opts->argv (allocated). */
char **devenv_shell_argv (char *const *argv);

struct sbx_project;

/* Start the session through the container's sbx-agent when one serves it,
   else as devenv_shell_start does (*why: why not the agent, or NULL). */
int devenv_shell_start_auto (engine_client *c, const struct sbx_project *p, const char *container,
                             const devenv_shell_opts *o, devenv_shell **out, char **why,
                             sbx_error **err);
bool devenv_shell_via_agent (const devenv_shell *s);
/* Pass bytes between the terminal (or pipes) and the session until it ends
   (engine_hijack_pump's options and statuses, on either path). */
int devenv_shell_pump (devenv_shell *s, const engine_pump_opts *po, sbx_error **err);

/* Create the exec and start it on a hijacked connection. */
int devenv_shell_start (engine_client *c, const char *container, const devenv_shell_opts *o,
                        devenv_shell **out, sbx_error **err);
void devenv_shell_free (devenv_shell *s);
void devenv_shell_freep (devenv_shell **s);
#define _cleanup_shell_ __attribute__ ((cleanup (devenv_shell_freep)))

/* Set the TTY size (window change). */
int devenv_shell_resize (devenv_shell *s, unsigned rows, unsigned cols, sbx_error **err);
/* After the stream ended: the exit status of the command, once the engine
   has recorded it. */
int devenv_shell_wait (devenv_shell *s, int *exit_code, sbx_error **err);
/* Kill every process of the session inside the container (the client's
   cancel flag is cleared first: cleanup must not be cancelled). */
int devenv_shell_kill (devenv_shell *s, sbx_error **err);

#endif
