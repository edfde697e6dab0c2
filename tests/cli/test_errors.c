/* Bad input and faults at the CLI: one clear line, exit 125, quickly. */
#include <criterion/criterion.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/syscall.h>

#include "engine/engine.h"
#include "testutil.h"
#include "util.h"

static bool
one_line (const char *s)
{
  const char *nl = strchr (s, '\n');
  return nl && nl[1] == '\0';
}

TestSuite (errors, .timeout = 120);

Test (errors, engine_unreachable_is_one_line_under_a_second)
{
  char *proj = tu_mkproject ();
  const char *hosts[] = { "DOCKER_HOST=unix:///tmp/sbx-no-engine.sock", "DOCKER_HOST=tcp://127.0.0.1:1" };
  const char *addr[] = { "unix:///tmp/sbx-no-engine.sock", "tcp://127.0.0.1:1" };
  for (int i = 0; i < 2; i++)
    {
      char *env[] = { (char *) hosts[i], NULL };
      const char *verbs[][4] = { { "exec", "--", "true", NULL }, { "up", "--image", TU_IMAGE, NULL },
                                 { "ps", NULL }, { "version", NULL } };
      for (int v = 0; v < 4; v++)
        {
          tu_result r;
          tu_sbx_env (&r, proj, env, verbs[v][0], verbs[v][1], verbs[v][2], verbs[v][3], NULL);
          cr_assert_eq (r.status, 125, "%s %s: %d %s", hosts[i], verbs[v][0], r.status, r.err);
          cr_assert (strstr (r.err, addr[i]) != NULL, "names the address: %s", r.err);
          cr_assert (strstr (r.err, "sbx: cannot reach the Docker engine") != NULL, "%s", r.err);
          /* At once, not after a connect timeout (room for a loaded machine). */
          cr_assert_lt (r.seconds, 5.0, "%s took %.2fs", verbs[v][0], r.seconds);
          if (strcmp (verbs[v][0], "version") != 0)
            cr_assert (one_line (r.err), "one line: %s", r.err);
          tu_result_clear (&r);
        }
    }
  tu_rmrf (proj);
  free (proj);
}

Test (errors, bad_docker_host_value)
{
  char *env[] = { "DOCKER_HOST=ssh://me@host", NULL };
  tu_result r;
  tu_sbx_env (&r, NULL, env, "ps", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, "ssh://me@host") != NULL && one_line (r.err), "%s", r.err);
  tu_result_clear (&r);
}

Test (errors, unknown_command_and_flags)
{
  tu_result r;
  tu_sbx (&r, NULL, "frobnicate", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, "frobnicate") != NULL && one_line (r.err), "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, NULL, "exec", "--bogus", "--", "true", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, "--bogus") != NULL && one_line (r.err), "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, NULL, "--bogus-global", "ps", NULL);
  cr_assert_eq (r.status, 125);
  tu_result_clear (&r);
  tu_sbx (&r, NULL, "exec", "--timeout", "soon", "--", "true", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, "soon") != NULL && one_line (r.err), "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, NULL, "up", "--isolation", "extreme", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, "extreme") != NULL, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, NULL, "exec", NULL);
  cr_assert_eq (r.status, 125, "exec without a command");
  tu_result_clear (&r);
  tu_sbx (&r, NULL, "exec", "-e", "=x", "--", "true", NULL);
  cr_assert_eq (r.status, 125, "an environment entry without a name");
  cr_assert (strstr (r.err, "'=x'") != NULL && one_line (r.err), "%s", r.err);
  tu_result_clear (&r);
}

Test (errors, every_verb_has_help)
{
  const char *verbs[] = { "version", "doctor", "devenv", "up", "exec", "shell", "swap",
                          "down", "ps", "gc", "run", "profile" };
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    {
      tu_result r;
      tu_sbx (&r, NULL, verbs[i], "--help", NULL);
      cr_assert_eq (r.status, 0, "%s --help: %s", verbs[i], r.err);
      cr_assert (strstr (r.out, "usage: sbx") != NULL, "%s --help: %s", verbs[i], r.out);
      tu_result_clear (&r);
    }
}

