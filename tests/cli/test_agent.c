/* The sbx-agent exec path: used when it answers, the engine's exec API when
   it does not (stale socket, hung agent, SBX_NO_AGENT), never a hang; an
   agent killed mid-command; bad frames, vanishing clients and 100 commands
   at once leave it serving with bounded memory; stdin and TTY. */
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "agent/frame.h"
#include "devenv/container/agent_client.h"
#include "engine/engine.h"
#include "project.h"
#include "testutil.h"
#include "util.h"

static char *proj;
/* The agent path even in the suite's pass with SBX_NO_AGENT=1. */
static char *agent_on[] = { "SBX_NO_AGENT=", NULL };

static void
setup (void)
{
  proj = tu_project_up (NULL);
}

static void
teardown (void)
{
  tu_project_remove (proj);
}

TestSuite (agent, .init = setup, .fini = teardown, .timeout = 240);

static char *
agent_dir (void)
{
  sbx_project *p = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_project_open (proj, 1, &p, &err), 0);
  char *dir = NULL;
  cr_assert_eq (devenv_agent_dir (p->id, NULL, false, &dir, &err), 0);
  cr_assert_not_null (dir);
  sbx_project_free (p);
  return dir;
}

/* sbx -v exec with the agent enabled; asserts the path it took. */
static void
exec_via (tu_result *r, const char *via, const char *cmd)
{
  tu_sbx_env (r, proj, agent_on, "-v", "exec", "--", "sh", "-c", cmd, NULL);
  cr_assert (strstr (r->err, via) != NULL, "expected '%s' in: %s", via, r->err);
}


static long
agent_host_pid (void)
{
  json_t *ins = tu_up_inspect (proj);
  long pid = (long) json_integer_value (json_object_get (json_object_get (ins, "State"), "Pid"));
  json_decref (ins);
  cr_assert_gt (pid, 1);
  return pid;
}

/* Peak and current resident memory of the agent (KiB), from the host. */
static void
agent_memory (long pid, long *hwm, long *rss)
{
  char path[64], line[256];
  snprintf (path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen (path, "r");
  cr_assert_not_null (f);
  *hwm = *rss = -1;
  while (fgets (line, sizeof line, f))
    {
      sscanf (line, "VmHWM: %ld", hwm);
      sscanf (line, "VmRSS: %ld", rss);
    }
  fclose (f);
}

static int
connect_to (const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_geq (fd, 0);
  cr_assert_eq (connect (fd, (struct sockaddr *) &sa, sizeof sa), 0, "connect %s: %m", path);
  return fd;
}

/* Read until EOF or a frame of type want (1), within 5 s. */
static int
wait_frame (int fd, uint8_t want)
{
  uint8_t buf[SBX_FRAME_HEADER + SBX_FRAME_MAX];
  size_t len = 0;
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      cr_assert_eq (poll (&p, 1, 5000), 1, "the agent neither answers nor closes");
      ssize_t n = read (fd, buf + len, sizeof buf - len);
      if (n <= 0)
        return 0;
      len += (size_t) n;
      sbx_frame f;
      size_t used;
      while (sbx_frame_parse (buf, len, &f, &used) == SBX_FRAME_OK)
        {
          if (f.type == want)
            return 1;
          memmove (buf, buf + used, len - used);
          len -= used;
        }
    }
}

Test (agent, used_when_it_answers_and_disabled_by_env)
{
  tu_result r;
  exec_via (&r, "through its sbx agent", "echo out; echo err >&2; exit 7");
  cr_assert_eq (r.status, 7);
  cr_assert_str_eq (r.out, "out\n");
  cr_assert (strncmp (r.err, "err\n", 4) == 0 || strstr (r.err, "\nerr\n"), "%s", r.err);
  tu_result_clear (&r);
  char *off[] = { "SBX_NO_AGENT=1", NULL };
  tu_sbx_env (&r, proj, off, "-v", "exec", "--", "sh", "-c", "exit 3", NULL);
  cr_assert_eq (r.status, 3);
  cr_assert (strstr (r.err, "through the engine API") != NULL, "%s", r.err);
  tu_result_clear (&r);
}

