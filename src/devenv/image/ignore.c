/* ignore.c: see ignore.h.  Each pattern goes through two steps: Docker's
   own translation into a Go (RE2) regular expression, then a rewriting of
   that expression into an equivalent POSIX extended one for regcomp, which
   refuses the RE2 features whose POSIX meaning differs.  Matching runs in
   the C.UTF-8 locale, so that '?' and a negated class match one character,
   as RE2 does, not one byte. */
#include "devenv/image/ignore.h"
#include "devenv/image/readfile.h"
#include "util.h"

#include <ctype.h>
#include <locale.h>
#include <regex.h>
#include <string.h>
#include <sys/stat.h>

typedef struct pattern
{
  char *text; /* cleaned, without the '!' */
  bool exception;
  regex_t re;
} pattern;

struct devenv_ignore
{
  pattern *v;
  size_t n;
  bool has_exceptions;
  locale_t loc;
};

void
devenv_ignore_free (devenv_ignore *ig)
{
  if (!ig)
    return;
  for (size_t i = 0; i < ig->n; i++)
    {
      free (ig->v[i].text);
      regfree (&ig->v[i].re);
    }
  free (ig->v);
  if (ig->loc)
    freelocale (ig->loc);
  free (ig);
}

void
devenv_ignore_freep (devenv_ignore **ig)
{
  devenv_ignore_free (*ig);
  *ig = NULL;
}

/* ---- growable string ---- */

typedef struct buf
{
  char *s;
  size_t n, cap;
} buf;

