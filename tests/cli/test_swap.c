/* sbx swap: gap-free replacement under a load of concurrent execs, failure
   keeps the old container, recovery after a swap killed at any moment. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "engine/engine.h"
#include "lock.h"
#include "testutil.h"
#include "util.h"

#define IMAGE_V2 "sbx-test/busybox-swap:v2"

static char *proj;
static engine_client *c;

/* A second image with another id: the busybox image plus one file. */
static void
make_v2 (void)
{
  sbx_error *err = NULL;
  _cleanup_json_ json_t *ins = NULL;
  if (engine_image_inspect (c, IMAGE_V2, &ins, &err) == 0)
    return;
  sbx_error_freep (&err);
  json_t *cfg = json_pack ("{s:s,s:[s,s,s]}", "Image", TU_IMAGE, "Cmd", "sh", "-c",
                           "echo v2 > /version");
  _cleanup_free_ char *id = NULL;
  cr_assert_eq (engine_container_create (c, NULL, cfg, &id, &err), 0);
  json_decref (cfg);
  cr_assert_eq (engine_container_start (c, id, &err), 0);
  long code;
  cr_assert_eq (engine_container_wait (c, id, "not-running", &code, &err), 0);
  cr_assert_eq (engine_container_commit (c, id, "sbx-test/busybox-swap", "v2", NULL, &err), 0,
                "%s", err ? err->msg : "");
  engine_container_remove (c, id, true, NULL);
}

static void
setup (void)
{
  c = tu_engine ();
  make_v2 ();
  proj = tu_project_up (NULL);
}

static void
teardown (void)
{
  tu_project_remove (proj);
  engine_client_free (c);
}

TestSuite (swap, .init = setup, .fini = teardown, .timeout = 240);

static size_t
project_containers (json_t **names)
{
  _cleanup_free_ char *label = xasprintf ("dev.sbx.project=%s", proj);
  json_t *list = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (engine_container_list (c, label, true, &list, &err), 0);
  size_t n = json_array_size (list);
  if (names)
    *names = list;
  else
    json_decref (list);
  return n;
}

typedef struct load_stats
{
  volatile int stop;
  int runs[4], failures[4];
  double max_latency[4];
  char last_error[4][256];
} load_stats;

static load_stats *
start_load (pid_t *pids, int n)
{
  load_stats *st = mmap (NULL, sizeof *st, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset (st, 0, sizeof *st);
  for (int i = 0; i < n; i++)
    {
      pids[i] = fork ();
      if (pids[i] == 0)
        {
          while (!st->stop)
            {
              tu_result r;
              tu_sbx (&r, proj, "exec", "--", "cat", "/version", NULL);
              st->runs[i]++;
              if (r.status != 0 && strstr (r.err, "No such file") == NULL)
                {
                  st->failures[i]++;
                  snprintf (st->last_error[i], sizeof st->last_error[i], "%d: %s%s", r.status, r.err, r.out);
                }
              if (r.seconds > st->max_latency[i])
                st->max_latency[i] = r.seconds;
              tu_result_clear (&r);
            }
          _exit (0);
        }
    }
  return st;
}

static void
stop_load (load_stats *st, pid_t *pids, int n, int *runs, int *failures, double *max_latency)
{
  st->stop = 1;
  *runs = *failures = 0;
  *max_latency = 0;
  for (int i = 0; i < n; i++)
    {
      waitpid (pids[i], NULL, 0);
      *runs += st->runs[i];
      *failures += st->failures[i];
      if (st->max_latency[i] > *max_latency)
        *max_latency = st->max_latency[i];
      cr_assert_eq (st->failures[i], 0, "exec failed during swap: %s", st->last_error[i]);
    }
}

Test (swap, no_exec_fails_during_swaps)
{
  pid_t pids[2];
  load_stats *st = start_load (pids, 2);
  usleep (300 * 1000);
  const char *images[] = { IMAGE_V2, TU_IMAGE, IMAGE_V2 };
  for (int i = 0; i < 3; i++)
    {
      tu_result r;
      tu_sbx (&r, proj, "swap", "--image", images[i], NULL);
      cr_assert_eq (r.status, 0, "swap to %s: %s", images[i], r.err);
      tu_result_clear (&r);
    }
  usleep (300 * 1000);
  int runs, failures;
  double max_latency;
  stop_load (st, pids, 2, &runs, &failures, &max_latency);
  cr_log_info ("swap under load: %d execs, %d failures, max exec latency %.3f s", runs, failures,
               max_latency);
  cr_assert_gt (runs, 5);
  cr_assert_eq (failures, 0);
  munmap (st, sizeof *st);

  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "cat", "/version", NULL);
  cr_assert_str_eq (r.out, "v2\n", "the new image serves");
  tu_result_clear (&r);
  cr_assert_eq (project_containers (NULL), 1, "exactly one container after the swaps");
}

