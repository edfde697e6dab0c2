/* run.c: fork, confine the child between fork and exec, wait, forward
   signals, supervise (seccomp notifications), pass the exit status through
   and end whatever the command left behind (host_run); or confine this
   process and exec, for a caller with nothing left to do (host_exec).

   Everything that allocates (Landlock ruleset, seccomp program, argv) is
   prepared before fork; the child only makes async-signal-safe calls and
   reports a failure through a close-on-exec pipe (EOF = exec succeeded).
   Signals are taken through a signalfd while the child runs, so a signal
   that the caller's handlers would have seen is forwarded instead. */
#include "host.h"
#include "agent/guard.h"
#include "project.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum child_stage
{
  STAGE_SETUP = 1,
  STAGE_CHDIR,
  STAGE_LANDLOCK,
  STAGE_SECCOMP,
  STAGE_EXEC,
  STAGE_PROTECT, /* mount (and user) namespace for the protected paths */
  STAGE_CAPS,
  STAGE_LIMITS,
  STAGE_LISTENER, /* handing the notification fd to the parent */
};

struct child_report
{
  int32_t stage;
  int32_t errnum;
};

static const int forwarded_signals[]
    = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM };

static void __attribute__ ((noreturn))
report_and_exit (int fd, int stage, int errnum, int code)
{
  struct child_report r = { .stage = stage, .errnum = errnum };
  (void) !write (fd, &r, sizeof r);
  _exit (code);
}

/* The first child pid listed in /proc/PID/task/PID/children, or -1. */
static pid_t
first_child (pid_t pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/task/%d/children", (int) pid, (int) pid);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  char buf[64];
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  char *end;
  long v = strtol (buf, &end, 10);
  if (end == buf || v <= 0)
    return -1;
  return (pid_t) v;
}

/* Whom to signal: the command itself.  Under bwrap with a PID namespace it
   is the grandchild (bwrap -> namespace init -> command); the init ignores
   signals it has no handler for. */
static pid_t
signal_target (host_confine confine, pid_t child)
{
  if (confine != HOST_CONFINE_BWRAP)
    return child;
  pid_t init = first_child (child);
  if (init < 0)
    return child;
  pid_t cmd = first_child (init);
  return cmd > 0 ? cmd : child;
}

static int
exit_code_of (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 125;
}

typedef struct
{
  host_landlock *landlock;
  host_bpf bpf;
  int seccomp_fd;
  int info_r, info_w; /* bwrap --info-fd: written once the sandbox exists */
  char **argv;        /* what is executed (bwrap/nsjail argv, or the command) */
  char *path;         /* resolved program */
  /* The supervised default level (host_run with LANDLOCK). */
  bool supervised;
  host_protect *protect;
  host_supervisor *sup;
  char **protected_paths; /* the default list when the policy has none */
  struct rlimit nproc, data;
  int cg_procs[2];  /* "tasks" of the pids and memory cgroups, or -1 */
  char *cg_dirs[2]; /* created cgroups, removed after the run */
  int listen_sock[2]; /* the child sends its notification fd on [1] */
} prepared;

#define PREPARED_INIT                                                                            \
  {                                                                                              \
    .seccomp_fd = -1, .info_r = -1, .info_w = -1, .cg_procs = { -1, -1 },                        \
    .listen_sock = { -1, -1 }                                                                    \
  }

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
prepared_clear (prepared *p)
{
  host_landlock_free (p->landlock);
  host_bpf_clear (&p->bpf);
  host_protect_free (p->protect);
  host_supervisor_free (p->sup);
  strv_free (p->protected_paths);
  close_fd (&p->seccomp_fd);
  close_fd (&p->info_r);
  close_fd (&p->info_w);
  close_fd (&p->listen_sock[0]);
  close_fd (&p->listen_sock[1]);
  for (int i = 0; i < 2; i++)
    {
      close_fd (&p->cg_procs[i]);
      if (p->cg_dirs[i])
        (void) rmdir (p->cg_dirs[i]);
      free (p->cg_dirs[i]);
    }
  strv_free (p->argv);
  free (p->path);
}

/* ------------------------------------------------------- resource bounds */

/* Tasks on the whole machine (the 4th field of /proc/loadavg: running/total):
   an upper bound of the user's own count, which RLIMIT_NPROC compares
   with. */
