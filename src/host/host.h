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

/* The Landlock ABI of the running kernel: 0 when Landlock is not available
   (not built, disabled at boot), else 1.. (this code knows up to 7). */
int host_landlock_abi (void);

typedef struct host_landlock host_landlock;

/* New ruleset for the running kernel's ABI, handling every access right that
   ABI knows (best effort downwards: never more than the kernel enforces).
   Adds the system paths read+exec, /tmp read-write and project_dir
   read-write (project_dir may be NULL).  With allow_network false and ABI >= 4,
   TCP bind and connect are denied; ABI >= 6 scopes abstract Unix sockets and
   signals to the sandbox.  SBX_ERR_UNAVAILABLE when Landlock is not here. */
int host_landlock_new (const char *project_dir, bool allow_network, host_landlock **out,
                       sbx_error **err);
/* Same from a policy (project writable or not, extra dirs). */
int host_landlock_new_policy (const host_policy *pol, host_landlock **out, sbx_error **err);
int host_landlock_add_ro (host_landlock *ll, const char *path, sbx_error **err);
int host_landlock_add_rw (host_landlock *ll, const char *path, sbx_error **err);
int host_landlock_get_abi (const host_landlock *ll);
/* Enforce on the calling thread (and its future children): sets
   no_new_privs, then restricts itself.  Irreversible: call it in a forked
   child, never in sbx itself.  Async-signal-safe: returns 0 or -errno. */
int host_landlock_enforce (const host_landlock *ll);
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
   other is an SBX_ERR_UNAVAILABLE error): EPERM for ptrace,
   process_vm_readv/writev, mount/umount/pivot_root/chroot and the new mount
   API, kexec, bpf, perf_event_open, keyctl/add_key/request_key, module
   loading, reboot, swapon/off, unshare/clone/setns of user namespaces,
   io_uring, userfaultfd, personality flags that weaken ASLR or W^X, TIOCSTI
   and TIOCLINUX; clone3 gives ENOSYS (libc falls back to clone, which is
   filtered); when allow_network is false, socket/socketpair of any family but
   AF_UNIX.  Everything else is allowed. */
int host_seccomp_default_profile (bool allow_network, host_bpf *out, sbx_error **err);
/* Load a program on the calling thread (sets no_new_privs first).
   Async-signal-safe: 0 or -errno. */
int host_seccomp_enforce (const host_bpf *bpf);
int host_seccomp_apply (const host_bpf *bpf, sbx_error **err);
/* A memfd (not close-on-exec) holding the program, for bwrap --seccomp. */
int host_seccomp_memfd (const host_bpf *bpf, int *fd, sbx_error **err);
void host_bpf_clear (host_bpf *bpf);

/* ------------------------------------------------------------- bubblewrap */

/* bwrap argv for cmd: system paths ro-bound, /dev, /proc, tmpfs /tmp, the
   project bound at its own path (rw when allow_write) and set as working
   directory, extra dirs, --unshare-all (--share-net only with
   allow_network), --die-with-parent, --new-session, --cap-drop ALL, and
   --seccomp FD when seccomp_fd >= 0.  bwrap: the program ("bwrap" if NULL). */
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
/* The default seccomp filter (see host_seccomp_default_profile) in Kafel
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
} host_run_opts;

/* Run the command confined, stdin/stdout/stderr inherited, forwarding
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

#endif
