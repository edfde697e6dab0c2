/* An engine that misbehaves on purpose: each verb (exec on both paths,
   devenv build, up, swap, down, ps) run through tests/faults/faultproxy.py,
   which stands between sbx and the real dockerd and breaks the answer to
   one kind of request (the connection dropped at byte N, a stall, HTTP 500
   or 503, bytes that are not HTTP, a chunk cut short, an HTTP/1.0 answer
   that ends with the connection).  For each: sbx ends within the bound
   with one clear error line and exit 125 (or succeeds where the answer,
   though odd, is whole), and the same verb run again without the fault
   repairs what was left: no orphan container, no stale lock, no tag on an
   incomplete image. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"
#include "testutil.h"
#include "util.h"

TestSuite (engine_faults, .timeout = 240);

typedef enum
{
  V_EXEC,
  V_BUILD,
  V_UP,
  V_SWAP,
  V_DOWN,
  V_PS
} verb;

static const char *const verb_names[] = { "exec", "build", "up", "swap", "down", "ps" };

typedef struct fault_case
{
  verb v;
  bool no_agent; /* exec through the engine's exec API */
  char fault[16];
  char match[96]; /* a regex on the request path, or "" */
  char method[8]; /* "" any */
  int expect;     /* the exit status */
} fault_case;

#define EXEC_START "^/exec/[^/]+/start"
#define CREATE_MAIN "^/containers/create\\?name=sbx-sbx-test-[a-z0-9]+-[0-9a-f]+$"
#define CREATE_USERS "^/containers/create\\?name=sbx-users-"
#define CREATE_NEXT "^/containers/create\\?name=.*-next-"

static fault_case cases[] = {
  /* exec through the agent: only the container's inspect reaches the engine */
  { V_EXEC, false, "500", "^/containers/sbx-", "GET", 125 },
  { V_EXEC, false, "drop:0", "^/containers/sbx-", "GET", 125 },
  { V_EXEC, false, "garbage", "^/_ping", "", 125 },
  { V_EXEC, false, "stall:8", "^/_ping", "", 125 }, /* longer than the ping's bound */
  /* exec through the engine's exec API */
  { V_EXEC, true, "drop:0", EXEC_START, "", 125 },
  { V_EXEC, true, "drop:120", EXEC_START, "", 125 },
  { V_EXEC, true, "500", EXEC_START, "", 125 },
  { V_EXEC, true, "503", "^/containers/[^/]+/exec$", "", 125 },
  { V_EXEC, true, "garbage", EXEC_START, "", 125 },
  { V_EXEC, true, "chunk", EXEC_START, "", 125 },
  { V_EXEC, true, "chunk", "^/exec/[^/]+/json", "", 125 },
  { V_EXEC, true, "http10", EXEC_START, "", 0 },
  { V_EXEC, true, "stall:3", EXEC_START, "", 0 },
  /* devenv build */
  { V_BUILD, false, "drop:0", "^/build", "", 125 },
  { V_BUILD, false, "drop:300", "^/build", "", 125 },
  { V_BUILD, false, "500", "^/build", "", 125 },
  { V_BUILD, false, "503", "^/images/.*/json", "", 125 },
  { V_BUILD, false, "garbage", "^/build", "", 125 },
  { V_BUILD, false, "chunk", "^/build", "", 125 },
  { V_BUILD, false, "http10", "^/build", "", 0 },
  { V_BUILD, false, "stall:3", "^/build", "", 0 },
  /* up (the image is built already) */
  { V_UP, false, "drop:0", CREATE_MAIN, "", 125 },
  { V_UP, false, "drop:0", CREATE_USERS, "", 125 },
  { V_UP, false, "500", "^/containers/[^/]+/start", "", 125 },
  { V_UP, false, "503", "^/volumes/create", "", 125 },
  { V_UP, false, "garbage", "^/containers/json", "", 125 },
  { V_UP, false, "chunk", "^/containers/create", "", 125 },
  { V_UP, false, "http10", "^/containers/", "", 0 },
  /* swap (the Dockerfile changed: a build, then a new container) */
  { V_SWAP, false, "drop:0", CREATE_NEXT, "", 125 },
  { V_SWAP, false, "500", "^/containers/[^/]+/start", "", 125 },
  { V_SWAP, false, "500", "^/containers/[^/]+/rename", "", 125 },
  { V_SWAP, false, "drop:0", "^/containers/[^/]+/rename", "", 125 },
  { V_SWAP, false, "garbage", "^/build", "", 125 },
  /* down */
  { V_DOWN, false, "500", "^/containers/[^/?]+\\?", "DELETE", 125 },
  { V_DOWN, false, "drop:0", "^/containers/[^/?]+\\?", "DELETE", 125 },
  { V_DOWN, false, "chunk", "^/containers/json", "", 125 },
  /* ps */
  { V_PS, false, "500", "^/containers/json", "", 125 },
  { V_PS, false, "drop:40", "^/containers/json", "", 125 },
  { V_PS, false, "garbage", "^/containers/json", "", 125 },
  { V_PS, false, "chunk", "^/containers/json", "", 125 },
  { V_PS, false, "http10", "^/containers/json", "", 0 },
};

ParameterizedTestParameters (engine_faults, matrix)
{
  return cr_make_param_array (fault_case, cases, sizeof cases / sizeof cases[0]);
}

/* ---- running sbx ---- */

static void
run_sbx (tu_result *r, const char *proj, const fp_proxy *px, bool no_agent, char *const *args)
{
  char *argv[16];
  int n = 0;
  argv[n++] = (char *) TU_SBX;
  for (; *args && n < 15; args++)
    argv[n++] = *args;
  argv[n] = NULL;
  _cleanup_free_ char *host = xasprintf ("DOCKER_HOST=unix://%s", px->sock);
  char *env[] = { host, no_agent ? "SBX_NO_AGENT=1" : "SBX_NO_AGENT=", NULL };
  tu_run (r, proj, env, NULL, FP_HANG_S, argv);
}

