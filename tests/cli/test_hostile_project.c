/* test_hostile_project.c: hostile project content read by the host-side
   sbx.  devcontainer.json build paths that are absolute, leave the project
   through '..' or through a symlink, and Dockerfiles or config files that
   are symlinks out of the project are refused with 125 and a clear line;
   no byte of a file outside the project is ever printed. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

#define SECRET "sbx-outside-secret-line-4242"

static char *project, *outside;
static char *env[3];

static void
setup (void)
{
  project = tu_mkproject ();
  char tmpl[] = "/var/tmp/sbx-hostile-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  outside = xstrdup (tmpl);
  tu_write_file (outside, "Dockerfile", SECRET "\nFROM " TU_IMAGE "\n");
  tu_write_file (outside, "config.json", "{" SECRET "}\n");
  tu_write_file (outside, "devcontainer.json", "{\"build\": {" SECRET "}}\n");
  tu_write_file (outside, "ctx/file", SECRET "\n");
  env[0] = xasprintf ("XDG_CONFIG_HOME=%s/xdg", outside);
  env[1] = xasprintf ("XDG_STATE_HOME=%s/state", outside);
  unsetenv ("SBX_CONFIG");
}

static void
teardown (void)
{
  tu_rmrf (project);
  tu_rmrf (outside);
  free (project);
  free (outside);
  free (env[0]);
  free (env[1]);
}

TestSuite (hostile, .init = setup, .fini = teardown, .timeout = 120);

static void
link_to (const char *target_rel, const char *link_rel)
{
  _cleanup_free_ char *target = xasprintf ("%s/%s", outside, target_rel);
  _cleanup_free_ char *link = xasprintf ("%s/%s", project, link_rel);
  _cleanup_free_ char *dir = xstrdup (link);
  *strrchr (dir, '/') = '\0';
  _cleanup_free_ char *mk = xasprintf ("mkdir -p '%s'", dir);
  cr_assert_eq (system (mk), 0);
  cr_assert_eq (symlink (target, link), 0);
}

/* `sbx devenv build` and `sbx devenv status` both refuse: 125, one line
   holding what, and nothing of the outside file. */
static void
expect_refused (const char *what)
{
  const char *verbs[] = { "build", "status" };
  for (int i = 0; i < 2; i++)
    {
      tu_result r;
      tu_sbx_env (&r, project, env, "--project", project, "devenv", verbs[i], NULL);
      cr_expect_eq (r.status, 125, "devenv %s: %d %s", verbs[i], r.status, r.err);
      cr_expect_not_null (strstr (r.err, what), "devenv %s: %s", verbs[i], r.err);
      cr_expect_not_null (strstr (r.err, "outside the project") || strstr (r.err, "absolute"), "%s",
                          r.err);
      cr_expect_null (strstr (r.err, SECRET), "leaked: %s", r.err);
      cr_expect_null (strstr (r.out, SECRET), "leaked: %s", r.out);
      tu_result_clear (&r);
    }
}

Test (hostile, absolute_context_and_dockerfile)
{
  tu_write_file (project, "Dockerfile", "FROM " TU_IMAGE "\n");
  _cleanup_free_ char *dc = xasprintf (
      "{\"build\": {\"dockerfile\": \"../Dockerfile\", \"context\": \"%s/ctx\"}}", outside);
  tu_write_file (project, ".devcontainer/devcontainer.json", dc);
  expect_refused ("build.context");
  _cleanup_free_ char *dc2
      = xasprintf ("{\"build\": {\"dockerfile\": \"%s/Dockerfile\"}}", outside);
  tu_write_file (project, ".devcontainer/devcontainer.json", dc2);
  expect_refused ("build.dockerfile");
  _cleanup_free_ char *dc3 = xasprintf ("{\"dockerFile\": \"%s/Dockerfile\"}", outside);
  tu_write_file (project, ".devcontainer/devcontainer.json", dc3);
  expect_refused ("dockerFile");
  tu_write_file (project, ".devcontainer/devcontainer.json",
                 "{\"build\": {\"dockerfile\": \"Dockerfile\", \"context\": \"/root/.ssh\"}}");
  expect_refused ("build.context");
}

Test (hostile, dotdot_out_of_the_project)
{
  _cleanup_free_ char *rel = xasprintf ("../../../../../../..%s/Dockerfile", outside);
  _cleanup_free_ char *dc = xasprintf ("{\"build\": {\"dockerfile\": \"%s\"}}", rel);
  tu_write_file (project, ".devcontainer/devcontainer.json", dc);
  expect_refused ("build.dockerfile");
  /* '..' out that comes back in is still out on the way. */
  tu_write_file (project, ".devcontainer/devcontainer.json",
                 "{\"build\": {\"dockerfile\": \"../Dockerfile\", \"context\": \"../..\"}}");
  tu_write_file (project, "Dockerfile", "FROM " TU_IMAGE "\n");
  expect_refused ("build.context");
}

Test (hostile, symlinks_out_of_the_project)
{
  tu_write_file (project, "Dockerfile", "FROM " TU_IMAGE "\n");
  link_to ("ctx", "ctxlink");
  tu_write_file (project, ".devcontainer/devcontainer.json",
                 "{\"build\": {\"dockerfile\": \"../Dockerfile\", \"context\": \"../ctxlink\"}}");
  expect_refused ("build.context");
  link_to ("Dockerfile", ".devcontainer/Dockerfile.evil");
  tu_write_file (project, ".devcontainer/devcontainer.json",
                 "{\"build\": {\"dockerfile\": \"Dockerfile.evil\", \"context\": \"..\"}}");
  expect_refused ("build.dockerfile");
}

Test (hostile, dockerfile_symlinks)
{
  link_to ("Dockerfile", "Dockerfile");
  expect_refused ("Dockerfile");
  link_to ("Dockerfile", ".sbx/Dockerfile");
  expect_refused (".sbx/Dockerfile");
}

Test (hostile, config_symlinks)
{
  link_to ("devcontainer.json", ".devcontainer/devcontainer.json");
  expect_refused ("devcontainer.json");
  link_to ("config.json", ".sbx/config.json");
  tu_result r;
  tu_sbx_env (&r, project, env, "--project", project, "run", "--", "true", NULL);
  cr_expect_eq (r.status, 125, "%s", r.err);
  cr_expect_not_null (strstr (r.err, "outside the project"), "%s", r.err);
  cr_expect_null (strstr (r.err, SECRET), "leaked: %s", r.err);
  tu_result_clear (&r);
}

/* The usual layout (.devcontainer with context "..") still works. */
Test (hostile, context_dotdot_inside_is_fine)
{
  tu_write_file (project, "Dockerfile", "FROM " TU_IMAGE "\n");
  tu_write_file (project, ".devcontainer/devcontainer.json",
                 "{\"build\": {\"dockerfile\": \"../Dockerfile\", \"context\": \"..\"}}");
  tu_result r;
  tu_sbx_env (&r, project, env, "--project", project, "devenv", "status", NULL);
  cr_expect_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
}
