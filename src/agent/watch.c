/* watch.c: the agent's side of the watch over missing protected paths
   (agent/guard.h).  The agent is PID 1 for the container's whole life, so
   the watch covers every command, through the agent or the engine's exec,
   and whatever they left running.

   A name made by a command is removed, every other process of the
   container is SIGKILLed (kill(-1) from the namespace's init), the names
   are swept once more, the line is said on the container's log and the
   agent exits with SBX_GUARD_EXIT + k: the container stops, the exec that
   ran sees it go and sbx reports the line from the container's exit
   code.

   The project is the host's too: git on the host may make .git/worktrees
   or .git/modules while the container idles.  A name that appears while
   no process but the agent exists, and none was started since the agent
   last saw the container so (the namespace's last pid,
   /proc/sys/kernel/ns_last_pid, unchanged, and no event pending then), was
   made outside the container: it is left alone and watched no more.
   Without ns_last_pid (gVisor) every name is taken as made inside. */
#include "agent/agent.h"
#include "agent/guard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static sbx_guard guard = { .fd = -1, .hit = -1 };
static long idle_mark = -1; /* ns_last_pid when the container was last seen idle */

/* The pid namespace's last pid, or -1. */
static long
last_pid (void)
{
  int fd = open ("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  char buf[32];
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return strtol (buf, NULL, 10);
}

/* Whether a process but this one exists in the container (-1: cannot
   tell, taken as yes). */
static int
others (void)
{
  DIR *d = opendir ("/proc");
  if (d == NULL)
    return -1;
  int found = 0;
  struct dirent *e;
  pid_t self = getpid ();
  while (!found && (e = readdir (d)))
    {
      char *end;
      long pid = strtol (e->d_name, &end, 10);
      if (*end == '\0' && pid > 0 && pid != self)
        found = 1;
    }
  closedir (d);
  return found;
}

static bool
made_outside (void *ud)
{
  (void) ud;
  return idle_mark >= 0 && others () == 0 && last_pid () == idle_mark;
}

void
agent_watch_start (char *const *paths)
{
  sbx_guard_start (&guard, paths);
  guard.outside = made_outside;
  agent_watch_tick ();
}

int
agent_watch_fd (void)
{
  return guard.fd;
}

void
agent_watch_tick (void)
{
  /* Not at every turn of a busy loop: an old mark only makes the agent
     take more names as the commands' (the last pid moved on). */
  static long last_tick = -1000;
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  long ms = now.tv_sec * 1000L + now.tv_nsec / 1000000L;
  if (guard.fd < 0 || ms - last_tick < 250)
    return;
  last_tick = ms;
  /* In this order: a process that made a name and ended before the scan
     left its event queued before the scan; one started after the first
     read changed the last pid. */
  long m = last_pid ();
  int queued = 0;
  idle_mark = -1;
  if (m < 0 || others () != 0)
    return;
  if (ioctl (guard.fd, FIONREAD, &queued) < 0 || queued > 0)
    return;
  if (last_pid () == m)
    idle_mark = m;
}

/* SIGKILL every other process of the container until none is left (at
   most about 3 s: what remains goes with this process, PID 1). */
static void
end_the_others (void)
{
  for (int round = 0; round < 300; round++)
    {
      kill (-1, SIGKILL);
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
      if (others () == 0)
        return;
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
}

int
agent_watch_handle (void)
{
  if (!sbx_guard_check (&guard))
    {
      agent_watch_tick ();
      return -1;
    }
  end_the_others ();
  sbx_guard_check (&guard);
  sbx_guard_sweep (&guard);
  char msg[4096 + 512];
  sbx_guard_message (&guard, msg, sizeof msg);
  agent_say (msg, "", "");
  int k = guard.e[guard.hit].arg;
  return (guard.hit_parent ? SBX_GUARD_EXIT_PARENT : SBX_GUARD_EXIT) + k;
}
