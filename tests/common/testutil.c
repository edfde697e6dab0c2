/* testutil.c: see testutil.h. */
#include "testutil.h"
#include "util.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
capture (char **buf, size_t *len, const char *data, size_t n)
{
  if (*len + n > TU_CAPTURE_MAX)
    n = TU_CAPTURE_MAX - *len;
  *buf = xrealloc (*buf, *len + n + 1);
  memcpy (*buf + *len, data, n);
  *len += n;
  (*buf)[*len] = '\0';
}

void
tu_run (tu_result *r, const char *cwd, char *const *env, const char *stdin_data, int timeout_s,
        char *const *argv)
{
  memset (r, 0, sizeof *r);
  r->out = xstrdup ("");
  r->err = xstrdup ("");
  int po[2], pe[2], pi[2];
  cr_assert (pipe2 (po, O_CLOEXEC) == 0 && pipe2 (pe, O_CLOEXEC) == 0
             && pipe2 (pi, O_CLOEXEC) == 0);
  double t0 = now_s ();
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      setpgid (0, 0);
      dup2 (pi[0], 0);
      dup2 (po[1], 1);
      dup2 (pe[1], 2);
      if (cwd && chdir (cwd) < 0)
        _exit (121);
      /* Under the sanitizer build, programs run by the tests (sbx) may get
         their own options: leak reports into files that scripts/test
         checks, so that they do not mix with the output tests compare. */
      const char *child_asan = getenv ("SBX_CHILD_ASAN_OPTIONS");
      if (child_asan && *child_asan)
        setenv ("ASAN_OPTIONS", child_asan, 1);
      for (char *const *e = env; e && *e; e++)
        putenv (*e);
      execv (argv[0], argv);
      _exit (122);
    }
  close (po[1]);
  close (pe[1]);
  close (pi[0]);
  if (stdin_data)
    write_all (pi[1], stdin_data, strlen (stdin_data));
  close (pi[1]);
  struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0)
    {
      double left = t0 + timeout_s - now_s ();
      if (left <= 0)
        {
          kill (-pid, SIGKILL);
          break;
        }
      int n = poll (fds, 2, (int) (left * 1000) + 1);
      if (n < 0 && errno == EINTR)
        continue;
      for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0 && fds[i].revents)
          {
            ssize_t k = read (fds[i].fd, buf, sizeof buf);
            if (k <= 0)
              {
                close (fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
              }
            else if (i == 0)
              capture (&r->out, &r->out_len, buf, (size_t) k);
            else
              capture (&r->err, &r->err_len, buf, (size_t) k);
          }
    }
  for (int i = 0; i < 2; i++)
    if (fds[i].fd >= 0)
      close (fds[i].fd);
  int st;
  struct rusage ru;
  wait4 (pid, &st, 0, &ru);
  r->maxrss_kb = ru.ru_maxrss;
  r->seconds = now_s () - t0;
  r->status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

static void
sbx_va (tu_result *r, const char *cwd, char *const *env, va_list ap)
{
  char *argv[64];
  int n = 0;
  argv[n++] = (char *) TU_SBX;
  const char *a;
  while ((a = va_arg (ap, const char *)) && n < 63)
    argv[n++] = (char *) a;
  argv[n] = NULL;
  tu_run (r, cwd, env, NULL, 300, argv);
}

void
tu_sbx (tu_result *r, const char *cwd, ...)
{
  va_list ap;
  va_start (ap, cwd);
  sbx_va (r, cwd, NULL, ap);
  va_end (ap);
}

void
tu_sbx_env (tu_result *r, const char *cwd, char *const *env, ...)
{
  va_list ap;
  va_start (ap, env);
  sbx_va (r, cwd, env, ap);
  va_end (ap);
}

void
tu_result_clear (tu_result *r)
{
  free (r->out);
  free (r->err);
  memset (r, 0, sizeof *r);
}

char *
tu_mkproject (void)
{
  char tmpl[] = "/tmp/sbx-test-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  char real[PATH_MAX];
  cr_assert_not_null (realpath (tmpl, real));
  chmod (real, 0755);
  return xstrdup (real);
}

void
tu_rmrf (const char *path)
{
  if (!path || strncmp (path, "/tmp/", 5) != 0)
    return;
  char *argv[] = { "/bin/rm", "-rf", (char *) path, NULL };
  tu_result r;
  tu_run (&r, NULL, NULL, NULL, 60, argv);
  tu_result_clear (&r);
}

void
tu_write_file (const char *dir, const char *rel, const char *content)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, rel);
  for (char *s = path + strlen (dir) + 1; (s = strchr (s, '/')); s++)
    {
      *s = '\0';
      mkdir (path, 0755);
      *s = '/';
    }
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f, "cannot write %s", path);
  fputs (content, f);
  fclose (f);
}

void
tu_signal_when_ready (tu_result *r, const char *cwd, char *const *env, char *const *argv, int sig)
{
  memset (r, 0, sizeof *r);
  int out[2];
  cr_assert_eq (pipe2 (out, O_CLOEXEC), 0);
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      dup2 (out[1], 1);
      if (cwd && chdir (cwd) < 0)
        _exit (121);
      for (char *const *e = env; e && *e; e++)
        putenv (*e);
      execv (argv[0], argv);
      _exit (122);
    }
  close (out[1]);
  FILE *f = fdopen (out[0], "r");
  char line[256] = "";
  cr_assert_not_null (fgets (line, sizeof line, f), "no output from %s", argv[0]);
  cr_assert_str_eq (line, "ready\n");
  cr_assert_eq (kill (pid, sig), 0);
  size_t cap = 4096, len = 0, n;
  r->out = xmalloc (cap);
  while ((n = fread (r->out + len, 1, cap - len - 1, f)) > 0)
    if ((len += n) + 1 >= cap)
      r->out = xrealloc (r->out, cap *= 2);
  r->out[len] = '\0';
  r->out_len = len;
  r->err = xstrdup ("");
  fclose (f);
  int status;
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  r->status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

