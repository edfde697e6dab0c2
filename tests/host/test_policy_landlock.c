/* test_policy_landlock.c: the default level's Landlock policy on the real
   kernel, as root and as a non-root uid (65534), each in a forked child:
   the read set (home readable, credentials not, the user's deny list),
   `git config --global --list` under the policy, other processes' /proc
   entries and signals, device nodes, and the scope-only ruleset for the
   namespace backends. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host_helpers.h"
#include "testutil.h"
#include "util.h"

#define NOBODY 65534

/* ------------------------------------------------------------- helpers */

/* Run as uid from now on, like a program the user started (dumpable, as
   after exec: its /proc entries belong to it). */
static void
become (uid_t uid)
{
  if (uid == 0)
    return;
  if (setgroups (0, NULL) < 0 || setresgid (uid, uid, uid) < 0 || setresuid (uid, uid, uid) < 0
      || prctl (PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
    _exit (99);
}

/* Drop every capability (as the runner does for root before exec). */
static int
drop_capabilities (void)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
  struct __user_cap_data_struct d[2];
  memset (d, 0, sizeof d);
  return (int)syscall (SYS_capset, &h, d);
}

/* fn in a forked child running as uid under ll (and bpf when not NULL);
   returns its exit status. */
static int
confined (uid_t uid, const host_landlock *ll, const host_bpf *bpf, int (*fn) (void *), void *ud)
{
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      become (uid);
      if (host_landlock_enforce (ll) < 0)
        _exit (100);
      if (bpf && host_seccomp_enforce (bpf) < 0)
        _exit (101);
      _exit (fn (ud));
    }
  int st;
  cr_assert_eq (waitpid (pid, &st, 0), pid);
  cr_assert (WIFEXITED (st), "child died by signal %d", WIFSIGNALED (st) ? WTERMSIG (st) : 0);
  return WEXITSTATUS (st);
}

static void
put (const char *dir, const char *name, const char *content)
{
  tu_write_file (dir, name, content);
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, name);
  cr_assert_eq (chmod (path, 0644), 0);
}

typedef struct
{
  char *home;
  char *deny[3];
} home_fx;

/* A home with tools' settings and credentials, readable by everyone as
   far as file modes go (so that only Landlock can refuse). */
static void
home_make (home_fx *h)
{
  char tmpl[] = "/var/tmp/sbx-home-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  cr_assert_eq (chmod (tmpl, 0755), 0);
  h->home = xstrdup (tmpl);
  put (h->home, ".gitconfig", "[user]\n\tname = Sbx Test\n\temail = sbx@example.org\n");
  put (h->home, ".ssh/id_rsa", "PRIVATE KEY\n");
  put (h->home, ".docker/config.json", "{\"auths\":{}}\n");
  put (h->home, ".docker/other", "not a secret\n");
  put (h->home, ".aws/credentials", "aws_secret_access_key=x\n");
  put (h->home, ".config/tool/settings", "ok\n");
  put (h->home, "dotfiles/netrc", "machine example.org password x\n");
  put (h->home, "keys/host_rsa_key", "PRIVATE\n");
  put (h->home, "keys/host_rsa_key.pub", "PUBLIC\n");
  put (h->home, "extra-secret", "mine\n");
  _cleanup_free_ char *link = xasprintf ("%s/.netrc", h->home);
  cr_assert_eq (symlink ("dotfiles/netrc", link), 0);
  _cleanup_free_ char *mk = xasprintf ("chmod -R a+rX '%s'", h->home);
  cr_assert_eq (system (mk), 0);
  h->deny[0] = xasprintf ("%s/extra-secret", h->home);
  h->deny[1] = xasprintf ("%s/keys/*_key", h->home);
  h->deny[2] = NULL;
}

static void
home_free (home_fx *h)
{
  _cleanup_free_ char *rm = xasprintf ("rm -rf '%s'", h->home);
  (void)!system (rm);
  free (h->home);
  free (h->deny[0]);
  free (h->deny[1]);
}

static host_landlock *
policy_ruleset (const host_policy *pol)
{
  host_landlock *ll = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (host_landlock_new_policy (pol, &ll, &err), 0, "%s", err ? err->msg : "");
  return ll;
}

/* 0 when path opens for reading, else errno. */
static int
open_errno (const char *dir, const char *name)
{
  char path[1024];
  if (name)
    snprintf (path, sizeof path, "%s/%s", dir, name);
  else
    snprintf (path, sizeof path, "%s", dir);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  close (fd);
  return 0;
}

#define READABLE(dir, name, code)                                                                  \
  do                                                                                               \
    {                                                                                              \
      if (open_errno (dir, name) != 0)                                                             \
        return code;                                                                               \
    }                                                                                              \
  while (0)
