/* protect.c: protected paths at the default level.  Landlock rights on a
   directory cover its whole subtree, so a writable project cannot keep
   .git/hooks read-only through Landlock alone.  The child gets its own
   mount namespace instead (a user namespace too when sbx is not root,
   mapping only the caller's own ids so that files keep their owner):
   mounts private, the project's .git bound onto itself (a mount point
   cannot be renamed or removed: EBUSY), and each existing protected path
   bound onto itself and remounted read-only, keeping the locked flags of
   the mount it was on (nosuid, nodev, noexec, atime).

   host_protect_new resolves and stats everything (it allocates);
   host_protect_enter runs in the forked child and only makes
   async-signal-safe calls. */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct host_protect
{
  bool userns;
  char uid_map[64];
  char gid_map[64];
  char *git_dir; /* bound onto itself (rw), or NULL */
  size_t n;
  char **paths;         /* real paths, bound read-only */
  unsigned long *flags; /* MS_* flags to keep on each remount */
};

/* The locked flags of the mount holding path (what a remount in a user
   namespace must keep), as MS_* flags. */
static unsigned long
mount_flags_of (const char *path)
{
  struct statvfs sv;
  if (statvfs (path, &sv) < 0)
    return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

static bool
listed (char *const *v, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

int
host_protect_new (const host_policy *pol, char *const *paths, host_protect **out, sbx_error **err)
{
  host_protect *p = xcalloc (1, sizeof *p);
  p->userns = geteuid () != 0;
  snprintf (p->uid_map, sizeof p->uid_map, "%u %u 1\n", (unsigned) geteuid (),
            (unsigned) geteuid ());
  snprintf (p->gid_map, sizeof p->gid_map, "%u %u 1\n", (unsigned) getegid (),
            (unsigned) getegid ());
  size_t cap = strv_len (paths) + 1;
  p->paths = xcalloc (cap + 1, sizeof *p->paths);
  p->flags = xcalloc (cap + 1, sizeof *p->flags);
  /* .git of a read-only project cannot be renamed anyway. */
  if (pol && pol->project_dir && pol->allow_write)
    {
      _cleanup_free_ char *git = xasprintf ("%s/.git", pol->project_dir);
      struct stat st;
      char real[PATH_MAX];
      if (lstat (git, &st) == 0 && realpath (git, real))
        {
          if (S_ISDIR (st.st_mode))
            p->git_dir = xstrdup (real);
          else if (S_ISREG (st.st_mode))
            {
              /* "gitdir: PATH" names the git dir: the file is protected. */
              p->flags[p->n] = mount_flags_of (real);
              p->paths[p->n++] = xstrdup (real);
            }
        }
    }
  for (char *const *q = paths; q && *q; q++)
    {
      /* A path that does not exist yet is not enforced: the command may
         create it (a new .sbx/config.json is then only read under the trust
         rules of the CLI; git reads a new .git/commondir, see the report of
         host_run). */
      char real[PATH_MAX];
      if (realpath (*q, real) == NULL)
        continue;
      if (listed (p->paths, p->n, real))
        continue;
      p->flags[p->n] = mount_flags_of (real);
      p->paths[p->n++] = xstrdup (real);
    }
  *out = p;
  return 0;
}

bool
host_protect_needed (const host_protect *p)
{
  return p && (p->git_dir || p->n > 0);
}

char *const *
host_protect_paths (const host_protect *p)
{
  return p ? p->paths : NULL;
}

static int
write_proc (const char *path, const char *data)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n = write (fd, data, strlen (data));
  int e = n < 0 ? errno : 0;
  close (fd);
  return n < 0 ? -e : 0;
}

int
host_protect_enter (const host_protect *p)
{
  if (p->userns)
    {
      if (unshare (CLONE_NEWUSER | CLONE_NEWNS) < 0)
        return -errno;
      int r = write_proc ("/proc/self/setgroups", "deny");
      if (r < 0 && r != -ENOENT)
        return r;
      if ((r = write_proc ("/proc/self/uid_map", p->uid_map)) < 0)
        return r;
      if ((r = write_proc ("/proc/self/gid_map", p->gid_map)) < 0)
        return r;
    }
  else if (unshare (CLONE_NEWNS) < 0)
    return -errno;
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return -errno;
  if (p->git_dir && mount (p->git_dir, p->git_dir, NULL, MS_BIND | MS_REC, NULL) < 0)
    return -errno;
  for (size_t i = 0; i < p->n; i++)
    {
      if (mount (p->paths[i], p->paths[i], NULL, MS_BIND | MS_REC, NULL) < 0)
        return -errno;
      if (mount (NULL, p->paths[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | p->flags[i], NULL) < 0)
        return -errno;
    }
  return 0;
}

void
host_protect_free (host_protect *p)
{
  if (p == NULL)
    return;
  free (p->git_dir);
  for (size_t i = 0; i < p->n; i++)
    free (p->paths[i]);
  free (p->paths);
  free (p->flags);
  free (p);
}