char *
tu_read_file (const char *path)
{
  FILE *f = fopen (path, "r");
  if (!f)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = xmalloc (cap);
  size_t n;
  while ((n = fread (buf + len, 1, cap - len - 1, f)) > 0)
    {
      len += n;
      if (len + 1 >= cap)
        buf = xrealloc (buf, cap *= 2);
    }
  buf[len] = '\0';
  fclose (f);
  return buf;
}

void
tu_down (const char *project)
{
  tu_result r;
  tu_sbx (&r, NULL, "--project", project, "down", "--volumes", NULL);
  tu_result_clear (&r);
}

char *
tu_project_up (const char *isolation)
{
  char *proj = tu_mkproject ();
  tu_result r;
  tu_sbx (&r, proj, "up", "--image", TU_IMAGE, "--isolation", isolation ? isolation : "container",
          NULL);
  cr_assert_eq (r.status, 0, "sbx up: %s", r.err);
  tu_result_clear (&r);
  return proj;
}

void
tu_project_remove (char *project)
{
  tu_down (project);
  tu_rmrf (project);
  free (project);
}

void
tu_remove_project_images (engine_client *c, const char *project)
{
  _cleanup_free_ char *label = xasprintf ("dev.sbx.project=%s", project);
  json_t *imgs = NULL;
  if (engine_image_list (c, label, &imgs, NULL) < 0)
    return;
  size_t i;
  json_t *im;
  json_array_foreach (imgs, i, im)
  {
    sbx_error *e = NULL;
    if (engine_image_remove (c, json_string_value (json_object_get (im, "Id")), true, &e) < 0)
      sbx_error_free (e);
  }
  json_decref (imgs);
}

engine_client *
tu_engine (void)
{
  engine_client *c = NULL;
  sbx_error *err = NULL;
  cr_assert (engine_client_new (NULL, &c, &err) == 0, "%s", err ? err->msg : "");
  char *v = NULL;
  cr_assert (engine_ping (c, &v, &err) == 0,
             "the test engine does not answer: %s (run scripts/engine-up)", err ? err->msg : "");
  free (v);
  return c;
}

json_t *
tu_up_inspect (const char *proj)
{
  engine_client *c = tu_engine ();
  tu_result r;
  tu_sbx (&r, proj, "--json", "up", NULL);
  json_t *o = json_loads (r.out, 0, NULL);
  cr_assert_not_null (o, "%s", r.out);
  json_t *ins = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (
      engine_container_inspect (c, json_string_value (json_object_get (o, "id")), &ins, &err), 0);
  json_decref (o);
  tu_result_clear (&r);
  engine_client_free (c);
  return ins;
}

const char *
tu_engine_socket (void)
{
  const char *h = getenv ("DOCKER_HOST");
  return h && strncmp (h, "unix://", 7) == 0 ? h + 7 : "/var/run/docker.sock";
}

bool
tu_engine_is_podman (void)
{
  static int is = -1;
  if (is < 0)
    {
      engine_client *c = tu_engine ();
      json_t *v = NULL;
      sbx_error *err = NULL;
      cr_assert_eq (engine_version (c, &v, &err), 0, "%s", err ? err->msg : "");
      size_t i;
      json_t *comp;
      is = 0;
      json_array_foreach (json_object_get (v, "Components"), i, comp)
      {
        const char *name = json_string_value (json_object_get (comp, "Name"));
        if (name && strcmp (name, "Podman Engine") == 0)
          is = 1;
      }
      json_decref (v);
      engine_client_free (c);
    }
  return is == 1;
}

size_t
tu_default_caps (json_t *host_config)
{
  json_t *drop = json_object_get (host_config, "CapDrop");
  size_t added = json_array_size (json_object_get (host_config, "CapAdd"));
  size_t i;
  json_t *cap;
  json_array_foreach (drop, i, cap)
  {
    if (strcmp (json_string_value (cap), "ALL") == 0)
      return added;
  }
  size_t dropped = json_array_size (drop);
  return dropped > 14 ? added : 14 - dropped + added;
}

bool
tu_maximum_refused_on_podman (void)
{
  if (!tu_engine_is_podman ())
    return false;
  char *proj = tu_mkproject ();
  tu_result r;
  tu_sbx (&r, proj, "up", "--image", TU_IMAGE, "--isolation", "maximum", NULL);
  cr_assert_eq (r.status, 125, "podman cannot give runsc: %s", r.err);
  cr_assert (strstr (r.err, "the OCI runtime 'runc', not 'runsc'"), "%s", r.err);
  cr_assert (strchr (r.err, '\n') == r.err + r.err_len - 1, "one line: %s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "--json", "ps", NULL);
  cr_assert (strstr (r.out, proj) == NULL, "no container left: %s", r.out);
  tu_result_clear (&r);
  tu_project_remove (proj);
  return true;
}
