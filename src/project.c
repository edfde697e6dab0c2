/* project.c: project discovery and identity. */
#include "project.h"
#include "sha256.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

static char *
find_git_root (const char *start)
{
  _cleanup_free_ char *cur = xstrdup (start);
  for (;;)
    {
      _cleanup_free_ char *git = xasprintf ("%s/.git", cur);
      struct stat st;
      if (lstat (git, &st) == 0)
        return steal_pointer (&cur);
      char *slash = strrchr (cur, '/');
      if (slash == NULL || slash == cur)
        return NULL;
      *slash = '\0';
    }
}

static char *
sanitize_basename (const char *dir)
{
  const char *base = strrchr (dir, '/');
  base = base ? base + 1 : dir;
  size_t n = strlen (base);
  if (n > 40)
    n = 40;
  char *out = xmalloc (n + 1);
  size_t j = 0;
  for (size_t i = 0; i < n; i++)
    {
      unsigned char ch = (unsigned char) base[i];
      if (isalnum (ch))
        out[j++] = (char) tolower (ch);
      else if (j > 0 && (ch == '_' || ch == '.' || ch == '-') && out[j - 1] != '-')
        out[j++] = (char) (ch == '.' ? '-' : ch);
      else if (j > 0 && out[j - 1] != '-')
        out[j++] = '-';
    }
  while (j > 0 && (out[j - 1] == '-' || out[j - 1] == '_'))
    j--;
  out[j] = '\0';
  if (j == 0)
    {
      free (out);
      out = xstrdup ("root");
    }
  return out;
}

int
sbx_project_locate (const char *dir, int explicit_dir, char **root, sbx_error **err)
{
  char real[PATH_MAX];
  const char *given = dir ? dir : ".";
  if (realpath (given, real) == NULL)
    return sbx_fail_errno (err, errno, "cannot open project directory %s", given);
  struct stat st;
  if (stat (real, &st) < 0 || !S_ISDIR (st.st_mode))
    return sbx_fail (err, SBX_ERR_INVALID, "project %s is not a directory; pass --project DIR",
                     real);
  char *git = explicit_dir ? NULL : find_git_root (real);
  *root = git ? git : xstrdup (real);
  return 0;
}

int
sbx_project_open (const char *dir, int explicit_dir, sbx_project **out, sbx_error **err)
{
  _cleanup_free_ char *root = NULL;
  if (sbx_project_locate (dir, explicit_dir, &root, err) < 0)
    return -1;
  sbx_project *p = xcalloc (1, sizeof *p);
  p->dir = steal_pointer (&root);
  char hex[SBX_SHA256_HEX_LEN + 1];
  sbx_sha256_hex (p->dir, strlen (p->dir), hex);
  p->id = xstrndup (hex, 12);
  p->basename = sanitize_basename (p->dir);
  p->container_name = xasprintf (SBX_CONTAINER_NAME_FMT, p->basename, p->id);
  p->image_repo = xasprintf (SBX_IMAGE_REPO_FMT, p->basename, p->id);
  *out = p;
  return 0;
}

void
sbx_project_freep (sbx_project **p)
{
  sbx_project_free (*p);
  *p = NULL;
}

void
sbx_project_free (sbx_project *p)
{
  if (!p)
    return;
  free (p->dir);
  free (p->id);
  free (p->basename);
  free (p->container_name);
  free (p->image_repo);
  free (p);
}
