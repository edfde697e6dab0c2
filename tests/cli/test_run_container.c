/* `sbx run` at the container levels: the same confinement checks as the
   host backends, tried for real in the project container. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "testutil.h"
#include "util.h"

static char *proj;
static char *env_isolated[] = { "XDG_CONFIG_HOME=/nonexistent-sbx-xdg", NULL };

#define RUN(r, ...)                                                                              \
  tu_sbx_env (r, proj, env_isolated, "--project", proj, "run", "--isolation", "container",       \
              __VA_ARGS__, NULL)

static void
setup (void)
{
  proj = tu_mkproject ();
  tu_write_file (proj, ".sbx/config.json", "{\"image\": \"" TU_IMAGE "\"}\n");
  tu_write_file (proj, "data.txt", "project data\n");
}

static void
teardown (void)
{
  tu_project_remove (proj);
}

TestSuite (run_container, .init = setup, .fini = teardown, .timeout = 180);

Test (run_container, files)
{
  tu_result r;
  RUN (&r, "--", "sh", "-c",
       "cat data.txt; echo new > made.txt && echo project-writable; "
       "cat /root/.bashrc /etc/shadow 2>/dev/null || echo host-files-invisible; "
       "touch /usr/x && echo root-layer-writable");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, "project data\n") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "project-writable") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "host-files-invisible") != NULL, "%s", r.out);
  /* The root filesystem is the container's own layer (the image is left
     as it is: a swap starts from it again). */
  cr_assert (strstr (r.out, "root-layer-writable") != NULL, "%s", r.out);
  tu_result_clear (&r);
  _cleanup_free_ char *made = xasprintf ("%s/made.txt", proj);
  struct stat st;
  cr_assert_eq (stat (made, &st), 0);
}

Test (run_container, ptrace_and_mount_fail)
{
  tu_result r;
  RUN (&r, "--", "sh", "-c",
       "mount -t tmpfs none /mnt 2>/dev/null && echo mounted; "
       "grep -q 'CapEff:.0000000000000000' /proc/self/status && echo no-caps; "
       "grep NoNewPrivs /proc/self/status");
  cr_assert (strstr (r.out, "mounted") == NULL, "%s", r.out);
  cr_assert (strstr (r.out, "no-caps") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "NoNewPrivs:\t1") != NULL, "%s", r.out);
  tu_result_clear (&r);
}

Test (run_container, exit_status_and_signals)
{
  tu_result r;
  RUN (&r, "--", "sh", "-c", "exit 42");
  cr_assert_eq (r.status, 42);
  tu_result_clear (&r);
  RUN (&r, "--", "sh", "-c", "kill -TERM $$");
  cr_assert_eq (r.status, 128 + 15);
  tu_result_clear (&r);
  RUN (&r, "--", "no-such-command");
  cr_assert_eq (r.status, 127);
  tu_result_clear (&r);

  /* SIGTERM sent to sbx run reaches the command, which handles it. */
  char *argv[] = { TU_SBX, "--project", proj, "run", "--isolation", "container", "--",
                   "sh", "-c", TU_TRAP_TERM, NULL };
  tu_signal_when_ready (&r, proj, env_isolated, argv, SIGTERM);
  cr_assert_str_eq (r.out, "got-term\n");
  cr_assert_eq (r.status, 42, "status %d", r.status);
  tu_result_clear (&r);
}

Test (run_container, stdin_passed_as_on_the_host)
{
  char *argv[] = { (char *) TU_SBX, "--project", proj, "run", "--isolation", "container", "--",
                   "sh", "-c", "wc -l; echo after", NULL };
  tu_result r;
  tu_run (&r, proj, env_isolated, "one\ntwo\nthree\n", 120, argv);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "3\nafter\n");
  tu_result_clear (&r);
}

static int
listen_any (int *port)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_ANY) };
  cr_assert_eq (bind (fd, (struct sockaddr *) &a, sizeof a), 0);
  cr_assert_eq (listen (fd, 8), 0);
  socklen_t l = sizeof a;
  getsockname (fd, (struct sockaddr *) &a, &l);
  *port = ntohs (a.sin_port);
  return fd;
}

/* Connect from the container to a listener of the host, through the
   container's default gateway (the host side of Docker's bridge). */
static void
connect_from_container (int port, bool allow, tu_result *r)
{
  _cleanup_free_ char *script = xasprintf (
      "gw=$(ip route 2>/dev/null | awk '/default/ {print $3}'); "
      "[ -n \"$gw\" ] || { echo no-route; exit 3; }; "
      "timeout 10 nc -w 3 $gw %d -e true && echo connected",
      port);
  if (allow)
    RUN (r, "--allow-network", "--", "sh", "-c", script);
  else
    RUN (r, "--", "sh", "-c", script);
}

Test (run_container, network_off_then_on)
{
  int port;
  int fd = listen_any (&port);
  tu_result r;
  connect_from_container (port, false, &r);
  cr_assert (strstr (r.out, "connected") == NULL, "network is off: %s", r.out);
  tu_result_clear (&r);
  connect_from_container (port, true, &r);
  cr_assert (strstr (r.out, "connected") != NULL, "--allow-network: %s %s", r.out, r.err);
  tu_result_clear (&r);
  close (fd);
}
