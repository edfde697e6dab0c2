/* agent_client.c: talking to the project container's sbx-agent over its
   Unix socket (the frame codec is the agent's own, src/agent/frame.c).

   The agent directory is writable from inside the container, so nothing
   in it is taken on trust: "current" is read as a link target that must
   be a plain name in the directory, the socket is opened without
   following a symlink and connected to through /proc/self/fd (the inode
   checked is the inode connected to, and the length of the host path does
   not matter), and before a byte is sent the listener must be the
   container's init: by SO_PEERCRED, PID 1 of a PID namespace one level
   below ours (and the engine's State.Pid when the caller knows it).  A
   listener planted by a command is refused like a dead socket: the caller
   falls back to the engine's exec API. */
#include "devenv/container/agent_client.h"
#include "agent/frame.h"
#include "engine/hijack.h"
#include "userdirs.h"
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#define BUFCAP (SBX_FRAME_HEADER + SBX_FRAME_MAX)
#define STARTED_WAIT_MS 30000 /* an agent that answered PING starts a command within this */
#define KILL_WAIT_MS 30000    /* after KILL, how long EXIT may take (a fork bomb takes long to kill) */
#define TIMEOUT_SLACK_MS 5000 /* the agent enforces timeouts; this is the backstop */

struct devenv_agent
{
  int fd;
  uint8_t version, flags;
  uint32_t running;
  char tag[33];
  uint8_t buf[BUFCAP];
  size_t len;
  size_t pending; /* bytes of the last frame returned, dropped at the next read */
  bool started, ended;
  bool gone; /* the agent closed the connection while the command ran */
};

bool
devenv_agent_disabled (void)
{
  const char *v = getenv ("SBX_NO_AGENT");
  return v && *v && strcmp (v, "0") != 0;
}

/* ---- the directory ---- */

int
devenv_agent_dir (const char *project_id, const char *host, bool create, char **out,
                  sbx_error **err)
{
  *out = NULL;
  if (!host || !*host)
    host = getenv ("DOCKER_HOST");
  engine_address a;
  sbx_error *e = NULL;
  if (engine_address_parse (host, false, &a, &e) < 0)
    {
      sbx_error_free (e);
      return 0; /* the engine client reports it */
    }
  if (a.kind != ENGINE_ADDR_UNIX)
    {
      engine_address_clear (&a);
      return 0;
    }
  uint32_t h = sbx_fnv1a (a.socket_path);
  engine_address_clear (&a);

  /* Never under /tmp, which the host levels' sandboxes may write
     (userdirs.h); nowhere private: the engine's exec API only. */
  _cleanup_free_ char *base = NULL;
  sbx_error *e2 = NULL;
  if (sbx_run_dir (&base, &e2) < 0)
    {
      sbx_error_free (e2);
      return 0;
    }
  _cleanup_free_ char *dir = xasprintf ("%s/%s-%08x.agent", base, project_id, h);
  if (create && sbx_private_dir (dir, err) < 0)
    return sbx_error_prefix (err, "the agent directory");
  *out = steal_pointer (&dir);
  return 0;
}

char *
devenv_agent_socket_name (void)
{
  char hex[17];
  sbx_random_hex (hex, 8);
  return xasprintf ("a-%s.sock", hex);
}

int
devenv_agent_claim (const char *dir, const char *name, sbx_error **err)
{
  _cleanup_free_ char *tmp = xasprintf ("%s/.current-%d", dir, (int) getpid ());
  _cleanup_free_ char *cur = xasprintf ("%s/%s", dir, DEVENV_AGENT_CURRENT);
  unlink (tmp);
  if (symlink (name, tmp) < 0)
    return sbx_fail_errno (err, errno, "creating %s", tmp);
  if (rename (tmp, cur) < 0)
    {
      int e = errno;
      unlink (tmp);
      return sbx_fail_errno (err, e, "replacing %s", cur);
    }
  /* The sockets of containers gone (swapped out, removed behind sbx's
     back) stay behind: remove those nobody listens on. */
  _cleanup_closedir_ DIR *d = opendir (dir);
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      struct stat st;
      if (strncmp (de->d_name, "a-", 2) != 0 || strcmp (de->d_name, name) == 0
          || fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0
          || !S_ISSOCK (st.st_mode))
        continue;
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      if ((size_t) snprintf (sa.sun_path, sizeof sa.sun_path, "%s/%s", dir, de->d_name)
          >= sizeof sa.sun_path)
        continue;
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0)
        break;
      if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0 && errno == ECONNREFUSED)
        unlink (sa.sun_path);
      close (fd);
    }
  return 0;
}

