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
/* SIGKILL the tree of an exec: the descendants of root (> 0; when it is
   the caller, all but the caller) and of every process carrying token
   (NULL: none), until none runs, then those roots.  Same results as
   agent_kill_token. */
int agent_kill_tree (pid_t root, const char *token, int rounds);

/* In the process that is to run a command: become its supervisor (a child
   subreaper that ignores the command's signals) and fork.  Returns 0 in
   the child, which goes on to run the command; the supervisor never
   returns: it writes the command's wait status (4 bytes, little-endian)
   to status_fd (given up: 0-2 become /dev/null, every other descriptor is
   closed), reaps every descendant until none is left, and exits 0. */
pid_t agent_supervise (int status_fd);
/* Read such a status: 1 read, 0 not yet (non-blocking fd), -1 none will
   come (the supervisor is gone). */
int agent_read_status (int fd, int *status);
/* Exit as a process with that wait status would (re-raising its signal). */
void agent_exit_like (int status) __attribute__ ((noreturn));
/* Every catchable signal but SIGCHLD ignored. */
void agent_ignore_signals (void);

/* Install the seccomp filter of commands (src/agent/seccomp.c): no setuid
   or setgid bit, no device node; none in a container that runs without
   no-new-privileges ("docker-default" hardening).  0, or -1 with errno. */
int agent_seccomp_install (void);

/* The name of the environment variable carrying an exec's token. */
#define AGENT_TOKEN_VAR "SBX_EXEC_ID"

/* ---- spawn.c ---- */

/* A command started for a client. */
typedef struct agent_child
{
  pid_t pid;    /* its supervisor (agent_supervise), also the group and session */
  int status_fd; /* where the supervisor reports the command's status */
  int in;    /* its stdin (write end), -1 when none or closed */
  int out;   /* its stdout, or the pty master */
  int err;   /* its stderr, -1 with a TTY */
  char token[40];
} agent_child;

/* Start the command of an EXEC request (payload already checked by
   sbx_exec_request_parse).  On failure errno is set and -1 returned. */
int agent_spawn (const uint8_t *payload, size_t len, const sbx_exec_request *req,
                 agent_child *child);

/* ---- watch.c ---- */

/* Watch the protected paths (absolute, NULL-terminated) that do not exist
   now (agent/guard.h), for the agent's whole life. */
void agent_watch_start (char *const *paths);
/* The descriptor to poll, or -1 when nothing is watched. */
int agent_watch_fd (void);
/* Note, at most a few times a second, whether the container idles (no
   process but the agent): a name that appears then is the host's. */
void agent_watch_tick (void);
/* Handle the watch's events.  -1: nothing to do.  Else a command made a
   protected path: it was removed, every other process of the container
   ended, the report said; the agent must exit with the status returned
   (SBX_GUARD_EXIT + k). */
int agent_watch_handle (void);

/* ---- server.c ---- */

/* Serve the socket at path (created; its directory must exist) while being
   PID 1's reaper.  tag: what the agent reports in STATUS (the isolation
   level); protect: the protected paths to watch (agent_watch_start).
   Returns the exit status of the program. */
int agent_serve (const char *path, const char *tag, char *const *protect);

#endif
