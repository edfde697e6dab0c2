/* landlock.c: Landlock rulesets.  The ruleset is built in the parent (it
   needs allocations and path lookups); the child only sets no_new_privs and
   restricts itself, which is async-signal-safe. */
#include "host.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
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
/* ABI 9 (Linux 7.1; ABI 8 added only LANDLOCK_RESTRICT_SELF_TSYNC):
   connect() and sendmsg() to a pathname Unix socket need this right on
   the socket's path, unless the socket was created inside the same Landlock
   domain; EACCES otherwise.  The kernel uapi header: (1ULL << 16). */
#define LL_FS_RESOLVE_UNIX (1ULL << 16)
/* ABI 4 */
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
/* ABI 6 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

#define LL_KNOWN_ABI 9

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
/* Writing never includes making device nodes (MAKE_CHAR, MAKE_BLOCK stay
   handled and granted nowhere).  RESOLVE_UNIX: the sandbox may connect to
   sockets in the dirs it may write (its own, a test server's). */
#define LL_FS_WRITE                                                                                \
  (LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | LL_FS_MAKE_REG       \
   | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_SYM | LL_FS_REFER | LL_FS_TRUNCATE             \
   | LL_FS_RESOLVE_UNIX)
/* Rights that make sense on a file (not a directory). */
#define LL_FS_FILE_RIGHTS                                                                          \
  (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV           \
   | LL_FS_RESOLVE_UNIX)

const char *const host_system_ro_paths[] = {
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/etc",
  "/opt",
  "/nix/store",
  "/run/current-system",
  "/proc",
  "/sys",
  NULL,
};

/* Device nodes a normal program writes (terminals, null, random). */
static const char *const dev_rw_paths[] = {
  "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
  "/dev/tty",  "/dev/ptmx", "/dev/pts",  "/dev/shm",    NULL,
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
  if (abi >= 9)
    fs |= LL_FS_RESOLVE_UNIX;
  return fs;
}

