/* seccomp.c: the default seccomp filter, built with libseccomp and exported
   as BPF bytes in the parent; the child loads the bytes with one system call
   (async-signal-safe), bwrap receives them through a memfd. */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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
} deny_entry;

#define D(n) { #n, SCMP_SYS (n) }
/* Denied outright with EPERM. */
static const deny_entry deny_always[] = {
  D (ptrace),         D (process_vm_readv),  D (process_vm_writev), D (mount),
  D (umount),         D (umount2),           D (pivot_root),        D (chroot),
  D (fsopen),         D (fsconfig),          D (fsmount),           D (fspick),
  D (move_mount),     D (open_tree),         D (mount_setattr),     D (kexec_load),
  D (kexec_file_load), D (bpf),              D (perf_event_open),   D (keyctl),
  D (add_key),        D (request_key),       D (init_module),       D (finit_module),
  D (delete_module),  D (reboot),            D (swapon),            D (swapoff),
  D (io_uring_setup), D (io_uring_enter),    D (io_uring_register), D (userfaultfd),
  D (acct),           D (settimeofday),      D (clock_settime),     D (adjtimex),
  D (clock_adjtime),  D (lookup_dcookie),    D (quotactl),          D (nfsservctl),
  D (vhangup),        D (iopl),              D (ioperm),            D (syslog),
  D (uselib),         D (ustat),             D (sysfs),             D (_sysctl),
};
#undef D

static int
check (int r, const char *what, sbx_error **err)
{
  if (r < 0)
    return sbx_fail (err, SBX_ERR_GENERIC, "cannot build the seccomp filter (%s): %s", what,
                     strerror (-r));
  return 0;
}

static int
add_rules (scmp_filter_ctx ctx, bool allow_network, sbx_error **err)
{
  const uint32_t eperm = SCMP_ACT_ERRNO (EPERM);
  for (size_t i = 0; i < sizeof deny_always / sizeof deny_always[0]; i++)
    {
      /* A syscall this architecture does not have (negative pseudo number)
         cannot be called: nothing to deny. */
      if (deny_always[i].nr < 0)
        continue;
      if (check (seccomp_rule_add (ctx, eperm, deny_always[i].nr, 0), deny_always[i].name, err)
          < 0)
        return -1;
    }

  /* User namespaces: unshare and clone with CLONE_NEWUSER, setns into one
     (nstype 0 means "any", so it is denied too).  clone3 passes its flags in
     memory where seccomp cannot look: ENOSYS makes libc fall back to clone. */
  if (check (seccomp_rule_add (ctx, eperm, SCMP_SYS (unshare), 1,
                               SCMP_A0 (SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)),
             "unshare", err)
      < 0)
    return -1;
  if (check (seccomp_rule_add (ctx, eperm, SCMP_SYS (clone), 1,
                               SCMP_A0 (SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)),
             "clone", err)
      < 0)
    return -1;
  if (check (seccomp_rule_add (ctx, eperm, SCMP_SYS (setns), 1,
                               SCMP_A1 (SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)),
             "setns", err)
      < 0)
    return -1;
  if (check (seccomp_rule_add (ctx, eperm, SCMP_SYS (setns), 1, SCMP_A1 (SCMP_CMP_EQ, 0)),
             "setns", err)
      < 0)
    return -1;
  if (SCMP_SYS (clone3) >= 0
      && check (seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (clone3), 0), "clone3",
                err)
             < 0)
    return -1;

  /* personality: flags that turn off ASLR or make data executable.  Bit 31
     is in the mask so that the query personality(0xffffffff) still works
     (no real persona sets it). */
  static const uint32_t bad_persona[]
      = { ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO, ADDR_COMPAT_LAYOUT };
  for (size_t i = 0; i < sizeof bad_persona / sizeof bad_persona[0]; i++)
    if (check (seccomp_rule_add (ctx, eperm, SCMP_SYS (personality), 1,
                                 SCMP_A0_32 (SCMP_CMP_MASKED_EQ, bad_persona[i] | 0x80000000U,
                                             bad_persona[i])),
               "personality", err)
        < 0)
      return -1;

  /* Terminal injection. */
  if (check (seccomp_rule_add (ctx, eperm, SCMP_SYS (ioctl), 1,
                               SCMP_A1_32 (SCMP_CMP_EQ, (uint32_t) TIOCSTI)),
             "ioctl", err)
      < 0)
    return -1;
  if (check (seccomp_rule_add (ctx, eperm, SCMP_SYS (ioctl), 1,
                               SCMP_A1_32 (SCMP_CMP_EQ, (uint32_t) TIOCLINUX)),
             "ioctl", err)
      < 0)
    return -1;

  if (!allow_network)
    {
      if (check (seccomp_rule_add (ctx, eperm, SCMP_SYS (socket), 1,
                                   SCMP_A0_32 (SCMP_CMP_NE, AF_UNIX)),
                 "socket", err)
          < 0)
        return -1;
      if (check (seccomp_rule_add (ctx, eperm, SCMP_SYS (socketpair), 1,
                                   SCMP_A0_32 (SCMP_CMP_NE, AF_UNIX)),
                 "socketpair", err)
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
host_seccomp_default_profile (bool allow_network, host_bpf *out, sbx_error **err)
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
  if (check (seccomp_attr_set (ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "badarch",
             err)
      < 0)
    return -1;
  if (add_rules (ctx, allow_network, err) < 0)
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
                     (long long) st.st_size);
  _cleanup_free_ unsigned char *data = xmalloc ((size_t) st.st_size);
  size_t done = 0;
  while (done < (size_t) st.st_size)
    {
      ssize_t n = pread (fd, data + done, (size_t) st.st_size - done, (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return sbx_fail_errno (err, n < 0 ? errno : EIO, "reading the exported seccomp filter");
      done += (size_t) n;
    }
  out->data = steal_pointer (&data);
  out->len = done;
  return 0;
}

int
host_seccomp_enforce (const host_bpf *bpf)
{
  struct sock_fprog prog = {
    .len = (unsigned short) (bpf->len / sizeof (struct sock_filter)),
    .filter = (struct sock_filter *) bpf->data,
  };
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -errno;
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
    return -errno;
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
