/* host.h: host-level confinement.  Landlock, seccomp (libseccomp),
   bubblewrap, nsjail, macOS Seatbelt profile generation, probes, and the
   runner that forks, confines the child between fork and exec, and passes
   stdio, signals and the exit status through.

   This layer knows nothing of the engine or of project environments.  It
   never prints and never exits; every failure is an sbx_error. */
#ifndef SBX_HOST_H
#define SBX_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* What a confined command may touch.  Paths must be absolute. */
typedef struct host_policy
{
  const char *project_dir; /* may be NULL; read-write when allow_write */
  bool allow_write;        /* the project is writable (else read-only) */
  bool allow_network;      /* TCP/UDP/any socket family; else AF_UNIX only */
  char *const *ro_dirs;    /* extra read-only dirs, NULL-terminated, may be NULL */
  char *const *rw_dirs;    /* extra read-write dirs, NULL-terminated, may be NULL */
  const char *workdir;     /* working directory of the command; NULL: project_dir */
  /* Paths inside writable dirs that stay read-only and cannot be renamed,
     replaced or deleted (.git/config, .git/hooks, .sbx, ...): absolute,
     NULL-terminated, may be NULL; those that do not exist are skipped. */
  char *const *protected_paths;
  /* Paths that are never readable although a readable dir holds them
     (credentials: ~/.ssh, /etc/shadow, ...): absolute, NULL-terminated, may
     be NULL. */
  char *const *deny_read;
  /* Pathname Unix sockets outside the writable dirs that the command may
     connect to (absolute, NULL-terminated, may be NULL). */
  char *const *allow_unix_sockets;
  const char *home; /* the user's home, readable but for deny_read; may be NULL */
} host_policy;

/* System paths a normal program needs, readable and executable (those that
   do not exist on this machine are skipped). */
extern const char *const host_system_ro_paths[];

/* ---------------------------------------------------------------- Landlock */

/* What the default level never lets a command read, though a readable dir
   holds it (credentials).  Entries starting with "~/" are relative to the
   user's home (host_policy.home); the others are absolute.  A component may
   hold fnmatch(3) wildcards (the host keys in /etc/ssh).  NULL-terminated; for
   `sbx doctor` and the docs too. */
extern const char *const host_default_deny_read[];

/* How a path relates to the deny patterns (host_deny_check). */
enum
{
  DENY_NONE,  /* no pattern concerns the path */
  DENY_SELF,  /* the path is denied (or lies inside a denied path) */
  DENY_BELOW, /* a denied path lies strictly below the path */
};
/* The deny patterns of pol: host_default_deny_read ("~/" entries under
   pol->home, skipped without one) and pol->deny_read.  Allocated. */
char **host_deny_patterns (const host_policy *pol);
/* DENY_NONE, DENY_SELF or DENY_BELOW for path against patterns deny. */
int host_deny_check (char *const *deny, const char *path);
/* The patterns of deny that reach strictly below dir (DENY_BELOW), the only
   ones that can concern a path under dir, each relative to dir (its
   components below dir): a name in dir is checked against them with
   host_deny_check.  The array is allocated; the strings point into
   deny's. */
char **host_deny_below (char *const *deny, const char *dir);
/* The denied paths that exist here, symlinks resolved, each once (for the
   backends that mask them).  Allocated, may be NULL. */
char **host_deny_existing (const host_policy *pol);

/* The Landlock ABI of the running kernel: 0 when Landlock is not available
   (not built, disabled at boot), else 1.. (this code knows up to 9). */
int host_landlock_abi (void);

typedef struct host_landlock host_landlock;

/* New ruleset for the running kernel's ABI, handling every access right that
   ABI knows (best effort downwards: never more than the kernel enforces).
   Adds the system paths read+exec (but host_default_deny_read), /dev's usual
   nodes, /tmp read-write and project_dir read-write (project_dir may be
   NULL).  /run and /var/run (daemon sockets) are never granted; only the
   file /etc/resolv.conf links to is.  Creating device nodes is never
   granted.  With allow_network false and ABI >= 4, TCP bind and connect
   are denied; ABI >= 6 scopes abstract Unix sockets and signals to the
   sandbox; ABI >= 9 handles LANDLOCK_ACCESS_FS_RESOLVE_UNIX (connecting to a
   pathname socket), granted on the project and rw_dirs only (never /tmp).
   SBX_ERR_UNAVAILABLE when Landlock is not here. */
int host_landlock_new (const char *project_dir, bool allow_network, host_landlock **out,
                       sbx_error **err);