Test (agent, stale_socket_falls_back_without_hanging)
{
  _cleanup_free_ char *dir = agent_dir ();
  _cleanup_free_ char *cur = xasprintf ("%s/current", dir);
  _cleanup_free_ char *dead = xasprintf ("%s/dead.sock", dir);
  tu_result r;
  exec_via (&r, "through its sbx agent", "true");
  tu_result_clear (&r);

  /* A socket file nobody listens on. */
  int fd = socket (AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", dead);
  unlink (dead);
  cr_assert_eq (bind (fd, (struct sockaddr *) &sa, sizeof sa), 0);
  close (fd);
  unlink (cur);
  cr_assert_eq (symlink ("dead.sock", cur), 0);
  exec_via (&r, "through its sbx agent", "echo fine");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "fine\n");
  cr_assert (strstr (r.err, "no agent reached without the engine") != NULL, "%s", r.err);
  cr_assert_lt (r.seconds, 5.0);
  tu_result_clear (&r);

  /* A listener that never answers (a hung agent): connect succeeds, PING
     gets nothing. */
  fd = socket (AF_UNIX, SOCK_STREAM, 0);
  unlink (dead);
  cr_assert_eq (bind (fd, (struct sockaddr *) &sa, sizeof sa), 0);
  cr_assert_eq (listen (fd, 8), 0);
  unlink (cur);
  cr_assert_eq (symlink ("dead.sock", cur), 0);
  exec_via (&r, "through its sbx agent", "echo fine");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "fine\n");
  cr_assert_lt (r.seconds, 5.0, "took %.2fs", r.seconds);
  tu_result_clear (&r);
  close (fd);
  unlink (dead);

  /* The container's own socket gone too: the engine's exec API. */
  json_t *ins = tu_up_inspect (proj);
  const char *name = json_string_value (
      json_object_get (json_object_get (json_object_get (ins, "Config"), "Labels"), "dev.sbx.agent"));
  cr_assert_not_null (name);
  _cleanup_free_ char *own = xasprintf ("%s/%s", dir, name);
  json_decref (ins);
  cr_assert_eq (unlink (own), 0);
  exec_via (&r, "through the engine API", "echo api");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "api\n");
  cr_assert_lt (r.seconds, 5.0);
  tu_result_clear (&r);
}

Test (agent, killed_mid_command_is_a_clear_error_and_nothing_runs)
{
  long pid = agent_host_pid ();
  int pfd[2];
  cr_assert_eq (pipe (pfd), 0);
  pid_t child = fork ();
  if (child == 0)
    {
      close (pfd[0]);
      tu_result r;
      char *argv[] = { (char *) TU_SBX, "exec", "--", "sh", "-c", "echo started; sleep 60", NULL };
      tu_run (&r, proj, agent_on, NULL, 60, argv);
      dprintf (pfd[1], "%d %s", r.status, r.err);
      _exit (0);
    }
  close (pfd[1]);
  usleep (800 * 1000);
  cr_assert_eq (kill ((pid_t) pid, SIGKILL), 0);
  char buf[2048] = "";
  ssize_t n = read (pfd[0], buf, sizeof buf - 1);
  cr_assert_gt (n, 0);
  waitpid (child, NULL, 0);
  cr_assert (strncmp (buf, "125 ", 4) == 0, "exit 125: %s", buf);
  cr_assert (strstr (buf, "agent went away") != NULL, "a clear error: %s", buf);
  /* The container ended with its PID 1: nothing of the command is left. */
  json_t *ins = tu_up_inspect (proj);
  json_decref (ins);
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "ps", "-o", "args", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, "sleep 60") == NULL, "survivor: %s", r.out);
  tu_result_clear (&r);
}

