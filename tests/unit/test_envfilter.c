/* test_envfilter.c: which variables look like credentials, and the
   environment a sandboxed command gets. */
#include <criterion/criterion.h>
#include <string.h>

#include "envfilter.h"
#include "util.h"

static bool
sensitive (const char *n)
{
  return sbx_env_name_sensitive (n, strlen (n));
}

Test (envfilter, names)
{
  const char *filtered[] = { "GITHUB_TOKEN",
                             "AWS_SECRET_ACCESS_KEY",
                             "OPENAI_API_KEY",
                             "NPM_TOKEN",
                             "SSH_AUTH_SOCK",
                             "GPG_AGENT_INFO",
                             "DOCKER_HOST",
                             "DOCKER_CERT_PATH",
                             "KUBECONFIG",
                             "AWS_REGION",
                             "AZURE_TENANT_ID",
                             "GOOGLE_APPLICATION_CREDENTIALS",
                             "VAULT_ADDR",
                             "github_token",
                             "DB_PASSWORD",
                             "MYSQL_PWD_PASSWD",
                             "ANTHROPIC_APIKEY",
                             "SIGNING_KEY",
                             "KEY",
                             "PRIVATE_THING",
                             "HTTP_AUTHORIZATION",
                             "OAUTH_X",
                             "GH_ENTERPRISE_TOKEN",
                             "DATABASE_URL",
                             "GNUPGHOME" };
  for (size_t i = 0; i < sizeof filtered / sizeof filtered[0]; i++)
    cr_expect (sensitive (filtered[i]), "%s should be filtered", filtered[i]);
  const char *passed[] = { "PATH",
                           "HOME",
                           "LANG",
                           "LC_ALL",
                           "LC_CTYPE",
                           "TERM",
                           "USER",
                           "SHELL",
                           "TMPDIR",
                           "EDITOR",
                           "KEYMAP",
                           "CC",
                           "CFLAGS",
                           "PYTHONPATH",
                           "GIT_AUTHOR_NAME",
                           "GIT_AUTHOR_EMAIL",
                           "PWD",
                           "LOGNAME",
                           "DISPLAY",
                           "MONKEYPATCH_OFF" };
  for (size_t i = 0; i < sizeof passed / sizeof passed[0]; i++)
    cr_expect_not (sensitive (passed[i]), "%s should pass", passed[i]);
}

Test (envfilter, filter_and_allow)
{
  char *env[] = { "PATH=/bin",
                  "GITHUB_TOKEN=x",
                  "AWS_SECRET_ACCESS_KEY=y",
                  "AWS_REGION=z",
                  "LANG=C",
                  "NPM_TOKEN=n",
                  NULL };
  char *allow[] = { "NPM_TOKEN", "AWS_R*", NULL };
  char *extra[] = { "LANG=fr_FR", "NEW=1", NULL };
  _cleanup_strv_ char **dropped = NULL;
  _cleanup_strv_ char **out = sbx_env_filter (env, allow, extra, &dropped);
  cr_assert_eq (strv_len (out), 5);
  cr_expect_str_eq (out[0], "PATH=/bin");
  cr_expect_str_eq (out[1], "AWS_REGION=z");
  cr_expect_str_eq (out[2], "NPM_TOKEN=n");
  cr_expect_str_eq (out[3], "LANG=fr_FR");
  cr_expect_str_eq (out[4], "NEW=1");
  cr_assert_eq (strv_len (dropped), 2);
  cr_expect_str_eq (dropped[0], "GITHUB_TOKEN");
  cr_expect_str_eq (dropped[1], "AWS_SECRET_ACCESS_KEY");
}
