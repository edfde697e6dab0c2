/* deny.c: the read deny list (credentials) and where it matches.  The
   default list is host_default_deny_read; the user extends it with
   deny_read.  Landlock enforces it as an allow list (landlock.c walks the
   granted roots around the denied paths); the namespace backends mask the
   denied paths that exist (host_deny_existing). */
#include "host.h"
#include "util.h"

#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

const char *const host_default_deny_read[] = {
  /* System credentials. */
  "/etc/shadow",
  "/etc/gshadow",
  "/etc/shadow-",
  "/etc/gshadow-",
  "/etc/ssh/*_key",
  "/etc/sudoers",
  "/etc/sudoers.d",
  /* The user's, relative to the home directory. */
  "~/.ssh",
  "~/.aws",
  "~/.gnupg",
  "~/.docker/config.json",
  "~/.netrc",
  "~/.config/gh",
  "~/.kube",
  "~/.git-credentials",
  "~/.config/gcloud",
  "~/.azure",
  "~/.password-store",
  "~/.pgpass",
  "~/.npmrc",
  "~/.pypirc",
  "~/.cargo/credentials",
  "~/.cargo/credentials.toml",
  "~/.local/share/keyrings",
  NULL,
};

/* The next component of *p: its start in *start, its length returned (0 at
   the end). */
static size_t
next_component (const char **p, const char **start)
{
  const char *q = *p;
  while (*q == '/')
    q++;
  *start = q;
  while (*q && *q != '/')
    q++;
  *p = q;
  return (size_t) (q - *start);
}

/* How path relates to pattern, component by component; for DENY_BELOW,
 *rest is where the pattern's components below path start. */
static int
deny_relation (const char *path, const char *pattern, const char **rest)
{
  const char *pp = path, *qq = pattern;
  for (;;)
    {
      const char *a, *b;
      const char *here = qq;
      size_t na = next_component (&pp, &a);
      size_t nb = next_component (&qq, &b);
      if (nb == 0)
        return DENY_SELF;
      if (na == 0)
        {
          *rest = here;
          return DENY_BELOW;
        }
      char ca[NAME_MAX + 1], cb[NAME_MAX + 1];
      if (na > NAME_MAX || nb > NAME_MAX)
        return DENY_NONE;
      memcpy (ca, a, na);
      ca[na] = '\0';
      memcpy (cb, b, nb);
      cb[nb] = '\0';
      /* Most components are literal: no need for fnmatch. */
      if (strpbrk (cb, "*?[\\") ? fnmatch (cb, ca, 0) != 0 : strcmp (cb, ca) != 0)
        return DENY_NONE;
    }
}

int
host_deny_check (char *const *deny, const char *path)
{
  int rel = DENY_NONE;
  for (char *const *d = deny; d && *d; d++)
    {
      const char *rest;
      int r = deny_relation (path, *d, &rest);
      if (r == DENY_SELF)
        return DENY_SELF;
      if (r == DENY_BELOW)
        rel = DENY_BELOW;
    }
  return rel;
}

char **
host_deny_below (char *const *deny, const char *dir)
{
  size_t n = 0;
  for (char *const *d = deny; d && *d; d++)
    n++;
  char **v = xcalloc (n + 1, sizeof *v);
  size_t k = 0;
  for (char *const *d = deny; d && *d; d++)
    {
      const char *rest;
      if (deny_relation (dir, *d, &rest) == DENY_BELOW)
        v[k++] = (char *) rest;
    }
  return v;
}

static void
deny_add (char ***v, const char *pattern)
{
  strv_append (v, pattern);
  /* A literal path that is (or goes through) a symbolic link is denied
     where it really lives too, so that another root holding the target
     does not grant it. */
  if (strpbrk (pattern, "*?[") == NULL)
    {
      char real[PATH_MAX];
      if (realpath (pattern, real) && strcmp (real, pattern) != 0)
        strv_append (v, real);
    }
}

/* The deny patterns of pol: host_default_deny_read ("~/" entries under
   pol->home, skipped without one) and pol->deny_read. */
char **
host_deny_patterns (const host_policy *pol)
{
  char **v = NULL;
  for (const char *const *p = host_default_deny_read; *p; p++)
    {
      if (strncmp (*p, "~/", 2) == 0)
        {
          if (pol->home == NULL)
            continue;
          _cleanup_free_ char *abs = xasprintf ("%s/%s", pol->home, *p + 2);
          deny_add (&v, abs);
        }
      else
        deny_add (&v, *p);
    }
  for (char *const *p = pol->deny_read; p && *p; p++)
    deny_add (&v, *p);
  return v;
}

char **
host_deny_existing (const host_policy *pol)
{
  _cleanup_strv_ char **pat = host_deny_patterns (pol);
  char **v = NULL;
  for (char **p = pat; p && *p; p++)
    {
      glob_t g;
      if (glob (*p, GLOB_NOSORT | GLOB_NOESCAPE, NULL, &g) != 0)
        continue;
      for (size_t i = 0; i < g.gl_pathc; i++)
        {
          char real[PATH_MAX];
          if (realpath (g.gl_pathv[i], real) == NULL)
            continue;
          bool dup = false;
          for (char **q = v; q && *q && !dup; q++)
            dup = strcmp (*q, real) == 0;
          if (!dup)
            strv_append (&v, real);
        }
      globfree (&g);
    }
  return v;
}
