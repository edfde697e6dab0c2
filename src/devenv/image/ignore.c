/* ignore.c: see ignore.h. */
#include "devenv/image/ignore.h"
#include "devenv/image/glob.h"
#include "devenv/image/readfile.h"
#include "util.h"

#include <string.h>
#include <sys/stat.h>

typedef struct pattern
{
  char *glob;
  bool exception;
} pattern;

struct devenv_ignore
{
  pattern *v;
  size_t n;
  bool has_exceptions;
};

void
devenv_ignore_free (devenv_ignore *ig)
{
  if (!ig)
    return;
  for (size_t i = 0; i < ig->n; i++)
    free (ig->v[i].glob);
  free (ig->v);
  free (ig);
}

void
devenv_ignore_freep (devenv_ignore **ig)
{
  devenv_ignore_free (*ig);
  *ig = NULL;
}

static char *
trim (const char *s, size_t n)
{
  while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f'))
    s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\v'
               || s[n - 1] == '\f'))
    n--;
  return xstrndup (s, n);
}

int
devenv_ignore_parse (const char *text, size_t len, const char *name, devenv_ignore **out,
                     sbx_error **err)
{
  devenv_ignore *ig = xcalloc (1, sizeof *ig);
  size_t cap = 0;
  int lineno = 0;
  const char *p = text, *end = text + len;
  if (len >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0)
    p += 3;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
      lineno++;
      _cleanup_free_ char *line = trim (p, n);
      p += n + (nl ? 1 : 0);
      if (line[0] == '\0' || line[0] == '#')
        continue;
      if (memchr (line, '\0', strlen (line) + 1) != line + strlen (line))
        continue;
      bool exception = line[0] == '!';
      _cleanup_free_ char *raw = exception ? trim (line + 1, strlen (line + 1)) : xstrdup (line);
      if (raw[0] == '\0')
        continue;
      char *clean = devenv_path_clean (raw, NULL);
      sbx_error *e = NULL;
      if (devenv_glob_check (clean, &e) < 0)
        {
          int r = sbx_fail (err, SBX_ERR_INVALID, "%s:%d: %s; fix or remove the pattern", name,
                            lineno, e->msg);
          sbx_error_free (e);
          free (clean);
          devenv_ignore_free (ig);
          return r;
        }
      if (ig->n == cap)
        {
          cap = cap ? cap * 2 : 16;
          ig->v = xrealloc (ig->v, cap * sizeof *ig->v);
        }
      ig->v[ig->n++] = (pattern) { .glob = clean, .exception = exception };
      ig->has_exceptions |= exception;
    }
  *out = ig;
  return 0;
}

int
devenv_ignore_load (const char *context_dir, devenv_ignore **out, sbx_error **err)
{
  _cleanup_free_ char *path = xasprintf ("%s/.dockerignore", context_dir);
  struct stat st;
  if (lstat (path, &st) < 0 && errno == ENOENT)
    return devenv_ignore_parse ("", 0, path, out, err);
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  if (devenv_read_file (path, "the ignore file", 16 * 1024 * 1024, &buf, &len, err) < 0)
    return -1;
  return devenv_ignore_parse (buf, len, path, out, err);
}

/* Does the pattern match path or one of its parent directories? */
static bool
matches_or_parent (const char *glob, const char *path)
{
  if (devenv_glob_match (glob, path, true))
    return true;
  size_t n = strlen (path);
  _cleanup_free_ char *buf = xstrndup (path, n);
  for (size_t i = n; i-- > 0;)
    if (buf[i] == '/')
      {
        buf[i] = '\0';
        if (devenv_glob_match (glob, buf, true))
          return true;
      }
  return false;
}

bool
devenv_ignore_excluded (const devenv_ignore *ig, const char *path)
{
  bool excluded = false;
  for (size_t i = 0; i < ig->n; i++)
    {
      /* Only a pattern that could change the verdict needs matching. */
      if (ig->v[i].exception != excluded)
        continue;
      if (matches_or_parent (ig->v[i].glob, path))
        excluded = !ig->v[i].exception;
    }
  return excluded;
}

bool
devenv_ignore_may_reinclude (const devenv_ignore *ig, const char *dir)
{
  if (!ig->has_exceptions)
    return false;
  for (size_t i = 0; i < ig->n; i++)
    if (ig->v[i].exception && devenv_glob_may_match_below (ig->v[i].glob, dir, true))
      return true;
  return false;
}

size_t
devenv_ignore_count (const devenv_ignore *ig)
{
  return ig->n;
}