/* ---- the connection ---- */

void
devenv_agent_free (devenv_agent *a)
{
  if (!a)
    return;
  if (a->fd >= 0)
    close (a->fd);
  free (a);
}

void
devenv_agent_freep (devenv_agent **a)
{
  devenv_agent_free (*a);
  *a = NULL;
}

const char *
devenv_agent_tag (const devenv_agent *a)
{
  return a->tag;
}

bool
devenv_agent_is_retired (const devenv_agent *a)
{
  return a->flags & SBX_STATUS_RETIRED;
}

/* sbx_write_loop's sink: the agent's socket, until deadline. */
typedef struct sending
{
  devenv_agent *a;
  long deadline;
  sbx_error **err;
} sending;

static ssize_t
send_step (void *ud, const void *buf, size_t len)
{
  sending *s = ud;
  for (;;)
    {
      ssize_t n = send (s->a->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return 0;
      if (n < 0)
        return sbx_fail_errno (s->err, errno, "writing to the sbx agent");
      return n;
    }
}

static int
send_wait (void *ud)
{
  sending *s = ud;
  long left = s->deadline - sbx_now_ms ();
  struct pollfd pfd = { .fd = s->a->fd, .events = POLLOUT };
  if (left <= 0 || poll (&pfd, 1, (int) left) == 0)
    return sbx_fail (s->err, SBX_ERR_TIMEOUT, "the sbx agent does not take requests");
  return 0;
}

static int
send_all (devenv_agent *a, const void *buf, size_t len, long deadline, sbx_error **err)
{
  sending s = { .a = a, .deadline = deadline, .err = err };
  return sbx_write_loop (send_step, send_wait, &s, buf, len);
}

static int
send_frame (devenv_agent *a, uint8_t type, const void *payload, uint32_t len, long deadline,
            sbx_error **err)
{
  uint8_t h[SBX_FRAME_HEADER];
  sbx_frame_header (h, type, len);
  if (send_all (a, h, sizeof h, deadline, err) < 0)
    return -1;
  return len ? send_all (a, payload, len, deadline, err) : 0;
}

/* The next frame (valid for the checks of sbx_frame_check) into *f, which
   points into a->buf until the next call.  deadline < 0: none.  1: a frame;
   0: the deadline passed or *cancel is set; 2: watch (>= 0) is readable;
   -1: error (EOF is SBX_ERR_IO with errno 0). */
static int
next_frame (devenv_agent *a, sbx_frame *f, long deadline, volatile sig_atomic_t *cancel, int watch,
            sbx_error **err)
{
  if (a->pending)
    {
      memmove (a->buf, a->buf + a->pending, a->len - a->pending);
      a->len -= a->pending;
      a->pending = 0;
    }
  for (;;)
    {
      int r = sbx_frame_parse (a->buf, a->len, f, &a->pending);
      if (r == SBX_FRAME_OK)
        {
          if (sbx_frame_check (f) != SBX_FRAME_OK)
            return sbx_fail (err, SBX_ERR_IO, "the sbx agent sent a malformed frame (type %u)",
                             f->type);
          return 1;
        }
      if (r < 0)
        return sbx_fail (err, SBX_ERR_IO, "the sbx agent sent garbage: %s", sbx_frame_strerror (r));
      if (cancel && *cancel)
        return 0;
      int wait = 250; /* the cancel flag is checked at least this often */
      long left = deadline >= 0 ? deadline - sbx_now_ms () : wait;
      if (left < wait)
        wait = left > 0 ? (int) left : 0;
      struct pollfd pfd[2]
          = { { .fd = a->fd, .events = POLLIN }, { .fd = watch, .events = POLLIN } };
      int pr = poll (pfd, watch >= 0 ? 2 : 1, wait);
      if (pr < 0 && errno != EINTR)
        return sbx_fail_errno (err, errno, "waiting for the sbx agent");
      if (pr <= 0)
        {
          if (deadline >= 0 && sbx_now_ms () >= deadline)
            return 0;
          continue;
        }
      if (watch >= 0 && pfd[1].revents && !pfd[0].revents)
        return 2;
      ssize_t n = recv (a->fd, a->buf + a->len, BUFCAP - a->len, MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        return sbx_fail_errno (err, errno, "reading from the sbx agent");
      if (n == 0)
        {
          sbx_fail (err, SBX_ERR_IO, "the sbx agent closed the connection");
          (*err)->errno_value = 0;
          return -1;
        }
      a->len += (size_t) n;
    }
}

static int
read_status (devenv_agent *a, long deadline, sbx_error **err)
{
  sbx_frame f;
  int r = next_frame (a, &f, deadline, NULL, -1, err);
  if (r <= 0)
    return r == 0 ? sbx_fail (err, SBX_ERR_TIMEOUT, "the sbx agent does not answer") : -1;
  if (f.type != SBX_FRAME_STATUS)
    return sbx_fail (err, SBX_ERR_IO, "the sbx agent answered PING with frame type %u", f.type);
  a->version = f.payload[0];
  a->flags = f.payload[1];
  a->running = sbx_get_u32 (f.payload + 4);
  size_t tl = f.len - 8 < sizeof a->tag - 1 ? f.len - 8 : sizeof a->tag - 1;
  memcpy (a->tag, f.payload + 8, tl);
  a->tag[tl] = '\0';
  return 0;
}

/* The socket at path (dir/name, or dir/current, a link to a name in dir)
   opened O_PATH without following a symlink; -1 with *why. */
static int
open_socket_inode (const char *path, char **why)
{
  const char *slash = strrchr (path, '/');
  if (!slash || !slash[1])
    {
      *why = xasprintf ("%s is not a socket path", path);
      return -1;
    }
  _cleanup_free_ char *dir = xstrndup (path, (size_t) (slash - path));
  _cleanup_close_ int dfd = open (*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    {
      *why = xasprintf ("%s: %s", dir, strerror (errno));
      return -1;
    }
  char name[256];
  snprintf (name, sizeof name, "%s", slash + 1);
  if (strcmp (name, DEVENV_AGENT_CURRENT) == 0)
    {
      ssize_t n = readlinkat (dfd, DEVENV_AGENT_CURRENT, name, sizeof name - 1);
      if (n < 0)
        {
          *why = xasprintf ("%s: %s", path, strerror (errno));
          return -1;
        }
      name[n] = '\0';
    }
  /* A name in the directory, nothing else (the link may be planted). */
  if (!name[0] || name[0] == '.' || strchr (name, '/'))
    {
      *why = xasprintf ("%s does not name a socket of its directory", path);
      return -1;
    }
  int fd = openat (dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISSOCK (st.st_mode))
    {
      *why = xasprintf ("%s/%s: %s", dir, name, fd < 0 ? strerror (errno) : "not a socket");
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return fd;
}

/* The NSpid line of /proc/PID/status: how many levels, and the PID in the
   innermost namespace; -1 when unreadable. */
static int
ns_pids (const char *pid, long *inner)
{
  _cleanup_free_ char *path = xasprintf ("/proc/%s/status", pid);
  FILE *f = fopen (path, "re");
  if (!f)
    return -1;
  char line[512];
  int levels = -1;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, "NSpid:", 6) == 0)
      {
        levels = 0;
        char *p = line + 6, *end;
        for (;;)
          {
            long v = strtol (p, &end, 10);
            if (end == p)
              break;
            levels++;
            *inner = v;
            p = end;
          }
        break;
      }
  fclose (f);
  return levels;
}

/* Is the listener of connected fd a container's init (and expect_pid when
   > 0)?  0 yes; -1 no, with *why. */
static int
check_peer (int fd, pid_t expect_pid, char **why)
{
  struct ucred cr;
  socklen_t len = sizeof cr;
  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.pid <= 0)
    {
      *why = xasprintf ("cannot tell who listens: %s", strerror (errno));
      return -1;
    }
  if (expect_pid > 0 && cr.pid != expect_pid)
    {
      *why = xasprintf ("its listener is process %d, not the container's init (%d)", (int) cr.pid,
                        (int) expect_pid);
      return -1;
    }
  char pid[24];
  snprintf (pid, sizeof pid, "%d", (int) cr.pid);
  long own_inner = 0, inner = 0;
  int own = ns_pids ("self", &own_inner), peer = ns_pids (pid, &inner);
  if (own < 1 || peer != own + 1 || inner != 1)
    {
      *why = xasprintf ("its listener (process %d) is not the init of a container", (int) cr.pid);
      return -1;
    }
  return 0;
}

int
devenv_agent_open (const char *path, long timeout_ms, devenv_agent **out, sbx_error **err)
{
  return devenv_agent_open_pid (path, 0, timeout_ms, out, err);
}

int
devenv_agent_open_pid (const char *path, pid_t init_pid, long timeout_ms, devenv_agent **out,
                       sbx_error **err)
{
  *out = NULL;
  long deadline = sbx_now_ms () + timeout_ms;
  _cleanup_free_ char *why = NULL;
  _cleanup_close_ int inode = open_socket_inode (path, &why);
  if (inode < 0)
    return sbx_fail (err, SBX_ERR_UNAVAILABLE, "no sbx agent at %s: %s", path, why);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d", inode);
  devenv_agent *a = xcalloc (1, sizeof *a);
  a->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (a->fd < 0)
    {
      devenv_agent_free (a);
      return sbx_fail_errno (err, errno, "socket");
    }
  /* A Unix socket connects at once, or is refused, or (backlog full)
     wants EAGAIN: retry that until the deadline. */
  for (;;)
    {
      if (connect (a->fd, (struct sockaddr *) &sa, sizeof sa) == 0)
        break;
      int e = errno;
      if ((e == EAGAIN || e == EINTR) && sbx_now_ms () < deadline)
        {
          struct timespec ts = { 0, 2 * 1000 * 1000 };
          nanosleep (&ts, NULL);
          continue;
        }
      devenv_agent_free (a);
      return sbx_fail (err, SBX_ERR_UNAVAILABLE, "no sbx agent at %s: %s", path, strerror (e));
    }
  if (check_peer (a->fd, init_pid, &why) < 0)
    {
      devenv_agent_free (a);
      return sbx_fail (err, SBX_ERR_UNAVAILABLE, "the socket %s is not the sbx agent's: %s", path,
                       why);
    }
  sbx_error *e = NULL;
  if (send_frame (a, SBX_FRAME_PING, NULL, 0, deadline, &e) < 0
      || read_status (a, deadline, &e) < 0)
    {
      devenv_agent_free (a);
      sbx_fail (err, SBX_ERR_UNAVAILABLE, "the sbx agent at %s does not answer: %s", path, e->msg);
      sbx_error_free (e);
      return -1;
    }
  if (a->version != SBX_FRAME_VERSION)
    {
      devenv_agent_free (a);
      return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                       "the sbx agent at %s speaks another protocol version", path);
    }
  *out = a;
  return 0;
}

