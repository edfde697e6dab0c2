/* hijack.c: exec start on a hijacked connection (see hijack.h).  libcurl
   opens the connection (CONNECT_ONLY) with the client's transport settings,
   so unix, tcp and TLS behave alike; the request and the response head are
   handled here, then curl_easy_send/curl_easy_recv carry the stream.  The
   client's own easy handle is left alone, so that other requests (resize,
   inspect) can be made while the stream is open. */
#include "engine/hijack.h"
#include "engine.h"
#include "engine_internal.h"
#include "util.h"

#include <curl/curl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define HEAD_MAX (16 * 1024)
#define HEAD_TIMEOUT_MS 120000L /* a runsc sandbox may take its time */
#define ERROR_BODY_TIMEOUT_MS 5000L
#define IN_BUF (64 * 1024)
#define OUT_BUF (32 * 1024)
#define RECV_ROUNDS 16 /* reads in a row before stdin gets a turn */
#define CANCEL_POLL_MS 100 /* how often a wait looks at the cancel flag */

struct engine_hijack
{
  engine_client *c; /* borrowed: the cancel flag, the address for messages */
  CURL *curl;
  int fd;
  bool tty;
  bool write_closed;
  size_t stdin_sent;
  char *pending; /* stream bytes that came with the response head */
  size_t pending_len;
  engine_demux demux;
};

/* ---- the response head ---- */

static bool
header_is (const char *line, size_t len, const char *name, const char **value, size_t *vlen)
{
  size_t n = strlen (name);
  if (len <= n || strncasecmp (line, name, n) != 0 || line[n] != ':')
    return false;
  const char *v = line + n + 1;
  const char *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  *value = v;
  *vlen = (size_t) (end - v);
  return true;
}

static bool
token_in (const char *v, size_t vlen, const char *token)
{
  size_t n = strlen (token);
  for (size_t i = 0; i + n <= vlen; i++)
    if (strncasecmp (v + i, token, n) == 0 && (i == 0 || v[i - 1] == ' ' || v[i - 1] == ',')
        && (i + n == vlen || v[i + n] == ' ' || v[i + n] == ',' || v[i + n] == ';'))
      return true;
  return false;
}

long
engine_http_head_parse (const char *buf, size_t len, engine_http_head *out, sbx_error **err)
{
  memset (out, 0, sizeof *out);
  out->content_length = -1;
  /* Find the end of the head first: nothing is decided on a partial head. */
  size_t end = 0;
  for (size_t i = 0; i < len; i++)
    if (buf[i] == '\n'
        && ((i >= 1 && buf[i - 1] == '\n') || (i >= 2 && buf[i - 1] == '\r' && buf[i - 2] == '\n')))
      {
        end = i + 1;
        break;
      }
  if (len >= 5 && strncmp (buf, "HTTP/", 5) != 0)
    goto bad;
  if (len < 5 && strncmp (buf, "HTTP/", len) != 0)
    goto bad;
  if (end == 0)
    return 0;

  bool first = true;
  for (size_t pos = 0; pos < end;)
    {
      const char *line = buf + pos;
      const char *nl = memchr (line, '\n', end - pos);
      size_t ll = (size_t) (nl - line);
      pos += ll + 1;
      if (ll && line[ll - 1] == '\r')
        ll--;
      if (ll == 0)
        break;
      if (first)
        {
          /* HTTP/1.1 101 UPGRADED */
          first = false;
          const char *sp = memchr (line, ' ', ll);
          if (!sp || line + ll - sp < 4)
            goto bad;
          int st = 0;
          for (int k = 1; k <= 3; k++)
            {
              if (sp[k] < '0' || sp[k] > '9')
                goto bad;
              st = st * 10 + (sp[k] - '0');
            }
          if (line + ll > sp + 4 && sp[4] != ' ')
            goto bad;
          out->status = st;
          continue;
        }
      const char *v;
      size_t vl;
      if (header_is (line, ll, "Content-Length", &v, &vl))
        {
          long n = 0;
          if (vl == 0 || vl > 15)
            goto bad;
          for (size_t k = 0; k < vl; k++)
            {
              if (v[k] < '0' || v[k] > '9')
                goto bad;
              n = n * 10 + (v[k] - '0');
            }
          out->content_length = n;
        }
      else if (header_is (line, ll, "Transfer-Encoding", &v, &vl))
        out->chunked = token_in (v, vl, "chunked");
      else if (header_is (line, ll, "Upgrade", &v, &vl))
        out->upgraded = out->upgraded || token_in (v, vl, "tcp");
      else if (header_is (line, ll, "Content-Type", &v, &vl))
        {
          size_t n = vl < sizeof out->content_type - 1 ? vl : sizeof out->content_type - 1;
          memcpy (out->content_type, v, n);
          out->content_type[n] = '\0';
        }
    }
  if (out->status == 101)
    out->upgraded = true;
  return (long) end;

bad:
  return sbx_fail (err, SBX_ERR_ENGINE, "the engine's answer is not an HTTP response");
}

