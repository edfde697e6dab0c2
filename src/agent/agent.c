/* sbx-agent: the project container's own program, bind-mounted read-only at
   /.sbx/agent.  Static, libc only: it runs in any image.

     sbx-agent serve SOCKET [TAG]
                               PID 1: reaps zombies, exits on SIGTERM/SIGINT/SIGHUP,
                               and serves commands on the Unix socket SOCKET (in a
                               directory bind-mounted from the host), see
                               docs/agent-protocol.md; TAG (the isolation level) is
                               reported to clients
     sbx-agent init            PID 1 without the socket
     sbx-agent run -- CMD...   runs CMD for an exec: exit 127 when not found, 126 when
                               it cannot be executed, with a one-line message
     sbx-agent kill TOKEN      SIGKILLs every process whose environment holds
                               SBX_EXEC_ID=TOKEN (the processes of one exec, whatever
                               they did with their process group or session)
     sbx-agent kill -N TOKEN   sends signal N to each of them, once

   This file is main and the small verbs; serve is server.c (with spawn.c
   for the commands it starts), kill is killtoken.c, and what they all use
   is lib.c. */
#include "agent/agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
init_main (void)
{
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGHUP);
  sigprocmask (SIG_BLOCK, &set, NULL);
  for (;;)
    {
      int sig = sigwaitinfo (&set, NULL);
      if (sig < 0)
        continue;
      if (sig != SIGCHLD)
        return 0;
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
    }
}

static int
run_main (int argc, char **argv)
{
  int i = 0;
  if (i < argc && strcmp (argv[i], "--") == 0)
    i++;
  if (i >= argc)
    {
      agent_say ("run: no command given", "", "");
      return 125;
    }
  return agent_exec_command (argv + i);
}

static int
kill_main (int argc, char **argv)
{
  if (argc >= 2 && argv[0][0] == '-')
    {
      char *end;
      long sig = strtol (argv[0] + 1, &end, 10);
      if (*end || sig <= 0 || sig >= NSIG)
        {
          agent_say ("kill: bad signal number ", argv[0], "");
          return 125;
        }
      if (agent_signal_token (argv[1], (int) sig) < 0)
        {
          agent_say ("kill: cannot scan /proc: ", strerror (errno), "");
          return 125;
        }
      return 0;
    }
  if (argc < 1)
    {
      agent_say ("kill: no token given", "", "");
      return 125;
    }
  int r = agent_kill_token (argv[0], 100);
  if (r < 0)
    {
      agent_say ("kill: cannot scan /proc: ", strerror (errno), "");
      return 125;
    }
  if (r > 0)
    agent_say ("kill: processes survive SIGKILL", "", "");
  return r;
}

int
main (int argc, char **argv)
{
  if (argc >= 3 && strcmp (argv[1], "serve") == 0)
    return agent_serve (argv[2], argc >= 4 ? argv[3] : "");
  if (argc >= 2 && strcmp (argv[1], "init") == 0)
    return init_main ();
  if (argc >= 2 && strcmp (argv[1], "run") == 0)
    return run_main (argc - 2, argv + 2);
  if (argc >= 2 && strcmp (argv[1], "kill") == 0)
    return kill_main (argc - 2, argv + 2);
  agent_say ("usage: sbx-agent serve SOCKET [TAG] | init | run -- CMD... | kill [-N] TOKEN", "", "");
  return 125;
}
