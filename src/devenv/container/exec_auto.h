/* exec_auto.h: what exec_auto.c gives the rest of its half (shell.c),
   private to src/devenv/container/; the public part (devenv_exec_fast,
   devenv_exec_auto) is in container.h. */
#ifndef SBX_DEVENV_EXEC_AUTO_H
#define SBX_DEVENV_EXEC_AUTO_H

#include "devenv/container/agent_client.h"

/* The agent of the project container `container` (its dev.sbx.agent
   socket, waiting a few seconds for a freshly started one), made the
   project's "current": 1 with *out open, 0 when there is none to use (*why
   says why), -1 on an engine error. */
int devenv_agent_open_container (engine_client *c, const sbx_project *p, const char *container,
                                 devenv_agent **out, char **why, sbx_error **err);

/* Run o in container through its agent when it answers (a round trip on
   its socket), else through the exec API, without making that agent the
   project's current one: for a container not in service yet (the new one
   of a swap, which must answer before it takes the name).  0 with *res, -1
   on error. */
int devenv_exec_probe (engine_client *c, const sbx_project *p, const char *container,
                       const devenv_exec_opts *o, devenv_exec_result *res, sbx_error **err);

#endif