/* Add a rule for the file open at fd (a directory or not). */
static int
add_rule_fd (host_landlock *ll, int fd, bool is_dir, uint64_t access, const char *path,
             sbx_error **err)
{
  access &= ll->handled_fs;
  if (!is_dir)
    access &= LL_FS_FILE_RIGHTS;
  if (access == 0)
    return 0;
  struct ll_path_beneath_attr pb = { .allowed_access = access, .parent_fd = fd };
  if (syscall (__NR_landlock_add_rule, ll->ruleset_fd, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
    return sbx_fail_errno (err, errno, "cannot add a Landlock rule for '%s'", path);
  return 0;
}

/* Add a rule for name (relative to dirfd, or absolute with AT_FDCWD; path
   is its full spelling, for messages) with access (masked by what is
   handled and by what a non-directory can carry).  missing_ok: a path
   absent here is skipped.  nofollow: a symbolic link gets no rule (its
   target is granted, or not, where it lives). */
static int
add_rule_at (host_landlock *ll, int dirfd, const char *name, const char *path, uint64_t access,
             bool missing_ok, bool nofollow, sbx_error **err)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
  if (fd < 0)
    {
      if (missing_ok && (errno == ENOENT || errno == ENOTDIR || errno == EACCES))
        return 0;
      return sbx_fail (err, SBX_ERR_INVALID,
                       "cannot add '%s' to the Landlock ruleset: %s; give an existing directory",
                       path, strerror (errno));
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    return sbx_fail_errno (err, errno, "stat '%s'", path);
  if (S_ISLNK (st.st_mode))
    return 0;
  return add_rule_fd (ll, fd, S_ISDIR (st.st_mode), access, path, err);
}

static int
add_path (host_landlock *ll, const char *path, uint64_t access, bool missing_ok, sbx_error **err)
{
  return add_rule_at (ll, AT_FDCWD, path, path, access, missing_ok, false, err);
}

/* ---------------------------------------------------------- the read set

   Landlock rules only allow, and a right on a directory covers its whole
   subtree.  A deny list is therefore enforced by walking down from each
   allowed root: a directory that holds no denied path gets one rule with
   all its rights; a directory that does gets READ_DIR only (its names can
   be listed, its files not opened) and each of its entries is handled the
   same way; a denied path gets nothing.  Symbolic links met on the way get
   no rule.  Patterns are absolute; each component may hold fnmatch(3)
   wildcards (deny.c).

   The walk opens each entry relative to its directory (one component to
   look up, not the whole path) and checks its name against the patterns
   that reach below its directory only, relative to it (host_deny_below):
   the others cannot concern anything under it. */

/* Grant access on path (name relative to dirfd; a root is absolute, with
   AT_FDCWD) and below, but for the denied paths: deny holds absolute
   patterns for a root, patterns relative to dirfd below it.  root: path was
   asked for by name, so it is granted even when a pattern covers it (an
   explicit --ro of a denied dir wins); missing_ok applies to it. */
static int
grant_tree (host_landlock *ll, char *const *deny, int dirfd, const char *name, const char *path,
            uint64_t access, bool root, bool missing_ok, sbx_error **err)
{
  /* A root is walked where it really lives (/lib -> usr/lib, a linked
     home), the spelling the real-path deny patterns use too. */
  char real[PATH_MAX];
  if (root && realpath (path, real))
    path = name = real;
  int rel = host_deny_check (deny, root ? path : name);
  if (rel == DENY_SELF && !root)
    return 0;
  if (rel != DENY_BELOW)
    return add_rule_at (ll, dirfd, name, path, access, root ? missing_ok : true, !root, err);

  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (root ? 0 : O_NOFOLLOW));
  if (fd < 0)
    {
      /* Not a directory (a pattern cannot lie below it) or gone: as a
         plain path. */
      if (errno == ENOTDIR)
        return add_rule_at (ll, dirfd, name, path, access, true, !root, err);
      if (!root || (missing_ok && (errno == ENOENT || errno == EACCES || errno == ELOOP)))
        return 0;
      return sbx_fail (err, SBX_ERR_INVALID,
                       "cannot add '%s' to the Landlock ruleset: %s; give an existing directory",
                       path, strerror (errno));
    }
  _cleanup_closedir_ DIR *dir = fdopendir (fd);
  if (dir == NULL)
    {
      int e = errno;
      close (fd);
      return sbx_fail_errno (err, e, "cannot list '%s'", path);
    }
  /* The directory itself: listed, not more. */
  if (add_rule_fd (ll, fd, true, access & LL_FS_READ_DIR, path, err) < 0)
    return -1;
  _cleanup_free_ char **below = host_deny_below (deny, root ? path : name);
  size_t plen = strlen (path);
  char child[PATH_MAX];
  memcpy (child, path, plen);
  if (path[plen - 1] != '/')
    child[plen++] = '/';
  struct dirent *de;
  while ((de = readdir (dir)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (de->d_type == DT_LNK)
        continue;
      size_t nlen = strlen (de->d_name);
      if (plen + nlen >= sizeof child)
        continue; /* too long to name: nothing can open it by path either */
      memcpy (child + plen, de->d_name, nlen + 1);
      if (grant_tree (ll, below, fd, de->d_name, child, access, false, true, err) < 0)
        return -1;
    }
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
add_base_rules (host_landlock *ll, char *const *deny, sbx_error **err)
{
  for (const char *const *p = host_system_ro_paths; *p; p++)
    if (grant_tree (ll, deny, AT_FDCWD, *p, *p, LL_FS_READ, true, true, err) < 0)
      return -1;
  /* /etc/resolv.conf is often a link into /run (systemd-resolved,
     NetworkManager): that one file is readable, /run itself is not (it
     holds the daemons' sockets). */
  char real[PATH_MAX];
  struct stat st;
  if (realpath ("/etc/resolv.conf", real) && strcmp (real, "/etc/resolv.conf") != 0
      && stat (real, &st) == 0 && S_ISREG (st.st_mode) && host_deny_check (deny, real) == DENY_NONE
      && add_path (ll, real, LL_FS_READ_FILE, true, err) < 0)
    return -1;
  /* /dev can be listed; only the usual nodes can be opened (never a disk). */
  if (add_path (ll, "/dev", LL_FS_READ_DIR, true, err) < 0)
    return -1;
  /* /tmp, /dev/shm and /dev/pts are shared with the host: no RESOLVE_UNIX
     there (other users' and daemons' sockets live in /tmp; the sandbox's
     own sockets need no rule). */
  const uint64_t shared_rw = LL_FS_READ | (LL_FS_WRITE & ~LL_FS_RESOLVE_UNIX);
  for (const char *const *p = dev_rw_paths; *p; p++)
    if (add_path (ll, *p, (shared_rw & ~LL_FS_EXECUTE) | LL_FS_IOCTL_DEV, true, err) < 0)
      return -1;
  if (add_path (ll, "/tmp", shared_rw, true, err) < 0)
    return -1;
  return 0;
}

int
host_landlock_new (const char *project_dir, bool allow_network, host_landlock **out,
                   sbx_error **err)
{
  host_policy pol
      = { .project_dir = project_dir, .allow_write = true, .allow_network = allow_network };
  return host_landlock_new_policy (&pol, out, err);
}

int
host_landlock_new_policy (const host_policy *pol, host_landlock **out, sbx_error **err)
{
  _cleanup_landlock_ host_landlock *ll = NULL;
  if (landlock_create (pol->allow_network, &ll, err) < 0)
    return -1;
  _cleanup_strv_ char **deny = host_deny_patterns (pol);
  if (add_base_rules (ll, deny, err) < 0)
    return -1;
  /* The user's tools and settings, not the credentials. */
  if (pol->home
      && grant_tree (ll, deny, AT_FDCWD, pol->home, pol->home, LL_FS_READ, true, true, err) < 0)
    return -1;
  const uint64_t rw = LL_FS_READ | LL_FS_WRITE | LL_FS_IOCTL_DEV;
  if (pol->project_dir
      && grant_tree (ll, deny, AT_FDCWD, pol->project_dir, pol->project_dir,
                     pol->allow_write ? rw : LL_FS_READ, true, false, err)
             < 0)
    return -1;
  for (char *const *p = pol->ro_dirs; p && *p; p++)
    if (grant_tree (ll, deny, AT_FDCWD, *p, *p, LL_FS_READ, true, false, err) < 0)
      return -1;
  for (char *const *p = pol->rw_dirs; p && *p; p++)
    if (grant_tree (ll, deny, AT_FDCWD, *p, *p, rw, true, false, err) < 0)
      return -1;
  /* ABI >= 9: the sockets the user allowed by path (one that does not exist
     yet cannot be named in a rule: it stays out of reach).  Below, the
     seccomp supervisor decides on connect(). */
  for (char *const *p = pol->allow_unix_sockets; p && *p; p++)
    if (add_path (ll, *p, LL_FS_RESOLVE_UNIX, true, err) < 0)
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
host_landlock_add_private (const host_landlock *ll, const char *path, bool exec)
{
  int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : -errno;
  uint64_t access = (LL_FS_READ | LL_FS_WRITE) & ll->handled_fs;
  if (!exec)
    access &= ~LL_FS_EXECUTE;
  struct ll_path_beneath_attr pb = { .allowed_access = access, .parent_fd = fd };
  int r = syscall (__NR_landlock_add_rule, ll->ruleset_fd, LL_RULE_PATH_BENEATH, &pb, 0) < 0
              ? -errno
              : 0;
  close (fd);
  return r;
}

int
host_landlock_scope_enforce (void)
{
  long abi = syscall (__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
  if (abi < 0)
    return -errno;
  if (abi < 6)
    return -EOPNOTSUPP;
  /* No filesystem or network access handled: mounts stay possible. */
  struct ll_ruleset_attr attr = { .scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL };
  int fd = (int) syscall (__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (fd < 0)
    return -errno;
  int r = 0;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
      || syscall (__NR_landlock_restrict_self, fd, 0) < 0)
    r = -errno;
  close (fd);
  return r;
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
