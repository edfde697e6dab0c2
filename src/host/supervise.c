/* supervise.c: the seccomp user-notification supervisor of the default
   level.  The child's filter sends connect() and the file metadata calls
   (chmod, chown, utimes, xattrs) here; the supervisor decides and performs
   each call itself, on objects it pinned, and answers with the result.

   Race-freedom: the child's memory is copied once (process_vm_readv) and the
   notification checked still valid after every read; paths are resolved in
   the child's view (its /proc/PID/cwd, /proc/PID/root, its fds through
   pidfd_getfd) and opened O_PATH, which pins the inode: the decision and the
   call are about that inode, whatever the child does to the names or to its
   memory afterwards.  SECCOMP_USER_NOTIF_FLAG_CONTINUE is never used.

   Rules: a pathname Unix socket may be connected to when its real path lies
   in a writable dir (the project when writable, the extra rw dirs, the
   child's private /tmp and /dev/shm: see protect.c) or is listed in
   allow_unix_sockets; abstract addresses get EPERM (the
   supervisor is outside the child's Landlock scope and cannot tell whose
   they are); other families are connected when the network is allowed.
   Metadata calls act only inside the writable dirs, never on a protected
   path, never set setuid/setgid bits, and follow the kernel's rules for a
   process without capabilities (which the supervisor, when root, also
   takes on for the call: the DAC and owner capabilities are lowered from
   its effective set around it).

   Single-threaded; one notification at a time; bounded buffers. */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

struct host_supervisor
{
  bool allow_network;
  char **writable;   /* real paths */
  char **protected_; /* real paths */
  char **sockets;    /* real paths of allow_unix_sockets */
  dev_t *sock_dev;
  ino_t *sock_ino;
  size_t n_sockets;
  bool root; /* lower the DAC/owner capabilities around each call */
  size_t req_size, resp_size;
};

static void
add_real (char ***v, const char *path)
{
  char real[PATH_MAX];
  if (path && realpath (path, real))
    strv_append (v, real);
}

int
host_supervisor_new (const host_policy *pol, char *const *protected_paths, host_supervisor **out,
                     sbx_error **err)
{
  struct seccomp_notif_sizes sizes = { 0 };
  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
    return sbx_fail_errno (err, errno,
                           "seccomp user notification is not available on this kernel; use "
                           "--isolation container");
  host_supervisor *s = xcalloc (1, sizeof *s);
  s->req_size = sizes.seccomp_notif > sizeof (struct seccomp_notif) ? sizes.seccomp_notif
                                                                    : sizeof (struct seccomp_notif);
  s->resp_size = sizes.seccomp_notif_resp > sizeof (struct seccomp_notif_resp)
                     ? sizes.seccomp_notif_resp
                     : sizeof (struct seccomp_notif_resp);
  s->allow_network = pol->allow_network;
  s->root = geteuid () == 0;
  if (pol->project_dir && pol->allow_write)
    add_real (&s->writable, pol->project_dir);
  for (char *const *p = pol->rw_dirs; p && *p; p++)
    add_real (&s->writable, *p);
  /* The child's own tmpfs (protect.c): what is there is the sandbox's. */
  add_real (&s->writable, "/tmp");
  add_real (&s->writable, "/dev/shm");
  for (char *const *p = protected_paths; p && *p; p++)
    add_real (&s->protected_, *p);
  size_t n = strv_len (pol->allow_unix_sockets);
  s->sock_dev = xcalloc (n + 1, sizeof *s->sock_dev);
  s->sock_ino = xcalloc (n + 1, sizeof *s->sock_ino);
  for (char *const *p = pol->allow_unix_sockets; p && *p; p++)
    {
      char real[PATH_MAX];
      struct stat st;
      if (realpath (*p, real) == NULL || stat (real, &st) < 0)
        continue;
      strv_append (&s->sockets, real);
      s->sock_dev[s->n_sockets] = st.st_dev;
      s->sock_ino[s->n_sockets++] = st.st_ino;
    }
  *out = s;
  return 0;
}

void
host_supervisor_free (host_supervisor *s)
{
  if (s == NULL)
    return;
  strv_free (s->writable);
  strv_free (s->protected_);
  strv_free (s->sockets);
  free (s->sock_dev);
  free (s->sock_ino);
  free (s);
}

/* ------------------------------------------------------------ one request */

typedef struct
{
  const host_supervisor *s;
  int listener;
  struct seccomp_notif *req;
  int pidfd;
} nreq;

