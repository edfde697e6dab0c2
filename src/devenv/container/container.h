/* container.h: the project container: its hardened create body, finding,
   starting, replacing and removing it, and running commands in it. */
#ifndef SBX_DEVENV_CONTAINER_H
#define SBX_DEVENV_CONTAINER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"
#include "project.h"
#include "engine/engine.h"

#include "devenv/labels.h"

typedef struct devenv_spec
{
  const sbx_project *project;
  const sbx_config *cfg; /* network, memory, cpu */
  const char *image;     /* reference to run */
  const char *image_key; /* devenv key of the image, or NULL */
  sbx_level level;       /* SBX_LEVEL_CONTAINER or SBX_LEVEL_MAXIMUM */
  const char *runtime;   /* for maximum: the gVisor runtime name */
  const char *agent_path; /* host path of sbx-agent */
  /* The project's agent directory on the host (devenv_agent_dir), mounted
     at /.sbx/run, and the name of the agent's socket in it; NULL: the agent
     serves no socket (only PID 1's duties).  devenv_container_create_started
     fills them in for a local engine when they are NULL. */
  const char *agent_dir;
  const char *agent_socket;
  uid_t uid;
  gid_t gid;
} devenv_spec;

/* The host path of the sbx-agent binary: $SBX_AGENT, else next to the
   running program, else the installed libexec directory. */
int devenv_agent_path (char **out, sbx_error **err);

/* The profile of a container at level with cfg (allocated). */
char *devenv_profile (sbx_level level, const sbx_config *cfg);

/* The create body for the spec (pure: no I/O). */
json_t *devenv_container_config (const devenv_spec *spec);

/* Inspect the project container; *out is NULL (and 0 returned) when there is
   none. */
int devenv_container_find (engine_client *c, const sbx_project *p, json_t **out, sbx_error **err);

/* Does the engine know an OCI runtime called name? */
int devenv_runtime_available (engine_client *c, const char *name, bool *available,
                              char **known, sbx_error **err);

/* Make what the project container's mounts need on the host (the agent
   directory); call before starting an existing container. */
int devenv_container_prepare (engine_client *c, const sbx_project *p, sbx_error **err);

/* Create (under name) and start a container for spec; *id its id. */
int devenv_container_create_started (engine_client *c, const devenv_spec *spec, const char *name,
                                     char **id, sbx_error **err);

/* Make the project container run: start it if stopped, create it from spec
   if missing.  *id its id; *created whether it was created. */
int devenv_container_ensure (engine_client *c, const devenv_spec *spec, char **id, bool *created,
                             sbx_error **err);

/* Stop and remove the project container (and any leftover of a swap). */
int devenv_container_remove_all (engine_client *c, const sbx_project *p, int *removed,
                                 sbx_error **err);

/* How many commands run in the container: execs of the engine and
   commands of its agent.  The agent is retired by the question: it accepts
   no new command (for the drain of a swap, once the container is no longer
   the project's). */
int devenv_container_running_commands (engine_client *c, const char *id, int *count,
                                       sbx_error **err);

/* ---- running commands ---- */

typedef struct devenv_exec_opts
{
  char *const *argv;
  char *const *env;
  const char *workdir; /* NULL: the project directory */
  const char *user;    /* "uid:gid" */
  long timeout_ms;     /* 0: none */
  engine_output_cb output;
  void *output_ud;
  /* Set (by a signal handler): kill the command, return with interrupted.
     NULL: the engine client's cancellation flag alone (API path). */
  volatile sig_atomic_t *cancel;
  /* Instead: the flag holds a signal number, which is sent to the command
     (the flag is cleared); the command's own status comes back.  The API
     path takes the flag from the engine client. */
  bool forward_signals;
  bool attach_stdin; /* forward stdin_fd until its end (else /dev/null) */
  int stdin_fd;
  /* Agent path only (devenv_shell runs TTYs through the API): */
  bool tty; /* on a new pseudo-terminal of rows x cols */
  unsigned short rows, cols;
} devenv_exec_opts;

typedef struct devenv_exec_result
{
  int exit_code;  /* the command's status (126/127 when it could not run) */
  bool timed_out; /* killed after timeout_ms */
  bool interrupted;
} devenv_exec_result;

/* Kill, inside the container, every process whose environment carries
   SBX_EXEC_ID=token (a second exec: `sbx-agent kill TOKEN`). */
int devenv_exec_kill (engine_client *c, const char *container, const char *user, const char *token,
                      sbx_error **err);

/* Run argv in the container through the engine's exec API.  On timeout or
   cancellation every process of the command is killed inside the container
   before this returns. */
int devenv_exec (engine_client *c, const char *container, const devenv_exec_opts *opts,
                 devenv_exec_result *res, sbx_error **err);

typedef enum
{
  DEVENV_VIA_API,   /* the engine's exec API */
  DEVENV_VIA_AGENT, /* the container's sbx-agent */
} devenv_exec_via;

/* Without asking the engine: run through the agent that the project's
   agent directory names as current, when it answers and (want_tag not
   NULL) runs at that isolation level.  1: it ran (res); 0: it cannot, *why
   says why (allocated) and the command did not start; -1: error. */
int devenv_exec_fast (const sbx_project *p, const char *engine_host, const char *want_tag,
                      const devenv_exec_opts *opts, devenv_exec_result *res, char **why,
                      sbx_error **err);

/* Run in the project container (found through the engine) through its
   agent when it answers (then remembered as current), else through the
   exec API; *via says which, *why (allocated, may be NULL) why not the
   agent. */
int devenv_exec_auto (engine_client *c, const sbx_project *p, const char *container,
                      const devenv_exec_opts *opts, devenv_exec_result *res, devenv_exec_via *via,
                      char **why, sbx_error **err);

#endif