/* Same from a policy: project writable or not, extra dirs, pol->home
   readable, and a read set that is a deny list enforced as an allow list:
   host_default_deny_read (the "~/" entries under pol->home) and
   pol->deny_read are not readable although a granted dir holds them.  A
   granted dir that holds a denied path can be listed but gets its rights
   entry by entry (so no new entry can be created directly in it); a dir
   named as project, ro_dirs or rw_dirs is granted even when it is itself
   on the deny list (the user named it).  pol->allow_unix_sockets get
   RESOLVE_UNIX (ABI >= 9).  pol->protected_paths are not handled here. */
int host_landlock_new_policy (const host_policy *pol, host_landlock **out, sbx_error **err);
int host_landlock_add_ro (host_landlock *ll, const char *path, sbx_error **err);
int host_landlock_add_rw (host_landlock *ll, const char *path, sbx_error **err);
int host_landlock_get_abi (const host_landlock *ll);
/* Enforce on the calling thread (and its future children): sets
   no_new_privs, then restricts itself.  Irreversible: call it in a forked
   child, never in sbx itself.  Async-signal-safe: returns 0 or -errno. */
int host_landlock_enforce (const host_landlock *ll);
/* Scopes only, for the namespace backends (bwrap, nsjail): a ruleset that
   handles no filesystem or network access (so the backend can still mount)
   and scopes abstract Unix sockets and signals to the calling process and
   its descendants (ABI >= 6, else -EOPNOTSUPP).  Sets no_new_privs.  Call it
   in the forked child before exec'ing the backend: with --allow-network the
   backend shares the host's network namespace and so its abstract sockets.
   Async-signal-safe: 0 or -errno. */
int host_landlock_scope_enforce (void);
/* Read-write (and exec when asked) on the dir at path as the calling
   process sees it now: for the private tmpfs that the child mounts on /tmp
   and /dev/shm after the ruleset was made (rules name inodes).  A missing
   path is no error.  Async-signal-safe: 0 or -errno. */
int host_landlock_add_private (const host_landlock *ll, const char *path, bool exec);
/* Same with an sbx_error. */
int host_landlock_apply (const host_landlock *ll, sbx_error **err);
void host_landlock_free (host_landlock *ll);
void host_landlock_freep (host_landlock **ll);
#define _cleanup_landlock_ __attribute__ ((cleanup (host_landlock_freep)))

/* ----------------------------------------------------------------- seccomp */

/* A classic BPF program (struct sock_filter[]) as exported by libseccomp. */
typedef struct host_bpf
{
  unsigned char *data;
  size_t len; /* bytes, a multiple of sizeof (struct sock_filter) */
} host_bpf;

/* Whether the kernel supports seccomp filters with SECCOMP_RET_ERRNO. */
bool host_seccomp_available (void);
/* The default filter for the native architecture (x86-64 or aarch64; any
   other is an SBX_ERR_UNAVAILABLE error).  EPERM for: ptrace,
   process_vm_readv/writev, process_madvise, process_mrelease, kcmp,
   mount/umount/pivot_root/chroot and the new mount API, kexec, bpf,
   perf_event_open, keyctl/add_key/request_key, module loading, reboot,
   swapon/off, sethostname/setdomainname, open_by_handle_at, unshare/clone/
   setns of user namespaces, io_uring, userfaultfd, personality flags that
   weaken ASLR or W^X; ioctl TIOCSTI, TIOCLINUX, FS_IOC_SETFLAGS,
   FS_IOC_FSSETXATTR; prlimit64, sched_setscheduler/setparam/setattr/
   setaffinity, migrate_pages, move_pages on any pid but 0 (the caller);
   setpriority and ioprio_set on anything but (PRIO_PROCESS /
   IOPRIO_WHO_PROCESS, 0); mknod/mknodat of a character or block device
   (FIFOs and sockets allowed).  clone3 gives ENOSYS (libc falls back to
   clone, which is filtered).  When allow_network is false, socket/socketpair
   of any family but AF_UNIX.  Every int argument is compared on its low 32
   bits, as the kernel reads it (0x100005412 is TIOCSTI).
   supervised: connect and the metadata calls (chmod, fchmod, fchmodat,
   fchmodat2, chown, fchown, lchown, fchownat, utime, utimes, futimesat,
   utimensat, setxattr, lsetxattr, fsetxattr, removexattr, lremovexattr,
   fremovexattr, setxattrat, removexattrat, file_setattr) return
   SECCOMP_RET_USER_NOTIF, for a supervisor that holds the listener (see
   host_seccomp_enforce_listener; without a listener they fail with ENOSYS),
   and socket(AF_UNIX, SOCK_DGRAM) fails with EACCES (an unconnected
   datagram socket reaches any socket path through sendto without connect;
   socketpair stays allowed).  Everything else is allowed. */
