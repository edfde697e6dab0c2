/* test_policy_seccomp.c: the default seccomp filter against the real
   kernel, each check in a forked child: argument compares on 32 bits
   (terminal injection), no action on other processes (checked against a
   process outside the filter, which must be unchanged), no device nodes or
   hostname as root, and the supervised filter (user notification). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "host_helpers.h"
#include "util.h"

/* Each check returns 0 when the call failed with the errno, else code. */
#define EXPECT_ERR(call, e, code)                                                                  \
  do                                                                                               \
    {                                                                                              \
      errno = 0;                                                                                   \
      long r_ = (long)(call);                                                                      \
      if (r_ != -1 || errno != (e))                                                                \
        return code;                                                                               \
    }                                                                                              \
  while (0)
#define EXPECT_OK(call, code)                                                                      \
  do                                                                                               \
    {                                                                                              \
      if ((long)(call) < 0)                                                                        \
        return code;                                                                               \
    }                                                                                              \
  while (0)

static host_bpf
default_filter (bool supervised)
{
  host_bpf bpf;
  sbx_error *err = NULL;
  cr_assert_eq (host_seccomp_default_profile (false, supervised, &bpf, &err), 0, "%s",
                err ? err->msg : "");
  return bpf;
}

static int
filtered_child (const host_bpf *bpf, int (*fn) (void *), void *ud)
{
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      if (host_seccomp_enforce (bpf) < 0)
        _exit (100);
      _exit (fn (ud));
    }
  int st;
  cr_assert_eq (waitpid (pid, &st, 0), pid);
  cr_assert (WIFEXITED (st), "child died by signal %d", WIFSIGNALED (st) ? WTERMSIG (st) : 0);
  return WEXITSTATUS (st);
}

/* ------------------------------------------------------------ terminal */

static int
tty_checks (void *ud)
{
  int tty = *(int *)ud;
  char c = 'x';
  EXPECT_ERR (ioctl (tty, TIOCSTI, &c), EPERM, 1);
  EXPECT_ERR (syscall (SYS_ioctl, tty, 0x100000000UL | TIOCSTI, &c), EPERM, 2);
  EXPECT_ERR (syscall (SYS_ioctl, tty, 0xffffffff00000000UL | TIOCSTI, &c), EPERM, 3);
  char sub[2] = { 2 /* TIOCL_SETSEL-like subcode */, 0 };
  EXPECT_ERR (ioctl (tty, TIOCLINUX, sub), EPERM, 4);
  EXPECT_ERR (syscall (SYS_ioctl, tty, 0x100000000UL | TIOCLINUX, sub), EPERM, 5);
  struct winsize ws;
  EXPECT_OK (ioctl (tty, TIOCGWINSZ, &ws), 6);
  return 0;
}

Test (policy_seccomp, tiocsti_and_tioclinux_on_32_bits, .timeout = 30)
{
  int master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  cr_assert_geq (master, 0);
  cr_assert_eq (grantpt (master), 0);
  cr_assert_eq (unlockpt (master), 0);
  int tty = open (ptsname (master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  cr_assert_geq (tty, 0);
  host_bpf bpf = default_filter (false);
  int r = filtered_child (&bpf, tty_checks, &tty);
  cr_expect_eq (r, 0, "check %d failed", r);
  /* Nothing was typed into the terminal. */
  struct pollfd pfd = { .fd = master, .events = POLLIN };
  cr_expect_eq (poll (&pfd, 1, 0), 0, "input was injected into the pty");
  host_bpf_clear (&bpf);
  close (tty);
  close (master);
}

/* ------------------------------------------------------- other processes */

/* A process outside the filter, running as uid. */
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
      if (uid != 0 && (setresgid (uid, uid, uid) < 0 || setresuid (uid, uid, uid) < 0))
        _exit (99);
      /* Gone with the test, whatever happens to it. */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      (void) !write (ready[1], "r", 1);
      close (ready[1]);
      for (;;)
        pause ();
    }
  close (ready[1]);
  char c;
  cr_assert_eq (read (ready[0], &c, 1), 1, "the outside process did not start");
  close (ready[0]);
  return pid;
}

