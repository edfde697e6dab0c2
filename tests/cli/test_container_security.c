/* The container levels against a command that wants out: a listener
   planted in /.sbx/run is not taken for the agent and no symlink planted
   there is followed; nothing a timed-out command started survives, on both
   exec paths; no setuid/setgid bit and no device node can be made; the
   container has a memory bound and outlives a fork bomb; .git's config and
   hooks, .sbx and .devcontainer are read-only and .git cannot be moved; a
   protected name missing when the container started (.git/commondir,
   .git/modules, .git/worktrees) that a command makes is removed, the
   container's processes are ended and sbx exec says so (exit 125), on
   both exec paths and under gVisor, while what the host makes as the
   container idles is left. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "devenv/container/agent_client.h"
#include "devenv/container/container.h"
#include "engine/engine.h"
#include "project.h"
#include "plants.h"
#include "testutil.h"
#include "util.h"

/* Each exec path explicitly, whatever SBX_NO_AGENT the suite runs with. */
static char *agent_on[] = { "SBX_NO_AGENT=", NULL };
static char *api_on[] = { "SBX_NO_AGENT=1", NULL };

TestSuite (container_security, .timeout = 300);

static void
sh_in (tu_result *r, const char *proj, char **env, const char *script)
{
  tu_sbx_env (r, proj, env, "-v", "exec", "--", "sh", "-c", script, NULL);
}

/* A listening socket on the host (the test's), non-blocking. */
static int
host_listener (const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  cr_assert_geq (fd, 0);
  unlink (path);
  cr_assert_eq (bind (fd, (struct sockaddr *) &sa, sizeof sa), 0, "bind %s: %m", path);
  cr_assert_eq (listen (fd, 8), 0);
  chmod (path, 0777);
  return fd;
}

static void
assert_nobody_connected (int lfd, const char *what)
{
  int c = accept4 (lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  cr_assert (c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
             "sbx connected to a socket a command pointed it at (%s)", what);
}

Test (container_security, a_planted_agent_gets_nothing_and_the_command_runs_for_real)
{
  char *proj = tu_project_up (NULL);
  tu_result r;
  sh_in (&r, proj, agent_on, "true");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  /* A listener of the command's own, with the real agent's tag, made the
     project's "current". */
  sh_in (&r, proj, agent_on,
         "tag=$(tr '\\0' '\\n' </proc/1/cmdline | sed -n 4p); "
         "setsid /.sbx/agent serve /.sbx/run/a-fake.sock \"$tag\" </dev/null >/dev/null 2>&1 & "
         "i=0; while [ ! -S /.sbx/run/a-fake.sock ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); "
         "done; "
         "ln -s a-fake.sock /.sbx/run/cur.new && mv -f /.sbx/run/cur.new /.sbx/run/current && "
         "readlink /.sbx/run/current");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "a-fake.sock\n");
  tu_result_clear (&r);

  /* The command runs under the container's init (its supervisor's parent
     is PID 1), not under the planted listener, and the token with it. */
  tu_sbx_env (&r, proj, agent_on, "-v", "exec", "-e", "API_TOKEN=s3cret", "--", "sh", "-c",
              "echo parent=$(cut -d' ' -f4 /proc/$PPID/stat) token=$API_TOKEN", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "parent=1 token=s3cret\n", "stderr: %s", r.err);
  cr_assert (strstr (r.err, "is not the sbx agent's") != NULL, "%s", r.err);
  tu_result_clear (&r);

  /* The engine's State.Pid is checked too when sbx inspected the
     container: the planted listener under the container's socket name. */
  json_t *ins = tu_up_inspect (proj);
  const char *name = json_string_value (json_object_get (
      json_object_get (json_object_get (ins, "Config"), "Labels"), "dev.sbx.agent"));
  cr_assert_not_null (name);
  _cleanup_free_ char *swap = xasprintf ("cd /.sbx/run && mv -f a-fake.sock %s", name);
  json_decref (ins);
  sh_in (&r, proj, api_on, swap);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx_env (&r, proj, agent_on, "-v", "exec", "-e", "API_TOKEN=s3cret", "--", "sh", "-c",
              "echo token=$API_TOKEN", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "token=s3cret\n", "stderr: %s", r.err);
  cr_assert (strstr (r.err, "through the engine API") != NULL, "%s", r.err);
  cr_assert (strstr (r.err, "not the container's init") != NULL, "%s", r.err);
  tu_result_clear (&r);
  tu_project_remove (proj);
}