int
devenv_agent_retire (const char *path, int *running, sbx_error **err)
{
  _cleanup_agent_ devenv_agent *a = NULL;
  *running = 0;
  if (devenv_agent_open (path, 2000, &a, err) < 0)
    return -1;
  sbx_error *e = NULL;
  long deadline = sbx_now_ms () + 2000;
  if (send_frame (a, SBX_FRAME_RETIRE, NULL, 0, deadline, &e) < 0
      || read_status (a, deadline, &e) < 0)
    {
      sbx_fail (err, SBX_ERR_UNAVAILABLE, "the sbx agent at %s: %s", path, e->msg);
      sbx_error_free (e);
      return -1;
    }
  *running = (int) a->running;
  return 0;
}

/* ---- exec ---- */

static int
build_exec (const devenv_exec_opts *o, uint8_t *buf, size_t cap, size_t *len)
{
  size_t off = 0;
  for (char *const *v = o->argv; *v; v++)
    if (sbx_field_put (buf, cap, &off, SBX_EXEC_ARG, *v, (uint32_t) strlen (*v)) < 0)
      return -1;
  for (char *const *v = o->env; v && *v; v++)
    if (strchr (*v, '=') && **v != '='
        && sbx_field_put (buf, cap, &off, SBX_EXEC_ENV, *v, (uint32_t) strlen (*v)) < 0)
      return -1;
  if (o->workdir
      && sbx_field_put (buf, cap, &off, SBX_EXEC_CWD, o->workdir, (uint32_t) strlen (o->workdir))
             < 0)
    return -1;
  if (o->timeout_ms > 0)
    {
      uint8_t t[4];
      sbx_put_u32 (t, o->timeout_ms > 0xffffffffL ? 0xffffffffu : (uint32_t) o->timeout_ms);
      if (sbx_field_put (buf, cap, &off, SBX_EXEC_TIMEOUT, t, 4) < 0)
        return -1;
    }
  if (o->tty)
    {
      uint8_t t[4];
      sbx_put_u16 (t, o->rows);
      sbx_put_u16 (t + 2, o->cols);
      if (sbx_field_put (buf, cap, &off, SBX_EXEC_TTY, t, 4) < 0)
        return -1;
    }
  if (o->attach_stdin && sbx_field_put (buf, cap, &off, SBX_EXEC_STDIN, NULL, 0) < 0)
    return -1;
  *len = off;
  return 0;
}

