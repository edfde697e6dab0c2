/* faults_util.c: see faults.h. */
#include "faults.h"
#include "project.h"
#include "testutil.h"
#include "util.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROXY SBX_SOURCE_DIR "/tests/faults/faultproxy.py"

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void
fp_dir_init (fp_proxy *px)
{
  memset (px, 0, sizeof *px);
  snprintf (px->dir, sizeof px->dir, "/tmp/sbx-fp-XXXXXX");
  cr_assert_not_null (mkdtemp (px->dir));
  snprintf (px->sock, sizeof px->sock, "%s/engine.sock", px->dir);
  snprintf (px->log, sizeof px->log, "%s/requests.log", px->dir);
  snprintf (px->upstream, sizeof px->upstream, "/var/run/docker.sock");
}

void
fp_dir_clear (fp_proxy *px)
{
  fp_stop (px);
  if (px->dir[0])
    tu_rmrf (px->dir);
  px->dir[0] = '\0';
}

void
fp_start (fp_proxy *px, const char *fault, const char *match, const char *method)
{
  cr_assert_eq (px->pid, 0);
  unlink (px->log);
  int p[2];
  cr_assert_eq (pipe2 (p, O_CLOEXEC), 0);
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      char *argv[16];
      int n = 0;
      argv[n++] = "/usr/bin/python3";
      argv[n++] = PROXY;
      argv[n++] = "--listen";
      argv[n++] = px->sock;
      argv[n++] = "--upstream";
      argv[n++] = px->upstream;
      argv[n++] = "--log";
      argv[n++] = px->log;
      argv[n++] = "--fault";
      argv[n++] = (char *) fault;
      if (match)
        {
          argv[n++] = "--match";
          argv[n++] = (char *) match;
        }
      if (method)
        {
          argv[n++] = "--method";
          argv[n++] = (char *) method;
        }
      argv[n] = NULL;
      dup2 (p[1], 1);
      _cleanup_free_ char *errp = xasprintf ("%s/proxy.err", px->dir);
      int fd = open (errp, O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0)
        dup2 (fd, 2);
      execv (argv[0], argv);
      _exit (122);
    }
  close (p[1]);
  px->pid = pid;
  char buf[64] = "";
  size_t len = 0;
  double end = now_s () + 20;
  while (!strstr (buf, "ready\n"))
    {
      struct pollfd pf = { .fd = p[0], .events = POLLIN };
      cr_assert (now_s () < end, "the fault proxy did not start");
      if (poll (&pf, 1, 200) <= 0)
        continue;
      ssize_t k = read (p[0], buf + len, sizeof buf - len - 1);
      if (k <= 0)
        {
          _cleanup_free_ char *errp = xasprintf ("%s/proxy.err", px->dir);
          _cleanup_free_ char *text = tu_read_file (errp);
          cr_assert_fail ("the fault proxy ended before listening (%zd, %s, fault %s): %s", k,
                          strerror (errno), fault, text ? text : "");
        }
      len += (size_t) k;
      buf[len] = '\0';
    }
  close (p[0]);
}

void
fp_stop (fp_proxy *px)
{
  if (px->pid <= 0)
    return;
  kill (px->pid, SIGTERM);
  double end = now_s () + 5;
  while (waitpid (px->pid, NULL, WNOHANG) == 0)
    {
      if (now_s () > end)
        {
          kill (px->pid, SIGKILL);
          waitpid (px->pid, NULL, 0);
          break;
        }
      usleep (20 * 1000);
    }
  px->pid = 0;
}

int
fp_hits (fp_proxy *px)
{
  _cleanup_free_ char *text = tu_read_file (px->log);
  int hits = 0;
  px->log_text[0] = '\0';
  if (!text)
    return 0;
  snprintf (px->log_text, sizeof px->log_text, "%s", text);
  for (char *line = text, *nl; *line; line = nl + 1)
    {
      nl = strchr (line, '\n');
      if (!nl)
        break;
      *nl = '\0';
      size_t n = strlen (line);
      if (!(n >= 5 && strcmp (line + n - 5, " pass") == 0))
        hits++;
    }
  return hits;
}

