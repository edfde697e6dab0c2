/* sbx-agent: the project container's own program, bind-mounted read-only at
   /.sbx/agent.  Static, libc only: it runs in any image.

     sbx-agent serve SOCKET [TAG [PATH...]]
                               PID 1: reaps zombies, exits on SIGTERM/SIGINT/SIGHUP,
                               and serves commands on the Unix socket SOCKET (in a
                               directory bind-mounted from the host), see
                               docs/agent-protocol.md; TAG (the isolation level) is
                               reported to clients; each protected PATH that does not
                               exist is watched (watch.c): one made by a command ends
                               the container, exit status 64 + its index
     sbx-agent init [PATH...]  PID 1 without the socket
     sbx-agent run [--timeout-ms N] -- CMD...
                               runs CMD for an exec under a supervisor (a subreaper
                               that outlives it while its orphans run; see
                               supervise.c) and the commands' seccomp filter, and
                               exits as CMD did: 127 when not found, 126 when it
                               cannot be executed, with a one-line message; after
                               N ms it kills CMD's whole tree and exits 124
     sbx-agent kill TOKEN      SIGKILLs every process whose environment holds
                               SBX_EXEC_ID=TOKEN (the processes of one exec, whatever
                               they did with their process group or session)
     sbx-agent kill -N TOKEN   sends signal N to each of them, once

   This file is main and the small verbs; serve is server.c (with spawn.c
   for the commands it starts), kill is killtoken.c, and what they all use
   is lib.c. */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
init_main (char *const *protect)
{
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0); /* as serve: see agent_serve */
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGHUP);
  sigprocmask (SIG_BLOCK, &set, NULL);
  int sfd = signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  agent_watch_start (protect);
  for (;;)
    {
      /* The signals and the watch's events (agent_watch_handle). */
      struct pollfd p[2]
          = { { .fd = sfd, .events = POLLIN }, { .fd = agent_watch_fd (), .events = POLLIN } };
      if (sfd < 0)
        {
          /* No signalfd: the signals alone, as they come. */
          int sig = sigwaitinfo (&set, NULL);
          if (sig > 0 && sig != SIGCHLD)
            return 0;
          while (waitpid (-1, NULL, WNOHANG) > 0)
            ;
          continue;
        }
      if (poll (p, 2, 1000) < 0 && errno != EINTR)
        return 125;
      int guarded = agent_watch_handle ();
      if (guarded >= 0)
        return guarded;
      struct signalfd_siginfo si;
      while (read (sfd, &si, sizeof si) == (ssize_t) sizeof si)
        if (si.ssi_signo != SIGCHLD)
          return 0;
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
    }
}

static int
run_main (int argc, char **argv)
{
  int i = 0;
  long timeout_ms = 0;
  if (i + 1 < argc && strcmp (argv[i], "--timeout-ms") == 0)
    {
      char *end;
      timeout_ms = strtol (argv[i + 1], &end, 10);
      if (*end || timeout_ms < 0)
        {
          agent_say ("run: bad --timeout-ms ", argv[i + 1], "");
          return 125;
        }
      i += 2;
    }
  if (i < argc && strcmp (argv[i], "--") == 0)
    i++;
  if (i >= argc)
    {
      agent_say ("run: no command given", "", "");
      return 125;
    }
  /* This process is the exec's (the engine waits for it): it ends with
     the command; the supervisor below it stays while orphans of the
     command run.  Both are subreapers, so that killing the tree of the
     token's holders (sbx-agent kill) loses nothing. */
  int st[2];
  if (pipe2 (st, O_CLOEXEC) < 0)
    {
      agent_say ("run: pipe: ", strerror (errno), "");
      return 125;
    }
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  agent_ignore_signals ();
  pid_t sup = fork ();
  if (sup < 0)
    {
      agent_say ("run: fork: ", strerror (errno), "");
      return 125;
    }
  if (sup == 0)
    {
      close (st[0]);
      if (agent_supervise (st[1]) < 0)
        _exit (125);
      if (agent_seccomp_install () < 0)
        {
          agent_say ("cannot install the seccomp filter of commands: ", strerror (errno), "");
          _exit (126);
        }
      _exit (agent_exec_command (argv + i));
    }
  close (st[1]);
  int status;
  if (timeout_ms > 0)
    {
      /* The deadline is kept here too: at the pids limit (a fork bomb)
         the engine cannot start the `sbx-agent kill` exec, this process
         needs no new one. */
      struct pollfd p = { .fd = st[0], .events = POLLIN };
      int r;
      while ((r = poll (&p, 1, timeout_ms > INT_MAX ? INT_MAX : (int) timeout_ms)) < 0
             && errno == EINTR)
        ;
      if (r == 0)
        {
          agent_kill_tree (getpid (), NULL, 1000);
          agent_say ("command timed out; killed", "", "");
          return 124;
        }
    }
  if (agent_read_status (st[0], &status) <= 0)
    status = SIGKILL;
  agent_exit_like (status);
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
    return agent_serve (argv[2], argc >= 4 ? argv[3] : "", argc >= 5 ? argv + 4 : NULL);
  if (argc >= 2 && strcmp (argv[1], "init") == 0)
    return init_main (argv + 2);
  if (argc >= 2 && strcmp (argv[1], "run") == 0)
    return run_main (argc - 2, argv + 2);
  if (argc >= 2 && strcmp (argv[1], "kill") == 0)
    return kill_main (argc - 2, argv + 2);
  agent_say ("usage: sbx-agent serve SOCKET [TAG [PATH...]] | init [PATH...] | run -- CMD... | "
             "kill [-N] TOKEN",
             "", "");
  return 125;
}