#define DENIED(dir, name, code)                                                                    \
  do                                                                                               \
    {                                                                                              \
      if (open_errno (dir, name) != EACCES)                                                        \
        return code;                                                                               \
    }                                                                                              \
  while (0)

/* ------------------------------------------------------------ read set */

static int
read_checks (void *ud)
{
  const home_fx *h = ud;
  READABLE (h->home, ".gitconfig", 1);
  DENIED (h->home, ".ssh/id_rsa", 2);
  DENIED (h->home, ".docker/config.json", 3);
  READABLE (h->home, ".docker/other", 4);
  READABLE ("/etc/passwd", NULL, 5);
  DENIED ("/etc/shadow", NULL, 6);
  DENIED (h->home, "extra-secret", 7);
  DENIED (h->home, "keys/host_rsa_key", 8);
  READABLE (h->home, "keys/host_rsa_key.pub", 9);
  DENIED (h->home, ".aws/credentials", 10);
  READABLE (h->home, ".config/tool/settings", 11);
  /* ~/.netrc is a link: its target is denied too. */
  DENIED (h->home, ".netrc", 12);
  DENIED (h->home, "dotfiles/netrc", 13);
  /* The home can be listed (names only). */
  DIR *d = opendir (h->home);
  if (d == NULL)
    return 14;
  closedir (d);
  /* The daemons' runtime dir is not granted. */
  if (opendir ("/run") != NULL || errno != EACCES)
    return 15;
  DENIED ("/etc/gshadow", NULL, 16);
  return 0;
}

static void
check_read_set (uid_t uid)
{
  home_fx h;
  home_make (&h);
  host_policy pol = { .home = h.home, .deny_read = h.deny };
  host_landlock *ll = policy_ruleset (&pol);
  int r = confined (uid, ll, NULL, read_checks, &h);
  cr_expect_eq (r, 0, "check %d failed (uid %d)", r, (int)uid);
  host_landlock_free (ll);
  /* Outside the sandbox everything is still there. */
  cr_expect_eq (open_errno (h.home, ".ssh/id_rsa"), 0);
  home_free (&h);
}

Test (policy_landlock, read_set_root, .timeout = 30)
{
  cr_assert_eq (geteuid (), 0, "the host suite runs as root");
  check_read_set (0);
}

Test (policy_landlock, read_set_nonroot, .timeout = 30)
{
  check_read_set (NOBODY);
}

Test (policy_landlock, default_deny_list_is_exported)
{
  bool ssh = false, shadow = false, docker = false, hostkeys = false;
  for (const char *const *p = host_default_deny_read; *p; p++)
    {
      ssh |= strcmp (*p, "~/.ssh") == 0;
      shadow |= strcmp (*p, "/etc/shadow") == 0;
      docker |= strcmp (*p, "~/.docker/config.json") == 0;
      hostkeys |= strcmp (*p, "/etc/ssh/*_key") == 0;
      cr_expect (**p == '/' || strncmp (*p, "~/", 2) == 0, "entry '%s' is neither absolute nor ~/",
                 *p);
    }
  cr_expect (ssh && shadow && docker && hostkeys);
}

/* ----------------------------------------------------- git under policy */

static void
check_git (uid_t uid)
{
  home_fx h;
  home_make (&h);
  host_policy pol = { .home = h.home, .project_dir = h.home, .allow_write = false };
  pol.project_dir = NULL;
  host_landlock *ll = policy_ruleset (&pol);
  host_bpf bpf;
  cr_assert_eq (host_seccomp_default_profile (false, false, &bpf, NULL), 0);
  int fds[2];
  cr_assert_eq (pipe (fds), 0);
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      close (fds[0]);
      dup2 (fds[1], 1);
      dup2 (fds[1], 2);
      become (uid);
      if (chdir ("/") < 0 || host_landlock_enforce (ll) < 0 || host_seccomp_enforce (&bpf) < 0)
        _exit (100);
      _cleanup_free_ char *home = xasprintf ("HOME=%s", h.home);
      char *env[] = { home, "PATH=/usr/bin:/bin", "LANG=C", NULL };
      char *argv[] = { "git", "config", "--global", "--list", NULL };
      execve ("/usr/bin/git", argv, env);
      _exit (127);
    }
  close (fds[1]);
  char buf[4096];
  size_t n = 0;
  ssize_t k;
  while (n < sizeof buf - 1 && (k = read (fds[0], buf + n, sizeof buf - 1 - n)) > 0)
    n += (size_t)k;
  buf[n] = '\0';
  close (fds[0]);
  int st;
  cr_assert_eq (waitpid (pid, &st, 0), pid);
  cr_expect (WIFEXITED (st) && WEXITSTATUS (st) == 0, "git failed (uid %d): %s", (int)uid, buf);
  cr_expect_not_null (strstr (buf, "user.name=Sbx Test"), "git output (uid %d): %s", (int)uid, buf);
  host_bpf_clear (&bpf);
  host_landlock_free (ll);
  home_free (&h);
}

