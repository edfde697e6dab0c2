/* dockerfile.c: a Dockerfile reader for the classic builder's syntax:
   parser directives (escape), comments, line continuations, instructions;
   COPY/ADD sources in shell and JSON form, --from excluded, stages. */
#include "devenv/image/dockerfile.h"
#include "devenv/image/glob.h"
#include "util.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const known[] = { "ADD",  "ARG",        "CMD",     "COPY",        "ENTRYPOINT",
                                     "ENV",  "EXPOSE",     "FROM",    "HEALTHCHECK", "LABEL",
                                     "MAINTAINER", "ONBUILD", "RUN",  "SHELL",       "STOPSIGNAL",
                                     "USER", "VOLUME",     "WORKDIR", NULL };

void
devenv_dockerfile_free (devenv_dockerfile *df)
{
  if (!df)
    return;
  for (size_t i = 0; i < df->n; i++)
    {
      free (df->ins[i].cmd);
      free (df->ins[i].text);
    }
  free (df->ins);
  for (size_t i = 0; i < df->n_sources; i++)
    free (df->sources[i]);
  free (df->sources);
  free (df->source_lines);
  free (df->whole_reason);
  free (df);
}

void
devenv_dockerfile_freep (devenv_dockerfile **df)
{
  devenv_dockerfile_free (*df);
  *df = NULL;
}

static bool
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* "# escape=`" style directive?  Sets *escape when it is the escape one. */
static bool
directive (const char *s, size_t n, char *escape)
{
  size_t i = 0;
  while (i < n && is_space (s[i]))
    i++;
  if (i >= n || s[i] != '#')
    return false;
  i++;
  while (i < n && is_space (s[i]))
    i++;
  size_t k = i;
  while (i < n && isalnum ((unsigned char) s[i]))
    i++;
  if (i == k)
    return false;
  size_t klen = i - k;
  while (i < n && is_space (s[i]))
    i++;
  if (i >= n || s[i] != '=')
    return false;
  i++;
  while (i < n && is_space (s[i]))
    i++;
  size_t vend = n;
  while (vend > i && is_space (s[vend - 1]))
    vend--;
  if (klen == 6 && strncasecmp (s + k, "escape", 6) == 0 && vend - i == 1
      && (s[i] == '\\' || s[i] == '`'))
    *escape = s[i];
  return true;
}

static void
add_instruction (devenv_dockerfile *df, size_t *cap, int line, const char *logical)
{
  const char *p = logical;
  while (is_space (*p))
    p++;
  size_t wl = 0;
  while (p[wl] && !is_space (p[wl]))
    wl++;
  if (df->n == *cap)
    {
      *cap = *cap ? *cap * 2 : 16;
      df->ins = xrealloc (df->ins, *cap * sizeof *df->ins);
    }
  char *cmd = xstrndup (p, wl);
  for (char *c = cmd; *c; c++)
    *c = (char) toupper ((unsigned char) *c);
  size_t tl = strlen (p);
  while (tl && is_space (p[tl - 1]))
    tl--;
  df->ins[df->n++] = (devenv_instruction) { .line = line, .cmd = cmd, .text = xstrndup (p, tl) };
}