static bool
still_valid (const nreq *n)
{
  return ioctl (n->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n->req->id) == 0;
}

/* Copy len bytes of the child's memory at addr; 0 or -errno. */
static int
read_mem (const nreq *n, uint64_t addr, void *buf, size_t len)
{
  if (len == 0)
    return 0;
  struct iovec local = { .iov_base = buf, .iov_len = len };
  struct iovec remote = { .iov_base = (void *) (uintptr_t) addr, .iov_len = len };
  ssize_t r = process_vm_readv (n->req->pid, &local, 1, &remote, 1, 0);
  if (r != (ssize_t) len)
    return -EFAULT;
  return still_valid (n) ? 0 : -ENOENT;
}

/* A NUL-terminated string of at most max-1 bytes, read page by page (the
   string may end just before an unmapped page).  ENAMETOOLONG beyond. */
static int
read_str (const nreq *n, uint64_t addr, char *buf, size_t max)
{
  if (addr == 0)
    return -EFAULT;
  size_t got = 0;
  while (got < max)
    {
      uint64_t at = addr + got;
      size_t chunk = 4096 - (size_t) (at & 4095);
      if (chunk > max - got)
        chunk = max - got;
      struct iovec local = { .iov_base = buf + got, .iov_len = chunk };
      struct iovec remote = { .iov_base = (void *) (uintptr_t) at, .iov_len = chunk };
      ssize_t r = process_vm_readv (n->req->pid, &local, 1, &remote, 1, 0);
      if (r <= 0)
        return -EFAULT;
      void *nul = memchr (buf + got, '\0', (size_t) r);
      got += (size_t) r;
      if (nul)
        return still_valid (n) ? 0 : -ENOENT;
    }
  return -ENAMETOOLONG;
}

/* The child's descriptor fd, duplicated here. */
static int
child_fd (const nreq *n, int fd)
{
  int d = (int) syscall (SYS_pidfd_getfd, n->pidfd, fd, 0);
  if (d < 0)
    return errno == EBADF ? -EBADF : -errno;
  int fl = fcntl (d, F_GETFD);
  if (fl >= 0)
    fcntl (d, F_SETFD, fl | FD_CLOEXEC);
  return d;
}

static int
open_proc (const nreq *n, const char *what)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%u/%s", (unsigned) n->req->pid, what);
  int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  if (!still_valid (n))
    {
      close (fd);
      return -ENOENT;
    }
  return fd;
}

/* Resolve (dirfd, path) in the child's view and pin it: an O_PATH fd (or
   the duplicated fd itself when path is NULL or empty with empty_ok). */
