/* test_select.c: backend selection with injected probes: every row of the
   table in DESIGN.md, on Linux and macOS, with and without --fallback, and
   the reason of every outcome. */
#include <criterion/criterion.h>
#include <string.h>

#include "select.h"
#include "util.h"

static sbx_probes
linux_all (void)
{
  sbx_probes p = { .os = SBX_OS_LINUX, .landlock_abi = 7, .seccomp = true, .bwrap = true,
                   .bwrap_probed = true, .nsjail = true, .engine = true, .engine_probed = true,
                   .runsc = true };
  return p;
}

static sbx_probes
linux_none (void)
{
  sbx_probes p = { .os = SBX_OS_LINUX, .bwrap_probed = true, .engine_probed = true };
  strcpy (p.bwrap_error, "bwrap cannot create a sandbox here: No permissions to create new namespace");
  strcpy (p.engine_error, "cannot reach the Docker engine at unix:///var/run/docker.sock");
  return p;
}

static sbx_selection
pick (sbx_level level, const sbx_probes *p)
{
  sbx_selection s;
  sbx_error *err = NULL;
  int r = sbx_select (level, p, false, &s, &err);
  cr_assert_eq (r, 0, "level %s unexpectedly unavailable: %s", sbx_level_name (level),
                err ? err->msg : "");
  cr_assert_not (s.fallback);
  cr_assert_eq (s.level, level);
  cr_assert_gt (strlen (s.reason), 0, "no reason");
  return s;
}

/* The level is refused; the error names the level and says why. */
static char *
refuse (sbx_level level, const sbx_probes *p)
{
  sbx_selection s;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_select (level, p, false, &s, &err), -1, "level %s should be refused",
                sbx_level_name (level));
  cr_assert_not_null (err);
  cr_assert_eq (err->code, SBX_ERR_UNAVAILABLE);
  cr_assert_not_null (strstr (err->msg, sbx_level_name (level)), "%s", err->msg);
  cr_assert_not_null (strstr (err->msg, "--fallback"), "%s", err->msg);
  char *msg = strdup (err->msg);
  sbx_error_free (err);
  return msg;
}

static sbx_selection
fallback (sbx_level level, const sbx_probes *p)
{
  sbx_selection s;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_select (level, p, true, &s, &err), 0, "%s", err ? err->msg : "");
  return s;
}

Test (select, off_is_always_none)
{
  sbx_probes all = linux_all (), none = linux_none ();
  sbx_selection s = pick (SBX_LEVEL_OFF, &all);
  cr_expect_eq (s.backend, SBX_BACKEND_NONE);
  cr_expect_not_null (strstr (s.reason, "unconfined"));
  s = pick (SBX_LEVEL_OFF, &none);
  cr_expect_eq (s.backend, SBX_BACKEND_NONE);
}

Test (select, default_prefers_landlock)
{
  sbx_probes p = linux_all ();
  sbx_selection s = pick (SBX_LEVEL_DEFAULT, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_LANDLOCK);
  cr_expect_str_eq (sbx_selection_backend_name (&s), "landlock+seccomp");
  cr_expect_not_null (strstr (s.reason, "Landlock ABI 7"), "%s", s.reason);
  cr_expect_not_null (strstr (s.reason, "signals scoped"), "%s", s.reason);

  p.landlock_abi = 4;
  s = pick (SBX_LEVEL_DEFAULT, &p);
  cr_expect_not_null (strstr (s.reason, "Landlock ABI 4 (files and TCP)"), "%s", s.reason);
  p.landlock_abi = 1;
  s = pick (SBX_LEVEL_DEFAULT, &p);
  cr_expect_not_null (strstr (s.reason, "network off enforced by seccomp"), "%s", s.reason);
}

