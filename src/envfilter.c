/* envfilter.c: see envfilter.h. */
#include "envfilter.h"
#include "util.h"

#include <ctype.h>
#include <string.h>

static size_t
name_len (const char *name, size_t len)
{
  size_t n = 0;
  while (n < len && name[n] && name[n] != '=')
    n++;
  return n;
}

/* name[0..n) upper-cased into buf (NUL-terminated, cut at size - 1). */
static void
upper (const char *name, size_t n, char *buf, size_t size)
{
  if (n >= size)
    n = size - 1;
  for (size_t i = 0; i < n; i++)
    buf[i] = (char)toupper ((unsigned char)name[i]);
  buf[n] = '\0';
}

static bool
has_auth (const char *u)
{
  for (const char *p = u; (p = strstr (p, "AUTH")) != NULL; p++)
    if (strncmp (p, "AUTHOR", 6) != 0 || p[6] == 'I') /* AUTHORIZATION counts */
      return true;
  return false;
}

static bool
key_word (const char *u)
{
  for (const char *w = u; *w;)
    {
      size_t n = strcspn (w, "_");
      if ((n == 4 && strncmp (w, "KEYS", 4) == 0) || (n >= 3 && strncmp (w + n - 3, "KEY", 3) == 0))
        return true;
      w += n;
      if (*w == '_')
        w++;
    }
  return false;
}

bool
sbx_env_name_sensitive (const char *name, size_t len)
{
  static const char *const words[] = { "TOKEN",      "SECRET",  "PASSWORD", "PASSWD", "PASSPHRASE",
                                       "CREDENTIAL", "PRIVATE", "COOKIE",   NULL };
  static const char *const prefixes[]
      = { "AWS_",    "AZURE_", "GOOGLE_", "GCP_", "GCLOUD_", "CLOUDSDK_", "VAULT_",
          "DOCKER_", "SSH_",   "GPG_",    "KUBE", "OP_",     NULL };
  static const char *const exact[] = { "GNUPGHOME", "NETRC", "DATABASE_URL", NULL };
  char u[256];
  upper (name, name_len (name, len), u, sizeof u);
  for (const char *const *w = words; *w; w++)
    if (strstr (u, *w))
      return true;
  if (has_auth (u) || key_word (u))
    return true;
  for (const char *const *p = prefixes; *p; p++)
    if (strncmp (u, *p, strlen (*p)) == 0)
      return true;
  for (const char *const *e = exact; *e; e++)
    if (strcmp (u, *e) == 0)
      return true;
  return false;
}

bool
sbx_env_name_allowed (const char *name, size_t len, char *const *allow)
{
  size_t n = name_len (name, len);
  for (char *const *a = allow; a && *a; a++)
    {
      size_t al = strlen (*a);
      if (al > 0 && (*a)[al - 1] == '*')
        {
          if (n >= al - 1 && strncmp (name, *a, al - 1) == 0)
            return true;
        }
      else if (al == n && strncmp (name, *a, n) == 0)
        return true;
    }
  return false;
}

char **
sbx_env_filter (char *const *env, char *const *allow, char *const *extra, char ***dropped)
{
  char **out = xcalloc (1, sizeof *out);
  if (dropped)
    *dropped = xcalloc (1, sizeof **dropped);
  for (char *const *e = env; e && *e; e++)
    {
      size_t n = name_len (*e, strlen (*e));
      if (n == 0 || (*e)[n] != '=')
        continue;
      bool replaced = false;
      for (char *const *x = extra; x && *x && !replaced; x++)
        replaced = strncmp (*x, *e, n + 1) == 0;
      if (replaced)
        continue;
      if (sbx_env_name_sensitive (*e, n) && !sbx_env_name_allowed (*e, n, allow))
        {
          if (dropped)
            {
              _cleanup_free_ char *name = xstrndup (*e, n);
              strv_append (dropped, name);
            }
          continue;
        }
      strv_append (&out, *e);
    }
  for (char *const *x = extra; x && *x; x++)
    strv_append (&out, *x);
  return out;
}
