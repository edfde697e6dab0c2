/* test_kernel.c: the pieces one by one on the real kernel, each applied in
   a forked child: the seccomp filter alone, the Landlock ruleset alone
   (files, TCP, abstract Unix socket and signal scoping), the probes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host_helpers.h"
#include "select.h"
#include "util.h"

/* Run fn in a forked child; its return value is the exit status. */
static int
in_child (int (*fn) (void *), void *ud)
{
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    _exit (fn (ud));
  int st;
  cr_assert_eq (waitpid (pid, &st, 0), pid);
  cr_assert (WIFEXITED (st), "child died by signal %d", WIFSIGNALED (st) ? WTERMSIG (st) : 0);
  return WEXITSTATUS (st);
}

/* Each check: 0 when the call failed with EPERM, else a distinct code. */
#define EXPECT_EPERM(call, code)                                                                 \
  do                                                                                             \
    {                                                                                            \
      errno = 0;                                                                                 \
      long r_ = (long) (call);                                                                   \
      if (r_ != -1 || errno != EPERM)                                                            \
        return code;                                                                             \
    }                                                                                            \
  while (0)

static int
seccomp_child (void *ud)
{
  bool network = *(bool *) ud;
  host_bpf bpf;
  if (host_seccomp_default_profile (network, false, &bpf, NULL) < 0)
    return 100;
  if (host_seccomp_enforce (&bpf) < 0)
    return 101;
  EXPECT_EPERM (ptrace (PTRACE_ATTACH, getppid (), 0, 0), 1);
  EXPECT_EPERM (mount ("none", "/mnt", "tmpfs", 0, NULL), 2);
  EXPECT_EPERM (umount2 ("/proc", MNT_DETACH), 3);
  EXPECT_EPERM (unshare (CLONE_NEWUSER), 4);
  EXPECT_EPERM (unshare (CLONE_NEWNS | CLONE_NEWUSER), 5);
  EXPECT_EPERM (syscall (SYS_bpf, 0, NULL, 0), 6);
  EXPECT_EPERM (syscall (SYS_perf_event_open, NULL, 0, -1, -1, 0), 7);
  EXPECT_EPERM (syscall (SYS_keyctl, 0, 0, 0, 0, 0), 8);
  EXPECT_EPERM (syscall (SYS_io_uring_setup, 1, NULL), 9);
  EXPECT_EPERM (syscall (SYS_userfaultfd, 0), 10);
  EXPECT_EPERM (syscall (SYS_kexec_load, 0, 0, NULL, 0), 11);
  EXPECT_EPERM (syscall (SYS_reboot, 0, 0, 0, NULL), 12);
  EXPECT_EPERM (syscall (SYS_init_module, NULL, 0, ""), 13);
  EXPECT_EPERM (syscall (SYS_process_vm_readv, getppid (), NULL, 0, NULL, 0, 0), 14);
  EXPECT_EPERM (personality (ADDR_NO_RANDOMIZE), 15);
  EXPECT_EPERM (syscall (SYS_setns, 0, 0), 16);
  EXPECT_EPERM (syscall (SYS_pivot_root, "/", "/"), 17);
  /* Still allowed: the personality query, ordinary namespaces-free life. */
  if (personality (0xffffffff) == -1)
    return 20;
  if (syscall (SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
    return 21;
  int u = socket (AF_UNIX, SOCK_STREAM, 0);
  if (u < 0)
    return 22;
  close (u);
  int t = socket (AF_INET, SOCK_STREAM, 0);
  if (network)
    {
      if (t < 0)
        return 23;
      close (t);
    }
  else
    {
      if (t != -1 || errno != EPERM)
        return 24;
      int sv[2];
      EXPECT_EPERM (socketpair (AF_INET, SOCK_STREAM, 0, sv), 25);
      EXPECT_EPERM (socket (AF_NETLINK, SOCK_RAW, 0), 26);
    }
  pid_t pid = fork ();
  if (pid < 0)
    return 27;
  if (pid == 0)
    _exit (0);
  waitpid (pid, NULL, 0);
  return 0;
}

Test (kernel_seccomp, filter_denies_dangerous_calls, .timeout = 30)
{
  cr_assert (host_seccomp_available ());
  bool network = false;
  cr_expect_eq (in_child (seccomp_child, &network), 0, "check failed (see code)");
  network = true;
  cr_expect_eq (in_child (seccomp_child, &network), 0, "check failed with network on");
}

Test (kernel_seccomp, exported_bpf)
{
  host_bpf a, b;
  sbx_error *err = NULL;
  cr_assert_eq (host_seccomp_default_profile (false, false, &a, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (host_seccomp_default_profile (true, false, &b, &err), 0);
  cr_expect_gt (a.len, 0);
  cr_expect_eq (a.len % sizeof (struct sock_filter), 0);
  cr_expect_gt (a.len, b.len, "the network-off filter has the socket rules");
  host_bpf_clear (&a);
  host_bpf_clear (&b);
}

static int
landlock_child (void *ud)
{
  hh_tree *t = ud;
  host_landlock *ll = NULL;
  if (host_landlock_new (t->project, false, &ll, NULL) < 0)
    return 100;
  if (host_landlock_add_ro (ll, t->ro, NULL) < 0)
    return 101;
  if (host_landlock_apply (ll, NULL) < 0)
    return 102;
  _cleanup_free_ char *secret = xasprintf ("%s/key", t->secret);
  _cleanup_free_ char *data = xasprintf ("%s/data", t->ro);
  _cleanup_free_ char *newro = xasprintf ("%s/new", t->ro);
  _cleanup_free_ char *newp = xasprintf ("%s/new", t->project);
  if (open (secret, O_RDONLY) >= 0 || errno != EACCES)
    return 1;
  int fd = open (data, O_RDONLY);
  if (fd < 0)
    return 2;
  close (fd);
  if (open (data, O_WRONLY) >= 0 || errno != EACCES)
    return 3;
  if (open (newro, O_WRONLY | O_CREAT, 0644) >= 0 || errno != EACCES)
    return 4;
  fd = open (newp, O_WRONLY | O_CREAT, 0644);
  if (fd < 0)
    return 5;
  close (fd);
  if (rename (newp, newro) == 0)
    return 6;
  /* /dev: the usual nodes only. */
  fd = open ("/dev/null", O_RDWR);
  if (fd < 0)
    return 7;
  close (fd);
  return 0;
}

Test (kernel_landlock, ruleset_in_child, .timeout = 30)
{
  cr_assert_geq (host_landlock_abi (), 6, "this kernel has Landlock ABI 6 or later");
  hh_tree t;
  hh_tree_make (&t);
  int r = in_child (landlock_child, &t);
  cr_expect_eq (r, 0, "check %d failed", r);
  /* sbx itself (this process) is untouched. */
  _cleanup_free_ char *secret = xasprintf ("%s/key", t.secret);
  int fd = open (secret, O_RDONLY);
  cr_expect_geq (fd, 0);
  close (fd);
  hh_tree_free (&t);
}

typedef struct
{
  const char *abstract_name;
  pid_t parent;
  int port;
  bool network;
} scope_args;

static int
scope_child (void *ud)
{
  scope_args *a = ud;
  host_landlock *ll = NULL;
  if (host_landlock_new (NULL, a->network, &ll, NULL) < 0)
    return 100;
  if (host_landlock_apply (ll, NULL) < 0)
    return 101;
  /* Abstract Unix sockets made outside the sandbox are out of reach. */
  int s = socket (AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un un = { .sun_family = AF_UNIX };
  size_t n = strlen (a->abstract_name);
  memcpy (un.sun_path + 1, a->abstract_name, n);
  if (connect (s, (struct sockaddr *) &un, (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + n)) == 0)
    return 1;
  if (errno != EPERM)
    return 2;
  close (s);
  /* Signals to processes outside the sandbox are denied. */
  if (kill (a->parent, SIGUSR2) == 0 || errno != EPERM)
    return 3;
  /* TCP: Landlock alone (no seccomp here) denies connect with network off. */
  int t = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) a->port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int r = connect (t, (struct sockaddr *) &in, sizeof in);
  if (a->network && r != 0)
    return 4;
  if (!a->network && (r == 0 || errno != EACCES))
    return 5;
  close (t);
  return 0;
}

Test (kernel_landlock, scoping_and_tcp, .timeout = 30)
{
  cr_assert_geq (host_landlock_abi (), 6);
  signal (SIGUSR2, SIG_IGN);
  _cleanup_free_ char *name = xasprintf ("sbx-test-%d", (int) getpid ());
  int ls = socket (AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un un = { .sun_family = AF_UNIX };
  memcpy (un.sun_path + 1, name, strlen (name));
  cr_assert_eq (bind (ls, (struct sockaddr *) &un,
                      (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + strlen (name))),
                0);
  cr_assert_eq (listen (ls, 4), 0);
  int port;
  int tl = hh_listen_tcp (&port);
  scope_args a = { .abstract_name = name, .parent = getpid (), .port = port, .network = false };
  int r = in_child (scope_child, &a);
  cr_expect_eq (r, 0, "check %d failed (network off)", r);
  a.network = true;
  r = in_child (scope_child, &a);
  cr_expect_eq (r, 0, "check %d failed (network on)", r);
  close (ls);
  close (tl);
}

Test (probes, this_machine, .timeout = 30)
{
  host_probe p;
  host_probe_run (&p, true);
  cr_expect_geq (p.landlock_abi, 1);
  cr_expect (p.seccomp);
  cr_expect (p.bwrap, "bwrap probe failed: %s", p.bwrap_error ? p.bwrap_error : "");
  host_probe_clear (&p);

  /* What `sbx doctor` reports here matches what the tests above find. */
  sbx_probes sp;
  sbx_probe_host (&sp, true);
  sbx_selection s;
  cr_assert_eq (sbx_select (SBX_LEVEL_DEFAULT, &sp, false, &s, NULL), 0);
  cr_expect_eq (s.backend, SBX_BACKEND_LANDLOCK);
  cr_assert_eq (sbx_select (SBX_LEVEL_ENHANCED, &sp, false, &s, NULL), 0);
  cr_expect_eq (s.backend, sp.nsjail ? SBX_BACKEND_NSJAIL : SBX_BACKEND_BWRAP);
  cr_expect (s.seccomp);
}

Test (probes, bwrap_failure_is_explained)
{
  /* A PATH without bwrap: the probe says why. */
  const char *old = getenv ("PATH");
  _cleanup_free_ char *saved = old ? xstrdup (old) : NULL;
  setenv ("PATH", "/nonexistent", 1);
  char *why = NULL;
  cr_expect (!host_bwrap_works (&why));
  cr_expect_not_null (why);
  cr_expect_not_null (strstr (why, "bwrap"));
  free (why);
  if (saved)
    setenv ("PATH", saved, 1);
}

Test (bwrap_argv, builder)
{
  char *ro[] = { "/opt/ro", NULL };
  char *rw[] = { "/srv/rw", NULL };
  host_policy pol = { .project_dir = "/", .allow_write = true, .allow_network = false };
  char *const cmd[] = { "make", "-j2", NULL };
  char **argv = NULL;
  cr_assert_eq (host_bwrap_argv ("bwrap", &pol, 7, cmd, &argv, NULL), 0);
  size_t n = strv_len (argv);
  bool unshare_all = false, share_net = false, die = false, session = false, seccomp = false;
  for (size_t i = 0; i < n; i++)
    {
      unshare_all |= strcmp (argv[i], "--unshare-all") == 0;
      share_net |= strcmp (argv[i], "--share-net") == 0;
      die |= strcmp (argv[i], "--die-with-parent") == 0;
      session |= strcmp (argv[i], "--new-session") == 0;
      seccomp |= strcmp (argv[i], "--seccomp") == 0 && i + 1 < n && strcmp (argv[i + 1], "7") == 0;
    }
  cr_expect (unshare_all && die && session && seccomp && !share_net);
  cr_expect_str_eq (argv[n - 3], "--");
  cr_expect_str_eq (argv[n - 2], "make");
  strv_free (argv);

  pol.allow_network = true;
  pol.ro_dirs = ro;
  pol.rw_dirs = rw;
  sbx_error *err = NULL;
  cr_expect_eq (host_bwrap_argv ("bwrap", &pol, -1, cmd, &argv, &err), -1,
                "a missing --ro dir must be an error");
  cr_expect_not_null (err);
  cr_expect_not_null (strstr (err->msg, "/opt/ro"));
  sbx_error_free (err);
}
