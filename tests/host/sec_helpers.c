/* sec_helpers.c: see sec_helpers.h. */
#include "sec_helpers.h"
#include "testutil.h"
#include "util.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>


char *
sec_outside (const hh_tree *t)
{
  return xasprintf ("%s/outside", t->base);
}

void
sec_tree_make (hh_tree *t, uid_t uid)
{
  hh_tree_make (t);
  const char *dirs[] = { ".git", ".git/hooks", ".git/objects", ".sbx", NULL };
  for (const char **d = dirs; *d; d++)
    {
      _cleanup_free_ char *p = xasprintf ("%s/%s", t->project, *d);
      cr_assert_eq (mkdir (p, 0755), 0, "mkdir %s", p);
    }
  tu_write_file (t->project, ".git/config", "[core]\n\tbare = false\n");
  tu_write_file (t->project, ".git/HEAD", "ref: refs/heads/main\n");
  tu_write_file (t->project, ".git/hooks/pre-commit.sample", "#!/bin/sh\nexit 0\n");
  tu_write_file (t->project, ".sbx/config.json", "{\"isolation\":\"default\"}\n");
  _cleanup_free_ char *outside = sec_outside (t);
  cr_assert_eq (mkdir (outside, 0755), 0);
  tu_write_file (outside, "file", "outside-file\n");
  cr_assert_eq (chmod (t->base, 0755), 0);
  _cleanup_free_ char *cmd
      = xasprintf ("chown -R %u:%u '%s'", (unsigned) uid, (unsigned) uid, t->base);
  cr_assert_eq (system (cmd), 0);
}

static bool no_userns;

int
sec_run_no_userns (uid_t uid, const host_policy *pol, const char *script, char **out)
{
  no_userns = true;
  int st = sec_run (uid, HOST_CONFINE_LANDLOCK, pol, script, 0, out);
  no_userns = false;
  return st;
}

int
sec_run (uid_t uid, host_confine confine, const host_policy *pol, const char *script,
         unsigned long max_memory_mb, char **out)
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
      if (uid != 0
          && (setgroups (0, NULL) < 0 || setresgid (uid, uid, uid) < 0
              || setresuid (uid, uid, uid) < 0))
        {
          dprintf (2, "cannot become uid %u\n", (unsigned) uid);
          _exit (124);
        }
      if (no_userns)
        {
          /* As where user namespaces are disabled: unshare(CLONE_NEWUSER)
             fails with EPERM for this process and its children. */
          scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
          if (ctx == NULL
              || seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (unshare), 1,
                                   SCMP_A0 (SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
                     < 0
              || seccomp_load (ctx) < 0)
            _exit (124);
          seccomp_release (ctx);
        }
      char *const argv[] = { "/bin/sh", "-c", (char *) script, NULL };
      host_run_opts o = { .confine = confine,
                          .policy = pol,
                          .argv = argv,
                          .seccomp = true,
                          .max_memory_mb = max_memory_mb };
      int status = 125;
      sbx_error *err = NULL;
      if (host_run (&o, &status, &err) < 0)
        dprintf (2, "host_run (%s): %s\n",
                 err->code == SBX_ERR_UNAVAILABLE ? "unavailable" : "failed", err->msg);
      _exit (status);
    }
  close (fds[1]);
  hh_proc p = { .pid = pid, .out_fd = fds[0] };
  *out = NULL;
  return hh_finish (&p, out);
}

int
sec_listen_unix (const char *path)
{
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_geq (fd, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  cr_assert_lt (strlen (path), sizeof a.sun_path);
  strcpy (a.sun_path, path);
  unlink (path);
  cr_assert_eq (bind (fd, (struct sockaddr *) &a, sizeof a), 0, "bind %s", path);
  cr_assert_eq (listen (fd, 64), 0);
  cr_assert_eq (chmod (path, 0777), 0);
  return fd;
}

int
sec_count_cmdline (const char *want)
{
  int n = 0;
  DIR *d = opendir ("/proc");
  cr_assert_not_null (d);
  struct dirent *e;
  while ((e = readdir (d)))
    {
      if (e->d_name[0] < '0' || e->d_name[0] > '9')
        continue;
      _cleanup_free_ char *path = xasprintf ("/proc/%s/cmdline", e->d_name);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      char buf[256];
      ssize_t r = read (fd, buf, sizeof buf - 1);
      close (fd);
      if (r <= 0)
        continue;
      buf[r] = '\0';
      for (ssize_t i = 0; i < r - 1; i++)
        if (buf[i] == '\0')
          buf[i] = ' ';
      if (strcmp (buf, want) == 0)
        n++;
    }
  closedir (d);
  return n;
}

int
sec_mounts_under (const char *dir)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  cr_assert_not_null (f);
  int n = 0;
  char line[4096];
  size_t l = strlen (dir);
  while (fgets (line, sizeof line, f))
    {
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... */
      char point[4096];
      if (sscanf (line, "%*s %*s %*s %*s %4095s", point) != 1)
        continue;
      if (strncmp (point, dir, l) == 0 && (point[l] == '\0' || point[l] == '/'))
        n++;
    }
  fclose (f);
  return n;
}

char *
sec_read (const char *dir, const char *name)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, name);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return xstrdup ("");
  char buf[4096];
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  return xstrdup (buf);
}