Test (swap, unchanged_image_is_a_no_op)
{
  tu_result r;
  tu_sbx (&r, proj, "--json", "swap", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  json_t *o = json_loads (r.out, 0, NULL);
  cr_assert_not_null (o, "%s", r.out);
  cr_assert (json_is_false (json_object_get (o, "swapped")));
  json_decref (o);
  tu_result_clear (&r);
}

Test (swap, running_command_is_drained)
{
  /* A command started before the swap finishes in the old container. */
  char *argv[] = { (char *) TU_SBX, "exec", "--", "sh", "-c", "touch started; sleep 2; echo finished",
                   NULL };
  _cleanup_free_ char *started = xasprintf ("%s/started", proj);
  unlink (started);
  pid_t pid = fork ();
  if (pid == 0)
    {
      tu_result r;
      tu_run (&r, proj, NULL, NULL, 60, argv);
      _exit (r.status == 0 && strcmp (r.out, "finished\n") == 0 ? 0 : 1);
    }
  /* Swap once the command runs in the old container (however loaded the
     machine is). */
  for (int i = 0; i < 400 && access (started, F_OK) != 0; i++)
    usleep (50 * 1000);
  cr_assert_eq (access (started, F_OK), 0, "the command did not start within 20 s");
  tu_result r;
  tu_sbx (&r, proj, "--json", "swap", "--image", IMAGE_V2, NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  json_t *o = json_loads (r.out, 0, NULL);
  cr_assert_eq (json_integer_value (json_object_get (o, "drained")), 1, "%s", r.out);
  json_decref (o);
  tu_result_clear (&r);
  int st;
  waitpid (pid, &st, 0);
  cr_assert (WIFEXITED (st) && WEXITSTATUS (st) == 0, "the drained command completed");
}

Test (swap, drain_bound_cuts_with_a_clear_error)
{
  char *argv[] = { (char *) TU_SBX, "exec", "--", "sleep", "30", NULL };
  int pfd[2];
  cr_assert_eq (pipe (pfd), 0);
  pid_t pid = fork ();
  if (pid == 0)
    {
      tu_result r;
      tu_run (&r, proj, NULL, NULL, 60, argv);
      dprintf (pfd[1], "%d %s", r.status, r.err);
      _exit (0);
    }
  close (pfd[1]);
  usleep (700 * 1000);
  tu_result r;
  tu_sbx (&r, proj, "swap", "--drain", "500ms", "--image", IMAGE_V2, NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "killed") != NULL, "swap says it cut a command: %s", r.err);
  tu_result_clear (&r);
  char buf[1024] = "";
  ssize_t n = read (pfd[0], buf, sizeof buf - 1);
  cr_assert_gt (n, 0);
  waitpid (pid, NULL, 0);
  cr_assert (strncmp (buf, "125 ", 4) == 0, "the cut command exits 125: %s", buf);
  cr_assert (strstr (buf, "removed") != NULL, "and says why: %s", buf);
}

typedef struct tarsrc
{
  size_t off;
} tarsrc;

/* An empty tar archive: two zero blocks. */
static ssize_t
read_zeros (char *buf, size_t len, void *ud)
{
  tarsrc *t = ud;
  size_t n = 1024 - t->off < len ? 1024 - t->off : len;
  memset (buf, 0, n);
  t->off += n;
  return (ssize_t) n;
}

Test (swap, failing_new_container_keeps_the_old)
{
  tu_result r;
  tu_sbx (&r, proj, "--json", "up", NULL);
  json_t *o = json_loads (r.out, 0, NULL);
  _cleanup_free_ char *old_id = xstrdup (json_string_value (json_object_get (o, "id")));
  json_decref (o);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "swap", "--image", "sbx-test/no-such-image:nope", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, "no-such-image") != NULL, "%s", r.err);
  tu_result_clear (&r);
  /* An image whose container starts but cannot run commands: empty. */
  sbx_error *err = NULL;
  tarsrc src = { 0 };
  cr_assert_eq (engine_image_import (c, read_zeros, &src, "sbx-test/empty", "latest", NULL, &err), 0,
                "%s", err ? err->msg : "");
  tu_sbx (&r, proj, "swap", "--image", "sbx-test/empty:latest", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, "keeps serving") != NULL, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "--json", "up", NULL);
  o = json_loads (r.out, 0, NULL);
  cr_assert_str_eq (json_string_value (json_object_get (o, "id")), old_id, "old container still serves");
  json_decref (o);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "true", NULL);
  cr_assert_eq (r.status, 0);
  tu_result_clear (&r);
  cr_assert_eq (project_containers (NULL), 1);
}

Test (swap, killed_at_any_moment_recovers_to_one_container)
{
  /* SIGKILL sbx swap after various delays: whatever step it reached, the
     next command finds exactly one project container and it works. */
  const int delays_ms[] = { 30, 120, 200, 280, 350, 450 };
  for (size_t i = 0; i < sizeof delays_ms / sizeof delays_ms[0]; i++)
    {
      pid_t pid = fork ();
      if (pid == 0)
        {
          execl (TU_SBX, TU_SBX, "--project", proj, "swap", "--force", "--image",
                 i % 2 ? TU_IMAGE : IMAGE_V2, (char *) NULL);
          _exit (127);
        }
      usleep (delays_ms[i] * 1000);
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      tu_result r;
      tu_sbx (&r, proj, "exec", "--", "true", NULL);
      cr_assert_eq (r.status, 0, "after a kill at %d ms: %s", delays_ms[i], r.err);
      tu_result_clear (&r);
      json_t *names = NULL;
      size_t n = project_containers (&names);
      _cleanup_free_ char *dump = json_dumps (names, 0);
      cr_assert_eq (n, 1, "after a kill at %d ms: %s", delays_ms[i], dump);
      json_decref (names);
    }
}