static const char *
agent_error_name (uint32_t code)
{
  switch (code)
    {
    case SBX_AGENT_EPROTO:
      return "protocol error";
    case SBX_AGENT_EVERSION:
      return "protocol version";
    case SBX_AGENT_EBUSY:
      return "busy";
    case SBX_AGENT_ERETIRED:
      return "retired";
    case SBX_AGENT_ESPAWN:
      return "cannot start";
    default:
      return "error";
    }
}

/* Forward what stdin has; at its end send the empty STDIN frame. */
static int
pump_stdin (devenv_agent *a, const devenv_exec_opts *o, bool *open, sbx_error **err)
{
  uint8_t buf[SBX_FRAME_MAX];
  ssize_t n = read (o->stdin_fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    *open = false;
  return send_frame (a, SBX_FRAME_STDIN, buf, n > 0 ? (uint32_t) n : 0, sbx_now_ms () + 30000, err);
}

static int
discard (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  return 0;
}

/* sig: the signal that made sbx kill the command (SBX_EXIT_F_KILLED), 0:
   SIGINT. */
static int
exit_status (const sbx_frame *f, int why, int sig, devenv_exec_result *res)
{
  uint8_t flags = f->payload[1];
  uint32_t code = sbx_get_u32 (f->payload + 4);
  if ((flags & SBX_EXIT_F_TIMEOUT) || (why == SBX_EXIT_F_TIMEOUT && (flags & SBX_EXIT_F_KILLED)))
    {
      res->timed_out = true;
      res->exit_code = 124;
    }
  else if (flags & SBX_EXIT_F_KILLED)
    {
      res->interrupted = true;
      res->signal = sig > 0 ? sig : SIGINT;
      res->exit_code = 128 + res->signal;
    }
  else
    res->exit_code = f->payload[0] == SBX_EXIT_SIGNALED ? 128 + (int) code : (int) code;
  return res->exit_code;
}

/* An error that says the agent closed its end: it went, and with it (it
   is the container's init) the command. */
static bool
agent_went (const sbx_error *e)
{
  return e->code == SBX_ERR_IO
         && (e->errno_value == 0 || e->errno_value == EPIPE || e->errno_value == ECONNRESET
             || e->errno_value == ENOTCONN);
}

static int
agent_gone (sbx_error *e, sbx_error **err)
{
  if (e->code == SBX_ERR_IO && e->errno_value == 0)
    {
      sbx_error_free (e);
      return sbx_fail (err, SBX_ERR_ENGINE,
                       "the sbx agent went away while the command ran: the container was "
                       "stopped or removed (sbx swap or sbx down), or its agent was killed; "
                       "the command was killed: run it again");
    }
  *err = e;
  return -1;
}

static int
refused (const sbx_frame *f, bool started, sbx_error **err)
{
  uint32_t code = sbx_get_u32 (f->payload);
  int ml = (int) f->len - 4;
  return sbx_fail (err, started ? SBX_ERR_ENGINE : SBX_ERR_UNAVAILABLE,
                   "the sbx agent refused the command (%s): %.*s", agent_error_name (code), ml,
                   (const char *) f->payload + 4);
}

int
devenv_agent_start (devenv_agent *a, const devenv_exec_opts *o, sbx_error **err)
{
  if (!o->argv || !o->argv[0])
    return sbx_fail (err, SBX_ERR_INVALID, "no command given");
  if (a->started)
    return sbx_fail (err, SBX_ERR_INVALID, "this agent connection already ran a command");
  if (a->flags & SBX_STATUS_RETIRED)
    return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                     "the sbx agent is retired (its container is being replaced)");
  _cleanup_free_ uint8_t *req = xmalloc (SBX_FRAME_MAX);
  size_t len;
  if (build_exec (o, req, SBX_FRAME_MAX, &len) < 0)
    return sbx_fail (err, SBX_ERR_UNAVAILABLE, "the command line and environment exceed %d bytes",
                     SBX_FRAME_MAX);
  sbx_error *e = NULL;
  if (send_frame (a, SBX_FRAME_EXEC, req, (uint32_t) len, sbx_now_ms () + 5000, &e) < 0)
    {
      /* Nothing reached it whole: the command did not start. */
      sbx_fail (err, SBX_ERR_UNAVAILABLE, "sending the command to the sbx agent: %s", e->msg);
      sbx_error_free (e);
      return -1;
    }
  sbx_frame f;
  int r = next_frame (a, &f, sbx_now_ms () + STARTED_WAIT_MS, NULL, -1, &e);
  if (r < 0)
    {
      sbx_fail (err, SBX_ERR_UNAVAILABLE, "the sbx agent did not start the command: %s", e->msg);
      sbx_error_free (e);
      return -1;
    }
  if (r == 0)
    return sbx_fail (err, SBX_ERR_TIMEOUT, "the sbx agent did not start the command within %d s",
                     STARTED_WAIT_MS / 1000);
  if (f.type == SBX_FRAME_ERROR)
    return refused (&f, false, err);
  if (f.type != SBX_FRAME_STARTED)
    return sbx_fail (err, SBX_ERR_IO, "the sbx agent answered EXEC with frame type %u", f.type);
  a->started = true;
  return 0;
}

