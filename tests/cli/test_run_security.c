/* test_run_security.c: `sbx run` at the host levels, as a user sees it:
   the daemon socket does not answer, .git/hooks and .sbx stay as they were,
   root keeps no capability at the default level, and nothing the command
   started outlives sbx; a protected name missing when the command started
   (.git/commondir, .git/modules, .git/worktrees) that it makes is removed
   and the command ended (exit 125, one line), so that git on the host runs
   nothing planted; .git/hooks is made for a repository without it. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plants.h"
#include "testutil.h"
#include "util.h"

static char *project;
static char *env_isolated[] = { "XDG_CONFIG_HOME=/nonexistent-sbx-xdg", NULL };

static void
setup (void)
{
  project = tu_mkproject ();
  tu_write_file (project, ".git/config", "[core]\n\tbare = false\n");
  tu_write_file (project, ".git/hooks/pre-commit.sample", "#!/bin/sh\n");
  tu_write_file (project, ".sbx/config.json", "{}\n");
}

static void
teardown (void)
{
  tu_rmrf (project);
  free (project);
}

TestSuite (run_security, .init = setup, .fini = teardown);

#define RUN(r, ...)                                                                                \
  tu_sbx_env (r, project, env_isolated, "--project", project, "run", __VA_ARGS__, NULL)

static const char docker_py[]
    = "python3 -c 'import socket\n"
      "s = socket.socket(socket.AF_UNIX)\n"
      "try:\n  s.connect(\"/var/run/docker.sock\"); print(\"DOCKER-ANSWERS\")\n"
      "except OSError as e: print(\"ERR\", e.errno)'";

static void
no_daemon (const char *level)
{
  tu_result r;
  RUN (&r, "--isolation", level, "--", "/bin/sh", "-c", docker_py);
  cr_expect_null (strstr (r.out, "DOCKER-ANSWERS"), "%s: docker.sock answered", level);
  cr_expect_not_null (strstr (r.out, "ERR"), "%s: %s %s", level, r.out, r.err);
  tu_result_clear (&r);
  RUN (&r, "--isolation", level, "--allow-network", "--", "/bin/sh", "-c", docker_py);
  cr_expect_null (strstr (r.out, "DOCKER-ANSWERS"), "%s --allow-network: docker.sock answered",
                  level);
  tu_result_clear (&r);
}

Test (run_security, no_daemon_default)
{
  no_daemon ("default");
}

Test (run_security, no_daemon_enhanced)
{
  no_daemon ("enhanced");
}

static void protected(const char *level)
{
  tu_result r;
  RUN (&r, "--isolation", level, "--", "/bin/sh", "-c",
       "echo 'exit 1' > .git/hooks/pre-commit; echo x >> .git/config; "
       "echo '{\"isolation\":\"off\"}' > .sbx/config.json; mv .git .git2; echo ok > ordinary");
  _cleanup_free_ char *hook = xasprintf ("%s/.git/hooks/pre-commit", project);
  cr_expect (access (hook, F_OK) != 0, "%s: a hook was planted", level);
  _cleanup_free_ char *config_path = xasprintf ("%s/.git/config", project);
  _cleanup_free_ char *config = tu_read_file (config_path);
  cr_expect_str_eq (config, "[core]\n\tbare = false\n", "%s", level);
  _cleanup_free_ char *sbx_path = xasprintf ("%s/.sbx/config.json", project);
  _cleanup_free_ char *sbx = tu_read_file (sbx_path);
  cr_expect_str_eq (sbx, "{}\n", "%s", level);
  _cleanup_free_ char *ordinary = xasprintf ("%s/ordinary", project);
  cr_expect (access (ordinary, F_OK) == 0, "%s: the project is not writable: %s", level, r.err);
  tu_result_clear (&r);
}

Test (run_security, protected_default)
{
  protected ("default");
}

Test (run_security, protected_enhanced)
{
  protected ("enhanced");
}

Test (run_security, root_has_no_capabilities)
{
  tu_result r;
  RUN (&r, "--", "/bin/sh", "-c", "grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status");
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_not_null (strstr (r.out, "CapEff:\t0000000000000000"), "%s", r.out);
  cr_expect_not_null (strstr (r.out, "CapPrm:\t0000000000000000"), "%s", r.out);
  cr_expect_not_null (strstr (r.out, "CapBnd:\t0000000000000000"), "%s", r.out);
  tu_result_clear (&r);
}

static int
count_cmdline (const char *want)
{
  int n = 0;
  DIR *d = opendir ("/proc");
  struct dirent *e;
  while (d && (e = readdir (d)))
    {
      _cleanup_free_ char *path = xasprintf ("/proc/%s/cmdline", e->d_name);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      char buf[128];
      ssize_t k = read (fd, buf, sizeof buf - 1);
      close (fd);
      if (k <= 0)
        continue;
      buf[k] = '\0';
      for (ssize_t i = 0; i < k - 1; i++)
        if (buf[i] == '\0')
          buf[i] = ' ';
      n += strcmp (buf, want) == 0;
    }
  if (d)
    closedir (d);
  return n;
}

Test (run_security, nothing_outlives_sbx)
{
  _cleanup_free_ char *sleeper = xasprintf ("sleep 5%04d.3", (int) getpid () % 10000);
  _cleanup_free_ char *script = xasprintf ("setsid %s >/dev/null 2>&1 & exit 0", sleeper);
  tu_result r;
  RUN (&r, "--", "/bin/sh", "-c", script);
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_eq (count_cmdline (sleeper), 0, "a daemon outlived sbx run");
  tu_result_clear (&r);
}

/* /etc/shadow and the host's private keys: readable by root outside, not
   inside (Landlock's read set at the default level, masks under bwrap). */