Test (swap, recovery_of_each_interrupted_state)
{
  /* Build by hand the states a killed swap leaves, then run a command. */
  tu_result r;
  tu_sbx (&r, proj, "--json", "up", NULL);
  json_t *o = json_loads (r.out, 0, NULL);
  const char *name = json_string_value (json_object_get (o, "container"));
  _cleanup_free_ char *cname = xstrdup (name);
  _cleanup_free_ char *lock = NULL;
  {
    /* The lock file of the project, as sbx computes it. */
    char *id = strrchr (cname, '-') + 1;
    sbx_error *lerr = NULL;
    cr_assert_eq (sbx_lock_path (id, "swap", true, &lock, &lerr), 0);
  }
  json_decref (o);
  tu_result_clear (&r);
  for (int state = 0; state < 3; state++)
    {
      /* state 0: a -next container beside the named one; 1: old renamed out,
         -next not yet in; 2: new renamed in, -old left. */
      _cleanup_free_ char *next = xasprintf ("%s-next-1", cname);
      _cleanup_free_ char *old = xasprintf ("%s-old-1", cname);
      tu_sbx (&r, proj, "swap", "--force", NULL);
      cr_assert_eq (r.status, 0, "%s", r.err);
      tu_result_clear (&r);
      /* Clone the running container's config into a second container. */
      json_t *ins = NULL;
      sbx_error *err = NULL;
      cr_assert_eq (engine_container_inspect (c, cname, &ins, &err), 0);
      json_t *cfg = json_deep_copy (json_object_get (ins, "Config"));
      json_object_set_new (cfg, "HostConfig", json_deep_copy (json_object_get (ins, "HostConfig")));
      /* sbx sets none; podman's inspect names its defaults in a form
         ("RLIMIT_NOFILE") that its create refuses. */
      json_object_del (json_object_get (cfg, "HostConfig"), "Ulimits");
      json_decref (ins);
      char *nid = NULL;
      cr_assert_eq (engine_container_create (c, next, cfg, &nid, &err), 0, "%s", err ? err->msg : "");
      cr_assert_eq (engine_container_start (c, nid, &err), 0);
      json_decref (cfg);
      if (state >= 1)
        cr_assert_eq (engine_container_rename (c, cname, old, &err), 0);
      if (state == 2)
        cr_assert_eq (engine_container_rename (c, nid, cname, &err), 0);
      FILE *lf = fopen (lock, "w");
      cr_assert_not_null (lf, "%s", lock);
      fclose (lf);
      tu_sbx (&r, proj, "exec", "--", "true", NULL);
      cr_assert_eq (r.status, 0, "state %d: %s", state, r.err);
      tu_result_clear (&r);
      json_t *names = NULL;
      size_t n = project_containers (&names);
      _cleanup_free_ char *dump = json_dumps (names, 0);
      cr_assert_eq (n, 1, "state %d: %s", state, dump);
      const char *left = json_string_value (json_array_get (json_object_get (json_array_get (names, 0), "Names"), 0));
      cr_assert_str_eq (left + 1, cname, "state %d", state);
      json_decref (names);
      free (nid);
      cr_assert_neq (access (lock, F_OK), 0, "lock file removed after recovery");
    }
}

Test (swap, up_on_a_stale_project_says_swap_and_up_swap_swaps)
{
  char *p2 = tu_mkproject ();
  tu_write_file (p2, "Dockerfile", "FROM " TU_IMAGE "\nCOPY a.txt /a.txt\n");
  tu_write_file (p2, "a.txt", "one\n");
  tu_result r;
  tu_sbx (&r, p2, "-q", "up", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_write_file (p2, "a.txt", "two\n");
  tu_sbx (&r, p2, "up", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "sbx swap") != NULL, "up tells about swap: %s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, p2, "exec", "--", "cat", "/a.txt", NULL);
  cr_assert_str_eq (r.out, "one\n", "up alone does not replace the container");
  tu_result_clear (&r);
  tu_sbx (&r, p2, "up", "--swap", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, p2, "exec", "--", "cat", "/a.txt", NULL);
  cr_assert_str_eq (r.out, "two\n", "up --swap updated it");
  tu_result_clear (&r);
  tu_sbx (&r, p2, "up", NULL);
  cr_assert (strstr (r.err, "sbx swap") == NULL, "fresh now: %s", r.err);
  tu_result_clear (&r);
  tu_down (p2);
  tu_rmrf (p2);
  free (p2);
}
