/* transport.c: the engine client and its HTTP requests (libcurl).  One easy
   handle per client, made on first use and reused so that its connection
   is kept alive.  The
   first request that needs an API version starts with the handshake: a
   /_ping, whose Api-Version header is negotiated (api_version.c) once per
   client. */
#include "engine.h"
#include "engine_internal.h"
#include "util.h"

#include <curl/curl.h>
#include <string.h>
#include <sys/stat.h>

#define JSON_BODY_MAX (64 * 1024 * 1024)

static void
global_init (void)
{
  static int done;
  if (!done)
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      done = 1;
    }
}

static char *
env_dup (const char *name)
{
  const char *v = getenv (name);
  return v && *v ? xstrdup (v) : NULL;
}

int
engine_client_new (const char *host, engine_client **out, sbx_error **err)
{
  _cleanup_free_ char *env_host = host ? NULL : env_dup ("DOCKER_HOST");
  const char *verify = getenv ("DOCKER_TLS_VERIFY");
  const char *tls_env = getenv ("DOCKER_TLS");
  bool tls_verify = verify && *verify && strcmp (verify, "0") != 0;
  bool tls = tls_verify || (tls_env && *tls_env && strcmp (tls_env, "0") != 0);

  engine_client *c = xcalloc (1, sizeof *c);
  if (engine_address_parse (host ? host : env_host, tls, &c->addr, err) < 0)
    {
      free (c);
      return -1;
    }
  c->tls_verify = tls_verify;
  if (c->addr.tls)
    {
      _cleanup_free_ char *dir = env_dup ("DOCKER_CERT_PATH");
      if (!dir)
        {
          const char *home = getenv ("HOME");
          dir = xasprintf ("%s/.docker", home ? home : "/root");
        }
      c->ca = xasprintf ("%s/ca.pem", dir);
      c->cert = xasprintf ("%s/cert.pem", dir);
      c->key = xasprintf ("%s/key.pem", dir);
    }
  c->env_version = env_dup ("DOCKER_API_VERSION");
  *out = c;
  return 0;
}

/* The client's easy handle, made on first use: a command whose requests
   all go the direct way (direct.c) never loads libcurl and its thirty
   libraries. */
static int
client_curl (engine_client *c, sbx_error **err)
{
  if (c->curl)
    return 0;
  global_init ();
  c->curl = curl_easy_init ();
  if (!c->curl)
    return sbx_fail (err, SBX_ERR_GENERIC, "cannot initialize libcurl");
  return 0;
}

void
engine_client_free (engine_client *c)
{
  if (!c)
    return;
  if (c->curl)
    curl_easy_cleanup (c->curl);
  engine_address_clear (&c->addr);
  free (c->api_version);
  free (c->env_version);
  free (c->ca);
  free (c->cert);
  free (c->key);
  free (c->ping_version);
  free (c);
}

void
engine_client_freep (engine_client **c)
{
  engine_client_free (*c);
  *c = NULL;
}

const char *
engine_client_address (const engine_client *c)
{
  return c->addr.display;
}

void
engine_client_set_cancel (engine_client *c, volatile sig_atomic_t *flag)
{
  c->cancel = flag;
}

int
engine_ping (engine_client *c, char **api_version, sbx_error **err)
{
  free (c->ping_version);
  c->ping_version = NULL;
  engine_request req = { .method = "GET", .path = "/_ping", .versionless = true,
                         .timeout_ms = 5000 };
  sbx_error *e = NULL;
  if (engine_call (c, &req, NULL, NULL, &e) < 0)
    {
      if (e->http_status == 0)
        {
          *err = e;
          return -1;
        }
      /* Something answered, but not as a Docker engine does. */
      char why[64];
      snprintf (why, sizeof why, "/_ping answered HTTP %d, not OK", e->http_status);
      engine_fail_unreachable (c, why, "is DOCKER_HOST right?", err);
      sbx_error_free (e);
      return -1;
    }
  if (api_version)
    *api_version = c->ping_version ? xstrdup (c->ping_version) : NULL;
  return 0;
}

