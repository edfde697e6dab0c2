/* test_protect.c: protected paths inside the writable project, at the
   default level (mount namespace) as root and as uid 65534, and under bwrap:
   .git/config, .git/hooks and .sbx cannot be written, created in, removed,
   renamed or replaced; the rest of the project and .git/objects stay
   writable; no mount leaks into the host's view.  Under bwrap /run (and so
   docker.sock) is absent.  A protected name missing at the start that the
   command makes is removed and the command ended; the removal follows no
   symlink; .git/hooks and .git/info are made when missing. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sec_helpers.h"
#include "agent/guard.h"
#include "project.h"
#include "util.h"

#include <fcntl.h>

static hh_tree tree;

static const char attack[]
    = "echo evil >> .git/config && echo CONFIG-WRITTEN; "
      "echo evil > .git/hooks/pre-commit && echo HOOK-CREATED; "
      "rm -rf .git/hooks; test -d .git/hooks || echo HOOKS-REMOVED; "
      "mv .git .git2 && echo GIT-RENAMED; "
      "mv .sbx x && echo SBX-RENAMED; "
      "echo '{\"type\":\"none\"}' > new.json; mv new.json .sbx/config.json && echo SBX-REPLACED; "
      "echo '{}' > .sbx/config.json && echo SBX-WRITTEN; "
      "echo data > ordinary && echo ORDINARY-OK; "
      "echo obj > .git/objects/obj && echo OBJECTS-OK; "
      "git --version >/dev/null 2>&1; echo DONE";

static void
check_attack (const char *out)
{
  static const char *const bad[]
      = { "CONFIG-WRITTEN", "HOOK-CREATED", "HOOKS-REMOVED", "GIT-RENAMED",
          "SBX-RENAMED",    "SBX-REPLACED", "SBX-WRITTEN",   NULL };
  for (const char *const *b = bad; *b; b++)
    cr_expect_null (strstr (out, *b), "%s: %s", *b, out);
  cr_expect_not_null (strstr (out, "ORDINARY-OK"), "the project is not writable: %s", out);
  cr_expect_not_null (strstr (out, "OBJECTS-OK"), ".git/objects is not writable: %s", out);
  cr_expect_not_null (strstr (out, "DONE"), "%s", out);
  _cleanup_free_ char *config = sec_read (tree.project, ".git/config");
  cr_expect_str_eq (config, "[core]\n\tbare = false\n");
  _cleanup_free_ char *sbx = sec_read (tree.project, ".sbx/config.json");
  cr_expect_str_eq (sbx, "{\"isolation\":\"default\"}\n");
  cr_expect (!hh_file_exists (tree.project, ".git/hooks/pre-commit"));
  cr_expect (hh_file_exists (tree.project, ".git/hooks/pre-commit.sample"));
  cr_expect (!hh_file_exists (tree.project, ".git2"));
  cr_expect (!hh_file_exists (tree.project, "x"));
}

static void
protected_default (uid_t uid)
{
  sec_tree_make (&tree, uid);
  host_policy pol = { .project_dir = tree.project, .allow_write = true };
  _cleanup_free_ char *out = NULL;
  sec_run (uid, HOST_CONFINE_LANDLOCK, &pol, attack, 0, &out);
  check_attack (out);
  cr_expect_eq (sec_mounts_under (tree.base), 0, "mounts leaked into the host's view");
  hh_tree_free (&tree);
}

Test (protect, default_level_root)
{
  protected_default (0);
}

Test (protect, default_level_nonroot)
{
  protected_default (SEC_NOBODY);
}

/* Without a user namespace a non-root sbx can neither protect the paths nor
   give the command its own /tmp: it refuses, naming the level that can,
   and the command does not run. */
