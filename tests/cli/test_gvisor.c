/* --isolation maximum: the project container on gVisor (runsc). */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/engine.h"
#include "testutil.h"
#include "util.h"

static char *proj;

/* On podman, which cannot give runsc, each test asserts sbx's error
   instead (tu_maximum_refused_on_podman). */
static void
setup (void)
{
  if (!tu_engine_is_podman ())
    proj = tu_project_up ("maximum");
}

static void
teardown (void)
{
  if (proj)
    tu_project_remove (proj);
}

TestSuite (gvisor, .init = setup, .fini = teardown, .timeout = 180);

Test (gvisor, runs_under_runsc)
{
  if (tu_maximum_refused_on_podman ())
    return;
  engine_client *c = tu_engine ();
  tu_result r;
  tu_sbx (&r, proj, "--json", "up", NULL);
  json_t *o = json_loads (r.out, 0, NULL);
  cr_assert_str_eq (json_string_value (json_object_get (o, "isolation")), "maximum");
  json_t *ins = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (engine_container_inspect (c, json_string_value (json_object_get (o, "id")), &ins, &err), 0);
  cr_assert_str_eq (json_string_value (json_object_get (json_object_get (ins, "HostConfig"), "Runtime")),
                    "runsc");
  json_decref (ins);
  json_decref (o);
  tu_result_clear (&r);
  /* The kernel the command sees is gVisor's. */
  tu_sbx (&r, proj, "exec", "--", "dmesg", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, "gVisor") != NULL, "dmesg: %s", r.out);
  tu_result_clear (&r);
  engine_client_free (c);
}

Test (gvisor, exec_streams_and_status)
{
  if (tu_maximum_refused_on_podman ())
    return;
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "sh", "-c", "echo out; echo err >&2; exit 7", NULL);
  cr_assert_eq (r.status, 7);
  cr_assert_str_eq (r.out, "out\n");
  cr_assert_str_eq (r.err, "err\n");
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "no-such-command", NULL);
  cr_assert_eq (r.status, 127);
  tu_result_clear (&r);
}

Test (gvisor, timeout_kills_inside)
{
  if (tu_maximum_refused_on_podman ())
    return;
  tu_result r;
  tu_sbx (&r, proj, "exec", "--timeout", "1s", "--", "sleep", "30", NULL);
  cr_assert_eq (r.status, 124);
  cr_assert_lt (r.seconds, 3.0);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "ps", "-o", "comm", NULL);
  cr_assert (strstr (r.out, "sleep") == NULL, "sleep survived: %s", r.out);
  tu_result_clear (&r);
}

Test (gvisor, swap_keeps_gvisor)
{
  if (tu_maximum_refused_on_podman ())
    return;
  tu_result r;
  tu_sbx (&r, proj, "swap", "--force", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "dmesg", NULL);
  cr_assert (strstr (r.out, "gVisor") != NULL, "still gVisor after swap: %s", r.out);
  tu_result_clear (&r);
}

Test (gvisor, missing_runtime_is_an_error_never_runc)
{
  char *p2 = tu_mkproject ();
  tu_result r;
  tu_sbx (&r, p2, "up", "--image", TU_IMAGE, "--isolation", "maximum", "--runtime", "no-such-gvisor",
          NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, "no-such-gvisor") != NULL, "%s", r.err);
  cr_assert (strchr (r.err, '\n') == r.err + r.err_len - 1, "one line: %s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, p2, "ps", NULL);
  cr_assert (strstr (r.out, p2) == NULL, "no container was created: %s", r.out);
  tu_result_clear (&r);
  tu_down (p2);
  tu_rmrf (p2);
  free (p2);
}