Test (policy_landlock, git_reads_global_config_root, .timeout = 60)
{
  check_git (0);
}

Test (policy_landlock, git_reads_global_config_nonroot, .timeout = 60)
{
  check_git (NOBODY);
}

/* ------------------------------------------------------ other processes */

typedef struct
{
  pid_t victim;
} proc_args;

/* Under Landlock a process outside the domain cannot be ptraced, and
   /proc/PID/environ, maps, auxv, mem go through the same check
   (ptrace_may_access).  One exception: the kernel lets a caller with
   CAP_PERFMON or CAP_SYS_ADMIN read another process's memory map
   (environ, maps, auxv) whatever the LSMs say, so root is checked with its
   capabilities dropped, as the runner runs it. */
static int
proc_checks (void *ud)
{
  const proc_args *a = ud;
  if (geteuid () == 0 && drop_capabilities () < 0)
    return 99;
  char dir[64];
  snprintf (dir, sizeof dir, "/proc/%d", (int)a->victim);
  DENIED (dir, "environ", 1);
  DENIED (dir, "maps", 2);
  DENIED (dir, "auxv", 3);
  DENIED (dir, "mem", 4);
  /* Its own entries stay readable. */
  READABLE ("/proc/self/environ", NULL, 5);
  READABLE ("/proc/self/maps", NULL, 6);
  /* Signals to processes outside the sandbox. */
  if (kill (a->victim, SIGTERM) == 0 || errno != EPERM)
    return 7;
  if (kill (a->victim, SIGKILL) == 0 || errno != EPERM)
    return 8;
  return 0;
}

static pid_t
start_victim (uid_t uid)
{
  int ready[2];
  cr_assert_eq (pipe (ready), 0);
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      close (ready[0]);
      /* An environment worth stealing. */
      setenv ("VICTIM_TOKEN", "s3cret", 1);
      become (uid);
      /* Gone with the test, whatever happens to it. */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      (void) !write (ready[1], "r", 1);
      close (ready[1]);
      for (;;)
        pause ();
    }
  close (ready[1]);
  char c;
  cr_assert_eq (read (ready[0], &c, 1), 1);
  close (ready[0]);
  return pid;
}

static void
check_procs (uid_t uid)
{
  pid_t v = start_victim (uid);
  host_policy pol = { 0 };
  host_landlock *ll = policy_ruleset (&pol);
  proc_args a = { .victim = v };
  int r = confined (uid, ll, NULL, proc_checks, &a);
  cr_expect_eq (r, 0, "check %d failed (uid %d)", r, (int)uid);
  /* The victim is alive. */
  cr_expect_eq (waitpid (v, NULL, WNOHANG), 0, "the outside process was killed");
  kill (v, SIGKILL);
  waitpid (v, NULL, 0);
  host_landlock_free (ll);
}

Test (policy_landlock, other_processes_root, .timeout = 30)
{
  check_procs (0);
}

Test (policy_landlock, other_processes_nonroot, .timeout = 30)
{
  check_procs (NOBODY);
}

/* --------------------------------------------------------- device nodes */

static int
mknod_checks (void *ud)
{
  const char *project = ud;
  char p[512];
  snprintf (p, sizeof p, "%s/kmsg", project);
  if (mknod (p, S_IFCHR | 0600, makedev (1, 11)) == 0 || errno != EACCES)
    return 1;
  snprintf (p, sizeof p, "%s/loop", project);
  if (mknod (p, S_IFBLK | 0600, makedev (7, 0)) == 0 || errno != EACCES)
    return 2;
  snprintf (p, sizeof p, "%s/fifo", project);
  if (mknod (p, S_IFIFO | 0600, 0) < 0)
    return 3;
  return 0;
}

Test (policy_landlock, no_device_nodes_in_writable_dirs, .timeout = 30)
{
  cr_assert_eq (geteuid (), 0, "the host suite runs as root");
  hh_tree t;
  hh_tree_make (&t);
  host_policy pol = { .project_dir = t.project, .allow_write = true };
  host_landlock *ll = policy_ruleset (&pol);
  /* Landlock alone (no seccomp): the second layer holds by itself. */
  int r = confined (0, ll, NULL, mknod_checks, t.project);
  cr_expect_eq (r, 0, "check %d failed", r);
  cr_expect (!hh_file_exists (t.project, "kmsg"));
  host_landlock_free (ll);
  hh_tree_free (&t);
}