size_t
engine_http_dechunk (char *buf, size_t len)
{
  size_t in = 0, out = 0;
  while (in < len)
    {
      size_t size = 0, k = in;
      bool digits = false;
      for (; k < len; k++)
        {
          char ch = buf[k];
          int d = ch >= '0' && ch <= '9'   ? ch - '0'
                  : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                  : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                           : -1;
          if (d < 0)
            break;
          if (size > (SIZE_MAX >> 4))
            return out;
          size = size * 16 + (size_t) d;
          digits = true;
        }
      if (!digits)
        return out;
      const char *nl = memchr (buf + k, '\n', len - k);
      if (!nl)
        return out;
      size_t data = (size_t) (nl - buf) + 1;
      if (size == 0 || size > len - data)
        return out;
      memmove (buf + out, buf + data, size);
      out += size;
      in = data + size;
      if (in < len && buf[in] == '\r')
        in++;
      if (in < len && buf[in] == '\n')
        in++;
    }
  return out;
}

/* ---- connection ---- */

static bool
cancelled (engine_hijack *h)
{
  return h->c->cancel && *h->c->cancel;
}

/* Wait until fd is ready for events or deadline (ms, monotonic) passes,
   looking at the cancel flag every CANCEL_POLL_MS. */
static int
wait_fd (engine_hijack *h, short events, long deadline, const char *what, sbx_error **err)
{
  for (;;)
    {
      if (cancelled (h))
        return sbx_fail (err, SBX_ERR_INTERRUPTED, "%s: interrupted", what);
      long left = deadline - sbx_now_ms ();
      if (left <= 0)
        return sbx_fail (err, SBX_ERR_TIMEOUT, "%s: no answer from the engine at %s", what,
                         h->c->addr.display);
      struct pollfd p = { .fd = h->fd, .events = events };
      int n = poll (&p, 1, left < CANCEL_POLL_MS ? (int) left : CANCEL_POLL_MS);
      if (n < 0 && errno != EINTR)
        return sbx_fail_errno (err, errno, "%s: poll", what);
      if (n > 0)
        return 0;
    }
}

/* sbx_write_loop's sink: the hijacked connection, until deadline. */
typedef struct sending
{
  engine_hijack *h;
  long deadline;
  const char *what;
  sbx_error **err;
} sending;

static ssize_t
send_step (void *ud, const void *buf, size_t len)
{
  sending *s = ud;
  size_t n = 0;
  CURLcode rc = curl_easy_send (s->h->curl, buf, len, &n);
  if (rc == CURLE_AGAIN)
    return 0;
  if (rc != CURLE_OK)
    return sbx_fail (s->err, SBX_ERR_UNREACHABLE, "%s: sending to the engine at %s: %s", s->what,
                     s->h->c->addr.display, curl_easy_strerror (rc));
  return (ssize_t) n;
}

