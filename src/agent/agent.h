/* agent.h: the parts of sbx-agent (a static program of its own, libc only:
   it may log to stderr, which is the container's log). */
#ifndef SBX_AGENT_AGENT_H
#define SBX_AGENT_AGENT_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "agent/frame.h"

/* ---- lib.c ---- */

/* "sbx: a b c" on stderr, one line. */
void agent_say (const char *a, const char *b, const char *c);

/* Reset the signal mask and dispositions, then execvp argv; on failure,
   say why on stderr and return 127 (not found) or 126 (cannot execute). */
int agent_exec_command (char **argv);

/* Raise the agent's own descriptor limit to want (at most its hard
   limit), remembering the container's. */
void agent_raise_nofile (rlim_t want);
/* In a command's child: the resource limits the agent changed for itself
   go back to the container's. */
void agent_restore_limits (void);

/* ---- killtoken.c ---- */

/* SIGKILL every process (but PID 1 and ourselves) whose environment holds
   SBX_EXEC_ID=token, rescanning until none is left or rounds pass.
   0: none left; 1: some survived; -1: /proc unreadable. */
int agent_kill_token (const char *token, int rounds);
/* Send sig once to every such process: how many there were, or -1. */
int agent_signal_token (const char *token, int sig);

/* The name of the environment variable carrying an exec's token. */
#define AGENT_TOKEN_VAR "SBX_EXEC_ID"

/* ---- spawn.c ---- */

/* A command started for a client. */
typedef struct agent_child
{
  pid_t pid; /* also its process group and session */
  int in;    /* its stdin (write end), -1 when none or closed */
  int out;   /* its stdout, or the pty master */
  int err;   /* its stderr, -1 with a TTY */
  char token[40];
} agent_child;

/* Start the command of an EXEC request (payload already checked by
   sbx_exec_request_parse).  On failure errno is set and -1 returned. */
int agent_spawn (const uint8_t *payload, size_t len, const sbx_exec_request *req,
                 agent_child *child);

/* ---- server.c ---- */

/* Serve the socket at path (created; its directory must exist) while being
   PID 1's reaper.  tag: what the agent reports in STATUS (the isolation
   level).  Returns the exit status of the program. */
int agent_serve (const char *path, const char *tag);

#endif