/* ------------------------------------------------- scope-only ruleset */

typedef struct
{
  const char *abstract_name;
  pid_t parent;
} scope_args;

static int
scope_checks (void *ud)
{
  const scope_args *a = ud;
  if (host_landlock_scope_enforce () < 0)
    return 100;
  int s = socket (AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un un = { .sun_family = AF_UNIX };
  size_t n = strlen (a->abstract_name);
  memcpy (un.sun_path + 1, a->abstract_name, n);
  if (connect (s, (struct sockaddr *)&un,
               (socklen_t)(offsetof (struct sockaddr_un, sun_path) + 1 + n))
          == 0
      || errno != EPERM)
    return 1;
  close (s);
  if (kill (a->parent, SIGUSR2) == 0 || errno != EPERM)
    return 2;
  /* No filesystem access is handled: the files are as before. */
  READABLE ("/etc/passwd", NULL, 3);
  /* A namespace backend can still build its sandbox. */
  if (unshare (CLONE_NEWUSER | CLONE_NEWNS) < 0)
    return 4;
  return 0;
}

static int
run_scope_child (uid_t uid, scope_args *a)
{
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      become (uid);
      _exit (scope_checks (a));
    }
  int st;
  cr_assert_eq (waitpid (pid, &st, 0), pid);
  cr_assert (WIFEXITED (st));
  return WEXITSTATUS (st);
}

Test (policy_landlock, scope_only_ruleset, .timeout = 30)
{
  signal (SIGUSR2, SIG_IGN);
  _cleanup_free_ char *name = xasprintf ("sbx-scope-test-%d", (int)getpid ());
  int ls = socket (AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un un = { .sun_family = AF_UNIX };
  memcpy (un.sun_path + 1, name, strlen (name));
  cr_assert_eq (bind (ls, (struct sockaddr *)&un,
                      (socklen_t)(offsetof (struct sockaddr_un, sun_path) + 1 + strlen (name))),
                0);
  cr_assert_eq (listen (ls, 4), 0);
  scope_args a = { .abstract_name = name, .parent = getpid () };
  int r = run_scope_child (0, &a);
  cr_expect_eq (r, 0, "check %d failed (root)", r);
  r = run_scope_child (NOBODY, &a);
  cr_expect_eq (r, 0, "check %d failed (uid %d)", r, NOBODY);
  close (ls);
}

Test (policy_landlock, bwrap_runs_under_scope_only_ruleset, .timeout = 60)
{
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, 1);
      dup2 (null, 2);
      if (host_landlock_scope_enforce () < 0)
        _exit (100);
      char *argv[] = { "bwrap",
                       "--ro-bind",
                       "/",
                       "/",
                       "--dev",
                       "/dev",
                       "--proc",
                       "/proc",
                       "--tmpfs",
                       "/tmp",
                       "--unshare-all",
                       "--die-with-parent",
                       "--",
                       "/bin/sh",
                       "-c",
                       "echo ok > /tmp/x && test -s /tmp/x",
                       NULL };
      execvp ("bwrap", argv);
      _exit (127);
    }
  int st;
  cr_assert_eq (waitpid (pid, &st, 0), pid);
  cr_expect (WIFEXITED (st) && WEXITSTATUS (st) == 0, "bwrap under the scope ruleset: status %d",
             WIFEXITED (st) ? WEXITSTATUS (st) : -1);
}

/* ------------------------------------------------------- linked roots */

static int
linked_root_checks (void *ud)
{
  const char *const *paths = ud;
  /* paths: the link, the real dir. */
  READABLE (paths[0], "keys/host_rsa_key.pub", 1);
  DENIED (paths[0], "extra-secret", 2);
  DENIED (paths[1], "extra-secret", 3);
  READABLE (paths[1], ".gitconfig", 4);
  return 0;
}

Test (policy_landlock, linked_root_keeps_the_deny_list, .timeout = 30)
{
  home_fx h;
  home_make (&h);
  _cleanup_free_ char *link = xasprintf ("%s-link", h.home);
  cr_assert_eq (symlink (h.home, link), 0);
  /* The dir is granted by a link to it; the deny entry names the real
     path. */
  char *ro[] = { link, NULL };
  host_policy pol = { .ro_dirs = ro, .deny_read = h.deny };
  host_landlock *ll = policy_ruleset (&pol);
  const char *paths[] = { link, h.home };
  int r = confined (NOBODY, ll, NULL, linked_root_checks, paths);
  cr_expect_eq (r, 0, "check %d failed", r);
  host_landlock_free (ll);
  unlink (link);
  home_free (&h);
}
