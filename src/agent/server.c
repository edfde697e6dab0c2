/* server.c: `sbx-agent serve`: PID 1 of the project container, reaping
   zombies and serving commands on a Unix socket, in one poll loop.

   Each connection is a session: PING and RETIRE are answered with STATUS;
   EXEC starts a command in its own session and process group, after which
   the client may send STDIN, RESIZE and KILL while the agent streams
   STDOUT/STDERR and finally EXIT (once the command has exited and its
   output pipes are closed, as `docker exec` does).

   Memory is bounded: at most MAX_SESSIONS sessions, each with one input
   buffer (a frame) and one output buffer; the command's output is read
   only when the output buffer has room, so a slow client slows the command
   down instead of growing the agent.  A client that goes away, a timeout or
   KILL kills the tree of the command's supervisor (every process the
   command started, whatever it did with its session or environment) and
   every process carrying its token. */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_SESSIONS 128
#define IDLE_MS 10000 /* a connection must send a complete request within this */
#define GRACE_MS 200  /* after a kill, how long output pipes may stay open */
#define CHUNK 65536
#define INCAP (SBX_FRAME_HEADER + SBX_FRAME_MAX)
#define OUTCAP (2 * (SBX_FRAME_HEADER + CHUNK))

enum
{
  S_IDLE,    /* before EXEC */
  S_RUNNING, /* the command runs */
  S_DONE,    /* EXIT (or ERROR) queued: close once flushed */
};

typedef struct session
{
  int fd; /* the client, -1 once it went away */
  int state;
  uint8_t in[INCAP];
  size_t in_len;
  size_t stdin_sent; /* bytes of the first buffered STDIN frame already written */
  int stdin_blocked; /* that frame waits for the command to read */
  uint8_t out[OUTCAP];
  size_t out_start, out_end;
  agent_child ch;
  int exited, status; /* the command's status came (ch.status_fd), its wait status */
  int killed;         /* SBX_EXIT_F_* once killed (or KILLED_ORPHANS) */
  pid_t killer;       /* the token-kill helper, 0 when none runs */
  long deadline;      /* timeout of the command, 0: none */
  long idle_deadline; /* S_IDLE: drop the connection after this */
  long grace_deadline;
} session;

static session *sessions[MAX_SESSIONS];
static int retired;
static const char *agent_tag = "";

static long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
running_count (void)
{
  int n = 0;
  for (int i = 0; i < MAX_SESSIONS; i++)
    if (sessions[i] && sessions[i]->state == S_RUNNING)
      n++;
  return n;
}

/* ---- output ---- */

static int
out_room (session *s)
{
  if (s->out_start == s->out_end)
    s->out_start = s->out_end = 0;
  return OUTCAP - s->out_end;
}

/* Queue a whole frame; control frames are small and always fit after the
   buffer is compacted (data is only read when a full chunk fits). */
static void
queue (session *s, uint8_t type, const void *payload, uint32_t len)
{
  if (s->fd < 0)
    return;
  if ((size_t) out_room (s) < SBX_FRAME_HEADER + len && s->out_start > 0)
    {
      memmove (s->out, s->out + s->out_start, s->out_end - s->out_start);
      s->out_end -= s->out_start;
      s->out_start = 0;
    }
  if ((size_t) out_room (s) < SBX_FRAME_HEADER + len)
    return; /* cannot happen: control frames are at most 8 + 64 bytes */
  sbx_frame_header (s->out + s->out_end, type, len);
  if (len)
    memcpy (s->out + s->out_end + SBX_FRAME_HEADER, payload, len);
  s->out_end += SBX_FRAME_HEADER + len;
}

static void
queue_status (session *s)
{
  uint8_t p[8 + 32];
  size_t tl = strnlen (agent_tag, 32);
  p[0] = SBX_FRAME_VERSION;
  p[1] = retired ? SBX_STATUS_RETIRED : 0;
  sbx_put_u16 (p + 2, 0);
  sbx_put_u32 (p + 4, (uint32_t) running_count ());
  memcpy (p + 8, agent_tag, tl);
  queue (s, SBX_FRAME_STATUS, p, (uint32_t) (8 + tl));
}

