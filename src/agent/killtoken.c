/* killtoken.c: killing every process of one exec, whatever it did with its
   process group or session: they all carry the exec's token in their
   environment (SBX_EXEC_ID=TOKEN), unless they cleared it. */
#include "agent/agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

int
agent_signal_token (const char *token, int sig)
{
  char needle[256];
  int nl = snprintf (needle, sizeof needle, "%s=%s", AGENT_TOKEN_VAR, token);
  if (nl <= 0 || (size_t) nl >= sizeof needle)
    return -1;
  pid_t self = getpid ();
  DIR *d = opendir ("/proc");
  if (!d)
    return -1;
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
          found++;
          kill ((pid_t) pid, sig);
        }
    }
  closedir (d);
  return found;
}

/* A process in the middle of execve shows an empty /proc/PID/environ until
   its new image is set up: one empty scan does not prove that none is
   left, a few in a row 10 ms apart do. */
#define EMPTY_SCANS 3

int
agent_kill_token (const char *token, int rounds)
{
  int empty = 0;
  for (int round = 0; round < rounds; round++)
    {
      int found = agent_signal_token (token, SIGKILL);
      if (found < 0)
        return -1;
      empty = found ? 0 : empty + 1;
      if (empty == EMPTY_SCANS)
        return 0;
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  return 1;
}