Test (select, default_chain)
{
  sbx_probes p = linux_all ();
  p.landlock_abi = 0;
  sbx_selection s = pick (SBX_LEVEL_DEFAULT, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_NSJAIL);
  cr_expect (s.seccomp);
  cr_expect_str_eq (sbx_selection_backend_name (&s), "nsjail+seccomp");
  cr_expect_not_null (strstr (s.reason, "no Landlock"), "%s", s.reason);

  p.nsjail = false;
  s = pick (SBX_LEVEL_DEFAULT, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_BWRAP);
  cr_expect_str_eq (sbx_selection_backend_name (&s), "bwrap+seccomp");
  cr_expect_not_null (strstr (s.reason, "nsjail not installed"), "%s", s.reason);

  /* Landlock without seccomp is not the default level either. */
  p.landlock_abi = 7;
  p.seccomp = false;
  s = pick (SBX_LEVEL_DEFAULT, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_BWRAP);
  cr_expect_not (s.seccomp);
  cr_expect_str_eq (sbx_selection_backend_name (&s), "bwrap");
  cr_expect_not_null (strstr (s.reason, "no seccomp"), "%s", s.reason);

  p.bwrap = false;
  strcpy (p.bwrap_error, "bwrap is not installed (no bwrap in $PATH)");
  s = pick (SBX_LEVEL_DEFAULT, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_DOCKER);
  cr_expect_not_null (strstr (s.reason, "bwrap is not installed"), "%s", s.reason);
  cr_expect_not_null (strstr (s.reason, "Docker container"), "%s", s.reason);

  p.engine = false;
  strcpy (p.engine_error, "connection refused");
  _cleanup_free_ char *msg = refuse (SBX_LEVEL_DEFAULT, &p);
  cr_expect_not_null (strstr (msg, "connection refused"), "%s", msg);
  cr_expect_not_null (strstr (msg, "bwrap is not installed"), "%s", msg);
  cr_expect_not_null (strstr (msg, "no seccomp"), "%s", msg);

  s = fallback (SBX_LEVEL_DEFAULT, &p);
  cr_expect (s.fallback);
  cr_expect_eq (s.level, SBX_LEVEL_OFF);
  cr_expect_eq (s.backend, SBX_BACKEND_NONE);
  cr_expect_not_null (strstr (s.reason, "--fallback: level off instead"), "%s", s.reason);
}

Test (select, enhanced_prefers_namespaces)
{
  sbx_probes p = linux_all ();
  sbx_selection s = pick (SBX_LEVEL_ENHANCED, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_NSJAIL);
  cr_expect (s.seccomp);
  cr_expect_not_null (strstr (s.reason, "nsjail (namespaces) + seccomp"), "%s", s.reason);

  p.nsjail = false;
  s = pick (SBX_LEVEL_ENHANCED, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_BWRAP);
  cr_expect (s.seccomp);
  cr_expect_not_null (strstr (s.reason, "bwrap (namespaces) + seccomp"), "%s", s.reason);

  p.bwrap = false;
  strcpy (p.bwrap_error, "bwrap cannot create a sandbox here: setting up uid map: Permission denied");
  s = pick (SBX_LEVEL_ENHANCED, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_LANDLOCK);
  cr_expect_not_null (strstr (s.reason, "uid map"), "%s", s.reason);
  cr_expect_not_null (strstr (s.reason, "second choice"), "%s", s.reason);
}

Test (select, enhanced_refused_and_fallback)
{
  sbx_probes p = linux_none ();
  p.landlock_abi = 7; /* Landlock without seccomp: not enough */
  _cleanup_free_ char *msg = refuse (SBX_LEVEL_ENHANCED, &p);
  cr_expect_not_null (strstr (msg, "no seccomp"), "%s", msg);

  /* Namespaces without seccomp do not make the enhanced level. */
  p.bwrap = true;
  free (msg);
  msg = refuse (SBX_LEVEL_ENHANCED, &p);
  sbx_selection s = fallback (SBX_LEVEL_ENHANCED, &p);
  cr_expect (s.fallback);
  cr_expect_eq (s.requested, SBX_LEVEL_ENHANCED);
  cr_expect_eq (s.level, SBX_LEVEL_DEFAULT);
  cr_expect_eq (s.backend, SBX_BACKEND_BWRAP);
  cr_expect_not_null (strstr (s.reason, "--fallback: level default instead"), "%s", s.reason);

  p = linux_none ();
  p.seccomp = true;
  free (msg);
  msg = refuse (SBX_LEVEL_ENHANCED, &p);
  cr_expect_not_null (strstr (msg, "No permissions to create new namespace"), "%s", msg);
  cr_expect_not_null (strstr (msg, "no Landlock"), "%s", msg);
}