static int
send_wait (void *ud)
{
  sending *s = ud;
  return wait_fd (s->h, POLLOUT, s->deadline, s->what, s->err);
}

static int
send_all (engine_hijack *h, const char *buf, size_t len, long deadline, const char *what,
          sbx_error **err)
{
  sending s = { .h = h, .deadline = deadline, .what = what, .err = err };
  return sbx_write_loop (send_step, send_wait, &s, buf, len);
}

/* Read at most len bytes, waiting up to deadline; *n 0 at end of stream. */
static int
recv_some (engine_hijack *h, char *buf, size_t len, size_t *n, long deadline, const char *what,
           sbx_error **err)
{
  for (;;)
    {
      CURLcode rc = curl_easy_recv (h->curl, buf, len, n);
      if (rc == CURLE_AGAIN)
        {
          if (wait_fd (h, POLLIN, deadline, what, err) < 0)
            return -1;
          continue;
        }
      if (rc != CURLE_OK)
        return sbx_fail (err, SBX_ERR_UNREACHABLE, "%s: reading from the engine at %s: %s", what,
                         h->c->addr.display, curl_easy_strerror (rc));
      return 0;
    }
}

static int
hijack_connect (engine_hijack *h, sbx_error **err)
{
  engine_client *c = h->c;
  h->curl = curl_easy_init ();
  if (!h->curl)
    return sbx_fail (err, SBX_ERR_GENERIC, "cannot initialize libcurl");
  char errbuf[CURL_ERROR_SIZE] = "";
  CURL *k = h->curl;
  engine_curl_connection_opts (c, k, c->addr.url_base, errbuf);
  curl_easy_setopt (k, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt (k, CURLOPT_TCP_KEEPALIVE, 1L);
  CURLcode rc = curl_easy_perform (k);
  curl_easy_setopt (k, CURLOPT_ERRORBUFFER, NULL);
  if (rc != CURLE_OK)
    {
      long os_errno = 0;
      curl_easy_getinfo (k, CURLINFO_OS_ERRNO, &os_errno);
      return engine_fail_unreachable (c,
                                      os_errno && rc == CURLE_COULDNT_CONNECT
                                          ? strerror ((int) os_errno)
                                      : errbuf[0] ? errbuf
                                                  : curl_easy_strerror (rc),
                                      NULL, err);
    }
  curl_socket_t s = CURL_SOCKET_BAD;
  if (curl_easy_getinfo (k, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK || s == CURL_SOCKET_BAD)
    return sbx_fail (err, SBX_ERR_GENERIC, "libcurl gave no socket for the engine at %s",
                     c->addr.display);
  h->fd = (int) s;
  return 0;
}

/* The body of an error answer: what came with the head, then up to
   Content-Length (or the end of the connection), bounded. */
static int
error_from_answer (engine_hijack *h, const engine_http_head *hd, char *buf, size_t have,
                   sbx_error **err)
{
  long deadline = sbx_now_ms () + ERROR_BODY_TIMEOUT_MS;
  size_t want = hd->content_length >= 0 && hd->content_length < ENGINE_ERROR_BODY_MAX
                    ? (size_t) hd->content_length
                    : ENGINE_ERROR_BODY_MAX;
  while (have < want)
    {
      size_t n = 0;
      sbx_error *e = NULL;
      if (recv_some (h, buf + have, want - have, &n, deadline, "reading the engine's error", &e)
          < 0)
        {
          sbx_error_free (e); /* report what we have */
          break;
        }
      if (n == 0)
        break;
      have += n;
      if (hd->chunked && have >= 5 && memcmp (buf + have - 5, "0\r\n\r\n", 5) == 0)
        break;
    }
  if (hd->chunked)
    have = engine_http_dechunk (buf, have);
  if (engine_error_from_response (hd->status, buf, have, err) < 0)
    {
      if (hd->status >= 500)
        engine_error_engine_failed (err, "POST /exec/{id}/start");
      return engine_exec_error (err);
    }
  return 0;
}

/* The Host header's value. */
static char *
host_header (const engine_client *c)
{
  if (c->addr.kind == ENGINE_ADDR_UNIX)
    return xstrdup ("localhost");
  return strchr (c->addr.host, ':') ? xasprintf ("[%s]:%d", c->addr.host, c->addr.port)
                                    : xasprintf ("%s:%d", c->addr.host, c->addr.port);
}

int
engine_exec_start_hijack (engine_client *c, const char *exec_id, bool tty, engine_hijack **out,
                          sbx_error **err)
{
  const char *version = NULL;
  if (engine_client_api_version (c, &version, err) < 0)
    return -1;

  _cleanup_hijack_ engine_hijack *h = xcalloc (1, sizeof *h);
  h->c = c;
  h->fd = -1;
  h->tty = tty;
  engine_demux_init (&h->demux, NULL, NULL);
  if (hijack_connect (h, err) < 0)
    return -1;

  _cleanup_free_ char *eid = engine_urlencode (exec_id);
  _cleanup_free_ char *what = xasprintf ("starting exec %.12s", exec_id);
  const char *body = tty ? "{\"Detach\":false,\"Tty\":true}" : "{\"Detach\":false,\"Tty\":false}";
  _cleanup_free_ char *hostport = host_header (c);
  _cleanup_free_ char *reqs = xasprintf ("POST /v%s/exec/%s/start HTTP/1.1\r\n"
                                         "Host: %s\r\n"
                                         "User-Agent: sbx/" SBX_VERSION "\r\n"
                                         "Content-Type: application/json\r\n"
                                         "Content-Length: %zu\r\n"
                                         "Connection: Upgrade\r\n"
                                         "Upgrade: tcp\r\n"
                                         "\r\n%s",
                                         version, eid, hostport, strlen (body), body);
  long deadline = sbx_now_ms () + HEAD_TIMEOUT_MS;
  if (send_all (h, reqs, strlen (reqs), deadline, what, err) < 0)
    return -1;

  /* The head, and whatever stream bytes came with it. */
  _cleanup_free_ char *buf
      = xmalloc (ENGINE_ERROR_BODY_MAX > HEAD_MAX ? ENGINE_ERROR_BODY_MAX : HEAD_MAX);
  size_t have = 0;
  engine_http_head hd;
  long head_len = 0;
  while (head_len == 0)
    {
      if (have == HEAD_MAX)
        return sbx_fail (err, SBX_ERR_ENGINE, "%s: the engine's answer head is larger than %d bytes",
                         what, HEAD_MAX);
      size_t n = 0;
      if (recv_some (h, buf + have, HEAD_MAX - have, &n, deadline, what, err) < 0)
        return -1;
      if (n == 0)
        return sbx_fail (err, SBX_ERR_ENGINE, "%s: the engine closed the connection without an answer",
                         what);
      have += n;
      head_len = engine_http_head_parse (buf, have, &hd, err);
      if (head_len < 0)
        return sbx_error_prefix (err, "%s", what);
    }
  size_t rest = have - (size_t) head_len;
  if (hd.status >= 400)
    {
      memmove (buf, buf + head_len, rest);
      return error_from_answer (h, &hd, buf, rest, err);
    }
  if (hd.status != 101 && hd.status != 200)
    return sbx_fail (err, SBX_ERR_ENGINE, "%s: unexpected answer from the engine (HTTP %d)", what,
                     hd.status);
  if (hd.chunked)
    return sbx_fail (err, SBX_ERR_ENGINE,
                     "%s: the engine answered with a chunked body instead of a raw stream", what);
  if (rest > 0)
    {
      h->pending = xmalloc (rest);
      memcpy (h->pending, buf + head_len, rest);
      h->pending_len = rest;
    }
  *out = steal_pointer (&h);
  return 0;
}

size_t
engine_hijack_stdin_sent (const engine_hijack *h)
{
  return h->stdin_sent;
}

void
engine_hijack_free (engine_hijack *h)
{
  if (!h)
    return;
  if (h->curl)
    curl_easy_cleanup (h->curl); /* closes the socket */
  free (h->pending);
  free (h);
}

void
engine_hijack_freep (engine_hijack **h)
{
  engine_hijack_free (*h);
  *h = NULL;
}


/* ---- the pump ---- */

typedef struct sink
{
  engine_hijack *h;
  int out_fd, err_fd;
  engine_output_cb output;
  void *output_ud;
} sink;

/* The descriptor written to, and the client whose cancel flag ends a
   write that waits (a terminal that does not drain). */
typedef struct fd_sink
{
  int fd;
  engine_hijack *h;
} fd_sink;

/* Write it all, also to a descriptor someone made non-blocking (a terminal
   shared with another program): sbx_write_loop with a step that takes
   EAGAIN for "not now" and a wait for POLLOUT in rounds of CANCEL_POLL_MS.
   A signal that raised the cancel flag ends it (EINTR). */
static ssize_t
fd_step (void *ud, const void *buf, size_t len)
{
  fd_sink *f = ud;
  for (;;)
    {
      /* A signal during a write that had begun makes it return short, not
         fail: look before each. */
      if (cancelled (f->h))
        {
          errno = EINTR;
          return -1;
        }
      ssize_t n = write (f->fd, buf, len);
      if (n < 0 && errno == EINTR && cancelled (f->h))
        return -1;
      if (n >= 0 || errno != EINTR)
        return n < 0 && errno == EAGAIN ? 0 : n;
    }
}

static int
fd_wait (void *ud)
{
  fd_sink *f = ud;
  for (;;)
    {
      if (cancelled (f->h))
        {
          errno = EINTR;
          return -1;
        }
      struct pollfd w = { .fd = f->fd, .events = POLLOUT };
      int n = poll (&w, 1, CANCEL_POLL_MS);
      if (n < 0 && errno != EINTR)
        return -1;
      if (n > 0)
        return 0;
    }
}

static int
write_fully (engine_hijack *h, int fd, const char *p, size_t len)
{
  fd_sink f = { .fd = fd, .h = h };
  return sbx_write_loop (fd_step, fd_wait, &f, p, len);
}

static int
sink_write (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  sink *s = ud;
  if (s->output)
    return s->output (stream, data, len, s->output_ud, err);
  int fd = stream == 2 ? s->err_fd : s->out_fd;
  if (fd < 0)
    return 0;
  const char *what = stream == 2 ? "stderr" : "output";
  if (write_fully (s->h, fd, data, len) < 0)
    return errno == EINTR
               ? sbx_fail (err, SBX_ERR_INTERRUPTED, "writing the exec's %s: interrupted", what)
               : sbx_fail_errno (err, errno, "writing the exec's %s", what);
  return 0;
}

static int
deliver (engine_hijack *h, sink *s, const char *data, size_t len, sbx_error **err)
{
  if (h->tty)
    return sink_write (1, data, len, s, err);
  h->demux.cb = sink_write;
  h->demux.ud = s;
  return engine_demux_feed (&h->demux, data, len, err);
}

/* The pump turns three phases until one of them ends it: receive (engine
   -> out_fd/err_fd), stdin (in[] -> engine, and the end of in_fd), wait
   (poll the socket, in_fd and wake_fd, look at the cancel flag and the
   deadline, read in_fd).  Each phase returns -1 on an error, else 0, with
   done and status set when the pump is over. */
typedef struct pump
{
  engine_hijack *h;
  const engine_pump_opts *o;
  sink s;
  char *in; /* IN_BUF: read from in_fd, in[in_off..in_len) still to send */
  size_t in_len, in_off;
  char *out; /* OUT_BUF */
  bool in_open;
  bool in_eof;     /* in_fd ended; its action is due once in[] is sent */
  bool want_out;   /* the last send would have blocked */
  bool maybe_data; /* the socket (or the TLS layer) may hold bytes */
  bool done;
  engine_pump_status status;
  long end_deadline; /* the container ended: the stream has until then; 0: not yet */
} pump;

static int
pump_end (pump *p, engine_pump_status status)
{
  p->done = true;
  p->status = status;
  return 0;
}

static int
stream_ended (pump *p, sbx_error **err)
{
  if (!p->h->tty && engine_demux_finish (&p->h->demux, err) < 0)
    return -1;
  return pump_end (p, ENGINE_PUMP_ENDED);
}

/* Up to RECV_ROUNDS reads in a row, so that stdin gets its turn. */
static int
pump_receive (pump *p, sbx_error **err)
{
  engine_hijack *h = p->h;
  if (!p->maybe_data)
    return 0;
  int round = 0;
  for (; round < RECV_ROUNDS; round++)
    {
      size_t n = 0;
      CURLcode rc = curl_easy_recv (h->curl, p->out, OUT_BUF, &n);
      if (rc == CURLE_AGAIN)
        break;
      /* A TLS peer (or a proxy in front of the engine) may close
         without close_notify; the exit status, asked next, tells
         whether the process really ended. */
      if (rc == CURLE_RECV_ERROR && h->c->addr.tls)
        return stream_ended (p, err);
      if (rc != CURLE_OK)
        return sbx_fail (err, SBX_ERR_UNREACHABLE, "reading the exec's stream from %s: %s",
                         h->c->addr.display, curl_easy_strerror (rc));
      if (n == 0)
        return stream_ended (p, err);
      if (deliver (h, &p->s, p->out, n, err) < 0)
        return -1;
    }
  p->maybe_data = round == RECV_ROUNDS;
  return 0;
}

/* stdin -> engine, as much as the socket takes; then, once in_fd ended
   and in[] is sent, its end as on_eof says.  *again: an EOT was queued,
   to be sent before waiting. */
static int
pump_stdin (pump *p, bool *again, sbx_error **err)
{
  engine_hijack *h = p->h;
  *again = false;
  p->want_out = false;
  while (p->in_off < p->in_len)
    {
      size_t n = 0;
      CURLcode rc = curl_easy_send (h->curl, p->in + p->in_off, p->in_len - p->in_off, &n);
      if (rc == CURLE_AGAIN)
        {
          p->want_out = true;
          break;
        }
      if (rc != CURLE_OK)
        return sbx_fail (err, SBX_ERR_UNREACHABLE, "sending stdin to the engine at %s: %s",
                         h->c->addr.display, curl_easy_strerror (rc));
      p->in_off += n;
      h->stdin_sent += n;
    }
  if (p->in_off == p->in_len)
    p->in_off = p->in_len = 0;
  if (!p->in_eof || p->in_len != 0)
    return 0;
  p->in_eof = false;
  switch (p->o->on_eof)
    {
    case ENGINE_EOF_STOP:
      return pump_end (p, ENGINE_PUMP_STDIN_EOF);
    case ENGINE_EOF_SEND_EOT:
      p->in[0] = 0x04;
      p->in_len = 1;
      *again = true;
      break;
    case ENGINE_EOF_HALF_CLOSE:
      if (shutdown (h->fd, SHUT_WR) < 0 && errno != ENOTCONN)
        return sbx_fail_errno (err, errno, "closing the exec's stdin");
      h->write_closed = true;
      break;
    }
  return 0;
}

/* How long the wait may block: until the deadline, and no longer than
   CANCEL_POLL_MS when the cancel flag matters; -1: no bound. */
static int
wait_bound (pump *p, int *wait, sbx_error **err)
{
  const engine_pump_opts *o = p->o;
  *wait = -1;
  if (o->deadline)
    {
      long left = o->deadline - sbx_now_ms ();
      if (left <= 0)
        return sbx_fail (err, SBX_ERR_TIMEOUT, "the exec's stream: deadline passed");
      *wait = left < INT_MAX ? (int) left : INT_MAX;
    }
  if (p->end_deadline)
    {
      long left = p->end_deadline - sbx_now_ms ();
      if (left < 0)
        left = 0;
      if (*wait < 0 || *wait > left)
        *wait = (int) left;
    }
  /* A signal that raises the cancel flag between the check and poll
     is seen at the next round. */
  if ((o->stop_on_cancel || o->on_cancel) && (*wait < 0 || *wait > CANCEL_POLL_MS))
    *wait = CANCEL_POLL_MS;
  return 0;
}

static int
pump_wait (pump *p, sbx_error **err)
{
  engine_hijack *h = p->h;
  const engine_pump_opts *o = p->o;
  struct pollfd fds[4];
  int np = 0, ip = -1, wp = -1, ep = -1;
  fds[np++] = (struct pollfd){ .fd = h->fd, .events = POLLIN | (p->want_out ? POLLOUT : 0) };
  if (p->in_open && p->in_len == 0)
    {
      ip = np;
      fds[np++] = (struct pollfd){ .fd = o->in_fd, .events = POLLIN };
    }
  if (o->wake_fd >= 0)
    {
      wp = np;
      fds[np++] = (struct pollfd){ .fd = o->wake_fd, .events = POLLIN };
    }
  if (o->end && !p->end_deadline)
    {
      ep = np;
      fds[np++] = (struct pollfd){ .fd = engine_end_watch_fd (o->end), .events = POLLIN };
    }
  if (p->end_deadline && sbx_now_ms () >= p->end_deadline)
    return pump_end (p, ENGINE_PUMP_CONTAINER_ENDED);
  if (o->on_cancel && cancelled (h))
    {
      int value = (int) *h->c->cancel;
      *h->c->cancel = 0;
      if (o->on_cancel (o->ud, value, err) < 0)
        return -1;
    }
  else if (o->stop_on_cancel && cancelled (h))
    return sbx_fail (err, SBX_ERR_INTERRUPTED, "the exec's stream: interrupted");
  int wait;
  if (wait_bound (p, &wait, err) < 0)
    return -1;
  int n = poll (fds, (nfds_t) np, p->maybe_data ? 0 : wait);
  if (n < 0)
    {
      if (errno == EINTR)
        return 0;
      return sbx_fail_errno (err, errno, "waiting for the exec's stream");
    }
  if (wp >= 0 && fds[wp].revents)
    {
      int r = o->on_wake ? o->on_wake (o->ud, err) : 0;
      if (r < 0)
        return -1;
      if (r > 0)
        return pump_end (p, ENGINE_PUMP_STOPPED);
    }
  if (ep >= 0 && fds[ep].revents && engine_end_watch_check (o->end))
    p->end_deadline = sbx_now_ms () + (o->end_grace_ms > 0 ? o->end_grace_ms : ENGINE_END_GRACE_MS);
  if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
    p->maybe_data = true;
  if (ip >= 0 && fds[ip].revents)
    {
      ssize_t k = read (o->in_fd, p->in, IN_BUF);
      if (k > 0)
        p->in_len = (size_t) k;
      else if (k == 0 || (errno != EINTR && errno != EAGAIN))
        {
          /* End of file, or a terminal that hung up (EIO). */
          p->in_open = false;
          p->in_eof = true;
        }
    }
  return 0;
}

int
engine_hijack_pump (engine_hijack *h, const engine_pump_opts *o, sbx_error **err)
{
  _cleanup_free_ char *in = xmalloc (IN_BUF);
  _cleanup_free_ char *out = xmalloc (OUT_BUF);
  pump p = { .h = h,
             .o = o,
             .s = { .h = h,
                    .out_fd = o->out_fd,
                    .err_fd = o->err_fd,
                    .output = o->output,
                    .output_ud = o->output_ud },
             .in = in,
             .out = out,
             .in_open = o->in_fd >= 0 && !h->write_closed,
             .maybe_data = true };

  if (h->pending_len)
    {
      _cleanup_free_ char *pending = steal_pointer (&h->pending);
      size_t n = h->pending_len;
      h->pending_len = 0;
      if (deliver (h, &p.s, pending, n, err) < 0)
        return -1;
    }

  while (!p.done)
    {
      bool again;
      if (pump_receive (&p, err) < 0)
        return -1;
      if (p.done)
        break;
      if (pump_stdin (&p, &again, err) < 0)
        return -1;
      if (p.done || again)
        continue;
      if (pump_wait (&p, err) < 0)
        return -1;
    }
  return p.status;
}

/* ---- the end of a container ---- */

#define WATCH_BUF 1024 /* the head and the start of the body are all that matter */

struct engine_end_watch
{
  engine_hijack *h;
  char buf[WATCH_BUF];
  size_t len;
  bool ended;
};

int
engine_container_watch_end (engine_client *c, const char *container, engine_end_watch **out,
                            sbx_error **err)
{
  const char *version = NULL;
  if (engine_client_api_version (c, &version, err) < 0)
    return -1;
  _cleanup_end_watch_ engine_end_watch *w = xcalloc (1, sizeof *w);
  w->h = xcalloc (1, sizeof *w->h);
  w->h->c = c;
  w->h->fd = -1;
  if (hijack_connect (w->h, err) < 0)
    return -1;
  _cleanup_free_ char *cid = engine_urlencode (container);
  _cleanup_free_ char *hostport = host_header (c);
  _cleanup_free_ char *what = xasprintf ("watching container %.12s", container);
  _cleanup_free_ char *reqs
      = xasprintf ("POST /v%s/containers/%s/wait?condition=not-running HTTP/1.1\r\n"
                   "Host: %s\r\n"
                   "User-Agent: sbx/" SBX_VERSION "\r\n"
                   "Content-Length: 0\r\n"
                   "\r\n",
                   version, cid, hostport);
  if (send_all (w->h, reqs, strlen (reqs), sbx_now_ms () + ERROR_BODY_TIMEOUT_MS, what, err) < 0)
    return -1;
  *out = steal_pointer (&w);
  return 0;
}

int
engine_end_watch_fd (const engine_end_watch *w)
{
  return w->ended ? -1 : w->h->fd;
}

bool
engine_end_watch_check (engine_end_watch *w)
{
  while (!w->ended)
    {
      char tmp[WATCH_BUF];
      size_t n = 0;
      CURLcode rc = curl_easy_recv (w->h->curl, tmp, sizeof tmp, &n);
      if (rc == CURLE_AGAIN)
        break;
      if (rc != CURLE_OK || n == 0)
        {
          w->ended = true; /* the engine closed it, or went */
          break;
        }
      size_t k = n < WATCH_BUF - w->len ? n : WATCH_BUF - w->len;
      memcpy (w->buf + w->len, tmp, k);
      w->len += k;
      /* The engine sends the head at once and the body when the container
         stops: an error head, or a byte after the head, is the end. */
      engine_http_head hd;
      sbx_error *e = NULL;
      long head = engine_http_head_parse (w->buf, w->len, &hd, &e);
      sbx_error_free (e);
      if (head < 0 || (head > 0 && (hd.status >= 300 || (size_t) head < w->len))
          || w->len == WATCH_BUF)
        w->ended = true;
    }
  return w->ended;
}

void
engine_end_watch_free (engine_end_watch *w)
{
  if (!w)
    return;
  engine_hijack_free (w->h);
  free (w);
}

void
engine_end_watch_freep (engine_end_watch **w)
{
  engine_end_watch_free (*w);
  *w = NULL;
}

/* ---- resize ---- */

int
engine_exec_resize (engine_client *c, const char *exec_id, unsigned rows, unsigned cols,
                    sbx_error **err)
{
  _cleanup_free_ char *eid = engine_urlencode (exec_id);
  _cleanup_free_ char *path = xasprintf ("/exec/%s/resize?h=%u&w=%u", eid, rows, cols);
  engine_request req = { .method = "POST", .path = path, .timeout_ms = 10000 };
  return engine_call (c, &req, NULL, NULL, err);
}