Test (protect, no_user_namespace_refuses)
{
  sec_tree_make (&tree, SEC_NOBODY);
  host_policy pol = { .project_dir = tree.project, .allow_write = true };
  _cleanup_free_ char *out = NULL;
  int st = sec_run_no_userns (SEC_NOBODY, &pol, "echo RAN; echo x >> .git/config", &out);
  cr_expect_eq (st, 125, "%s", out);
  cr_expect_null (strstr (out, "RAN"), "the command ran unprotected: %s", out);
  cr_expect_not_null (strstr (out, "host_run (unavailable)"), "%s", out);
  cr_expect_not_null (strstr (out, "--isolation container"), "%s", out);
  _cleanup_free_ char *config = sec_read (tree.project, ".git/config");
  cr_expect_str_eq (config, "[core]\n\tbare = false\n");

  /* A read-only project has nothing to protect, but /tmp would be the
     host's (its sockets within reach): refused as well. */
  pol.allow_write = false;
  free (out), out = NULL;
  st = sec_run_no_userns (SEC_NOBODY, &pol, "echo RAN", &out);
  cr_expect_eq (st, 125, "%s", out);
  cr_expect_null (strstr (out, "RAN"), "%s", out);
  hh_tree_free (&tree);
}

Test (protect, extra_paths_and_explicit_list)
{
  sec_tree_make (&tree, 0);
  _cleanup_free_ char *vscode = xasprintf ("%s/.vscode", tree.project);
  cr_assert_eq (mkdir (vscode, 0755), 0);
  char *extra[] = { ".vscode", NULL };
  char **paths = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_protected_paths (tree.project, extra, &paths, &err), 0);
  _cleanup_free_ char *hooks = xasprintf ("%s/.git/hooks", tree.project);
  bool has_hooks = false, has_vscode = false;
  for (char **p = paths; *p; p++)
    {
      has_hooks |= strcmp (*p, hooks) == 0;
      has_vscode |= strcmp (*p, vscode) == 0;
    }
  cr_expect (has_hooks && has_vscode);
  host_policy pol = { .project_dir = tree.project, .allow_write = true, .protected_paths = paths };
  _cleanup_free_ char *out = NULL;
  sec_run (0, HOST_CONFINE_LANDLOCK, &pol, "touch .vscode/tasks.json && echo VSCODE-WRITTEN", 0,
           &out);
  cr_expect_null (strstr (out, "VSCODE-WRITTEN"), "%s", out);
  strv_free (paths);

  /* An empty list protects nothing but .git itself (a mount point). */
  char *none[] = { NULL };
  pol.protected_paths = none;
  free (out), out = NULL;
  sec_run (0, HOST_CONFINE_LANDLOCK, &pol,
           "echo x >> .git/config && echo CONFIG-WRITTEN; mv .git .g && echo GIT-RENAMED", 0, &out);
  cr_expect_not_null (strstr (out, "CONFIG-WRITTEN"), "%s", out);
  cr_expect_null (strstr (out, "GIT-RENAMED"), "%s", out);
  hh_tree_free (&tree);
}

static void
bwrap_protected (uid_t uid)
{
  sec_tree_make (&tree, uid);
  host_policy pol = { .project_dir = tree.project, .allow_write = true };
  _cleanup_free_ char *out = NULL;
  sec_run (uid, HOST_CONFINE_BWRAP, &pol, attack, 0, &out);
  check_attack (out);
  cr_expect_eq (sec_mounts_under (tree.base), 0, "mounts leaked into the host's view");

  free (out), out = NULL;
  const char *probe = "python3 -c 'import socket\n"
                      "s = socket.socket(socket.AF_UNIX)\n"
                      "try:\n  s.connect(\"/var/run/docker.sock\"); print(\"DOCKER-OK\")\n"
                      "except OSError as e: print(\"ERR\", e.errno)'; ls /run /var/run";
  sec_run (uid, HOST_CONFINE_BWRAP, &pol, probe, 0, &out);
  cr_expect_not_null (strstr (out, "ERR 2"), "%s", out);
  cr_expect_null (strstr (out, "DOCKER-OK"), "docker.sock answered under bwrap: %s", out);
  hh_tree_free (&tree);
}