Test (select, container)
{
  sbx_probes p = linux_all ();
  sbx_selection s = pick (SBX_LEVEL_CONTAINER, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_DOCKER);
  cr_expect_not_null (strstr (s.reason, "hardened Docker container"), "%s", s.reason);

  p.engine = false;
  strcpy (p.engine_error, "connection refused");
  _cleanup_free_ char *msg = refuse (SBX_LEVEL_CONTAINER, &p);
  cr_expect_not_null (strstr (msg, "connection refused"), "%s", msg);
  s = fallback (SBX_LEVEL_CONTAINER, &p);
  cr_expect_eq (s.level, SBX_LEVEL_ENHANCED);
  cr_expect_eq (s.backend, SBX_BACKEND_NSJAIL);
  cr_expect_not_null (strstr (s.reason, "--fallback: level enhanced instead"), "%s", s.reason);

  p.engine_probed = false;
  p.engine_error[0] = '\0';
  free (msg);
  msg = refuse (SBX_LEVEL_CONTAINER, &p);
  cr_expect_not_null (strstr (msg, "not asked"), "%s", msg);
}

Test (select, maximum)
{
  sbx_probes p = linux_all ();
  sbx_selection s = pick (SBX_LEVEL_MAXIMUM, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_DOCKER_RUNSC);
  cr_expect_str_eq (sbx_selection_backend_name (&s), "docker+runsc");
  cr_expect_not_null (strstr (s.reason, "gVisor"), "%s", s.reason);

  p.runsc = false;
  _cleanup_free_ char *msg = refuse (SBX_LEVEL_MAXIMUM, &p);
  cr_expect_not_null (strstr (msg, "does not list runsc"), "%s", msg);
  s = fallback (SBX_LEVEL_MAXIMUM, &p);
  cr_expect_eq (s.level, SBX_LEVEL_CONTAINER);
  cr_expect_eq (s.backend, SBX_BACKEND_DOCKER);
  cr_expect_not_null (strstr (s.reason, "--fallback: level container instead"), "%s", s.reason);

  p.engine = false;
  free (msg);
  msg = refuse (SBX_LEVEL_MAXIMUM, &p);
  cr_expect_not_null (strstr (msg, "not reachable"), "%s", msg);

  /* Nothing at all: maximum falls all the way to off, and says so. */
  sbx_probes n = linux_none ();
  s = fallback (SBX_LEVEL_MAXIMUM, &n);
  cr_expect_eq (s.level, SBX_LEVEL_OFF);
  cr_expect_not_null (strstr (s.reason, "maximum needs"), "%s", s.reason);
}

Test (select, macos_column)
{
  sbx_probes p = { .os = SBX_OS_MACOS, .seatbelt = true, .engine = true, .engine_probed = true };
  sbx_selection s = pick (SBX_LEVEL_DEFAULT, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_SEATBELT);
  cr_expect_not (s.strict);
  cr_expect_str_eq (sbx_selection_backend_name (&s), "seatbelt-workspace");
  cr_expect_not_null (strstr (s.reason, "workspace profile"), "%s", s.reason);
  s = pick (SBX_LEVEL_ENHANCED, &p);
  cr_expect (s.strict);
  cr_expect_str_eq (sbx_selection_backend_name (&s), "seatbelt-strict");
  cr_expect_not_null (strstr (s.reason, "strict profile"), "%s", s.reason);
  s = pick (SBX_LEVEL_CONTAINER, &p);
  cr_expect_eq (s.backend, SBX_BACKEND_DOCKER);
  _cleanup_free_ char *msg = refuse (SBX_LEVEL_MAXIMUM, &p);
  cr_expect_not_null (strstr (msg, "runsc"), "%s", msg);

  p.seatbelt = false;
  free (msg);
  msg = refuse (SBX_LEVEL_DEFAULT, &p);
  cr_expect_not_null (strstr (msg, "sandbox-exec"), "%s", msg);
  free (msg);
  msg = refuse (SBX_LEVEL_ENHANCED, &p);
  cr_expect_not_null (strstr (msg, "sandbox-exec"), "%s", msg);
  /* Linux probes do not leak into the macOS column. */
  p.landlock_abi = 7;
  p.seccomp = true;
  p.bwrap = true;
  free (msg);
  msg = refuse (SBX_LEVEL_DEFAULT, &p);
}

