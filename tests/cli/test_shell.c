/* sbx shell against the real engine: driven under a pseudo-terminal (the
   test holds both ends, so that the terminal's settings can be read before,
   during and after), and with piped stdin. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "testutil.h"
#include "util.h"

/* The project of the running test, taken down even when an assertion
   fails half-way. */
static char *current_proj;

static void
cleanup (void)
{
  if (current_proj)
    {
      tu_down (current_proj);
      tu_rmrf (current_proj);
      free (current_proj);
      current_proj = NULL;
    }
}

TestSuite (shell, .fini = cleanup, .timeout = 120);

/* ---- helpers ---- */

static char *
project_up (const char *isolation)
{
  char *proj = tu_mkproject ();
  tu_result r;
  if (isolation)
    tu_sbx (&r, proj, "up", "--image", TU_IMAGE, "--isolation", isolation, NULL);
  else
    tu_sbx (&r, proj, "up", "--image", TU_IMAGE, NULL);
  current_proj = proj;
  cr_assert_eq (r.status, 0, "sbx up: %s", r.err);
  tu_result_clear (&r);
  return proj;
}

static void
project_down (char *proj)
{
  tu_down (proj);
  tu_rmrf (proj);
  free (proj);
  current_proj = NULL;
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct term
{
  int master, slave;
  pid_t pid;
  char buf[64 * 1024]; /* output not yet matched */
  size_t len;
} term;

/* Start `sbx ARGS...` on a new terminal of rows x cols, as the session
   leader with it as controlling terminal, with the extra "K=V" env.
   typeahead is written to the terminal before sbx even runs. */
static void
term_spawn (term *t, const char *proj, unsigned rows, unsigned cols, const char *typeahead,
            char *const *env, char *const *args)
{
  memset (t, 0, sizeof *t);
  struct winsize ws = { .ws_row = rows, .ws_col = cols };
  cr_assert_eq (openpty (&t->master, &t->slave, NULL, NULL, &ws), 0);
  fcntl (t->master, F_SETFD, FD_CLOEXEC);
  fcntl (t->slave, F_SETFD, FD_CLOEXEC);
  if (typeahead)
    write_all (t->master, typeahead, strlen (typeahead));
  t->pid = fork ();
  cr_assert (t->pid >= 0);
  if (t->pid == 0)
    {
      setsid ();
      ioctl (t->slave, TIOCSCTTY, 0);
      dup2 (t->slave, 0);
      dup2 (t->slave, 1);
      dup2 (t->slave, 2);
      if (chdir (proj) < 0)
        _exit (121);
      for (char *const *e = env; e && *e; e++)
        putenv (*e);
      char *argv[16] = { (char *) TU_SBX };
      int n = 1;
      for (char *const *a = args; a && *a && n < 15; a++)
        argv[n++] = *a;
      argv[n] = NULL;
      execv (argv[0], argv);
      _exit (122);
    }
}

static void
term_type (term *t, const char *s)
{
  cr_assert_eq (write_all (t->master, s, strlen (s)), 0);
}

/* Read until pat shows up (consumed with what came before it). */
static bool
term_expect (term *t, const char *pat, double timeout_s)
{
  double end = now_s () + timeout_s;
  for (;;)
    {
      char *hit = memmem (t->buf, t->len, pat, strlen (pat));
      if (hit)
        {
          size_t used = (size_t) (hit - t->buf) + strlen (pat);
          memmove (t->buf, t->buf + used, t->len - used);
          t->len -= used;
          return true;
        }
      double left = end - now_s ();
      if (left <= 0)
        return false;
      struct pollfd p = { .fd = t->master, .events = POLLIN };
      if (poll (&p, 1, (int) (left * 1000) + 1) <= 0)
        continue;
      if (t->len == sizeof t->buf)
        {
          /* keep the tail only */
          memmove (t->buf, t->buf + t->len / 2, t->len - t->len / 2);
          t->len -= t->len / 2;
        }
      ssize_t n = read (t->master, t->buf + t->len, sizeof t->buf - t->len);
      if (n <= 0)
        return false;
      t->len += (size_t) n;
    }
}

/* The output not yet matched, for messages. */
static const char *
term_tail (term *t)
{
  static char tail[512];
  size_t n = t->len < sizeof tail - 1 ? t->len : sizeof tail - 1;
  memcpy (tail, t->buf + t->len - n, n);
  tail[n] = '\0';
  return tail;
}

/* Exit status of sbx (128+signal), or -1 if it did not end in time (then
   killed). */
static int
term_wait (term *t, double timeout_s)
{
  double end = now_s () + timeout_s;
  int st;
  for (;;)
    {
      pid_t r = waitpid (t->pid, &st, WNOHANG);
      if (r == t->pid)
        break;
      if (now_s () > end)
        {
          kill (t->pid, SIGKILL);
          waitpid (t->pid, &st, 0);
          return -1;
        }
      /* keep draining the output so that sbx never blocks on it */
      struct pollfd p = { .fd = t->master, .events = POLLIN };
      if (poll (&p, 1, 20) > 0)
        {
          char junk[4096];
          ssize_t n = read (t->master, junk, sizeof junk);
          (void) n;
        }
    }
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

static void
term_close (term *t)
{
  close (t->master);
  close (t->slave);
}

static bool
termios_same (const struct termios *a, const struct termios *b)
{
  return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_cflag == b->c_cflag
         && a->c_lflag == b->c_lflag && memcmp (a->c_cc, b->c_cc, sizeof a->c_cc) == 0;
}

/* ---- a TLS engine: a TLS-terminating proxy in front of the engine's
   socket, as a TCP+TLS DOCKER_HOST with DOCKER_TLS_VERIFY would be.
   libssl is loaded at run time (the suites link libcrypto only); the
   certificates come from the openssl command. ---- */

typedef struct tls_api
{
  __typeof__ (&TLS_server_method) server_method;
  __typeof__ (&SSL_CTX_new) ctx_new;
  __typeof__ (&SSL_CTX_free) ctx_free;
  __typeof__ (&SSL_CTX_use_certificate_file) use_cert;
  __typeof__ (&SSL_CTX_use_PrivateKey_file) use_key;
  __typeof__ (&SSL_CTX_load_verify_locations) load_ca;
  __typeof__ (&SSL_CTX_set_verify) set_verify;
  __typeof__ (&SSL_CTX_set_options) set_options;
  __typeof__ (&SSL_new) ssl_new;
  __typeof__ (&SSL_set_fd) set_fd;
  __typeof__ (&SSL_accept) accept;
  __typeof__ (&SSL_read) read;
  __typeof__ (&SSL_write) write;
  __typeof__ (&SSL_pending) pending;
  __typeof__ (&SSL_shutdown) shutdown;
} tls_api;

static void
tls_api_load (tls_api *a)
{
  void *lib = dlopen ("libssl.so.3", RTLD_NOW);
  cr_assert_not_null (lib, "libssl: %s", dlerror ());
#define SYM(field, name)                                                                         \
  do                                                                                             \
    {                                                                                            \
      *(void **) &a->field = dlsym (lib, name);                                                  \
      cr_assert_not_null (a->field, "libssl has no %s", name);                                   \
    }                                                                                            \
  while (0)
  SYM (server_method, "TLS_server_method");
  SYM (ctx_new, "SSL_CTX_new");
  SYM (ctx_free, "SSL_CTX_free");
  SYM (use_cert, "SSL_CTX_use_certificate_file");
  SYM (use_key, "SSL_CTX_use_PrivateKey_file");
  SYM (load_ca, "SSL_CTX_load_verify_locations");
  SYM (set_verify, "SSL_CTX_set_verify");
  SYM (set_options, "SSL_CTX_set_options");
  SYM (ssl_new, "SSL_new");
  SYM (set_fd, "SSL_set_fd");
  SYM (accept, "SSL_accept");
  SYM (read, "SSL_read");
  SYM (write, "SSL_write");
  SYM (pending, "SSL_pending");
  SYM (shutdown, "SSL_shutdown");
#undef SYM
}

static void
openssl (const char *dir, const char *cmd)
{
  char *argv[] = { "/bin/sh", "-c", (char *) cmd, NULL };
  tu_result r;
  tu_run (&r, dir, NULL, NULL, 60, argv);
  cr_assert_eq (r.status, 0, "%s: %s", cmd, r.err);
  tu_result_clear (&r);
}

/* A CA, a server certificate for 127.0.0.1 and a client certificate, in
   the names DOCKER_CERT_PATH expects. */
static char *
tls_certs (void)
{
  char *dir = tu_mkproject ();
  openssl (dir, "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem"
                " -days 2 -subj /CN=sbx-test-ca");
  openssl (dir, "openssl req -newkey rsa:2048 -nodes -keyout srv-key.pem -out srv.csr"
                " -subj /CN=127.0.0.1");
  tu_write_file (dir, "srv.ext", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  openssl (dir, "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial"
                " -out srv.pem -days 2 -extfile srv.ext");
  openssl (dir, "openssl req -newkey rsa:2048 -nodes -keyout key.pem -out cli.csr"
                " -subj /CN=sbx-test-client");
  tu_write_file (dir, "cli.ext", "extendedKeyUsage=clientAuth\n");
  openssl (dir, "openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial"
                " -out cert.pem -days 2 -extfile cli.ext");
  return dir;
}

/* One proxied connection: TLS on c, the engine's unix socket on the other
   side.  Half-closes pass through both ways, as with dockerd. */
static void
tls_serve (tls_api *a, SSL_CTX *ctx, int c)
{
  SSL *ssl = a->ssl_new (ctx);
  a->set_fd (ssl, c);
  if (a->accept (ssl) != 1)
    _exit (1);
  int u = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", tu_engine_socket ());
  if (connect (u, (struct sockaddr *) &sa, sizeof sa) < 0)
    _exit (1);
  bool tls_open = true, unix_open = true;
  char buf[16384];
  while (tls_open || unix_open)
    {
      struct pollfd p[2] = { { tls_open ? c : -1, POLLIN, 0 }, { unix_open ? u : -1, POLLIN, 0 } };
      if (!(tls_open && a->pending (ssl) > 0) && poll (p, 2, -1) < 0)
        continue;
      if (tls_open && (a->pending (ssl) > 0 || p[0].revents))
        {
          int n = a->read (ssl, buf, sizeof buf);
          if (n <= 0)
            {
              tls_open = false;
              shutdown (u, SHUT_WR);
            }
          else if (write_all (u, buf, (size_t) n) < 0)
            _exit (1);
        }
      if (unix_open && p[1].revents)
        {
          ssize_t n = read (u, buf, sizeof buf);
          if (n <= 0)
            {
              unix_open = false;
              a->shutdown (ssl); /* close_notify, as Go's tls.Conn.Close */
              break;
            }
          for (ssize_t off = 0; off < n;)
            {
              int w = a->write (ssl, buf + off, (int) (n - off));
              if (w <= 0)
                _exit (1);
              off += w;
            }
        }
    }
  _exit (0);
}

typedef struct tls_engine
{
  pid_t pid;
  char *dir;
  char *env[4];
} tls_engine;

static void
tls_engine_start (tls_engine *e)
{
  tls_api a;
  tls_api_load (&a);
  e->dir = tls_certs ();
  SSL_CTX *ctx = a.ctx_new (a.server_method ());
  cr_assert_not_null (ctx);
  _cleanup_free_ char *crt = xasprintf ("%s/srv.pem", e->dir);
  _cleanup_free_ char *key = xasprintf ("%s/srv-key.pem", e->dir);
  _cleanup_free_ char *ca = xasprintf ("%s/ca.pem", e->dir);
  cr_assert_eq (a.use_cert (ctx, crt, SSL_FILETYPE_PEM), 1);
  cr_assert_eq (a.use_key (ctx, key, SSL_FILETYPE_PEM), 1);
  cr_assert_eq (a.load_ca (ctx, ca, NULL), 1);
  a.set_verify (ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  /* A raw TCP half-close from the client is an end of stream, as for Go. */
  a.set_options (ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);

  int l = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t sl = sizeof sin;
  cr_assert_eq (bind (l, (struct sockaddr *) &sin, sizeof sin), 0);
  cr_assert_eq (listen (l, 16), 0);
  cr_assert_eq (getsockname (l, (struct sockaddr *) &sin, &sl), 0);
  e->pid = fork ();
  cr_assert (e->pid >= 0);
  if (e->pid == 0)
    {
      signal (SIGCHLD, SIG_IGN); /* no zombies */
      for (;;)
        {
          int c = accept4 (l, NULL, NULL, SOCK_CLOEXEC);
          if (c < 0)
            continue;
          if (fork () == 0)
            {
              close (l);
              tls_serve (&a, ctx, c);
            }
          close (c);
        }
    }
  close (l);
  a.ctx_free (ctx); /* the proxy has its own copy */
  e->env[0] = xasprintf ("DOCKER_HOST=tcp://127.0.0.1:%u", (unsigned) ntohs (sin.sin_port));
  e->env[1] = xstrdup ("DOCKER_TLS_VERIFY=1");
  e->env[2] = xasprintf ("DOCKER_CERT_PATH=%s", e->dir);
  e->env[3] = NULL;
}

static void
tls_engine_stop (tls_engine *e)
{
  kill (e->pid, SIGKILL);
  waitpid (e->pid, NULL, 0);
  tu_rmrf (e->dir);
  free (e->dir);
  for (int i = 0; i < 3; i++)
    free (e->env[i]);
}

/* The interactive scenario shared by runc and runsc: a command typed before
   sbx even started, its output, stty size at start and after a resize,
   raw mode while inside, Ctrl-C to a sleep inside, exit code, terminal
   restored. */
static void
interactive (const char *isolation, char *const *env)
{
  char *proj = project_up (isolation);
  term t;
  struct termios before, during, after;
  char *args[] = { "shell", NULL };
  /* Typed ahead: must not be lost between the terminal, sbx and the
     container's TTY. */
  term_spawn (&t, proj, 30, 100, "echo FIRST$((6*7))\r", env, args);
  cr_assert_eq (tcgetattr (t.slave, &before), 0);
  cr_assert (term_expect (&t, "FIRST42", 30), "first keystrokes lost: %s", term_tail (&t));

  cr_assert_eq (tcgetattr (t.slave, &during), 0);
  cr_assert ((during.c_lflag & (ICANON | ECHO | ISIG)) == 0, "local terminal in raw mode");

  term_type (&t, "stty size; echo SZ$((1+1))\r");
  cr_assert (term_expect (&t, "30 100", 10), "initial size: %s", term_tail (&t));
  cr_assert (term_expect (&t, "SZ2", 10));

  struct winsize ws = { .ws_row = 41, .ws_col = 123 };
  cr_assert_eq (ioctl (t.master, TIOCSWINSZ, &ws), 0); /* SIGWINCH to sbx */
  bool resized = false;
  for (int i = 0; i < 50 && !resized; i++)
    {
      term_type (&t, "stty size\r");
      resized = term_expect (&t, "41 123", 0.3);
    }
  cr_assert (resized, "size after resize: %s", term_tail (&t));

  /* Ctrl-C: byte 0x03 to the container's TTY; it stops the sleep, not the
     shell (nor sbx). */
  term_type (&t, "echo SL$((2+3)); sleep 60\r");
  cr_assert (term_expect (&t, "SL5", 10));
  struct timespec pause = { 0, 300 * 1000 * 1000 };
  nanosleep (&pause, NULL);
  double t0 = now_s ();
  term_type (&t, "\003");
  term_type (&t, "echo ALIVE$((40+2))\r");
  cr_assert (term_expect (&t, "ALIVE42", 20), "after Ctrl-C: %s", term_tail (&t));
  cr_assert_lt (now_s () - t0, 15.0, "Ctrl-C interrupted the sleep");

  term_type (&t, "exit 7\r");
  int st = term_wait (&t, 20);
  cr_assert_eq (st, 7, "exit status of the shell (got %d)", st);
  cr_assert_eq (tcgetattr (t.slave, &after), 0);
  cr_assert (termios_same (&before, &after), "local terminal restored");
  term_close (&t);
  project_down (proj);
}

/* ---- tests ---- */

Test (shell, tty_interactive)
{
  interactive (NULL, NULL);
}

Test (shell, tty_interactive_runsc)
{
  if (tu_maximum_refused_on_podman ())
    return;
  interactive ("maximum", NULL);
}

Test (shell, over_tcp_tls)
{
  tls_engine e;
  tls_engine_start (&e);
  char *proj = project_up (NULL);
  tu_result r;
  char *version[] = { (char *) TU_SBX, "version", NULL };
  tu_run (&r, proj, e.env, NULL, 60, version);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_not_null (strstr (r.out, "tcp://127.0.0.1:"), "through the TLS proxy: %s", r.out);
  tu_result_clear (&r);
  char *argv[] = { (char *) TU_SBX, "shell", NULL };
  tu_run (&r, proj, e.env, "echo hi\necho err >&2\nexit 3\n", 60, argv);
  cr_assert_eq (r.status, 3, "%s", r.err);
  cr_assert_str_eq (r.out, "hi\n");
  cr_assert_str_eq (r.err, "err\n");
  tu_result_clear (&r);
  /* stdin EOF passed on over TLS (half-close of the TCP connection) */
  char *cat[] = { (char *) TU_SBX, "shell", "cat", NULL };
  tu_run (&r, proj, e.env, "abc\ndef", 60, cat);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "abc\ndef");
  tu_result_clear (&r);
  project_down (proj);

  interactive (NULL, e.env);
  tls_engine_stop (&e);
}

Test (shell, sigterm_restores_terminal_and_kills_inside)
{
  char *proj = project_up (NULL);
  term t;
  struct termios before, after;
  char *args[] = { "shell", NULL };
  term_spawn (&t, proj, 24, 80, NULL, NULL, args);
  cr_assert_eq (tcgetattr (t.slave, &before), 0);
  term_type (&t, "echo GO$((3*3)); exec sleep 4242\r");
  cr_assert (term_expect (&t, "GO9", 30), "%s", term_tail (&t));
  struct timespec pause = { 0, 200 * 1000 * 1000 };
  nanosleep (&pause, NULL);
  kill (t.pid, SIGTERM);
  int st = term_wait (&t, 30);
  cr_assert_eq (st, 128 + SIGTERM, "status %d", st);
  cr_assert_eq (tcgetattr (t.slave, &after), 0);
  cr_assert (termios_same (&before, &after), "local terminal restored after SIGTERM");
  term_close (&t);

  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "ps", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_null (strstr (r.out, "sleep 4242"), "the shell's processes were killed:\n%s", r.out);
  tu_result_clear (&r);
  project_down (proj);
}

Test (shell, piped_stdin_without_tty)
{
  char *proj = project_up (NULL);
  char *argv[] = { (char *) TU_SBX, "shell", NULL };
  tu_result r;
  tu_run (&r, proj, NULL,
          "test -t 0 && echo tty || echo notty\necho hi\necho err >&2\npwd\nexit 3\n", 60, argv);
  cr_assert_eq (r.status, 3, "%s", r.err);
  _cleanup_free_ char *want = xasprintf ("notty\nhi\n%s\n", proj);
  cr_assert_str_eq (r.out, want);
  cr_assert_str_eq (r.err, "err\n");
  tu_result_clear (&r);

  /* stdin EOF is passed on: cat ends. */
  char *cat[] = { (char *) TU_SBX, "shell", "cat", NULL };
  tu_run (&r, proj, NULL, "abc\ndef", 60, cat);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "abc\ndef");
  tu_result_clear (&r);

  /* -t: a TTY even though stdin is a pipe. */
  char *tty[] = { (char *) TU_SBX, "shell", "-t", NULL };
  tu_run (&r, proj, NULL, "tty\nexit 4\n", 60, tty);
  cr_assert_eq (r.status, 4, "%s", r.err);
  cr_assert_not_null (strstr (r.out, "/dev/pts/"), "%s", r.out);
  tu_result_clear (&r);
  project_down (proj);
}

Test (shell, command_env_workdir_and_default_shell)
{
  char *proj = project_up (NULL);
  tu_result r;
  tu_write_file (proj, "sub/x", "");
  tu_sbx (&r, proj, "shell", "-e", "A=1", "-w", "sub", "sh", "-c", "echo $A $(pwd); exit 5",
          NULL);
  cr_assert_eq (r.status, 5, "%s", r.err);
  _cleanup_free_ char *want = xasprintf ("1 %s/sub\n", proj);
  cr_assert_str_eq (r.out, want);
  tu_result_clear (&r);

  /* The default shell is bash when the image has one on its PATH (here a
     stand-in in the project), else sh. */
  tu_sbx (&r, proj, "shell", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_write_file (proj, "bin/bash", "#!/bin/sh\necho FAKEBASH\nexec sh \"$@\"\n");
  _cleanup_free_ char *bash = xasprintf ("%s/bin/bash", proj);
  chmod (bash, 0755);
  _cleanup_free_ char *path = xasprintf ("PATH=%s/bin:/usr/sbin:/usr/bin:/sbin:/bin", proj);
  char *argv[] = { (char *) TU_SBX, "shell", "-e", path, NULL };
  tu_run (&r, proj, NULL, "echo in-shell\n", 60, argv);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "FAKEBASH\nin-shell\n");
  tu_result_clear (&r);

  /* Not found: 127, as exec. */
  tu_sbx (&r, proj, "shell", "no-such-command", NULL);
  cr_assert_eq (r.status, 127, "%s", r.err);
  tu_result_clear (&r);
  project_down (proj);
}

Test (shell, large_output_streams)
{
  char *proj = project_up (NULL);
  tu_result r;
  tu_sbx (&r, proj, "shell", "-T", "sh", "-c", "head -c 3000000 /dev/zero; echo e >&2", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_eq (r.out_len, 3000000);
  cr_assert_str_eq (r.err, "e\n");
  tu_result_clear (&r);
  project_down (proj);
}

Test (shell, usage_errors_and_help)
{
  tu_result r;
  char *proj = tu_mkproject ();
  tu_sbx (&r, proj, "shell", "--help", NULL);
  cr_assert_eq (r.status, 0);
  cr_assert_not_null (strstr (r.out, "usage: sbx shell"));
  tu_result_clear (&r);

  tu_sbx (&r, proj, "shell", "--bogus", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert_eq (strchr (r.err, '\n'), r.err + strlen (r.err) - 1, "one line: %s", r.err);
  tu_result_clear (&r);

  tu_sbx (&r, proj, "shell", "-w", NULL);
  cr_assert_eq (r.status, 125);
  tu_result_clear (&r);
  tu_down (proj);
  tu_rmrf (proj);
  free (proj);
}

Test (shell, path_is_the_agent_unless_disabled)
{
  /* The suite runs twice: with the agent, and with SBX_NO_AGENT=1. */
  const char *off = getenv ("SBX_NO_AGENT");
  bool agent = !(off && *off && strcmp (off, "0") != 0);
  char *proj = project_up (NULL);
  char *argv[] = { (char *) TU_SBX, "-v", "shell", NULL };
  tu_result r;
  tu_run (&r, proj, NULL, "echo via; exit 6\n", 60, argv);
  cr_assert_eq (r.status, 6, "%s", r.err);
  cr_assert_str_eq (r.out, "via\n");
  cr_assert_not_null (strstr (r.err, agent ? "through its sbx agent" : "through the engine API"),
                      "%s", r.err);
  tu_result_clear (&r);
  project_down (proj);
}
