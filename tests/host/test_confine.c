/* test_confine.c: every host backend of this machine (Landlock + seccomp,
   bwrap + seccomp), tried for real through host_run: reads outside the
   granted dirs fail, read-only dirs cannot be written, the project can,
   TCP to a loopback listener fails with network off and works with it on,
   ptrace and mount fail, exit statuses and signals pass through. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "host_helpers.h"
#include "util.h"

static hh_tree tree;

static void
setup (void)
{
  hh_tree_make (&tree);
}

static void
teardown (void)
{
  hh_tree_free (&tree);
}

static host_policy
policy (bool network)
{
  static char *ro[2];
  ro[0] = tree.ro;
  ro[1] = NULL;
  host_policy p = { .project_dir = tree.project, .allow_write = true,
                    .allow_network = network, .ro_dirs = ro };
  return p;
}

static int
sh (host_confine c, bool network, const char *script, char **out)
{
  host_policy pol = policy (network);
  char *const argv[] = { "/bin/sh", "-c", (char *) script, NULL };
  return hh_run (c, &pol, argv, out);
}

/* Python (under /usr, readable in every sandbox) for the system calls a
   shell cannot make. */
static const char probe_py[]
    = "import ctypes, os, socket\n"
      "libc = ctypes.CDLL(None, use_errno=True)\n"
      "r = libc.ptrace(16, os.getppid(), 0, 0)\n"
      "print('ptrace', r, ctypes.get_errno())\n"
      "os.makedirs('mnt', exist_ok=True)\n"
      "r = libc.mount(b'none', b'mnt', b'tmpfs', 0, None)\n"
      "print('mount', r, ctypes.get_errno())\n"
      "r = libc.unshare(0x10000000)\n"
      "print('userns', r, ctypes.get_errno())\n";

static void
check_files (host_confine c)
{
  _cleanup_free_ char *out = NULL;
  _cleanup_free_ char *script = xasprintf ("cat %s/key", tree.secret);
  int st = sh (c, false, script, &out);
  cr_expect_neq (st, 0, "reading %s/key outside the granted dirs worked: %s", tree.secret, out);
  cr_expect_null (strstr (out, "top-secret-content"), "secret leaked: %s", out);

  free (out), out = NULL;
  free (script);
  script = xasprintf ("cat %s/data", tree.ro);
  st = sh (c, false, script, &out);
  cr_expect_eq (st, 0, "reading the read-only dir failed: %s", out);
  cr_expect_not_null (strstr (out, "read-only-content"));

  free (out), out = NULL;
  free (script);
  script = xasprintf ("echo x > %s/new", tree.ro);
  st = sh (c, false, script, &out);
  cr_expect_neq (st, 0, "writing the read-only dir worked");
  cr_expect (!hh_file_exists (tree.ro, "new"), "a file appeared in the read-only dir");

  free (out), out = NULL;
  free (script);
  script = xasprintf ("rm %s/data", tree.ro);
  st = sh (c, false, script, &out);
  cr_expect_neq (st, 0, "removing from the read-only dir worked");
  cr_expect (hh_file_exists (tree.ro, "data"));

  free (out), out = NULL;
  free (script);
  script = xasprintf ("echo written > %s/out && mkdir %s/sub && pwd", tree.project, tree.project);
  st = sh (c, false, script, &out);
  cr_expect_eq (st, 0, "writing the project failed: %s", out);
  cr_expect (hh_file_exists (tree.project, "out"));
  cr_expect (hh_file_exists (tree.project, "sub"));
  cr_expect_not_null (strstr (out, tree.project), "working directory is not the project: %s",
                      out);

  free (out), out = NULL;
  st = sh (c, false, "echo t > /tmp/sbx-host-test-$$ && rm /tmp/sbx-host-test-$$", &out);
  cr_expect_eq (st, 0, "/tmp is not writable: %s", out);

  free (out), out = NULL;
  st = sh (c, false, "cat /etc/shadow /root/.bash_history 2>&1; ls /root", &out);
  cr_expect_neq (st, 0, "listing /root worked: %s", out);
}

static void
check_network (host_confine c)
{
  int port;
  int lfd = hh_listen_tcp (&port);
  _cleanup_free_ char *script
      = xasprintf ("exec /bin/bash -c 'echo hi > /dev/tcp/127.0.0.1/%d'", port);
  _cleanup_free_ char *out = NULL;
  int st = sh (c, false, script, &out);
  cr_expect_neq (st, 0, "TCP connect worked with network off: %s", out);

  free (out), out = NULL;
  st = sh (c, true, script, &out);
  cr_expect_eq (st, 0, "TCP connect failed with network on: %s", out);
  close (lfd);

  /* UDP and other families are off too (seccomp), AF_UNIX stays. */
  free (out), out = NULL;
  host_policy pol = policy (false);
  char *const py[] = { "/usr/bin/python3", "-c",
                       "import socket\n"
                       "for f, t in ((socket.AF_INET, socket.SOCK_DGRAM), (socket.AF_INET6, "
                       "socket.SOCK_STREAM), (socket.AF_UNIX, socket.SOCK_STREAM)):\n"
                       "  try:\n    socket.socket(f, t); print(int(f), 'ok')\n"
                       "  except OSError as e: print(int(f), 'denied', e.errno)\n",
                       NULL };
  st = hh_run (c, &pol, py, &out);
  cr_expect_eq (st, 0, "%s", out);
  cr_expect_not_null (strstr (out, "2 denied"), "UDP socket allowed with network off: %s", out);
  cr_expect_not_null (strstr (out, "10 denied"), "IPv6 socket allowed with network off: %s", out);
  cr_expect_not_null (strstr (out, "1 ok"), "AF_UNIX socket denied: %s", out);
}

