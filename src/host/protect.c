/* protect.c: protected paths at the default level.  Landlock rights on a
   directory cover its whole subtree, so a writable project cannot keep
   .git/hooks read-only through Landlock alone.  The child gets its own
   mount namespace instead (a user namespace too when sbx is not root,
   mapping only the caller's own ids so that files keep their owner):
   mounts private, the project's .git bound onto itself (a mount point
   cannot be renamed or removed: EBUSY), and each existing protected path
   bound onto itself and remounted read-only, keeping the locked flags of
   the mount it was on (nosuid, nodev, noexec, atime).

   /tmp and /dev/shm are the sandbox's own: an empty tmpfs on each, so that
   the sockets, files and shared memory that other programs keep there
   (tmux, ssh-agent, X11 sockets in /tmp) are out of reach, while the
   sandbox's own temporary files and sockets work as usual.  A dir the
   command was given that lives there (a project in /tmp, --rw, --ro, an
   allowed socket) is bound back at its path on the new tmpfs.

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
  /* Under /tmp or /dev/shm, kept visible on the private tmpfs. */
  size_t n_keep;
  char **keep;
  bool *keep_ro;
  unsigned long *keep_flags;
  int *keep_fd; /* the child's, opened before the tmpfs hides them */
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

/* The private temporary dirs, each a tmpfs in the child. */
static const char *const private_dirs[] = { "/tmp", "/dev/shm", NULL };

/* Whether real lies in one of the private dirs. */
static bool
in_private (const char *real)
{
  for (const char *const *d = private_dirs; *d; d++)
    {
      size_t l = strlen (*d);
      if (strncmp (real, *d, l) == 0 && (real[l] == '/' || real[l] == '\0'))
        return true;
    }
  return false;
}

static void
keep_add (host_protect *p, size_t cap, const char *path, bool ro)
{
  char real[PATH_MAX];
  if (path == NULL || realpath (path, real) == NULL || !in_private (real) || p->n_keep >= cap)
    return;
  if (listed (p->keep, p->n_keep, real))
    return;
  p->keep_flags[p->n_keep] = mount_flags_of (real);
  p->keep_ro[p->n_keep] = ro;
  p->keep_fd[p->n_keep] = -1;
  p->keep[p->n_keep++] = xstrdup (real);
}

/* What the command was given under /tmp or /dev/shm (allocated). */
static void
keep_new (host_protect *p, const host_policy *pol)
{
  size_t cap = 1 + strv_len (pol ? pol->rw_dirs : NULL) + strv_len (pol ? pol->ro_dirs : NULL)
               + strv_len (pol ? pol->allow_unix_sockets : NULL);
  p->keep = xcalloc (cap + 1, sizeof *p->keep);
  p->keep_ro = xcalloc (cap + 1, sizeof *p->keep_ro);
  p->keep_flags = xcalloc (cap + 1, sizeof *p->keep_flags);
  p->keep_fd = xcalloc (cap + 1, sizeof *p->keep_fd);
  if (pol == NULL)
    return;
  keep_add (p, cap, pol->project_dir, !pol->allow_write);
  for (char *const *q = pol->rw_dirs; q && *q; q++)
    keep_add (p, cap, *q, false);
  for (char *const *q = pol->ro_dirs; q && *q; q++)
    keep_add (p, cap, *q, true);
  for (char *const *q = pol->allow_unix_sockets; q && *q; q++)
    keep_add (p, cap, *q, true);
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
  keep_new (p, pol);
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
      /* A path that does not exist yet cannot be bound: host_run watches
         it (agent/guard.h) and ends a command that creates it (a new
         .sbx/config.json is only read under the trust rules of the CLI). */
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
  /* Always: /tmp and /dev/shm are private at this level. */
  return p != NULL;
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

/* mkdir -p path (0755 for what it makes; it all lies on the new tmpfs),
   and an empty file at path itself when file. */
static int
make_mount_point (const char *path, bool file)
{
  char buf[PATH_MAX];
  size_t len = strlen (path);
  if (len >= sizeof buf)
    return -ENAMETOOLONG;
  memcpy (buf, path, len + 1);
  for (char *s = buf + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (buf, 0755) < 0 && errno != EEXIST)
          return -errno;
        *s = '/';
      }
  if (file)
    {
      int fd = open (buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0)
        return -errno;
      close (fd);
      return 0;
    }
  return mkdir (buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* An empty tmpfs on each private dir, then what the command was given
   there bound back at its path. */
static int
private_tmp (const host_protect *p)
{
  for (size_t i = 0; i < p->n_keep; i++)
    if ((p->keep_fd[i] = open (p->keep[i], O_PATH | O_CLOEXEC)) < 0)
      return -errno;
  for (const char *const *d = private_dirs; *d; d++)
    {
      struct stat st;
      if (stat (*d, &st) < 0 || !S_ISDIR (st.st_mode))
        continue;
      if (mount ("tmpfs", *d, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
        return -errno;
    }
  for (size_t i = 0; i < p->n_keep; i++)
    {
      struct stat st;
      char via[64];
      snprintf (via, sizeof via, "/proc/self/fd/%d", p->keep_fd[i]);
      int r;
      if (fstat (p->keep_fd[i], &st) < 0)
        return -errno;
      if ((r = make_mount_point (p->keep[i], !S_ISDIR (st.st_mode))) < 0)
        return r;
      if (mount (via, p->keep[i], NULL, MS_BIND | MS_REC, NULL) < 0)
        return -errno;
      if (p->keep_ro[i]
          && mount (NULL, p->keep[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | p->keep_flags[i],
                    NULL)
                 < 0)
        return -errno;
      close (p->keep_fd[i]);
    }
  return 0;
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
  int r = private_tmp (p);
  if (r < 0)
    return r;
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
  for (size_t i = 0; i < p->n_keep; i++)
    free (p->keep[i]);
  free (p->keep);
  free (p->keep_ro);
  free (p->keep_flags);
  free (p->keep_fd);
  for (size_t i = 0; i < p->n; i++)
    free (p->paths[i]);
  free (p->paths);
  free (p->flags);
  free (p);
}
