/* lock.c: per-project advisory locks. */
#include "lock.h"
#include "userdirs.h"
#include "util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

int
sbx_lock_path (const char *project_id, const char *what, bool create_dir, char **out,
               sbx_error **err)
{
  _cleanup_free_ char *dir = NULL;
  if (sbx_run_dir (&dir, err) < 0)
    return sbx_error_prefix (err, "the lock directory");
  if (create_dir && sbx_private_dir (dir, err) < 0)
    return sbx_error_prefix (err, "the lock directory");
  *out = xasprintf ("%s/%s.%s.lock", dir, project_id, what);
  return 0;
}

int
sbx_lock_acquire (const char *path, bool wait, int *fd, bool *stale, sbx_error **err)
{
  *fd = -1;
  for (;;)
    {
      bool existed = false;
      _cleanup_close_ int f = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (f < 0 && errno == EEXIST)
        {
          existed = true;
          f = open (path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
          if (f < 0 && errno == ENOENT)
            continue; /* removed in between */
        }
      if (f < 0)
        return sbx_fail_errno (err, errno, "opening the lock %s", path);
      if (flock (f, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0)
        {
          if (errno == EWOULDBLOCK)
            return 0;
          if (errno == EINTR)
            return sbx_fail (err, SBX_ERR_INTERRUPTED, "interrupted while waiting for the lock %s",
                             path);
          return sbx_fail_errno (err, errno, "locking %s", path);
        }
      /* The holder we waited for may have unlinked the file: then this lock
         guards nothing, start again. */
      struct stat a, b;
      if (fstat (f, &a) < 0 || stat (path, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
        continue;
      if (stale)
        *stale = existed;
      *fd = steal_fd (&f);
      return 0;
    }
}

void
sbx_lock_release (const char *path, int *fd)
{
  if (*fd >= 0)
    {
      unlink (path);
      close (*fd);
      *fd = -1;
    }
}