static void
queue_error (session *s, uint32_t code, const char *msg)
{
  uint8_t p[4 + 60];
  size_t ml = strnlen (msg, 60);
  sbx_put_u32 (p, code);
  memcpy (p + 4, msg, ml);
  queue (s, SBX_FRAME_ERROR, p, (uint32_t) (4 + ml));
  s->state = S_DONE;
}

/* ---- killing ---- */

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    {
      close (*fd);
      *fd = -1;
    }
}

#define KILL_SERIES 10
/* Not told to the client: the supervisor died without the command's
   status (the command killed it), and what it started is killed by the
   token, its pid being no longer its own. */
#define KILLED_ORPHANS 0x80

static void
kill_command (session *s, int why)
{
  if (s->killed || s->state != S_RUNNING)
    return;
  s->killed = why;
  pid_t root = why == KILLED_ORPHANS ? 0 : s->ch.pid;
  /* Not the group first: the supervisor must outlive the rest of its tree,
     or orphans would go to PID 1 out of reach.  The tree (and whatever
     carries the token) is killed by a helper, so that the loop goes on. */
  pid_t k = fork ();
  if (k == 0)
    {
      /* None of the agent's descriptors (other sessions' pipes and
         clients, the listening socket): it needs /proc only. */
#ifdef SYS_close_range
      syscall (SYS_close_range, 3U, ~0U, 0U);
#endif
      /* Rounds again until the tree is gone (a fork bomb on a loaded
         machine outlasts one series), within the client's wait. */
      for (int series = 0; series < KILL_SERIES; series++)
        if (agent_kill_tree (root, s->ch.token, 100) == 0)
          _exit (0);
      _exit (1);
    }
  s->killer = k > 0 ? k : 0;
  if (k < 0) /* no process to spare (a fork bomb at the pids limit): here */
    agent_kill_tree (root, s->ch.token, 100);
}

/* Pass a signal on to the command (its group, and the child itself until
   it has a group of its own), as a terminal would. */
static void
signal_command (session *s, int sig)
{
  if (s->killed || s->state != S_RUNNING || s->ch.pid <= 0)
    return;
  kill (s->ch.pid, sig);
  kill (-s->ch.pid, sig);
}

static void
client_gone (session *s)
{
  close_fd (&s->fd);
  s->out_start = s->out_end = 0;
  if (s->state == S_RUNNING)
    {
      kill_command (s, SBX_EXIT_F_KILLED);
      /* Nobody reads the output any more. */
      close_fd (&s->ch.in);
      close_fd (&s->ch.out);
      close_fd (&s->ch.err);
    }
}

static void
session_free (int i)
{
  session *s = sessions[i];
  close_fd (&s->fd);
  close_fd (&s->ch.in);
  close_fd (&s->ch.out);
  close_fd (&s->ch.err);
  close_fd (&s->ch.status_fd);
  free (s);
  sessions[i] = NULL;
}

/* ---- input ---- */

/* Write the STDIN frame at the head of the input buffer; 1 when done, 0
   when the pipe is full. */
static int
feed_stdin (session *s, const sbx_frame *f)
{
  if (f->len == 0)
    {
      close_fd (&s->ch.in);
      return 1;
    }
  while (s->ch.in >= 0 && s->stdin_sent < f->len)
    {
      ssize_t n = write (s->ch.in, f->payload + s->stdin_sent, f->len - s->stdin_sent);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return 0;
      if (n < 0)
        {
          close_fd (&s->ch.in); /* the command closed its stdin: drop the rest */
          break;
        }
      s->stdin_sent += (size_t) n;
    }
  s->stdin_sent = 0;
  return 1;
}