int
devenv_agent_exec (devenv_agent *a, const devenv_exec_opts *o, devenv_exec_result *res,
                   sbx_error **err)
{
  memset (res, 0, sizeof *res);
  if (devenv_agent_start (a, o, err) < 0)
    return -1;
  engine_output_cb out = o->output ? o->output : discard;
  sbx_frame f;
  bool killing = false, stdin_open = o->attach_stdin;
  long deadline = o->timeout_ms > 0 ? sbx_now_ms () + o->timeout_ms + TIMEOUT_SLACK_MS : -1;
  int why = 0; /* SBX_EXIT_F_* we asked for */
  int sig = 0; /* the signal passed on, then the one that made us kill */
  long user_deadline = deadline;
  sbx_error *cb_err = NULL, *e = NULL;
  for (;;)
    {
      int r = next_frame (a, &f, deadline, killing ? NULL : o->cancel,
                          stdin_open && !killing ? o->stdin_fd : -1, &e);
      if (r == 2)
        {
          /* The agent may have closed after the command's end: its EXIT is
             still to be read. */
          sbx_error *se = NULL;
          if (pump_stdin (a, o, &stdin_open, &se) < 0)
            {
              stdin_open = false;
              sbx_error_free (se);
            }
          continue;
        }
      if (r < 0)
        {
          sbx_error_free (cb_err);
          return agent_gone (e, err);
        }
      if (r == 0)
        {
          if (killing)
            {
              sbx_error_free (cb_err);
              return sbx_fail (
                  err, SBX_ERR_ENGINE,
                  "the sbx agent did not end the command within %d s of being asked to",
                  KILL_WAIT_MS / 1000);
            }
          if (o->forward_signals && o->cancel && *o->cancel && !sig
              && (deadline < 0 || sbx_now_ms () < deadline))
            {
              /* A signal for the command: pass it on; it has
                 DEVENV_SIGNAL_GRACE_MS to end on it (a second signal
                 ends it at once). */
              uint8_t p[4];
              sig = (int) *o->cancel;
              sbx_put_u32 (p, (uint32_t) sig);
              *o->cancel = 0;
              long grace = sbx_now_ms () + DEVENV_SIGNAL_GRACE_MS;
              if (deadline < 0 || deadline > grace)
                deadline = grace;
              if (send_frame (a, SBX_FRAME_SIGNAL, p, 4, grace, err) < 0)
                return -1;
              continue;
            }
          /* Cancelled, the grace after a signal passed, or the agent's
             timeout did not fire: kill it, then wait for its EXIT. */
          bool user_timeout = user_deadline >= 0 && sbx_now_ms () >= user_deadline;
          why = (o->cancel && *o->cancel) || (sig && !user_timeout) ? SBX_EXIT_F_KILLED
                                                                    : SBX_EXIT_F_TIMEOUT;
          if (o->cancel && *o->cancel)
            sig = (int) *o->cancel;
          killing = true;
          deadline = sbx_now_ms () + KILL_WAIT_MS;
          if (send_frame (a, SBX_FRAME_KILL, NULL, 0, deadline, err) < 0)
            return -1;
          continue;
        }
      switch (f.type)
        {
        case SBX_FRAME_STDOUT:
        case SBX_FRAME_STDERR:
          if (!cb_err && f.len
              && out (f.type == SBX_FRAME_STDOUT ? 1 : 2, (const char *) f.payload, f.len,
                      o->output_ud, &cb_err)
                     < 0)
            {
              /* Nobody takes the output: the command goes. */
              killing = true;
              deadline = sbx_now_ms () + KILL_WAIT_MS;
              if (send_frame (a, SBX_FRAME_KILL, NULL, 0, deadline, err) < 0)
                {
                  sbx_error_free (cb_err);
                  return -1;
                }
            }
          break;
        case SBX_FRAME_ERROR:
          sbx_error_free (cb_err);
          return refused (&f, true, err);
        case SBX_FRAME_EXIT:
          a->ended = true;
          if (cb_err)
            {
              *err = cb_err;
              return -1;
            }
          exit_status (&f, why, sig, res);
          return 0;
        default:
          sbx_error_free (cb_err);
          return sbx_fail (err, SBX_ERR_IO, "the sbx agent sent an unexpected frame (type %u)",
                           f.type);
        }
    }
}