int
engine_client_api_version (engine_client *c, const char **out, sbx_error **err)
{
  if (!c->api_version)
    {
      if (c->env_version)
        {
          if (engine_version_negotiate (NULL, c->env_version, &c->api_version, err) < 0)
            return -1;
        }
      else
        {
          _cleanup_free_ char *server = NULL;
          if (engine_ping (c, &server, err) < 0)
            return -1;
          /* An engine that sends no Api-Version header predates negotiation. */
          if (engine_version_negotiate (server ? server : "1.12", NULL, &c->api_version, err) < 0)
            return -1;
        }
    }
  *out = c->api_version;
  return 0;
}

int
engine_fail_unreachable (const engine_client *c, const char *why, const char *hint, sbx_error **err)
{
  return sbx_fail (err, SBX_ERR_UNREACHABLE, "cannot reach the Docker engine at %s: %s; %s",
                   c->addr.display, why, hint ? hint : "is dockerd running (or set DOCKER_HOST)?");
}

void
engine_curl_connection_opts (engine_client *c, CURL *h, const char *url, char *errbuf)
{
  curl_easy_setopt (h, CURLOPT_URL, url);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (h, CURLOPT_CONNECTTIMEOUT_MS, ENGINE_CONNECT_TIMEOUT_MS);
  curl_easy_setopt (h, CURLOPT_TCP_NODELAY, 1L);
  if (c->addr.kind == ENGINE_ADDR_UNIX)
    curl_easy_setopt (h, CURLOPT_UNIX_SOCKET_PATH, c->addr.socket_path);
  if (c->addr.tls)
    {
      curl_easy_setopt (h, CURLOPT_CAINFO, c->ca);
      curl_easy_setopt (h, CURLOPT_SSLCERT, c->cert);
      curl_easy_setopt (h, CURLOPT_SSLKEY, c->key);
      curl_easy_setopt (h, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
      curl_easy_setopt (h, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
    }
}

/* ---- one transfer ---- */

typedef struct transfer
{
  engine_client *c;
  const engine_request *req;
  long status;
  /* buffered body (JSON or error) */
  char *buf;
  size_t len, cap, max;
  bool overflow;
  sbx_error **err;
  bool callback_failed;
  bool head_done; /* the blank line that ends the answer's head came */
  /* timing */
  long deadline_ms; /* sbx_now_ms () clock; 0: none */
  bool timed_out, cancelled;
} transfer;

static void
buffer_append (transfer *t, const char *data, size_t n)
{
  if (t->len + n > t->max)
    {
      t->overflow = true;
      n = t->max > t->len ? t->max - t->len : 0;
    }
  if (t->len + n + 1 > t->cap)
    {
      size_t cap = t->cap ? t->cap : 4096;
      while (cap < t->len + n + 1)
        cap *= 2;
      t->buf = xrealloc (t->buf, cap);
      t->cap = cap;
    }
  memcpy (t->buf + t->len, data, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

static size_t
on_write (char *data, size_t size, size_t nmemb, void *ud)
{
  transfer *t = ud;
  size_t n = size * nmemb;
  if (t->status == 0)
    curl_easy_getinfo (t->c->curl, CURLINFO_RESPONSE_CODE, &t->status);
  if (t->status >= 400 || t->req->on_data == NULL)
    {
      t->max = t->status >= 400 ? ENGINE_ERROR_BODY_MAX : JSON_BODY_MAX;
      buffer_append (t, data, n);
      return n;
    }
  if (t->req->on_data (data, n, t->req->ud, t->err) < 0)
    {
      t->callback_failed = true;
      return 0;
    }
  return n;
}

static size_t
on_header (char *data, size_t size, size_t nmemb, void *ud)
{
  transfer *t = ud;
  size_t n = size * nmemb;
  static const char name[] = "api-version:";
  if (n >= 5 && strncmp (data, "HTTP/", 5) == 0)
    t->head_done = false; /* a new head (after an interim 1xx) */
  else if ((n == 2 && data[0] == '\r' && data[1] == '\n') || (n == 1 && data[0] == '\n'))
    t->head_done = true;
  if (n > sizeof name - 1 && strncasecmp (data, name, sizeof name - 1) == 0)
    {
      const char *v = data + sizeof name - 1;
      size_t vl = n - (sizeof name - 1);
      while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
      while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
      free (t->c->ping_version);
      t->c->ping_version = xstrndup (v, vl);
    }
  return n;
}

static size_t
on_read (char *buf, size_t size, size_t nmemb, void *ud)
{
  transfer *t = ud;
  ssize_t n = t->req->upload (buf, size * nmemb, t->req->upload_ud);
  if (n < 0)
    {
      t->callback_failed = true;
      return CURL_READFUNC_ABORT;
    }
  return (size_t) n;
}

static int
on_progress (void *ud, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
  transfer *t = ud;
  if (t->c->cancel && *t->c->cancel)
    {
      t->cancelled = true;
      return 1;
    }
  if (t->deadline_ms && sbx_now_ms () >= t->deadline_ms)
    {
      t->timed_out = true;
      return 1;
    }
  return 0;
}

static sbx_error_code
code_for_status (long status)
{
  switch (status)
    {
    case 400:
      return SBX_ERR_INVALID;
    case 404:
      return SBX_ERR_NOT_FOUND;
    case 409:
      return SBX_ERR_CONFLICT;
    default:
      return SBX_ERR_ENGINE;
    }
}

int
engine_error_from_response (long status, const char *body, size_t len, sbx_error **err)
{
  const char *msg = NULL;
  _cleanup_json_ json_t *j = body && len ? json_loadb (body, len, 0, NULL) : NULL;
  json_t *m = json_object_get (j, "message");
  if (json_is_string (m) && *json_string_value (m))
    msg = json_string_value (m);
  _cleanup_free_ char *raw = NULL;
  if (!msg)
    {
      raw = body && len ? xstrndup (body, len < 300 ? len : 300) : xstrdup ("no message");
      for (char *p = raw; *p; p++)
        if (*p == '\n' || *p == '\r')
          *p = ' ';
      msg = raw;
    }
  sbx_error_code code = code_for_status (status);
  /* podman 4.3 answers 500 where Docker answers 409: its "cause" names the
     conflict (a name in use, a container not running, ...). */
  static const char *const podman_conflicts[]
      = { "that name is already in use",    "container state improper",
          "container already exists",       "volume is being used",
          "image is in use by a container", NULL };
  const char *cause = json_string_value (json_object_get (j, "cause"));
  for (int i = 0; status == 500 && cause && podman_conflicts[i]; i++)
    if (strcmp (cause, podman_conflicts[i]) == 0)
      code = SBX_ERR_CONFLICT;
  int r = sbx_fail (err, code, "engine: %s (HTTP %ld)", msg, status);
  if (err && *err)
    (*err)->http_status = (int) status;
  return r;
}

/* "METHOD /path" for messages: without the query, decoded, an id cut to
   12 digits. */
static char *
request_label (const engine_request *req)
{
  const char *q = strchr (req->path, '?');
  size_t n = q ? (size_t) (q - req->path) : strlen (req->path);
  char *out = xmalloc (strlen (req->method) + n + 2), *o = out;
  o += sprintf (o, "%s ", req->method);
  for (size_t i = 0; i < n;)
    {
      size_t seg = strcspn (req->path + i, "/?");
      if (seg > n - i)
        seg = n - i;
      bool hex = seg == 64 && strspn (req->path + i, "0123456789abcdef") >= 64;
      size_t keep = hex ? 12 : seg;
      for (size_t k = 0; k < keep; k++)
        {
          const char *p = req->path + i + k;
          unsigned v;
          if (*p == '%' && k + 2 < keep && sscanf (p + 1, "%2x", &v) == 1 && v >= 0x20 && v < 0x7f)
            {
              *o++ = (char) v;
              k += 2;
            }
          else
            *o++ = *p;
        }
      i += seg;
      if (i < n)
        *o++ = req->path[i++];
    }
  *o = '\0';
  return out;
}

/* What a failed transfer means, in words (NULL: curl's own). */
static const char *
broken_answer (CURLcode rc)
{
  switch (rc)
    {
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_SEND_FAIL_REWIND:
      return "closed the connection before its answer was complete";
    case CURLE_UNSUPPORTED_PROTOCOL: /* HTTP/0.9: bytes that are no HTTP head */
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
      return "answered with bytes that are not HTTP";
    default:
      return NULL;
    }
}

#define RETRY_HINT "retry, and see dockerd's log if it happens again"

void
engine_error_engine_failed (sbx_error **err, const char *what)
{
  if (!err || !*err)
    return;
  char *msg = xasprintf ("%s, on %s; " RETRY_HINT, (*err)->msg, what);
  free ((*err)->msg);
  (*err)->msg = msg;
}

static int
transport_error (transfer *t, CURLcode rc, const char *errbuf, sbx_error **err)
{
  engine_client *c = t->c;
  if (t->callback_failed && err && *err)
    return -1;
  _cleanup_free_ char *what = request_label (t->req);
  if (t->cancelled)
    return sbx_fail (err, SBX_ERR_INTERRUPTED, "%s: interrupted", what);
  if (t->timed_out)
    return sbx_fail (
        err, SBX_ERR_TIMEOUT,
        "%s: no answer from the engine at %s within %ld ms; is dockerd overloaded? " RETRY_HINT,
        what, c->addr.display,
        t->req->timeout_ms > 0 ? t->req->timeout_ms : ENGINE_REQUEST_TIMEOUT_MS);
  long os_errno = 0;
  curl_easy_getinfo (c->curl, CURLINFO_OS_ERRNO, &os_errno);
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST
      || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SSL_CONNECT_ERROR
      || rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CERTPROBLEM
      || rc == CURLE_SSL_CACERT_BADFILE)
    {
      const char *cause = errbuf[0] ? errbuf : curl_easy_strerror (rc);
      char why[256];
      if (c->addr.kind == ENGINE_ADDR_UNIX)
        {
          struct stat st;
          if (stat (c->addr.socket_path, &st) < 0)
            snprintf (why, sizeof why, "%s", strerror (errno));
          else if (os_errno)
            snprintf (why, sizeof why, "%s", strerror ((int) os_errno));
          else
            snprintf (why, sizeof why, "%s", cause);
        }
      else if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf (why, sizeof why, "no answer within %ld ms", ENGINE_CONNECT_TIMEOUT_MS);
      else if (os_errno && rc == CURLE_COULDNT_CONNECT)
        snprintf (why, sizeof why, "%s", strerror ((int) os_errno));
      else
        snprintf (why, sizeof why, "%s", cause);
      return engine_fail_unreachable (c, why, NULL, err);
    }
  const char *why = broken_answer (rc);
  if (why)
    return sbx_fail (err, SBX_ERR_UNREACHABLE, "%s: the engine at %s %s; " RETRY_HINT, what,
                     c->addr.display, why);
  return sbx_fail (err, SBX_ERR_UNREACHABLE, "%s on the engine at %s: %s; " RETRY_HINT, what,
                   c->addr.display, errbuf[0] ? errbuf : curl_easy_strerror (rc));
}

int
engine_call (engine_client *c, const engine_request *req, long *status, json_t **out,
             sbx_error **err)
{
  const char *version = NULL;
  if (!req->versionless && engine_client_api_version (c, &version, err) < 0)
    return -1;

  if (client_curl (c, err) < 0)
    return -1;
  CURL *h = c->curl;
  curl_easy_reset (h);
  char errbuf[CURL_ERROR_SIZE] = "";
  transfer t = { .c = c, .req = req, .err = err, .max = JSON_BODY_MAX };

  _cleanup_free_ char *url = version ? xasprintf ("%s/v%s%s", c->addr.url_base, version, req->path)
                                     : xasprintf ("%s%s", c->addr.url_base, req->path);
  engine_curl_connection_opts (c, h, url, errbuf);

  struct curl_slist *headers = NULL;
  headers = curl_slist_append (headers, "Expect:");
  _cleanup_free_ char *body = NULL;
  if (req->json)
    {
      body = json_dumps (req->json, JSON_COMPACT);
      if (!body)
        return sbx_fail (err, SBX_ERR_GENERIC, "cannot encode the request body of %s", req->path);
      headers = curl_slist_append (headers, "Content-Type: application/json");
      curl_easy_setopt (h, CURLOPT_POSTFIELDS, body);
      curl_easy_setopt (h, CURLOPT_POSTFIELDSIZE, (long) strlen (body));
    }
  else if (req->upload)
    {
      _cleanup_free_ char *ct = xasprintf ("Content-Type: %s",
                                           req->content_type ? req->content_type
                                                             : "application/octet-stream");
      headers = curl_slist_append (headers, ct);
      headers = curl_slist_append (headers, "Transfer-Encoding: chunked");
      curl_easy_setopt (h, CURLOPT_POST, 1L);
      curl_easy_setopt (h, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt (h, CURLOPT_READDATA, &t);
    }
  else if (strcmp (req->method, "POST") == 0)
    {
      /* No body, and no form Content-Type that some endpoints refuse. */
      headers = curl_slist_append (headers, "Content-Type:");
      curl_easy_setopt (h, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt (h, CURLOPT_POSTFIELDSIZE, 0L);
    }
  for (const char *const *hd = req->headers; hd && *hd; hd++)
    headers = curl_slist_append (headers, *hd);
  curl_easy_setopt (h, CURLOPT_HTTPHEADER, headers);
  if (strcmp (req->method, "GET") != 0 && strcmp (req->method, "POST") != 0)
    curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, req->method);
  if (strcmp (req->method, "HEAD") == 0)
    curl_easy_setopt (h, CURLOPT_NOBODY, 1L);

  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt (h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt (h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (h, CURLOPT_HEADERDATA, &t);
  long timeout_ms = req->timeout_ms;
  if (timeout_ms == 0 && !req->on_data && !req->upload)
    timeout_ms = ENGINE_REQUEST_TIMEOUT_MS;
  if (timeout_ms > 0 || c->cancel)
    {
      if (timeout_ms > 0)
        t.deadline_ms = sbx_now_ms () + timeout_ms;
      curl_easy_setopt (h, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt (h, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt (h, CURLOPT_XFERINFODATA, &t);
    }

  CURLcode rc = curl_easy_perform (h);
  curl_slist_free_all (headers);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, NULL);
  if (t.status == 0)
    curl_easy_getinfo (h, CURLINFO_RESPONSE_CODE, &t.status);
  _cleanup_free_ char *buf = t.buf;

  /* libcurl takes a head cut short for a whole answer without a body. */
  if (rc == CURLE_OK && !t.head_done && !(t.callback_failed && err && *err))
    rc = CURLE_PARTIAL_FILE;
  if (rc != CURLE_OK)
    return transport_error (&t, rc, errbuf, err);
  if (status)
    *status = t.status;
  if (t.status >= 400)
    {
      engine_error_from_response (t.status, buf, t.len, err);
      if (t.status >= 500)
        {
          _cleanup_free_ char *what = request_label (req);
          engine_error_engine_failed (err, what);
        }
      return -1;
    }
  if (t.overflow)
    return sbx_fail (err, SBX_ERR_ENGINE, "%s %s: the engine's answer is larger than %d bytes",
                     req->method, req->path, JSON_BODY_MAX);
  if (out)
    {
      *out = NULL;
      if (buf && t.len > 0)
        {
          json_error_t jerr;
          *out = json_loadb (buf, t.len, 0, &jerr);
          if (!*out)
            return sbx_fail (err, SBX_ERR_ENGINE, "%s %s: the engine's answer is not JSON: %s",
                             req->method, req->path, jerr.text);
        }
    }
  return 0;
}

int
engine_get_json (engine_client *c, const char *path, json_t **out, sbx_error **err)
{
  engine_request req = { .method = "GET", .path = path };
  return engine_call (c, &req, NULL, out, err);
}

int
engine_post_json (engine_client *c, const char *path, json_t *body, json_t **out, sbx_error **err)
{
  engine_request req = { .method = "POST", .path = path, .json = body };
  return engine_call (c, &req, NULL, out, err);
}

int
engine_delete (engine_client *c, const char *path, sbx_error **err)
{
  engine_request req = { .method = "DELETE", .path = path };
  return engine_call (c, &req, NULL, NULL, err);
}

char *
engine_urlencode (const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen (s);
  char *out = xmalloc (3 * n + 1), *o = out;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || *p == '-' || *p == '_' || *p == '.' || *p == '~')
        *o++ = (char) *p;
      else
        {
          *o++ = '%';
          *o++ = hex[*p >> 4];
          *o++ = hex[*p & 15];
        }
    }
  *o = '\0';
  return out;
}

char *
engine_label_filter (const char *label)
{
  _cleanup_json_ json_t *f = json_pack ("{s:[s]}", "label", label);
  _cleanup_free_ char *s = json_dumps (f, JSON_COMPACT);
  return engine_urlencode (s);
}