static void
stop_victim (pid_t pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

#ifndef IOPRIO_WHO_PROCESS
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3
#endif
#define IOPRIO_IDLE ((3 << 13) | 0)

struct sched_attr_min
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

static int
process_checks (void *ud)
{
  pid_t v = *(pid_t *)ud;
  struct rlimit rl = { .rlim_cur = 1, .rlim_max = 1 };
  EXPECT_ERR (prlimit (v, RLIMIT_CPU, &rl, NULL), EPERM, 1);
  EXPECT_ERR (prlimit (v, RLIMIT_NOFILE, NULL, &rl), EPERM, 2);
  EXPECT_ERR (syscall (SYS_prlimit64, 0x100000000UL | (unsigned long)v, RLIMIT_CPU, &rl, NULL),
              EPERM, 3);
  EXPECT_ERR (setpriority (PRIO_PROCESS, (id_t)v, 19), EPERM, 4);
  EXPECT_ERR (setpriority (PRIO_PGRP, 0, 19), EPERM, 5);
  EXPECT_ERR (setpriority (PRIO_USER, 0, 19), EPERM, 6);
  EXPECT_ERR (setpriority (PRIO_PGRP, (id_t)getpgid (v), 19), EPERM, 7);
  struct sched_param sp = { .sched_priority = 0 };
  EXPECT_ERR (sched_setscheduler (v, SCHED_IDLE, &sp), EPERM, 8);
  EXPECT_ERR (sched_setparam (v, &sp), EPERM, 9);
  struct sched_attr_min sa = { .size = sizeof sa, .sched_policy = SCHED_IDLE };
  EXPECT_ERR (syscall (SYS_sched_setattr, v, &sa, 0), EPERM, 10);
  cpu_set_t set;
  CPU_ZERO (&set);
  CPU_SET (0, &set);
  EXPECT_ERR (sched_setaffinity (v, sizeof set, &set), EPERM, 11);
  EXPECT_ERR (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, v, IOPRIO_IDLE), EPERM, 12);
  EXPECT_ERR (syscall (SYS_ioprio_set, IOPRIO_WHO_PGRP, 0, IOPRIO_IDLE), EPERM, 13);
  EXPECT_ERR (syscall (SYS_ioprio_set, IOPRIO_WHO_USER, 0, IOPRIO_IDLE), EPERM, 14);
  unsigned long mask = 1;
  EXPECT_ERR (syscall (SYS_migrate_pages, v, 8 * sizeof mask, &mask, &mask), EPERM, 15);
  EXPECT_ERR (syscall (SYS_move_pages, v, 0, NULL, NULL, NULL, 0), EPERM, 16);
  EXPECT_ERR (syscall (SYS_process_madvise, -1, NULL, 0, 0, 0), EPERM, 17);
  EXPECT_ERR (syscall (SYS_process_mrelease, -1, 0), EPERM, 18);
  EXPECT_ERR (syscall (SYS_kcmp, getpid (), v, 0 /* KCMP_FILE */, 0, 0), EPERM, 19);
  /* The caller itself (pid 0) still works: `ulimit -n`, nice, taskset. */
  EXPECT_OK (prlimit (0, RLIMIT_NOFILE, NULL, &rl), 30);
  EXPECT_OK (setrlimit (RLIMIT_NOFILE, &rl), 31);
  EXPECT_OK (setpriority (PRIO_PROCESS, 0, 1), 32);
  EXPECT_OK (sched_setaffinity (0, sizeof set, &set), 33);
  EXPECT_OK (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_IDLE), 34);
  EXPECT_OK (sched_setscheduler (0, SCHED_BATCH, &sp), 35);
  return 0;
}

typedef struct
{
  struct rlimit cpu, nofile;
  int nice, policy, ioprio;
  cpu_set_t cpus;
} proc_state;

static int
read_state_now (pid_t v, proc_state *s)
{
  memset (s, 0, sizeof *s);
  if (prlimit (v, RLIMIT_CPU, NULL, &s->cpu) < 0
      || prlimit (v, RLIMIT_NOFILE, NULL, &s->nofile) < 0)
    return -1;
  errno = 0;
  s->nice = getpriority (PRIO_PROCESS, (id_t)v);
  if (errno != 0)
    return -1;
  s->policy = sched_getscheduler (v);
  s->ioprio = (int)syscall (SYS_ioprio_get, IOPRIO_WHO_PROCESS, v);
  if (sched_getaffinity (v, sizeof s->cpus, &s->cpus) < 0)
    return -1;
  return 0;
}

