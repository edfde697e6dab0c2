/* supervise.c: the supervisor of one exec.  It is a child subreaper
   (PR_SET_CHILD_SUBREAPER): whatever the command starts, and whatever
   those processes do with their session, group or environment, stays its
   descendant when its parent dies, instead of going to PID 1; so killing
   the supervisor's tree (agent_kill_tree) kills all of the exec.  It
   ignores the signals meant for the command (they reach it through its
   process group), reports the command's wait status and then goes on
   reaping until the last descendant is gone. */
#include "agent/agent.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void
agent_ignore_signals (void)
{
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD)
      signal (s, SIG_IGN);
}

/* Close every descriptor but 0-2 and keep (>= 3). */
static void
close_others (int keep)
{
#ifdef SYS_close_range
  if ((keep == 3 || syscall (SYS_close_range, 3u, (unsigned) keep - 1, 0u) == 0)
      && syscall (SYS_close_range, (unsigned) keep + 1, ~0u, 0u) == 0)
    return;
#endif
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      int fd = atoi (de->d_name);
      if (fd >= 3 && fd != keep && fd != dirfd (d))
        close (fd);
    }
  if (d)
    closedir (d);
}

static void
write_status (int fd, int status)
{
  uint8_t b[4] = { (uint8_t) status, (uint8_t) (status >> 8), (uint8_t) (status >> 16),
                   (uint8_t) (status >> 24) };
  (void) !write (fd, b, sizeof b);
}

int
agent_read_status (int fd, int *status)
{
  uint8_t b[4];
  size_t have = 0;
  while (have < sizeof b)
    {
      ssize_t n = read (fd, b + have, sizeof b - have);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return n < 0 && errno == EAGAIN ? 0 : -1;
      have += (size_t) n;
    }
  *status = (int) ((uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16
                   | (uint32_t) b[3] << 24);
  return 1;
}

pid_t
agent_supervise (int status_fd)
{
  if (status_fd < 3)
    status_fd = fcntl (status_fd, F_DUPFD_CLOEXEC, 3);
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  agent_ignore_signals ();
  pid_t cmd = fork ();
  if (cmd == 0)
    return 0;
  if (cmd < 0)
    {
      write_status (status_fd, 125 << 8);
      _exit (125);
    }
  /* Hold nothing of the command's or of the agent's: its output ends when
     the command's processes close it, the agent's connections when the
     agent closes them. */
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3 && null >= 0; fd++)
    dup2 (null, fd);
  close_others (status_fd);
  int st;
  pid_t w;
  while ((w = waitpid (-1, &st, 0)) > 0 || (w < 0 && errno == EINTR))
    if (w == cmd)
      {
        write_status (status_fd, st);
        close (status_fd);
      }
  _exit (0);
}

void
agent_exit_like (int status)
{
  if (WIFSIGNALED (status))
    {
      int sig = WTERMSIG (status);
      struct rlimit none = { 0, 0 };
      setrlimit (RLIMIT_CORE, &none); /* the command dumped its own core */
      signal (sig, SIG_DFL);
      sigset_t set;
      sigemptyset (&set);
      sigaddset (&set, sig);
      sigprocmask (SIG_UNBLOCK, &set, NULL);
      raise (sig);
      _exit (128 + sig);
    }
  _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 125);
}