static long
tasks_total (void)
{
  char buf[128];
  _cleanup_close_ int fd = open ("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  char *slash = strchr (buf, '/');
  return slash ? strtol (slash + 1, NULL, 10) : -1;
}

#define PROCESS_MARGIN 4096

/* The cgroup v1 hierarchy of controller, where this process is: its path
   under /sys/fs/cgroup/CONTROLLER, or NULL. */
static char *
cgroup_v1_dir (const char *controller)
{
  _cleanup_fclose_ FILE *f = fopen ("/proc/self/cgroup", "re");
  if (f == NULL)
    return NULL;
  char line[1024];
  while (fgets (line, sizeof line, f))
    {
      char *c = strchr (line, ':');
      char *p = c ? strchr (c + 1, ':') : NULL;
      if (p == NULL)
        continue;
      *p = '\0';
      char *nl = strchr (p + 1, '\n');
      if (nl)
        *nl = '\0';
      for (char *tok = strtok (c + 1, ","); tok; tok = strtok (NULL, ","))
        if (strcmp (tok, controller) == 0)
          return xasprintf ("/sys/fs/cgroup/%s%s", controller, p + 1);
    }
  return NULL;
}

static bool
write_text (const char *dir, const char *file, const char *text)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, file);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  return fd >= 0 && write (fd, text, strlen (text)) == (ssize_t) strlen (text);
}

/* As root, RLIMIT_NPROC binds nobody (the kernel exempts uid 0 whatever its
   capabilities): a pids cgroup (and a memory one for the whole tree) when
   cgroup v1 lets this process create one.  Best effort: without, root is
   bound by RLIMIT_DATA per process only. */
static void
prepare_cgroups (prepared *p, unsigned long long mem_bytes)
{
  static const char *const ctl[2] = { "pids", "memory" };
  static unsigned counter;
  for (int i = 0; i < 2; i++)
    {
      _cleanup_free_ char *base = cgroup_v1_dir (ctl[i]);
      if (base == NULL)
        continue;
      unsigned seq = __atomic_add_fetch (&counter, 1, __ATOMIC_RELAXED);
      _cleanup_free_ char *dir = xasprintf ("%s/sbx-%d-%u", base, (int) getpid (), seq);
      if (mkdir (dir, 0700) < 0)
        continue;
      _cleanup_free_ char *limit
          = i == 0 ? xasprintf ("%d", PROCESS_MARGIN) : xasprintf ("%llu", mem_bytes);
      const char *file = i == 0 ? "pids.max" : "memory.limit_in_bytes";
      /* The child joins by writing 0 to "tasks" (itself, one thread: a
         child just forked has only one), not to "cgroup.procs": moving a
         whole thread group takes the kernel's global threadgroup lock for
         writing, which waits for an RCU grace period (5 to 20 ms on a
         loaded machine), while moving the calling thread alone does not.
         Its descendants are born in the cgroup either way. */
      _cleanup_free_ char *procs = xasprintf ("%s/tasks", dir);
      int fd = -1;
      if (write_text (dir, file, limit))
        fd = open (procs, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        {
          rmdir (dir);
          continue;
        }
      p->cg_procs[i] = fd;
      p->cg_dirs[i] = steal_pointer (&dir);
    }
}

static void
prepare_limits (const host_run_opts *o, prepared *p)
{
  getrlimit (RLIMIT_NPROC, &p->nproc);
  long total = tasks_total ();
  rlim_t want = total > 0 ? (rlim_t) total + PROCESS_MARGIN : 65536;
  if (p->nproc.rlim_max == RLIM_INFINITY || p->nproc.rlim_max > want)
    p->nproc.rlim_max = want;
  if (p->nproc.rlim_cur == RLIM_INFINITY || p->nproc.rlim_cur > p->nproc.rlim_max)
    p->nproc.rlim_cur = p->nproc.rlim_max;

  unsigned long long mem;
  if (o->max_memory_mb)
    mem = (unsigned long long) o->max_memory_mb << 20;
  else
    mem = (unsigned long long) sysconf (_SC_PHYS_PAGES)
          * (unsigned long long) sysconf (_SC_PAGESIZE) / 2;
  getrlimit (RLIMIT_DATA, &p->data);
  if (p->data.rlim_max == RLIM_INFINITY || p->data.rlim_max > mem)
    p->data.rlim_max = mem;
  if (p->data.rlim_cur == RLIM_INFINITY || p->data.rlim_cur > p->data.rlim_max)
    p->data.rlim_cur = p->data.rlim_max;
  if (geteuid () == 0)
    prepare_cgroups (p, mem);
}

static int
prepare_supervised (const host_run_opts *o, const host_policy *pol, prepared *p, sbx_error **err)
{
  p->supervised = true;
  char *const *protected_paths = pol->protected_paths;
  if (protected_paths == NULL && pol->project_dir && pol->allow_write)
    {
      if (sbx_protected_paths (pol->project_dir, NULL, &p->protected_paths, err) < 0)
        return -1;
      protected_paths = p->protected_paths;
    }
  if (host_protect_new (pol, protected_paths, &p->protect, err) < 0)
    return -1;
  if (host_supervisor_new (pol, host_protect_paths (p->protect), &p->sup, err) < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p->listen_sock) < 0)
    return sbx_fail_errno (err, errno, "socketpair");
  prepare_limits (o, p);
  return 0;
}