Test (errors, engine_errors_quote_the_engine)
{
  char *proj = tu_mkproject ();
  tu_result r;
  tu_sbx (&r, proj, "up", "--image", "sbx-test/no-such-image:nope", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, "No such image") != NULL && one_line (r.err), "%s", r.err);
  tu_result_clear (&r);

  /* A foreign container holding the project's name. */
  tu_sbx (&r, proj, "--json", "up", "--image", TU_IMAGE, NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  json_t *o = json_loads (r.out, 0, NULL);
  _cleanup_free_ char *name = xstrdup (json_string_value (json_object_get (o, "container")));
  json_decref (o);
  tu_result_clear (&r);
  tu_down (proj);
  engine_client *c = tu_engine ();
  sbx_error *err = NULL;
  json_t *cfg = json_pack ("{s:s,s:[s,s]}", "Image", TU_IMAGE, "Cmd", "sleep", "60");
  char *id = NULL;
  cr_assert_eq (engine_container_create (c, name, cfg, &id, &err), 0);
  json_decref (cfg);
  tu_sbx (&r, proj, "exec", "--", "true", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert (strstr (r.err, name) != NULL && strstr (r.err, "remove or rename") != NULL, "%s", r.err);
  tu_result_clear (&r);
  engine_container_remove (c, id, true, NULL);
  free (id);
  engine_client_free (c);
  tu_rmrf (proj);
  free (proj);
}

Test (errors, doctor_tells_the_truth)
{
  tu_result r;
  tu_sbx (&r, NULL, "--json", "doctor", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  json_t *o = json_loads (r.out, 0, NULL);
  cr_assert_not_null (o, "%s", r.out);
  json_t *eng = json_object_get (o, "engine");
  cr_assert (json_is_true (json_object_get (eng, "reachable")));
  bool runsc = false;
  size_t i;
  json_t *rt;
  json_array_foreach (json_object_get (eng, "runtimes"), i, rt)
    if (strcmp (json_string_value (json_object_get (rt, "name")), "runsc") == 0)
      runsc = json_is_true (json_object_get (rt, "gvisor"));
  cr_assert (runsc, "runsc listed as gVisor: %s", r.out);
  json_t *probes = json_object_get (json_object_get (o, "host"), "probes");
  long abi = syscall (SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  cr_assert_eq (json_integer_value (json_object_get (probes, "landlock_abi")), abi < 0 ? 0 : abi);
  json_t *levels = json_object_get (json_object_get (o, "host"), "levels");
  cr_assert_str_eq (json_string_value (json_object_get (json_object_get (levels, "maximum"), "backend")),
                    "docker+runsc");
  cr_assert_str_eq (json_string_value (json_object_get (json_object_get (levels, "container"), "backend")),
                    "docker");
  /* The guarantees table: off gives none; on this kernel (Landlock ABI >= 6,
     seccomp user notification, a mount namespace for root) every level but
     off gives every row, and says by what. */
  json_t *g = json_object_get (json_object_get (o, "host"), "guarantees");
  cr_assert_geq (json_object_size (g), 12, "%s", r.out);
  const char *name;
  json_t *row;
  json_object_foreach (g, name, row)
    {
      cr_assert (json_is_false (json_object_get (json_object_get (row, "off"), "given")), "%s", name);
      const char *lv[] = { "default", "enhanced", "container", "maximum" };
      for (size_t k = 0; k < 4; k++)
        {
          json_t *cell = json_object_get (row, lv[k]);
          cr_assert (json_is_true (json_object_get (cell, "given")), "%s at %s: %s", name, lv[k],
                     json_string_value (json_object_get (cell, "how")));
          cr_assert_gt (strlen (json_string_value (json_object_get (cell, "how"))), 0);
        }
    }
  json_decref (o);
  tu_result_clear (&r);

  /* Unreachable engine: doctor still reports, and says so. */
  char *env[] = { "DOCKER_HOST=unix:///tmp/sbx-no-engine.sock", NULL };
  tu_sbx_env (&r, NULL, env, "--json", "doctor", NULL);
  cr_assert_eq (r.status, 0);
  o = json_loads (r.out, 0, NULL);
  cr_assert (json_is_false (json_object_get (json_object_get (o, "engine"), "reachable")));
  levels = json_object_get (json_object_get (o, "host"), "levels");
  cr_assert (json_is_null (json_object_get (json_object_get (levels, "container"), "backend")),
             "container level unavailable without an engine: %s", r.out);
  json_decref (o);
  tu_result_clear (&r);
}
