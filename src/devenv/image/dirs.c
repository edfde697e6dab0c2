/* dirs.c: see dirs.h. */
#include "devenv/image/dirs.h"
#include "util.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

static int
mkdir_p (char *path, sbx_error **err)
{
  for (char *s = path + 1; (s = strchr (s, '/')); s++)
    {
      *s = '\0';
      int r = mkdir (path, 0700);
      int e = errno;
      *s = '/';
      if (r < 0 && e != EEXIST)
        return sbx_fail_errno (err, e, "cannot create the directory %s", path);
    }
  if (mkdir (path, 0700) < 0 && errno != EEXIST)
    return sbx_fail_errno (err, errno, "cannot create the directory %s", path);
  return 0;
}

int
devenv_cache_dir (const char *sub, char **out, sbx_error **err)
{
  const char *env = getenv ("SBX_CACHE_DIR");
  const char *xdg = getenv ("XDG_CACHE_HOME");
  const char *home = getenv ("HOME");
  _cleanup_free_ char *base = NULL;
  if (env && env[0] == '/')
    base = xstrdup (env);
  else if (xdg && xdg[0] == '/')
    base = xasprintf ("%s/sbx", xdg);
  else if (home && home[0] == '/')
    base = xasprintf ("%s/.cache/sbx", home);
  else
    base = xasprintf ("/tmp/sbx-cache-%u", (unsigned) getuid ());
  _cleanup_free_ char *dir = sub ? xasprintf ("%s/%s", base, sub) : xstrdup (base);
  if (mkdir_p (dir, err) < 0)
    return sbx_error_prefix (err, "sbx's cache directory (set SBX_CACHE_DIR to move it)");
  *out = steal_pointer (&dir);
  return 0;
}

static bool
is_dir (const char *p)
{
  struct stat st;
  return stat (p, &st) == 0 && S_ISDIR (st.st_mode);
}

int
devenv_dockerfiles_dir (char **out, sbx_error **err)
{
  const char *env = getenv ("SBX_DOCKERFILES_DIR");
  if (env && *env)
    {
      if (!is_dir (env))
        return sbx_fail (err, SBX_ERR_INVALID, "SBX_DOCKERFILES_DIR=%s is not a directory", env);
      *out = xstrdup (env);
      return 0;
    }
  const char *source = SBX_SOURCE_DIR "/dockerfiles";
  const char *data = SBX_DATADIR "/dockerfiles";
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  bool in_tree = false;
  if (n > 0)
    {
      self[n] = '\0';
      size_t sl = strlen (SBX_SOURCE_DIR);
      in_tree = strncmp (self, SBX_SOURCE_DIR, sl) == 0 && self[sl] == '/';
    }
  const char *first = in_tree ? source : data, *second = in_tree ? data : source;
  if (is_dir (first))
    *out = xstrdup (first);
  else if (is_dir (second))
    *out = xstrdup (second);
  else
    return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                     "the project has no Dockerfile and sbx's default Dockerfiles are missing "
                     "(looked in %s and %s); add a Dockerfile or reinstall sbx",
                     data, source);
  return 0;
}
