/* buildlock.c: see buildlock.h. */
#include "devenv/image/buildlock.h"
#include "lock.h"
#include "util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <time.h>

int
devenv_lock_project (const char *id, volatile sig_atomic_t *cancel, void (*on_wait) (void *),
                     void *ud, int *out, bool *waited, sbx_error **err)
{
  *waited = false;
  _cleanup_free_ char *path = NULL;
  if (sbx_lock_path (id, "build", true, &path, err) < 0)
    return -1;
  _cleanup_close_ int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "cannot open the build lock %s", path);
  for (;;)
    {
      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        break;
      if (errno != EWOULDBLOCK && errno != EINTR)
        return sbx_fail_errno (err, errno, "cannot lock %s", path);
      if (!*waited)
        {
          *waited = true;
          if (on_wait)
            on_wait (ud);
        }
      if (cancel && *cancel)
        return sbx_fail (err, SBX_ERR_INTERRUPTED,
                         "interrupted while waiting for another sbx building this project");
      struct timespec ts = { 0, 50 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  *out = steal_fd (&fd);
  return 0;
}