static int
pin_at (const nreq *n, int dirfd, const char *path, bool follow, bool empty_ok)
{
  bool empty = path == NULL || path[0] == '\0';
  if (empty && !empty_ok)
    return -ENOENT;
  _cleanup_close_ int base = -1;
  if (!empty && path[0] == '/')
    base = open_proc (n, "root");
  else if (dirfd == AT_FDCWD)
    base = open_proc (n, "cwd");
  else
    base = child_fd (n, dirfd);
  if (base < 0)
    return base;
  if (empty)
    return steal_fd (&base);
  const char *rel = path;
  while (*rel == '/')
    rel++;
  if (*rel == '\0')
    rel = ".";
  int fd = openat (base, rel, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  return fd < 0 ? -errno : fd;
}

static bool
under (const char *path, const char *dir)
{
  size_t l = strlen (dir);
  if (strcmp (dir, "/") == 0)
    return true;
  return strncmp (path, dir, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

/* The real path of a pinned fd (as this process sees it). */
static bool
fd_path (int fd, char *buf, size_t size)
{
  char link[64];
  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t r = readlink (link, buf, size - 1);
  if (r <= 0 || (size_t) r >= size - 1)
    return false;
  buf[r] = '\0';
  return buf[0] == '/';
}

static bool
in_writable (const host_supervisor *s, const char *path)
{
  for (char **d = s->writable; d && *d; d++)
    if (under (path, *d))
      return true;
  return false;
}

static bool
may_modify (const host_supervisor *s, int fd)
{
  char path[PATH_MAX];
  if (!fd_path (fd, path, sizeof path))
    return false;
  if (!in_writable (s, path))
    return false;
  for (char **p = s->protected_; p && *p; p++)
    if (under (path, *p))
      return false;
  return true;
}

/* ------------------------------------------------------------- identities */

typedef struct
{
  uid_t fsuid;
  gid_t fsgid;
  gid_t groups[64];
  size_t ngroups;
} child_ids;

static int
read_ids (const nreq *n, child_ids *ids)
{
  char path[64], buf[8192];
  snprintf (path, sizeof path, "/proc/%u/status", (unsigned) n->req->pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t r = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (r <= 0 || !still_valid (n))
    return -ENOENT;
  buf[r] = '\0';
  unsigned a, b, c, d;
  char *u = strstr (buf, "\nUid:");
  char *g = strstr (buf, "\nGid:");
  if (u == NULL || g == NULL || sscanf (u + 5, "%u %u %u %u", &a, &b, &c, &d) != 4)
    return -EIO;
  ids->fsuid = d;
  if (sscanf (g + 5, "%u %u %u %u", &a, &b, &c, &d) != 4)
    return -EIO;
  ids->fsgid = d;
  ids->ngroups = 0;
  char *gr = strstr (buf, "\nGroups:");
  if (gr)
    {
      char *p = gr + 8, *end;
      while (ids->ngroups < sizeof ids->groups / sizeof ids->groups[0])
        {
          unsigned long v = strtoul (p, &end, 10);
          if (end == p)
            break;
          ids->groups[ids->ngroups++] = (gid_t) v;
          p = end;
        }
    }
  return 0;
}

static bool
in_group (const child_ids *ids, gid_t g)
{
  if (g == ids->fsgid)
    return true;
  for (size_t i = 0; i < ids->ngroups; i++)
    if (ids->groups[i] == g)
      return true;
  return false;
}

/* ------------------------------------------------ capabilities around a call */

typedef struct
{
  bool lowered;
  struct __user_cap_data_struct data[2];
} caps_saved;

static void
lower_caps (const host_supervisor *s, caps_saved *c)
{
  c->lowered = false;
  if (!s->root)
    return;
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
  if (syscall (SYS_capget, &h, c->data) < 0)
    return;
  struct __user_cap_data_struct low[2] = { c->data[0], c->data[1] };
  uint32_t drop0 = (1U << CAP_CHOWN) | (1U << CAP_DAC_OVERRIDE) | (1U << CAP_DAC_READ_SEARCH)
                   | (1U << CAP_FOWNER) | (1U << CAP_FSETID) | (1U << CAP_SYS_ADMIN)
                   | (1U << CAP_MKNOD) | (1U << CAP_LINUX_IMMUTABLE) | (1U << CAP_SETFCAP);
  low[0].effective &= ~drop0;
  h.pid = 0;
  if (syscall (SYS_capset, &h, low) == 0)
    c->lowered = true;
}

static void
restore_caps (caps_saved *c)
{
  if (!c->lowered)
    return;
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
  (void) syscall (SYS_capset, &h, c->data);
}

/* ------------------------------------------------------------------ connect */

/* The longest a connect to a Unix socket may wait for the listener's
   backlog (then EAGAIN, as for a non-blocking socket). */
#define CONNECT_WAIT_S 5

static bool
socket_allowed (const host_supervisor *s, int fd)
{
  char path[PATH_MAX];
  struct stat st;
  if (fstat (fd, &st) == 0)
    for (size_t i = 0; i < s->n_sockets; i++)
      if (s->sock_dev[i] == st.st_dev && s->sock_ino[i] == st.st_ino)
        return true;
  if (!fd_path (fd, path, sizeof path))
    return false;
  for (char **p = s->sockets; p && *p; p++)
    if (strcmp (*p, path) == 0)
      return true;
  return in_writable (s, path);
}

static long
do_connect (const nreq *n)
{
  const struct seccomp_data *d = &n->req->data;
  int sockfd = (int) d->args[0];
  socklen_t len = (socklen_t) d->args[2];
  struct sockaddr_storage addr;
  memset (&addr, 0, sizeof addr);
  if (len > sizeof addr)
    return -EINVAL;
  int r = read_mem (n, d->args[1], &addr, len);
  if (r < 0)
    return r;
  _cleanup_close_ int sock = child_fd (n, sockfd);
  if (sock < 0)
    return sock;
  int domain = 0;
  socklen_t dl = sizeof domain;
  if (getsockopt (sock, SOL_SOCKET, SO_DOMAIN, &domain, &dl) < 0)
    return errno == ENOTSOCK ? -ENOTSOCK : -errno;

  if (domain != AF_UNIX)
    {
      if (!n->s->allow_network)
        return -EPERM;
      return connect (sock, (struct sockaddr *) &addr, len) < 0 ? -errno : 0;
    }
  if (len <= offsetof (struct sockaddr_un, sun_path) || addr.ss_family != AF_UNIX)
    /* AF_UNSPEC (datagram disconnect) or an invalid address: the kernel
       answers for the copy. */
    return connect (sock, (struct sockaddr *) &addr, len) < 0 ? -errno : 0;
  struct sockaddr_un *un = (struct sockaddr_un *) &addr;
  if (un->sun_path[0] == '\0')
    return -EPERM; /* abstract: see the file comment */
  char path[sizeof un->sun_path + 1];
  size_t plen = len - offsetof (struct sockaddr_un, sun_path);
  memcpy (path, un->sun_path, plen);
  path[plen] = '\0';

  _cleanup_close_ int pin = pin_at (n, AT_FDCWD, path, true, false);
  if (pin < 0)
    return pin;
  if (!still_valid (n))
    return -ENOENT;
  struct stat st;
  if (fstat (pin, &st) < 0)
    return -errno;
  if (!S_ISSOCK (st.st_mode))
    return -ECONNREFUSED;
  if (!socket_allowed (n->s, pin))
    return -EACCES;
  struct sockaddr_un via = { .sun_family = AF_UNIX };
  snprintf (via.sun_path, sizeof via.sun_path, "/proc/self/fd/%d", pin);
  /* A listener that never accepts would block this loop (and the
     forwarding of signals) forever: the wait is bounded by a send timeout,
     the one unix_stream_connect uses; the socket's own is put back. */
  struct timeval saved, bound = { .tv_sec = CONNECT_WAIT_S };
  socklen_t sl = sizeof saved;
  bool restore = getsockopt (sock, SOL_SOCKET, SO_SNDTIMEO, &saved, &sl) == 0
                 && ((saved.tv_sec == 0 && saved.tv_usec == 0) || saved.tv_sec >= CONNECT_WAIT_S)
                 && setsockopt (sock, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound) == 0;
  caps_saved c;
  lower_caps (n->s, &c);
  r = connect (sock, (struct sockaddr *) &via, sizeof via) < 0 ? -errno : 0;
  restore_caps (&c);
  if (restore)
    setsockopt (sock, SOL_SOCKET, SO_SNDTIMEO, &saved, sizeof saved);
  return r;
}

/* ----------------------------------------------------------------- metadata */

enum meta_op
{
  OP_CHMOD,
  OP_CHOWN,
  OP_UTIME,   /* struct utimbuf */
  OP_UTIMES,  /* struct timeval[2] */
  OP_UTIMENS, /* struct timespec[2] */
  OP_SETX,
  OP_REMOVEX,
};

enum meta_style
{
  ST_PATH, /* path is args[0] */
  ST_FD,   /* fd is args[0] */
  ST_AT,   /* dirfd args[0], path args[1] */
};

typedef struct
{
  long nr;
  enum meta_op op;
  enum meta_style style;
  bool follow;
  int flags_arg; /* index of an AT_* flags argument, or -1 */
} meta_call;

static const meta_call meta_calls[] = {
  { SYS_chmod, OP_CHMOD, ST_PATH, true, -1 },
  { SYS_fchmod, OP_CHMOD, ST_FD, true, -1 },
  { SYS_fchmodat, OP_CHMOD, ST_AT, true, -1 },
  { __NR_fchmodat2, OP_CHMOD, ST_AT, true, 3 },
  { SYS_chown, OP_CHOWN, ST_PATH, true, -1 },
  { SYS_lchown, OP_CHOWN, ST_PATH, false, -1 },
  { SYS_fchown, OP_CHOWN, ST_FD, true, -1 },
  { SYS_fchownat, OP_CHOWN, ST_AT, true, 4 },
  { SYS_utime, OP_UTIME, ST_PATH, true, -1 },
  { SYS_utimes, OP_UTIMES, ST_PATH, true, -1 },
  { SYS_futimesat, OP_UTIMES, ST_AT, true, -1 },
  { SYS_utimensat, OP_UTIMENS, ST_AT, true, 3 },
  { SYS_setxattr, OP_SETX, ST_PATH, true, -1 },
  { SYS_lsetxattr, OP_SETX, ST_PATH, false, -1 },
  { SYS_fsetxattr, OP_SETX, ST_FD, true, -1 },
  { SYS_removexattr, OP_REMOVEX, ST_PATH, true, -1 },
  { SYS_lremovexattr, OP_REMOVEX, ST_PATH, false, -1 },
  { SYS_fremovexattr, OP_REMOVEX, ST_FD, true, -1 },
};

static const meta_call *
find_meta (int nr)
{
  for (size_t i = 0; i < sizeof meta_calls / sizeof meta_calls[0]; i++)
    if (meta_calls[i].nr == nr)
      return &meta_calls[i];
  return NULL;
}

/* Times to set, as timespec[2]; *now: both "now" (write permission is
   enough, else only the owner may). */
static int
read_times (const nreq *n, enum meta_op op, uint64_t addr, struct timespec ts[2], bool *now)
{
  *now = addr == 0;
  if (addr == 0)
    {
      ts[0].tv_nsec = ts[1].tv_nsec = UTIME_NOW;
      ts[0].tv_sec = ts[1].tv_sec = 0;
      return 0;
    }
  int r;
  if (op == OP_UTIME)
    {
      struct utimbuf u;
      if ((r = read_mem (n, addr, &u, sizeof u)) < 0)
        return r;
      ts[0] = (struct timespec){ .tv_sec = u.actime };
      ts[1] = (struct timespec){ .tv_sec = u.modtime };
    }
  else if (op == OP_UTIMES)
    {
      struct timeval tv[2];
      if ((r = read_mem (n, addr, tv, sizeof tv)) < 0)
        return r;
      for (int i = 0; i < 2; i++)
        {
          if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
            return -EINVAL;
          ts[i] = (struct timespec){ .tv_sec = tv[i].tv_sec, .tv_nsec = tv[i].tv_usec * 1000 };
        }
    }
  else if ((r = read_mem (n, addr, ts, 2 * sizeof *ts)) < 0)
    return r;
  *now = ts[0].tv_nsec == UTIME_NOW && ts[1].tv_nsec == UTIME_NOW;
  return 0;
}

static bool
may_write (const struct stat *st, const child_ids *ids)
{
  if (st->st_uid == ids->fsuid)
    return st->st_mode & S_IWUSR;
  if (in_group (ids, st->st_gid))
    return st->st_mode & S_IWGRP;
  return st->st_mode & S_IWOTH;
}

static long
do_meta (const nreq *n, const meta_call *m)
{
  const struct seccomp_data *d = &n->req->data;
  int argi = m->style == ST_AT ? 2 : 1; /* the first argument after the target */
  int flags = m->flags_arg >= 0 ? (int) d->args[m->flags_arg] : 0;
  bool follow = m->follow && !(flags & AT_SYMLINK_NOFOLLOW);
  bool empty_ok = (flags & AT_EMPTY_PATH) != 0;

  _cleanup_close_ int pin = -1;
  char path[PATH_MAX];
  if (m->style == ST_FD)
    pin = child_fd (n, (int) d->args[0]);
  else
    {
      uint64_t paddr = d->args[m->style == ST_AT ? 1 : 0];
      int dirfd = m->style == ST_AT ? (int) d->args[0] : AT_FDCWD;
      /* utimensat (fd, NULL, ...) is futimens: the fd itself. */
      bool null_ok = m->op == OP_UTIMENS && paddr == 0;
      if (null_ok)
        pin = pin_at (n, dirfd, NULL, follow, true);
      else
        {
          int r = read_str (n, paddr, path, sizeof path);
          if (r < 0)
            return r;
          pin = pin_at (n, dirfd, path, follow, empty_ok);
        }
    }
  if (pin < 0)
    return pin;
  if (!still_valid (n))
    return -ENOENT;
  if (!may_modify (n->s, pin))
    return -EPERM;
  struct stat st;
  if (fstat (pin, &st) < 0)
    return -errno;
  child_ids ids;
  int r = read_ids (n, &ids);
  if (r < 0)
    return r;

  char via[64];
  snprintf (via, sizeof via, "/proc/self/fd/%d", pin);
  caps_saved c;
  long res = 0;
  switch (m->op)
    {
    case OP_CHMOD:
      {
        mode_t mode = (mode_t) d->args[argi];
        if (mode & (S_ISUID | S_ISGID))
          return -EPERM;
        if (st.st_uid != ids.fsuid)
          return -EPERM;
        lower_caps (n->s, &c);
        res = fchmodat (AT_FDCWD, via, mode & 07777, 0) < 0 ? -errno : 0;
        restore_caps (&c);
        return res;
      }
    case OP_CHOWN:
      {
        uid_t uid = (uid_t) d->args[argi];
        gid_t gid = (gid_t) d->args[argi + 1];
        if (uid != (uid_t) -1 && uid != st.st_uid)
          return -EPERM;
        if ((uid != (uid_t) -1 || gid != (gid_t) -1) && st.st_uid != ids.fsuid)
          return -EPERM;
        if (gid != (gid_t) -1 && gid != st.st_gid && !in_group (&ids, gid))
          return -EPERM;
        lower_caps (n->s, &c);
        res = fchownat (pin, "", uid, gid, AT_EMPTY_PATH) < 0 ? -errno : 0;
        restore_caps (&c);
        return res;
      }
    case OP_UTIME:
    case OP_UTIMES:
    case OP_UTIMENS:
      {
        struct timespec ts[2];
        bool now;
        uint64_t taddr = d->args[argi];
        if ((r = read_times (n, m->op, taddr, ts, &now)) < 0)
          return r;
        if (st.st_uid != ids.fsuid && !(now && may_write (&st, &ids)))
          return now ? -EACCES : -EPERM;
        lower_caps (n->s, &c);
        res = utimensat (pin, "", ts, AT_EMPTY_PATH) < 0 ? -errno : 0;
        restore_caps (&c);
        return res;
      }
    case OP_SETX:
    case OP_REMOVEX:
      {
        char name[XATTR_NAME_MAX + 1];
        if ((r = read_str (n, d->args[1], name, sizeof name)) < 0) /* never *at */
          return r == -ENAMETOOLONG ? -ERANGE : r;
        bool user = strncmp (name, "user.", 5) == 0;
        bool acl = strncmp (name, "system.posix_acl_", 17) == 0;
        if (!user && !acl)
          return -EPERM; /* trusted.*, security.*: capabilities the command has not */
        if (acl && st.st_uid != ids.fsuid)
          return -EPERM;
        if (user && st.st_uid != ids.fsuid && !may_write (&st, &ids))
          return -EACCES;
        lower_caps (n->s, &c);
        if (m->op == OP_REMOVEX)
          res = removexattr (via, name) < 0 ? -errno : 0;
        else
          {
            size_t size = (size_t) d->args[3];
            if (size > XATTR_SIZE_MAX)
              {
                restore_caps (&c);
                return -E2BIG;
              }
            _cleanup_free_ char *value = xmalloc (size ? size : 1);
            if ((r = read_mem (n, d->args[2], value, size)) < 0)
              {
                restore_caps (&c);
                return r;
              }
            res = setxattr (via, name, value, size, (int) d->args[4]) < 0 ? -errno : 0;
          }
        restore_caps (&c);
        return res;
      }
    }
  return -ENOSYS;
}

int
host_supervisor_handle (host_supervisor *s, int listener)
{
  _cleanup_free_ struct seccomp_notif *req = xcalloc (1, s->req_size);
  _cleanup_free_ struct seccomp_notif_resp *resp = xcalloc (1, s->resp_size);
  if (ioctl (listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
    {
      /* ENOENT: the caller died or was interrupted before we read it. */
      if (errno == ENOENT || errno == EINTR || errno == EAGAIN)
        return 0;
      return -errno;
    }
  nreq n = { .s = s, .listener = listener, .req = req, .pidfd = -1 };
  long r;
  n.pidfd = (int) syscall (SYS_pidfd_open, req->pid, 0);
  if (n.pidfd < 0 && errno == EINVAL)
    n.pidfd = (int) syscall (SYS_pidfd_open, req->pid, PIDFD_THREAD);
  if (n.pidfd < 0 || !still_valid (&n))
    r = -ENOENT;
  else if (req->data.nr == SYS_connect)
    r = do_connect (&n);
  else
    {
      const meta_call *m = find_meta (req->data.nr);
      r = m ? do_meta (&n, m) : -ENOSYS;
    }
  if (n.pidfd >= 0)
    close (n.pidfd);
  resp->id = req->id;
  resp->flags = 0;
  resp->error = r < 0 ? (int) r : 0;
  resp->val = r < 0 ? 0 : r;
  if (ioctl (listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
    return -errno;
  return 0;
}