Test (protect, bwrap_root)
{
  bwrap_protected (0);
}

Test (protect, bwrap_nonroot)
{
  bwrap_protected (SEC_NOBODY);
}

Test (protect, bwrap_never_binds_run)
{
  char *rw[] = { "/var/run", NULL };
  host_policy pol = { .rw_dirs = rw };
  char *const cmd[] = { "true", NULL };
  char **argv = NULL;
  sbx_error *err = NULL;
  cr_expect_lt (host_bwrap_argv ("bwrap", &pol, -1, cmd, &argv, &err), 0);
  cr_expect_not_null (err && strstr (err->msg, "/run"));
  sbx_error_free (err);

  /* A project at / would bring /run along: it is hidden. */
  host_policy root = { .project_dir = "/", .allow_write = false };
  _cleanup_free_ char *out = NULL;
  sec_run (0, HOST_CONFINE_BWRAP, &root,
           "test -S /var/run/docker.sock && echo DOCKER-SOCK; test -S /run/docker.sock && echo "
           "DOCKER-SOCK; echo DONE",
           0, &out);
  cr_expect_not_null (strstr (out, "DONE"), "%s", out);
  cr_expect_null (strstr (out, "DOCKER-SOCK"), "docker.sock is in the sandbox: %s", out);
}

/* With --share-net the host's abstract Unix sockets are in reach of bwrap's
   sandbox unless a Landlock scope keeps them out. */
Test (protect, bwrap_network_no_abstract_sockets)
{
  sec_tree_make (&tree, 0);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  _cleanup_free_ char *name = xasprintf ("sbx-test-abstract-%d", (int) getpid ());
  memcpy (a.sun_path + 1, name, strlen (name));
  socklen_t len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + strlen (name));
  cr_assert_eq (bind (fd, (struct sockaddr *) &a, len), 0);
  cr_assert_eq (listen (fd, 4), 0);
  host_policy pol = { .project_dir = tree.project, .allow_write = true, .allow_network = true };
  _cleanup_free_ char *script
      = xasprintf ("python3 -c 'import socket\ns = socket.socket(socket.AF_UNIX)\n"
                   "try:\n  s.connect(b\"\\0%s\"); print(\"ABSTRACT-OK\")\n"
                   "except OSError as e: print(\"ERR\", e.errno)'",
                   name);
  _cleanup_free_ char *out = NULL;
  sec_run (0, HOST_CONFINE_BWRAP, &pol, script, 0, &out);
  cr_expect_null (strstr (out, "ABSTRACT-OK"), "a host abstract socket answered: %s", out);
  cr_expect_not_null (strstr (out, "ERR 1"), "%s", out);
  close (fd);
  hh_tree_free (&tree);
}

/* ---- protected paths that do not exist when the sandbox starts ---- */

/* A name of the list made by the command, directly or with a parent made
   first: removed, the command (and what it started) ended, exit 125 and
   the report. */
static void
missing_name_made (uid_t uid, host_confine confine, const char *script, const char *gone)
{
  sec_tree_make (&tree, uid);
  host_policy pol = { .project_dir = tree.project, .allow_write = true };
  _cleanup_free_ char *out = NULL;
  int st = sec_run (uid, confine, &pol, script, 0, &out);
  cr_expect_eq (st, 125, "%s: %s", script, out);
  cr_expect_null (strstr (out, "SURVIVED"), "the command went on: %s", out);
  cr_expect_not_null (strstr (out, "which would make your git run code outside the sandbox; it "
                                   "was removed and the command was ended"),
                      "%s", out);
  cr_expect (!hh_file_exists (tree.project, gone), "%s is still there", gone);
  cr_expect (hh_file_exists (tree.project, ".git/config"));
  hh_tree_free (&tree);
}