void
fp_check_error_line (const char *err, const char *sock)
{
  (void) sock;
  int errors = 0;
  const char *last = NULL, *err_line = NULL;
  size_t last_len = 0, err_len = 0;
  for (const char *s = err; *s;)
    {
      const char *nl = strchr (s, '\n');
      size_t n = nl ? (size_t) (nl - s) : strlen (s);
      if (n > 0)
        {
          last = s;
          last_len = n;
        }
      if (n >= 5 && strncmp (s, "sbx: ", 5) == 0)
        {
          errors++;
          err_line = s;
          err_len = n;
        }
      s += n + (nl ? 1 : 0);
    }
  cr_assert_eq (errors, 1, "want one error line, stderr:\n%s", err);
  cr_assert_eq (err_line, last, "the error line is not the last one, stderr:\n%s", err);
  _cleanup_free_ char *line = xstrndup (err_line, err_len);
  (void) last_len;
  cr_assert_leq (err_len, 400, "a long error line: %s", line);
  cr_assert (strstr (line, "engine") != NULL, "the error line does not name the engine: %s", line);
  cr_assert (strstr (line, "%2F") == NULL && strstr (line, "%22") == NULL,
             "the error line carries a raw URL: %s", line);
}

static sbx_project *
open_project (const char *proj)
{
  sbx_project *p = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_project_open (proj, 1, &p, &err), 0, "%s", err ? err->msg : "");
  return p;
}

/* The tags of the project's repository ("repo:tag" strings). */
static json_t *
repo_tags (engine_client *c, const char *repo)
{
  _cleanup_json_ json_t *f = json_pack ("{s:[s]}", "reference", repo);
  _cleanup_free_ char *fs = json_dumps (f, JSON_COMPACT);
  _cleanup_free_ char *enc = engine_urlencode (fs);
  _cleanup_free_ char *path = xasprintf ("/images/json?filters=%s", enc);
  json_t *list = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (engine_get_json (c, path, &list, &err), 0, "%s", err ? err->msg : "");
  json_t *tags = json_array ();
  size_t i, j;
  json_t *img, *t;
  size_t rl = strlen (repo);
  json_array_foreach (list, i, img)
  {
    json_array_foreach (json_object_get (img, "RepoTags"), j, t)
    {
      const char *s = json_string_value (t);
      if (s && strncmp (s, repo, rl) == 0 && s[rl] == ':')
        json_array_append_new (tags, json_string (s));
    }
  }
  json_decref (list);
  return tags;
}

void
fp_check_tags (engine_client *c, const char *proj)
{
  sbx_project *p = open_project (proj);
  json_t *tags = repo_tags (c, p->image_repo);
  size_t i;
  json_t *t;
  json_array_foreach (tags, i, t)
  {
    const char *ref = json_string_value (t);
    const char *tag = strrchr (ref, ':') + 1;
    json_t *ins = NULL;
    sbx_error *err = NULL;
    cr_assert_eq (engine_image_inspect (c, ref, &ins, &err), 0, "%s", err ? err->msg : "");
    json_t *labels = json_object_get (json_object_get (ins, "Config"), "Labels");
    const char *key = json_string_value (json_object_get (labels, "dev.sbx.key"));
    const char *owner = json_string_value (json_object_get (labels, "dev.sbx.project"));
    cr_assert (key && owner && strcmp (owner, proj) == 0, "%s is on an image without sbx's labels",
               ref);
    bool key_tag = strlen (tag) == 12 && strspn (tag, "0123456789abcdef") == 12;
    if (key_tag)
      cr_assert (strncmp (key, tag, 12) == 0, "%s is on the image of key %s", ref, key);
    json_decref (ins);
  }
  json_decref (tags);
  sbx_project_free (p);
}

void
fp_remove_images (engine_client *c, const char *proj)
{
  sbx_project *p = open_project (proj);
  json_t *tags = repo_tags (c, p->image_repo);
  size_t i;
  json_t *t;
  json_array_foreach (tags, i, t)
  {
    sbx_error *err = NULL;
    if (engine_image_remove (c, json_string_value (t), true, &err) < 0)
      sbx_error_free (err);
  }
  json_decref (tags);
  sbx_project_free (p);
}

/* ---- a private engine ---- */

static pid_t
engine_pid (const fp_engine *e)
{
  _cleanup_free_ char *path = xasprintf ("%s/docker.pid", e->dir);
  _cleanup_free_ char *text = tu_read_file (path);
  return text ? (pid_t) atoi (text) : 0;
}

/* Is pid running (not gone, not a zombie)? */
static bool
running (pid_t pid)
{
  _cleanup_free_ char *path = xasprintf ("/proc/%d/status", (int) pid);
  _cleanup_free_ char *st = tu_read_file (path);
  if (!st)
    return false;
  const char *s = strstr (st, "\nState:");
  return s && !strstr (s, "\nState:\tZ") && strncmp (s, "\nState:\tZ", 9) != 0;
}

