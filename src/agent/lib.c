/* lib.c: what every part of sbx-agent uses: one-line messages on stderr
   (the container's log), exec'ing a command with clean signal state, and
   the descriptor limit the agent raises for itself but not for the
   commands it starts.  Calls nothing else of the agent. */
#include "agent/agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

void
agent_say (const char *a, const char *b, const char *c)
{
  char buf[1024];
  int n = snprintf (buf, sizeof buf, "sbx: %s%s%s\n", a, b, c);
  if (n > 0)
    (void) !write (2, buf, (size_t) n < sizeof buf ? (size_t) n : sizeof buf - 1);
}

int
agent_exec_command (char **argv)
{
  /* Signals ignored or blocked by the engine's exec path or by the agent
     must not leak into the command. */
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal (s, SIG_DFL);
  execvp (argv[0], argv);
  int e = errno;
  if (e == ENOENT || e == ENOTDIR)
    {
      agent_say (argv[0], ": command not found", "");
      return 127;
    }
  agent_say (argv[0], ": cannot execute: ", strerror (e));
  return 126;
}

static struct rlimit nofile = { RLIM_INFINITY, RLIM_INFINITY };

void
agent_raise_nofile (rlim_t want)
{
  if (getrlimit (RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < want)
    {
      struct rlimit rl = nofile;
      rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

void
agent_restore_limits (void)
{
  if (nofile.rlim_cur != RLIM_INFINITY || nofile.rlim_max != RLIM_INFINITY)
    setrlimit (RLIMIT_NOFILE, &nofile);
}