static void
put (buf *b, const char *s, size_t n)
{
  if (b->n + n + 1 > b->cap)
    {
      b->cap = (b->n + n + 1) * 2;
      b->s = xrealloc (b->s, b->cap);
    }
  memcpy (b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

static void
puts_ (buf *b, const char *s)
{
  put (b, s, strlen (s));
}

static void
putc_ (buf *b, char c)
{
  put (b, &c, 1);
}

/* ---- Go's strings.TrimSpace and filepath.Clean ---- */

static bool
space_at (const char *s, size_t n, size_t *w)
{
  if (n >= 1 && strchr (" \t\n\v\f\r", s[0]) && s[0])
    return *w = 1, true;
  /* U+0085 and U+00A0, which Go's unicode.IsSpace counts too */
  if (n >= 2 && (unsigned char) s[0] == 0xc2
      && ((unsigned char) s[1] == 0x85 || (unsigned char) s[1] == 0xa0))
    return *w = 2, true;
  return false;
}

static char *
trim_space (const char *s, size_t n)
{
  size_t w;
  while (n && space_at (s, n, &w))
    s += w, n -= w;
  for (;;)
    {
      if (n >= 1 && space_at (s + n - 1, 1, &w))
        n--;
      else if (n >= 2 && space_at (s + n - 2, 2, &w) && w == 2)
        n -= 2;
      else
        break;
    }
  return xstrndup (s, n);
}

/* Go's path.Clean (what filepath.Clean does on Unix). */
static char *
go_clean (const char *p)
{
  size_t n = strlen (p);
  if (n == 0)
    return xstrdup (".");
  bool rooted = p[0] == '/';
  char *out = xmalloc (n + 2);
  size_t w = 0, r = 0, dotdot = 0;
  if (rooted)
    out[w++] = '/', r = 1, dotdot = 1;
  while (r < n)
    {
      if (p[r] == '/')
        r++;
      else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/'))
        r++;
      else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/'))
        {
          r += 2;
          if (w > dotdot)
            {
              w--;
              while (w > dotdot && out[w] != '/')
                w--;
            }
          else if (!rooted)
            {
              if (w > 0)
                out[w++] = '/';
              out[w++] = '.';
              out[w++] = '.';
              dotdot = w;
            }
        }
      else
        {
          if ((rooted && w != 1) || (!rooted && w != 0))
            out[w++] = '/';
          for (; r < n && p[r] != '/'; r++)
            out[w++] = p[r];
        }
    }
  if (w == 0)
    out[w++] = '.';
  out[w] = '\0';
  return out;
}

/* ---- step 1: Docker's translation of a pattern into an RE2 expression ---- */

static size_t
utf8_len (unsigned char c)
{
  return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

static char *
docker_regexp (const char *p)
{
  buf b = { 0 };
  putc_ (&b, '^');
  while (*p)
    {
      char c = *p;
      if (c == '*')
        {
          p++;
          if (*p == '*')
            {
              p++;
              if (*p == '/')
                p++;
              puts_ (&b, *p ? "(.*/)?" : ".*");
            }
          else
            puts_ (&b, "[^/]*");
          continue;
        }
      if (c == '?')
        puts_ (&b, "[^/]");
      else if (c == '.' || c == '$')
        {
          putc_ (&b, '\\');
          putc_ (&b, c);
        }
      else if (c == '\\')
        {
          putc_ (&b, '\\');
          if (p[1])
            {
              p++;
              size_t l = utf8_len ((unsigned char) *p);
              size_t k = strnlen (p, l);
              put (&b, p, k);
              p += k;
              continue;
            }
        }
      else
        put (&b, p, 1);
      p++;
    }
  putc_ (&b, '$');
  return b.s;
}

/* ---- step 2: that RE2 expression as a POSIX extended one ---- */

static const char *
ere_special (char c)
{
  return strchr (".[]()*+?{}|^$\\", c) && c ? "\\" : "";
}

static void
literal (buf *b, char c)
{
  puts_ (b, ere_special (c));
  putc_ (b, c);
}

/* RE2's {n}, {n,}, {n,m} (n, m <= 1000, n <= m); its length, or 0 when the
   brace is a literal one. */
static size_t
repeat_len (const char *s)
{
  const char *p = s + 1;
  long lo = 0, hi = -1;
  if (!isdigit ((unsigned char) *p))
    return 0;
  while (isdigit ((unsigned char) *p))
    lo = lo * 10 + (*p++ - '0'), lo = lo > 100000 ? 100000 : lo;
  if (*p == ',')
    {
      p++;
      if (isdigit ((unsigned char) *p))
        {
          hi = 0;
          while (isdigit ((unsigned char) *p))
            hi = hi * 10 + (*p++ - '0'), hi = hi > 100000 ? 100000 : hi;
        }
      else
        hi = -2; /* no upper bound */
    }
  else
    hi = lo;
  if (*p != '}')
    return 0;
  return (size_t) (p + 1 - s)
         | (lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo) ? (size_t) 1 << 30 : 0);
}

static const char *const named[]
    = { "alnum", "alpha", "ascii", "blank", "cntrl", "digit",  "graph", "lower",
        "print", "punct", "space", "upper", "word",  "xdigit", NULL };

static bool
in_named (int k, int c)
{
  switch (k)
    {
    case 0:
      return isalnum (c);
    case 1:
      return isalpha (c);
    case 2:
      return c < 128;
    case 3:
      return c == ' ' || c == '\t';
    case 4:
      return iscntrl (c);
    case 5:
      return isdigit (c);
    case 6:
      return isgraph (c);
    case 7:
      return islower (c);
    case 8:
      return isprint (c);
    case 9:
      return ispunct (c);
    case 10:
      return isspace (c);
    case 11:
      return isupper (c);
    case 12:
      return isalnum (c) || c == '_';
    default:
      return isxdigit (c);
    }
}

/* One character of a class at *s (advanced); -1 when unsupported. */
static int
class_char (const char **s, const char **why)
{
  unsigned char c = (unsigned char) **s;
  if (c == '\\')
    {
      unsigned char d = (unsigned char) (*s)[1];
      if (d == 0 || d >= 0x80 || isalnum (d))
        return *why = "an escape inside a class", -1;
      *s += 2;
      return d;
    }
  if (c >= 0x80)
    return *why = "a non-ASCII character inside a class", -1;
  (*s)++;
  return c;
}

/* The class at *s ('['), as a POSIX bracket expression. */
static int
convert_class (const char **s, buf *b, const char **why)
{
  const char *p = *s + 1;
  bool neg = *p == '^', set[128] = { 0 };
  if (neg)
    p++;
  bool first = true;
  while (first || *p != ']')
    {
      first = false;
      if (*p == '\0')
        return *why = "an unclosed '['", -1;
      if (p[0] == '[' && p[1] == ':')
        {
          const char *e = strstr (p + 2, ":]");
          if (e)
            {
              if (p[2] == '^')
                return *why = "a negated named class", -1;
              int k = -1;
              for (int i = 0; named[i]; i++)
                if ((size_t) (e - p - 2) == strlen (named[i])
                    && strncmp (p + 2, named[i], strlen (named[i])) == 0)
                  k = i;
              if (k < 0)
                return *why = "an unknown named class", -1;
              for (int c = 1; c < 128; c++)
                set[c] |= in_named (k, c);
              p = e + 2;
              continue;
            }
        }
      int lo = class_char (&p, why), hi;
      if (lo < 0)
        return -1;
      hi = lo;
      if (p[0] == '-' && p[1] != ']' && p[1])
        {
          p++;
          if ((hi = class_char (&p, why)) < 0)
            return -1;
          if (hi < lo)
            return *why = "a reversed range", -1;
        }
      for (int c = lo; c <= hi; c++)
        set[c] = true;
    }
  *s = p + 1;
  int count = 0;
  for (int c = 1; c < 128; c++)
    count += set[c];
  if (!neg && count == 1 && set['^'])
    {
      puts_ (b, "\\^");
      return 0;
    }
  putc_ (b, '[');
  if (neg)
    putc_ (b, '^');
  if (set[']'])
    putc_ (b, ']');
  for (int c = 1; c < 128; c++)
    if (set[c] && c != ']' && c != '[' && c != '^' && c != '-')
      putc_ (b, (char) c);
  if (set['['])
    putc_ (b, '[');
  if (set['^'])
    putc_ (b, '^');
  if (set['-'])
    putc_ (b, '-');
  putc_ (b, ']');
  return 0;
}

static int
re2_to_ere (const char *re, char **out, const char **why)
{
  buf b = { 0 };
  enum
  {
    NONE,
    ATOM,
    REPEAT,
    ANCHOR
  } last
      = NONE;
  int depth = 0;
  const char *p = re;
  while (*p)
    {
      unsigned char c = (unsigned char) *p;
      switch (c)
        {
        case '\\':
          {
            unsigned char d = (unsigned char) p[1];
            if (d == 0)
              goto bad_trailing;
            if (d >= 0x80 || isalnum (d))
              {
                *why = "a '\\' before a letter, digit or non-ASCII character";
                goto fail;
              }
            literal (&b, (char) d);
            p += 2;
            last = ATOM;
            continue;
          }
        case '[':
          if (convert_class (&p, &b, why) < 0)
            goto fail;
          last = ATOM;
          continue;
        case '(':
          if (p[1] == '?')
            {
              *why = "a '(?' group";
              goto fail;
            }
          depth++;
          putc_ (&b, '(');
          last = NONE;
          break;
        case ')':
          if (depth-- == 0)
            {
              *why = "an unopened ')'";
              goto fail;
            }
          putc_ (&b, ')');
          last = ATOM;
          break;
        case '|':
          putc_ (&b, '|');
          last = NONE;
          break;
        case '^':
        case '$':
          putc_ (&b, (char) c);
          last = ANCHOR;
          break;
        case '*':
        case '+':
        case '?':
          if (last != ATOM)
            {
              *why = "a repetition of nothing or of a repetition";
              goto fail;
            }
          putc_ (&b, (char) c);
          last = REPEAT;
          break;
        case '{':
          {
            size_t n = repeat_len (p);
            if (n & ((size_t) 1 << 30))
              {
                *why = "a bad repetition count";
                goto fail;
              }
            if (n)
              {
                if (last != ATOM)
                  {
                    *why = "a repetition of nothing or of a repetition";
                    goto fail;
                  }
                put (&b, p, n);
                p += n;
                last = REPEAT;
                continue;
              }
            puts_ (&b, "\\{");
            last = ATOM;
            break;
          }
        case '.':
          puts_ (&b, "[^\n]"); /* RE2's '.' stops at a newline */
          last = ATOM;
          break;
        default:
          literal (&b, (char) c);
          last = ATOM;
        }
      p++;
    }
  if (depth)
    {
      *why = "an unclosed '('";
      goto fail;
    }
  *out = b.s ? b.s : xstrdup ("");
  return 0;
bad_trailing:
  *why = "a lone '\\' at its end";
fail:
  free (b.s);
  return -1;
}

/* ---- parsing ---- */

static int
add_pattern (devenv_ignore *ig, size_t *cap, const char *line, const char *name, int lineno,
             sbx_error **err)
{
  /* As Docker's pattern matcher takes what the ignore file reader gives. */
  _cleanup_free_ char *t = trim_space (line, strlen (line));
  if (*t == '\0')
    return 0;
  _cleanup_free_ char *p = go_clean (t);
  bool exception = p[0] == '!';
  if (exception && p[1] == '\0')
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s:%d: illegal exclusion pattern '!' (a '!' needs a pattern after it); fix "
                     "or remove the line",
                     name, lineno);
  const char *text = exception ? p + 1 : p;
  _cleanup_free_ char *re2 = docker_regexp (text);
  _cleanup_free_ char *ere = NULL;
  const char *why = NULL;
  if (re2_to_ere (re2, &ere, &why) < 0)
    return sbx_fail (err, SBX_ERR_INVALID, "%s:%d: the pattern '%s' has %s; fix or remove it", name,
                     lineno, text, why);
  if (*cap == ig->n)
    {
      *cap = *cap ? *cap * 2 : 16;
      ig->v = xrealloc (ig->v, *cap * sizeof *ig->v);
    }
  pattern *pt = &ig->v[ig->n];
  locale_t old = uselocale (ig->loc);
  int r = regcomp (&pt->re, ere, REG_EXTENDED | REG_NOSUB);
  uselocale (old);
  if (r != 0)
    {
      char msg[128];
      regerror (r, &pt->re, msg, sizeof msg);
      return sbx_fail (err, SBX_ERR_INVALID,
                       "%s:%d: the pattern '%s' is not a valid expression (%s); fix or remove it",
                       name, lineno, text, msg);
    }
  pt->text = xstrdup (text);
  pt->exception = exception;
  ig->n++;
  ig->has_exceptions |= exception;
  return 0;
}

int
devenv_ignore_parse (const char *text, size_t len, const char *name, devenv_ignore **out,
                     sbx_error **err)
{
  devenv_ignore *ig = xcalloc (1, sizeof *ig);
  ig->loc = newlocale (LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  if (!ig->loc)
    ig->loc = newlocale (LC_CTYPE_MASK, "C", (locale_t) 0);
  if (!ig->loc)
    abort ();
  size_t cap = 0;
  int lineno = 0;
  const char *p = text, *end = text + len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
      const char *s = p;
      p += n + (nl ? 1 : 0);
      if (n && s[n - 1] == '\r')
        n--; /* Go's bufio.ScanLines drops a CR before the LF */
      if (lineno == 0 && n >= 3 && memcmp (s, "\xef\xbb\xbf", 3) == 0)
        s += 3, n -= 3;
      lineno++;
      if (n && s[0] == '#')
        continue; /* a comment only when '#' is the line's first byte */
      if (memchr (s, '\0', n))
        continue;
      _cleanup_free_ char *line = trim_space (s, n);
      if (*line == '\0')
        continue;
      /* The ignore file reader: "!" then the pattern, cleaned, without a
         leading '/'. */
      bool invert = line[0] == '!';
      _cleanup_free_ char *pat = invert ? trim_space (line + 1, strlen (line + 1)) : xstrdup (line);
      if (*pat)
        {
          char *c = go_clean (pat);
          free (pat);
          pat = c;
          if (strlen (pat) > 1 && pat[0] == '/')
            memmove (pat, pat + 1, strlen (pat));
        }
      _cleanup_free_ char *full = xasprintf ("%s%s", invert ? "!" : "", pat);
      if (add_pattern (ig, &cap, full, name, lineno, err) < 0)
        {
          devenv_ignore_free (ig);
          return -1;
        }
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

/* ---- matching ---- */

static bool
pattern_match (const devenv_ignore *ig, const pattern *pt, const char *s)
{
  locale_t old = uselocale (ig->loc);
  bool m = regexec (&pt->re, s, 0, NULL, 0) == 0;
  uselocale (old);
  return m;
}

bool
devenv_ignore_match (const devenv_ignore *ig, const char *path, int parent)
{
  if (parent >= 0)
    {
      /* The walk below the top: the directory's verdict, then the patterns
         against the path itself only. */
      bool matched = parent;
      for (size_t i = 0; i < ig->n; i++)
        {
          if (matched == !ig->v[i].exception)
            continue;
          if (pattern_match (ig, &ig->v[i], path))
            matched = !ig->v[i].exception;
        }
      return matched;
    }
  /* The top of the context: the path, else any of its parent directories. */
  bool matched = false;
  _cleanup_free_ char *prefix = xstrdup (path);
  const char *slash = strrchr (path, '/');
  for (size_t i = 0; i < ig->n; i++)
    {
      if (ig->v[i].exception != matched)
        continue;
      bool m = pattern_match (ig, &ig->v[i], path);
      for (const char *s = path; !m && slash && (s = strchr (s, '/')) && s <= slash; s++)
        {
          prefix[s - path] = '\0';
          m = pattern_match (ig, &ig->v[i], prefix);
          prefix[s - path] = '/';
        }
      if (m)
        matched = !ig->v[i].exception;
    }
  return matched;
}

bool
devenv_ignore_descend (const devenv_ignore *ig, const char *dir)
{
  if (!ig->has_exceptions)
    return false;
  size_t dl = strlen (dir);
  for (size_t i = 0; i < ig->n; i++)
    {
      if (!ig->v[i].exception)
        continue;
      const char *t = ig->v[i].text;
      size_t tl = strlen (t);
      /* strings.HasPrefix(pattern + "/", dir + "/") */
      if (tl + 1 >= dl + 1 && strncmp (t, dir, dl) == 0 && (tl == dl || t[dl] == '/'))
        return true;
    }
  return false;
}

bool
devenv_ignore_excluded (const devenv_ignore *ig, const char *path)
{
  _cleanup_free_ char *p = xstrdup (path);
  int verdict = -1;
  for (char *s = p;;)
    {
      char *slash = strchr (s, '/');
      if (slash)
        *slash = '\0';
      verdict = devenv_ignore_match (ig, p, verdict);
      if (!slash)
        return verdict;
      if (verdict && !devenv_ignore_descend (ig, p))
        return true;
      *slash = '/';
      s = slash + 1;
    }
}

size_t
devenv_ignore_count (const devenv_ignore *ig)
{
  return ig->n;
}