Test (select, needs)
{
  sbx_probes p = linux_all ();
  cr_expect_not (sbx_select_needs_bwrap (SBX_LEVEL_DEFAULT, &p, false));
  cr_expect_not (sbx_select_needs_engine (SBX_LEVEL_DEFAULT, &p, false));
  p.nsjail = false;
  cr_expect (sbx_select_needs_bwrap (SBX_LEVEL_ENHANCED, &p, false));
  cr_expect (sbx_select_needs_engine (SBX_LEVEL_CONTAINER, &p, false));
  cr_expect_not (sbx_select_needs_bwrap (SBX_LEVEL_OFF, &p, true));
  p.landlock_abi = 0;
  cr_expect (sbx_select_needs_bwrap (SBX_LEVEL_DEFAULT, &p, false));
  p.bwrap = false;
  cr_expect (sbx_select_needs_engine (SBX_LEVEL_DEFAULT, &p, false));
}

Test (select, unknown_level)
{
  sbx_probes p = linux_all ();
  sbx_selection s;
  sbx_error *err = NULL;
  cr_expect_eq (sbx_select ((sbx_level) 42, &p, true, &s, &err), -1);
  cr_expect_eq (err->code, SBX_ERR_INVALID);
  sbx_error_free (err);
}

Test (select, host_report)
{
  sbx_probes p = linux_all ();
  p.runsc = false;
  json_t *r = sbx_host_report (&p);
  cr_assert_not_null (r);
  json_t *probes = json_object_get (r, "probes");
  cr_expect_eq (json_integer_value (json_object_get (probes, "landlock_abi")), 7);
  cr_expect (json_is_true (json_object_get (probes, "seccomp")));
  cr_expect (json_is_false (json_object_get (probes, "runsc")));
  json_t *levels = json_object_get (r, "levels");
  const char *names[] = { "off", "default", "enhanced", "container", "maximum" };
  for (size_t i = 0; i < 5; i++)
    {
      json_t *l = json_object_get (levels, names[i]);
      cr_assert_not_null (l, "level %s missing", names[i]);
      cr_expect (json_is_string (json_object_get (l, "reason")));
      cr_expect (json_is_boolean (json_object_get (l, "available")));
    }
  cr_expect_str_eq (json_string_value (json_object_get (json_object_get (levels, "default"),
                                                        "backend")),
                    "landlock+seccomp");
  json_t *max = json_object_get (levels, "maximum");
  cr_expect (json_is_false (json_object_get (max, "available")));
  cr_expect (json_is_null (json_object_get (max, "backend")));
  json_t *fb = json_object_get (max, "fallback");
  cr_assert_not_null (fb);
  cr_expect_str_eq (json_string_value (json_object_get (fb, "level")), "container");
  json_decref (r);
}

/* maximum's runtime: the program the engine runs for it, not its name. */
Test (select, gvisor_runtime_by_path)
{
  json_error_t je;
  _cleanup_json_ json_t *info = json_loads (
      "{\"Runtimes\": {\"runc\": {\"path\": \"runc\"},"
      " \"runsc\": {\"path\": \"/usr/bin/runsc\", \"runtimeArgs\": [\"--network=host\"]},"
      " \"runsc-nonet\": {\"path\": \"/usr/local/bin/runsc\"},"
      " \"fake\": {\"path\": \"/usr/bin/runc\"},"
      " \"shim\": {\"runtimeType\": \"io.containerd.runsc.v1\"},"
      " \"notgvisor\": {\"path\": \"/opt/runscx\"}}}",
      0, &je);
  cr_assert_not_null (info);
  cr_expect (sbx_runtime_is_gvisor (info, "runsc", NULL));
  cr_expect (sbx_runtime_is_gvisor (info, "runsc-nonet", NULL));
  cr_expect (sbx_runtime_is_gvisor (info, "shim", NULL));
  char *why = NULL;
  cr_expect_not (sbx_runtime_is_gvisor (info, "runc", &why));
  cr_expect_not_null (why && strstr (why, "runs runc"), "%s", why);
  free (why);
  cr_expect_not (sbx_runtime_is_gvisor (info, "fake", NULL), "a name is not believed");
  cr_expect_not (sbx_runtime_is_gvisor (info, "notgvisor", NULL));
  cr_expect_not (sbx_runtime_is_gvisor (info, "missing", &why));
  cr_expect_not_null (why && strstr (why, "no runtime 'missing'"), "%s", why);
  free (why);
}