int host_seccomp_default_profile (bool allow_network, bool supervised, host_bpf *out,
                                  sbx_error **err);
/* Load a program on the calling thread (sets no_new_privs first).
   Async-signal-safe: 0 or -errno. */
int host_seccomp_enforce (const host_bpf *bpf);
/* Load bpf with SECCOMP_FILTER_FLAG_NEW_LISTENER (and WAIT_KILLABLE_RECV
   where the kernel has it), setting no_new_privs first; *listener gets the
   notification fd (close-on-exec).  Async-signal-safe: 0 or -errno. */
int host_seccomp_enforce_listener (const host_bpf *bpf, int *listener);
int host_seccomp_apply (const host_bpf *bpf, sbx_error **err);
/* A memfd (not close-on-exec) holding the program, for bwrap --seccomp. */
int host_seccomp_memfd (const host_bpf *bpf, int *fd, sbx_error **err);
void host_bpf_clear (host_bpf *bpf);

/* ------------------------------------------------------------- bubblewrap */

/* bwrap argv for cmd: system paths ro-bound, /dev, /proc, tmpfs /tmp, the
   project bound at its own path (rw when allow_write) and set as working
   directory, extra dirs, --unshare-all (--share-net only with
   allow_network), --die-with-parent, --new-session, --cap-drop ALL, and
   --seccomp FD when seccomp_fd >= 0.  With allow_write, the project's .git
   is bound onto itself and each existing policy->protected_paths read-only.
   /run (where daemon sockets live) is never bound: a ro/rw dir that is or
   holds it is an error.  bwrap: the program ("bwrap" if NULL). */
int host_bwrap_argv (const char *bwrap, const host_policy *pol, int seccomp_fd,
                     char *const *cmd, char ***out, sbx_error **err);
/* Whether bwrap really runs a sandbox here (runs `bwrap ... true`; user
   namespaces may be disabled).  On false, *why (may be NULL, allocated) says
   why. */
bool host_bwrap_works (char **why);
/* bwrap's path in $PATH, or NULL (*why, when why is not NULL: why not). */
char *host_bwrap_find (char **why);

/* ----------------------------------------------------------------- nsjail */

/* nsjail argv: -Mo (run once), an empty root with the system paths
   ro-mounted, /dev nodes, tmpfs /tmp, the project (rw when allow_write) as
   working directory, extra dirs, a network namespace unless allow_network
   (-N), no time or rlimit caps beyond the user's, the environment kept, and
   with seccomp the default filter as a Kafel policy (--seccomp_string). */
int host_nsjail_argv (const char *nsjail, const host_policy *pol, bool seccomp, char *const *cmd,
                      char ***out, sbx_error **err);
/* The default seccomp filter, unsupervised (see host_seccomp_default_profile), in Kafel
   syntax, for nsjail.  Allocated. */
char *host_nsjail_kafel_policy (bool allow_network);
/* Full path of nsjail in $PATH (allocated), or NULL. */
char *host_nsjail_find (void);

/* ------------------------------------------------------------- Seatbelt */

typedef enum
{
  HOST_SEATBELT_OFF = 0,   /* no sandbox: bash -c CMD */
  HOST_SEATBELT_WORKSPACE, /* default level: read the system, write the workspace */
  HOST_SEATBELT_STRICT,    /* enhanced level: narrower reads, no process-exec outside system */
} host_seatbelt_mode;

/* The SBPL profile for pol (allocated, never NULL). */
char *host_seatbelt_profile (const host_policy *pol, host_seatbelt_mode mode);
/* argv for cmd: `sandbox-exec -p PROFILE bash -c CMD`, or `bash -c CMD` with
   HOST_SEATBELT_OFF.  Allocated, NULL-terminated. */
char **host_seatbelt_wrap_command (host_seatbelt_mode mode, const char *profile, const char *cmd);

/* ----------------------------------------------------------------- probes */

typedef struct host_probe
{
  int landlock_abi;
  bool seccomp;
  bool bwrap;        /* bwrap runs a sandbox here */
  char *bwrap_error; /* why not, allocated, or NULL */
  bool nsjail;       /* nsjail is in $PATH */
  bool runsc;        /* runsc is in $PATH (the engine may still not know it) */
  bool seatbelt;     /* sandbox-exec exists (macOS) */
} host_probe;

/* Fill p.  probe_bwrap false: skip running bwrap (p->bwrap false). */
void host_probe_run (host_probe *p, bool probe_bwrap);
void host_probe_clear (host_probe *p);

/* Seccomp user notification with pidfd_getfd (the default level's
   supervisor needs both). */
bool host_seccomp_notify_available (void);
/* A mount namespace of its own for this process: as root, or through a user
   namespace (tries it in a forked child). */
