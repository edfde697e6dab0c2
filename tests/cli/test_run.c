/* test_run.c: `sbx run` and `sbx profile seatbelt` through the built binary,
   against temporary projects: confinement as a user sees it, exit statuses,
   stdio, configuration and flags, refusal and --fallback. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

static char *project, *outside;
/* No user configuration; the trust store in the test's own directory. */
static char *env_isolated[] = { "XDG_CONFIG_HOME=/nonexistent-sbx-xdg", NULL, NULL };

static void
setup (void)
{
  project = tu_mkproject ();
  char tmpl[] = "/var/tmp/sbx-run-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  outside = xstrdup (tmpl);
  tu_write_file (outside, "secret/key", "top-secret\n");
  tu_write_file (outside, "ro/data", "ro-data\n");
  _cleanup_free_ char *rw = xasprintf ("%s/rw", outside);
  mkdir (rw, 0755);
  unsetenv ("SBX_CONFIG");
  env_isolated[1] = xasprintf ("XDG_STATE_HOME=%s/state", outside);
}

static void
teardown (void)
{
  tu_rmrf (project);
  _cleanup_free_ char *cmd = xasprintf ("rm -rf '%s'", outside);
  (void) !system (cmd);
  free (project);
  free (outside);
  free (env_isolated[1]);
  env_isolated[1] = NULL;
}

/* sbx --project P run ARGS... */
#define RUN(r, ...) tu_sbx_env (r, project, env_isolated, "--project", project, "run", __VA_ARGS__, NULL)

/* sbx trust: the project's files as they are now. */
static void
trust (void)
{
  tu_result r;
  tu_sbx_env (&r, project, env_isolated, "--project", project, "trust", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
}

static int
listen_tcp (int *port)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  cr_assert_eq (bind (fd, (struct sockaddr *) &a, sizeof a), 0);
  cr_assert_eq (listen (fd, 8), 0);
  socklen_t l = sizeof a;
  getsockname (fd, (struct sockaddr *) &a, &l);
  *port = ntohs (a.sin_port);
  return fd;
}

static int
one_line (const char *s)
{
  const char *nl = strchr (s, '\n');
  return nl != NULL && nl[1] == '\0';
}

TestSuite (run, .init = setup, .fini = teardown, .timeout = 120);

Test (run, help)
{
  tu_result r;
  RUN (&r, "--help");
  cr_expect_eq (r.status, 0);
  cr_expect_not_null (strstr (r.out, "usage: sbx run"));
  cr_expect_not_null (strstr (r.out, "--fallback"));
  tu_result_clear (&r);
}

Test (run, usage_errors)
{
  tu_result r;
  RUN (&r, "--isolation", "paranoid", "--", "true");
  cr_expect_eq (r.status, 125);
  cr_expect (one_line (r.err), "%s", r.err);
  cr_expect_not_null (strstr (r.err, "paranoid"));
  tu_result_clear (&r);
  RUN (&r, "--");
  cr_expect_eq (r.status, 125);
  cr_expect (one_line (r.err), "%s", r.err);
  tu_result_clear (&r);
  RUN (&r, "--bogus", "--", "true");
  cr_expect_eq (r.status, 125);
  cr_expect (one_line (r.err), "%s", r.err);
  tu_result_clear (&r);
  RUN (&r, "--ro", "/nonexistent-sbx-dir", "--", "true");
  cr_expect_eq (r.status, 125);
  cr_expect_not_null (strstr (r.err, "/nonexistent-sbx-dir"));
  tu_result_clear (&r);
}

