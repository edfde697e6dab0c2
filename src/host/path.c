/* path.c: finding a program as execvp would (host_find_program), for the
   backends (bwrap.c, nsjail.c), the runner (run.c) and the probes
   (probe.c).  A utility: it calls nothing else of host/. */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
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
