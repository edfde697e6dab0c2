/* run.c: fork, confine the child between fork and exec, wait, forward
   signals, pass the exit status through (host_run); or confine this
   process and exec, for a caller with nothing left to do (host_exec).

   Everything that allocates (Landlock ruleset, seccomp program, argv) is
   prepared before fork; the child only makes async-signal-safe calls and
   reports a failure through a close-on-exec pipe (EOF = exec succeeded).
   Signals are taken through a signalfd while the child runs, so a signal
   that the caller's handlers would have seen is forwarded instead. */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
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
} prepared;

#define PREPARED_INIT { .seccomp_fd = -1, .info_r = -1, .info_w = -1 }

static void
prepared_clear (prepared *p)
{
  host_landlock_free (p->landlock);
  host_bpf_clear (&p->bpf);
  if (p->seccomp_fd >= 0)
    close (p->seccomp_fd);
  if (p->info_r >= 0)
    close (p->info_r);
  if (p->info_w >= 0)
    close (p->info_w);
  strv_free (p->argv);
  free (p->path);
}

static int
prepare (const host_run_opts *o, prepared *p, int *exit_status, sbx_error **err)
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
      if (host_seccomp_default_profile (pol->allow_network, false, &p->bpf, err) < 0)
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
        _cleanup_strv_ char **argv = NULL;
        if (host_bwrap_argv (p->path, pol, p->seccomp_fd, o->argv, &argv, err) < 0)
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

/* Change directory, confine this process as o says and exec the command.
   Returns only on failure, with the stage and errno in *r. */
static void
confine_and_exec (const host_run_opts *o, const prepared *p, struct child_report *r)
{
  /* bwrap and nsjail change directory inside the sandbox themselves. */
  const char *cwd = o->cwd;
  if (cwd == NULL && o->policy)
    cwd = o->policy->workdir ? o->policy->workdir : o->policy->project_dir;
  if (o->confine == HOST_CONFINE_BWRAP || o->confine == HOST_CONFINE_NSJAIL)
    cwd = o->cwd;
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
  confine_and_exec (o, p, &r);
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
    default:
      *exit_status = 125;
      return sbx_fail_errno (err, r->errnum, "cannot prepare the child process for '%s'", cmd);
    }
}

int
host_run (const host_run_opts *o, int *exit_status, sbx_error **err)
{
  *exit_status = 125;
  if (o->argv == NULL || o->argv[0] == NULL)
    return sbx_fail (err, SBX_ERR_INVALID, "no command given; put it after --");

  __attribute__ ((cleanup (prepared_clear))) prepared p = PREPARED_INIT;
  if (prepare (o, &p, exit_status, err) < 0)
    return -1;

  int report[2];
  if (pipe2 (report, O_CLOEXEC) < 0)
    return sbx_fail_errno (err, errno, "pipe");
  _cleanup_close_ int report_r = report[0];
  _cleanup_close_ int report_w = report[1];

  sigset_t mask, oldmask;
  sigemptyset (&mask);
  for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
    sigaddset (&mask, forwarded_signals[i]);
  sigaddset (&mask, SIGCHLD);
  if (sigprocmask (SIG_BLOCK, &mask, &oldmask) < 0)
    return sbx_fail_errno (err, errno, "sigprocmask");
  _cleanup_close_ int sfd = signalfd (-1, &mask, SFD_CLOEXEC);
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
      return sbx_fail_errno (err, e, "fork");
    }
  if (pid == 0)
    child_main (o, &p, report_w, &oldmask, parent);

  close (steal_fd (&report_w));
  if (p.seccomp_fd >= 0)
    close (steal_fd (&p.seccomp_fd));
  if (p.info_w >= 0)
    close (steal_fd (&p.info_w));

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
          return sbx_fail_errno (err, e, "waitpid");
        }
      struct signalfd_siginfo si;
      ssize_t r = read (sfd, &si, sizeof si);
      if (r < 0 && errno == EINTR)
        continue;
      if (r != (ssize_t) sizeof si)
        continue;
      if (si.ssi_signo == SIGCHLD || failed)
        continue;
      /* Signals the terminal sends reach the whole foreground group (the
         child too) unless the child lives in its own session. */
      if (si.ssi_code == SI_KERNEL && !forward_terminal)
        continue;
      if ((pid_t) si.ssi_pid == pid)
        continue;
      kill (signal_target (o->confine, pid), (int) si.ssi_signo);
    }
  sigprocmask (SIG_SETMASK, &oldmask, NULL);

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
  if (prepare (o, &p, exit_status, err) < 0)
    return -1;
  fflush (NULL); /* what is buffered here would be lost with the process image */
  sigset_t mask;
  if (sigprocmask (SIG_SETMASK, NULL, &mask) < 0)
    return sbx_fail_errno (err, errno, "sigprocmask");
  default_signals (&mask);
  struct child_report r;
  NOTE_CONFINED_SELF ();
  confine_and_exec (o, &p, &r);
  return child_failure (o, &p, &r, exit_status, err);
}