static int
prepare (const host_run_opts *o, prepared *p, bool supervised, int *exit_status, sbx_error **err)
{
  host_policy none = { 0 };
  const host_policy *pol = o->policy ? o->policy : &none;

  /* The command must exist: 127 / 126 as docker and the shell say. */
  int errnum = 0;
  _cleanup_free_ char *cmd_path = host_find_program (o->argv[0], &errnum);
  if (cmd_path == NULL)
    {
      *exit_status = errnum == EACCES ? 126 : 127;
      if (errnum == EACCES)
        return sbx_fail (err, SBX_ERR_INVALID, "cannot execute '%s': permission denied",
                         o->argv[0]);
      return sbx_fail (err, SBX_ERR_NOT_FOUND,
                       "'%s': command not found (not in $PATH or no such file)", o->argv[0]);
    }

  switch (o->confine)
    {
    case HOST_CONFINE_NONE:
      p->argv = strv_dup (o->argv);
      p->path = steal_pointer (&cmd_path);
      return 0;

    case HOST_CONFINE_LANDLOCK:
      if (host_landlock_new_policy (pol, &p->landlock, err) < 0)
        return -1;
      if (host_seccomp_default_profile (pol->allow_network, supervised, &p->bpf, err) < 0)
        return -1;
      if (supervised && prepare_supervised (o, pol, p, err) < 0)
        return -1;
      p->argv = strv_dup (o->argv);
      p->path = steal_pointer (&cmd_path);
      return 0;

    case HOST_CONFINE_BWRAP:
      {
        const char *bw = o->bwrap ? o->bwrap : "bwrap";
        p->path = host_find_program (bw, &errnum);
        if (p->path == NULL)
          return sbx_fail (err, SBX_ERR_UNAVAILABLE, "cannot run '%s': %s; install bubblewrap",
                           bw, strerror (errnum));
        if (o->seccomp)
          {
            if (host_seccomp_default_profile (pol->allow_network, false, &p->bpf, err) < 0)
              return -1;
            if (host_seccomp_memfd (&p->bpf, &p->seccomp_fd, err) < 0)
              return -1;
          }
        host_policy bpol = *pol;
        if (bpol.protected_paths == NULL && bpol.project_dir && bpol.allow_write)
          {
            if (sbx_protected_paths (bpol.project_dir, NULL, &p->protected_paths, err)
                < 0)
              return -1;
            bpol.protected_paths = p->protected_paths;
          }
        _cleanup_strv_ char **argv = NULL;
        if (host_bwrap_argv (p->path, &bpol, p->seccomp_fd, o->argv, &argv, err) < 0)
          return -1;
        /* bwrap writes to its info fd once the sandbox exists: when it
           exits without writing, the command never started. */
        int info[2];
        if (pipe2 (info, O_CLOEXEC) < 0)
          return sbx_fail_errno (err, errno, "pipe");
        p->info_r = info[0];
        p->info_w = info[1];
        _cleanup_free_ char *fd = xasprintf ("%d", p->info_w);
        p->argv = xcalloc (strv_len (argv) + 3, sizeof *p->argv);
        size_t n = 0;
        p->argv[n++] = xstrdup (argv[0]);
        p->argv[n++] = xstrdup ("--info-fd");
        p->argv[n++] = xstrdup (fd);
        for (char **a = argv + 1; *a; a++)
          p->argv[n++] = xstrdup (*a);
        return 0;
      }

    case HOST_CONFINE_NSJAIL:
      {
        const char *nj = o->nsjail ? o->nsjail : "nsjail";
        p->path = host_find_program (nj, &errnum);
        if (p->path == NULL)
          return sbx_fail (err, SBX_ERR_UNAVAILABLE, "cannot run '%s': %s; install nsjail", nj,
                           strerror (errnum));
        return host_nsjail_argv (p->path, pol, o->seccomp, o->argv, &p->argv, err);
      }
    }
  return sbx_fail (err, SBX_ERR_INVALID, "unknown confinement %d", (int) o->confine);
}

/* Reset the signals exec does not reset itself (ignored ones stay
   ignored) and the mask. */
static void
default_signals (const sigset_t *mask)
{
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction (sig, &dfl, NULL);
  sigprocmask (SIG_SETMASK, mask, NULL);
}

/* Every capability gone: bounding set, ambient, then effective, permitted
   and inheritable (an exec as root then gains none: the bounding set is
   empty).  0 or -errno; EPERM from the bounding set is no failure for a
   process that has no capabilities to begin with. */