Test (run, status_and_stdio)
{
  tu_result r;
  RUN (&r, "--", "/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 3");
  cr_expect_eq (r.status, 3);
  cr_expect_str_eq (r.out, "to-out\n");
  cr_expect_str_eq (r.err, "to-err\n");
  tu_result_clear (&r);

  char *argv[] = { TU_SBX, "--project", project, "run", "--", "cat", NULL };
  tu_run (&r, project, env_isolated, "from-stdin", 60, argv);
  cr_expect_eq (r.status, 0);
  cr_expect_str_eq (r.out, "from-stdin");
  tu_result_clear (&r);

  RUN (&r, "--", "sbx-no-such-command");
  cr_expect_eq (r.status, 127);
  cr_expect_not_null (strstr (r.err, "sbx-no-such-command"));
  tu_result_clear (&r);

  _cleanup_free_ char *data = xasprintf ("%s/ro/data", outside);
  RUN (&r, "--", data);
  cr_expect_eq (r.status, 126);
  tu_result_clear (&r);

  RUN (&r, "--", "/bin/sh", "-c", "kill -TERM $$");
  cr_expect_eq (r.status, 128 + 15);
  tu_result_clear (&r);

  /* A program the sandbox may not read: 126, and how to allow it. */
  _cleanup_free_ char *prog = xasprintf ("%s/ro/prog", outside);
  _cleanup_free_ char *cp = xasprintf ("cp /bin/true %s", prog);
  cr_assert_eq (system (cp), 0);
  RUN (&r, "--", prog);
  cr_expect_eq (r.status, 126, "status %d: %s", r.status, r.err);
  cr_expect_not_null (strstr (r.err, "--ro DIR"), "%s", r.err);
  tu_result_clear (&r);
}

static void
confinement (const char *level)
{
  tu_result r;
  _cleanup_free_ char *ro = xasprintf ("%s/ro", outside);
  _cleanup_free_ char *rw = xasprintf ("%s/rw", outside);
  _cleanup_free_ char *script = xasprintf (
      "cat %s/secret/key && echo LEAK; "
      "cat %s/data || echo NO-RO-READ; "
      "echo x > %s/new && echo RO-WRITTEN; "
      "echo x > %s/new && echo RW-OK; "
      "echo y > out.txt && echo PROJECT-OK; "
      "mount -t tmpfs none %s/rw 2>/dev/null && echo MOUNTED; true",
      outside, ro, ro, rw, outside);
  RUN (&r, "--isolation", level, "--ro", ro, "--rw", rw, "--", "/bin/sh", "-c", script);
  cr_expect_eq (r.status, 0, "%s: %s", level, r.err);
  cr_expect_null (strstr (r.out, "LEAK"), "%s: secret read", level);
  cr_expect_null (strstr (r.out, "NO-RO-READ"), "%s: --ro dir unreadable", level);
  cr_expect_null (strstr (r.out, "RO-WRITTEN"), "%s: --ro dir written", level);
  cr_expect_not_null (strstr (r.out, "RW-OK"), "%s: --rw dir not writable: %s", level, r.err);
  cr_expect_not_null (strstr (r.out, "PROJECT-OK"), "%s: project not writable", level);
  cr_expect_null (strstr (r.out, "MOUNTED"), "%s: mount worked", level);
  tu_result_clear (&r);
  _cleanup_free_ char *out = xasprintf ("%s/out.txt", project);
  struct stat st;
  cr_expect_eq (stat (out, &st), 0, "%s: the project file is not on the host", level);
  unlink (out);

  int port;
  int lfd = listen_tcp (&port);
  _cleanup_free_ char *tcp = xasprintf ("echo hi > /dev/tcp/127.0.0.1/%d", port);
  RUN (&r, "--isolation", level, "--", "/bin/bash", "-c", tcp);
  cr_expect_neq (r.status, 0, "%s: TCP connect worked with network off", level);
  tu_result_clear (&r);
  RUN (&r, "--isolation", level, "--allow-network", "--", "/bin/bash", "-c", tcp);
  cr_expect_eq (r.status, 0, "%s: TCP connect failed with --allow-network: %s", level, r.err);
  tu_result_clear (&r);
  close (lfd);
}

/* SIGTERM sent to sbx reaches the command, which handles it: its own exit
   status comes back. */