/* ---- interactive ---- */

int
devenv_agent_resize (devenv_agent *a, unsigned rows, unsigned cols, sbx_error **err)
{
  uint8_t p[4];
  sbx_put_u16 (p, rows > 0xffff ? 0xffff : (uint16_t) rows);
  sbx_put_u16 (p + 2, cols > 0xffff ? 0xffff : (uint16_t) cols);
  return send_frame (a, SBX_FRAME_RESIZE, p, 4, sbx_now_ms () + 5000, err);
}

int
devenv_agent_kill (devenv_agent *a, sbx_error **err)
{
  if (!a->started || a->ended || a->gone)
    return 0;
  long deadline = sbx_now_ms () + KILL_WAIT_MS;
  sbx_error *se = NULL;
  if (send_frame (a, SBX_FRAME_KILL, NULL, 0, deadline, &se) < 0)
    {
      if (agent_went (se))
        {
          sbx_error_free (se);
          return 0;
        }
      *err = se;
      return -1;
    }
  for (;;)
    {
      sbx_frame f;
      sbx_error *e = NULL;
      int r = next_frame (a, &f, deadline, NULL, -1, &e);
      if (r < 0 && agent_went (e))
        {
          sbx_error_free (e); /* the agent went: so did the command */
          return 0;
        }
      if (r < 0)
        {
          *err = e;
          return -1;
        }
      if (r == 0)
        return sbx_fail (err, SBX_ERR_ENGINE, "the sbx agent did not end the command within %d s",
                         KILL_WAIT_MS / 1000);
      if (f.type == SBX_FRAME_EXIT || f.type == SBX_FRAME_ERROR)
        {
          a->ended = true;
          return 0;
        }
    }
}

