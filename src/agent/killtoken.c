/* killtoken.c: killing every process of one exec, whatever it did with its
   process group, session or environment.  Each exec runs under a
   supervisor that is a child subreaper (agent_supervise): every process the
   command starts is a descendant of it, and stays one when its parent dies.
   A kill takes the exec's roots (the supervisor, and under the engine's
   exec API every process carrying the exec's token SBX_EXEC_ID=TOKEN in
   its environment) and all their descendants: SIGSTOP until every one of
   them is stopped, then SIGKILL to all at once, so that nothing forks or
   escapes to PID 1 while the tree is killed. */
#include "agent/agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
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

/* The next process of /proc (directory d) but PID 1 and self: its pid, or
   0 at the end. */
static long
next_pid (DIR *d, pid_t self)
{
  struct dirent *de;
  while ((de = readdir (d)))
    {
      char *end;
      long pid = strtol (de->d_name, &end, 10);
      if (*end == '\0' && pid > 1 && pid != self)
        return pid;
    }
  return 0;
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
  long pid;
  while ((pid = next_pid (d, self)) > 0)
    {
      char name[24];
      snprintf (name, sizeof name, "%ld", pid);
      if (environ_has (name, needle, (size_t) nl))
        {
          found++;
          kill ((pid_t) pid, sig);
        }
    }
  closedir (d);
  return found;
}

/* One process of /proc: its parent, whether it still runs (not a zombie),
   whether it belongs to the tree being killed. */
typedef struct proc_ent
{
  pid_t pid, ppid, pgrp;
  char live, stopped, in, root;
} proc_ent;

/* Every process but PID 1 and ourselves into *out (allocated): how many,
   or -1. */