Test (protect, a_made_commondir_is_removed_and_the_command_ended)
{
  static const char script[] = "echo /elsewhere > .git/commondir; sleep 30; echo SURVIVED";
  missing_name_made (0, HOST_CONFINE_LANDLOCK, script, ".git/commondir");
  missing_name_made (SEC_NOBODY, HOST_CONFINE_LANDLOCK, script, ".git/commondir");
  missing_name_made (0, HOST_CONFINE_BWRAP, script, ".git/commondir");
  missing_name_made (SEC_NOBODY, HOST_CONFINE_BWRAP, script, ".git/commondir");
}

Test (protect, a_tree_made_under_a_missing_name_is_removed)
{
  /* The command keeps making it: what it made while being ended goes too. */
  static const char script[]
      = "(while :; do mkdir -p .git/commondir/x 2>/dev/null; "
        "echo /elsewhere > .git/commondir/x/commondir 2>/dev/null; done) & sleep 30; echo SURVIVED";
  missing_name_made (0, HOST_CONFINE_LANDLOCK, script, ".git/commondir");
  missing_name_made (SEC_NOBODY, HOST_CONFINE_BWRAP, script, ".git/commondir");
}

Test (protect, hooks_and_info_are_made_when_missing_and_nothing_else)
{
  sec_tree_make (&tree, 0);
  _cleanup_free_ char *hooks = xasprintf ("%s/.git/hooks", tree.project);
  _cleanup_free_ char *info = xasprintf ("%s/.git/info", tree.project);
  _cleanup_free_ char *sample = xasprintf ("%s/pre-commit.sample", hooks);
  cr_assert_eq (unlink (sample), 0);
  cr_assert_eq (rmdir (hooks), 0);
  char **paths = NULL;
  sbx_error *err = NULL;
  mode_t old = umask (077);
  cr_assert_eq (sbx_protected_paths (tree.project, NULL, &paths, &err), 0);
  umask (old);
  strv_free (paths);
  struct stat st;
  cr_assert_eq (lstat (hooks, &st), 0, ".git/hooks was not made");
  cr_expect (S_ISDIR (st.st_mode) && (st.st_mode & 07777) == 0755, "mode %o", st.st_mode);
  cr_assert_eq (lstat (info, &st), 0, ".git/info was not made");
  cr_expect (S_ISDIR (st.st_mode) && (st.st_mode & 07777) == 0755, "mode %o", st.st_mode);
  for (const char *const *d = (const char *const[]){ ".git/modules", ".git/worktrees", NULL }; *d;
       d++)
    {
      _cleanup_free_ char *path = xasprintf ("%s/%s", tree.project, *d);
      cr_assert_eq (lstat (path, &st), 0, "%s was not made", *d);
      cr_expect (S_ISDIR (st.st_mode) && (st.st_mode & 07777) == 0755, "%s: mode %o", *d,
                 st.st_mode);
    }
  cr_expect (!hh_file_exists (tree.project, ".git/commondir"));
  cr_expect (!hh_file_exists (tree.project, ".git/config.worktree"));

  /* And a planted hook is refused. */
  host_policy pol = { .project_dir = tree.project, .allow_write = true };
  _cleanup_free_ char *out = NULL;
  sec_run (0, HOST_CONFINE_LANDLOCK, &pol,
           "echo evil > .git/hooks/pre-commit || echo REFUSED;"
           " mkdir .git/worktrees/x || echo WT-REFUSED; mkdir .git/modules/x || echo MOD-REFUSED",
           0, &out);
  cr_expect_not_null (strstr (out, "REFUSED"), "%s", out);
  cr_expect_not_null (strstr (out, "WT-REFUSED"), "%s", out);
  cr_expect_not_null (strstr (out, "MOD-REFUSED"), "%s", out);
  cr_expect_not_null (strstr (out, "Read-only file system"), "%s", out);
  cr_expect (!hh_file_exists (tree.project, ".git/hooks/pre-commit"));

  /* No .git: nothing is made, and git init in the sandbox works. */
  _cleanup_free_ char *git = xasprintf ("%s/.git", tree.project);
  _cleanup_free_ char *rm = xasprintf ("rm -rf '%s'", git);
  cr_assert_eq (system (rm), 0);
  cr_assert_eq (sbx_protected_paths (tree.project, NULL, &paths, &err), 0);
  strv_free (paths);
  cr_expect (!hh_file_exists (tree.project, ".git"));
  free (out), out = NULL;
  int rc = sec_run (0, HOST_CONFINE_LANDLOCK, &pol,
                    "HOME=/tmp git init -q . && test -d .git/hooks && echo INIT-OK", 0, &out);
  cr_expect_eq (rc, 0, "%s", out);
  cr_expect_not_null (strstr (out, "INIT-OK"), "%s", out);
  hh_tree_free (&tree);
}