bool host_mount_ns_available (void);

/* Search $PATH for name (with '/': the path itself).  Returns the path
   (allocated) or NULL with *errnum ENOENT (not found) or EACCES (found but
   not executable). */
char *host_find_program (const char *name, int *errnum);

/* ----------------------------------------------------------------- runner */

typedef enum
{
  HOST_CONFINE_NONE = 0,
  HOST_CONFINE_LANDLOCK,   /* Landlock + seccomp, applied in the child */
  HOST_CONFINE_BWRAP,      /* bwrap (+ seccomp when opts.seccomp) */
  HOST_CONFINE_NSJAIL,     /* nsjail */
} host_confine;

typedef struct host_run_opts
{
  host_confine confine;
  const host_policy *policy;
  bool seccomp;           /* also with bwrap; always on for LANDLOCK */
  char *const *argv;      /* the command */
  char *const *env;       /* NULL: the current environment */
  const char *cwd;        /* NULL: policy->workdir, else policy->project_dir, else
                             the current directory */
  const char *bwrap;      /* program, NULL: "bwrap" */
  const char *nsjail;     /* program, NULL: "nsjail" */
  /* LANDLOCK: bound on each process's data segment (RLIMIT_DATA) and, as
     root, on the whole tree (a memory cgroup); 0: half of the RAM. */
  unsigned long max_memory_mb;
} host_run_opts;

/* Run the command confined, as a child subreaper: when the command ends,
   every process it left behind (daemonised, setsid, double-forked) is
   killed and reaped before host_run returns.

   HOST_CONFINE_LANDLOCK (the default level) is supervised: the child gets
   a mount namespace where the protected paths are read-only mounts and
   .git is a mount point (a user namespace too when not root; without one,
   SBX_ERR_UNAVAILABLE naming the container level), a bound on its
   processes (RLIMIT_NPROC, and a pids cgroup as root, whom RLIMIT_NPROC
   does not bind) and memory (RLIMIT_DATA, and a memory cgroup as root),
   loses every capability, then Landlock and the default seccomp filter,
   plus a filter sending connect() and the file metadata calls to this
   process, which answers them (see supervise.c).  policy->protected_paths
   NULL means sbx_protected_paths (project_dir, NULL) when the
   project is writable; an empty vector protects nothing.  Those of them
   that do not exist are watched while the command runs (agent/guard.h,
   sbx_protected_watched): one made is removed, the command's whole tree
   killed, and host_run fails with the report and exit status 125.

   Stdin/stdout/stderr inherited, forwarding
   SIGHUP/SIGINT/SIGQUIT/SIGTERM/SIGUSR1/SIGUSR2/SIGWINCH sent to this process
   (not those the terminal sends to the whole foreground group, which the
   child receives itself).  *exit_status: the command's status, 128+N when a
   signal N killed it.  On error returns -1 and sets *exit_status to 127 (not
   found), 126 (cannot execute) or 125 (sbx failed); SBX_ERR_UNAVAILABLE when
   bwrap could not create its sandbox (the command did not start). */
int host_run (const host_run_opts *opts, int *exit_status, sbx_error **err);

/* The same without a child, for a program that has nothing left to do:
   confine this process (HOST_CONFINE_NONE or HOST_CONFINE_LANDLOCK) and
   become the command, which then gets every signal itself.  Returns only
   on failure, as host_run does. */
int host_exec (const host_run_opts *opts, int *exit_status, sbx_error **err);

/* ------------------------------------------------------- protected paths */


typedef struct host_protect host_protect;
/* Resolve paths (those that do not exist are skipped) and the mount flags
   to keep, before fork. */
int host_protect_new (const host_policy *pol, char *const *paths, host_protect **out,
                      sbx_error **err);
/* Whether there is anything to bind (.git or an existing protected path). */
bool host_protect_needed (const host_protect *p);
/* The real paths that will be read-only (NULL-terminated). */
char *const *host_protect_paths (const host_protect *p);
/* In the forked child: new mount (and user) namespace, the binds.
   Async-signal-safe: 0 or -errno. */
int host_protect_enter (const host_protect *p);
void host_protect_free (host_protect *p);

/* -------------------------------------------------------------- supervisor */

typedef struct host_supervisor host_supervisor;
/* What the supervisor allows, resolved before fork (see supervise.c). */
int host_supervisor_new (const host_policy *pol, char *const *protected_paths,
                         host_supervisor **out, sbx_error **err);
/* Receive and answer one notification from listener.  0, or -errno when
   the listener failed. */
int host_supervisor_handle (host_supervisor *s, int listener);
void host_supervisor_free (host_supervisor *s);

#endif
