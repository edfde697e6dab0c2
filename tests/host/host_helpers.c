/* host_helpers.c: see host_helpers.h. */
#include "host_helpers.h"
#include "util.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void
write_file (const char *dir, const char *name, const char *content)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, name);
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f, "cannot create %s", path);
  fputs (content, f);
  fclose (f);
}

void
hh_tree_make (hh_tree *t)
{
  char tmpl[] = "/var/tmp/sbx-host-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  t->base = xstrdup (tmpl);
  t->project = xasprintf ("%s/project", t->base);
  t->ro = xasprintf ("%s/ro", t->base);
  t->secret = xasprintf ("%s/secret", t->base);
  cr_assert_eq (mkdir (t->project, 0755), 0);
  cr_assert_eq (mkdir (t->ro, 0755), 0);
  cr_assert_eq (mkdir (t->secret, 0755), 0);
  write_file (t->ro, "data", "read-only-content\n");
  write_file (t->secret, "key", "top-secret-content\n");
}

void
hh_tree_free (hh_tree *t)
{
  if (t->base)
    {
      _cleanup_free_ char *cmd = xasprintf ("rm -rf '%s'", t->base);
      (void) !system (cmd);
    }
  free (t->base);
  free (t->project);
  free (t->ro);
  free (t->secret);
  memset (t, 0, sizeof *t);
}

void
hh_start (hh_proc *p, host_confine confine, const host_policy *pol, char *const *argv)
{
  int fds[2];
  cr_assert_eq (pipe2 (fds, O_CLOEXEC), 0);
  fflush (NULL);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDONLY);
      dup2 (null, 0);
      dup2 (fds[1], 1);
      dup2 (fds[1], 2);
      host_run_opts o = { .confine = confine, .policy = pol, .argv = argv, .seccomp = true };
      int status = 125;
      sbx_error *err = NULL;
      if (host_run (&o, &status, &err) < 0)
        dprintf (2, "host_run: %s\n", err->msg);
      _exit (status);
    }
  close (fds[1]);
  p->pid = pid;
  p->out_fd = fds[0];
}

static void
append (char **buf, size_t *len, const char *data, size_t n)
{
  *buf = xrealloc (*buf, *len + n + 1);
  memcpy (*buf + *len, data, n);
  *len += n;
  (*buf)[*len] = '\0';
}

bool
hh_wait_for (hh_proc *p, const char *want, char **out)
{
  size_t len = *out ? strlen (*out) : 0;
  if (*out == NULL)
    *out = xstrdup ("");
  for (int i = 0; i < 200; i++)
    {
      if (strstr (*out, want))
        return true;
      struct pollfd pfd = { .fd = p->out_fd, .events = POLLIN };
      if (poll (&pfd, 1, 100) <= 0)
        continue;
      char buf[4096];
      ssize_t n = read (p->out_fd, buf, sizeof buf);
      if (n <= 0)
        return strstr (*out, want) != NULL;
      append (out, &len, buf, (size_t) n);
    }
  return false;
}

int
hh_finish (hh_proc *p, char **out)
{
  size_t len = *out ? strlen (*out) : 0;
  if (*out == NULL)
    *out = xstrdup ("");
  for (;;)
    {
      char buf[4096];
      ssize_t n = read (p->out_fd, buf, sizeof buf);
      if (n <= 0)
        break;
      append (out, &len, buf, (size_t) n);
    }
  close (p->out_fd);
  int status;
  cr_assert_eq (waitpid (p->pid, &status, 0), p->pid);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + WTERMSIG (status);
}

int
hh_run (host_confine confine, const host_policy *pol, char *const *argv, char **out)
{
  hh_proc p;
  *out = NULL;
  hh_start (&p, confine, pol, argv);
  return hh_finish (&p, out);
}

int
hh_listen_tcp (int *port)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_geq (fd, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  cr_assert_eq (bind (fd, (struct sockaddr *) &a, sizeof a), 0);
  cr_assert_eq (listen (fd, 16), 0);
  socklen_t l = sizeof a;
  cr_assert_eq (getsockname (fd, (struct sockaddr *) &a, &l), 0);
  *port = ntohs (a.sin_port);
  return fd;
}

bool
hh_file_exists (const char *dir, const char *name)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, name);
  struct stat st;
  return stat (path, &st) == 0;
}