/* The state of v as seen by uid (root here may lack CAP_SYS_RESOURCE, so
   another uid's limits are read as that uid). */
static void
read_state (pid_t v, uid_t uid, proc_state *s)
{
  int fds[2];
  cr_assert_eq (pipe (fds), 0);
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      close (fds[0]);
      proc_state st;
      if ((uid != 0 && (setresgid (uid, uid, uid) < 0 || setresuid (uid, uid, uid) < 0))
          || read_state_now (v, &st) < 0)
        _exit (1);
      _exit (write (fds[1], &st, sizeof st) == (ssize_t)sizeof st ? 0 : 1);
    }
  close (fds[1]);
  ssize_t n = read (fds[0], s, sizeof *s);
  close (fds[0]);
  int st;
  cr_assert_eq (waitpid (pid, &st, 0), pid);
  cr_assert (n == (ssize_t)sizeof *s && WIFEXITED (st) && WEXITSTATUS (st) == 0,
             "cannot read the state of process %d", (int)v);
}

/* The filtered child and the outside process both run as uid; this
   process (root) reads the outside process's state before and after. */
static void
check_process_calls (uid_t uid)
{
  pid_t v = start_victim (uid);
  proc_state before, after;
  read_state (v, uid, &before);
  host_bpf bpf = default_filter (false);
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      if (uid != 0 && (setresgid (uid, uid, uid) < 0 || setresuid (uid, uid, uid) < 0))
        _exit (99);
      if (host_seccomp_enforce (&bpf) < 0)
        _exit (100);
      _exit (process_checks (&v));
    }
  int st;
  cr_assert_eq (waitpid (pid, &st, 0), pid);
  cr_assert (WIFEXITED (st));
  int r = WEXITSTATUS (st);
  cr_expect_eq (r, 0, "check %d failed (uid %d)", r, (int)uid);
  read_state (v, uid, &after);
  cr_expect_eq (after.cpu.rlim_cur, before.cpu.rlim_cur,
                "the CPU limit of the outside process changed");
  cr_expect_eq (after.nofile.rlim_cur, before.nofile.rlim_cur);
  cr_expect_eq (after.nice, before.nice, "the outside process was reniced");
  cr_expect_eq (after.policy, before.policy, "the outside process's scheduler changed");
  cr_expect_eq (after.ioprio, before.ioprio, "the outside process's I/O priority changed");
  cr_expect (CPU_EQUAL (&after.cpus, &before.cpus), "the outside process's affinity changed");
  stop_victim (v);
  host_bpf_clear (&bpf);
}

Test (policy_seccomp, no_action_on_other_processes_root, .timeout = 30)
{
  cr_assert_eq (geteuid (), 0, "the host suite runs as root");
  check_process_calls (0);
}

Test (policy_seccomp, no_action_on_other_processes_nonroot, .timeout = 30)
{
  cr_assert_eq (geteuid (), 0, "the host suite runs as root");
  check_process_calls (65534);
}

/* ------------------------------------------------------------- as root */

static int
root_checks (void *ud)
{
  const char *dir = ud;
  char p[512];
  snprintf (p, sizeof p, "%s/null", dir);
  EXPECT_ERR (mknod (p, S_IFCHR | 0666, makedev (1, 3)), EPERM, 1);
  EXPECT_ERR (mknodat (AT_FDCWD, p, S_IFCHR | 0666, makedev (1, 3)), EPERM, 2);
  EXPECT_ERR (syscall (SYS_mknodat, AT_FDCWD, p, 0xffff0000UL | S_IFCHR | 0666, makedev (1, 3)),
              EPERM, 3);
  snprintf (p, sizeof p, "%s/disk", dir);
  EXPECT_ERR (mknod (p, S_IFBLK | 0600, makedev (7, 0)), EPERM, 4);
  EXPECT_ERR (mknodat (AT_FDCWD, p, S_IFBLK | 0600, makedev (7, 0)), EPERM, 5);
  EXPECT_ERR (sethostname ("sbx-owned", 9), EPERM, 6);
  EXPECT_ERR (setdomainname ("sbx-owned", 9), EPERM, 7);
  /* FIFOs and sockets are still fine. */
  snprintf (p, sizeof p, "%s/fifo", dir);
  EXPECT_OK (mknod (p, S_IFIFO | 0600, 0), 10);
  snprintf (p, sizeof p, "%s/sock", dir);
  EXPECT_OK (mknodat (AT_FDCWD, p, S_IFSOCK | 0600, 0), 11);
  snprintf (p, sizeof p, "%s/reg", dir);
  EXPECT_OK (mknod (p, 0600, 0), 12);
  return 0;
}

