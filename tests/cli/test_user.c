/* The user inside the project container, over the real Debian image: a
   name, passwd and group entries, a HOME that persists (swap, down/up),
   USER/LOGNAME/SHELL, the project's hostname; down --volumes and gc; and
   the directories sbx refuses to take as a project. */
#include <criterion/criterion.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

#define DEBIAN "sbx-test/debian:bookworm"
#define UID "4242"

/* A caller who is not root: uid/gid 4242, no passwd entry on the host,
   in the docker group, with a home of its own. */
static char *
caller_home (void)
{
  char *h = tu_mkproject ();
  cr_assert_eq (chown (h, 4242, 4242), 0);
  return h;
}

/* Run sbx as that caller (the rest of the environment kept: SBX_NO_AGENT
   chooses the exec path).  Leak reports need a directory root owns: not
   for this caller. */
static void
as_caller (tu_result *r, const char *cwd, const char *home, char *const *args)
{
  struct group *g = getgrnam ("docker");
  cr_assert_not_null (g, "no docker group: the engine's socket is root's only");
  _cleanup_free_ char *groups = xasprintf ("--groups=%u", (unsigned) g->gr_gid);
  _cleanup_free_ char *h = xasprintf ("HOME=%s", home);
  _cleanup_strv_ char **argv = NULL;
  strv_append_all (&argv, "/usr/bin/setpriv", "--reuid=" UID, "--regid=" UID, groups,
                   "/usr/bin/env", "-u", "XDG_RUNTIME_DIR", "-u", "XDG_STATE_HOME", "-u",
                   "XDG_DATA_HOME", "-u", "XDG_CONFIG_HOME", "-u", "SBX_CONFIG", h,
                   "USER=tester", "ASAN_OPTIONS=detect_leaks=0", TU_SBX, NULL);
  for (char *const *a = args; *a; a++)
    strv_append (&argv, *a);
  tu_run (r, cwd, NULL, NULL, 300, argv);
}

static char *
caller_project (const char *dockerfile)
{
  char *p = tu_mkproject ();
  if (dockerfile)
    tu_write_file (p, "Dockerfile", dockerfile);
  cr_assert_eq (chown (p, 4242, 4242), 0);
  if (dockerfile)
    {
      _cleanup_free_ char *df = xasprintf ("%s/Dockerfile", p);
      cr_assert_eq (chown (df, 4242, 4242), 0);
    }
  return p;
}

static void
caller_cleanup (char *p, char *home)
{
  tu_result r;
  char *down[] = { "down", "--volumes", NULL };
  as_caller (&r, p, home, down);
  tu_result_clear (&r);
  tu_rmrf (p);
  tu_rmrf (home);
  free (p);
  free (home);
}

static bool
volume_exists (const char *project)
{
  engine_client *c = tu_engine ();
  _cleanup_json_ json_t *list = NULL;
  sbx_error *err = NULL;
  cr_assert (engine_get_json (c, "/volumes", &list, &err) == 0, "%s", err ? err->msg : "");
  engine_client_free (c);
  size_t i;
  json_t *v;
  json_array_foreach (json_object_get (list, "Volumes"), i, v)
    {
      const char *pr = json_string_value (
          json_object_get (json_object_get (v, "Labels"), "dev.sbx.project"));
      if (pr && strcmp (pr, project) == 0)
        return true;
    }
  return false;
}

TestSuite (user, .timeout = 600);

Test (user, non_root_caller_has_a_name_a_home_and_the_project_hostname)
{
  char *home = caller_home (), *p = caller_project (NULL);
  tu_result r;
  char *up[] = { "up", "--image", DEBIAN, NULL };
  as_caller (&r, p, home, up);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  char *ex[] = { "exec", "--timeout", "60s", "--",
                 "bash", "-c",
                 "id -u; id -g; whoami; echo \"$HOME $USER $LOGNAME $SHELL\"; hostname;"
                 " python3 -c 'import getpass; print(getpass.getuser())';"
                 " getent passwd tester; stat -c %u $HOME;"
                 " git config --global user.email t@example.org && git config --global user.name T"
                 " && git init -q && git commit -q --allow-empty -m first && git log --format=%ae;"
                 " echo x >> /etc/passwd 2>/dev/null || echo passwd-read-only",
                 NULL };
  as_caller (&r, p, home, ex);
  cr_assert_eq (r.status, 0, "%s\n%s", r.out, r.err);
  const char *base = strrchr (p, '/') + 1;
  _cleanup_free_ char *lower = xstrdup (base);
  for (char *c = lower; *c; c++)
    *c = *c >= 'A' && *c <= 'Z' ? (char) (*c - 'A' + 'a') : *c == '_' ? '-' : *c;
  _cleanup_free_ char *want = xasprintf (
      "4242\n4242\ntester\n/home/tester tester tester /bin/bash\n%s\ntester\n"
      "tester:x:4242:4242:tester:/home/tester:/bin/bash\n4242\nt@example.org\npasswd-read-only\n",
      lower);
  cr_assert_str_eq (r.out, want, "%s", r.err);
  tu_result_clear (&r);
  caller_cleanup (p, home);
}

