/* seccomp.c: the default seccomp filter, built with libseccomp and exported
   as BPF bytes in the parent; the child loads the bytes with one system call
   (async-signal-safe), bwrap receives them through a memfd. */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

bool
host_seccomp_available (void)
{
  unsigned int action = SECCOMP_RET_ERRNO;
  if (syscall (SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
    return true;
  /* Kernels before 4.14 lack GET_ACTION_AVAIL: filter mode is there when
     prctl answers. */
  return errno == EINVAL && prctl (PR_GET_SECCOMP, 0, 0, 0, 0) >= 0
         && syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL) < 0 && errno == EFAULT;
}

typedef struct
{
  const char *name;
  int nr;
} sys_entry;

#define D(n)                                                                                       \
  {                                                                                                \
#n, SCMP_SYS(n)                                                                                \
  }
/* Denied outright with EPERM. */
static const sys_entry deny_always[] = {
  D (ptrace),
  D (process_vm_readv),
  D (process_vm_writev),
  D (mount),
  D (umount),
  D (umount2),
  D (pivot_root),
  D (chroot),
  D (fsopen),
  D (fsconfig),
  D (fsmount),
  D (fspick),
  D (move_mount),
  D (open_tree),
  D (mount_setattr),
  D (kexec_load),
  D (kexec_file_load),
  D (bpf),
  D (perf_event_open),
  D (keyctl),
  D (add_key),
  D (request_key),
  D (init_module),
  D (finit_module),
  D (delete_module),
  D (reboot),
  D (swapon),
  D (swapoff),
  D (io_uring_setup),
  D (io_uring_enter),
  D (io_uring_register),
  D (userfaultfd),
  D (acct),
  D (settimeofday),
  D (clock_settime),
  D (adjtimex),
  D (clock_adjtime),
  D (lookup_dcookie),
  D (quotactl),
  D (nfsservctl),
  D (vhangup),
  D (iopl),
  D (ioperm),
  D (syslog),
  D (uselib),
  D (ustat),
  D (sysfs),
  D (_sysctl),
  /* Other processes' memory and files. */
  D (process_madvise),
  D (process_mrelease),
  D (kcmp),
  /* The machine's identity. */
  D (sethostname),
  D (setdomainname),
  /* Opens by file handle, around path-based checks (needs a capability
     anyway). */
  D (open_by_handle_at),
};

/* System calls newer than libseccomp 2.5.4: their numbers are the same on
   x86-64 and aarch64 (the unified table every architecture follows since
   Linux 5.1). */
#define SYS_FCHMODAT2 452
#define SYS_SETXATTRAT 463
#define SYS_REMOVEXATTRAT 466
#define SYS_FILE_SETATTR 469

/* Supervised (SCMP_ACT_NOTIFY): connecting, and changing the metadata of a
   file (mode, owner, times, extended attributes, inode flags). */
static const sys_entry supervised_calls[] = {
  D (connect),
  D (chmod),
  D (fchmod),
  D (fchmodat),
  { "fchmodat2", SYS_FCHMODAT2 },
  D (chown),
  D (fchown),
  D (lchown),
  D (fchownat),
  D (utime),
  D (utimes),
  D (futimesat),
  D (utimensat),
  D (setxattr),
  D (lsetxattr),
  D (fsetxattr),
  D (removexattr),
  D (lremovexattr),
  D (fremovexattr),
  { "setxattrat", SYS_SETXATTRAT },
  { "removexattrat", SYS_REMOVEXATTRAT },
  { "file_setattr", SYS_FILE_SETATTR },
};
#undef D

/* The kernel reads an int argument (ioctl command, socket family, pid,
   flags...) from the low 32 bits of the register; libseccomp compares all
   64.  A rule that matches a value must therefore mask: "the low 32 bits
   equal v".  A rule that matches everything but a value (SCMP_CMP_NE) is
   left on 64 bits on purpose: it is stricter (a value with high bits set is
   refused even when the kernel would read it as the allowed one). */
#define LOW32_EQ(n, v) SCMP_CMP64 ((n), SCMP_CMP_MASKED_EQ, 0xffffffffULL, (uint32_t)(v))

static int
check (int r, const char *what, sbx_error **err)
{
  if (r < 0)
    return sbx_fail (err, SBX_ERR_GENERIC, "cannot build the seccomp filter (%s): %s", what,
                     strerror (-r));
  return 0;
}

/* Add one rule; a syscall this architecture does not have (negative pseudo
   number) cannot be called: nothing to add. */
static int
rule (scmp_filter_ctx ctx, uint32_t action, int nr, const char *name, unsigned int n,
      const struct scmp_arg_cmp *cmp, sbx_error **err)
{
  if (nr < 0)
    return 0;
  return check (seccomp_rule_add_array (ctx, action, nr, n, cmp), name, err);
}

#define NCMP(...) (sizeof ((struct scmp_arg_cmp[]){ __VA_ARGS__ }) / sizeof (struct scmp_arg_cmp))
#define RULE(act, sys, ...)                                                                        \
  rule (ctx, (act), SCMP_SYS (sys), #sys, NCMP (__VA_ARGS__),                                      \
        (struct scmp_arg_cmp[]){ __VA_ARGS__ }, err)
#define RULE0(act, sys) rule (ctx, (act), SCMP_SYS (sys), #sys, 0, NULL, err)

/* Calls that act on another process (argument pid_arg names it; 0 is the
   caller) are refused unless the pid is 0. */
static const struct
{
  const char *name;
  int nr;
  unsigned int pid_arg;
} self_only[] = {
  { "prlimit64", SCMP_SYS (prlimit64), 0 },
  { "sched_setscheduler", SCMP_SYS (sched_setscheduler), 0 },
  { "sched_setparam", SCMP_SYS (sched_setparam), 0 },
  { "sched_setattr", SCMP_SYS (sched_setattr), 0 },
  { "sched_setaffinity", SCMP_SYS (sched_setaffinity), 0 },
  { "migrate_pages", SCMP_SYS (migrate_pages), 0 },
  { "move_pages", SCMP_SYS (move_pages), 0 },
};

/* No setuid or setgid file: chmod and friends with S_ISUID or S_ISGID in
   the mode, and files created with them (the supervised filter sends the
   chmod calls to the supervisor, which refuses the same modes). */
static int
add_setid_rules (scmp_filter_ctx ctx, sbx_error **err)
{
  const uint32_t eperm = SCMP_ACT_ERRNO (EPERM);
  static const mode_t bits[] = { S_ISUID, S_ISGID };
  for (size_t i = 0; i < 2; i++)
    {
      const mode_t b = bits[i];
      struct scmp_arg_cmp a2 = SCMP_CMP64 (2, SCMP_CMP_MASKED_EQ, b, b);
      if (RULE (eperm, chmod, SCMP_A1 (SCMP_CMP_MASKED_EQ, b, b)) < 0
          || RULE (eperm, fchmod, SCMP_A1 (SCMP_CMP_MASKED_EQ, b, b)) < 0
          || RULE (eperm, fchmodat, SCMP_A2 (SCMP_CMP_MASKED_EQ, b, b)) < 0
          || rule (ctx, eperm, SYS_FCHMODAT2, "fchmodat2", 1, &a2, err) < 0
          || RULE (eperm, creat, SCMP_A1 (SCMP_CMP_MASKED_EQ, b, b)) < 0
          || RULE (eperm, open, SCMP_A1 (SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT),
                   SCMP_A2 (SCMP_CMP_MASKED_EQ, b, b))
                 < 0
          || RULE (eperm, openat, SCMP_A2 (SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT),
                   SCMP_A3 (SCMP_CMP_MASKED_EQ, b, b))
                 < 0)
        return -1;
    }
  return 0;
}

static int
add_rules (scmp_filter_ctx ctx, bool allow_network, bool supervised, sbx_error **err)
{
  const uint32_t eperm = SCMP_ACT_ERRNO (EPERM);
  for (size_t i = 0; i < sizeof deny_always / sizeof deny_always[0]; i++)
    if (rule (ctx, eperm, deny_always[i].nr, deny_always[i].name, 0, NULL, err) < 0)
      return -1;

  /* User namespaces: unshare and clone with CLONE_NEWUSER, setns into one
     (nstype 0 means "any", so it is denied too).  clone3 passes its flags in
     memory where seccomp cannot look: ENOSYS makes libc fall back to clone.
     The masks have no high bits, so the compares are on the low 32 bits. */
  if (RULE (eperm, unshare, SCMP_A0 (SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)) < 0
      || RULE (eperm, clone, SCMP_A0 (SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)) < 0
      || RULE (eperm, setns, SCMP_A1 (SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)) < 0
      || RULE (eperm, setns, LOW32_EQ (1, 0)) < 0 || RULE0 (SCMP_ACT_ERRNO (ENOSYS), clone3) < 0)
    return -1;

  /* personality: flags that turn off ASLR or make data executable.  Bit 31
     is in the mask so that the query personality(0xffffffff) still works
     (no real persona sets it). */
  static const uint32_t bad_persona[]
      = { ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO, ADDR_COMPAT_LAYOUT };
  for (size_t i = 0; i < sizeof bad_persona / sizeof bad_persona[0]; i++)
    if (RULE (eperm, personality,
              SCMP_A0 (SCMP_CMP_MASKED_EQ, bad_persona[i] | 0x80000000U, bad_persona[i]))
        < 0)
      return -1;

  /* Terminal injection (TIOCSTI types into the terminal, TIOCLINUX can
     paste the console selection), and inode flags (chattr: immutable,
     append-only) whatever the high bits of the command. */
  static const uint32_t bad_ioctl[] = { TIOCSTI, TIOCLINUX, FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR };
  for (size_t i = 0; i < sizeof bad_ioctl / sizeof bad_ioctl[0]; i++)
    if (RULE (eperm, ioctl, LOW32_EQ (1, bad_ioctl[i])) < 0)
      return -1;

  /* Other processes: limits, scheduling, memory placement of any pid but
     the caller's own (0). */
  for (size_t i = 0; i < sizeof self_only / sizeof self_only[0]; i++)
    {
      struct scmp_arg_cmp c = SCMP_CMP64 (self_only[i].pid_arg, SCMP_CMP_NE, 0);
      if (rule (ctx, eperm, self_only[i].nr, self_only[i].name, 1, &c, err) < 0)
        return -1;
    }
  /* setpriority and ioprio_set: only (PRIO_PROCESS / IOPRIO_WHO_PROCESS, 0),
     the caller itself; process groups and users are other processes. */
  if (RULE (eperm, setpriority, SCMP_A0 (SCMP_CMP_NE, PRIO_PROCESS)) < 0
      || RULE (eperm, setpriority, SCMP_A1 (SCMP_CMP_NE, 0)) < 0
      || RULE (eperm, ioprio_set, SCMP_A0 (SCMP_CMP_NE, 1 /* IOPRIO_WHO_PROCESS */)) < 0
      || RULE (eperm, ioprio_set, SCMP_A1 (SCMP_CMP_NE, 0)) < 0)
    return -1;

  /* Device nodes: no character or block device, whatever the permission
     bits (FIFOs and sockets stay allowed). */
  if (RULE (eperm, mknod, SCMP_A1 (SCMP_CMP_MASKED_EQ, S_IFMT, S_IFCHR)) < 0
      || RULE (eperm, mknod, SCMP_A1 (SCMP_CMP_MASKED_EQ, S_IFMT, S_IFBLK)) < 0
      || RULE (eperm, mknodat, SCMP_A2 (SCMP_CMP_MASKED_EQ, S_IFMT, S_IFCHR)) < 0
      || RULE (eperm, mknodat, SCMP_A2 (SCMP_CMP_MASKED_EQ, S_IFMT, S_IFBLK)) < 0)
    return -1;

  if (!allow_network)
    {
      if (RULE (eperm, socket, SCMP_A0 (SCMP_CMP_NE, AF_UNIX)) < 0
          || RULE (eperm, socketpair, SCMP_A0 (SCMP_CMP_NE, AF_UNIX)) < 0)
        return -1;
    }

  if (!supervised && add_setid_rules (ctx, err) < 0)
    return -1;
  if (supervised)
    {
      for (size_t i = 0; i < sizeof supervised_calls / sizeof supervised_calls[0]; i++)
        if (rule (ctx, SCMP_ACT_NOTIFY, supervised_calls[i].nr, supervised_calls[i].name, 0, NULL,
                  err)
            < 0)
          return -1;
      /* An unconnected datagram socket can sendto() any socket path without
         connect(): refused, from socket() and socketpair() alike (the type
         without SOCK_NONBLOCK/SOCK_CLOEXEC). */
      if (RULE (SCMP_ACT_ERRNO (EACCES), socket, LOW32_EQ (0, AF_UNIX),
                SCMP_A1 (SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM))
              < 0
          || RULE (SCMP_ACT_ERRNO (EACCES), socketpair, LOW32_EQ (0, AF_UNIX),
                   SCMP_A1 (SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM))
                 < 0)
        return -1;
    }
  return 0;
}

static void
release_ctx (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}

int
host_seccomp_default_profile (bool allow_network, bool supervised, host_bpf *out, sbx_error **err)
{
  memset (out, 0, sizeof *out);
  uint32_t arch = seccomp_arch_native ();
  if (arch != SCMP_ARCH_X86_64 && arch != SCMP_ARCH_AARCH64)
    return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                     "no seccomp profile for this architecture (audit arch 0x%x); sbx knows x86-64 "
                     "and aarch64, use --isolation container instead",
                     arch);
  __attribute__ ((cleanup (release_ctx))) scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  if (ctx == NULL)
    return sbx_fail (err, SBX_ERR_GENERIC, "cannot initialise libseccomp");
  /* Calls of another architecture (i386 int 0x80, x32) kill the process:
     their numbers mean something else and would pass the filter. */
  if (check (seccomp_attr_set (ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "badarch", err)
      < 0)
    return -1;
  if (add_rules (ctx, allow_network, supervised, err) < 0)
    return -1;

  _cleanup_close_ int fd = memfd_create ("sbx-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "memfd_create for the seccomp filter");
  int r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    return check (r, "export", err);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return sbx_fail_errno (err, errno, "fstat of the seccomp filter");
  if (st.st_size <= 0 || st.st_size % sizeof (struct sock_filter) != 0)
    return sbx_fail (err, SBX_ERR_GENERIC, "libseccomp exported a filter of %lld bytes",
                     (long long)st.st_size);
  _cleanup_free_ unsigned char *data = xmalloc ((size_t)st.st_size);
  size_t done = 0;
  while (done < (size_t)st.st_size)
    {
      ssize_t n = pread (fd, data + done, (size_t)st.st_size - done, (off_t)done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return sbx_fail_errno (err, n < 0 ? errno : EIO, "reading the exported seccomp filter");
      done += (size_t)n;
    }
  out->data = steal_pointer (&data);
  out->len = done;
  return 0;
}

int
host_seccomp_enforce (const host_bpf *bpf)
{
  struct sock_fprog prog = {
    .len = (unsigned short)(bpf->len / sizeof (struct sock_filter)),
    .filter = (struct sock_filter *)bpf->data,
  };
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -errno;
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
    return -errno;
  return 0;
}

int
host_seccomp_enforce_listener (const host_bpf *bpf, int *listener)
{
  struct sock_fprog prog = {
    .len = (unsigned short)(bpf->len / sizeof (struct sock_filter)),
    .filter = (struct sock_filter *)bpf->data,
  };
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -errno;
  /* WAIT_KILLABLE_RECV (Linux 5.19): once the supervisor has received a
     notification, only a fatal signal interrupts the call, so a program
     that signals itself often (Go's preemption) does not restart it
     forever.  Older kernels: without. */
  long fd
      = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                 SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
  if (fd < 0 && errno == EINVAL)
    fd = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0)
    return -errno;
  *listener = (int)fd;
  return 0;
}

int
host_seccomp_apply (const host_bpf *bpf, sbx_error **err)
{
  int r = host_seccomp_enforce (bpf);
  if (r < 0)
    return sbx_fail_errno (err, -r, "cannot load the seccomp filter");
  return 0;
}

int
host_seccomp_memfd (const host_bpf *bpf, int *fd_out, sbx_error **err)
{
  _cleanup_close_ int fd = memfd_create ("sbx-seccomp-bwrap", 0);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "memfd_create for the seccomp filter");
  if (write_all (fd, bpf->data, bpf->len) < 0)
    return sbx_fail_errno (err, errno, "writing the seccomp filter");
  if (lseek (fd, 0, SEEK_SET) < 0)
    return sbx_fail_errno (err, errno, "rewinding the seccomp filter");
  *fd_out = steal_fd (&fd);
  return 0;
}

void
host_bpf_clear (host_bpf *bpf)
{
  free (bpf->data);
  bpf->data = NULL;
  bpf->len = 0;
}