Test (agent, survives_malformed_and_oversized_frames)
{
  _cleanup_free_ char *dir = agent_dir ();
  _cleanup_free_ char *cur = xasprintf ("%s/current", dir);
  tu_result r;
  exec_via (&r, "through its sbx agent", "true");
  tu_result_clear (&r);
  long pid = agent_host_pid ();

  /* Garbage: an ERROR frame, or the connection closed. */
  int fd = connect_to (cur);
  cr_assert_eq (write (fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
  wait_frame (fd, SBX_FRAME_ERROR);
  close (fd);
  /* An oversized frame. */
  uint8_t h[SBX_FRAME_HEADER];
  sbx_frame_header (h, SBX_FRAME_EXEC, 0);
  sbx_put_u32 (h + 4, 0x7fffffffu);
  fd = connect_to (cur);
  cr_assert_eq (write (fd, h, sizeof h), (ssize_t) sizeof h);
  wait_frame (fd, SBX_FRAME_ERROR);
  close (fd);
  /* A well-framed EXEC with a malformed payload, another protocol version,
     an unexpected frame, a truncated frame and a silent client. */
  uint8_t bad[SBX_FRAME_HEADER + 5] = { 0 };
  sbx_frame_header (bad, SBX_FRAME_EXEC, 5);
  bad[SBX_FRAME_HEADER] = 99;
  fd = connect_to (cur);
  cr_assert_eq (write (fd, bad, sizeof bad), (ssize_t) sizeof bad);
  cr_assert (wait_frame (fd, SBX_FRAME_ERROR), "EXEC with an unknown field is refused");
  close (fd);
  sbx_frame_header (h, SBX_FRAME_PING, 0);
  h[2] = 9;
  fd = connect_to (cur);
  cr_assert_eq (write (fd, h, sizeof h), (ssize_t) sizeof h);
  cr_assert (wait_frame (fd, SBX_FRAME_ERROR), "another version is refused");
  close (fd);
  sbx_frame_header (h, SBX_FRAME_STDOUT, 0);
  fd = connect_to (cur);
  cr_assert_eq (write (fd, h, sizeof h), (ssize_t) sizeof h);
  cr_assert (wait_frame (fd, SBX_FRAME_ERROR), "an agent's frame from a client is refused");
  close (fd);
  int silent = connect_to (cur);
  fd = connect_to (cur);
  sbx_frame_header (h, SBX_FRAME_EXEC, 100);
  cr_assert_eq (write (fd, h, 5), 5);
  close (fd);

  exec_via (&r, "through its sbx agent", "echo still serving");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "still serving\n");
  tu_result_clear (&r);
  close (silent);
  cr_assert_eq (agent_host_pid (), pid, "the same agent serves");
}

Test (agent, client_vanishing_mid_stream_kills_the_command)
{
  _cleanup_free_ char *dir = agent_dir ();
  _cleanup_free_ char *cur = xasprintf ("%s/current", dir);
  tu_result r;
  exec_via (&r, "through its sbx agent", "true");
  tu_result_clear (&r);
  for (int round = 0; round < 3; round++)
    {
      int fd = connect_to (cur);
      uint8_t buf[256];
      size_t off = 0;
      const char *args[] = { "sh", "-c", "setsid sleep 51 & yes vanishing", NULL };
      for (const char **a = args; *a; a++)
        sbx_field_put (buf + SBX_FRAME_HEADER, sizeof buf - SBX_FRAME_HEADER, &off, SBX_EXEC_ARG, *a,
                       (uint32_t) strlen (*a));
      sbx_frame_header (buf, SBX_FRAME_EXEC, (uint32_t) off);
      cr_assert_eq (write (fd, buf, SBX_FRAME_HEADER + off), (ssize_t) (SBX_FRAME_HEADER + off));
      cr_assert (wait_frame (fd, SBX_FRAME_STDOUT), "output streams");
      close (fd);
    }
  /* Killed soon (the machine may be busy: allow a few seconds). */
  for (int tries = 0;; tries++)
    {
      usleep (500 * 1000);
      tu_sbx_env (&r, proj, agent_on, "exec", "--", "ps", "-o", "args", NULL);
      cr_assert_eq (r.status, 0, "%s", r.err);
      bool left = strstr (r.out, "yes vanishing") || strstr (r.out, "sleep 51");
      if (!left || tries == 10)
        break;
      tu_result_clear (&r);
    }
  cr_assert (strstr (r.out, "yes vanishing") == NULL, "the command survived its client: %s", r.out);
  cr_assert (strstr (r.out, "sleep 51") == NULL, "its escaped child survived: %s", r.out);
  tu_result_clear (&r);
}

#define CONCURRENT 100

Test (agent, hundred_concurrent_execs_with_bounded_memory)
{
  tu_result r;
  exec_via (&r, "through its sbx agent", "true");
  tu_result_clear (&r);
  long pid = agent_host_pid ();
  pid_t kids[CONCURRENT];
  for (int i = 0; i < CONCURRENT; i++)
    {
      kids[i] = fork ();
      if (kids[i] == 0)
        {
          char want[32], cmd[64];
          snprintf (cmd, sizeof cmd, "sleep 1; echo n%d; head -c 200000 /dev/zero | wc -c", i);
          snprintf (want, sizeof want, "n%d\n200000\n", i);
          tu_result rr;
          char *argv[] = { (char *) TU_SBX, "-v", "exec", "--", "sh", "-c", cmd, NULL };
          tu_run (&rr, proj, agent_on, NULL, 120, argv);
          int ok = rr.status == 0 && strcmp (rr.out, want) == 0 && strstr (rr.err, "sbx agent");
          if (!ok)
            fprintf (stderr, "exec %d: status %d out '%s' err '%s'\n", i, rr.status, rr.out, rr.err);
          _exit (ok ? 0 : 1);
        }
    }
  int failed = 0;
  for (int i = 0; i < CONCURRENT; i++)
    {
      int st;
      waitpid (kids[i], &st, 0);
      failed += !(WIFEXITED (st) && WEXITSTATUS (st) == 0);
    }
  cr_assert_eq (failed, 0, "%d of %d concurrent execs failed", failed, CONCURRENT);
  long hwm, rss;
  agent_memory (pid, &hwm, &rss);
  cr_log_info ("agent after %d concurrent execs: peak RSS %ld KiB, now %ld KiB", CONCURRENT, hwm, rss);
  cr_assert_lt (hwm, 32 * 1024, "agent peak RSS %ld KiB", hwm);
  /* A second wave does not grow it further: nothing leaks per command. */
  for (int i = 0; i < 200; i++)
    {
      tu_sbx_env (&r, proj, agent_on, "exec", "--", "true", NULL);
      cr_assert_eq (r.status, 0);
      tu_result_clear (&r);
    }
  long hwm2, rss2;
  agent_memory (pid, &hwm2, &rss2);
  cr_assert_leq (rss2, rss + 512, "RSS grew from %ld to %ld KiB over 200 execs", rss, rss2);
}

static int
collect (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  char *buf = ud;
  size_t have = strlen (buf);
  if (have + len < 4096)
    {
      memcpy (buf + have, data, len);
      buf[have + len] = '\0';
    }
  return 0;
}

Test (agent, stdin_and_tty)
{
  _cleanup_free_ char *dir = agent_dir ();
  _cleanup_free_ char *cur = xasprintf ("%s/current", dir);
  tu_result r;
  exec_via (&r, "through its sbx agent", "true");
  tu_result_clear (&r);

  /* stdin forwarded to its end. */
  int in[2];
  cr_assert_eq (pipe (in), 0);
  cr_assert_eq (write (in[1], "line one\nline two\n", 18), 18);
  close (in[1]);
  devenv_agent *a = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (devenv_agent_open (cur, 2000, &a, &err), 0, "%s", err ? err->msg : "");
  cr_assert (strncmp (devenv_agent_tag (a), "container/", 10) == 0, "tag %s", devenv_agent_tag (a));
  char *argv[] = { "sh", "-c", "wc -l; echo done", NULL };
  char out[4096] = "";
  devenv_exec_opts o = { .argv = argv, .output = collect, .output_ud = out, .attach_stdin = true,
                         .stdin_fd = in[0] };
  devenv_exec_result res;
  cr_assert_eq (devenv_agent_exec (a, &o, &res, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (res.exit_code, 0);
  cr_assert_str_eq (out, "2\ndone\n");
  devenv_agent_free (a);
  close (in[0]);

  /* A TTY of the size asked for. */
  cr_assert_eq (devenv_agent_open (cur, 2000, &a, &err), 0);
  char *targv[] = { "sh", "-c", "stty size; test -t 0 && echo tty; exit 5", NULL };
  out[0] = '\0';
  devenv_exec_opts t = { .argv = targv, .output = collect, .output_ud = out, .tty = true, .rows = 31,
                         .cols = 101 };
  cr_assert_eq (devenv_agent_exec (a, &t, &res, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (res.exit_code, 5);
  cr_assert (strstr (out, "31 101") != NULL, "%s", out);
  cr_assert (strstr (out, "tty") != NULL, "%s", out);
  devenv_agent_free (a);
}

Test (agent, down_removes_the_sockets)
{
  _cleanup_free_ char *dir = agent_dir ();
  tu_result r;
  exec_via (&r, "through its sbx agent", "true");
  tu_result_clear (&r);
  cr_assert_eq (access (dir, F_OK), 0);
  tu_sbx (&r, proj, "down", NULL);
  cr_assert_eq (r.status, 0);
  tu_result_clear (&r);
  cr_assert_neq (access (dir, F_OK), 0, "%s left behind", dir);
  /* And the next container gets them again. */
  tu_sbx (&r, proj, "up", "--image", TU_IMAGE, NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  exec_via (&r, "through its sbx agent", "echo back");
  cr_assert_str_eq (r.out, "back\n");
  tu_result_clear (&r);
}

typedef struct wake_ctx
{
  devenv_agent *a;
  int fd;
} wake_ctx;

static int
on_wake (void *ud, sbx_error **err)
{
  wake_ctx *w = ud;
  char c;
  if (read (w->fd, &c, 1) == 1 && c == 'q')
    return 1;
  return devenv_agent_resize (w->a, 40, 120, err);
}

static char *
slurp (int fd)
{
  static char buf[4096];
  ssize_t n = read (fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

Test (agent, interactive_pump_resize_and_kill)
{
  _cleanup_free_ char *dir = agent_dir ();
  _cleanup_free_ char *cur = xasprintf ("%s/current", dir);
  tu_result r;
  exec_via (&r, "through its sbx agent", "true");
  tu_result_clear (&r);
  sbx_error *err = NULL;

  /* No TTY: a script on stdin, its end passed on, the exit status. */
  int in[2], out[2], errp[2];
  cr_assert_eq (pipe (in), 0);
  cr_assert_eq (pipe (out), 0);
  cr_assert_eq (pipe (errp), 0);
  cr_assert_eq (write (in[1], "echo hi; echo oops >&2; exit 4\n", 31), 31);
  close (in[1]);
  devenv_agent *a = NULL;
  cr_assert_eq (devenv_agent_open (cur, 2000, &a, &err), 0);
  char *sh[] = { "sh", NULL };
  devenv_exec_opts o = { .argv = sh, .attach_stdin = true };
  cr_assert_eq (devenv_agent_start (a, &o, &err), 0, "%s", err ? err->msg : "");
  engine_pump_opts po = { .in_fd = in[0], .out_fd = out[1], .err_fd = errp[1], .wake_fd = -1,
                          .on_eof = ENGINE_EOF_HALF_CLOSE };
  int code = -1;
  cr_assert_eq (devenv_agent_pump (a, &po, &code, &err), ENGINE_PUMP_ENDED, "%s", err ? err->msg : "");
  cr_assert_eq (code, 4);
  cr_assert_str_eq (slurp (out[0]), "hi\n");
  cr_assert_str_eq (slurp (errp[0]), "oops\n");
  devenv_agent_free (a);
  close (in[0]);

  /* A TTY resized from the wake pipe, ^D at the end of input. */
  int wake[2];
  cr_assert_eq (pipe (in), 0);
  cr_assert_eq (pipe (wake), 0);
  cr_assert_eq (devenv_agent_open (cur, 2000, &a, &err), 0);
  char *tsh[] = { "sh", "-c", "read x; stty size; cat; echo end", NULL };
  devenv_exec_opts t = { .argv = tsh, .attach_stdin = true, .tty = true, .rows = 24, .cols = 80 };
  cr_assert_eq (devenv_agent_start (a, &t, &err), 0);
  wake_ctx w = { .a = a, .fd = wake[0] };
  engine_pump_opts tp = { .in_fd = in[0], .out_fd = out[1], .err_fd = -1, .wake_fd = wake[0],
                          .on_wake = on_wake, .ud = &w, .on_eof = ENGINE_EOF_SEND_EOT };
  pid_t writer = fork ();
  if (writer == 0)
    {
      usleep (200 * 1000);
      (void) !write (wake[1], "r", 1);
      usleep (200 * 1000);
      (void) !write (in[1], "go\n", 3);
      usleep (200 * 1000);
      _exit (0);
    }
  close (in[1]);
  code = -1;
  cr_assert_eq (devenv_agent_pump (a, &tp, &code, &err), ENGINE_PUMP_ENDED, "%s", err ? err->msg : "");
  waitpid (writer, NULL, 0);
  cr_assert_eq (code, 0);
  const char *got = slurp (out[0]);
  cr_assert (strstr (got, "40 120") != NULL, "resized: %s", got);
  cr_assert (strstr (got, "end") != NULL, "^D ended cat: %s", got);
  devenv_agent_free (a);

  /* Kill: the command and its group go, at once. */
  cr_assert_eq (devenv_agent_open (cur, 2000, &a, &err), 0);
  char *slp[] = { "sleep", "37", NULL };
  devenv_exec_opts k = { .argv = slp };
  cr_assert_eq (devenv_agent_start (a, &k, &err), 0);
  cr_assert_eq (devenv_agent_kill (a, &err), 0, "%s", err ? err->msg : "");
  devenv_agent_free (a);
  tu_sbx_env (&r, proj, agent_on, "exec", "--", "ps", "-o", "args", NULL);
  cr_assert (strstr (r.out, "sleep 37") == NULL, "survivor: %s", r.out);
  tu_result_clear (&r);
}
