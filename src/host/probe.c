/* probe.c: what this machine can confine with. */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int
check_exec (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return ENOENT;
  if (S_ISDIR (st.st_mode))
    return EACCES;
  if (access (path, X_OK) < 0)
    return EACCES;
  return 0;
}

char *
host_find_program (const char *name, int *errnum)
{
  *errnum = ENOENT;
  if (name == NULL || name[0] == '\0')
    return NULL;
  if (strchr (name, '/'))
    {
      *errnum = check_exec (name);
      return *errnum ? NULL : xstrdup (name);
    }
  const char *path = getenv ("PATH");
  if (path == NULL)
    path = "/usr/local/bin:/usr/bin:/bin";
  const char *p = path;
  for (;;)
    {
      const char *end = strchrnul (p, ':');
      _cleanup_free_ char *cand = NULL;
      if (end == p)
        cand = xasprintf ("./%s", name); /* empty element: current directory */
      else
        cand = xasprintf ("%.*s/%s", (int) (end - p), p, name);
      int e = check_exec (cand);
      if (e == 0)
        {
          *errnum = 0;
          return steal_pointer (&cand);
        }
      if (e == EACCES)
        *errnum = EACCES; /* remember, as execvp does, but go on looking */
      if (*end == '\0')
        break;
      p = end + 1;
    }
  return NULL;
}

void
host_probe_run (host_probe *p, bool probe_bwrap)
{
  memset (p, 0, sizeof *p);
  p->landlock_abi = host_landlock_abi ();
  p->seccomp = host_seccomp_available ();
  _cleanup_free_ char *nsjail = host_nsjail_find ();
  p->nsjail = nsjail != NULL;
  int errnum;
  _cleanup_free_ char *runsc = host_find_program ("runsc", &errnum);
  p->runsc = runsc != NULL;
  _cleanup_free_ char *sandbox_exec = host_find_program ("sandbox-exec", &errnum);
  p->seatbelt = sandbox_exec != NULL;
  if (probe_bwrap)
    p->bwrap = host_bwrap_works (&p->bwrap_error);
  else
    p->bwrap_error = xstrdup ("not probed");
}

void
host_probe_clear (host_probe *p)
{
  free (p->bwrap_error);
  memset (p, 0, sizeof *p);
}

/* Whether the kernel delivers seccomp user notifications and lets a
   supervisor take a descriptor from the supervised process (pidfd_getfd,
   Linux 5.6): what the default level's supervisor of connect() and file
   metadata calls needs. */
bool
host_seccomp_notify_available (void)
{
  uint32_t action = SECCOMP_RET_USER_NOTIF;
  if (syscall (__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0)
    return false;
  /* pidfd_getfd on an invalid pidfd: EBADF where the call exists. */
  return syscall (__NR_pidfd_getfd, -1, 0, 0) < 0 && errno == EBADF;
}

/* Whether this process can have a mount namespace of its own: as root
   directly, else through a user namespace (tried in a child, since
   distributions restrict unprivileged user namespaces in several ways). */
bool
host_mount_ns_available (void)
{
  pid_t pid = fork ();
  if (pid < 0)
    return false;
  if (pid == 0)
    {
      int flags = geteuid () == 0 ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS;
      if (unshare (flags) < 0)
        _exit (1);
      /* A mount is what the namespace is for: a private propagation change
         fails where a restricted user namespace gives no capability. */
      _exit (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? 1 : 0);
    }
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return false;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}
