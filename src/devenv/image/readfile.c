/* readfile.c: see readfile.h. */
#include "devenv/image/readfile.h"
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>

int
devenv_read_file (const char *path, const char *what, size_t max, char **buf, size_t *len,
                  sbx_error **err)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "cannot read %s %s", what, path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return sbx_fail_errno (err, errno, "cannot read %s %s", what, path);
  if (!S_ISREG (st.st_mode))
    return sbx_fail (err, SBX_ERR_INVALID, "%s %s is not a regular file", what, path);
  if ((size_t) st.st_size > max)
    return sbx_fail (err, SBX_ERR_INVALID, "%s %s is larger than %zu bytes", what, path, max);
  _cleanup_free_ char *b = xmalloc ((size_t) st.st_size + 1);
  size_t got = 0;
  while (got < (size_t) st.st_size)
    {
      ssize_t r = read (fd, b + got, (size_t) st.st_size - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return sbx_fail_errno (err, errno, "cannot read %s %s", what, path);
      if (r == 0)
        break;
      got += (size_t) r;
    }
  b[got] = '\0';
  *buf = steal_pointer (&b);
  *len = got;
  return 0;
}