static void
no_system_credentials (const char *level)
{
  _cleanup_free_ char *outside = tu_read_file ("/etc/shadow");
  cr_assert_not_null (outside, "the test runs as root and can read /etc/shadow");
  tu_result r;
  RUN (&r, "--isolation", level, "--", "/bin/sh", "-c",
       "cat /etc/shadow && echo READ-SHADOW; cat /etc/ssh/*_key 2>/dev/null && echo READ-KEY;"
       " cat /etc/passwd >/dev/null && echo passwd-ok");
  cr_expect_null (strstr (r.out, "READ-SHADOW"), "%s: /etc/shadow was read", level);
  cr_expect_null (strstr (r.out, "READ-KEY"), "%s: a host key was read", level);
  cr_expect_not_null (strstr (r.out, "passwd-ok"), "%s: %s %s", level, r.out, r.err);
  tu_result_clear (&r);
}

Test (run_security, no_system_credentials_default)
{
  no_system_credentials ("default");
}

Test (run_security, no_system_credentials_enhanced)
{
  no_system_credentials ("enhanced");
}

/* No setuid or setgid bit can be set on a project file (another user on
   the host could run it later); chmod +x still works. */
static void
no_setuid (const char *level)
{
  tu_write_file (project, "tool", "#!/bin/sh\n");
  tu_result r;
  RUN (&r, "--isolation", level, "--", "/bin/sh", "-c",
       "chmod +x tool && echo exec-ok; chmod u+s tool || echo suid-refused;"
       " chmod g+s tool || echo sgid-refused");
  cr_expect_not_null (strstr (r.out, "exec-ok"), "%s: %s %s", level, r.out, r.err);
  cr_expect_not_null (strstr (r.out, "suid-refused"), "%s: %s %s", level, r.out, r.err);
  cr_expect_not_null (strstr (r.out, "sgid-refused"), "%s: %s %s", level, r.out, r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *tool = xasprintf ("%s/tool", project);
  struct stat st;
  cr_assert_eq (stat (tool, &st), 0);
  cr_expect_eq (st.st_mode & (S_ISUID | S_ISGID), 0, "%s: mode %o", level, st.st_mode);
  cr_expect_neq (st.st_mode & S_IXUSR, 0, "%s", level);
}

Test (run_security, no_setuid_default)
{
  no_setuid ("default");
}

Test (run_security, no_setuid_enhanced)
{
  no_setuid ("enhanced");
}

/* The user's home: the tools' configuration is readable at the default
   level (git reads ~/.gitconfig), credentials are not at any level.  The
   home is outside /tmp and the project, which are writable as a whole. */
static void
home_read_set (const char *level, bool home_visible)
{
  char home[] = "/root/.sbx-test-home-XXXXXX";
  cr_assert_not_null (mkdtemp (home));
  tu_write_file (home, ".gitconfig", "[user]\n\tname = Sbx Tester\n");
  tu_write_file (home, ".ssh/id_ed25519", "PRIVATE-KEY-BYTES\n");
  tu_write_file (home, ".aws/credentials", "AWS-SECRET-BYTES\n");
  tu_write_file (home, ".docker/config.json", "DOCKER-AUTH-BYTES\n");
  _cleanup_free_ char *home_env = xasprintf ("HOME=%s", home);
  char *env[] = { "XDG_CONFIG_HOME=/nonexistent-sbx-xdg", home_env, NULL };
  tu_result r;
  tu_sbx_env (&r, project, env, "--project", project, "run", "--isolation", level, "--", "/bin/sh",
              "-c",
              "git config --global user.name; cat ~/.ssh/id_ed25519 ~/.aws/credentials"
              " ~/.docker/config.json 2>/dev/null; echo done",
              NULL);
  cr_expect_not_null (strstr (r.out, "done"), "%s: %s %s", level, r.out, r.err);
  cr_expect_null (strstr (r.out, "PRIVATE-KEY-BYTES"), "%s: ~/.ssh was read", level);
  cr_expect_null (strstr (r.out, "AWS-SECRET-BYTES"), "%s: ~/.aws was read", level);
  cr_expect_null (strstr (r.out, "DOCKER-AUTH-BYTES"), "%s: ~/.docker/config.json was read", level);
  if (home_visible)
    cr_expect_not_null (strstr (r.out, "Sbx Tester"), "%s: ~/.gitconfig unread: %s %s", level,
                        r.out, r.err);
  tu_result_clear (&r);
  tu_rmrf (home);
}

Test (run_security, home_read_set_default)
{
  home_read_set ("default", true);
}

Test (run_security, home_read_set_enhanced)
{
  home_read_set ("enhanced", false);
}

/* A project named at the home directory holds sbx's own configuration and
   trust store: a command may write the project, not trust a project file
   nor change what sbx allows (even where these did not exist yet). */
static void
own_state_kept (const char *level)
{
  char home[] = "/root/.sbx-test-home-XXXXXX";
  cr_assert_not_null (mkdtemp (home));
  tu_write_file (home, ".config/sbx/config.json", "{}\n");
  tu_write_file (home, "work/README", "\n");
  _cleanup_free_ char *home_env = xasprintf ("HOME=%s", home);
  char *env[] = { home_env, NULL };
  tu_result r;
  tu_sbx_env (&r, home, env, "--project", home, "run", "--isolation", level, "--", "/bin/sh", "-c",
              "mkdir -p .local/state/sbx; echo planted > .local/state/sbx/trust;"
              " echo '{\"isolation\":\"off\"}' > .config/sbx/config.json; echo ok > work/ordinary",
              NULL);
  _cleanup_free_ char *ordinary = xasprintf ("%s/work/ordinary", home);
  cr_expect (access (ordinary, F_OK) == 0, "%s: the project is not writable: %s", level, r.err);
  _cleanup_free_ char *trust = xasprintf ("%s/.local/state/sbx/trust", home);
  cr_expect (access (trust, F_OK) != 0, "%s: a trust store was planted", level);
  _cleanup_free_ char *config_path = xasprintf ("%s/.config/sbx/config.json", home);
  _cleanup_free_ char *config = tu_read_file (config_path);
  cr_expect_str_eq (config, "{}\n", "%s: the user's sbx configuration changed", level);
  tu_result_clear (&r);
  tu_rmrf (home);
}

Test (run_security, own_state_kept_default)
{
  own_state_kept ("default");
}

Test (run_security, own_state_kept_enhanced)
{
  own_state_kept ("enhanced");
}

/* ---- protected paths that do not exist when the sandbox starts ---- */

/* script run at level in proj makes gone (relative to proj): sbx ends it
   with 125 and the guard's line, gone is gone, and git status in proj on
   the host runs nothing planted. */
static void
plant_refused (const char *level, const char *proj, const char *script, const char *gone)
{
  tu_result r;
  tu_sbx_env (&r, proj, env_isolated, "--project", proj, "run", "--isolation", level, "--",
              "/bin/sh", "-c", script, NULL);
  cr_expect_eq (r.status, 125, "%s: %s: %s", level, script, r.err);
  cr_expect_null (strstr (r.out, "SURVIVED"), "%s: %s: the command went on", level, script);
  _cleanup_free_ char *line
      = xasprintf ("sbx: the command created %s/%s, " TU_GUARD_LINE "\n", proj, gone);
  cr_expect_not_null (strstr (r.err, line), "%s: %s: %s", level, script, r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *path = xasprintf ("%s/%s", proj, gone);
  struct stat st;
  cr_expect_neq (lstat (path, &st), 0, "%s: %s: %s is still there", level, script, path);
  tu_git (&r, proj, "status", NULL);
  cr_expect_eq (r.status, 0, "%s: git status: %s", level, r.err);
  cr_expect_null (strstr (r.err, TU_PLANT_MARKER), "%s: %s: git ran the planted code", level,
                  script);
  tu_result_clear (&r);
}

static void
missing_names (const char *level)
{
  for (size_t i = 0; i < tu_n_plants; i++)
    {
      _cleanup_free_ char *proj = tu_evil_repo ();
      /* The symlink's target, outside the project, names the evil dir. */
      _cleanup_free_ char *target = xasprintf ("%s.target", proj);
      _cleanup_free_ char *evil = xasprintf ("%s/evil\n", proj);
      FILE *f = fopen (target, "w");
      cr_assert_not_null (f);
      fputs (evil, f);
      fclose (f);
      _cleanup_free_ char *script = xasprintf (tu_plants[i].script, proj);
      plant_refused (level, proj, script, tu_plants[i].gone);
      _cleanup_free_ char *kept = tu_read_file (target);
      cr_expect_str_eq (kept, evil, "%s: the symlink's target was touched", level);
      unlink (target);
      tu_rmrf (proj);
    }
}

Test (run_security, missing_names_default)
{
  missing_names ("default");
}

Test (run_security, missing_names_enhanced)
{
  missing_names ("enhanced");
}

/* A project without .git: git init in the sandbox works (nothing is
   watched where there is no .git). */
static void
git_init_inside (const char *level)
{
  _cleanup_free_ char *proj = tu_mkproject ();
  tu_result r;
  tu_sbx_env (&r, proj, env_isolated, "--project", proj, "run", "--isolation", level, "--",
              "/bin/sh", "-c", "HOME=/tmp git init -q . && echo INIT-OK", NULL);
  cr_expect_eq (r.status, 0, "%s: %s", level, r.err);
  cr_expect_str_eq (r.out, "INIT-OK\n", "%s: %s", level, r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *hooks = xasprintf ("%s/.git/hooks", proj);
  cr_expect_eq (access (hooks, F_OK), 0);
  tu_rmrf (proj);
}

Test (run_security, git_init_inside_default)
{
  git_init_inside ("default");
}

Test (run_security, git_init_inside_enhanced)
{
  git_init_inside ("enhanced");
}

/* A project inside another repository's work tree, without a .git of its
   own: git run in it uses that repository, and a .git made in the project
   (a file naming a git dir elsewhere, or a copy of one) would take its
   place.  It is refused like the other missing names. */
static void
git_made_inside_a_repository (const char *level)
{
  _cleanup_free_ char *repo = tu_evil_repo ();
  _cleanup_free_ char *proj = xasprintf ("%s/sub", repo);
  cr_assert_eq (mkdir (proj, 0755), 0);
  static const char *const scripts[]
      = { "printf 'gitdir: %s/evil\\n' > .git; sleep 30; echo SURVIVED",
          "mkdir .git && cp -r %s/evil/. .git/; sleep 30; echo SURVIVED" };
  for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++)
    {
      _cleanup_free_ char *script = xasprintf (scripts[i], repo);
      plant_refused (level, proj, script, ".git");
    }
  tu_rmrf (repo);
}

Test (run_security, git_made_inside_a_repository_default)
{
  git_made_inside_a_repository ("default");
}

Test (run_security, git_made_inside_a_repository_enhanced)
{
  git_made_inside_a_repository ("enhanced");
}

/* A repository made with an empty template has no .git/hooks: sbx makes
   it, and a planted hook is refused. */
static void
empty_template (const char *level)
{
  _cleanup_free_ char *proj = tu_mkproject ();
  _cleanup_free_ char *tmpl = tu_mkproject ();
  _cleanup_free_ char *opt = xasprintf ("--template=%s", tmpl);
  tu_result r;
  tu_git (&r, proj, "init", opt);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *hooks = xasprintf ("%s/.git/hooks", proj);
  cr_assert_neq (access (hooks, F_OK), 0, "git made .git/hooks from an empty template");
  tu_sbx_env (&r, proj, env_isolated, "--project", proj, "run", "--isolation", level, "--",
              "/bin/sh", "-c",
              "echo 'echo " TU_PLANT_MARKER "' > .git/hooks/pre-commit; echo rc=$?", NULL);
  cr_expect_eq (r.status, 0, "%s: %s", level, r.err);
  cr_expect_str_eq (r.out, "rc=2\n", "%s: %s", level, r.err);
  cr_expect_not_null (strstr (r.err, "Read-only file system"), "%s: %s", level, r.err);
  tu_result_clear (&r);
  struct stat st;
  cr_assert_eq (stat (hooks, &st), 0);
  cr_expect (S_ISDIR (st.st_mode) && (st.st_mode & 07777) == 0755, "mode %o", st.st_mode);
  _cleanup_free_ char *hook = xasprintf ("%s/pre-commit", hooks);
  cr_expect_neq (access (hook, F_OK), 0, "%s: a hook was planted", level);
  tu_rmrf (proj);
  tu_rmrf (tmpl);
}

Test (run_security, empty_template_default)
{
  empty_template ("default");
}

Test (run_security, empty_template_enhanced)
{
  empty_template ("enhanced");
}