static int
drop_capabilities (void)
{
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -errno;
  for (int cap = 0; cap < 64; cap++)
    if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      {
        if (errno == EINVAL)
          break; /* past the last capability of this kernel */
        if (errno != EPERM || geteuid () == 0)
          return -errno;
        break;
      }
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return -errno;
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct d[2];
  memset (d, 0, sizeof d);
  if (syscall (SYS_capset, &h, d) < 0)
    return -errno;
  return 0;
}

/* Pass fd to the parent over sock (SCM_RIGHTS).  0 or -errno. */
static int
send_fd (int sock, int fd)
{
  char byte = 'L';
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union
  {
    struct cmsghdr h;
    char buf[CMSG_SPACE (sizeof (int))];
  } u;
  memset (&u, 0, sizeof u);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                        .msg_controllen = sizeof u.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof fd);
  return sendmsg (sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* The fd sent by send_fd, or -1 (the child ended first: it reports why). */
static int
recv_fd (int sock)
{
  char byte;
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union
  {
    struct cmsghdr h;
    char buf[CMSG_SPACE (sizeof (int))];
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                        .msg_controllen = sizeof u.buf };
  ssize_t n;
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN (sizeof (int)))
    return -1;
  int fd;
  memcpy (&fd, CMSG_DATA (c), sizeof fd);
  return fd;
}

/* The supervised default level, in the child: limits, namespaces, no
   capabilities, Landlock, both seccomp filters, the listener to the
   parent.  Returns (with *r set) only on failure. */
static void
confine_supervised (const prepared *p, const char *cwd, pid_t parent, struct child_report *r)
{
  static const char zero[] = "0";
  for (int i = 0; i < 2; i++)
    if (p->cg_procs[i] >= 0 && write (p->cg_procs[i], zero, 1) < 0)
      {
        *r = (struct child_report) { .stage = STAGE_LIMITS, .errnum = errno };
        return;
      }
  if (setrlimit (RLIMIT_NPROC, &p->nproc) < 0 || setrlimit (RLIMIT_DATA, &p->data) < 0)
    {
      *r = (struct child_report) { .stage = STAGE_LIMITS, .errnum = errno };
      return;
    }
  /* A caller that changed its uid (setuid(2) from root) is not dumpable:
     its /proc/self files, uid_map among them, would belong to root.  The
     exec below makes the command dumpable anyway. */
  (void) prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
  int e;
  if (host_protect_needed (p->protect)
      && ((e = host_protect_enter (p->protect)) < 0
          || (e = host_landlock_add_private (p->landlock, "/tmp", true)) < 0
          || (e = host_landlock_add_private (p->landlock, "/dev/shm", false)) < 0))
    {
      *r = (struct child_report) { .stage = STAGE_PROTECT, .errnum = -e };
      return;
    }
  /* A new user namespace changed the credentials, which clears the parent
     death signal. */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid () != parent)
    {
      *r = (struct child_report) { .stage = STAGE_SETUP, .errnum = errno ? errno : ESRCH };
      return;
    }
  *r = (struct child_report) { .stage = STAGE_CHDIR };
  if (cwd && chdir (cwd) < 0)
    {
      r->errnum = errno;
      return;
    }
  if ((e = drop_capabilities ()) < 0)
    {
      *r = (struct child_report) { .stage = STAGE_CAPS, .errnum = -e };
      return;
    }
  if ((e = host_landlock_enforce (p->landlock)) < 0)
    {
      *r = (struct child_report) { .stage = STAGE_LANDLOCK, .errnum = -e };
      return;
    }
  int listener = -1;
  if ((e = host_seccomp_enforce_listener (&p->bpf, &listener)) < 0)
    {
      *r = (struct child_report) { .stage = STAGE_SECCOMP, .errnum = -e };
      return;
    }
  e = send_fd (p->listen_sock[1], listener);
  close (listener);
  if (e < 0)
    {
      *r = (struct child_report) { .stage = STAGE_LISTENER, .errnum = -e };
      return;
    }
  *r = (struct child_report) { .stage = STAGE_EXEC };
}

/* Change directory, confine this process as o says and exec the command.
   Returns only on failure, with the stage and errno in *r. */
