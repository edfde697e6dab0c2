/* guard.c: the watch over missing protected paths (guard.h).  One inotify
   descriptor; one watch per parent directory (the kernel gives two paths
   with the same parent the same watch); the parent is also kept open, so
   that a removal acts on the directory that was watched, whatever its
   name has become.  Removal never follows a symlink: each level is opened
   relative to the one above with O_NOFOLLOW|O_DIRECTORY.  libc only (it
   is linked into sbx-agent). */
#include "agent/guard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define REMOVE_DEPTH 128

void
sbx_guard_start (sbx_guard *g, char *const *paths)
{
  memset (g, 0, sizeof *g);
  g->fd = -1;
  g->hit = -1;
  for (char *const *p = paths; p && *p && g->n < SBX_GUARD_MAX; p++)
    {
      const char *slash = strrchr (*p, '/');
      struct stat st;
      if ((*p)[0] != '/' || slash == NULL || slash[1] == '\0' || lstat (*p, &st) == 0)
        continue;
      char parent[PATH_MAX];
      size_t len = slash == *p ? 1 : (size_t) (slash - *p);
      if (len >= sizeof parent)
        continue;
      memcpy (parent, *p, len);
      parent[len] = '\0';
      if (g->fd < 0 && (g->fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC)) < 0)
        return;
      int dir = open (parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dir < 0)
        continue; /* no parent: nothing there can be made without it */
      int wd = inotify_add_watch (
          g->fd, parent, IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
      char *copy = wd < 0 ? NULL : strdup (*p);
      if (copy == NULL)
        {
          close (dir);
          continue;
        }
      g->e[g->n].wd = wd;
      g->e[g->n].dir = dir;
      g->e[g->n].path = copy;
      g->e[g->n].name = copy + (slash - *p) + 1;
      g->e[g->n].gone = false;
      g->e[g->n].arg = (int) (p - paths);
      g->n++;
    }
  if (g->n == 0 && g->fd >= 0)
    {
      close (g->fd);
      g->fd = -1;
    }
}

bool
sbx_guard_watching (const sbx_guard *g)
{
  return g->fd >= 0;
}

static void
record (sbx_guard *g, int i, bool parent, int errnum)
{
  if (g->hit >= 0)
    return;
  g->hit = i;
  g->hit_parent = parent;
  g->hit_errno = errnum;
}

/* Remove the name of entry i when it is there; true when it was. */
static bool
remove_entry (sbx_guard *g, int i)
{
  int r = sbx_guard_remove (g->e[i].dir, g->e[i].name);
  if (r == -ENOENT)
    return false;
  record (g, i, false, 0);
  if (g->hit == i)
    g->hit_errno = r < 0 ? -r : 0; /* the last attempt's outcome */
  return true;
}

bool
sbx_guard_sweep (sbx_guard *g)
{
  bool found = false;
  for (size_t i = 0; i < g->n; i++)
    if (!g->e[i].gone || (g->hit == (int) i && !g->hit_parent))
      found |= remove_entry (g, (int) i);
  return found;
}

bool
sbx_guard_check (sbx_guard *g)
{
  if (g->fd < 0)
    return false;
  bool found = false;
  char buf[4096] __attribute__ ((aligned (__alignof__(struct inotify_event))));
  for (;;)
    {
      ssize_t len = read (g->fd, buf, sizeof buf);
      if (len < 0 && errno == EINTR)
        continue;
      if (len <= 0)
        break;
      for (char *p = buf; p < buf + len;)
        {
          const struct inotify_event *ev = (const struct inotify_event *) p;
          p += sizeof *ev + ev->len;
          if (ev->mask & IN_Q_OVERFLOW)
            {
              found |= sbx_guard_sweep (g);
              continue;
            }
          for (size_t i = 0; i < g->n; i++)
            {
              if (g->e[i].wd != ev->wd || g->e[i].gone)
                continue;
              if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
                {
                  /* A parent that moved or went is watched no more. */
                  g->e[i].gone = true;
                  record (g, (int) i, true, 0);
                  found = true;
                }
              else if (ev->len && strcmp (ev->name, g->e[i].name) == 0)
                {
                  if (g->outside && g->outside (g->outside_ud))
                    g->e[i].gone = true; /* the user's own: left as it is */
                  else
                    found |= remove_entry (g, (int) i);
                }
            }
        }
    }
  return found;
}

void
sbx_guard_message (const sbx_guard *g, char *buf, size_t size)
{
  if (size == 0)
    return;
  buf[0] = '\0';
  if (g->hit >= 0)
    sbx_guard_format (g->e[g->hit].path, g->hit_parent, g->hit_errno, buf, size);
}

void
sbx_guard_format (const char *path, bool parent, int errnum, char *buf, size_t size)
{
  const char *git_dir = strstr (path, "/.git/");
  size_t len = strlen (path);
  /* A name in .git, or .git itself (a project inside another repository). */
  bool git = (git_dir && strchr (git_dir + 6, '/') == NULL)
             || (len >= 5 && strcmp (path + len - 5, "/.git") == 0);
  if (parent)
    snprintf (buf, size,
              "the directory of %s was removed or renamed while the command ran, so that sbx "
              "could no longer keep it from being made; the command was ended",
              path);
  else if (errnum)
    snprintf (buf, size,
              "the command created %s, which %s; sbx could not remove it (%s): remove it "
              "yourself before you run git here; the command was ended",
              path, git ? "would make your git run code outside the sandbox" : "is protected",
              strerror (errnum));
  else if (git)
    snprintf (buf, size,
              "the command created %s, which would make your git run code outside the sandbox; "
              "it was removed and the command was ended",
              path);
  else
    snprintf (buf, size,
              "the command created %s, a protected path of this project; it was removed and "
              "the command was ended",
              path);
}

void
sbx_guard_forget (sbx_guard *g, int i)
{
  if (i >= 0 && (size_t) i < g->n)
    g->e[i].gone = true;
}

void
sbx_guard_end (sbx_guard *g)
{
  for (size_t i = 0; i < g->n; i++)
    {
      close (g->e[i].dir);
      free (g->e[i].path);
    }
  if (g->fd >= 0)
    close (g->fd);
  g->n = 0;
  g->fd = -1;
}

static int
remove_at (int dirfd, const char *name, int depth)
{
  if (unlinkat (dirfd, name, 0) == 0)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return -errno;
  if (depth >= REMOVE_DEPTH)
    return -ELOOP;
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOTDIR || errno == ELOOP ? remove_at (dirfd, name, REMOVE_DEPTH) : -errno;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      int e = errno;
      close (fd);
      return -e;
    }
  int first = 0;
  /* Entries removed while reading may make readdir skip some: a few
     passes, until one removes nothing. */
  for (int pass = 0; pass < 4; pass++)
    {
      bool removed = false;
      struct dirent *ent;
      rewinddir (d);
      while ((ent = readdir (d)))
        {
          if (strcmp (ent->d_name, ".") == 0 || strcmp (ent->d_name, "..") == 0)
            continue;
          int r = remove_at (fd, ent->d_name, depth + 1);
          if (r == 0)
            removed = true;
          else if (r != -ENOENT && first == 0)
            first = r;
        }
      if (!removed)
        break;
    }
  closedir (d);
  if (unlinkat (dirfd, name, AT_REMOVEDIR) == 0)
    return 0;
  return first ? first : -errno;
}

int
sbx_guard_remove (int dirfd, const char *name)
{
  return remove_at (dirfd, name, 0);
}