pid_t
fp_engine_start (fp_engine *e)
{
  if (!e->dir[0])
    {
      snprintf (e->dir, sizeof e->dir, "/tmp/sbx-pe-XXXXXX");
      cr_assert_not_null (mkdtemp (e->dir));
      snprintf (e->sock, sizeof e->sock, "%s/docker.sock", e->dir);
    }
  char *argv[] = { SBX_SOURCE_DIR "/scripts/engine-up", "--private", e->dir, NULL };
  tu_result r;
  tu_run (&r, NULL, NULL, NULL, 120, argv);
  cr_assert_eq (r.status, 0, "the private engine did not start: %s", r.err);
  tu_result_clear (&r);
  pid_t pid = engine_pid (e);
  cr_assert_gt (pid, 0);
  return pid;
}

static bool
wait_dead (pid_t pid, double limit_s)
{
  double end = now_s () + limit_s;
  while (running (pid))
    {
      if (now_s () > end)
        return false;
      usleep (50 * 1000);
    }
  return true;
}

void
fp_engine_kill (fp_engine *e)
{
  pid_t pid = engine_pid (e);
  cr_assert_gt (pid, 0);
  cr_assert_eq (kill (pid, SIGKILL), 0);
  cr_assert (wait_dead (pid, 10), "dockerd %d outlived SIGKILL", (int) pid);
}

/* The pids of the processes whose command line names dir (none when n is
   0 on return). */
static size_t
processes_of (const char *dir, pid_t *out, size_t max)
{
  size_t n = 0;
  DIR *d = opendir ("/proc");
  cr_assert_not_null (d);
  struct dirent *de;
  while ((de = readdir (d)) && n < max)
    {
      pid_t pid = (pid_t) atoi (de->d_name);
      if (pid <= 0 || pid == getpid () || !running (pid))
        continue;
      _cleanup_free_ char *path = xasprintf ("/proc/%d/cmdline", (int) pid);
      FILE *f = fopen (path, "re");
      if (!f)
        continue;
      char buf[4096];
      size_t k = fread (buf, 1, sizeof buf - 1, f);
      fclose (f);
      for (size_t i = 0; i < k; i++)
        if (buf[i] == '\0')
          buf[i] = ' ';
      buf[k] = '\0';
      if (strstr (buf, dir))
        out[n++] = pid;
    }
  closedir (d);
  return n;
}

static void
unmount_under (const char *dir)
{
  for (int round = 0; round < 3; round++)
    {
      _cleanup_free_ char *mi = tu_read_file ("/proc/self/mountinfo");
      bool any = false;
      for (char *line = mi; line && *line;)
        {
          char *nl = strchr (line, '\n');
          if (nl)
            *nl = '\0';
          char mnt[4096];
          if (sscanf (line, "%*s %*s %*s %*s %4095s", mnt) == 1
              && strncmp (mnt, dir, strlen (dir)) == 0)
            {
              umount2 (mnt, MNT_DETACH);
              any = true;
            }
          line = nl ? nl + 1 : NULL;
        }
      if (!any)
        return;
    }
}

void
fp_engine_destroy (fp_engine *e)
{
  if (!e->dir[0])
    return;
  pid_t pid = engine_pid (e);
  if (pid > 0 && running (pid))
    {
      /* Its containers first, while it answers. */
      engine_client *c = NULL;
      sbx_error *err = NULL;
      _cleanup_free_ char *host = xasprintf ("unix://%s", e->sock);
      if (engine_client_new (host, &c, &err) == 0)
        {
          json_t *list = NULL;
          if (engine_get_json (c, "/containers/json?all=true", &list, &err) == 0)
            {
              size_t i;
              json_t *ctr;
              json_array_foreach (list, i, ctr) engine_container_remove (
                  c, json_string_value (json_object_get (ctr, "Id")), true, NULL);
              json_decref (list);
            }
          engine_client_free (c);
        }
      sbx_error_free (err);
      kill (pid, SIGTERM);
      if (!wait_dead (pid, 30))
        kill (pid, SIGKILL);
      wait_dead (pid, 10);
    }
  /* Whatever of it is left (containerd, shims): by pid. */
  pid_t left[64];
  size_t n = processes_of (e->dir, left, 64);
  for (size_t i = 0; i < n; i++)
    kill (left[i], SIGKILL);
  for (size_t i = 0; i < n; i++)
    wait_dead (left[i], 10);
  size_t still = processes_of (e->dir, left, 64);
  unmount_under (e->dir);
  tu_rmrf (e->dir);
  cr_assert_eq (still, 0, "%zu processes of the private engine outlived SIGKILL (first %d)", still,
                still ? (int) left[0] : 0);
  e->dir[0] = '\0';
}