static void
start_exec (session *s, const sbx_frame *f)
{
  sbx_exec_request req;
  if (retired)
    return queue_error (s, SBX_AGENT_ERETIRED, "the container is being replaced");
  if (sbx_exec_request_parse (f->payload, f->len, &req) != SBX_FRAME_OK)
    return queue_error (s, SBX_AGENT_EPROTO, "malformed EXEC request");
  if (agent_spawn (f->payload, f->len, &req, &s->ch) < 0)
    {
      char msg[60];
      snprintf (msg, sizeof msg, "cannot start the command: %s", strerror (errno));
      return queue_error (s, SBX_AGENT_ESPAWN, msg);
    }
  s->state = S_RUNNING;
  s->deadline = req.timeout_ms ? now_ms () + (long) req.timeout_ms : 0;
  uint8_t p[4];
  sbx_put_u32 (p, (uint32_t) s->ch.pid);
  queue (s, SBX_FRAME_STARTED, p, 4);
}

static void
protocol_error (session *s, const char *msg)
{
  if (s->state == S_RUNNING)
    {
      /* The command cannot be controlled any more: it goes. */
      queue_error (s, SBX_AGENT_EPROTO, msg);
      s->state = S_RUNNING;
      kill_command (s, SBX_EXIT_F_KILLED);
      close_fd (&s->ch.in);
      s->in_len = 0;
      return;
    }
  queue_error (s, SBX_AGENT_EPROTO, msg);
}

/* Handle the frames buffered from the client. */
static void
process_input (session *s)
{
  size_t pos = 0;
  while (s->fd >= 0 && s->state != S_DONE && !s->killed)
    {
      sbx_frame f;
      size_t used;
      int r = sbx_frame_parse (s->in + pos, s->in_len - pos, &f, &used);
      if (r == SBX_FRAME_MORE)
        break;
      if (r < 0)
        {
          if (r == SBX_FRAME_EVERSION && s->state == S_IDLE)
            queue_error (s, SBX_AGENT_EVERSION, "unsupported protocol version");
          else
            protocol_error (s, sbx_frame_strerror (r));
          pos = s->in_len;
          break;
        }
      if (sbx_frame_check (&f) != SBX_FRAME_OK)
        {
          protocol_error (s, "malformed frame");
          pos = s->in_len;
          break;
        }
      if (s->state == S_IDLE)
        switch (f.type)
          {
          case SBX_FRAME_PING:
            queue_status (s);
            break;
          case SBX_FRAME_RETIRE:
            retired = 1;
            queue_status (s);
            break;
          case SBX_FRAME_EXEC:
            start_exec (s, &f);
            break;
          default:
            protocol_error (s, "unexpected frame before EXEC");
          }
      else
        switch (f.type)
          {
          case SBX_FRAME_STDIN:
            s->stdin_blocked = !feed_stdin (s, &f);
            if (s->stdin_blocked)
              goto blocked;
            break;
          case SBX_FRAME_RESIZE:
            {
              struct winsize ws
                  = { .ws_row = sbx_get_u16 (f.payload), .ws_col = sbx_get_u16 (f.payload + 2) };
              if (s->ch.err < 0 && s->ch.out >= 0)
                ioctl (s->ch.out, TIOCSWINSZ, &ws);
              break;
            }
          case SBX_FRAME_KILL:
            kill_command (s, SBX_EXIT_F_KILLED);
            break;
          case SBX_FRAME_SIGNAL:
            signal_command (s, (int) sbx_get_u32 (f.payload));
            break;
          case SBX_FRAME_PING:
            queue_status (s);
            break;
          default:
            protocol_error (s, "unexpected frame while running");
          }
      pos += used;
    }
blocked:
  if (pos > s->in_len)
    pos = s->in_len;
  memmove (s->in, s->in + pos, s->in_len - pos);
  s->in_len -= pos;
}

static void
read_client (session *s)
{
  for (;;)
    {
      if (s->in_len == INCAP)
        return;
      ssize_t n = read (s->fd, s->in + s->in_len, INCAP - s->in_len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n <= 0)
        {
          client_gone (s);
          return;
        }
      s->in_len += (size_t) n;
      process_input (s);
      if (s->fd < 0 || s->state == S_DONE)
        return;
      /* Blocked on stdin: stop reading until the command takes it. */
      if (s->stdin_blocked)
        return;
    }
}

