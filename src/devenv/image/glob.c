/* glob.c: see glob.h.  A backtracking matcher over bytes; '/' is the only
   separator.  Each (pattern position, path position) that failed once is
   remembered, so that patterns like "*a*a*a*a*b" or "**********x" cost
   pattern length x path length steps, not an exponential number. */
#include "devenv/image/glob.h"
#include "util.h"

#include <stdint.h>
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

typedef struct matcher
{
  const char *p0, *s0;
  size_t cols;   /* path length + 1 */
  uint8_t *fail; /* a bit per (pattern, path) position known not to match; NULL: none */
  bool dstar;
} matcher;

static bool match_at (matcher *m, const char *p, const char *s);

/* match_at, remembering a failure. */
static bool
match (matcher *m, const char *p, const char *s)
{
  size_t bit = m->fail ? (size_t) (p - m->p0) * m->cols + (size_t) (s - m->s0) : 0;
  if (m->fail && (m->fail[bit / 8] & (1u << (bit % 8))))
    return false;
  bool r = match_at (m, p, s);
  if (!r && m->fail)
    m->fail[bit / 8] |= (uint8_t) (1u << (bit % 8));
  return r;
}

static bool
match_at (matcher *m, const char *p, const char *s)
{
  bool dstar = m->dstar;
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
              /* "**" "**" (or "**" "/" "**") is "**": one loop, not two. */
              while (p[0] == '*' && p[1] == '*')
                {
                  p += 2;
                  if (*p == '/')
                    p++;
                }
              if (*p == '\0')
                return true;
              if (match (m, p, s))
                return true;
              for (const char *t = s; *t; t++)
                if (*t == '/' && match (m, p, t + 1))
                  return true;
              return false;
            }
          p++;
          /* Without "**", stars in a row are one star. */
          while (!dstar && *p == '*')
            p++;
          for (const char *t = s;; t++)
            {
              if (match (m, p, t))
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

#define FAIL_BITS_MAX (64UL * 1024 * 1024) /* 8 MiB of memory at most */

static bool
glob_match (const char *pattern, const char *path, bool double_star)
{
  size_t pl = strlen (pattern), sl = strlen (path);
  matcher m = { .p0 = pattern, .s0 = path, .cols = sl + 1, .dstar = double_star };
  /* Without a star nothing backtracks. */
  size_t bits = (pl + 1) * (sl + 1);
  _cleanup_free_ uint8_t *fail = NULL;
  if (strchr (pattern, '*') && pl < FAIL_BITS_MAX && sl < FAIL_BITS_MAX && bits <= FAIL_BITS_MAX)
    fail = m.fail = xcalloc (bits / 8 + 1, 1);
  else if (strchr (pattern, '*'))
    return false; /* a pattern and a path this long match nothing sbx builds */
  return match (&m, pattern, path);
}

bool
devenv_glob_match (const char *pattern, const char *path, bool double_star)
{
  return glob_match (pattern, path, double_star);
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
      if (!glob_match (gc, dc, double_star))
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
