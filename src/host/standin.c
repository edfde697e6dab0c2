/* standin.c: LOCAL STAND-IN for the API announced for seccomp.c and
   landlock.c (see standin.h); delete with standin.h once it lands. */
#include "standin.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

static void
release (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}

int
host_seccomp_supervised_standin (host_bpf *out, sbx_error **err)
{
  static const char *const names[]
      = { "connect",     "chmod",        "fchmod",       "fchmodat",  "chown",
          "fchown",      "lchown",       "fchownat",     "utime",     "utimes",
          "futimesat",   "utimensat",    "setxattr",     "lsetxattr", "fsetxattr",
          "removexattr", "lremovexattr", "fremovexattr", NULL };
  memset (out, 0, sizeof *out);
  __attribute__ ((cleanup (release))) scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  if (ctx == NULL)
    return sbx_fail (err, SBX_ERR_GENERIC, "cannot initialise libseccomp");
  for (const char *const *n = names; *n; n++)
    {
      int nr = seccomp_syscall_resolve_name (*n);
      if (nr < 0)
        continue;
      int r = seccomp_rule_add (ctx, SCMP_ACT_NOTIFY, nr, 0);
      if (r < 0)
        return sbx_fail (err, SBX_ERR_GENERIC, "cannot build the supervised filter (%s): %s", *n,
                         strerror (-r));
    }
  int r = seccomp_rule_add (ctx, SCMP_ACT_NOTIFY, __NR_fchmodat2, 0);
  if (r < 0)
    return sbx_fail (err, SBX_ERR_GENERIC, "cannot build the supervised filter (fchmodat2): %s",
                     strerror (-r));
  _cleanup_close_ int fd = memfd_create ("sbx-seccomp-notify", MFD_CLOEXEC);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "memfd_create for the seccomp filter");
  r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    return sbx_fail (err, SBX_ERR_GENERIC, "cannot export the supervised filter: %s",
                     strerror (-r));
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_size <= 0)
    return sbx_fail_errno (err, errno ? errno : EIO, "fstat of the seccomp filter");
  unsigned char *data = xmalloc ((size_t) st.st_size);
  if (pread (fd, data, (size_t) st.st_size, 0) != st.st_size)
    {
      free (data);
      return sbx_fail_errno (err, EIO, "reading the exported seccomp filter");
    }
  out->data = data;
  out->len = (size_t) st.st_size;
  return 0;
}

int
host_seccomp_enforce_listener (const host_bpf *bpf, int *listener)
{
  struct sock_fprog prog = {
    .len = (unsigned short) (bpf->len / sizeof (struct sock_filter)),
    .filter = (struct sock_filter *) bpf->data,
  };
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -errno;
  long fd = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0)
    return -errno;
  *listener = (int) fd;
  return 0;
}

int
host_landlock_scope_enforce (void)
{
  struct
  {
    uint64_t fs, net, scoped;
  } attr = { .scoped = 3 };
  long abi = syscall (444, NULL, 0, 1U);
  if (abi < 6)
    return 0;
  long fd = syscall (444, &attr, sizeof attr, 0);
  if (fd < 0)
    return -errno;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall (446, (int) fd, 0) < 0)
    {
      int e = errno;
      close ((int) fd);
      return -e;
    }
  close ((int) fd);
  return 0;
}