/* Write all of buf to a descriptor that may be non-blocking.  A
   terminal that does not drain is waited for in rounds, watching the
   pump's wake_fd: when on_wake asks to stop (a signal), *stopped and 0. */
static int
write_fd (int fd, const uint8_t *buf, size_t len, const engine_pump_opts *po, bool *stopped,
          sbx_error **err)
{
  *stopped = false;
  bool was_short = false;
  while (len)
    {
      /* A signal during a write that had begun makes it return short, not
         fail: after a short write, look at wake_fd first (as after EINTR). */
      ssize_t n = -1;
      if (was_short)
        errno = EINTR;
      else
        n = write (fd, buf, len);
      was_short = false;
      if ((n < 0 && errno == EAGAIN) || (n < 0 && errno == EINTR))
        {
          struct pollfd p[2]
              = { { .fd = fd, .events = POLLOUT }, { .fd = po->wake_fd, .events = POLLIN } };
          if (errno == EAGAIN)
            poll (p, 2, 250);
          else
            poll (p + 1, 1, 0);
          if (po->wake_fd >= 0 && p[1].revents)
            {
              int w = po->on_wake ? po->on_wake (po->ud, err) : 0;
              if (w < 0)
                return -1;
              if (w > 0)
                {
                  *stopped = true;
                  return 0;
                }
            }
          continue;
        }
      if (n < 0)
        return sbx_fail_errno (err, errno, "writing the command's output");
      buf += n;
      len -= (size_t) n;
      was_short = true;
    }
  return 0;
}

