/* test_reaper.c: the default level's runner: nothing the command started
   outlives host_run (setsid, double fork, a fork bomb still forking), root
   keeps no capability, and processes and memory are bounded. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sec_helpers.h"
#include "util.h"

static hh_tree tree;

static void
left_behind (uid_t uid)
{
  sec_tree_make (&tree, uid);
  host_policy pol = { .project_dir = tree.project, .allow_write = true };
  int tag = (int) getpid () % 1000 + 1000 * (uid != 0);
  _cleanup_free_ char *daemon = xasprintf ("sleep 3%04d.1", tag);
  _cleanup_free_ char *twice = xasprintf ("sleep 3%04d.2", tag);
  _cleanup_free_ char *script
      = xasprintf ("setsid sh -c '%s' & (sh -c '%s &' &); sleep 0.2; exit 7", daemon, twice);
  _cleanup_free_ char *out = NULL;
  int st = sec_run (uid, HOST_CONFINE_LANDLOCK, &pol, script, 0, &out);
  cr_expect_eq (st, 7, "%s", out);
  cr_expect_eq (sec_count_cmdline (daemon), 0, "a setsid daemon outlived host_run");
  cr_expect_eq (sec_count_cmdline (twice), 0, "a double-forked process outlived host_run");
  hh_tree_free (&tree);
}

Test (reaper, nothing_left_root)
{
  left_behind (0);
}

Test (reaper, nothing_left_nonroot)
{
  left_behind (SEC_NOBODY);
}

Test (reaper, root_without_capabilities)
{
  sec_tree_make (&tree, 0);
  host_policy pol = { .project_dir = tree.project, .allow_write = true };
  _cleanup_free_ char *out = NULL;
  int st = sec_run (0, HOST_CONFINE_LANDLOCK, &pol,
                    "grep -E '^Cap(Eff|Prm|Bnd|Inh|Amb)' /proc/self/status; id -u; "
                    "echo x > f; chown 1000:1000 f && echo CHOWN-OK; "
                    "mknod dev c 1 3 && echo MKNOD-OK; hostname sbx-evil && echo HOSTNAME-OK; true",
                    0, &out);
  cr_expect_eq (st, 0, "%s", out);
  cr_expect_not_null (strstr (out, "\n0\n"), "not root: %s", out);
  static const char *const caps[] = { "CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb", NULL };
  for (const char *const *c = caps; *c; c++)
    {
      _cleanup_free_ char *want = xasprintf ("%s:\t0000000000000000", *c);
      cr_expect_not_null (strstr (out, want), "%s not empty: %s", *c, out);
    }
  cr_expect_null (strstr (out, "CHOWN-OK"), "%s", out);
  cr_expect_null (strstr (out, "MKNOD-OK"), "%s", out);
  cr_expect_null (strstr (out, "HOSTNAME-OK"), "%s", out);
  struct stat s;
  _cleanup_free_ char *f = xasprintf ("%s/f", tree.project);
  cr_assert_eq (stat (f, &s), 0);
  cr_expect_eq (s.st_uid, 0);
  hh_tree_free (&tree);
}

/* Spawn sleepers until the kernel refuses; print how many. */
static const char spawn_py[]
    = "python3 -c 'import os\n"
      "n = 0\n"
      "while n < 100000:\n"
      "  try:\n"
      "    os.posix_spawn(\"/bin/sleep\", [\"sleep\", \"%s\"], os.environ)\n"
      "  except OSError as e:\n"
      "    print(\"REFUSED\", e.errno, \"after\", n); break\n"
      "  n += 1\n"
      "else:\n"
      "  print(\"UNBOUNDED\")\n'";

static void
fork_bound (uid_t uid)
{
  sec_tree_make (&tree, uid);
  host_policy pol = { .project_dir = tree.project, .allow_write = true };
  _cleanup_free_ char *tag = xasprintf ("4%04d.5", (int) getpid () % 10000);
  _cleanup_free_ char *script = xasprintf (spawn_py, tag);
  _cleanup_free_ char *out = NULL;
  int st = sec_run (uid, HOST_CONFINE_LANDLOCK, &pol, script, 0, &out);
  cr_expect_eq (st, 0, "%s", out);
  cr_expect_not_null (strstr (out, "REFUSED 11 after"), "the processes are not bounded: %s", out);
  _cleanup_free_ char *cmd = xasprintf ("sleep %s", tag);
  cr_expect_eq (sec_count_cmdline (cmd), 0, "sleepers outlived host_run");
  /* The machine is usable: this process can still fork. */
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    _exit (0);
  waitpid (pid, NULL, 0);
  hh_tree_free (&tree);
}

Test (reaper, processes_bounded_root, .timeout = 300)
{
  fork_bound (0);
}

Test (reaper, processes_bounded_nonroot, .timeout = 300)
{
  fork_bound (SEC_NOBODY);
}

/* A real fork bomb: the command returns at once and leaves it forking; the
   reaper must still converge, and nothing be left. */
Test (reaper, fork_bomb_ends, .timeout = 300)
{
  sec_tree_make (&tree, SEC_NOBODY);
  host_policy pol = { .project_dir = tree.project, .allow_write = true };
  _cleanup_free_ char *out = NULL;
  int st = sec_run (SEC_NOBODY, HOST_CONFINE_LANDLOCK, &pol,
                    "bomb() { bomb | bomb & }; bomb 2>/dev/null; sleep 1; exit 3", 0, &out);
  cr_expect_eq (st, 3, "%s", out);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    _exit (0);
  waitpid (pid, NULL, 0);
  hh_tree_free (&tree);
}

static void
memory_bound (uid_t uid)
{
  sec_tree_make (&tree, uid);
  host_policy pol = { .project_dir = tree.project, .allow_write = true };
  _cleanup_free_ char *out = NULL;
  int st = sec_run (uid, HOST_CONFINE_LANDLOCK, &pol,
                    "python3 -c 'b = bytearray(512 << 20); b[::4096] = b\"x\" * len(b[::4096]); "
                    "print(\"ALLOCATED\")'",
                    128, &out);
  cr_expect_neq (st, 0, "%s", out);
  cr_expect_null (strstr (out, "ALLOCATED"), "512 MiB allocated under a 128 MiB bound: %s", out);
  cr_expect_not_null (strstr (out, "MemoryError"), "%s", out);
  free (out), out = NULL;
  st = sec_run (uid, HOST_CONFINE_LANDLOCK, &pol,
                "python3 -c 'b = bytearray(32 << 20); print(\"ALLOCATED\")'", 128, &out);
  cr_expect_eq (st, 0, "%s", out);
  cr_expect_not_null (strstr (out, "ALLOCATED"), "%s", out);
  hh_tree_free (&tree);
}

Test (reaper, memory_bounded_root)
{
  memory_bound (0);
}

Test (reaper, memory_bounded_nonroot)
{
  memory_bound (SEC_NOBODY);
}
