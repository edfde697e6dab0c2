/* sbx devenv build / status / invalidate and sbx gc, driven through the
   built binary against temporary projects built FROM sbx-test/busybox.
   Assertions about the image content are made by RUN steps inside the
   Dockerfiles themselves (a wrong context fails the build).  A relay in
   front of the engine socket shows what a cache hit sends. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

static engine_client *c;

static void
setup (void)
{
  c = tu_engine ();
}

static void
teardown (void)
{
  engine_client_free (c);
}

TestSuite (devenv, .init = setup, .fini = teardown, .timeout = 240);

/* ---- helpers ---- */

static char *
project (const char *dockerfile)
{
  char *p = tu_mkproject ();
  if (dockerfile)
    tu_write_file (p, "Dockerfile", dockerfile);
  return p;
}

static void
cleanup (char *p)
{
  tu_down (p);
  tu_remove_project_images (c, p);
  tu_rmrf (p);
  free (p);
}

/* The last line of stdout. */
static char *
last_line (const char *out)
{
  size_t n = strlen (out);
  while (n && out[n - 1] == '\n')
    n--;
  size_t s = n;
  while (s && out[s - 1] != '\n')
    s--;
  return xstrndup (out + s, n - s);
}

static json_t *
build_json (const char *p, tu_result *r)
{
  tu_sbx (r, NULL, "--project", p, "--json", "devenv", "build", NULL);
  cr_assert_eq (r->status, 0, "build failed: %s", r->err);
  json_t *j = json_loads (r->out, 0, NULL);
  cr_assert_not_null (j, "not JSON: %s", r->out);
  return j;
}

static bool
built (const char *p)
{
  tu_result r;
  json_t *j = build_json (p, &r);
  bool b = json_is_true (json_object_get (j, "built"));
  json_decref (j);
  tu_result_clear (&r);
  return b;
}

static void
expect_fail (const char *p, const char *needle, const char *const *extra)
{
  char *argv[16] = { TU_SBX, "--project", (char *) p, "devenv", "build" };
  int n = 5;
  for (; extra && *extra; extra++)
    argv[n++] = (char *) *extra;
  argv[n] = NULL;
  tu_result r;
  tu_run (&r, NULL, NULL, NULL, 120, argv);
  cr_assert_eq (r.status, 125, "exit %d, stderr: %s", r.status, r.err);
  cr_assert (strstr (r.err, needle), "stderr lacks '%s': %s", needle, r.err);
  cr_assert_str_eq (r.out, "", "stdout on failure: %s", r.out);
  tu_result_clear (&r);
}

/* No image of the project carries a tag. */
static void
no_tag (const char *p)
{
  _cleanup_free_ char *label = xasprintf ("dev.sbx.project=%s", p);
  json_t *imgs = NULL;
  cr_assert (engine_image_list (c, label, &imgs, NULL) == 0);
  size_t i;
  json_t *im;
  json_array_foreach (imgs, i, im)
    {
      json_t *tags = json_object_get (im, "RepoTags");
      size_t k;
      json_t *t;
      json_array_foreach (tags, k, t)
        cr_assert_str_eq (json_string_value (t), "<none>:<none>", "partial tag %s",
                          json_string_value (t));
    }
  json_decref (imgs);
}

/* ---- builds and the key ---- */

