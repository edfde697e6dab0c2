/* direct.c: a read-only request that needs no libcurl.  When the engine is
   a unix:// socket and the client has not loaded libcurl yet, a GET goes
   straight over the socket: HTTP/1.0 (the engine closes the connection after
   its answer, and sends no chunks), the head parsed by the parser of the
   hijacked exec (hijack.c).  Loading libcurl and its thirty libraries costs
   several milliseconds, more than the rest of `sbx devenv build` on an
   unchanged project, which only asks whether the image of its key exists.
   Whatever does not go as planned on the way (another kind of address,
   cannot connect, no complete answer) is no error here: the caller asks
   again through libcurl, whose errors say what failed.  An answer of the
   engine is final, an error answer becomes the engine's error as in
   engine_call. */
#include "engine.h"
#include "engine_internal.h"
#include "hijack.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* An inspect answer is a few KiB: more than this is left to libcurl. */
#define DIRECT_ANSWER_MAX (4 * 1024 * 1024)
/* The engine answers a GET on its own socket at once; a slow one is left
   to libcurl's bounds and messages. */
#define DIRECT_TIMEOUT_MS 10000L
/* How often a wait looks at the client's cancel flag. */
#define DIRECT_SLICE_MS 100

/* Wait for events on fd until the deadline or the cancel flag: 1 ready, 0
   not (timed out or cancelled). */
static int
wait_fd (const engine_client *c, int fd, short events, long deadline)
{
  for (;;)
    {
      if (c->cancel && *c->cancel)
        return 0;
      long left = deadline - sbx_now_ms ();
      if (left <= 0)
        return 0;
      struct pollfd p = { .fd = fd, .events = events };
      int r = poll (&p, 1, left < DIRECT_SLICE_MS ? (int) left : DIRECT_SLICE_MS);
      if (r > 0)
        return 1;
      if (r < 0 && errno != EINTR)
        return 0;
    }
}

/* The whole answer to request (until the engine closes), or NULL. */
static char *
exchange (const engine_client *c, const char *request, size_t *len)
{
  if (c->addr.kind != ENGINE_ADDR_UNIX || c->addr.tls || c->curl)
    return NULL;
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen (c->addr.socket_path) >= sizeof sa.sun_path)
    return NULL;
  strcpy (sa.sun_path, c->addr.socket_path);
  _cleanup_close_ int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return NULL;
  long deadline = sbx_now_ms () + DIRECT_TIMEOUT_MS;
  size_t n = strlen (request), sent = 0;
  while (sent < n)
    {
      ssize_t w = send (fd, request + sent, n - sent, MSG_NOSIGNAL);
      if (w > 0)
        sent += (size_t) w;
      else if (w < 0 && errno != EAGAIN && errno != EINTR)
        return NULL;
      else if (w < 0 && errno == EAGAIN && !wait_fd (c, fd, POLLOUT, deadline))
        return NULL;
    }
  size_t cap = 16384, have = 0;
  _cleanup_free_ char *buf = xmalloc (cap + 1);
  for (;;)
    {
      if (have == cap)
        {
          if (cap >= DIRECT_ANSWER_MAX)
            return NULL;
          cap *= 2;
          buf = xrealloc (buf, cap + 1);
        }
      ssize_t r = recv (fd, buf + have, cap - have, 0);
      if (r > 0)
        have += (size_t) r;
      else if (r == 0)
        break;
      else if (errno != EAGAIN && errno != EINTR)
        return NULL;
      else if (errno == EAGAIN && !wait_fd (c, fd, POLLIN, deadline))
        return NULL;
    }
  buf[have] = '\0';
  *len = have;
  return steal_pointer (&buf);
}

/* GET path (no version prefix: the caller's) as JSON.  0 with *out, -1
   with *err (the engine's error answer), 1: ask through libcurl. */
static int
get_json (engine_client *c, const char *path, json_t **out, sbx_error **err)
{
  _cleanup_free_ char *request = xasprintf ("GET %s HTTP/1.0\r\n"
                                            "Host: docker\r\n"
                                            "User-Agent: sbx/" SBX_VERSION "\r\n"
                                            "\r\n",
                                            path);
  size_t len = 0;
  _cleanup_free_ char *answer = exchange (c, request, &len);
  if (!answer)
    return 1;
  engine_http_head hd;
  sbx_error *perr = NULL;
  long head = engine_http_head_parse (answer, len, &hd, &perr);
  sbx_error_free (perr);
  if (head <= 0)
    return 1;
  char *body = answer + head;
  size_t blen = len - (size_t) head;
  if (hd.chunked)
    blen = engine_http_dechunk (body, blen);
  else if (hd.content_length >= 0)
    {
      if ((size_t) hd.content_length > blen)
        return 1; /* cut short */
      blen = (size_t) hd.content_length;
    }
  if (hd.status >= 400)
    return engine_error_from_response (hd.status, body, blen, err);
  if (hd.status != 200)
    return 1;
  *out = json_loadb (body, blen, 0, NULL);
  return *out ? 0 : 1;
}

int
engine_image_inspect_direct (engine_client *c, const char *ref, json_t **out, sbx_error **err)
{
  *out = NULL;
  /* The negotiated version when there is one; else the engine's own
     (unversioned path): the fields read from an inspect (Id,
     Config.Labels) are the same in every version.  A version forced by
     DOCKER_API_VERSION is left to the negotiation. */
  if (!c->api_version && c->env_version)
    return 1;
  _cleanup_free_ char *e = engine_urlencode (ref);
  _cleanup_free_ char *path = c->api_version ? xasprintf ("/v%s/images/%s/json", c->api_version, e)
                                             : xasprintf ("/images/%s/json", e);
  return get_json (c, path, out, err);
}