static void
sigterm_reaches_command (const char *level)
{
  char *argv[] = { TU_SBX, "--project", project, "run", "--isolation", (char *) level, "--",
                   "/bin/sh", "-c", TU_TRAP_TERM, NULL };
  tu_result r;
  tu_signal_when_ready (&r, project, env_isolated, argv, SIGTERM);
  cr_assert_str_eq (r.out, "got-term\n", "%s", level);
  cr_assert_eq (r.status, 42, "%s: status %d", level, r.status);
  tu_result_clear (&r);
}

Test (run, signals_reach_the_command)
{
  sigterm_reaches_command ("default");
  sigterm_reaches_command ("enhanced");
}

Test (run, default_level_confines)
{
  confinement ("default");
}

Test (run, enhanced_level_confines)
{
  confinement ("enhanced");
}

Test (run, off_level_does_not)
{
  tu_result r;
  _cleanup_free_ char *script = xasprintf ("cat %s/secret/key", outside);
  RUN (&r, "--isolation", "off", "--", "/bin/sh", "-c", script);
  cr_expect_eq (r.status, 0);
  cr_expect_str_eq (r.out, "top-secret\n");
  tu_result_clear (&r);
}

Test (run, verbose_says_backend_and_why)
{
  tu_result r;
  tu_sbx_env (&r, project, env_isolated, "-v", "--project", project, "run", "--", "true", NULL);
  cr_expect_eq (r.status, 0);
  cr_expect_not_null (strstr (r.err, "landlock+seccomp"), "%s", r.err);
  tu_result_clear (&r);
  tu_sbx_env (&r, project, env_isolated, "-v", "--project", project, "run", "--isolation",
              "enhanced", "--", "true", NULL);
  cr_expect_eq (r.status, 0);
  cr_expect_not_null (strstr (r.err, "bwrap+seccomp"), "%s", r.err);
  tu_result_clear (&r);
}

Test (run, config_and_flags)
{
  int port;
  int lfd = listen_tcp (&port);
  _cleanup_free_ char *tcp = xasprintf ("echo hi > /dev/tcp/127.0.0.1/%d", port);
  tu_write_file (project, ".sbx/config.json", "{\n  \"allow_network\": true\n}\n");
  trust ();
  tu_result r;
  RUN (&r, "--", "/bin/bash", "-c", tcp);
  cr_expect_eq (r.status, 0, "allow_network from the trusted config is ignored: %s", r.err);
  tu_result_clear (&r);
  close (lfd);

  /* The flag wins over the configured level. */
  tu_write_file (project, ".sbx/config.json", "{\"isolation\": \"off\"}\n");
  trust ();
  _cleanup_free_ char *script = xasprintf ("cat %s/secret/key", outside);
  RUN (&r, "--", "/bin/sh", "-c", script);
  cr_expect_eq (r.status, 0, "config isolation off not applied");
  tu_result_clear (&r);
  RUN (&r, "--isolation", "default", "--", "/bin/sh", "-c", script);
  cr_expect_neq (r.status, 0, "--isolation did not win over the config");
  tu_result_clear (&r);

  /* enabled: false means off. */
  tu_write_file (project, ".sbx/config.json", "{\"enabled\": false}\n");
  trust ();
  RUN (&r, "--", "/bin/sh", "-c", script);
  cr_expect_eq (r.status, 0);
  tu_result_clear (&r);

  /* Errors name the file and line; exit 125. */
  tu_write_file (project, ".sbx/config.json", "{\n  \"allow_network\": true,\n  \"netwrk\": 1\n}\n");
  RUN (&r, "--", "true");
  cr_expect_eq (r.status, 125);
  cr_expect_not_null (strstr (r.err, ".sbx/config.json:3:"), "%s", r.err);
  cr_expect_not_null (strstr (r.err, "netwrk"), "%s", r.err);
  cr_expect (one_line (r.err), "%s", r.err);
  tu_result_clear (&r);
  tu_write_file (project, ".sbx/config.json", "{\n  \"allow_network\": \"yes\"\n}\n");
  RUN (&r, "--", "true");
  cr_expect_eq (r.status, 125);
  cr_expect_not_null (strstr (r.err, ".sbx/config.json:2:"), "%s", r.err);
  tu_result_clear (&r);
  tu_write_file (project, ".sbx/config.json", "{\n  \"allow_network\": yes\n}\n");
  RUN (&r, "--", "true");
  cr_expect_eq (r.status, 125);
  cr_expect_not_null (strstr (r.err, ".sbx/config.json:2: invalid JSON"), "%s", r.err);
  tu_result_clear (&r);
}