static void
sbx_ok (const char *proj, const fp_proxy *px, char *const *args, const char *what)
{
  tu_result r;
  run_sbx (&r, proj, px, false, args);
  cr_assert_eq (r.status, 0, "%s: exit %d: %s", what, r.status, r.err);
  tu_result_clear (&r);
}

static char *const *
verb_args (verb v)
{
  static char *exec_a[] = { "exec", "--", "sh", "-c", "echo out-marker", NULL };
  static char *build_a[] = { "devenv", "build", NULL };
  static char *up_a[] = { "up", NULL };
  static char *swap_a[] = { "swap", NULL };
  static char *down_a[] = { "down", NULL };
  static char *ps_a[] = { "ps", NULL };
  char *const *all[] = { exec_a, build_a, up_a, swap_a, down_a, ps_a };
  return all[v];
}

/* ---- the state the next command must leave ---- */

static void
check_repaired (engine_client *c, const char *proj, verb v)
{
  _cleanup_free_ char *label = xasprintf ("dev.sbx.project=%s", proj);
  json_t *list = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (engine_container_list (c, label, true, &list, &err), 0, "%s", err ? err->msg : "");
  size_t want = (v == V_EXEC || v == V_UP || v == V_SWAP) ? 1 : 0;
  _cleanup_free_ char *names = xstrdup ("");
  size_t i;
  json_t *ctr;
  json_array_foreach (list, i, ctr)
  {
    const char *name = json_string_value (json_array_get (json_object_get (ctr, "Names"), 0));
    char *more
        = xasprintf ("%s %s(%s)", names, name, json_string_value (json_object_get (ctr, "State")));
    free (names);
    names = more;
  }
  cr_assert_eq (json_array_size (list), want, "containers of the project after the repair: %s",
                names);
  if (want)
    {
      ctr = json_array_get (list, 0);
      const char *name = json_string_value (json_array_get (json_object_get (ctr, "Names"), 0));
      cr_assert (strstr (name, "-next-") == NULL && strstr (name, "-old-") == NULL, "%s", name);
      cr_assert_str_eq (json_string_value (json_object_get (ctr, "State")), "running", "%s", names);
    }
  json_decref (list);
  fp_check_tags (c, proj);
}

/* ---- the matrix ---- */

/* Also when the test fails half-way: the proxy does not stay. */
static fp_proxy px;

static void
cleanup (void)
{
  fp_dir_clear (&px);
}

ParameterizedTest (fault_case *fc, engine_faults, matrix, .fini = cleanup)
{
  _cleanup_free_ char *proj = tu_mkproject ();
  _cleanup_free_ char *df = xasprintf ("FROM " TU_IMAGE "\nRUN echo %s > /built\n", proj);
  tu_write_file (proj, "Dockerfile", df);
  engine_client *c = tu_engine ();
  fp_dir_init (&px);

  /* Before: the state the verb starts from, through a faithful proxy. */
  fp_start (&px, "none", NULL, NULL);
  static char *build_a[] = { "devenv", "build", NULL };
  static char *up_a[] = { "up", NULL };
  if (fc->v == V_UP)
    sbx_ok (proj, &px, build_a, "devenv build before");
  if (fc->v == V_EXEC || fc->v == V_SWAP || fc->v == V_DOWN)
    sbx_ok (proj, &px, up_a, "up before");
  if (fc->v == V_SWAP)
    tu_write_file (proj, "Dockerfile", "FROM " TU_IMAGE "\nLABEL swapped=yes\n");
  fp_stop (&px);

  /* The fault. */
  fp_start (&px, fc->fault, *fc->match ? fc->match : NULL, *fc->method ? fc->method : NULL);
  tu_result r;
  run_sbx (&r, proj, &px, fc->no_agent, verb_args (fc->v));
  int hits = fp_hits (&px);
  fp_stop (&px);
  const char *what = verb_names[fc->v];
  cr_assert_gt (hits, 0, "%s: the fault %s on %s never applied; requests:\n%s", what, fc->fault,
                fc->match, px.log_text);
  cr_assert_neq (r.status, 137, "%s under %s on %s: no end within %d s; stderr: %s", what,
                 fc->fault, fc->match, FP_HANG_S, r.err);
  cr_assert_eq (r.status, fc->expect, "%s under %s on %s: exit %d, want %d; stderr: %s", what,
                fc->fault, fc->match, r.status, fc->expect, r.err);
  if (fc->expect == 125)
    fp_check_error_line (r.err, px.sock);
  else if (fc->v == V_EXEC)
    cr_assert_str_eq (r.out, "out-marker\n", "stderr: %s", r.err);
  tu_result_clear (&r);

  /* The repair: the same verb without the fault. */
  fp_start (&px, "none", NULL, NULL);
  run_sbx (&r, proj, &px, fc->no_agent, verb_args (fc->v));
  cr_assert_eq (r.status, 0, "%s again after %s on %s: exit %d: %s", what, fc->fault, fc->match,
                r.status, r.err);
  if (fc->v == V_EXEC)
    cr_assert_str_eq (r.out, "out-marker\n");
  tu_result_clear (&r);
  check_repaired (c, proj, fc->v);

  static char *down_a[] = { "down", "--volumes", NULL };
  sbx_ok (proj, &px, down_a, "down at the end");
  fp_stop (&px);
  fp_remove_images (c, proj);
  engine_client_free (c);
  tu_rmrf (proj);
}