/* Split the physical lines into instructions. */
static void
split_instructions (devenv_dockerfile *df, const char *text, size_t len)
{
  char escape = '\\';
  bool directives = true;
  size_t cap = 0, lcap = 256, llen = 0;
  _cleanup_free_ char *logical = xmalloc (lcap);
  int lineno = 0, start_line = 0;
  bool in_cont = false;
  const char *p = text, *end = text + len;
  if (len >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0)
    p += 3;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
      const char *s = p;
      p += n + (nl ? 1 : 0);
      lineno++;
      if (directives && directive (s, n, &escape))
        continue;
      directives = false;
      size_t i = 0;
      while (i < n && is_space (s[i]))
        i++;
      if (i < n && s[i] == '#')
        continue; /* a comment, even inside a continued instruction */
      size_t e = n;
      while (e > i && is_space (s[e - 1]))
        e--;
      if (e == i && !in_cont)
        continue;
      bool cont = e > i && s[e - 1] == escape;
      size_t take = cont ? e - 1 - i : e - i;
      if (!in_cont)
        {
          start_line = lineno;
          llen = 0;
        }
      while (llen + take + 2 > lcap)
        lcap *= 2;
      logical = xrealloc (logical, lcap);
      /* The builder joins continued lines without a separator. */
      memcpy (logical + llen, s + i, take);
      llen += take;
      logical[llen] = '\0';
      in_cont = cont;
      if (!cont && llen > 0)
        add_instruction (df, &cap, start_line, logical);
    }
  if (in_cont && llen > 0)
    add_instruction (df, &cap, start_line, logical);
}

/* The arguments after the instruction word, split on white space. */
static char **
split_words (const char *s)
{
  char **v = xcalloc (1, sizeof *v);
  while (*s)
    {
      while (is_space (*s) || *s == '\n')
        s++;
      if (!*s)
        break;
      const char *b = s;
      while (*s && !is_space (*s) && *s != '\n')
        s++;
      _cleanup_free_ char *w = xstrndup (b, (size_t) (s - b));
      strv_append (&v, w);
    }
  return v;
}

static const char *
args_of (const devenv_instruction *in)
{
  const char *a = in->text + strlen (in->cmd);
  while (is_space (*a))
    a++;
  return a;
}

static void
add_source (devenv_dockerfile *df, size_t *cap, const char *src, int line)
{
  if (df->n_sources == *cap)
    {
      *cap = *cap ? *cap * 2 : 8;
      df->sources = xrealloc (df->sources, *cap * sizeof *df->sources);
      df->source_lines = xrealloc (df->source_lines, *cap * sizeof *df->source_lines);
    }
  df->sources[df->n_sources] = xstrdup (src);
  df->source_lines[df->n_sources++] = line;
}

static void
set_whole (devenv_dockerfile *df, char *reason)
{
  df->whole_context = true;
  if (!df->whole_reason)
    df->whole_reason = reason;
  else
    free (reason);
}

static bool
is_remote (const char *s)
{
  return strstr (s, "://") != NULL || strncmp (s, "git@", 4) == 0;
}

/* The sources of one COPY/ADD; -1 when it lacks a destination. */
static int
copy_sources (devenv_dockerfile *df, size_t *cap, const devenv_instruction *in, const char *name,
              sbx_error **err)
{
  const char *a = args_of (in);
  bool from = false;
  /* Flags first: --from=, --chown=, --chmod=, --link... */
  while (a[0] == '-' && a[1] == '-')
    {
      const char *e = a;
      while (*e && !is_space (*e))
        e++;
      if (strncmp (a, "--from=", 7) == 0 || strncmp (a, "--from ", 7) == 0)
        from = true;
      a = e;
      while (is_space (*a))
        a++;
    }
  _cleanup_strv_ char **words = NULL;
  if (a[0] == '[')
    {
      _cleanup_json_ json_t *j = json_loads (a, JSON_DECODE_ANY, NULL);
      if (json_is_array (j))
        {
          words = xcalloc (1, sizeof *words);
          size_t i;
          json_t *v;
          json_array_foreach (j, i, v)
            {
              if (!json_is_string (v))
                {
                  strv_free (words);
                  words = NULL;
                  break;
                }
              strv_append (&words, json_string_value (v));
            }
        }
    }
  if (!words)
    words = split_words (a);
  size_t n = strv_len (words);
  if (n < 2)
    return sbx_fail (err, SBX_ERR_INVALID, "%s:%d: %s needs a source and a destination: '%s'",
                     name, in->line, in->cmd, in->text);
  if (from)
    return 0;
  for (size_t i = 0; i + 1 < n; i++)
    {
      const char *s = words[i];
      if (strcmp (in->cmd, "ADD") == 0 && is_remote (s))
        continue;
      if (strchr (s, '$'))
        {
          set_whole (df, xasprintf ("%s:%d: the %s source '%s' uses a variable", name, in->line,
                                    in->cmd, s));
          continue;
        }
      if (strncmp (s, "<<", 2) == 0)
        {
          set_whole (df, xasprintf ("%s:%d: %s uses a heredoc", name, in->line, in->cmd));
          continue;
        }
      bool escapes;
      _cleanup_free_ char *clean = devenv_path_clean (s, &escapes);
      if (escapes || devenv_glob_check (clean, NULL) < 0)
        {
          set_whole (df, xasprintf ("%s:%d: the %s source '%s' cannot be resolved", name,
                                    in->line, in->cmd, s));
          continue;
        }
      add_source (df, cap, clean, in->line);
    }
  return 0;
}

