/* sbx-agent: the project container's own program, bind-mounted read-only at
   /.sbx/agent.  Static, libc only: it runs in any image.

     sbx-agent init            PID 1: reaps zombies, exits on SIGTERM/SIGINT/SIGHUP
                               (the kernel then ends every process of the container)
     sbx-agent run -- CMD...   runs CMD for an exec: exit 127 when not found, 126 when
                               it cannot be executed, with a one-line message
     sbx-agent kill TOKEN      SIGKILLs every process whose environment holds
                               SBX_EXEC_ID=TOKEN (the processes of one exec, whatever
                               they did with their process group or session) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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

static void
say (const char *a, const char *b, const char *c)
{
  char buf[1024];
  int n = snprintf (buf, sizeof buf, "sbx: %s%s%s\n", a, b, c);
  if (n > 0)
    (void) !write (2, buf, (size_t) n < sizeof buf ? (size_t) n : sizeof buf - 1);
}

static int
run_main (int argc, char **argv)
{
  int i = 0;
  if (i < argc && strcmp (argv[i], "--") == 0)
    i++;
  if (i >= argc)
    {
      say ("run: no command given", "", "");
      return 125;
    }
  /* Signals ignored or blocked by the engine's exec path must not leak into
     the command. */
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal (s, SIG_DFL);
  execvp (argv[i], argv + i);
  int e = errno;
  if (e == ENOENT || e == ENOTDIR)
    {
      say (argv[i], ": command not found", "");
      return 127;
    }
  say (argv[i], ": cannot execute: ", strerror (e));
  return 126;
}

/* Does /proc/PID/environ hold needle ("SBX_EXEC_ID=TOKEN")? */
static int
environ_has (const char *pid, const char *needle, size_t nlen)
{
  char path[64], buf[8192];
  snprintf (path, sizeof path, "/proc/%s/environ", pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  /* Entries are NUL-separated; keep a tail so an entry split across reads
     is still seen. */
  size_t have = 0;
  int found = 0;
  for (;;)
    {
      ssize_t n = read (fd, buf + have, sizeof buf - have);
      if (n <= 0)
        break;
      have += (size_t) n;
      size_t start = 0;
      for (size_t k = 0; k < have; k++)
        if (buf[k] == '\0')
          {
            if (k - start == nlen && memcmp (buf + start, needle, nlen) == 0)
              found = 1;
            start = k + 1;
          }
      if (found)
        break;
      if (start == 0 && have == sizeof buf)
        start = have; /* an entry longer than the buffer: not ours */
      memmove (buf, buf + start, have - start);
      have -= start;
    }
  close (fd);
  return found;
}

static int
kill_main (int argc, char **argv)
{
  if (argc < 1)
    {
      say ("kill: no token given", "", "");
      return 125;
    }
  char needle[256];
  int nl = snprintf (needle, sizeof needle, "SBX_EXEC_ID=%s", argv[0]);
  if (nl <= 0 || (size_t) nl >= sizeof needle)
    return 125;
  pid_t self = getpid ();
  for (int round = 0; round < 100; round++)
    {
      DIR *d = opendir ("/proc");
      if (!d)
        {
          say ("kill: cannot open /proc: ", strerror (errno), "");
          return 125;
        }
      int found = 0;
      struct dirent *de;
      while ((de = readdir (d)))
        {
          char *end;
          long pid = strtol (de->d_name, &end, 10);
          if (*end || pid <= 1 || pid == self)
            continue;
          if (environ_has (de->d_name, needle, (size_t) nl))
            {
              found = 1;
              kill ((pid_t) pid, SIGKILL);
            }
        }
      closedir (d);
      if (!found)
        return 0;
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  say ("kill: processes survive SIGKILL", "", "");
  return 1;
}

int
main (int argc, char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "init") == 0)
    return init_main ();
  if (argc >= 2 && strcmp (argv[1], "run") == 0)
    return run_main (argc - 2, argv + 2);
  if (argc >= 2 && strcmp (argv[1], "kill") == 0)
    return kill_main (argc - 2, argv + 2);
  say ("usage: sbx-agent init | run -- CMD... | kill TOKEN", "", "");
  return 125;
}