/* Read the command's output into the output buffer, as frames. */
static void
read_output (session *s, int *fd, uint8_t type)
{
  while (*fd >= 0)
    {
      if ((size_t) out_room (s) < SBX_FRAME_HEADER + CHUNK)
        {
          if (s->out_start == 0)
            return;
          memmove (s->out, s->out + s->out_start, s->out_end - s->out_start);
          s->out_end -= s->out_start;
          s->out_start = 0;
          if ((size_t) out_room (s) < SBX_FRAME_HEADER + CHUNK)
            return;
        }
      ssize_t n = read (*fd, s->out + s->out_end + SBX_FRAME_HEADER, CHUNK);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n <= 0)
        {
          close_fd (fd); /* EOF, or EIO of a pty whose other side is gone */
          return;
        }
      sbx_frame_header (s->out + s->out_end, type, (uint32_t) n);
      s->out_end += SBX_FRAME_HEADER + (size_t) n;
      if (n < CHUNK)
        return;
    }
}

static void
flush (session *s)
{
  while (s->fd >= 0 && s->out_start < s->out_end)
    {
      ssize_t n = send (s->fd, s->out + s->out_start, s->out_end - s->out_start, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n < 0)
        {
          client_gone (s);
          return;
        }
      s->out_start += (size_t) n;
    }
}

/* The command is over when it was reaped, its output pipes are closed (or,
   after a kill, the grace period passed) and the kill helper is done. */
static void
maybe_finish (session *s, long now)
{
  if (s->state != S_RUNNING || !s->exited || s->killer)
    return;
  if (s->ch.out >= 0 || s->ch.err >= 0)
    {
      if (!s->killed && s->fd >= 0)
        return;
      if (!s->grace_deadline)
        s->grace_deadline = now + GRACE_MS;
      if (now < s->grace_deadline && s->fd >= 0)
        return;
      close_fd (&s->ch.out);
      close_fd (&s->ch.err);
    }
  close_fd (&s->ch.in);
  uint8_t p[8] = { 0 };
  if (WIFSIGNALED (s->status))
    {
      p[0] = SBX_EXIT_SIGNALED;
      sbx_put_u32 (p + 4, (uint32_t) WTERMSIG (s->status));
    }
  else
    {
      p[0] = SBX_EXIT_EXITED;
      sbx_put_u32 (p + 4, (uint32_t) WEXITSTATUS (s->status));
    }
  p[1] = (uint8_t) (s->killed & (SBX_EXIT_F_TIMEOUT | SBX_EXIT_F_KILLED));
  queue (s, SBX_FRAME_EXIT, p, sizeof p);
  s->state = S_DONE;
}

/* ---- the loop ---- */

static void
reap (void)
{
  int st;
  pid_t pid;
  while ((pid = waitpid (-1, &st, WNOHANG)) > 0)
    for (int i = 0; i < MAX_SESSIONS; i++)
      {
        session *s = sessions[i];
        if (!s)
          continue;
        /* A supervisor (s->ch.pid) reports the command's end on its
           status pipe, and may live on for the command's orphans. */
        if (s->killer == pid)
          {
            s->killer = 0;
            break;
          }
      }
}

