/* bwrap.c: the bubblewrap backend: argv builder and a probe that really
   runs a sandbox. */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A system path: a symlink (/bin -> usr/bin on merged-/usr systems) is
   recreated as a symlink so that the tree looks as it does outside. */
static void
add_system_path (char ***v, const char *p)
{
  struct stat st;
  if (lstat (p, &st) < 0)
    return;
  if (S_ISLNK (st.st_mode))
    {
      char target[4096];
      ssize_t n = readlink (p, target, sizeof target - 1);
      if (n <= 0)
        return;
      target[n] = '\0';
      strv_append_all (v, "--symlink", target, p, NULL);
      return;
    }
  strv_append_all (v, "--ro-bind", p, p, NULL);
}

/* Where daemons keep their sockets (docker.sock, the session bus, ...): a
   socket on a read-only mount still accepts connect(), so this is never
   bound into the sandbox. */
static const char daemon_dir[] = "/run";

/* 1: path is /run or inside it; 2: path holds /run (/, or /run's parent);
   0: neither. */
static int
daemon_relation (const char *path)
{
  char real[PATH_MAX], run[PATH_MAX];
  if (realpath (path, real) == NULL)
    return 0;
  const char *r = realpath (daemon_dir, run) ? run : daemon_dir;
  size_t lr = strlen (r), lp = strlen (real);
  if (strncmp (real, r, lr) == 0 && (real[lr] == '\0' || real[lr] == '/'))
    return 1;
  if (strcmp (real, "/") == 0 || (strncmp (r, real, lp) == 0 && r[lp] == '/'))
    return 2;
  return 0;
}

static int
check_dir (const char *p, sbx_error **err)
{
  struct stat st;
  if (p[0] != '/')
    return sbx_fail (err, SBX_ERR_INVALID,
                     "'%s' is not an absolute path; give absolute directories", p);
  if (stat (p, &st) < 0)
    return sbx_fail (err, SBX_ERR_INVALID, "cannot bind '%s' into the sandbox: %s", p,
                     strerror (errno));
  if (daemon_relation (p) == 1)
    return sbx_fail (err, SBX_ERR_INVALID,
                     "'%s' is in /run, where daemon sockets live (docker.sock); it is never "
                     "bound into the sandbox: allow a single socket with --allow-unix-socket "
                     "PATH",
                     p);
  return 0;
}

/* The project's .git bound onto itself (a mount point cannot be renamed
   or removed), then each existing protected path read-only. */
static void
add_protected (char ***v, const host_policy *pol)
{
  if (pol->project_dir == NULL)
    return;
  _cleanup_free_ char *git = xasprintf ("%s/.git", pol->project_dir);
  struct stat st;
  char real[PATH_MAX];
  if (lstat (git, &st) == 0 && realpath (git, real))
    strv_append_all (v, S_ISDIR (st.st_mode) ? "--bind" : "--ro-bind", real, real, NULL);
  for (char *const *p = pol->protected_paths; p && *p; p++)
    if (realpath (*p, real))
      strv_append_all (v, "--ro-bind", real, real, NULL);
}

/* Whether dir is path or lies inside it. */
static bool
is_within (const char *dir, const char *path)
{
  size_t n = strlen (path);
  return strncmp (dir, path, n) == 0 && (dir[n] == '\0' || dir[n] == '/' || n == 1);
}

/* Whether a dir the user named (project, --ro, --rw) lies inside denied:
   then the user asked for it, and the mask goes under its bind. */
static bool
holds_named_dir (const host_policy *pol, const char *denied)
{
  if (pol->project_dir && is_within (pol->project_dir, denied))
    return true;
  for (char *const *p = pol->ro_dirs; p && *p; p++)
    if (is_within (*p, denied))
      return true;
  for (char *const *p = pol->rw_dirs; p && *p; p++)
    if (is_within (*p, denied))
      return true;
  return false;
}

/* Hide the denied paths (credentials) that exist: an empty read-only tmpfs
   over a dir, /dev/null over a file.  under_named: the masks of denied
   paths that hold a named dir (emitted before the binds of the named
   dirs), else the others (emitted after every bind). */
