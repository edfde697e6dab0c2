/* test_seatbelt.c: the generated SBPL profiles, compared with golden files
   under tests/golden/seatbelt/ (SBX_UPDATE_GOLDEN=1 rewrites them), and the
   properties a reviewer checks by eye. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "testutil.h"
#include "util.h"

#define GOLDEN_DIR SBX_SOURCE_DIR "/tests/golden/seatbelt"


static void
golden (const char *name, const host_policy *pol, host_seatbelt_mode mode)
{
  _cleanup_free_ char *profile = host_seatbelt_profile (pol, mode);
  _cleanup_free_ char *path = xasprintf ("%s/%s.sb", GOLDEN_DIR, name);
  if (getenv ("SBX_UPDATE_GOLDEN"))
    {
      FILE *f = fopen (path, "w");
      cr_assert_not_null (f, "cannot write %s", path);
      fputs (profile, f);
      fclose (f);
    }
  _cleanup_free_ char *want = tu_read_file (path);
  cr_assert_not_null (want, "golden file %s is missing (SBX_UPDATE_GOLDEN=1 creates it)", path);
  cr_expect_str_eq (profile, want, "profile %s differs from %s", name, path);
}

static char *ro[] = { "/Users/dev/sdk", NULL };
static char *rw[] = { "/Users/dev/.cache/build", NULL };

Test (seatbelt, golden_workspace)
{
  host_policy pol = { .project_dir = "/Users/dev/src/app", .allow_write = true };
  golden ("workspace", &pol, HOST_SEATBELT_WORKSPACE);
}

Test (seatbelt, golden_workspace_network)
{
  host_policy pol = { .project_dir = "/Users/dev/src/app", .allow_write = true,
                      .allow_network = true };
  golden ("workspace-network", &pol, HOST_SEATBELT_WORKSPACE);
}

Test (seatbelt, golden_workspace_dirs)
{
  host_policy pol = { .project_dir = "/Users/dev/src/app", .allow_write = true, .ro_dirs = ro,
                      .rw_dirs = rw };
  golden ("workspace-dirs", &pol, HOST_SEATBELT_WORKSPACE);
}

Test (seatbelt, golden_readonly_project)
{
  host_policy pol = { .project_dir = "/Users/dev/src/app", .allow_write = false };
  golden ("readonly-project", &pol, HOST_SEATBELT_WORKSPACE);
}

Test (seatbelt, golden_strict)
{
  host_policy pol = { .project_dir = "/Users/dev/src/app", .allow_write = true };
  golden ("strict", &pol, HOST_SEATBELT_STRICT);
}

Test (seatbelt, golden_strict_network_dirs)
{
  host_policy pol = { .project_dir = "/Users/dev/src/app", .allow_write = true,
                      .allow_network = true, .ro_dirs = ro, .rw_dirs = rw };
  golden ("strict-network-dirs", &pol, HOST_SEATBELT_STRICT);
}

Test (seatbelt, golden_quoting)
{
  host_policy pol = { .project_dir = "/Users/dev/my \"odd\" dir\\x", .allow_write = true };
  golden ("quoting", &pol, HOST_SEATBELT_WORKSPACE);
}

Test (seatbelt, properties)
{
  host_policy pol = { .project_dir = "/Users/dev/src/app", .allow_write = true };
  _cleanup_free_ char *off = host_seatbelt_profile (&pol, HOST_SEATBELT_WORKSPACE);
  cr_expect_not_null (strstr (off, "(deny default)"));
  cr_expect_null (strstr (off, "(allow network"), "network allowed while off");
  cr_expect_not_null (strstr (off, "(subpath \"/Users/dev/src/app\")"));
  cr_expect_not_null (strstr (off, "(path-literal \"/var/run/docker.sock\")"));

  pol.allow_network = true;
  _cleanup_free_ char *on = host_seatbelt_profile (&pol, HOST_SEATBELT_STRICT);
  char *allow = strstr (on, "(allow network*)");
  char *deny = strstr (on, "(deny network-outbound");
  cr_assert_not_null (allow);
  cr_assert_not_null (deny);
  /* SBPL: the last matching rule wins; the daemon socket deny must follow. */
  cr_expect_gt (deny, allow);
  cr_expect_not_null (strstr (deny, "docker.sock"));
}

Test (seatbelt, wrap_command)
{
  char **v = host_seatbelt_wrap_command (HOST_SEATBELT_WORKSPACE, "(version 1)", "make test");
  cr_assert_eq (strv_len (v), 6);
  cr_expect_str_eq (v[0], "sandbox-exec");
  cr_expect_str_eq (v[1], "-p");
  cr_expect_str_eq (v[2], "(version 1)");
  cr_expect_str_eq (v[3], "bash");
  cr_expect_str_eq (v[4], "-c");
  cr_expect_str_eq (v[5], "make test");
  strv_free (v);
  v = host_seatbelt_wrap_command (HOST_SEATBELT_OFF, "(version 1)", "make test");
  cr_assert_eq (strv_len (v), 3);
  cr_expect_str_eq (v[0], "bash");
  cr_expect_str_eq (v[1], "-c");
  cr_expect_str_eq (v[2], "make test");
  strv_free (v);
}
