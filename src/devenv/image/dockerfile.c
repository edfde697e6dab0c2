/* dockerfile.c: a Dockerfile reader for the classic builder's syntax:
   parser directives (escape), comments, line continuations, instructions;
   COPY/ADD sources in shell and JSON form, --from excluded, stages. */
#include "devenv/image/dockerfile.h"
#include "devenv/image/glob.h"
#include "util.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const known[]
    = { "ADD",        "ARG",         "CMD",    "COPY",       "ENTRYPOINT", "ENV", "EXPOSE",
        "FROM",       "HEALTHCHECK", "LABEL",  "MAINTAINER", "ONBUILD",    "RUN", "SHELL",
        "STOPSIGNAL", "USER",        "VOLUME", "WORKDIR",    NULL };

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
  free (df->source_keyed);
  strv_free (df->args);
  free (df->key_text);
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
  df->ins[df->n++] = (devenv_instruction){ .line = line, .cmd = cmd, .text = xstrndup (p, tl) };
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
add_source (devenv_dockerfile *df, size_t *cap, const char *src, int line, bool keyed)
{
  if (df->n_sources == *cap)
    {
      *cap = *cap ? *cap * 2 : 8;
      df->sources = xrealloc (df->sources, *cap * sizeof *df->sources);
      df->source_lines = xrealloc (df->source_lines, *cap * sizeof *df->source_lines);
      df->source_keyed = xrealloc (df->source_keyed, *cap * sizeof *df->source_keyed);
    }
  df->sources[df->n_sources] = xstrdup (src);
  df->source_keyed[df->n_sources] = keyed;
  df->source_lines[df->n_sources++] = line;
}

static void
set_whole (devenv_dockerfile *df, char *reason, bool keyed)
{
  df->whole_context = true;
  df->whole_keyed |= keyed;
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
              bool keyed, sbx_error **err)
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
    return sbx_fail (err, SBX_ERR_INVALID, "%s:%d: %s needs a source and a destination: '%s'", name,
                     in->line, in->cmd, in->text);
  if (from)
    return 0;
  for (size_t i = 0; i + 1 < n; i++)
    {
      const char *s = words[i];
      if (strcmp (in->cmd, "ADD") == 0 && is_remote (s))
        continue;
      if (strchr (s, '$'))
        {
          set_whole (
              df,
              xasprintf ("%s:%d: the %s source '%s' uses a variable", name, in->line, in->cmd, s),
              keyed);
          continue;
        }
      if (strncmp (s, "<<", 2) == 0)
        {
          set_whole (df, xasprintf ("%s:%d: %s uses a heredoc", name, in->line, in->cmd), keyed);
          continue;
        }
      bool escapes;
      _cleanup_free_ char *clean = devenv_path_clean (s, &escapes);
      if (escapes || devenv_glob_check (clean, NULL) < 0)
        {
          set_whole (df,
                     xasprintf ("%s:%d: the %s source '%s' cannot be resolved", name, in->line,
                                in->cmd, s),
                     keyed);
          continue;
        }
      add_source (df, cap, clean, in->line, keyed);
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

/* The --from= value of a COPY/ADD (allocated), or NULL. */
static char *
copy_from (const devenv_instruction *in)
{
  const char *a = args_of (in);
  while (a[0] == '-' && a[1] == '-')
    {
      const char *e = a;
      while (*e && !is_space (*e))
        e++;
      if (strncmp (a, "--from=", 7) == 0)
        return xstrndup (a + 7, (size_t) (e - a - 7));
      a = e;
      while (is_space (*a))
        a++;
    }
  return NULL;
}

/* FROM's image word (allocated), or NULL. */
static char *
from_image (const devenv_instruction *in)
{
  _cleanup_strv_ char **w = split_words (args_of (in));
  size_t n = strv_len (w), i = 0;
  while (i < n && strncmp (w[i], "--", 2) == 0)
    i++;
  return i < n ? xstrdup (w[i]) : NULL;
}

typedef struct stages
{
  char **names; /* lower case, NULL for an unnamed stage */
  int *start;   /* the line of its FROM */
  bool *dep;    /* n * n: dep[s * n + t], stage s needs stage t */
  bool *reached;
  size_t n;
} stages;

static void
stages_clear (stages *st)
{
  for (size_t i = 0; i < st->n; i++)
    free (st->names[i]);
  free (st->names);
  free (st->start);
  free (st->dep);
  free (st->reached);
}

/* Stage s refers to ref (a FROM image or a --from value): mark the stage it
   names; a variable may name any earlier stage. */
static void
stage_ref (stages *st, size_t s, const char *ref)
{
  if (strchr (ref, '$'))
    {
      for (size_t t = 0; t < s; t++)
        st->dep[s * st->n + t] = true;
      return;
    }
  char *end;
  unsigned long k = strtoul (ref, &end, 10);
  if (*ref && *end == '\0' && k < s)
    st->dep[s * st->n + k] = true;
  for (size_t t = 0; t < s; t++)
    if (st->names[t] && strcasecmp (st->names[t], ref) == 0)
      st->dep[s * st->n + t] = true;
}

/* The stages, what each needs, and which the target (index target, or the
   last) reaches. */
static void
find_stages (const devenv_dockerfile *df, long target, stages *st)
{
  memset (st, 0, sizeof *st);
  for (size_t i = 0; i < df->n; i++)
    st->n += strcmp (df->ins[i].cmd, "FROM") == 0;
  st->names = xcalloc (st->n + 1, sizeof *st->names);
  st->start = xcalloc (st->n + 1, sizeof *st->start);
  st->dep = xcalloc (st->n * st->n + 1, sizeof *st->dep);
  st->reached = xcalloc (st->n + 1, sizeof *st->reached);
  long s = -1;
  for (size_t i = 0; i < df->n; i++)
    {
      const devenv_instruction *in = &df->ins[i];
      if (strcmp (in->cmd, "FROM") == 0)
        {
          s++;
          st->names[s] = stage_name (in);
          st->start[s] = in->line;
          _cleanup_free_ char *img = from_image (in);
          if (img)
            stage_ref (st, (size_t) s, img);
        }
      else if (s >= 0 && (strcmp (in->cmd, "COPY") == 0 || strcmp (in->cmd, "ADD") == 0))
        {
          _cleanup_free_ char *from = copy_from (in);
          if (from)
            stage_ref (st, (size_t) s, from);
        }
    }
  if (st->n == 0)
    return;
  size_t t = target >= 0 ? (size_t) target : st->n - 1;
  st->reached[t] = true;
  for (size_t k = t + 1; k-- > 0;)
    if (st->reached[k])
      for (size_t j = 0; j < k; j++)
        if (st->dep[k * st->n + j])
          st->reached[j] = true;
}

/* The stage of a line: -1 before the first FROM. */
static long
stage_of_line (const stages *st, int line)
{
  long s = -1;
  for (size_t i = 0; i < st->n; i++)
    if (st->start[i] <= line)
      s = (long) i;
  return s;
}

static void
make_key_text (devenv_dockerfile *df, const stages *st, const char *text, size_t len)
{
  size_t cap = len + 64 * (st->n + 1) + 1, o = 0;
  df->key_text = xmalloc (cap);
  int lineno = 0;
  long cur = -2;
  const char *p = text, *end = text + len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
      const char *s = p;
      p += n + (nl ? 1 : 0);
      long stg = stage_of_line (st, ++lineno);
      if (stg >= 0 && !st->reached[stg])
        continue;
      if (stg != cur)
        {
          /* A NUL never occurs in the text: no two selections encode alike. */
          int k = snprintf (df->key_text + o, cap - o, "%c[stage %ld]%c", 0, stg, 0);
          o += (size_t) k;
          cur = stg;
        }
      memcpy (df->key_text + o, s, n);
      o += n;
      df->key_text[o++] = '\n';
    }
  df->key_len = o;
}