/* The directory of a watched name moved away and made again: nothing
   could be watched there any more, so the command is ended. */
Test (protect, a_watched_directory_replaced_ends_the_command)
{
  sec_tree_make (&tree, 0);
  _cleanup_free_ char *sub = xasprintf ("%s/sub", tree.project);
  cr_assert_eq (mkdir (sub, 0755), 0);
  char *extra[] = { "sub/.envrc", NULL };
  char **paths = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_protected_paths (tree.project, extra, &paths, &err), 0);
  host_policy pol = { .project_dir = tree.project, .allow_write = true, .protected_paths = paths };
  _cleanup_free_ char *out = NULL;
  int st = sec_run (0, HOST_CONFINE_LANDLOCK, &pol,
                    "mv sub sub2 && mkdir sub && echo evil > sub/.envrc; sleep 30; echo SURVIVED",
                    0, &out);
  strv_free (paths);
  cr_expect_eq (st, 125, "%s", out);
  cr_expect_null (strstr (out, "SURVIVED"), "%s", out);
  cr_expect_not_null (strstr (out, "was removed or renamed while the command ran"), "%s", out);
  hh_tree_free (&tree);
}

/* The removal follows no symlink: what a link in the tree points to,
   outside, stays; a tree deeper than the bound is refused, not followed. */
Test (protect, removal_follows_no_symlink)
{
  sec_tree_make (&tree, 0);
  _cleanup_free_ char *outside = sec_outside (&tree);
  _cleanup_free_ char *keep = xasprintf ("%s/keep", outside);
  _cleanup_free_ char *dir = xasprintf ("%s/.git/modules", tree.project);
  _cleanup_free_ char *script
      = xasprintf ("mkdir -p '%s/x/hooks' && echo data > '%s' && ln -s '%s' '%s/x/hooks/out' && "
                   "ln -s '%s' '%s/x/file' && ln -s '%s' '%s/link'",
                   dir, keep, outside, dir, keep, dir, outside, dir);
  cr_assert_eq (system (script), 0);
  _cleanup_close_ int gitfd = open (tree.project, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cr_assert_eq (sbx_guard_remove (gitfd, ".git/modules"), 0);
  cr_expect (!hh_file_exists (tree.project, ".git/modules"));
  _cleanup_free_ char *data = sec_read (outside, "keep");
  cr_expect_str_eq (data, "data\n");

  /* A symlink at the name itself: the link goes, not its target. */
  _cleanup_free_ char *link = xasprintf ("%s/.git/commondir", tree.project);
  cr_assert_eq (symlink (keep, link), 0);
  cr_assert_eq (sbx_guard_remove (gitfd, ".git/commondir"), 0);
  struct stat st;
  cr_expect_neq (lstat (link, &st), 0);
  cr_expect_eq (lstat (keep, &st), 0);
  cr_expect_eq (sbx_guard_remove (gitfd, ".git/commondir"), -ENOENT);
  hh_tree_free (&tree);
}
