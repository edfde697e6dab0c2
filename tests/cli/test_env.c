/* test_env.c: secrets stay out of the command's environment at every level
   (sbx run at off, default, enhanced and container; sbx exec): variables
   named like credentials are left out unless the user names them (--env,
   -e, a trusted "pass_env"); what tools need passes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util.h"

static char *project, *state;
static char *env[8];

static void
setup (void)
{
  project = tu_mkproject ();
  char tmpl[] = "/var/tmp/sbx-env-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  state = xstrdup (tmpl);
  env[0] = "XDG_CONFIG_HOME=/nonexistent-sbx-xdg";
  env[1] = xasprintf ("XDG_STATE_HOME=%s", state);
  env[2] = "GITHUB_TOKEN=zqv_tok_1";
  env[3] = "AWS_SECRET_ACCESS_KEY=zqv_aws_2";
  env[4] = "OPENAI_API_KEY=zqv_sk_3";
  env[5] = "LANG=C.UTF-8";
  env[6] = "SBX_TEST_PLAIN=plain-value";
  env[7] = NULL;
  unsetenv ("SBX_CONFIG");
}

static void
teardown (void)
{
  tu_down (project);
  tu_rmrf (project);
  tu_rmrf (state);
  free (project);
  free (state);
  free (env[1]);
}

TestSuite (env, .init = setup, .fini = teardown, .timeout = 240);

#define SBX(r, ...) tu_sbx_env (r, project, env, "--project", project, __VA_ARGS__, NULL)

static void
expect_clean (const tu_result *r, const char *level)
{
  cr_expect_eq (r->status, 0, "%s: %s", level, r->err);
  cr_expect_null (strstr (r->out, "zqv_"), "%s: %s", level, r->out);
  cr_expect_not_null (strstr (r->out, "PATH="), "%s: %s", level, r->out);
}

Test (env, host_levels_leave_out_credentials)
{
  const char *levels[] = { "off", "default", "enhanced" };
  for (size_t i = 0; i < 3; i++)
    {
      tu_result r;
      SBX (&r, "run", "--isolation", levels[i], "--", "env");
      expect_clean (&r, levels[i]);
      cr_expect_not_null (strstr (r.out, "HOME="), "%s: %s", levels[i], r.out);
      cr_expect_not_null (strstr (r.out, "LANG=C.UTF-8"), "%s: %s", levels[i], r.out);
      cr_expect_not_null (strstr (r.out, "SBX_TEST_PLAIN=plain-value"), "%s", r.out);
      tu_result_clear (&r);

      SBX (&r, "run", "--isolation", levels[i], "--env", "GITHUB_TOKEN", "--env", "NEW=v", "--",
           "env");
      cr_expect_eq (r.status, 0, "%s", r.err);
      cr_expect_not_null (strstr (r.out, "GITHUB_TOKEN=zqv_tok_1"), "%s: %s", levels[i], r.out);
      cr_expect_not_null (strstr (r.out, "NEW=v"), "%s", r.out);
      cr_expect_null (strstr (r.out, "zqv_aws_2"), "only the named one: %s", r.out);
      tu_result_clear (&r);
    }
}

Test (env, pass_env_from_files)
{
  /* Untrusted: refused. */
  tu_write_file (project, ".sbx/config.json", "{\"pass_env\": [\"AWS_*\"]}");
  tu_result r;
  SBX (&r, "run", "--", "env");
  expect_clean (&r, "untrusted pass_env");
  cr_expect_not_null (strstr (r.err, "'pass_env' ignored"), "%s", r.err);
  tu_result_clear (&r);
  /* Trusted: the prefix passes, nothing else. */
  SBX (&r, "trust");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  SBX (&r, "run", "--", "env");
  cr_expect_not_null (strstr (r.out, "AWS_SECRET_ACCESS_KEY=zqv_aws_2"), "%s", r.out);
  cr_expect_null (strstr (r.out, "zqv_tok_1"), "%s", r.out);
  tu_result_clear (&r);
}

Test (env, container_levels_get_only_named_variables)
{
  tu_write_file (project, ".sbx/config.json", "{\"image\": \"" TU_IMAGE "\"}");
  tu_result r;
  SBX (&r, "run", "--isolation", "container", "--", "env");
  expect_clean (&r, "container");
  tu_result_clear (&r);
  SBX (&r, "run", "--isolation", "container", "--env", "OPENAI_API_KEY", "--", "env");
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_not_null (strstr (r.out, "OPENAI_API_KEY=zqv_sk_3"), "%s", r.out);
  cr_expect_null (strstr (r.out, "zqv_tok_1"), "%s", r.out);
  tu_result_clear (&r);

  SBX (&r, "exec", "--", "env");
  expect_clean (&r, "exec");
  tu_result_clear (&r);
  SBX (&r, "exec", "-e", "GITHUB_TOKEN", "-e", "K=V", "--", "env");
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_not_null (strstr (r.out, "GITHUB_TOKEN=zqv_tok_1"), "%s", r.out);
  cr_expect_not_null (strstr (r.out, "K=V"), "%s", r.out);
  tu_result_clear (&r);
}

Test (env, help_says_the_rule)
{
  tu_result r;
  SBX (&r, "run", "--help");
  cr_expect_eq (r.status, 0);
  cr_expect_not_null (strstr (r.out, "--env NAME"), "%s", r.out);
  cr_expect_not_null (strstr (r.out, "TOKEN, SECRET, PASSWORD"), "%s", r.out);
  cr_expect_not_null (strstr (r.out, "pass_env"), "%s", r.out);
  tu_result_clear (&r);
}