static void
confine_and_exec (const host_run_opts *o, const prepared *p, pid_t parent,
                  struct child_report *r)
{
  /* bwrap and nsjail change directory inside the sandbox themselves. */
  const char *cwd = o->cwd;
  if (cwd == NULL && o->policy)
    cwd = o->policy->workdir ? o->policy->workdir : o->policy->project_dir;
  if (o->confine == HOST_CONFINE_BWRAP || o->confine == HOST_CONFINE_NSJAIL)
    cwd = o->cwd;
  if (p->supervised)
    {
      confine_supervised (p, cwd, parent, r);
      if (r->stage != STAGE_EXEC)
        return;
      execve (p->path, p->argv, o->env ? o->env : environ);
      *r = (struct child_report) { .stage = STAGE_EXEC, .errnum = errno };
      return;
    }
  *r = (struct child_report) { .stage = STAGE_CHDIR };
  if (cwd && chdir (cwd) < 0)
    {
      r->errnum = errno;
      return;
    }
  if (o->confine == HOST_CONFINE_LANDLOCK)
    {
      int e = host_landlock_enforce (p->landlock);
      if (e < 0)
        {
          *r = (struct child_report) { .stage = STAGE_LANDLOCK, .errnum = -e };
          return;
        }
      e = host_seccomp_enforce (&p->bpf);
      if (e < 0)
        {
          *r = (struct child_report) { .stage = STAGE_SECCOMP, .errnum = -e };
          return;
        }
    }
  /* bwrap shares the host's network namespace with --share-net, where the
     host's abstract Unix sockets answer: scope them away (bwrap is not
     setuid here; a scoped domain does not hinder its namespaces). */
  if (o->confine == HOST_CONFINE_BWRAP && o->policy && o->policy->allow_network)
    {
      int e = host_landlock_scope_enforce ();
      if (e < 0)
        {
          *r = (struct child_report) { .stage = STAGE_LANDLOCK, .errnum = -e };
          return;
        }
    }
  execve (p->path, p->argv, o->env ? o->env : environ);
  *r = (struct child_report) { .stage = STAGE_EXEC, .errnum = errno };
}

static void __attribute__ ((noreturn))
child_main (const host_run_opts *o, const prepared *p, int report_fd, const sigset_t *oldmask,
            pid_t parent)
{
  default_signals (oldmask);
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    report_and_exit (report_fd, STAGE_SETUP, errno, 125);
  if (getppid () != parent)
    _exit (125);

  /* bwrap puts the command in a new session: it would not see the
     terminal's signals.  Keep bwrap itself out of the terminal's foreground
     group too, so that sbx is the one that receives and forwards them. */
  if (o->confine == HOST_CONFINE_BWRAP)
    setpgid (0, 0);
  if (p->info_w >= 0 && fcntl (p->info_w, F_SETFD, 0) < 0)
    report_and_exit (report_fd, STAGE_SETUP, errno, 125);

  struct child_report r;
  confine_and_exec (o, p, parent, &r);
  report_and_exit (report_fd, r.stage, r.errnum,
                   r.stage != STAGE_EXEC ? 125 : r.errnum == ENOENT ? 127 : 126);
}

static int
child_failure (const host_run_opts *o, const prepared *p, const struct child_report *r,
               int *exit_status, sbx_error **err)
{
  const char *cmd = o->argv[0];
  switch (r->stage)
    {
    case STAGE_EXEC:
      if (r->errnum == ENOENT)
        {
          *exit_status = 127;
          return sbx_fail (err, SBX_ERR_NOT_FOUND, "cannot execute '%s': %s", p->path,
                           strerror (r->errnum));
        }
      *exit_status = 126;
      if (o->confine == HOST_CONFINE_LANDLOCK && (r->errnum == EACCES || r->errnum == EPERM))
        return sbx_fail (err, SBX_ERR_INVALID,
                         "cannot execute '%s': %s (outside the directories the sandbox may "
                         "read; add it with --ro DIR)",
                         p->path, strerror (r->errnum));
      return sbx_fail (err, SBX_ERR_INVALID, "cannot execute '%s': %s", p->path,
                       strerror (r->errnum));
    case STAGE_CHDIR:
      *exit_status = 125;
      return sbx_fail_errno (err, r->errnum, "cannot change to the working directory for '%s'",
                             cmd);
    case STAGE_LANDLOCK:
      *exit_status = 125;
      return sbx_fail_errno (err, r->errnum, "cannot enforce the Landlock ruleset for '%s'", cmd);
    case STAGE_SECCOMP:
      *exit_status = 125;
      return sbx_fail_errno (err, r->errnum, "cannot load the seccomp filter for '%s'", cmd);
    case STAGE_PROTECT:
      *exit_status = 125;
      return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                       "cannot create a private mount namespace%s for '%s' (%s), which the "
                       "default level needs to keep .git/hooks, .git/config and .sbx read-only "
                       "and to give the command its own /tmp; user namespaces are probably disabled here "
                       "(the enhanced level needs them too): use --isolation container",
                       geteuid () == 0 ? "" : " in a user namespace", cmd, strerror (r->errnum));
    case STAGE_CAPS:
      *exit_status = 125;
      return sbx_fail_errno (err, r->errnum, "cannot drop the capabilities of '%s'", cmd);
    case STAGE_LIMITS:
      *exit_status = 125;
      return sbx_fail_errno (err, r->errnum, "cannot set the process and memory bounds of '%s'",
                             cmd);
    case STAGE_LISTENER:
      *exit_status = 125;
      return sbx_fail_errno (err, r->errnum, "cannot start supervising '%s'", cmd);
    default:
      *exit_status = 125;
      return sbx_fail_errno (err, r->errnum, "cannot prepare the child process for '%s'", cmd);
    }
}