Test (user, home_persists_across_swap_and_down_up_and_goes_with_down_volumes)
{
  char *home = caller_home (), *p = caller_project (NULL);
  tu_result r;
  char *up[] = { "up", "--image", DEBIAN, NULL };
  as_caller (&r, p, home, up);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  char *write[] = { "exec", "--", "bash", "-c", "echo 'ls -la' >> ~/.bash_history", NULL };
  as_caller (&r, p, home, write);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  char *read[] = { "exec", "--", "bash", "-c", "cat ~/.bash_history; hostname", NULL };
  as_caller (&r, p, home, read);
  _cleanup_free_ char *before = xstrdup (r.out);
  tu_result_clear (&r);

  char *swap[] = { "swap", "--force", NULL };
  as_caller (&r, p, home, swap);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  as_caller (&r, p, home, read);
  cr_assert_str_eq (r.out, before, "after a swap: %s", r.err);
  tu_result_clear (&r);

  char *down[] = { "down", NULL };
  as_caller (&r, p, home, down);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  cr_assert (volume_exists (p), "sbx down keeps the home volume");
  as_caller (&r, p, home, up);
  tu_result_clear (&r);
  as_caller (&r, p, home, read);
  cr_assert_str_eq (r.out, before, "after down and up: %s", r.err);
  tu_result_clear (&r);

  char *downv[] = { "down", "--volumes", NULL };
  as_caller (&r, p, home, downv);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, "sbx-home-"), "%s", r.out);
  tu_result_clear (&r);
  cr_assert (!volume_exists (p), "sbx down --volumes removes it");
  as_caller (&r, p, home, up);
  tu_result_clear (&r);
  char *empty[] = { "exec", "--", "bash", "-c", "ls -A ~ | wc -l", NULL };
  as_caller (&r, p, home, empty);
  cr_assert_str_eq (r.out, "0\n", "a new, empty home: %s", r.err);
  tu_result_clear (&r);
  caller_cleanup (p, home);
}

Test (user, image_user_is_renumbered_to_the_caller)
{
  char *home = caller_home ();
  char *p = caller_project ("FROM " DEBIAN "\n"
                            "RUN useradd -m -u 1000 -s /bin/bash dev\n"
                            "USER dev\n");
  tu_result r;
  char *ex[] = { "exec", "--", "bash", "-c", "whoami; id -u; echo $HOME; getent passwd 1000 || echo none",
                 NULL };
  as_caller (&r, p, home, ex);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "dev\n4242\n/home/dev\nnone\n", "%s", r.err);
  tu_result_clear (&r);
  caller_cleanup (p, home);
}

Test (user, gc_removes_the_home_of_a_project_that_is_gone_and_only_the_callers)
{
  char *home = caller_home (), *p = caller_project (NULL);
  tu_result r;
  char *up[] = { "up", "--image", DEBIAN, NULL };
  as_caller (&r, p, home, up);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  char *down[] = { "down", NULL };
  as_caller (&r, p, home, down);
  tu_result_clear (&r);
  tu_rmrf (p);
  cr_assert (volume_exists (p));

  /* Another user's gc leaves it; the owner's removes it. */
  tu_sbx (&r, "/", "gc", "--dry-run", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_null (strstr (r.out, p), "root's gc lists another user's volume: %s", r.out);
  tu_result_clear (&r);
  tu_sbx (&r, "/", "gc", "--dry-run", "--all", NULL);
  cr_assert (strstr (r.out, p), "gc --all lists it: %s", r.out);
  tu_result_clear (&r);
  char *gc[] = { "gc", NULL };
  as_caller (&r, "/", home, gc);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, "removed volume sbx-home-"), "%s", r.out);
  tu_result_clear (&r);
  cr_assert (!volume_exists (p));
  tu_rmrf (home);
  free (home);
  free (p);
}