int
devenv_agent_pump (devenv_agent *a, const engine_pump_opts *po, int *exit_code, sbx_error **err)
{
  bool in_open = po->in_fd >= 0;
  *exit_code = -1;
  for (;;)
    {
      sbx_frame f;
      sbx_error *e = NULL;
      struct pollfd p[2] = { { .fd = in_open ? po->in_fd : -1, .events = POLLIN },
                             { .fd = po->wake_fd, .events = POLLIN } };
      /* Sleep until the agent, the terminal or the wake pipe has
         something, unless a whole frame is already here. */
      sbx_frame peek;
      size_t peek_used;
      if (sbx_frame_parse (a->buf + a->pending, a->len - a->pending, &peek, &peek_used)
          == SBX_FRAME_MORE)
        {
          struct pollfd q[3] = { { .fd = a->fd, .events = POLLIN }, p[0], p[1] };
          if (poll (q, 3, -1) < 0 && errno != EINTR)
            return sbx_fail_errno (err, errno, "waiting for the terminal or the sbx agent");
          p[0].revents = q[1].revents;
          p[1].revents = q[2].revents;
        }
      else
        poll (p, 2, 0);
      if (po->wake_fd >= 0 && p[1].revents)
        {
          int w = po->on_wake ? po->on_wake (po->ud, err) : 0;
          if (w < 0)
            return -1;
          if (w > 0)
            return ENGINE_PUMP_STOPPED;
        }
      if (in_open && p[0].revents)
        {
          uint8_t buf[16384];
          ssize_t n = read (po->in_fd, buf, sizeof buf);
          if (n < 0 && (errno == EINTR || errno == EAGAIN))
            n = -2;
          if (n == 0 || (n < 0 && n != -2))
            {
              in_open = false;
              if (po->on_eof == ENGINE_EOF_STOP)
                return ENGINE_PUMP_STDIN_EOF;
              bool eot = po->on_eof == ENGINE_EOF_SEND_EOT;
              if (send_frame (a, SBX_FRAME_STDIN, "\004", eot ? 1 : 0, sbx_now_ms () + 30000, &e)
                  < 0)
                sbx_error_freep (&e);
            }
          else if (n > 0
                   && send_frame (a, SBX_FRAME_STDIN, buf, (uint32_t) n, sbx_now_ms () + 30000, &e)
                          < 0)
            {
              /* The agent closed after the command's end: read its EXIT. */
              in_open = false;
              sbx_error_freep (&e);
            }
        }
      int r = next_frame (a, &f, sbx_now_ms (), NULL, -1, &e);
      if (r < 0)
        {
          a->gone = agent_went (e);
          return agent_gone (e, err);
        }
      if (r == 0)
        continue;
      switch (f.type)
        {
        case SBX_FRAME_STDOUT:
        case SBX_FRAME_STDERR:
          {
            int fd = f.type == SBX_FRAME_STDERR && po->err_fd >= 0 ? po->err_fd : po->out_fd;
            bool stopped = false;
            if (fd >= 0 && write_fd (fd, f.payload, f.len, po, &stopped, err) < 0)
              return -1;
            if (stopped)
              return ENGINE_PUMP_STOPPED;
            break;
          }
        case SBX_FRAME_EXIT:
          {
            devenv_exec_result res = { 0 };
            a->ended = true;
            *exit_code = exit_status (&f, 0, 0, &res);
            return ENGINE_PUMP_ENDED;
          }
        case SBX_FRAME_ERROR:
          return refused (&f, true, err);
        default:
          return sbx_fail (err, SBX_ERR_IO, "the sbx agent sent an unexpected frame (type %u)",
                           f.type);
        }
    }
}