/* ------------------------------------------------------------------ reaper */

typedef struct
{
  pid_t *v;
  size_t n, cap;
} pid_list;

static void
pid_list_add (pid_list *l, pid_t pid)
{
  if (l->n == l->cap)
    {
      l->cap = l->cap ? 2 * l->cap : 64;
      l->v = xrealloc (l->v, l->cap * sizeof *l->v);
    }
  l->v[l->n++] = pid;
}

static bool
pid_list_has (const pid_list *l, pid_t pid)
{
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i] == pid)
      return true;
  return false;
}

/* Append the children of every thread of process pid (zombies included). */
static void
add_children_of (const char *pid, pid_list *out)
{
  char task_dir[64];
  snprintf (task_dir, sizeof task_dir, "/proc/%s/task", pid);
  _cleanup_closedir_ DIR *d = opendir (task_dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir (d)))
    {
      if (e->d_name[0] == '.')
        continue;
      char path[300];
      snprintf (path, sizeof path, "%s/%.64s/children", task_dir, e->d_name);
      _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      char buf[4096];
      size_t keep = 0;
      for (;;)
        {
          ssize_t n = read (fd, buf + keep, sizeof buf - 1 - keep);
          if (n <= 0)
            break;
          size_t len = keep + (size_t) n;
          buf[len] = '\0';
          /* Parse the complete numbers; carry a partial one over. */
          char *last_space = strrchr (buf, ' ');
          size_t complete = last_space ? (size_t) (last_space - buf) + 1 : 0;
          char *p = buf;
          while (p < buf + complete)
            {
              char *end;
              long v = strtol (p, &end, 10);
              if (end == p)
                break;
              if (v > 0)
                pid_list_add (out, (pid_t) v);
              p = end;
              while (*p == ' ')
                p++;
            }
          keep = len - complete;
          memmove (buf, buf + complete, keep);
        }
      buf[keep] = '\0';
      long v = strtol (buf, NULL, 10);
      if (v > 0)
        pid_list_add (out, (pid_t) v);
    }
}

/* The children of every thread of this process (zombies included). */
static void
list_children (pid_list *out)
{
  out->n = 0;
  add_children_of ("self", out);
}

/* Reap the processes left behind that already ended (not the caller's own
   children, not the command). */
static void
reap_orphans (const pid_list *before, pid_t command)
{
  pid_list now = { 0 };
  list_children (&now);
  for (size_t i = 0; i < now.n; i++)
    if (now.v[i] != command && !pid_list_has (before, now.v[i]))
      (void) waitpid (now.v[i], NULL, WNOHANG);
  free (now.v);
}

/* SIGKILL and reap every descendant left, until none is left.  Each round
   walks the whole tree down from our children (orphans are ours: this
   process is a subreaper), killing a process before listing its children:
   with SIGKILL pending it can fork no more, so the list is complete and a
   fork bomb cannot refill the slots faster than they are emptied.  What
   reparents to us meanwhile is found in the next round. */
static void
kill_the_rest (const pid_list *before)
{
  pid_list direct = { 0 }, stack = { 0 };
  for (;;)
    {
      list_children (&direct);
      size_t mine = 0;
      stack.n = 0;
      for (size_t i = 0; i < direct.n; i++)
        if (!pid_list_has (before, direct.v[i]))
          {
            direct.v[mine++] = direct.v[i];
            pid_list_add (&stack, direct.v[i]);
          }
      direct.n = mine;
      if (mine == 0)
        break;
      while (stack.n > 0)
        {
          pid_t pid = stack.v[--stack.n];
          kill (pid, SIGKILL);
          char name[16];
          snprintf (name, sizeof name, "%d", (int) pid);
          add_children_of (name, &stack);
        }
      for (size_t i = 0; i < direct.n; i++)
        while (waitpid (direct.v[i], NULL, 0) < 0 && errno == EINTR)
          ;
    }
  free (direct.v);
  free (stack.v);
}

/* Watch the protected paths of a writable project that do not exist yet
   (agent/guard.h), for as long as the command runs. */
static void
guard_start (const host_run_opts *o, const prepared *p, sbx_guard *g)
{
  const host_policy *pol = o->policy;
  sbx_guard_start (g, NULL);
  if (o->confine == HOST_CONFINE_NONE || pol == NULL || pol->project_dir == NULL
      || !pol->allow_write)
    return;
  char *const *paths = pol->protected_paths ? pol->protected_paths : p->protected_paths;
  _cleanup_free_ char **watched = xcalloc (strv_len (paths) + 1, sizeof *watched);
  size_t n = 0;
  for (char *const *q = paths; q && *q; q++)
    if (sbx_protected_watched (pol->project_dir, *q))
      watched[n++] = *q;
  sbx_guard_start (g, watched);
}