Test (user, root_caller_home_is_writable_and_persists)
{
  char *p = tu_mkproject ();
  tu_result r;
  tu_sbx (&r, p, "up", "--image", DEBIAN, NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, p, "exec", "--", "bash", "-c",
          "git config --global user.name R && echo \"$HOME $USER\"", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "/root root\n");
  tu_result_clear (&r);
  tu_sbx (&r, p, "swap", "--force", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, p, "exec", "--", "git", "config", "--global", "user.name", NULL);
  cr_assert_str_eq (r.out, "R\n", "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, p, "down", "--volumes", NULL);
  tu_result_clear (&r);
  tu_rmrf (p);
  free (p);
}

/* ---- directories that are not projects unless named ---- */

Test (user, tmp_home_and_their_ancestors_are_refused_unless_named)
{
  char *base = tu_mkproject ();
  _cleanup_free_ char *home = xasprintf ("%s/users/me", base);
  _cleanup_free_ char *users = xasprintf ("%s/users", base);
  tu_write_file (base, "users/me/notes.txt", "x\n");
  _cleanup_free_ char *henv = xasprintf ("HOME=%s", home);
  char *env[] = { henv, NULL };
  const char *where[] = { "/tmp", "/", home, users };
  for (size_t i = 0; i < 4; i++)
    {
      tu_result r;
      tu_sbx_env (&r, where[i], env, "exec", "--", "true", NULL);
      cr_assert_eq (r.status, 125, "%s: %s", where[i], r.err);
      cr_assert (strstr (r.err, "unless named") && strstr (r.err, "--project"), "%s: %s",
                 where[i], r.err);
      tu_result_clear (&r);
    }
  /* Named, it is taken (status only: nothing is built). */
  tu_result r;
  tu_sbx_env (&r, "/", env, "--project", home, "devenv", "status", NULL);
  cr_assert_neq (r.status, 125, "%s", r.err);
  tu_result_clear (&r);
  /* A project below: its nearest marked ancestor. */
  tu_write_file (home, "work/Dockerfile", "FROM " TU_IMAGE "\n");
  tu_write_file (home, "work/src/a.c", "\n");
  _cleanup_free_ char *src = xasprintf ("%s/work/src", home);
  tu_sbx_env (&r, src, env, "--json", "devenv", "status", NULL);
  _cleanup_free_ char *want = xasprintf ("\"%s/work\"", home);
  cr_assert (strstr (r.out, want), "%s\n%s", r.out, r.err);
  tu_result_clear (&r);
  /* $HOME holding .git (a dotfiles repository) is still refused. */
  mkdir (xasprintf ("%s/.git", home), 0755);
  _cleanup_free_ char *notes = xasprintf ("%s/docs", home);
  mkdir (notes, 0755);
  tu_sbx_env (&r, notes, env, "exec", "--", "true", NULL);
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "it holds .git"), "%s", r.err);
  tu_result_clear (&r);
  tu_rmrf (base);
  free (base);
}

/* ---- a level change replaces through the swap ---- */

Test (user, level_change_drains_running_commands_and_says_how_to_return)
{
  if (tu_maximum_refused_on_podman ())
    return;
  char *p = tu_project_up (NULL);
  _cleanup_free_ char *script = xasprintf ("%s/long.sh", p);
  tu_write_file (p, "long.sh", "sleep 4; echo long-done\n");
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      tu_result r;
      tu_sbx (&r, p, "exec", "--", "sh", script, NULL);
      _exit (r.status == 0 && strcmp (r.out, "long-done\n") == 0 ? 0 : 1);
    }
  /* The long command runs before the change (its marker: the shell). */
  for (int i = 0; i < 100; i++)
    {
      tu_result r;
      tu_sbx (&r, p, "exec", "--", "sh", "-c", "ps -o args | grep -c '[l]ong.sh'", NULL);
      bool running = r.status == 0 && strcmp (r.out, "1\n") == 0;
      tu_result_clear (&r);
      if (running)
        break;
      usleep (100 * 1000);
    }
  tu_result r;
  tu_sbx (&r, p, "run", "--isolation", "maximum", "--", "echo", "x", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "x\n");
  cr_assert (strstr (r.err, "through a swap") && strstr (r.err, "sbx up --isolation container"),
             "%s", r.err);
  tu_result_clear (&r);
  int st;
  cr_assert_eq (waitpid (pid, &st, 0), pid);
  cr_assert (WIFEXITED (st) && WEXITSTATUS (st) == 0,
             "the command running in the old container was not drained to its end");
  tu_project_remove (p);
}