static void
accept_clients (int lfd)
{
  for (;;)
    {
      int fd = accept4 (lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        return;
      int slot = -1;
      for (int i = 0; i < MAX_SESSIONS && slot < 0; i++)
        if (!sessions[i])
          slot = i;
      session *s = slot >= 0 ? malloc (sizeof *s) : NULL;
      if (!s)
        {
          uint8_t f[SBX_FRAME_HEADER + 4 + 20];
          sbx_frame_header (f, SBX_FRAME_ERROR, 4 + 20);
          sbx_put_u32 (f + SBX_FRAME_HEADER, SBX_AGENT_EBUSY);
          memcpy (f + SBX_FRAME_HEADER + 4, "too many connections", 20);
          (void) !send (fd, f, sizeof f, MSG_NOSIGNAL | MSG_DONTWAIT);
          close (fd);
          continue;
        }
      /* Only the header is initialized: the buffers are touched as used. */
      memset (s, 0, offsetof (session, in));
      s->in_len = s->stdin_sent = s->out_start = s->out_end = 0;
      s->stdin_blocked = 0;
      memset (&s->ch, 0, sizeof s->ch);
      s->ch.pid = -1;
      s->ch.in = s->ch.out = s->ch.err = s->ch.status_fd = -1;
      s->exited = s->status = s->killed = 0;
      s->killer = 0;
      s->deadline = s->grace_deadline = 0;
      s->fd = fd;
      s->state = S_IDLE;
      s->idle_deadline = now_ms () + IDLE_MS;
      sessions[slot] = s;
    }
}

static int
listen_on (const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof sa.sun_path)
    {
      agent_say ("serve: socket path too long: ", path, "");
      return -1;
    }
  strcpy (sa.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  unlink (path);
  mode_t old = umask (077);
  int r = bind (fd, (struct sockaddr *) &sa, sizeof sa);
  umask (old);
  if (r < 0 || listen (fd, 256) < 0)
    {
      agent_say ("serve: cannot listen on ", path, strerror (errno));
      close (fd);
      return -1;
    }
  return fd;
}

/* Setup: the signals PID 1 handles arrive on *sfd, room for every
   session's descriptors, the socket on *lfd (-1 when it cannot be made).
   -1 when the agent cannot run at all. */
static int
serve_setup (const char *path, int *sfd, int *lfd)
{
  /* Commands run as the agent's own user: not dumpable, it cannot be
     traced, nor its memory read or written, by them (that takes
     CAP_SYS_PTRACE, which the container does not have), so the process
     the host finds as the container's init is this program. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGHUP);
  sigprocmask (SIG_BLOCK, &set, NULL);
  signal (SIGPIPE, SIG_IGN);
  *sfd = signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (*sfd < 0)
    {
      agent_say ("serve: signalfd: ", strerror (errno), "");
      return -1;
    }
  /* Room for every session's descriptors; commands get the container's
     own limit back (agent_restore_limits). */
  agent_raise_nofile (8 * MAX_SESSIONS);
  /* Without the socket (a file system that cannot hold one), the agent is
     still the container's init: clients fall back to the engine. */
  *lfd = listen_on (path);
  return 0;
}

/* The loop: one poll over the signals, the socket, every client and every
   command's pipes; then the deadlines.  Returns the program's status. */
static int
serve_loop (const char *path, int sfd, int lfd)
{
  static struct pollfd pfd[3 + 5 * MAX_SESSIONS];
  static struct
  {
    session *s;
    int which;
  } map[3 + 5 * MAX_SESSIONS];
  for (;;)
    {
      long now = now_ms ();
      int timeout = 1000;
      int n = 0;
      pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
      pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
      pfd[n++] = (struct pollfd){ .fd = agent_watch_fd (), .events = POLLIN };
      for (int i = 0; i < MAX_SESSIONS; i++)
        {
          session *s = sessions[i];
          if (!s)
            continue;
          long dl = 0;
          if (s->state == S_IDLE)
            dl = s->idle_deadline;
          else if (s->state == S_RUNNING && s->deadline && !s->killed)
            dl = s->deadline;
          if (s->grace_deadline && (!dl || s->grace_deadline < dl))
            dl = s->grace_deadline;
          if (dl)
            timeout = dl <= now ? 0 : (dl - now < timeout ? (int) (dl - now) : timeout);
          if (s->fd >= 0)
            {
              short ev = 0;
              if (s->in_len < INCAP && !s->stdin_blocked && s->state != S_DONE)
                ev |= POLLIN;
              if (s->out_start < s->out_end)
                ev |= POLLOUT;
              map[n].s = s, map[n].which = 0;
              pfd[n++] = (struct pollfd){ .fd = s->fd, .events = ev };
            }
          int room = s->fd < 0
                     || (size_t) OUTCAP - (s->out_end - s->out_start) >= SBX_FRAME_HEADER + CHUNK;
          if (s->ch.out >= 0 && room)
            {
              map[n].s = s, map[n].which = 1;
              pfd[n++] = (struct pollfd){ .fd = s->ch.out, .events = POLLIN };
            }
          if (s->ch.err >= 0 && room)
            {
              map[n].s = s, map[n].which = 2;
              pfd[n++] = (struct pollfd){ .fd = s->ch.err, .events = POLLIN };
            }
          if (s->ch.in >= 0 && s->stdin_blocked)
            {
              map[n].s = s, map[n].which = 3;
              pfd[n++] = (struct pollfd){ .fd = s->ch.in, .events = POLLOUT };
            }
          if (s->ch.status_fd >= 0)
            {
              map[n].s = s, map[n].which = 4;
              pfd[n++] = (struct pollfd){ .fd = s->ch.status_fd, .events = POLLIN };
            }
        }
      int r = poll (pfd, (nfds_t) n, timeout);
      if (r < 0 && errno != EINTR)
        {
          agent_say ("serve: poll: ", strerror (errno), "");
          return 125;
        }
      /* First of all: a protected path made ends everything. */
      int guarded = agent_watch_handle ();
      if (guarded >= 0)
        {
          if (lfd >= 0)
            unlink (path);
          return guarded;
        }
      if (r > 0 && pfd[0].revents)
        {
          struct signalfd_siginfo si;
          int stop = 0;
          while (read (sfd, &si, sizeof si) == (ssize_t) sizeof si)
            if (si.ssi_signo != SIGCHLD)
              stop = 1;
          if (stop)
            {
              if (lfd >= 0)
                unlink (path);
              return 0;
            }
          reap ();
        }
      if (r > 0)
        for (int k = 3; k < n; k++)
          {
            session *s = map[k].s;
            short re = pfd[k].revents;
            if (!re)
              continue;
            switch (map[k].which)
              {
              case 0:
                if (s->fd < 0)
                  break;
                if (re & POLLOUT)
                  flush (s);
                if (s->fd < 0)
                  break;
                if (s->state == S_DONE)
                  {
                    if (re & (POLLHUP | POLLERR))
                      client_gone (s);
                  }
                else if (re & (POLLIN | POLLHUP | POLLERR))
                  read_client (s);
                break;
              case 1:
                if (s->fd < 0)
                  close_fd (&s->ch.out);
                else
                  read_output (s, &s->ch.out, SBX_FRAME_STDOUT);
                break;
              case 2:
                if (s->fd < 0)
                  close_fd (&s->ch.err);
                else
                  read_output (s, &s->ch.err, SBX_FRAME_STDERR);
                break;
              case 3:
                if (re & (POLLERR | POLLHUP))
                  close_fd (&s->ch.in);
                s->stdin_blocked = 0;
                process_input (s);
                break;
              case 4:
                {
                  int st, got = agent_read_status (s->ch.status_fd, &st);
                  if (got == 0)
                    break;
                  /* No status: the supervisor was killed before the
                     command's end could be reported. */
                  s->exited = 1;
                  s->status = got > 0 ? st : SIGKILL;
                  close_fd (&s->ch.status_fd);
                  if (got < 0)
                    kill_command (s, KILLED_ORPHANS);
                  break;
                }
              }
          }
      now = now_ms ();
      for (int i = 0; i < MAX_SESSIONS; i++)
        {
          session *s = sessions[i];
          if (!s)
            continue;
          if (s->state == S_IDLE && now >= s->idle_deadline)
            client_gone (s);
          if (s->state == S_RUNNING && s->deadline && !s->killed && now >= s->deadline)
            kill_command (s, SBX_EXIT_F_TIMEOUT);
          maybe_finish (s, now);
          flush (s);
          /* Gone or finished, with nothing left to send and nothing left
             running: the session ends. */
          int idle_gone = s->state == S_IDLE && s->fd < 0;
          int done = s->state == S_DONE && (s->fd < 0 || s->out_start == s->out_end) && !s->killer
                     && (s->ch.pid < 0 || s->exited);
          int orphan = s->state == S_RUNNING && s->fd < 0 && s->exited && !s->killer;
          if (idle_gone || done || orphan)
            session_free (i);
        }
      if (lfd >= 0 && r > 0 && pfd[1].revents)
        accept_clients (lfd);
    }
}

int
agent_serve (const char *path, const char *tag, char *const *protect)
{
  agent_tag = tag;
  int sfd, lfd;
  if (serve_setup (path, &sfd, &lfd) < 0)
    return 125;
  agent_watch_start (protect);
  return serve_loop (path, sfd, lfd);
}