Test (policy_seccomp, root_no_devices_no_hostname, .timeout = 30)
{
  cr_assert_eq (geteuid (), 0, "the host suite runs as root");
  hh_tree t;
  hh_tree_make (&t);
  struct utsname before, after;
  cr_assert_eq (uname (&before), 0);
  host_bpf bpf = default_filter (false);
  int r = filtered_child (&bpf, root_checks, t.project);
  cr_expect_eq (r, 0, "check %d failed", r);
  cr_assert_eq (uname (&after), 0);
  cr_expect_str_eq (after.nodename, before.nodename);
  cr_expect_str_eq (after.domainname, before.domainname);
  cr_expect (!hh_file_exists (t.project, "null"));
  cr_expect (!hh_file_exists (t.project, "disk"));
  cr_expect (hh_file_exists (t.project, "fifo"));
  host_bpf_clear (&bpf);
  hh_tree_free (&t);
}

/* ---------------------------------------------------------- supervised */

static void
send_fd (int sock, int fd)
{
  char c = 'f';
  struct iovec iov = { .iov_base = &c, .iov_len = 1 };
  union
  {
    struct cmsghdr h;
    char buf[CMSG_SPACE (sizeof (int))];
  } u;
  memset (&u, 0, sizeof u);
  struct msghdr m
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *cm = CMSG_FIRSTHDR (&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof fd);
  (void)!sendmsg (sock, &m, 0);
}

static int
recv_fd (int sock)
{
  char c;
  struct iovec iov = { .iov_base = &c, .iov_len = 1 };
  union
  {
    struct cmsghdr h;
    char buf[CMSG_SPACE (sizeof (int))];
  } u;
  struct msghdr m
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  if (recvmsg (sock, &m, MSG_CMSG_CLOEXEC) <= 0)
    return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR (&m);
  if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  memcpy (&fd, CMSG_DATA (cm), sizeof fd);
  return fd;
}