Test (run, refused_level_and_fallback)
{
  tu_result r;
  /* No engine at this address: the container level cannot be had. */
  tu_sbx_env (&r, project, env_isolated, "--host", "unix:///nonexistent/sbx.sock", "--project",
              project, "run", "--isolation", "container", "--", "true", NULL);
  cr_expect_eq (r.status, 125);
  cr_expect_not_null (strstr (r.err, "container"), "%s", r.err);
  cr_expect_not_null (strstr (r.err, "--fallback"), "%s", r.err);
  cr_expect (one_line (r.err), "%s", r.err);
  tu_result_clear (&r);

  _cleanup_free_ char *script = xasprintf ("cat %s/secret/key; exit 5", outside);
  tu_sbx_env (&r, project, env_isolated, "--host", "unix:///nonexistent/sbx.sock", "--project",
              project, "run", "--isolation", "container", "--fallback", "--", "/bin/sh", "-c",
              script, NULL);
  cr_expect_eq (r.status, 5, "%s", r.err);
  cr_expect_null (strstr (r.out, "top-secret"), "the fallback is not confined");
  cr_expect_not_null (strstr (r.err, "--fallback: level enhanced instead"), "%s", r.err);
  tu_result_clear (&r);
}

/* sbx run ARGS with every new namespace refused (EPERM) by a seccomp filter,
   as in a container whose profile forbids them: bwrap cannot create its
   sandbox there.  stdout and stderr go to files read back into r. */
static void
run_without_namespaces (tu_result *r, char *const *args)
{
  memset (r, 0, sizeof *r);
  _cleanup_free_ char *out = xasprintf ("%s/.out", project), *errf = xasprintf ("%s/.err", project);
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      scmp_filter_ctx f = seccomp_init (SCMP_ACT_ALLOW);
      const uint64_t ns[] = { CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,   CLONE_NEWUSER,
                              CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP };
      for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        seccomp_rule_add (f, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (clone), 1,
                          SCMP_A0 (SCMP_CMP_MASKED_EQ, ns[i], ns[i]));
      seccomp_rule_add (f, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (unshare), 0);
      seccomp_rule_add (f, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (clone3), 0);
      if (seccomp_load (f) < 0)
        _exit (99);
      int o = open (out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = open (errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2 (o, 1);
      dup2 (e, 2);
      setenv ("XDG_CONFIG_HOME", "/nonexistent-sbx-xdg", 1);
      putenv (env_isolated[1]);
      char *argv[16] = { TU_SBX, "--project", project, "run" };
      size_t n = 4;
      for (; args[n - 4] && n < 15; n++)
        argv[n] = args[n - 4];
      argv[n] = NULL;
      execv (TU_SBX, argv);
      _exit (98);
    }
  int status;
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status), "status %#x", status);
  r->status = WEXITSTATUS (status);
  cr_assert_neq (r->status, 99, "the namespace filter could not be loaded");
  r->out = tu_read_file (out);
  r->err = tu_read_file (errf);
  cr_assert (r->out && r->err);
  unlink (out);
  unlink (errf);
}

