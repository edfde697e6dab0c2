/* agent_client.h: sbx's side of the sbx-agent protocol (docs/agent-protocol.md).

   Every project container of a local engine bind-mounts the project's agent
   directory (on the host: <runtime dir>/<project id>-<engine>.agent, 0700,
   owned by the user) at /.sbx/run; its agent listens on its own socket in
   it (the name is the container's dev.sbx.agent label).  "current" in that
   directory is a symlink to the socket of the container sbx last found to
   be the project's, so that a command can reach it without asking the
   engine.  Any failure to reach a serving agent is reported as
   SBX_ERR_UNAVAILABLE: the caller then uses the engine's exec API. */
#ifndef SBX_DEVENV_AGENT_CLIENT_H
#define SBX_DEVENV_AGENT_CLIENT_H

#include <stdbool.h>

#include "devenv/container/container.h"
#include "engine/hijack.h"
#include "error.h"


/* SBX_NO_AGENT set (not empty, not "0"): always use the engine's exec API. */
bool devenv_agent_disabled (void);

/* The project's agent directory for the engine at host (NULL: $DOCKER_HOST,
   else the default socket).  *out is NULL (and 0 returned) when the engine
   is not reached through a local Unix socket: a container there cannot
   reach this machine's sockets.  create: make it (0700) and check that it
   is a directory of ours. */
int devenv_agent_dir (const char *project_id, const char *host, bool create, char **out,
                      sbx_error **err);

/* A fresh socket name for a new container ("a-<16 hex>.sock"). */
char *devenv_agent_socket_name (void);

typedef struct devenv_agent devenv_agent;

/* Connect to the agent at path and ask its status (PING), within
   timeout_ms.  SBX_ERR_UNAVAILABLE: no agent answers there (no socket, a
   stale one, a hung or foreign agent, another protocol version). */
int devenv_agent_open (const char *path, long timeout_ms, devenv_agent **out, sbx_error **err);
void devenv_agent_free (devenv_agent *a);
void devenv_agent_freep (devenv_agent **a);
#define _cleanup_agent_ __attribute__ ((cleanup (devenv_agent_freep)))

/* What the agent said in its STATUS. */
const char *devenv_agent_tag (const devenv_agent *a); /* its profile (devenv_profile) */
bool devenv_agent_is_retired (const devenv_agent *a);

/* Run a command through the agent, as devenv_exec does through the API
   (same result semantics; o->cancel aborts it, killing it first).  Fails
   with SBX_ERR_UNAVAILABLE only when the command was not started, so that
   the caller may run it another way. */
int devenv_agent_exec (devenv_agent *a, const devenv_exec_opts *o, devenv_exec_result *res,
                       sbx_error **err);

/* Interactive use (sbx shell): start the command (o->argv, env, workdir,
   tty, rows, cols, attach_stdin; the other fields are not used), then pump
   bytes as engine_hijack_pump does over the engine (same options and
   statuses; *exit_code is the command's when ENGINE_PUMP_ENDED).
   devenv_agent_start fails with SBX_ERR_UNAVAILABLE only when the command
   did not start. */
int devenv_agent_start (devenv_agent *a, const devenv_exec_opts *o, sbx_error **err);
int devenv_agent_pump (devenv_agent *a, const engine_pump_opts *po, int *exit_code,
                       sbx_error **err);
/* Set the TTY size (window change). */
int devenv_agent_resize (devenv_agent *a, unsigned rows, unsigned cols, sbx_error **err);
/* Kill every process of the command and wait (bounded) for its end. */
int devenv_agent_kill (devenv_agent *a, sbx_error **err);

/* The agent of the project container `container` (its dev.sbx.agent
   socket, waiting a few seconds for a freshly started one), made the
   project's "current": 1 with *out open, 0 when there is none to use (*why
   says why), -1 on an engine error. */
int devenv_agent_open_container (engine_client *c, const sbx_project *p, const char *container,
                                 devenv_agent **out, char **why, sbx_error **err);

/* Tell the agent at path to accept no more commands (its container is
   being replaced) and how many it still runs.  SBX_ERR_UNAVAILABLE when no
   agent answers there. */
int devenv_agent_retire (const char *path, int *running, sbx_error **err);

/* Point dir/current at dir/name (atomically). */
int devenv_agent_claim (const char *dir, const char *name, sbx_error **err);

#endif
