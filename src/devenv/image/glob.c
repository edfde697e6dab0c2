/* glob.c: see glob.h.  A backtracking matcher over bytes; '/' is the only
   separator. */
#include "devenv/image/glob.h"
#include "util.h"

#include <string.h>

/* Match a [...] class at p against c; *end gets the byte after ']'.
   Returns -1 when the class is malformed.  As in Go's filepath.Match, only
   '^' negates: "[!x]" is a class of '!' and 'x'. */
static int
match_class (const char *p, char c, const char **end)
{
  bool negate = false, found = false;
  p++; /* '[' */
  if (*p == '^')
    {
      negate = true;
      p++;
    }
  bool first = true;
  while (first || *p != ']')
    {
      first = false;
      if (*p == '\0')
        return -1;
      char lo = *p++;
      if (lo == '\\')
        {
          if (*p == '\0')
            return -1;
          lo = *p++;
        }
      char hi = lo;
      if (*p == '-' && p[1] != ']' && p[1] != '\0')
        {
          p++;
          hi = *p++;
          if (hi == '\\')
            {
              if (*p == '\0')
                return -1;
              hi = *p++;
            }
        }
      if ((unsigned char) c >= (unsigned char) lo && (unsigned char) c <= (unsigned char) hi)
        found = true;
    }
  *end = p + 1;
  return (found != negate) && c != '/';
}

static bool
match (const char *p, const char *s, bool dstar)
{
  while (*p)
    {
      switch (*p)
        {
        case '*':
          if (dstar && p[1] == '*')
            {
              /* "**", "**" "/" : any run of whole directories (even none);
                 "**" at the end: everything. */
              p += 2;
              if (*p == '/')
                p++;
              if (*p == '\0')
                return true;
              if (match (p, s, dstar))
                return true;
              for (const char *t = s; *t; t++)
                if (*t == '/' && match (p, t + 1, dstar))
                  return true;
              return false;
            }
          p++;
          for (const char *t = s;; t++)
            {
              if (match (p, t, dstar))
                return true;
              if (*t == '\0' || *t == '/')
                return false;
            }
        case '?':
          if (*s == '\0' || *s == '/')
            return false;
          p++, s++;
          break;
        case '[':
          {
            const char *end;
            if (*s == '\0' || match_class (p, *s, &end) != 1)
              return false;
            p = end;
            s++;
            break;
          }
        case '\\':
          if (p[1] == '\0' || p[1] != *s)
            return false;
          p += 2, s++;
          break;
        default:
          if (*p != *s)
            return false;
          p++, s++;
        }
    }
  return *s == '\0';
}

bool
devenv_glob_match (const char *pattern, const char *path, bool double_star)
{
  return match (pattern, path, double_star);
}

bool
devenv_glob_may_match_below (const char *glob, const char *dir, bool double_star)
{
  const char *g = glob, *d = dir;
  if (strcmp (glob, ".") == 0)
    return true;
  for (;;)
    {
      const char *gs = strchr (g, '/');
      size_t gl = gs ? (size_t) (gs - g) : strlen (g);
      if (double_star && gl >= 2 && strncmp (g, "**", 2) == 0)
        return true;
      if (*d == '\0')
        return true; /* dir used up: the rest of the pattern lies below it */
      if (!gs)
        return false; /* the pattern ends at dir's depth */
      const char *ds = strchr (d, '/');
      size_t dl = ds ? (size_t) (ds - d) : strlen (d);
      _cleanup_free_ char *gc = xstrndup (g, gl);
      _cleanup_free_ char *dc = xstrndup (d, dl);
      if (!match (gc, dc, double_star))
        return false;
      g = gs + 1;
      d = ds ? ds + 1 : d + dl;
    }
}

int
devenv_glob_check (const char *pattern, sbx_error **err)
{
  for (const char *p = pattern; *p; p++)
    {
      if (*p == '\\')
        {
          if (p[1] == '\0')
            return sbx_fail (err, SBX_ERR_INVALID, "pattern '%s' ends with a lone '\\'", pattern);
          p++;
        }
      else if (*p == '[')
        {
          const char *end;
          if (match_class (p, 'a', &end) < 0)
            return sbx_fail (err, SBX_ERR_INVALID, "pattern '%s' has an unclosed '['", pattern);
          p = end - 1;
        }
    }
  return 0;
}

bool
devenv_glob_has_magic (const char *pattern)
{
  return strpbrk (pattern, "*?[\\") != NULL;
}

char *
devenv_path_clean (const char *path, bool *escapes)
{
  if (escapes)
    *escapes = false;
  while (*path == '/')
    path++;
  size_t n = strlen (path);
  char *out = xmalloc (n + 2);
  size_t o = 0;
  const char *p = path;
  while (*p)
    {
      const char *slash = strchr (p, '/');
      size_t len = slash ? (size_t) (slash - p) : strlen (p);
      if (len == 0 || (len == 1 && p[0] == '.'))
        ; /* skip */
      else if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          if (o == 0)
            {
              if (escapes)
                *escapes = true;
            }
          else
            {
              while (o > 0 && out[o - 1] != '/')
                o--;
              if (o > 0)
                o--;
            }
        }
      else
        {
          if (o > 0)
            out[o++] = '/';
          memcpy (out + o, p, len);
          o += len;
        }
      p += len;
      if (*p == '/')
        p++;
    }
  if (o == 0)
    out[o++] = '.';
  out[o] = '\0';
  return out;
}