static void
add_deny_masks (char ***v, const host_policy *pol, char *const *denied, bool under_named)
{
  for (char *const *d = denied; d && *d; d++)
    {
      if (holds_named_dir (pol, *d) != under_named)
        continue;
      struct stat st;
      if (stat (*d, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        strv_append_all (v, "--tmpfs", *d, "--remount-ro", *d, NULL);
      else
        strv_append_all (v, "--ro-bind", "/dev/null", *d, NULL);
    }
}

int
host_bwrap_argv (const char *bwrap, const host_policy *pol, int seccomp_fd, char *const *cmd,
                 char ***out, sbx_error **err)
{
  if (cmd == NULL || cmd[0] == NULL)
    return sbx_fail (err, SBX_ERR_INVALID, "no command to run under bwrap");
  _cleanup_strv_ char **v = NULL;
  strv_append (&v, bwrap ? bwrap : "bwrap");
  strv_append (&v, "--unshare-all");
  if (pol->allow_network)
    strv_append (&v, "--share-net");
  strv_append (&v, "--die-with-parent");
  strv_append (&v, "--new-session");
  strv_append_all (&v, "--cap-drop", "ALL", NULL);
  for (const char *const *p = host_system_ro_paths; *p; p++)
    if (strcmp (*p, "/proc") != 0)
      add_system_path (&v, *p);
  strv_append_all (&v, "--dev", "/dev", NULL);
  strv_append_all (&v, "--proc", "/proc", NULL);
  strv_append_all (&v, "--tmpfs", "/tmp", NULL);
  /* The home is not mounted at this level (a socket on a read-only bind
     still accepts connect(), and homes hold agents' sockets); the system's
     credentials are masked. */
  _cleanup_strv_ char **denied = host_deny_existing (pol);
  add_deny_masks (&v, pol, denied, true);
  for (char *const *p = pol->ro_dirs; p && *p; p++)
    {
      if (check_dir (*p, err) < 0)
        return -1;
      strv_append_all (&v, "--ro-bind", *p, *p, NULL);
    }
  for (char *const *p = pol->rw_dirs; p && *p; p++)
    {
      if (check_dir (*p, err) < 0)
        return -1;
      strv_append_all (&v, "--bind", *p, *p, NULL);
    }
  if (pol->project_dir)
    {
      if (check_dir (pol->project_dir, err) < 0)
        return -1;
      strv_append_all (&v, pol->allow_write ? "--bind" : "--ro-bind", pol->project_dir,
                       pol->project_dir, NULL);
      if (pol->allow_write)
        add_protected (&v, pol);
    }
  /* A dir that holds /run (the project at /) brings it along: hide it. */
  bool holds_run = pol->project_dir && daemon_relation (pol->project_dir) == 2;
  for (char *const *p = pol->ro_dirs; p && *p && !holds_run; p++)
    holds_run = daemon_relation (*p) == 2;
  for (char *const *p = pol->rw_dirs; p && *p && !holds_run; p++)
    holds_run = daemon_relation (*p) == 2;
  if (holds_run)
    strv_append_all (&v, "--tmpfs", daemon_dir, NULL);
  add_deny_masks (&v, pol, denied, false);
  /* Sockets the user allowed by path (a socket on a read-only bind still
     accepts connect()). */
  for (char *const *p = pol->allow_unix_sockets; p && *p; p++)
    {
      struct stat st;
      if (stat (*p, &st) == 0 && S_ISSOCK (st.st_mode))
        strv_append_all (&v, "--ro-bind", *p, *p, NULL);
    }
  if (pol->workdir || pol->project_dir)
    strv_append_all (&v, "--chdir", pol->workdir ? pol->workdir : pol->project_dir, NULL);
  if (seccomp_fd >= 0)
    {
      _cleanup_free_ char *fd = xasprintf ("%d", seccomp_fd);
      strv_append_all (&v, "--seccomp", fd, NULL);
    }
  strv_append (&v, "--");
  for (char *const *p = cmd; *p; p++)
    strv_append (&v, *p);
  *out = steal_pointer (&v);
  return 0;
}

/* Run argv with stdin/stdout on /dev/null and stderr captured (its first
   line kept in *why), killed after timeout_ms.  Returns the wait status or
   -1. */
static int
run_quiet (char *const *argv, long timeout_ms, char **why)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return -1;
    }
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (null >= 0)
        {
          dup2 (null, 0);
          dup2 (null, 1);
        }
      dup2 (pipefd[1], 2);
      execvp (argv[0], argv);
      dprintf (2, "cannot execute %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  close (pipefd[1]);
  char buf[512];
  size_t len = 0;
  struct timespec start;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;)
    {
      struct timespec now;
      clock_gettime (CLOCK_MONOTONIC, &now);
      long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      if (elapsed >= timeout_ms)
        {
          kill (pid, SIGKILL);
          break;
        }
      struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
      int r = poll (&pfd, 1, (int) (timeout_ms - elapsed));
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        continue;
      char tmp[512];
      ssize_t n = read (pipefd[0], tmp, sizeof tmp);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      size_t take = (size_t) n;
      if (take > sizeof buf - 1 - len)
        take = sizeof buf - 1 - len;
      memcpy (buf + len, tmp, take);
      len += take;
    }
  close (pipefd[0]);
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  buf[len] = '\0';
  char *nl = strchr (buf, '\n');
  if (nl)
    *nl = '\0';
  if (why)
    *why = len ? xstrdup (buf) : NULL;
  return status;
}

char *
host_bwrap_find (char **why)
{
  if (why)
    *why = NULL;
  int errnum = 0;
  char *path = host_find_program ("bwrap", &errnum);
  if (path == NULL && why)
    *why = xstrdup (errnum == EACCES ? "bwrap is in $PATH but not executable"
                                     : "bwrap is not installed (no bwrap in $PATH)");
  return path;
}

bool
host_bwrap_works (char **why)
{
  _cleanup_free_ char *path = host_bwrap_find (why);
  if (path == NULL)
    return false;
  int errnum = 0;
  _cleanup_free_ char *true_path = host_find_program ("true", &errnum);
  char *const cmd[] = { true_path ? true_path : (char *) "true", NULL };
  host_policy pol = { 0 };
  _cleanup_strv_ char **argv = NULL;
  if (host_bwrap_argv (path, &pol, -1, cmd, &argv, NULL) < 0)
    return false;
  _cleanup_free_ char *msg = NULL;
  int status = run_quiet (argv, 5000, &msg);
  if (status >= 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return true;
  if (why)
    {
      if (status < 0)
        *why = xasprintf ("cannot run %s: %s", path, strerror (errno));
      else if (msg)
        *why = xasprintf ("bwrap cannot create a sandbox here: %s", msg);
      else if (WIFSIGNALED (status))
        *why = xasprintf ("bwrap was killed by signal %d (timeout?)", WTERMSIG (status));
      else
        *why = xasprintf ("bwrap cannot create a sandbox here (exit status %d)",
                          WEXITSTATUS (status));
    }
  return false;
}