/* "FROM [--platform=P] image [AS name]": the stage name or NULL. */
static char *
stage_name (const devenv_instruction *in)
{
  _cleanup_strv_ char **w = split_words (args_of (in));
  size_t n = strv_len (w), i = 0;
  while (i < n && strncmp (w[i], "--", 2) == 0)
    i++;
  if (i + 2 < n && strcasecmp (w[i + 1], "as") == 0)
    {
      char *s = xstrdup (w[i + 2]);
      for (char *c = s; *c; c++)
        *c = (char) tolower ((unsigned char) *c);
      return s;
    }
  return NULL;
}

int
devenv_dockerfile_parse (const char *text, size_t len, const char *name, const char *target,
                         devenv_dockerfile **out, sbx_error **err)
{
  devenv_dockerfile *df = xcalloc (1, sizeof *df);
  _cleanup_dockerfile_ devenv_dockerfile *owned = df;
  if (memchr (text, '\0', len))
    return sbx_fail (err, SBX_ERR_INVALID, "%s is not a text file (it contains NUL bytes)", name);
  split_instructions (df, text, len);
  if (df->n == 0)
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s is empty (no instruction); it needs at least a FROM line", name);
  bool has_target = target && *target;
  bool seen_from = false, target_found = !has_target;
  bool stop = false;
  size_t cap = 0;
  for (size_t i = 0; i < df->n; i++)
    {
      const devenv_instruction *in = &df->ins[i];
      bool ok = false;
      for (const char *const *k = known; *k; k++)
        if (strcmp (in->cmd, *k) == 0)
          ok = true;
      if (!ok)
        return sbx_fail (err, SBX_ERR_INVALID, "%s:%d: unknown instruction '%s'", name, in->line,
                         in->cmd);
      if (strcmp (in->cmd, "FROM") == 0)
        {
          if (*args_of (in) == '\0')
            return sbx_fail (err, SBX_ERR_INVALID, "%s:%d: FROM needs an image", name, in->line);
          if (has_target && target_found && seen_from)
            stop = true; /* the stages after the target are not built */
          seen_from = true;
          _cleanup_free_ char *st = stage_name (in);
          if (!target_found && st && strcasecmp (st, target) == 0)
            target_found = true;
          continue;
        }
      if (!seen_from && strcmp (in->cmd, "ARG") != 0)
        return sbx_fail (err, SBX_ERR_INVALID,
                         "%s:%d: the first instruction must be FROM (or ARG before it), not %s",
                         name, in->line, in->cmd);
      if (stop)
        continue;
      if (strcmp (in->cmd, "COPY") == 0 || strcmp (in->cmd, "ADD") == 0)
        if (copy_sources (df, &cap, in, name, err) < 0)
          return -1;
    }
  if (!seen_from)
    return sbx_fail (err, SBX_ERR_INVALID, "%s has no FROM instruction", name);
  if (!target_found)
    return sbx_fail (err, SBX_ERR_INVALID, "%s has no stage named '%s' (FROM ... AS %s)", name,
                     target, target);
  *out = steal_pointer (&owned);
  return 0;
}