Test (container_security, symlinks_planted_in_the_agent_directory_are_not_followed)
{
  char *proj = tu_project_up (NULL);
  char *elsewhere = tu_mkproject ();
  _cleanup_free_ char *evil = xasprintf ("%s/evil.sock", elsewhere);
  int lfd = host_listener (evil);
  tu_result r;
  sh_in (&r, proj, agent_on, "true");
  tu_result_clear (&r);

  /* current -> a host socket (the engine's, say): dangling inside. */
  _cleanup_free_ char *plant = xasprintf ("ln -sfn %s /.sbx/run/current", evil);
  sh_in (&r, proj, agent_on, plant);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  sh_in (&r, proj, agent_on, "echo fine");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "fine\n");
  assert_nobody_connected (lfd, "current");
  tu_result_clear (&r);

  /* The agent's own socket replaced by a symlink to it. */
  json_t *ins = tu_up_inspect (proj);
  const char *name = json_string_value (json_object_get (
      json_object_get (json_object_get (ins, "Config"), "Labels"), "dev.sbx.agent"));
  cr_assert_not_null (name);
  _cleanup_free_ char *replace
      = xasprintf ("cd /.sbx/run && mv %s kept.sock && ln -s %s %s && ln -sfn %s current", name,
                   evil, name, name);
  json_decref (ins);
  sh_in (&r, proj, api_on, replace);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  sh_in (&r, proj, agent_on, "echo fine again");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "fine again\n");
  cr_assert (strstr (r.err, "through the engine API") != NULL, "%s", r.err);
  assert_nobody_connected (lfd, "the agent's socket");
  tu_result_clear (&r);
  close (lfd);
  tu_rmrf (elsewhere);
  free (elsewhere);
  tu_project_remove (proj);
}

Test (container_security, agent_directories_are_private_and_not_under_tmp)
{
  char *proj = tu_project_up (NULL);
  sbx_project *p = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_project_open (proj, 1, &p, &err), 0);
  char *dir = NULL;
  cr_assert_eq (devenv_agent_dir (p->id, NULL, false, &dir, &err), 0);
  cr_assert_not_null (dir);
  cr_assert (strncmp (dir, "/tmp/", 5) != 0 && strncmp (dir, "/var/tmp/", 9) != 0,
             "agent directory under a temporary directory: %s", dir);
  struct stat st;
  cr_assert_eq (lstat (dir, &st), 0, "%s: %m", dir);
  cr_assert (S_ISDIR (st.st_mode) && (st.st_mode & 077) == 0 && st.st_uid == getuid (), "%s", dir);
  char *slash = strrchr (dir, '/');
  *slash = '\0';
  cr_assert_eq (lstat (dir, &st), 0);
  cr_assert (S_ISDIR (st.st_mode) && (st.st_mode & 077) == 0 && st.st_uid == getuid (), "%s", dir);
  free (dir);
  sbx_project_free (p);
  tu_project_remove (proj);
}

static void
nothing_survives_a_timeout (char **env, const char *script)
{
  char *proj = tu_project_up (NULL);
  tu_result r;
  tu_sbx_env (&r, proj, env, "exec", "--timeout", "2s", "--", "sh", "-c", script, NULL);
  cr_assert_eq (r.status, 124, "%s", r.err);
  tu_result_clear (&r);
  /* The kill is over when sbx returns; a few looks for a loaded machine. */
  bool left = true;
  for (int i = 0; i < 20 && left; i++)
    {
      tu_sbx_env (&r, proj, env, "exec", "--", "ps", "-o", "args", NULL);
      cr_assert_eq (r.status, 0, "%s", r.err);
      left = strstr (r.out, "sleep 300") != NULL;
      if (left && i == 19)
        cr_assert_fail ("survivors: %s", r.out);
      tu_result_clear (&r);
      if (left)
        usleep (250 * 1000);
    }
  tu_project_remove (proj);
}

#define ESCAPE "env -i setsid sh -c 'sleep 300' "

/* The command kills its own supervisor (it runs as the same user): what it
   started, no longer the supervisor's, is ended by the exec's token. */