static long
scan_procs (proc_ent **out)
{
  *out = NULL;
  DIR *d = opendir ("/proc");
  if (!d)
    return -1;
  size_t n = 0, cap = 0;
  proc_ent *v = NULL;
  pid_t self = getpid ();
  long pid;
  while ((pid = next_pid (d, self)) > 0)
    {
      char path[64], buf[512];
      snprintf (path, sizeof path, "/proc/%ld/stat", pid);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      ssize_t len = read (fd, buf, sizeof buf - 1);
      close (fd);
      if (len <= 0)
        continue;
      buf[len] = '\0';
      /* "PID (COMM) S PPID ...": COMM may hold anything, ')' included. */
      char *rp = strrchr (buf, ')');
      char state;
      long ppid, pgrp;
      if (!rp || sscanf (rp + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3)
        continue;
      if (n == cap)
        {
          cap = cap ? 2 * cap : 256;
          proc_ent *nv = realloc (v, cap * sizeof *v);
          if (!nv)
            {
              free (v);
              closedir (d);
              errno = ENOMEM;
              return -1;
            }
          v = nv;
        }
      v[n++] = (proc_ent){ .pid = (pid_t) pid,
                           .ppid = (pid_t) ppid,
                           .pgrp = (pid_t) pgrp,
                           .live = state != 'Z' && state != 'X',
                           .stopped = state == 'T' || state == 't' };
    }
  closedir (d);
  *out = v;
  return (long) n;
}

static int
by_pid (const void *a, const void *b)
{
  pid_t x = ((const proc_ent *) a)->pid, y = ((const proc_ent *) b)->pid;
  return (x > y) - (x < y);
}

static const proc_ent *
find (const proc_ent *v, long n, pid_t pid)
{
  proc_ent key = { .pid = pid };
  return bsearch (&key, v, (size_t) n, sizeof *v, by_pid);
}

/* Descendants: a parent marked marks its children, until nothing changes
   (the depth of the tree bounds the passes; parents are found by binary
   search in v, sorted by pid, a fork bomb's thousands of processes
   included). */
static void
mark_descendants (proc_ent *v, long n)
{
  for (int changed = 1; changed;)
    {
      changed = 0;
      for (long i = 0; i < n; i++)
        if (!v[i].in)
          {
            const proc_ent *parent = find (v, n, v[i].ppid);
            if (parent && parent->in)
              v[i].in = changed = 1;
          }
    }
}

/* The process groups of a tree signalled as a whole: a command runs in a
   session of its own (spawn.c), so its groups hold only its processes;
   never ours (the supervisor may share it), nor 0 or 1. */
#define GROUPS_MAX 64

static void
note_group (pid_t *groups, size_t *n, pid_t g)
{
  if (g <= 1 || g == getpgrp ())
    return;
  for (size_t i = 0; i < *n; i++)
    if (groups[i] == g)
      return;
  if (*n < GROUPS_MAX)
    groups[(*n)++] = g;
}

/* One round: mark the roots (root, and the holders of needle when given)
   and their descendants; SIGSTOP those that run, SIGKILL all once none
   runs (or when force is set: a process that cannot be stopped, stuck in
   the kernel, is killed anyway).  How many processes are left in the tree
   (0: none runs any more), or -1. */
static int
kill_round (pid_t root, const char *needle, size_t nl, int force)
{
  proc_ent *v;
  long n = scan_procs (&v);
  if (n < 0)
    return -1;
  /* root may be ourselves (not in the list): its children are roots. */
  for (long i = 0; i < n; i++)
    v[i].root = v[i].in = v[i].pid == root || (root == getpid () && v[i].ppid == root);
  qsort (v, (size_t) n, sizeof *v, by_pid);
  mark_descendants (v, n);
  /* The holders of the token outside the tree (what escaped it, or the
     whole of it when there is no root), read only where no parent is in
     already (in pid order, a parent before its children but after a pid
     wrap): reading a process's environ waits for its memory map, which a
     forking process holds, so a fork bomb's thousands are not read. */
  if (needle)
    {
      for (long i = 0; i < n; i++)
        {
          if (v[i].in || !v[i].live)
            continue;
          const proc_ent *parent = find (v, n, v[i].ppid);
          char name[24];
          snprintf (name, sizeof name, "%ld", (long) v[i].pid);
          if (parent && parent->in)
            v[i].in = 1;
          else if (environ_has (name, needle, nl))
            v[i].root = v[i].in = 1;
        }
      mark_descendants (v, n);
    }
  /* A tree that forks as fast as it dies (a fork bomb) is not caught by
     killing what one scan saw: it is stopped first (a stopped process
     forks no more; what was forked meanwhile is stopped next round), and
     killed whole once every process of it is stopped. */
  int live = 0, running = 0;
  pid_t groups[GROUPS_MAX];
  size_t n_groups = 0;
  for (long i = 0; i < n; i++)
    if (v[i].in && v[i].live)
      {
        live++;
        if (!v[i].stopped)
          {
            running++;
            note_group (groups, &n_groups, v[i].pgrp);
            kill (v[i].pid, SIGSTOP);
          }
      }
  /* Their process groups at once too: what forked since the scan is
     stopped with them (a fork bomb's thousands of processes share a few
     groups). */
  for (size_t g = 0; g < n_groups; g++)
    kill (-groups[g], SIGSTOP);
  if (live && (!running || force))
    {
      n_groups = 0;
      for (long i = 0; i < n; i++)
        if (v[i].in && v[i].live)
          {
            note_group (groups, &n_groups, v[i].pgrp);
            kill (v[i].pid, SIGKILL);
          }
      for (size_t g = 0; g < n_groups; g++)
        kill (-groups[g], SIGKILL);
    }
  free (v);
  return live;
}

/* A process in the middle of execve shows an empty /proc/PID/environ until
   its new image is set up: one empty scan does not prove that no token
   holder is left, a few in a row 10 ms apart do. */
#define EMPTY_SCANS 3

/* Stopping first, then killing, until this long into a series: a round
   scans every process, and a fork bomb's thousands on a loaded machine
   make rounds slow, so the second half of a series (killing whatever is
   still running) must not wait for a count of rounds alone. */
#define STOP_FIRST_MS 500

static long
ms_since (const struct timespec *t0)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int
kill_tree (pid_t root, const char *needle, size_t nl, int rounds)
{
  int empty = 0;
  struct timespec t0;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (int round = 0; round < rounds; round++)
    {
      bool force = round >= rounds / 2 || ms_since (&t0) >= STOP_FIRST_MS;
      int left = kill_round (root, needle, nl, force);
      if (left < 0)
        return -1;
      empty = left ? 0 : empty + 1;
      if (empty == (needle ? EMPTY_SCANS : 1))
        return 0;
      struct timespec ts = { 0, (left ? 2 : 10) * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  return 1;
}

int
agent_kill_token (const char *token, int rounds)
{
  char needle[256];
  int nl = snprintf (needle, sizeof needle, "%s=%s", AGENT_TOKEN_VAR, token);
  if (nl <= 0 || (size_t) nl >= sizeof needle)
    return -1;
  return kill_tree (0, needle, (size_t) nl, rounds);
}

int
agent_kill_tree (pid_t root, const char *token, int rounds)
{
  char needle[256];
  int nl = token && *token ? snprintf (needle, sizeof needle, "%s=%s", AGENT_TOKEN_VAR, token) : 0;
  if (nl < 0 || (size_t) nl >= sizeof needle)
    return -1;
  return kill_tree (root, nl ? needle : NULL, (size_t) nl, rounds);
}