static void
check_syscalls (host_confine c)
{
  host_policy pol = policy (false);
  char *const argv[] = { "/usr/bin/python3", "-c", (char *) probe_py, NULL };
  _cleanup_free_ char *out = NULL;
  int st = hh_run (c, &pol, argv, &out);
  cr_assert_eq (st, 0, "%s", out);
  cr_expect_not_null (strstr (out, "ptrace -1 1\n"), "ptrace was not denied with EPERM: %s", out);
  cr_expect_not_null (strstr (out, "mount -1 1\n"), "mount was not denied with EPERM: %s", out);
  cr_expect_not_null (strstr (out, "userns -1 1\n"), "user namespace not denied: %s", out);
}

static void
check_status (host_confine c)
{
  _cleanup_free_ char *out = NULL;
  cr_expect_eq (sh (c, false, "exit 42", &out), 42);
  free (out), out = NULL;
  cr_expect_eq (sh (c, false, "exit 0", &out), 0);
  free (out), out = NULL;
  cr_expect_eq (sh (c, false, "kill -KILL $$", &out), 128 + SIGKILL);
  free (out), out = NULL;

  host_policy pol = policy (false);
  char *const missing[] = { "sbx-no-such-command", NULL };
  cr_expect_eq (hh_run (c, &pol, missing, &out), 127, "%s", out);
  cr_expect_not_null (strstr (out, "sbx-no-such-command"));
  free (out), out = NULL;
  _cleanup_free_ char *data = xasprintf ("%s/data", tree.ro);
  char *const noexec[] = { data, NULL };
  cr_expect_eq (hh_run (c, &pol, noexec, &out), 126, "%s", out);
}

static void
check_signals (host_confine c)
{
  host_policy pol = policy (false);
  char *const argv[] = { "/bin/sh", "-c",
                         "trap 'echo got-term; exit 42' TERM; echo ready; "
                         "while :; do sleep 0.05; done",
                         NULL };
  hh_proc p;
  _cleanup_free_ char *out = NULL;
  hh_start (&p, c, &pol, argv);
  cr_assert (hh_wait_for (&p, "ready", &out), "the command did not start: %s", out);
  kill (p.pid, SIGTERM);
  int st = hh_finish (&p, &out);
  cr_expect_eq (st, 42, "SIGTERM was not forwarded to the command (status %d): %s", st, out);
  cr_expect_not_null (strstr (out, "got-term"));

  /* A signal the command does not handle kills it: 128+N. */
  char *const plain[] = { "/bin/sh", "-c", "echo ready; exec sleep 30", NULL };
  free (out), out = NULL;
  hh_start (&p, c, &pol, plain);
  cr_assert (hh_wait_for (&p, "ready", &out));
  usleep (100 * 1000);
  kill (p.pid, SIGINT);
  st = hh_finish (&p, &out);
  cr_expect_eq (st, 128 + SIGINT, "status %d: %s", st, out);
}

TestSuite (landlock, .init = setup, .fini = teardown, .timeout = 60);

Test (landlock, files)
{
  check_files (HOST_CONFINE_LANDLOCK);
}

Test (landlock, network)
{
  check_network (HOST_CONFINE_LANDLOCK);
}

Test (landlock, syscalls)
{
  check_syscalls (HOST_CONFINE_LANDLOCK);
}

Test (landlock, exit_status)
{
  check_status (HOST_CONFINE_LANDLOCK);
}

Test (landlock, signals)
{
  check_signals (HOST_CONFINE_LANDLOCK);
}

TestSuite (bwrap, .init = setup, .fini = teardown, .timeout = 60);

Test (bwrap, files)
{
  check_files (HOST_CONFINE_BWRAP);
}

Test (bwrap, network)
{
  check_network (HOST_CONFINE_BWRAP);
}

Test (bwrap, syscalls)
{
  check_syscalls (HOST_CONFINE_BWRAP);
}

Test (bwrap, exit_status)
{
  check_status (HOST_CONFINE_BWRAP);
}

Test (bwrap, signals)
{
  check_signals (HOST_CONFINE_BWRAP);
}

/* Control: without confinement the same checks see everything, so the
   failures above come from the sandbox and not from the test. */
TestSuite (unconfined, .init = setup, .fini = teardown, .timeout = 60);

Test (unconfined, control)
{
  _cleanup_free_ char *out = NULL;
  _cleanup_free_ char *script = xasprintf ("cat %s/key", tree.secret);
  cr_expect_eq (sh (HOST_CONFINE_NONE, false, script, &out), 0, "%s", out);
  cr_expect_not_null (strstr (out, "top-secret-content"));
  int port;
  int lfd = hh_listen_tcp (&port);
  free (script);
  script = xasprintf ("exec /bin/bash -c 'echo hi > /dev/tcp/127.0.0.1/%d'", port);
  free (out), out = NULL;
  cr_expect_eq (sh (HOST_CONFINE_NONE, false, script, &out), 0, "%s", out);
  close (lfd);
  free (out), out = NULL;
  cr_expect_eq (sh (HOST_CONFINE_NONE, false, "exit 7", &out), 7);
}