/* Closing an inotify descriptor that held a watch waits for an RCU grace
   period (milliseconds on a loaded machine): a helper that keeps nothing
   else open pays it, once this process closed its copy, so that sbx ends
   without waiting. */
static void
guard_clear (sbx_guard *g)
{
  int done[2] = { -1, -1 };
  if (g->fd >= 0 && pipe2 (done, O_CLOEXEC) == 0)
    {
      /* Twice: the helper is nobody's child here (an embedder that waits
         for any child does not get it). */
      pid_t pid = fork ();
      if (pid == 0 && fork () != 0)
        _exit (0);
      if (pid == 0)
        {
          /* Keep only the descriptor and the pipe; close it once this
             process closed its own (EOF).  The write end and the standard
             descriptors by name first: without close_range (ENOSYS,
             EPERM), the helper must still see EOF and hold no output. */
          close (done[1]);
          for (int fd = 0; fd <= 2; fd++)
            if (fd != g->fd && fd != done[0])
              close (fd);
          unsigned a = (unsigned) (g->fd < done[0] ? g->fd : done[0]);
          unsigned b = (unsigned) (g->fd < done[0] ? done[0] : g->fd);
          if (a > 0)
            syscall (SYS_close_range, 0U, a - 1, 0U);
          if (b > a + 1)
            syscall (SYS_close_range, a + 1, b - 1, 0U);
          syscall (SYS_close_range, b + 1, ~0U, 0U);
          char c;
          while (read (done[0], &c, 1) < 0 && errno == EINTR)
            ;
          _exit (0);
        }
      close (done[0]);
      if (pid > 0)
        while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
          ;
    }
  sbx_guard_end (g);
  if (done[1] >= 0)
    close (done[1]);
}