Test (container_security, a_command_that_kills_its_supervisor_leaves_nothing)
{
  char *proj = tu_project_up (NULL);
  tu_result r;
  tu_sbx_env (&r, proj, agent_on, "exec", "--", "sh", "-c",
              "setsid sleep 301 </dev/null >/dev/null 2>&1 & sleep 0.3; kill -9 $PPID; sleep 5",
              NULL);
  cr_expect_eq (r.status, 137, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx_env (&r, proj, agent_on, "exec", "--", "ps", "-o", "args", NULL);
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_null (strstr (r.out, "sleep 301"), "survivors: %s", r.out);
  tu_result_clear (&r);
  tu_project_remove (proj);
}

Test (container_security, a_timed_out_command_leaves_nothing_through_the_agent)
{
  nothing_survives_a_timeout (agent_on, ESCAPE "& sleep 300");
  /* The command itself gone first, its escapee holding the output. */
  nothing_survives_a_timeout (agent_on, ESCAPE "& exit 0");
}

Test (container_security, a_timed_out_command_leaves_nothing_through_the_engine)
{
  nothing_survives_a_timeout (api_on, ESCAPE "& sleep 300");
  nothing_survives_a_timeout (api_on, ESCAPE ">/dev/null 2>&1 & sleep 300");
}

static void
no_setuid (char **env)
{
  char *proj = tu_project_up (NULL);
  tu_result r;
  tu_sbx_env (&r, proj, env, "exec", "--", "sh", "-c",
              "cp /bin/busybox x && chmod u+s x; echo u=$?; chmod g+s x; echo g=$?; "
              "chmod 6755 x; echo n=$?; chmod +x x; echo x=$?; "
              "mknod /tmp/kmsg c 1 11; echo c=$?; mknod /tmp/b b 7 0; echo b=$?; "
              "mkfifo /tmp/f; echo p=$?; mkdir d && chmod 755 d; echo d=$?",
              NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "u=1\ng=1\nn=1\nx=0\nc=1\nb=1\np=0\nd=0\n", "stderr: %s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *x = xasprintf ("%s/x", proj);
  struct stat st;
  cr_assert_eq (stat (x, &st), 0);
  cr_assert_eq (st.st_mode & (S_ISUID | S_ISGID), 0, "mode %o", st.st_mode);
  cr_assert (st.st_mode & S_IXUSR);
  tu_project_remove (proj);
}

Test (container_security, no_setuid_bit_nor_device_through_the_agent)
{
  no_setuid (agent_on);
}

Test (container_security, no_setuid_bit_nor_device_through_the_engine)
{
  no_setuid (api_on);
}

Test (container_security, memory_is_bounded_by_default)
{
  char *proj = tu_project_up (NULL);
  json_t *ins = tu_up_inspect (proj);
  json_t *hc = json_object_get (ins, "HostConfig");
  long long mem = json_integer_value (json_object_get (hc, "Memory"));
  long long half = (long long) sysconf (_SC_PHYS_PAGES) * sysconf (_SC_PAGESIZE) / 2;
  long long want = half < (4LL << 30) ? (half >> 20) << 20 : 4LL << 30;
  cr_assert_eq (mem, want, "Memory %lld, want %lld", mem, want);
  cr_assert_eq (json_integer_value (json_object_get (hc, "MemorySwap")), mem);
  json_decref (ins);
  /* The container sees it: its cgroup's limit. */
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "sh", "-c",
          "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat "
          "/sys/fs/cgroup/memory/memory.limit_in_bytes",
          NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_eq (atoll (r.out), mem, "%s", r.out);
  tu_result_clear (&r);
  tu_project_remove (proj);
}

static void
fork_bomb (char **env)
{
  char *proj = tu_project_up (NULL);
  tu_result r;
  /* The shell becomes the sleep without a fork: at the pids limit, a fork
     of its own would fail and end it (status 2) before the timeout. */
  tu_sbx_env (&r, proj, env, "exec", "--timeout", "5s", "--", "sh", "-c",
              "b() { b | b & }; b; exec sleep 300", NULL);
  int status = r.status;
  size_t n = strlen (r.err);
  _cleanup_free_ char *tail = xstrdup (r.err + (n > 600 ? n - 600 : 0));
  tu_result_clear (&r);
  if (status != 124)
    tu_project_remove (proj); /* a bomb left running would starve the suite */
  cr_assert_eq (status, 124, "%s: status %d, stderr ends: %s", env[0], status, tail);
  tu_sbx_env (&r, proj, env, "exec", "--", "sh", "-c", "echo alive; ls /proc | grep -c '^[0-9]'",
              NULL);
  cr_assert_eq (r.status, 0, "%.2000s", r.err);
  cr_assert (strncmp (r.out, "alive\n", 6) == 0, "%s", r.out);
  /* PID 1, this command's own few: nothing of the bomb. */
  cr_assert_lt (atoi (r.out + 6), 10, "processes left: %s", r.out + 6);
  tu_result_clear (&r);
  tu_project_remove (proj);
}

/* One test for both paths, one after the other: two bombs at once on a
   small machine starve everything else the suite runs. */
Test (container_security, a_fork_bomb_ends_at_its_timeout_on_both_paths)
{
  fork_bomb (agent_on);
  fork_bomb (api_on);
}

Test (container_security, git_and_sbx_files_are_read_only_inside)
{
  char *proj = tu_mkproject ();
  tu_write_file (proj, ".git/config", "[core]\n\trepositoryformatversion = 0\n");
  tu_write_file (proj, ".git/HEAD", "ref: refs/heads/main\n");
  tu_write_file (proj, ".git/hooks/README", "hooks\n");
  tu_write_file (proj, ".git/info/exclude", "\n");
  tu_write_file (proj, ".git/objects/info/packs", "");
  tu_write_file (proj, ".git/refs/heads/.keep", "");
  tu_write_file (proj, ".sbx/config.json", "{}\n");
  tu_write_file (proj, ".devcontainer/devcontainer.json", "{}\n");
  tu_write_file (proj, "src.txt", "one\n");
  tu_result r;
  tu_sbx (&r, proj, "up", "--image", TU_IMAGE, NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "sh", "-c",
          "echo '[core] fsmonitor = evil' >> .git/config; echo config=$?; "
          "echo evil > .git/hooks/pre-commit; echo hook=$?; "
          "echo x >> .git/info/exclude; echo info=$?; "
          "mv .git moved; echo mv=$?; rm -rf .git/hooks; echo rmhooks=$?; "
          "echo '{\"isolation\":\"off\"}' > .sbx/config.json; echo sbx=$?; "
          "mv .sbx sbx2; echo mvsbx=$?; "
          "echo '{}' > .devcontainer/devcontainer.json; echo dc=$?; "
          "echo two >> src.txt; echo src=$?; "
          "echo blob > .git/objects/info/x && echo ref > .git/refs/heads/main && echo idx > "
          ".git/index; "
          "echo git=$?",
          NULL);
  cr_assert_str_eq (
      r.out, "config=1\nhook=1\ninfo=1\nmv=1\nrmhooks=1\nsbx=1\nmvsbx=1\ndc=1\nsrc=0\ngit=0\n",
      "stderr: %s", r.err);
  tu_result_clear (&r);
  char *cfg = tu_read_file (xasprintf ("%s/.git/config", proj));
  cr_assert (cfg && strstr (cfg, "fsmonitor") == NULL, "%s", cfg);
  free (cfg);
  _cleanup_free_ char *hook = xasprintf ("%s/.git/hooks/pre-commit", proj);
  cr_assert_neq (access (hook, F_OK), 0);
  char *src = tu_read_file (xasprintf ("%s/src.txt", proj));
  cr_assert_str_eq (src, "one\ntwo\n");
  free (src);
  tu_project_remove (proj);
}

/* Commands run as the agent's user: they must not be able to trace it or
   read its memory (and so become the init the host trusts). */
Test (container_security, commands_cannot_trace_the_agent)
{
  char *proj = tu_project_up (NULL);
  char **envs[] = { agent_on, api_on };
  for (size_t i = 0; i < 2; i++)
    {
      tu_result r;
      tu_sbx_env (&r, proj, envs[i], "exec", "--", "sh", "-c",
                  "cat /proc/1/environ >/dev/null 2>&1; echo environ=$?; "
                  "dd if=/proc/1/mem of=/dev/null bs=1 count=1 2>/dev/null; echo mem=$?; "
                  "cat /proc/1/stat >/dev/null; echo stat=$?",
                  NULL);
      cr_assert_eq (r.status, 0, "%s", r.err);
      cr_assert_str_eq (r.out, "environ=1\nmem=1\nstat=0\n", "stderr: %s", r.err);
      tu_result_clear (&r);
    }
  tu_project_remove (proj);
}

/* Under gVisor (maximum: the engine's exec API only) the commands' seccomp
   filter and the supervisor's tree kill work as under runc. */
Test (container_security, maximum_refuses_setuid_bits_and_kills_escapees)
{
  if (tu_maximum_refused_on_podman ())
    return;
  char *proj = tu_project_up ("maximum");
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "sh", "-c",
          "cp /bin/busybox x && chmod u+s x; echo u=$?; chmod +x x; echo x=$?", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "u=1\nx=0\n", "stderr: %s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *x = xasprintf ("%s/x", proj);
  struct stat st;
  cr_assert_eq (stat (x, &st), 0);
  cr_assert_eq (st.st_mode & (S_ISUID | S_ISGID), 0, "mode %o", st.st_mode);
  tu_sbx (&r, proj, "exec", "--timeout", "2s", "--", "sh", "-c", ESCAPE "& sleep 300", NULL);
  cr_assert_eq (r.status, 124, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "ps", "-o", "args", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, "sleep 300") == NULL, "survivors: %s", r.out);
  tu_result_clear (&r);
  tu_project_remove (proj);
}

/* ---- protected paths that do not exist when the container starts ---- */

/* A repository made by git init with, beside its .git, a git dir "evil"
   whose config runs a planted fsmonitor (printing TU_PLANT_MARKER), checked to
   work once .git/commondir names it; its container up at level. */
static char *
evil_repo_up (const char *level)
{
  char *proj = tu_evil_repo ();
  tu_result r;
  tu_sbx (&r, proj, "up", "--image", TU_IMAGE, "--isolation", level, NULL);
  cr_assert_eq (r.status, 0, "sbx up: %s", r.err);
  tu_result_clear (&r);
  return proj;
}

/* Beyond tu_plants: left running in the background, past the exec that
   started it. */
static const tu_plant background_plant = {
  "(sleep 1; printf '%1$s/evil\\n' > .git/commondir) >/dev/null 2>&1 & sleep 30; echo SURVIVED",
  ".git/commondir"
};

/* Each plant in turn in one container (each one stops it; the next exec
   starts it again): the name is gone, git on the host runs nothing
   planted, sbx exits 125 with the line. */
static void
missing_names (const char *level, char **env)
{
  char *proj = evil_repo_up (level);
  _cleanup_free_ char *target = xasprintf ("%s.target", proj);
  _cleanup_free_ char *evil = xasprintf ("%s/evil\n", proj);
  FILE *f = fopen (target, "w");
  cr_assert_not_null (f);
  fputs (evil, f);
  fclose (f);
  for (size_t i = 0; i <= tu_n_plants; i++)
    {
      const tu_plant *plant = i < tu_n_plants ? &tu_plants[i] : &background_plant;
      _cleanup_free_ char *script = xasprintf (plant->script, proj);
      tu_result r;
      tu_sbx_env (&r, proj, env, "exec", "--", "sh", "-c", script, NULL);
      cr_expect_eq (r.status, 125, "%s %s: %s: %s", level, env[0], script, r.err);
      cr_expect_null (strstr (r.out, "SURVIVED"), "%s: the command went on", script);
      _cleanup_free_ char *line
          = xasprintf ("sbx: the command created %s/%s, " TU_GUARD_LINE "\n", proj, plant->gone);
      cr_expect_not_null (strstr (r.err, line), "%s %s: %s: %s", level, env[0], script, r.err);
      tu_result_clear (&r);
      _cleanup_free_ char *gone = xasprintf ("%s/%s", proj, plant->gone);
      struct stat st;
      cr_expect_neq (lstat (gone, &st), 0, "%s: %s is still there", script, gone);
      tu_git (&r, proj, "status", NULL);
      cr_expect_eq (r.status, 0, "git status: %s", r.err);
      cr_expect_null (strstr (r.err, TU_PLANT_MARKER), "%s: git ran the planted code", script);
      tu_result_clear (&r);
      _cleanup_free_ char *kept = tu_read_file (target);
      cr_expect_str_eq (kept, evil, "the symlink's target was touched");
    }
  /* And the container runs commands again. */
  tu_result r;
  tu_sbx_env (&r, proj, env, "exec", "--", "echo", "again", NULL);
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_str_eq (r.out, "again\n");
  tu_result_clear (&r);
  unlink (target);
  tu_project_remove (proj);
}

Test (container_security, missing_protected_names_through_the_agent)
{
  missing_names ("container", agent_on);
}

Test (container_security, missing_protected_names_through_the_engine)
{
  missing_names ("container", api_on);
}

/* A project inside another repository's work tree (a directory of a
   monorepo with a marker of its own), without a .git of its own: a .git
   made in it would redirect the user's git there.  Refused on both exec
   paths. */
Test (container_security, a_git_made_in_a_project_inside_a_repository)
{
  _cleanup_free_ char *repo = tu_evil_repo ();
  _cleanup_free_ char *proj = xasprintf ("%s/sub", repo);
  tu_write_file (repo, "sub/.sbx/config.json", "{}\n");
  tu_result r;
  tu_sbx (&r, proj, "up", "--image", TU_IMAGE, NULL);
  cr_assert_eq (r.status, 0, "sbx up: %s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *script
      = xasprintf ("printf 'gitdir: %s/evil\\n' > .git; sleep 30; echo SURVIVED", repo);
  _cleanup_free_ char *line
      = xasprintf ("sbx: the command created %s/.git, " TU_GUARD_LINE "\n", proj);
  _cleanup_free_ char *git = xasprintf ("%s/.git", proj);
  char **envs[] = { agent_on, api_on };
  for (size_t i = 0; i < 2; i++)
    {
      tu_sbx_env (&r, proj, envs[i], "exec", "--", "sh", "-c", script, NULL);
      cr_expect_eq (r.status, 125, "%s: %s", envs[i][0], r.err);
      cr_expect_null (strstr (r.out, "SURVIVED"), "%s: the command went on", envs[i][0]);
      cr_expect_not_null (strstr (r.err, line), "%s: %s", envs[i][0], r.err);
      tu_result_clear (&r);
      struct stat st;
      cr_expect_neq (lstat (git, &st), 0, "%s: %s is still there", envs[i][0], git);
      tu_git (&r, proj, "status", NULL);
      cr_expect_null (strstr (r.err, TU_PLANT_MARKER), "%s: git ran the planted code", envs[i][0]);
      tu_result_clear (&r);
    }
  tu_project_remove (xstrdup (proj));
  tu_rmrf (repo);
}

/* git on the host may make .git/config.worktree (git config --worktree)
   while the container idles: it is left as it is. */
Test (container_security, a_name_made_on_the_host_while_idle_is_left)
{
  char *proj = evil_repo_up ("container");
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "true", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  sleep (6); /* the agent notes the idle container within a second; more on a loaded machine */
  _cleanup_free_ char *wt = xasprintf ("%s/.git/config.worktree", proj);
  tu_write_file (proj, ".git/config.worktree", "[user]\n\tname = Host\n");
  sleep (2);
  cr_expect_eq (access (wt, F_OK), 0, "the agent removed what the host made");
  tu_sbx (&r, proj, "exec", "--", "echo", "ok", NULL);
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_str_eq (r.out, "ok\n");
  tu_result_clear (&r);
  tu_project_remove (proj);
}

/* A project without .git: what git init and git worktree add make is
   made inside; a repository made with an empty template gets .git/hooks
   (read-only inside). */
Test (container_security, git_dirs_made_inside_or_made_for_an_empty_template)
{
  char *proj = tu_project_up (NULL);
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "sh", "-c",
          "mkdir -p .git/hooks .git/info .git/worktrees/x && echo '[core]' > .git/config && "
          "echo '#!/bin/sh' > .git/hooks/pre-commit && echo MADE",
          NULL);
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_str_eq (r.out, "MADE\n", "%s", r.err);
  tu_result_clear (&r);
  tu_project_remove (proj);

  proj = tu_mkproject ();
  _cleanup_free_ char *tmpl = tu_mkproject ();
  _cleanup_free_ char *opt = xasprintf ("--template=%s", tmpl);
  tu_git (&r, proj, "init", opt);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *hooks = xasprintf ("%s/.git/hooks", proj);
  cr_assert_neq (access (hooks, F_OK), 0);
  tu_sbx (&r, proj, "up", "--image", TU_IMAGE, NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "sh", "-c",
          "echo 'echo " TU_PLANT_MARKER "' > .git/hooks/pre-commit; echo rc=$?", NULL);
  cr_expect_str_eq (r.out, "rc=1\n", "%s", r.err);
  cr_expect_not_null (strstr (r.err, "Read-only file system"), "%s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *hook = xasprintf ("%s/pre-commit", hooks);
  cr_expect_neq (access (hook, F_OK), 0, "a hook was planted");
  struct stat st;
  cr_expect (stat (hooks, &st) == 0 && S_ISDIR (st.st_mode) && (st.st_mode & 07777) == 0755);
  tu_project_remove (proj);
  tu_rmrf (tmpl);
}

Test (container_security, missing_protected_names_at_maximum)
{
  if (tu_maximum_refused_on_podman ())
    return;
  missing_names ("maximum", agent_on);
}
