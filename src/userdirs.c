/* userdirs.c: see userdirs.h. */
#include "userdirs.h"
#include "util.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
sbx_user_home (void)
{
  const char *h = getenv ("HOME");
  if (h && h[0] == '/')
    return xstrdup (h);
  struct passwd *pw = getpwuid (getuid ());
  if (pw && pw->pw_dir && pw->pw_dir[0] == '/')
    return xstrdup (pw->pw_dir);
  return NULL;
}

char *
sbx_user_config_dir (void)
{
  const char *x = getenv ("XDG_CONFIG_HOME");
  if (x && x[0] == '/')
    return xasprintf ("%s/sbx", x);
  _cleanup_free_ char *home = sbx_user_home ();
  return home ? xasprintf ("%s/.config/sbx", home) : NULL;
}

char *
sbx_user_data_dir (void)
{
  const char *x = getenv ("XDG_DATA_HOME");
  if (x && x[0] == '/')
    return xasprintf ("%s/sbx", x);
  _cleanup_free_ char *home = sbx_user_home ();
  return home && strcmp (home, "/") != 0 ? xasprintf ("%s/.local/share/sbx", home) : NULL;
}

int
sbx_state_dir (char **out, sbx_error **err)
{
  const char *x = getenv ("XDG_STATE_HOME");
  if (x && x[0] == '/')
    {
      *out = xasprintf ("%s/sbx", x);
      return 0;
    }
  _cleanup_free_ char *home = sbx_user_home ();
  if (!home)
    return sbx_fail (err, SBX_ERR_INVALID,
                     "sbx keeps its state in $XDG_STATE_HOME/sbx or ~/.local/state/sbx, but "
                     "neither $XDG_STATE_HOME nor $HOME is an absolute path; set one of them");
  *out = xasprintf ("%s/.local/state/sbx", home);
  return 0;
}

int
sbx_run_dir (char **out, sbx_error **err)
{
  const char *rt = getenv ("XDG_RUNTIME_DIR");
  struct stat st;
  if (rt && rt[0] == '/' && stat (rt, &st) == 0 && S_ISDIR (st.st_mode) && access (rt, W_OK) == 0)
    {
      *out = xasprintf ("%s/sbx", rt);
      return 0;
    }
  _cleanup_free_ char *state = NULL;
  if (sbx_state_dir (&state, err) < 0)
    return -1;
  *out = xasprintf ("%s/run", state);
  return 0;
}

int
sbx_private_dir (const char *dir, sbx_error **err)
{
  _cleanup_free_ char *p = xstrdup (dir);
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, 0700) < 0 && errno != EEXIST)
          return sbx_fail_errno (err, errno, "creating %s", p);
        *s = '/';
      }
  if (mkdir (p, 0700) < 0 && errno != EEXIST)
    return sbx_fail_errno (err, errno, "creating %s", p);
  struct stat st;
  if (lstat (p, &st) < 0)
    return sbx_fail_errno (err, errno, "%s", p);
  if (!S_ISDIR (st.st_mode) || st.st_uid != getuid ())
    return sbx_fail (err, SBX_ERR_IO, "%s is not a directory of yours; remove it", p);
  if ((st.st_mode & 07777) != 0700 && chmod (p, 0700) < 0)
    return sbx_fail_errno (err, errno, "chmod 0700 %s", p);
  return 0;
}