Test (devenv, build_prints_image_last_and_reuses)
{
  char *p = project ("FROM " TU_IMAGE "\nCOPY app/ /app/\nRUN test \"$(cat /app/v)\" = 1\n");
  tu_write_file (p, "app/v", "1\n");
  tu_result r;
  tu_sbx (&r, NULL, "--project", p, "devenv", "build", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  _cleanup_free_ char *ref = last_line (r.out);
  cr_assert (strncmp (ref, "sbx-devenv/", 11) == 0, "%s", ref);
  cr_assert (strstr (r.err, "using Dockerfile"), "%s", r.err);
  cr_assert (strstr (r.err, "[3/"), "no step counter: %s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, NULL, "--project", p, "devenv", "build", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  _cleanup_free_ char *ref2 = last_line (r.out);
  cr_assert_str_eq (ref, ref2);
  cr_assert (strstr (r.err, "up to date"), "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, NULL, "--project", p, "-q", "devenv", "build", NULL);
  cr_assert_eq (r.status, 0);
  cr_assert_str_eq (r.err, "", "-q printed: %s", r.err);
  _cleanup_free_ char *ref3 = last_line (r.out);
  cr_assert_str_eq (ref, ref3);
  tu_result_clear (&r);
  cleanup (p);
}

Test (devenv, changed_copied_file_rebuilds_mtime_and_uncopied_do_not)
{
  char *p = project ("FROM " TU_IMAGE "\nCOPY app/ /app/\n");
  tu_write_file (p, "app/v", "1\n");
  tu_write_file (p, "notes.txt", "a\n");
  cr_assert (built (p));
  /* mtime only */
  _cleanup_free_ char *f = xasprintf ("%s/app/v", p);
  struct timespec ts[2] = { { 12345, 0 }, { 12345, 0 } };
  cr_assert (utimensat (AT_FDCWD, f, ts, 0) == 0);
  cr_assert_not (built (p), "an mtime-only change rebuilt");
  /* a file nothing copies */
  tu_write_file (p, "notes.txt", "b\n");
  cr_assert_not (built (p), "an uncopied file rebuilt");
  /* the copied file */
  tu_write_file (p, "app/v", "2\n");
  cr_assert (built (p), "a changed COPY'd file did not rebuild");
  cr_assert_not (built (p));
  cleanup (p);
}

/* ---- a relay in front of the engine: what does a cache hit send? ---- */

typedef struct relay
{
  char path[108];
  int lfd;
  pthread_t th;
  char requests[8192]; /* request lines seen */
  size_t req_len;
  size_t up_bytes; /* client -> engine */
  volatile int stop;
} relay;

static void
note_requests (relay *r, const char *buf, size_t n)
{
  r->up_bytes += n;
  for (size_t i = 0; i + 5 < n; i++)
    if ((i == 0 || buf[i - 1] == '\n')
        && (strncmp (buf + i, "GET ", 4) == 0 || strncmp (buf + i, "POST ", 5) == 0
            || strncmp (buf + i, "HEAD ", 5) == 0 || strncmp (buf + i, "DELETE ", 7) == 0))
      {
        const char *nl = memchr (buf + i, '\n', n - i);
        size_t len = nl ? (size_t) (nl - (buf + i)) : n - i;
        if (r->req_len + len + 2 < sizeof r->requests)
          {
            memcpy (r->requests + r->req_len, buf + i, len);
            r->req_len += len;
            r->requests[r->req_len++] = '\n';
            r->requests[r->req_len] = '\0';
          }
      }
}

static void *
relay_run (void *arg)
{
  relay *r = arg;
  while (!r->stop)
    {
      struct pollfd pl = { r->lfd, POLLIN, 0 };
      if (poll (&pl, 1, 100) <= 0)
        continue;
      int cfd = accept (r->lfd, NULL, NULL);
      if (cfd < 0)
        continue;
      int efd = socket (AF_UNIX, SOCK_STREAM, 0);
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      snprintf (sa.sun_path, sizeof sa.sun_path, "%s", tu_engine_socket ());
      if (connect (efd, (struct sockaddr *) &sa, sizeof sa) < 0)
        {
          close (cfd);
          close (efd);
          continue;
        }
      struct pollfd fds[2] = { { cfd, POLLIN, 0 }, { efd, POLLIN, 0 } };
      char buf[65536];
      for (;;)
        {
          if (poll (fds, 2, 100) < 0)
            break;
          if (r->stop)
            break;
          ssize_t n;
          if (fds[0].revents)
            {
              n = read (cfd, buf, sizeof buf);
              if (n <= 0)
                break;
              note_requests (r, buf, (size_t) n);
              if (write_all (efd, buf, (size_t) n) < 0)
                break;
            }
          if (fds[1].revents)
            {
              n = read (efd, buf, sizeof buf);
              if (n <= 0)
                break;
              if (write_all (cfd, buf, (size_t) n) < 0)
                break;
            }
        }
      close (cfd);
      close (efd);
    }
  return NULL;
}

static void
relay_start (relay *r, const char *dir)
{
  memset (r, 0, sizeof *r);
  snprintf (r->path, sizeof r->path, "%s/relay.sock", dir);
  r->lfd = socket (AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  strcpy (sa.sun_path, r->path);
  cr_assert (bind (r->lfd, (struct sockaddr *) &sa, sizeof sa) == 0);
  cr_assert (listen (r->lfd, 8) == 0);
  pthread_create (&r->th, NULL, relay_run, r);
}

static void
relay_stop (relay *r)
{
  r->stop = 1;
  pthread_join (r->th, NULL);
  close (r->lfd);
  unlink (r->path);
}

Test (devenv, cache_hit_does_not_upload)
{
  char *p = project ("FROM " TU_IMAGE "\nCOPY . /app/\n");
  /* A context of some weight: 200 files of 4 KiB. */
  char big[4097];
  memset (big, 'x', 4096);
  big[4096] = '\0';
  for (int i = 0; i < 200; i++)
    {
      char name[64];
      snprintf (name, sizeof name, "data/f%03d", i);
      tu_write_file (p, name, big);
    }
  char *sockdir = tu_mkproject ();
  relay rl;
  relay_start (&rl, sockdir);
  _cleanup_free_ char *host = xasprintf ("DOCKER_HOST=unix://%s", rl.path);
  char *env[] = { host, NULL };
  tu_result r;
  tu_sbx_env (&r, NULL, env, "--project", p, "--json", "devenv", "build", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (rl.requests, "/build?"), "the first build went elsewhere: %s", rl.requests);
  cr_assert_gt (rl.up_bytes, 200 * 4096, "the context was not sent through the relay");
  json_t *j1 = json_loads (r.out, 0, NULL);
  tu_result_clear (&r);

  rl.req_len = 0;
  rl.requests[0] = '\0';
  rl.up_bytes = 0;
  tu_sbx_env (&r, NULL, env, "--project", p, "--json", "devenv", "build", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  json_t *j2 = json_loads (r.out, 0, NULL);
  relay_stop (&rl);
  cr_assert (strstr (rl.requests, "/images/"), "no image inspect seen: %s", rl.requests);
  cr_assert_null (strstr (rl.requests, "/build"), "a cache hit called /build: %s", rl.requests);
  cr_assert_lt (rl.up_bytes, 4096, "a cache hit sent %zu bytes", rl.up_bytes);
  cr_assert (json_is_false (json_object_get (j2, "built")));
  cr_assert_eq (json_integer_value (json_object_get (j2, "upload_bytes")), 0);
  cr_assert_str_eq (json_string_value (json_object_get (j1, "image_id")),
                    json_string_value (json_object_get (j2, "image_id")));
  json_decref (j1);
  json_decref (j2);
  tu_result_clear (&r);
  tu_rmrf (sockdir);
  free (sockdir);
  cleanup (p);
}

Test (devenv, json_object)
{
  char *p = project ("FROM " TU_IMAGE "\n");
  tu_result r;
  json_t *j = build_json (p, &r);
  cr_assert_eq (strlen (json_string_value (json_object_get (j, "key"))), 64);
  cr_assert (strncmp (json_string_value (json_object_get (j, "image")), "sbx-devenv/", 11) == 0);
  cr_assert (strncmp (json_string_value (json_object_get (j, "image_id")), "sha256:", 7) == 0);
  cr_assert_str_eq (json_string_value (json_object_get (j, "origin")), "project Dockerfile");
  cr_assert (json_is_true (json_object_get (j, "built")));
  cr_assert_str_eq (r.err, "", "--json printed progress: %s", r.err);
  json_decref (j);
  tu_result_clear (&r);
  cleanup (p);
}

Test (devenv, concurrent_processes_build_once)
{
  char *p = project ("FROM " TU_IMAGE "\nRUN sleep 1\n");
  pid_t pids[2];
  int pipes[2][2];
  for (int i = 0; i < 2; i++)
    {
      cr_assert (pipe (pipes[i]) == 0);
      pids[i] = fork ();
      if (pids[i] == 0)
        {
          dup2 (pipes[i][1], 1);
          int devnull = open ("/dev/null", O_WRONLY);
          dup2 (devnull, 2);
          execl (TU_SBX, TU_SBX, "--project", p, "--json", "devenv", "build", (char *) NULL);
          _exit (122);
        }
      close (pipes[i][1]);
    }
  int builds = 0;
  char ids[2][128];
  for (int i = 0; i < 2; i++)
    {
      char buf[8192];
      ssize_t n, len = 0;
      while ((n = read (pipes[i][0], buf + len, sizeof buf - 1 - (size_t) len)) > 0)
        len += n;
      buf[len] = '\0';
      close (pipes[i][0]);
      int st;
      waitpid (pids[i], &st, 0);
      cr_assert (WIFEXITED (st) && WEXITSTATUS (st) == 0, "sbx %d failed: %s", i, buf);
      json_t *j = json_loads (buf, 0, NULL);
      cr_assert_not_null (j, "%s", buf);
      builds += json_is_true (json_object_get (j, "built"));
      snprintf (ids[i], sizeof ids[i], "%s", json_string_value (json_object_get (j, "image_id")));
      json_decref (j);
    }
  cr_assert_eq (builds, 1, "two processes built %d times", builds);
  cr_assert_str_eq (ids[0], ids[1]);
  cleanup (p);
}

/* ---- status and invalidate ---- */

static json_t *
status (const char *p)
{
  tu_result r;
  tu_sbx (&r, NULL, "--project", p, "--json", "devenv", "status", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  json_t *j = json_loads (r.out, 0, NULL);
  cr_assert_not_null (j, "%s", r.out);
  tu_result_clear (&r);
  return j;
}

Test (devenv, status_fresh_stale_and_invalidate)
{
  char *p = project ("FROM " TU_IMAGE "\nCOPY v /v\n");
  tu_write_file (p, "v", "1\n");
  json_t *s = status (p);
  cr_assert (json_is_true (json_object_get (s, "stale")));
  cr_assert (json_is_false (json_object_get (s, "image_present")));
  json_decref (s);
  cr_assert (built (p));
  s = status (p);
  cr_assert (json_is_true (json_object_get (s, "fresh")), "not fresh after a build");
  cr_assert (json_is_true (json_object_get (s, "image_present")));
  json_decref (s);
  tu_write_file (p, "v", "2\n");
  s = status (p);
  cr_assert (json_is_true (json_object_get (s, "stale")), "not stale after a change");
  json_decref (s);
  cr_assert (built (p));

  tu_result r;
  tu_sbx (&r, NULL, "--project", p, "devenv", "status", NULL);
  cr_assert_eq (r.status, 0);
  cr_assert (strstr (r.out, "state:       fresh"), "%s", r.out);
  cr_assert (strstr (r.out, "dockerfile:"), "%s", r.out);
  tu_result_clear (&r);

  tu_sbx (&r, NULL, "--project", p, "devenv", "invalidate", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  s = status (p);
  cr_assert (json_is_true (json_object_get (s, "stale")));
  cr_assert (json_is_true (json_object_get (s, "invalidated")));
  json_decref (s);
  cr_assert (built (p), "the build after invalidate reused the image");
  s = status (p);
  cr_assert (json_is_true (json_object_get (s, "fresh")));
  json_decref (s);
  cleanup (p);
}

Test (devenv, up_builds_and_labels_the_container_with_the_key)
{
  char *p = project ("FROM " TU_IMAGE "\nCOPY v /v\n");
  tu_write_file (p, "v", "1\n");
  tu_result r;
  tu_sbx (&r, NULL, "--project", p, "up", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  json_t *s = status (p);
  const char *key = json_string_value (json_object_get (s, "key"));
  cr_assert_str_eq (json_string_value (json_object_get (s, "container_key")), key);
  cr_assert (json_is_true (json_object_get (s, "fresh")));
  json_decref (s);
  tu_sbx (&r, NULL, "--project", p, "exec", "--", "cat", "/v", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "1\n");
  tu_result_clear (&r);
  /* A change makes the running container stale. */
  tu_write_file (p, "v", "2\n");
  cr_assert (built (p));
  s = status (p);
  cr_assert (json_is_true (json_object_get (s, "stale")));
  cr_assert (strstr (json_string_value (json_object_get (s, "why")), "runs key"), "%s",
             json_string_value (json_object_get (s, "why")));
  json_decref (s);
  cleanup (p);
}

Test (devenv, default_dockerfile_fallback)
{
  char *p = project (NULL);
  char *d = tu_mkproject ();
  tu_write_file (d, "base/Dockerfile", "FROM " TU_IMAGE "\nRUN test ! -e /app\n");
  tu_write_file (p, "anything.txt", "x\n");
  _cleanup_free_ char *e = xasprintf ("SBX_DOCKERFILES_DIR=%s", d);
  char *env[] = { e, NULL };
  tu_result r;
  tu_sbx_env (&r, NULL, env, "--project", p, "devenv", "build", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "no Dockerfile"), "%s", r.err);
  cr_assert (strstr (r.err, "base/Dockerfile"), "%s", r.err);
  tu_result_clear (&r);
  /* Without the override: the shipped default for the flavour is chosen. */
  tu_write_file (p, "go.mod", "module x\n");
  tu_sbx (&r, NULL, "--project", p, "--json", "devenv", "status", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  json_t *j = json_loads (r.out, 0, NULL);
  cr_assert_str_eq (json_string_value (json_object_get (j, "flavour")), "go");
  cr_assert_str_eq (json_string_value (json_object_get (j, "dockerfile")),
                    SBX_SOURCE_DIR "/dockerfiles/go/Dockerfile");
  json_decref (j);
  tu_result_clear (&r);
  tu_rmrf (d);
  free (d);
  cleanup (p);
}

Test (devenv, devcontainer_json)
{
  char *p = project (NULL);
  tu_write_file (p, ".devcontainer/devcontainer.json",
                 "// comments are allowed\n{\n  \"build\": {\n    \"dockerfile\": \"Dockerfile\",\n"
                 "    \"context\": \"..\",\n    \"args\": { \"V\": \"42\" }, /* trailing comma: */\n  },\n}\n");
  tu_write_file (p, ".devcontainer/Dockerfile",
                 "FROM " TU_IMAGE "\nARG V\nCOPY top.txt /\nRUN test \"$V\" = 42 && test -e /top.txt\n");
  tu_write_file (p, "top.txt", "t\n");
  tu_result r;
  tu_sbx (&r, NULL, "--project", p, "devenv", "build", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, ".devcontainer/Dockerfile"), "%s", r.err);
  tu_result_clear (&r);
  cleanup (p);
}

/* ---- bad input: each one clear message, exit 125, no tag ---- */

Test (devenv, bad_named_dockerfile_missing)
{
  char *p = project ("FROM " TU_IMAGE "\n");
  const char *extra[] = { "--file", "/nonexistent/Dockerfile.dev", NULL };
  expect_fail (p, "/nonexistent/Dockerfile.dev", extra);
  cleanup (p);
}

Test (devenv, bad_dockerfile_unreadable)
{
  char *p = project ("FROM " TU_IMAGE "\n");
  _cleanup_free_ char *df = xasprintf ("%s/Dockerfile", p);
  chmod (df, 0);
  chmod (p, 0755);
  /* As an unprivileged user (root reads anything). */
  int out[2];
  cr_assert (pipe (out) == 0);
  pid_t pid = fork ();
  if (pid == 0)
    {
      dup2 (out[1], 2);
      if (setgid (65534) < 0 || setuid (65534) < 0)
        _exit (121);
      setenv ("SBX_CACHE_DIR", "/tmp", 1);
      execl (TU_SBX, TU_SBX, "--project", p, "devenv", "build", (char *) NULL);
      _exit (122);
    }
  close (out[1]);
  char buf[4096];
  ssize_t n, len = 0;
  while ((n = read (out[0], buf + len, sizeof buf - 1 - (size_t) len)) > 0)
    len += n;
  buf[len] = '\0';
  close (out[0]);
  int st;
  waitpid (pid, &st, 0);
  cr_assert (WIFEXITED (st) && WEXITSTATUS (st) == 125, "status %d: %s", st, buf);
  cr_assert (strstr (buf, "cannot read the Dockerfile"), "%s", buf);
  cr_assert (strstr (buf, "Permission denied"), "%s", buf);
  chmod (df, 0644);
  /* A directory where the Dockerfile should be. */
  tu_rmrf (df);
  mkdir (df, 0755);
  expect_fail (p, "is not a regular file", NULL);
  cleanup (p);
}

Test (devenv, bad_dockerfile_empty)
{
  char *p = project ("# nothing here\n\n");
  expect_fail (p, "is empty", NULL);
  cleanup (p);
}

Test (devenv, bad_dockerfile_syntax)
{
  char *p = project ("FROM " TU_IMAGE "\nRUNN echo\n");
  expect_fail (p, "Dockerfile:2: unknown instruction 'RUNN'", NULL);
  no_tag (p);
  cleanup (p);
}

Test (devenv, bad_failing_step_shows_line_and_tail)
{
  char *p = project ("FROM " TU_IMAGE "\nRUN echo ok\nRUN echo the-cause >&2; exit 3\n");
  tu_result r;
  tu_sbx (&r, NULL, "--project", p, "devenv", "build", NULL);
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "Dockerfile:3"), "%s", r.err);
  cr_assert (strstr (r.err, "non-zero code: 3"), "%s", r.err);
  cr_assert (strstr (r.err, "the-cause"), "no output tail: %s", r.err);
  cr_assert_str_eq (r.out, "");
  tu_result_clear (&r);
  tu_sbx (&r, NULL, "--project", p, "-q", "devenv", "build", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, "the-cause"), "-q hides the tail of a failure: %s", r.err);
  tu_result_clear (&r);
  no_tag (p);
  cleanup (p);
}

Test (devenv, bad_copy_of_missing_file)
{
  char *p = project ("FROM " TU_IMAGE "\nCOPY missing.txt /x\n");
  expect_fail (p, "Dockerfile:2: the COPY/ADD source 'missing.txt' is not in the build context", NULL);
  no_tag (p);
  cleanup (p);
}

Test (devenv, dockerignore_excluding_the_dockerfile_still_builds)
{
  /* As docker: the engine still gets the Dockerfile, COPY does not. */
  char *p = project ("FROM " TU_IMAGE "\nCOPY . /app/\nRUN test -e /app/kept && test ! -e /app/Dockerfile\n");
  tu_write_file (p, ".dockerignore", "Dockerfile\n");
  tu_write_file (p, "kept", "k\n");
  cr_assert (built (p));
  cleanup (p);
}

Test (devenv, symlink_out_of_the_context_is_not_followed)
{
  char *p = project ("FROM " TU_IMAGE "\nCOPY . /app/\n"
                     "RUN test -L /app/link && test \"$(readlink /app/link)\" = /etc/sbx-secret-test\n");
  _cleanup_free_ char *link = xasprintf ("%s/link", p);
  cr_assert (symlink ("/etc/sbx-secret-test", link) == 0);
  tu_result r;
  tu_sbx (&r, NULL, "--project", p, "devenv", "build", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "outside the build context"), "no warning: %s", r.err);
  tu_result_clear (&r);
  cleanup (p);
}

Test (devenv, names_with_spaces_unicode_and_newlines)
{
  char *p = project ("FROM " TU_IMAGE "\nCOPY . /app/\n"
                     "RUN test -f '/app/with space.txt' && test -f '/app/caf\xc3\xa9.txt' "
                     "&& ls /app | grep -c line | grep -q 1\n");
  tu_write_file (p, "with space.txt", "1\n");
  tu_write_file (p, "caf\xc3\xa9.txt", "2\n");
  tu_write_file (p, "new\nline", "3\n");
  cr_assert (built (p));
  cr_assert_not (built (p));
  tu_write_file (p, "new\nline", "changed\n");
  cr_assert (built (p));
  cleanup (p);
}

Test (devenv, image_deleted_behind_our_back_is_rebuilt)
{
  char *p = project ("FROM " TU_IMAGE "\n");
  tu_result r;
  json_t *j = build_json (p, &r);
  tu_result_clear (&r);
  sbx_error *err = NULL;
  cr_assert (engine_image_remove (c, json_string_value (json_object_get (j, "image")), true, &err) == 0);
  json_decref (j);
  cr_assert (built (p), "not rebuilt");
  cleanup (p);
}

Test (devenv, bad_devcontainer_json)
{
  char *p = project (NULL);
  tu_write_file (p, ".devcontainer/devcontainer.json",
                 "{\n  \"build\": {\n    \"dockerfile\": \"Dockerfile\"\n    \"args\": {}\n  }\n}\n");
  expect_fail (p, ".devcontainer/devcontainer.json:4:", NULL);
  cleanup (p);
}

Test (devenv, bad_usage)
{
  char *p = project ("FROM " TU_IMAGE "\n");
  const char *const cases[][4] = {
    { "devenv", NULL }, { "devenv", "frobnicate", NULL }, { "devenv", "build", "--bogus", NULL },
    { "devenv", "build", "--build-arg", "=v" }, { "devenv", "status", "--no-cache", NULL },
    { "devenv", "build", "extra", NULL }, { "gc", "--bogus", NULL },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *argv[8] = { TU_SBX, "--project", p };
      int n = 3;
      for (int k = 0; k < 4 && cases[i][k]; k++)
        argv[n++] = (char *) cases[i][k];
      argv[n] = NULL;
      tu_result r;
      tu_run (&r, NULL, NULL, NULL, 60, argv);
      cr_assert_eq (r.status, 125, "case %zu: exit %d", i, r.status);
      size_t lines = 0;
      for (const char *s = r.err; *s; s++)
        lines += *s == '\n';
      cr_assert_eq (lines, 1, "case %zu: not one line: %s", i, r.err);
      tu_result_clear (&r);
    }
  cleanup (p);
}

Test (devenv, help)
{
  const char *const cases[][3] = { { "devenv", "--help" }, { "devenv", "build", "--help" },
                                   { "devenv", "status", "--help" }, { "gc", "--help" } };
  for (size_t i = 0; i < 4; i++)
    {
      char *argv[5] = { TU_SBX, (char *) cases[i][0], (char *) cases[i][1], (char *) cases[i][2], NULL };
      tu_result r;
      tu_run (&r, NULL, NULL, NULL, 60, argv);
      cr_assert_eq (r.status, 0, "case %zu", i);
      cr_assert (strstr (r.out, "usage: sbx"), "case %zu: %s", i, r.out);
      tu_result_clear (&r);
    }
}

Test (devenv, gc_dry_run_keeps_the_newest)
{
  char *p = project ("FROM " TU_IMAGE "\nCOPY v /v\n");
  tu_write_file (p, "v", "1\n");
  tu_result r;
  json_t *a = build_json (p, &r);
  tu_result_clear (&r);
  tu_write_file (p, "v", "2\n");
  json_t *b = build_json (p, &r);
  tu_result_clear (&r);
  tu_sbx (&r, NULL, "--json", "gc", "--dry-run", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  json_t *g = json_loads (r.out, 0, NULL);
  cr_assert_not_null (g, "%s", r.out);
  bool old = false, newest = false;
  size_t i;
  json_t *it;
  json_array_foreach (json_object_get (g, "removed"), i, it)
    {
      const char *id = json_string_value (json_object_get (it, "id"));
      old |= strcmp (id, json_string_value (json_object_get (a, "image_id"))) == 0;
      newest |= strcmp (id, json_string_value (json_object_get (b, "image_id"))) == 0;
    }
  cr_assert (old, "the older image would not be removed");
  cr_assert_not (newest, "the newest image would be removed");
  json_decref (g);
  json_decref (a);
  json_decref (b);
  tu_result_clear (&r);
  cleanup (p);
}