Test (run, bwrap_that_cannot_sandbox_is_never_silently_skipped)
{
  /* enhanced: bwrap fails before the command starts; the level's second
     choice (Landlock + seccomp) needs a mount namespace too (protected
     paths, its own /tmp): refused, naming the level that can, and the
     command did not run. */
  tu_result r;
  _cleanup_free_ char *script = xasprintf ("cat %s/secret/key; exit 5", outside);
  char *enhanced[] = { "--isolation", "enhanced", "--", "/bin/sh", "-c", script, NULL };
  run_without_namespaces (&r, enhanced);
  cr_expect_eq (r.status, 125, "status %d: %s", r.status, r.err);
  cr_expect_null (strstr (r.out, "top-secret"), "%s", r.out);
  cr_expect_not_null (strstr (r.err, "bwrap could not create its sandbox here; level enhanced "
                                     "runs with landlock"),
                      "%s", r.err);
  cr_expect_not_null (strstr (r.err, "use --isolation container"), "%s", r.err);
  tu_result_clear (&r);

  /* A configuration that asks for bwrap itself: refused, with bwrap's
     failure as the reason; nothing ran. */
  tu_write_file (project, ".sbx/config.json", "{\"type\": \"bwrap\"}\n");
  trust ();
  _cleanup_free_ char *marker = xasprintf ("%s/ran", project);
  _cleanup_free_ char *touch = xasprintf ("touch %s", marker);
  char *forced[] = { "--isolation", "enhanced", "--", "/bin/sh", "-c", touch, NULL };
  run_without_namespaces (&r, forced);
  cr_expect_eq (r.status, 125, "status %d: %s", r.status, r.err);
  cr_expect_not_null (strstr (r.err, "bwrap cannot create a sandbox here"), "%s", r.err);
  cr_expect_neq (access (marker, F_OK), 0, "the command did not run");
  tu_result_clear (&r);
}

Test (run, profile_seatbelt)
{
  tu_result r;
  tu_sbx_env (&r, project, env_isolated, "--project", project, "profile", "seatbelt", NULL);
  cr_expect_eq (r.status, 0);
  cr_expect_not_null (strstr (r.out, "(deny default)"));
  cr_expect_not_null (strstr (r.out, project));
  cr_expect_null (strstr (r.out, "(allow network*)"));
  cr_expect_not_null (strstr (r.out, "docker.sock"));
  tu_result_clear (&r);
  tu_sbx_env (&r, project, env_isolated, "--project", project, "profile", "seatbelt",
              "--allow-network", "--strict", "--rw", "/srv/cache", NULL);
  cr_expect_eq (r.status, 0);
  cr_expect_not_null (strstr (r.out, "mode strict"));
  cr_expect_not_null (strstr (r.out, "(allow network*)"));
  cr_expect_not_null (strstr (r.out, "(subpath \"/srv/cache\")"));
  tu_result_clear (&r);
  tu_sbx_env (&r, project, env_isolated, "--project", project, "profile", "apparmor", NULL);
  cr_expect_eq (r.status, 125);
  cr_expect (one_line (r.err), "%s", r.err);
  tu_result_clear (&r);
  tu_sbx_env (&r, project, env_isolated, "profile", "--help", NULL);
  cr_expect_eq (r.status, 0);
  cr_expect_not_null (strstr (r.out, "usage: sbx profile seatbelt"));
  tu_result_clear (&r);
}

/* --allow-unix-socket PATH: the command may connect to that socket (the
   flag reaches the host policy; a socket allowed by path answers). */
Test (run, allow_unix_socket_flag)
{
  _cleanup_free_ char *sock = xasprintf ("%s/rw/s.sock", outside);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf (a.sun_path, sizeof a.sun_path, "%s", sock);
  cr_assert_eq (bind (fd, (struct sockaddr *) &a, sizeof a), 0);
  cr_assert_eq (listen (fd, 8), 0);
  _cleanup_free_ char *py = xasprintf (
      "import socket; s = socket.socket(socket.AF_UNIX); s.connect('%s'); print('connected')",
      sock);
  tu_result r;
  RUN (&r, "--allow-unix-socket", sock, "--", "/usr/bin/python3", "-c", py);
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_str_eq (r.out, "connected\n");
  tu_result_clear (&r);
  RUN (&r, "--allow-unix-socket", "", "--", "true");
  cr_expect_eq (r.status, 125);
  tu_result_clear (&r);
  close (fd);
}