/* Receive one notification (bounded wait) and answer it with -answer. */
static int
serve_one (int listener, int answer)
{
  struct pollfd pfd = { .fd = listener, .events = POLLIN };
  cr_assert_eq (poll (&pfd, 1, 20000), 1, "no notification arrived");
  struct seccomp_notif req;
  memset (&req, 0, sizeof req);
  cr_assert_eq (ioctl (listener, SECCOMP_IOCTL_NOTIF_RECV, &req), 0, "NOTIF_RECV: %s",
                strerror (errno));
  struct seccomp_notif_resp resp = { .id = req.id, .error = -answer, .val = 0 };
  cr_assert_eq (ioctl (listener, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0, "NOTIF_SEND: %s",
                strerror (errno));
  return req.data.nr;
}

Test (policy_seccomp, supervised_filter_notifies, .timeout = 60)
{
  host_bpf bpf = default_filter (true);
  int sv[2];
  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      close (sv[0]);
      int listener = -1;
      if (host_seccomp_enforce_listener (&bpf, &listener) < 0)
        _exit (100);
      send_fd (sv[1], listener);
      close (listener);
      /* An unconnected datagram socket: refused, whatever the flags. */
      if (socket (AF_UNIX, SOCK_DGRAM, 0) != -1 || errno != EACCES)
        _exit (1);
      if (socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) != -1 || errno != EACCES)
        _exit (2);
      int pair[2];
      if (socketpair (AF_UNIX, SOCK_DGRAM, 0, pair) != -1 || errno != EACCES)
        _exit (3);
      if (socketpair (AF_UNIX, SOCK_STREAM, 0, pair) < 0)
        _exit (3);
      int s = socket (AF_UNIX, SOCK_STREAM, 0);
      if (s < 0)
        _exit (4);
      /* connect: the supervisor answers EACCES. */
      struct sockaddr_un un = { .sun_family = AF_UNIX };
      strcpy (un.sun_path, "/var/run/docker.sock");
      if (connect (s, (struct sockaddr *)&un, sizeof un) != -1 || errno != EACCES)
        _exit (5);
      /* A metadata call: the supervisor answers EPERM. */
      if (syscall (SYS_fchmodat, AT_FDCWD, "/etc/passwd", 0777, 0) != -1 || errno != EPERM)
        _exit (6);
      _exit (0);
    }
  close (sv[1]);
  int listener = recv_fd (sv[0]);
  cr_assert_geq (listener, 0, "no listener fd from the child");
  int nr = serve_one (listener, EACCES);
  cr_expect_eq (nr, SYS_connect, "first notification is syscall %d, not connect", nr);
  nr = serve_one (listener, EPERM);
  cr_expect_eq (nr, SYS_fchmodat, "second notification is syscall %d, not fchmodat", nr);
  int st;
  cr_assert_eq (waitpid (pid, &st, 0), pid);
  cr_expect (WIFEXITED (st) && WEXITSTATUS (st) == 0, "child check %d failed",
             WIFEXITED (st) ? WEXITSTATUS (st) : -1);
  struct stat pw;
  cr_assert_eq (stat ("/etc/passwd", &pw), 0);
  cr_expect_neq (pw.st_mode & 07777, 0777, "/etc/passwd was chmodded");
  close (listener);
  close (sv[0]);
  host_bpf_clear (&bpf);
}

/* Without a supervisor (bwrap --seccomp), connect and chmod are plain
   calls, but a setuid or setgid mode is refused in the filter itself. */
static int
unsupervised_checks (void *ud)
{
  const char *dir = ud;
  char file[256];
  snprintf (file, sizeof file, "%s/f", dir);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf (a.sun_path, sizeof a.sun_path, "%.64s/s", dir);
  int c = socket (AF_UNIX, SOCK_STREAM, 0);
  EXPECT_OK (c, 1);
  EXPECT_OK (connect (c, (struct sockaddr *)&a, sizeof a), 2);
  EXPECT_OK (chmod (file, 0755), 3);
  EXPECT_ERR (chmod (file, 04755), EPERM, 4);
  EXPECT_ERR (syscall (SYS_fchmodat, AT_FDCWD, file, 02755, 0), EPERM, 5);
  EXPECT_ERR (open (file, O_RDONLY | O_CREAT, 04755) >= 0 ? 0 : -1, EPERM, 6);
  int fd = open (file, O_RDONLY);
  EXPECT_OK (fd, 7);
  EXPECT_ERR (fchmod (fd, 06755), EPERM, 8);
  return 0;
}

Test (policy_seccomp, unsupervised_filter_plain_calls_no_setid, .timeout = 30)
{
  char dir[] = "/tmp/sbx-unsup-XXXXXX";
  cr_assert_not_null (mkdtemp (dir));
  _cleanup_free_ char *sock = xasprintf ("%s/s", dir), *file = xasprintf ("%s/f", dir);
  int l = socket (AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf (a.sun_path, sizeof a.sun_path, "%.64s", sock);
  cr_assert_eq (bind (l, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq (listen (l, 4), 0);
  int f = open (file, O_WRONLY | O_CREAT, 0644);
  cr_assert_geq (f, 0);
  close (f);
  host_bpf bpf = default_filter (false);
  int r = filtered_child (&bpf, unsupervised_checks, dir);
  cr_expect_eq (r, 0, "check %d failed", r);
  struct stat st;
  cr_assert_eq (stat (file, &st), 0);
  cr_expect_eq (st.st_mode & 07777, 0755);
  host_bpf_clear (&bpf);
  close (l);
  unlink (sock);
  unlink (file);
  rmdir (dir);
}