static bool
has_name (char *const *v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

static void
add_arg_names (devenv_dockerfile *df, const devenv_instruction *in)
{
  _cleanup_strv_ char **w = split_words (args_of (in));
  for (char **a = w; *a; a++)
    {
      _cleanup_free_ char *n = xstrndup (*a, strcspn (*a, "="));
      if (*n && !has_name (df->args, n))
        strv_append (&df->args, n);
    }
}

int
devenv_dockerfile_parse (const char *text, size_t len, const char *name, const char *target,
                         devenv_dockerfile **out, sbx_error **err)
{
  devenv_dockerfile *df = xcalloc (1, sizeof *df);
  _cleanup_dockerfile_ devenv_dockerfile *owned = df;
  df->args = xcalloc (1, sizeof *df->args);
  if (memchr (text, '\0', len))
    return sbx_fail (err, SBX_ERR_INVALID, "%s is not a text file (it contains NUL bytes)", name);
  split_instructions (df, text, len);
  if (df->n == 0)
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s is empty (no instruction); it needs at least a FROM line", name);
  bool has_target = target && *target;
  bool seen_from = false, target_found = !has_target;
  long target_ix = -1, stage = -1;
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
          seen_from = true;
          stage++;
          _cleanup_free_ char *st = stage_name (in);
          if (!target_found && st && strcasecmp (st, target) == 0)
            {
              target_found = true;
              target_ix = stage;
            }
          continue;
        }
      if (!seen_from && strcmp (in->cmd, "ARG") != 0)
        return sbx_fail (err, SBX_ERR_INVALID,
                         "%s:%d: the first instruction must be FROM (or ARG before it), not %s",
                         name, in->line, in->cmd);
    }
  if (!seen_from)
    return sbx_fail (err, SBX_ERR_INVALID, "%s has no FROM instruction", name);
  if (!target_found)
    return sbx_fail (err, SBX_ERR_INVALID, "%s has no stage named '%s' (FROM ... AS %s)", name,
                     target, target);
  stages st;
  find_stages (df, target_ix, &st);
  size_t last = target_ix >= 0 ? (size_t) target_ix : st.n - 1;
  size_t cap = 0;
  stage = -1;
  int r = 0;
  df->n_built = df->n;
  for (size_t i = 0; i < df->n && r == 0; i++)
    {
      const devenv_instruction *in = &df->ins[i];
      if (strcmp (in->cmd, "FROM") == 0 && stage + 1 > (long) last)
        {
          /* The stages after the target are not built. */
          df->n_built = i;
          break;
        }
      if (strcmp (in->cmd, "FROM") == 0)
        {
          stage++;
          continue;
        }
      bool keyed = stage < 0 || st.reached[stage];
      if (strcmp (in->cmd, "ARG") == 0 && keyed)
        add_arg_names (df, in);
      if (stage >= 0 && (strcmp (in->cmd, "COPY") == 0 || strcmp (in->cmd, "ADD") == 0))
        r = copy_sources (df, &cap, in, name, keyed, err);
    }
  if (r == 0)
    make_key_text (df, &st, text, len);
  stages_clear (&st);
  if (r < 0)
    return -1;
  *out = steal_pointer (&owned);
  return 0;
}