int
host_run (const host_run_opts *o, int *exit_status, sbx_error **err)
{
  *exit_status = 125;
  if (o->argv == NULL || o->argv[0] == NULL)
    return sbx_fail (err, SBX_ERR_INVALID, "no command given; put it after --");

  __attribute__ ((cleanup (prepared_clear))) prepared p = PREPARED_INIT;
  if (prepare (o, &p, o->confine == HOST_CONFINE_LANDLOCK, exit_status, err) < 0)
    return -1;

  int report[2];
  if (pipe2 (report, O_CLOEXEC) < 0)
    return sbx_fail_errno (err, errno, "pipe");
  _cleanup_close_ int report_r = report[0];
  _cleanup_close_ int report_w = report[1];

  /* Orphans of the command become our children; what we had before is the
     caller's business. */
  int was_subreaper = 0;
  prctl (PR_GET_CHILD_SUBREAPER, &was_subreaper, 0, 0, 0);
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return sbx_fail_errno (err, errno, "prctl(PR_SET_CHILD_SUBREAPER)");
  _cleanup_free_ pid_t *before_v = NULL;
  pid_list before = { 0 };
  list_children (&before);
  before_v = before.v;
  __attribute__ ((cleanup (guard_clear))) sbx_guard guard;
  guard_start (o, &p, &guard);
  bool violated = false;

  sigset_t mask, oldmask;
  sigemptyset (&mask);
  for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
    sigaddset (&mask, forwarded_signals[i]);
  sigaddset (&mask, SIGCHLD);
  if (sigprocmask (SIG_BLOCK, &mask, &oldmask) < 0)
    return sbx_fail_errno (err, errno, "sigprocmask");
  _cleanup_close_ int sfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    {
      int e = errno;
      sigprocmask (SIG_SETMASK, &oldmask, NULL);
      return sbx_fail_errno (err, e, "signalfd");
    }

  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      sigprocmask (SIG_SETMASK, &oldmask, NULL);
      prctl (PR_SET_CHILD_SUBREAPER, was_subreaper, 0, 0, 0);
      return sbx_fail_errno (err, e, "fork");
    }
  if (pid == 0)
    child_main (o, &p, report_w, &oldmask, parent);

  close (steal_fd (&report_w));
  close_fd (&p.seccomp_fd);
  close_fd (&p.info_w);
  close_fd (&p.listen_sock[1]);
  _cleanup_close_ int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  _cleanup_close_ int listener = -1;
  if (p.supervised)
    listener = recv_fd (p.listen_sock[0]);

  struct child_report rep;
  ssize_t n;
  do
    n = read (report_r, &rep, sizeof rep);
  while (n < 0 && errno == EINTR);
  bool failed = n == (ssize_t) sizeof rep;
  bool no_sandbox = false;
  if (!failed && p.info_r >= 0)
    {
      char info[64];
      do
        n = read (p.info_r, info, sizeof info);
      while (n < 0 && errno == EINTR);
      no_sandbox = n == 0;
    }

  int status = 0;
  bool forward_terminal = o->confine == HOST_CONFINE_BWRAP;
  for (;;)
    {
      pid_t w = waitpid (pid, &status, WNOHANG);
      if (w == pid)
        break;
      if (w < 0 && errno != EINTR)
        {
          int e = errno;
          sigprocmask (SIG_SETMASK, &oldmask, NULL);
          prctl (PR_SET_CHILD_SUBREAPER, was_subreaper, 0, 0, 0);
          return sbx_fail_errno (err, e, "waitpid");
        }
      struct pollfd fds[4] = {
        { .fd = sfd, .events = POLLIN },
        { .fd = pidfd, .events = POLLIN },
        { .fd = listener, .events = POLLIN },
        { .fd = guard.fd, .events = POLLIN },
      };
      if (poll (fds, 4, -1) < 0)
        continue;
      if ((fds[3].revents & POLLIN) && sbx_guard_check (&guard))
        {
          /* A protected name appeared (and went): the command goes. */
          violated = true;
          kill_the_rest (&before);
          break;
        }
      if (listener >= 0 && (fds[2].revents & POLLIN))
        (void) host_supervisor_handle (p.sup, listener);
      else if (listener >= 0 && (fds[2].revents & (POLLHUP | POLLERR | POLLNVAL)))
        close_fd (&listener); /* no process left with the filter */
      if (!(fds[0].revents & POLLIN))
        continue;
      struct signalfd_siginfo si;
      ssize_t r = read (sfd, &si, sizeof si);
      if (r != (ssize_t) sizeof si)
        continue;
      if (si.ssi_signo == SIGCHLD)
        {
          reap_orphans (&before, pid);
          continue;
        }
      if (failed)
        continue;
      /* Signals the terminal sends reach the whole foreground group (the
         child too) unless the child lives in its own session. */
      if (si.ssi_code == SI_KERNEL && !forward_terminal)
        continue;
      if ((pid_t) si.ssi_pid == pid)
        continue;
      kill (signal_target (o->confine, pid), (int) si.ssi_signo);
    }
  /* The command ended: nothing it started outlives it. */
  close_fd (&listener);
  kill_the_rest (&before);
  sigprocmask (SIG_SETMASK, &oldmask, NULL);
  prctl (PR_SET_CHILD_SUBREAPER, was_subreaper, 0, 0, 0);
  /* What it made just before it ended, and what it made again while it
     was being killed. */
  violated |= sbx_guard_check (&guard);
  if (violated)
    {
      sbx_guard_sweep (&guard);
      char msg[PATH_MAX + 512];
      sbx_guard_message (&guard, msg, sizeof msg);
      *exit_status = 125;
      return sbx_fail (err, SBX_ERR_GENERIC, "%s", msg);
    }

  if (failed)
    return child_failure (o, &p, &rep, exit_status, err);
  if (no_sandbox)
    return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                     "bwrap cannot create a sandbox here (it said why above; exit status %d); "
                     "the command did not run",
                     exit_code_of (status));
  *exit_status = exit_code_of (status);
  return 0;
}

#ifdef SBX_SANITIZE
/* LeakSanitizer stops the world with ptrace at exit, which the seccomp
   filter refuses: a process that confined itself (and then could not exec)
   must exit without it. */
static volatile int confined_self;
int __lsan_is_turned_off (void);
int
__lsan_is_turned_off (void)
{
  return confined_self;
}
#define NOTE_CONFINED_SELF() (confined_self = 1)
#else
#define NOTE_CONFINED_SELF() ((void) 0)
#endif

int
host_exec (const host_run_opts *o, int *exit_status, sbx_error **err)
{
  *exit_status = 125;
  if (o->argv == NULL || o->argv[0] == NULL)
    return sbx_fail (err, SBX_ERR_INVALID, "no command given; put it after --");
  if (o->confine != HOST_CONFINE_NONE && o->confine != HOST_CONFINE_LANDLOCK)
    return sbx_fail (err, SBX_ERR_INVALID, "only Landlock confinement applies without a child");
  __attribute__ ((cleanup (prepared_clear))) prepared p = PREPARED_INIT;
  if (prepare (o, &p, false, exit_status, err) < 0)
    return -1;
  fflush (NULL); /* what is buffered here would be lost with the process image */
  sigset_t mask;
  if (sigprocmask (SIG_SETMASK, NULL, &mask) < 0)
    return sbx_fail_errno (err, errno, "sigprocmask");
  default_signals (&mask);
  struct child_report r;
  NOTE_CONFINED_SELF ();
  confine_and_exec (o, &p, getpid (), &r);
  return child_failure (o, &p, &r, exit_status, err);
}
