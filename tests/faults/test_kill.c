/* dockerd killed (SIGKILL) in the middle of exec, devenv build, up and
   swap.  Each test starts a private engine of its own (scripts/engine-up
   --private: the shared one serves other tests and is never touched), with
   the fault proxy in front of it holding the answer to one request: once
   that request has reached the engine, dockerd is killed.  sbx ends within
   the bound with one clear line and exit 125; the engine restarted, the
   same verb repairs what was left; at the end no process of the private
   engine (containerd, shims) is left. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"
#include "testutil.h"
#include "util.h"

TestSuite (engine_kill, .timeout = 300);

typedef struct kill_case
{
  char verb[8];   /* exec, build, up, swap */
  bool no_agent;  /* exec through the engine's exec API */
  char match[64]; /* the request whose answer is held when dockerd dies */
} kill_case;

static kill_case cases[] = {
  { "exec", true, "^/exec/[^/]+/start" },
  { "build", false, "^/build" },
  { "up", false, "^/containers/[^/]+/start" },
  { "swap", false, "^/containers/[^/]+/start" },
};

ParameterizedTestParameters (engine_kill, mid_verb)
{
  return cr_make_param_array (kill_case, cases, sizeof cases / sizeof cases[0]);
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static char **
verb_argv (const char *verb)
{
  static char *exec_a[] = { TU_SBX, "exec", "--", "sh", "-c", "echo started; sleep 20", NULL };
  static char *build_a[] = { TU_SBX, "devenv", "build", NULL };
  static char *up_a[] = { TU_SBX, "up", NULL };
  static char *swap_a[] = { TU_SBX, "swap", NULL };
  if (strcmp (verb, "exec") == 0)
    return exec_a;
  if (strcmp (verb, "build") == 0)
    return build_a;
  return strcmp (verb, "up") == 0 ? up_a : swap_a;
}

/* sbx in the background: stdout and stderr to files. */
static pid_t
sbx_bg (const char *proj, char *const *env, char *const *argv, const char *out, const char *err)
{
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      int o = open (out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open (err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2 (o, 1);
      dup2 (e, 2);
      if (chdir (proj) < 0)
        _exit (121);
      const char *child_asan = getenv ("SBX_CHILD_ASAN_OPTIONS");
      if (child_asan && *child_asan)
        setenv ("ASAN_OPTIONS", child_asan, 1);
      for (char *const *p = env; *p; p++)
        putenv (*p);
      execv (argv[0], argv);
      _exit (122);
    }
  return pid;
}

static int
wait_bounded (pid_t pid, double limit_s)
{
  double end = now_s () + limit_s;
  int st;
  while (waitpid (pid, &st, WNOHANG) == 0)
    {
      if (now_s () > end)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &st, 0);
          break;
        }
      usleep (50 * 1000);
    }
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

static void
run_ok (const char *proj, char *const *env, char *const *argv, const char *what)
{
  tu_result r;
  tu_run (&r, proj, env, NULL, FP_HANG_S, argv);
  cr_assert_eq (r.status, 0, "%s: exit %d: %s", what, r.status, r.err);
  tu_result_clear (&r);
}

/* Also when the test fails half-way: nothing of the private engine stays. */
static fp_engine eng;
static fp_proxy px;

static void
cleanup (void)
{
  fp_dir_clear (&px);
  fp_engine_destroy (&eng);
}

ParameterizedTest (kill_case *kc, engine_kill, mid_verb, .fini = cleanup)
{
  fp_dir_init (&px);
  fp_engine_start (&eng);
  snprintf (px.upstream, sizeof px.upstream, "%s", eng.sock);
  _cleanup_free_ char *proj = tu_mkproject ();
  bool build = strcmp (kc->verb, "build") == 0;
  _cleanup_free_ char *df
      = build
            ? xasprintf ("FROM " TU_IMAGE "\nRUN echo building; sleep 8; echo %s > /built\n", proj)
            : xasprintf ("FROM " TU_IMAGE "\nLABEL project=%s\n", proj);
  tu_write_file (proj, "Dockerfile", df);
  _cleanup_free_ char *host = xasprintf ("DOCKER_HOST=unix://%s", px.sock);
  char *env[] = { host, kc->no_agent ? "SBX_NO_AGENT=1" : "SBX_NO_AGENT=", NULL };
  char *up_a[] = { TU_SBX, "up", NULL };
  char *build_a[] = { TU_SBX, "devenv", "build", NULL };

  /* Before. */
  fp_start (&px, "none", NULL, NULL);
  if (strcmp (kc->verb, "up") == 0)
    run_ok (proj, env, build_a, "devenv build before");
  else if (!build)
    run_ok (proj, env, up_a, "up before");
  if (strcmp (kc->verb, "swap") == 0)
    tu_write_file (proj, "Dockerfile", "FROM " TU_IMAGE "\nLABEL swapped=yes\n");
  fp_stop (&px);

  /* The verb; dockerd killed once the request is in. */
  fp_start (&px, "stall:30", kc->match, NULL);
  _cleanup_free_ char *out = xasprintf ("%s/out", px.dir);
  _cleanup_free_ char *err = xasprintf ("%s/err", px.dir);
  pid_t pid = sbx_bg (proj, env, verb_argv (kc->verb), out, err);
  double end = now_s () + FP_HANG_S;
  while (fp_hits (&px) == 0)
    {
      cr_assert (now_s () < end, "%s never made the request %s: %s", kc->verb, kc->match,
                 px.log_text);
      int st;
      cr_assert_eq (waitpid (pid, &st, WNOHANG), 0, "%s ended before the request %s: %s", kc->verb,
                    kc->match, px.log_text);
      usleep (50 * 1000);
    }
  usleep (300 * 1000); /* the engine is at work on it */
  fp_engine_kill (&eng);
  double t0 = now_s ();
  int status = wait_bounded (pid, FP_HANG_S);
  double took = now_s () - t0;
  fp_stop (&px);
  _cleanup_free_ char *err_text = tu_read_file (err);
  cr_assert_neq (status, 137, "%s: no end %d s after dockerd was killed; stderr: %s", kc->verb,
                 FP_HANG_S, err_text);
  cr_assert_eq (status, 125, "%s: exit %d after dockerd was killed; stderr: %s", kc->verb, status,
                err_text);
  fp_check_error_line (err_text, px.sock);
  cr_log_info ("%s: ended %.1f s after dockerd was killed: %s", kc->verb, took, err_text);

  /* dockerd back; the same verb repairs. */
  fp_engine_start (&eng);
  fp_start (&px, "none", NULL, NULL);
  char *const *again = verb_argv (kc->verb);
  char *exec_again[] = { TU_SBX, "exec", "--", "echo", "again", NULL };
  tu_result r;
  tu_run (&r, proj, env, NULL, FP_HANG_S,
          strcmp (kc->verb, "exec") == 0 ? exec_again : (char **) again);
  cr_assert_eq (r.status, 0, "%s after dockerd's restart: exit %d: %s", kc->verb, r.status, r.err);
  tu_result_clear (&r);

  engine_client *c = NULL;
  sbx_error *e = NULL;
  _cleanup_free_ char *direct = xasprintf ("unix://%s", eng.sock);
  cr_assert_eq (engine_client_new (direct, &c, &e), 0);
  _cleanup_free_ char *label = xasprintf ("dev.sbx.project=%s", proj);
  json_t *list = NULL;
  cr_assert_eq (engine_container_list (c, label, true, &list, &e), 0, "%s", e ? e->msg : "");
  size_t want = build ? 0 : 1;
  cr_assert_eq (json_array_size (list), want, "%s: %zu containers of the project after the repair",
                kc->verb, json_array_size (list));
  if (want)
    {
      json_t *ctr = json_array_get (list, 0);
      const char *name = json_string_value (json_array_get (json_object_get (ctr, "Names"), 0));
      cr_assert (strstr (name, "-next-") == NULL && strstr (name, "-old-") == NULL, "%s", name);
      cr_assert_str_eq (json_string_value (json_object_get (ctr, "State")), "running");
    }
  json_decref (list);
  fp_check_tags (c, proj);
  engine_client_free (c);

  char *down_a[] = { TU_SBX, "down", "--volumes", NULL };
  run_ok (proj, env, down_a, "down at the end");
  tu_rmrf (proj);
}
