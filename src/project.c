/* project.c: project discovery and identity. */
#include "project.h"
#include "sha256.h"
#include "userdirs.h"
#include "util.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What makes a directory a project. */
static const char *const markers[]
    = { ".git", ".sbx", ".devcontainer", ".devcontainer.json", "Dockerfile", NULL };

/* The nearest ancestor of start (itself included) that holds a marker
   (*which: the marker), or NULL. */
static char *
find_project_root (const char *start, const char **which)
{
  _cleanup_free_ char *cur = xstrdup (start);
  for (;;)
    {
      for (const char *const *m = markers; *m; m++)
        {
          _cleanup_free_ char *path = xasprintf ("%s/%s", strcmp (cur, "/") ? cur : "", *m);
          struct stat st;
          if (lstat (path, &st) == 0)
            {
              *which = *m;
              return steal_pointer (&cur);
            }
        }
      char *slash = strrchr (cur, '/');
      if (slash == NULL || strcmp (cur, "/") == 0)
        return NULL;
      if (slash == cur)
        slash[1] = '\0';
      else
        *slash = '\0';
    }
}

/* Why dir may not be a project unless named, or NULL: the whole machine
   or the user's files would be mounted read-write into a sandbox. */
static const char *
refused_as_project (const char *dir)
{
  if (strcmp (dir, "/") == 0)
    return "the root directory";
  char tmp[PATH_MAX];
  if (realpath ("/tmp", tmp) && strcmp (dir, tmp) == 0)
    return "the machine's shared temporary directory";
  const char *h = getenv ("HOME");
  char home[PATH_MAX];
  if (!h || h[0] != '/' || !realpath (h, home) || strcmp (home, "/") == 0)
    return NULL;
  if (strcmp (dir, home) == 0)
    return "your home directory";
  size_t n = strlen (dir);
  if (strncmp (home, dir, n) == 0 && home[n] == '/')
    return "an ancestor of your home directory";
  return NULL;
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
  if (explicit_dir)
    {
      *root = xstrdup (real);
      return 0;
    }
  const char *which = NULL;
  _cleanup_free_ char *found = find_project_root (real, &which);
  const char *why = refused_as_project (found ? found : real);
  if (why && found)
    return sbx_fail (err, SBX_ERR_INVALID,
                     "the project found from %s is %s (it holds %s), which sbx never takes as a "
                     "project unless named: run sbx in a project directory, or pass --project %s "
                     "if you mean it",
                     real, found, which, found);
  if (why)
    return sbx_fail (
        err, SBX_ERR_INVALID,
        "%s is %s, and neither it nor a directory above it holds .git, .sbx, "
        ".devcontainer or a Dockerfile; sbx never takes it as a project unless named: run sbx in a "
        "project directory, or pass --project %s if you mean it",
        real, why, real);
  *root = found ? steal_pointer (&found) : xstrdup (real);
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

/* Relative to the project.  git runs code named by .git/config (core.
   fsmonitor, core.hooksPath, aliases, filters) and .git/hooks; config.
   worktree is read with extensions.worktreeConfig; commondir and worktrees/
   redirect git to another git dir (and so another config); modules/ holds
   the git dirs (configs and hooks) of submodules; info/ holds attributes and
   excludes.  .sbx and the devcontainer files configure sbx itself.
   .gitmodules is left writable: git no longer runs `update = !cmd` from it
   (only from .git/config), and a command editing submodule URLs changes
   nothing until the user runs git submodule update. */
const char *const sbx_protected_default[] = {
  ".git/config",   ".git/config.worktree", ".git/hooks", ".git/commondir",
  ".git/modules",  ".git/worktrees",       ".git/info",  ".sbx",
  ".devcontainer", ".devcontainer.json",   NULL,
};

/* What a command may create among them without running code outside the
   sandbox: sbx reads a new .sbx/config.json or devcontainer file only under
   its trust rules (narrowing, unless the user trusted that content). */
static const char *const protected_unwatched[]
    = { ".sbx", ".devcontainer", ".devcontainer.json", NULL };

bool
sbx_protected_watched (const char *project_dir, const char *path)
{
  size_t n = strlen (project_dir);
  if (strncmp (path, project_dir, n) != 0 || path[n] != '/')
    return true;
  for (const char *const *u = protected_unwatched; *u; u++)
    if (strcmp (path + n + 1, *u) == 0)
      return false;
  return true;
}

/* The directories of the list, made empty (0755) when the project's .git
   is a directory of the caller's that lacks them: a directory that exists
   is bound read-only like the others, one that does not could be made by
   the command.  git init makes hooks/ and info/ itself; an empty modules/
   or worktrees/ means nothing to git, and made here they are never taken
   for a command's doing when the user's own git fills them on the host
   while a sandbox runs (git worktree add, git submodule update). */
static void
make_git_dirs (const char *project_dir)
{
  static const char *const made[] = { "hooks", "info", "modules", "worktrees" };
  _cleanup_free_ char *git = xasprintf ("%s/.git", project_dir);
  _cleanup_close_ int fd = open (git, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || st.st_uid != geteuid ())
    return;
  for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
    {
      if (mkdirat (fd, made[i], 0755) < 0)
        continue;
      _cleanup_close_ int d = openat (fd, made[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (d >= 0)
        (void) fchmod (d, 0755); /* whatever the umask */
    }
}

/* path with its longest existing prefix resolved (realpath), the rest
   appended as it is (allocated). */
static char *
resolved_as_far_as_exists (const char *path)
{
  _cleanup_free_ char *head = xstrdup (path);
  for (char *cut = NULL;; *cut = '\0')
    {
      char real[PATH_MAX];
      if (realpath (head, real))
        return xasprintf ("%s%s", strcmp (real, "/") == 0 ? "" : real, path + strlen (head));
      cut = strrchr (head, '/');
      if (cut == NULL || cut == head)
        return xstrdup (path);
    }
}

/* sbx's own configuration and state (the trust store) when the project
   holds them (a project named at or above the home directory): a command
   must not trust a project file nor change what sbx allows.  Made when
   missing (0700), so that there is a directory to keep read-only. */
static void
own_dirs_protected (const char *project_dir, char ***v)
{
  _cleanup_free_ char *state = NULL, *config = sbx_user_config_dir ();
  sbx_error *ignored = NULL;
  if (sbx_state_dir (&state, &ignored) < 0)
    sbx_error_free (steal_pointer (&ignored));
  size_t n = strlen (project_dir);
  const char *own[] = { config, state };
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    {
      if (!own[i])
        continue;
      _cleanup_free_ char *real = resolved_as_far_as_exists (own[i]);
      if (n != 1 && (strncmp (real, project_dir, n) != 0 || real[n] != '/'))
        continue;
      if (sbx_private_dir (own[i], &ignored) < 0)
        sbx_error_free (steal_pointer (&ignored));
      strv_append (v, own[i]);
    }
}

/* Is the project, without a .git of its own, inside another repository's
   work tree (a directory above it holds a .git)?  git run in the project
   then uses that repository, and a .git made in the project (a directory,
   or a file naming a git dir elsewhere) would take its place with a config
   of the command's choosing: a missing name to watch.  A project in no
   repository keeps git init: nothing redirects the user's git there. */
static bool
git_dir_above (const char *project_dir)
{
  struct stat st;
  _cleanup_free_ char *own = xasprintf ("%s/.git", project_dir);
  if (lstat (own, &st) == 0 || errno != ENOENT)
    return false;
  _cleanup_free_ char *d = xstrdup (project_dir);
  for (char *slash; (slash = strrchr (d, '/')) != NULL;)
    {
      slash[slash == d ? 1 : 0] = '\0';
      _cleanup_free_ char *git = xasprintf ("%s/.git", strcmp (d, "/") == 0 ? "" : d);
      if (lstat (git, &st) == 0)
        return true;
      if (strcmp (d, "/") == 0)
        break;
    }
  return false;
}

int
sbx_protected_paths (const char *project_dir, char *const *extra, char ***out, sbx_error **err)
{
  *out = NULL;
  if (project_dir == NULL || project_dir[0] != '/')
    return sbx_fail (err, SBX_ERR_INVALID,
                     "protected paths need an absolute project directory, not '%s'",
                     project_dir ? project_dir : "(none)");
  _cleanup_strv_ char **v = NULL;
  make_git_dirs (project_dir);
  for (const char *const *p = sbx_protected_default; *p; p++)
    {
      _cleanup_free_ char *path = xasprintf ("%s/%s", project_dir, *p);
      strv_append (&v, path);
    }
  if (git_dir_above (project_dir))
    {
      _cleanup_free_ char *git = xasprintf ("%s/.git", project_dir);
      strv_append (&v, git);
    }
  own_dirs_protected (project_dir, &v);
  for (char *const *p = extra; p && *p; p++)
    {
      if ((*p)[0] == '/')
        strv_append (&v, *p);
      else
        {
          _cleanup_free_ char *path = xasprintf ("%s/%s", project_dir, *p);
          strv_append (&v, path);
        }
    }
  if (v == NULL)
    v = xcalloc (1, sizeof *v);
  *out = steal_pointer (&v);
  return 0;
}
