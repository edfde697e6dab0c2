/* landlock.c: Landlock rulesets.  The ruleset is built in the parent (it
   needs allocations and path lookups); the child only sets no_new_privs and
   restricts itself, which is async-signal-safe. */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The uapi header of the build machine may be older than the kernel: the
   ABI is defined here, as the kernel documents it. */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

/* ABI 1 */
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
/* ABI 2 */
#define LL_FS_REFER (1ULL << 13)
/* ABI 3 */
#define LL_FS_TRUNCATE (1ULL << 14)
/* ABI 5 */
#define LL_FS_IOCTL_DEV (1ULL << 15)
/* ABI 4 */
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
/* ABI 6 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

#define LL_KNOWN_ABI 7

struct ll_ruleset_attr
{
  uint64_t handled_access_fs;
  uint64_t handled_access_net; /* ABI 4 */
  uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath_attr
{
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__ ((packed));

#define LL_FS_READ (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_FS_WRITE                                                                              \
  (LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR    \
   | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM      \
   | LL_FS_REFER | LL_FS_TRUNCATE)
/* Rights that make sense on a file (not a directory). */
#define LL_FS_FILE_RIGHTS                                                                        \
  (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

const char *const host_system_ro_paths[] = {
  "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
  "/nix/store", "/run/current-system", "/proc", "/sys", NULL,
};

/* Device nodes a normal program writes (terminals, null, random). */
static const char *const dev_rw_paths[] = {
  "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
  "/dev/ptmx", "/dev/pts", "/dev/shm", NULL,
};

struct host_landlock
{
  int abi;
  int ruleset_fd;
  uint64_t handled_fs;
};

int
host_landlock_abi (void)
{
  long abi = syscall (__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
  if (abi < 0)
    return 0;
  return (int) abi;
}

static uint64_t
handled_fs_for_abi (int abi)
{
  uint64_t fs = LL_FS_READ | LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE
                | LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK
                | LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM;
  if (abi >= 2)
    fs |= LL_FS_REFER;
  if (abi >= 3)
    fs |= LL_FS_TRUNCATE;
  if (abi >= 5)
    fs |= LL_FS_IOCTL_DEV;
  return fs;
}

/* Add a rule for path with access (masked by what is handled and by what a
   non-directory can carry).  missing_ok: a path absent here is skipped. */
static int
add_path (host_landlock *ll, const char *path, uint64_t access, bool missing_ok, sbx_error **err)
{
  _cleanup_close_ int fd = open (path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    {
      if (missing_ok && (errno == ENOENT || errno == ENOTDIR || errno == EACCES))
        return 0;
      return sbx_fail (err, SBX_ERR_INVALID, "cannot add '%s' to the Landlock ruleset: %s; give an existing directory",
                       path, strerror (errno));
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    return sbx_fail_errno (err, errno, "stat '%s'", path);
  access &= ll->handled_fs;
  if (!S_ISDIR (st.st_mode))
    access &= LL_FS_FILE_RIGHTS;
  if (access == 0)
    return 0;
  struct ll_path_beneath_attr pb = { .allowed_access = access, .parent_fd = fd };
  if (syscall (__NR_landlock_add_rule, ll->ruleset_fd, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
    return sbx_fail_errno (err, errno, "cannot add a Landlock rule for '%s'", path);
  return 0;
}

int
host_landlock_add_ro (host_landlock *ll, const char *path, sbx_error **err)
{
  return add_path (ll, path, LL_FS_READ, false, err);
}

int
host_landlock_add_rw (host_landlock *ll, const char *path, sbx_error **err)
{
  return add_path (ll, path, LL_FS_READ | LL_FS_WRITE | LL_FS_IOCTL_DEV, false, err);
}

static int
landlock_create (bool allow_network, host_landlock **out, sbx_error **err)
{
  int abi = host_landlock_abi ();
  if (abi <= 0)
    return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                     "Landlock is not available on this kernel (needs Linux >= 5.13 with "
                     "CONFIG_SECURITY_LANDLOCK and 'landlock' in the lsm= boot list)");
  struct ll_ruleset_attr attr = { 0 };
  size_t attr_size = sizeof attr.handled_access_fs;
  attr.handled_access_fs = handled_fs_for_abi (abi);
  if (abi >= 4)
    {
      attr_size = offsetof (struct ll_ruleset_attr, scoped);
      if (!allow_network)
        attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
    }
  if (abi >= 6)
    {
      attr_size = sizeof attr;
      attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
    }
  int fd = (int) syscall (__NR_landlock_create_ruleset, &attr, attr_size, 0);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "cannot create a Landlock ruleset (ABI %d)", abi);
  host_landlock *ll = xcalloc (1, sizeof *ll);
  ll->abi = abi;
  ll->ruleset_fd = fd;
  ll->handled_fs = attr.handled_access_fs;
  *out = ll;
  return 0;
}

static int
add_base_rules (host_landlock *ll, sbx_error **err)
{
  for (const char *const *p = host_system_ro_paths; *p; p++)
    if (add_path (ll, *p, LL_FS_READ, true, err) < 0)
      return -1;
  /* /dev can be listed; only the usual nodes can be opened (never a disk). */
  if (add_path (ll, "/dev", LL_FS_READ_DIR, true, err) < 0)
    return -1;
  for (const char *const *p = dev_rw_paths; *p; p++)
    if (add_path (ll, *p, LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_WRITE | LL_FS_IOCTL_DEV, true,
                  err)
        < 0)
      return -1;
  if (add_path (ll, "/tmp", LL_FS_READ | LL_FS_WRITE, true, err) < 0)
    return -1;
  return 0;
}

int
host_landlock_new (const char *project_dir, bool allow_network, host_landlock **out,
                   sbx_error **err)
{
  host_policy pol = { .project_dir = project_dir, .allow_write = true,
                      .allow_network = allow_network };
  return host_landlock_new_policy (&pol, out, err);
}

int
host_landlock_new_policy (const host_policy *pol, host_landlock **out, sbx_error **err)
{
  _cleanup_landlock_ host_landlock *ll = NULL;
  if (landlock_create (pol->allow_network, &ll, err) < 0)
    return -1;
  if (add_base_rules (ll, err) < 0)
    return -1;
  if (pol->project_dir)
    {
      int r = pol->allow_write ? host_landlock_add_rw (ll, pol->project_dir, err)
                               : host_landlock_add_ro (ll, pol->project_dir, err);
      if (r < 0)
        return -1;
    }
  for (char *const *p = pol->ro_dirs; p && *p; p++)
    if (host_landlock_add_ro (ll, *p, err) < 0)
      return -1;
  for (char *const *p = pol->rw_dirs; p && *p; p++)
    if (host_landlock_add_rw (ll, *p, err) < 0)
      return -1;
  *out = steal_pointer (&ll);
  return 0;
}

int
host_landlock_get_abi (const host_landlock *ll)
{
  return ll->abi;
}

int
host_landlock_enforce (const host_landlock *ll)
{
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -errno;
  if (syscall (__NR_landlock_restrict_self, ll->ruleset_fd, 0) < 0)
    return -errno;
  return 0;
}

int
host_landlock_apply (const host_landlock *ll, sbx_error **err)
{
  int r = host_landlock_enforce (ll);
  if (r < 0)
    return sbx_fail_errno (err, -r, "cannot enforce the Landlock ruleset (ABI %d)", ll->abi);
  return 0;
}

void
host_landlock_free (host_landlock *ll)
{
  if (ll)
    {
      if (ll->ruleset_fd >= 0)
        close (ll->ruleset_fd);
      free (ll);
    }
}

void
host_landlock_freep (host_landlock **ll)
{
  host_landlock_free (*ll);
  *ll = NULL;
}
