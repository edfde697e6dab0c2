/* test_devcontainer.c: devcontainer.json as people write it, read from the
   fixture set in tests/fixtures/devcontainer (each a project): what is
   honoured, what is refused, and that every other property is named in
   exactly one warning. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devenv/devenv.h"
#include "trust.h"
#include "util.h"

#define FIXTURES SBX_SOURCE_DIR "/tests/fixtures/devcontainer"

static char *base, *project;

static void
setup (void)
{
  char tmpl[] = "/tmp/sbx-dc-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  base = xstrdup (tmpl);
  _cleanup_free_ char *state = xasprintf ("%s/state", base);
  setenv ("XDG_STATE_HOME", state, 1);
  setenv ("HOME", base, 1);
}

static void
teardown (void)
{
  _cleanup_free_ char *cmd = xasprintf ("rm -rf '%s'", base);
  (void) !system (cmd);
  free (base);
  free (project);
  project = NULL;
}

TestSuite (devcontainer, .init = setup, .fini = teardown);

/* A copy of the fixture as the project (its real path). */
static const char *
fixture (const char *name)
{
  free (project);
  project = xasprintf ("%s/%s", base, name);
  _cleanup_free_ char *cmd = xasprintf ("cp -a '%s/%s' '%s'", FIXTURES, name, project);
  cr_assert_eq (system (cmd), 0);
  return project;
}

static devenv_devcontainer *
load (const char *dir)
{
  devenv_devcontainer *dc = NULL;
  sbx_error *err = NULL;
  int r = devenv_devcontainer_load (dir, &dc, &err);
  cr_assert_eq (r, 0, "%s", err ? err->msg : "");
  cr_assert_not_null (dc);
  return dc;
}

static char *
load_error (const char *dir)
{
  devenv_devcontainer *dc = NULL;
  sbx_error *err = NULL;
  cr_assert_lt (devenv_devcontainer_load (dir, &dc, &err), 0);
  cr_assert_null (dc);
  char *msg = xstrdup (err->msg);
  sbx_error_free (err);
  return msg;
}

/* How many warnings name the property (as "prop"). */
static int
warned (const devenv_devcontainer *dc, const char *prop)
{
  _cleanup_free_ char *q = xasprintf ("\"%s\"", prop);
  int n = 0;
  for (char **w = dc->warnings; *w; w++)
    if (strstr (*w, q))
      n++;
  return n;
}

static bool
has (char *const *v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

Test (devcontainer, every_property_is_honoured_refused_or_warned_once)
{
  _cleanup_devcontainer_ devenv_devcontainer *dc = load (fixture ("every-property"));
  /* Honoured. */
  cr_assert_str_eq (dc->image, "debian:bookworm");
  cr_assert (has (dc->container_env, "A=1"));
  cr_assert (has (dc->remote_env, "B=2"));
  cr_assert (has (dc->cache_from, "debian:bookworm"));
  cr_assert_eq (json_object_size (dc->lifecycle), 5);
  cr_assert_eq (strv_len (dc->features), 1);
  /* The container user's properties. */
  cr_assert_str_eq (dc->remote_user, "vscode");
  cr_assert_str_eq (dc->container_user, "root");
  cr_assert_eq (dc->update_remote_user_uid, 1);
  /* Not trusted: nothing that widens isolation. */
  cr_assert_eq (dc->n_ports, 0);
  cr_assert_null (dc->initialize);
  static const char *const not_honoured[] = { "workspaceFolder",
                                              "workspaceMount",
                                              "appPort",
                                              "forwardPorts",
                                              "portsAttributes",
                                              "otherPortsAttributes",
                                              "userEnvProbe",
                                              "overrideCommand",
                                              "shutdownAction",
                                              "init",
                                              "privileged",
                                              "capAdd",
                                              "securityOpt",
                                              "mounts",
                                              "runArgs",
                                              "overrideFeatureInstallOrder",
                                              "customizations",
                                              "hostRequirements",
                                              "initializeCommand",
                                              "waitFor",
                                              "somethingNew",
                                              "build.options",
                                              NULL };
  for (const char *const *p = not_honoured; *p; p++)
    cr_expect_eq (warned (dc, *p), 1, "\"%s\" named in %d warnings", *p, warned (dc, *p));
  static const char *const honoured[] = { "name",
                                          "$schema",
                                          "image",
                                          "containerEnv",
                                          "remoteEnv",
                                          "features",
                                          "build.cacheFrom",
                                          "onCreateCommand",
                                          "updateContentCommand",
                                          "postCreateCommand",
                                          "postStartCommand",
                                          "postAttachCommand",
                                          "remoteUser",
                                          "containerUser",
                                          "updateRemoteUserUID",
                                          NULL };
  for (const char *const *p = honoured; *p; p++)
    cr_expect_eq (warned (dc, *p), 0, "\"%s\" should not be warned about", *p);
  cr_assert_eq (strv_len (dc->warnings), 22);
  /* The container user: remoteUser, renumbered to the caller's uid. */
  cr_assert_str_eq (dc->user, "vscode");
  /* workspaceFolder outside the project: the project's path stays. */
  cr_assert_str_eq (dc->workspace, project);
}

static void
trust (void)
{
  sbx_trust_entry *e = NULL;
  size_t n = 0;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_trust_project (project, &e, &n, &err), 0);
  sbx_trust_entries_free (e, n);
}

Test (devcontainer, trusted_file_gets_ports_and_initialize)
{
  fixture ("every-property");
  trust ();
  /* Trusted, what widens the container beyond the safe subset is an
     error naming the property and the option. */
  _cleanup_free_ char *msg = load_error (project);
  cr_assert (strstr (msg, "\"runArgs\": option \"--network=host\" is not allowed"), "%s", msg);
  /* Without those properties. */
  _cleanup_free_ char *cmd
      = xasprintf ("sed -i -E '/\"(privileged|capAdd|securityOpt|mounts|runArgs)\"/d' "
                   "'%s/.devcontainer/devcontainer.json'",
                   project);
  cr_assert_eq (system (cmd), 0);
  trust ();
  _cleanup_devcontainer_ devenv_devcontainer *dc = load (project);
  cr_assert (dc->trusted);
  cr_assert_eq (dc->n_ports, 2);
  cr_assert_eq (dc->ports[0], 8080);
  cr_assert_eq (dc->ports[1], 3000);
  /* "db:5432" is another service's port: named, not published. */
  cr_assert_eq (warned (dc, "forwardPorts"), 1);
  bool named = false;
  for (char **w = dc->warnings; *w; w++)
    named = named || (strstr (*w, "\"db:5432\" not published") && strstr (*w, "\"forwardPorts\""));
  cr_assert (named);
  cr_assert_str_eq (dc->initialize, "touch /tmp/sbx-dc-initialize-must-not-run");
  cr_assert_eq (warned (dc, "initializeCommand"), 0);
  cr_assert_eq (warned (dc, "appPort"), 0);
  cr_assert_not (dc->docker_caps);
}

static void put (const char *rel, const char *text);

/* The image fixture with this devcontainer.json, trusted. */
static devenv_devcontainer *
trusted (const char *json)
{
  if (!project)
    fixture ("image");
  put (".devcontainer/devcontainer.json", json);
  trust ();
  return load (project);
}

Test (devcontainer, trusted_runargs_capadd_securityopt_ask_for_docker_default_caps)
{
  _cleanup_devcontainer_ devenv_devcontainer *a
      = trusted ("{\"image\": \"x\", \"runArgs\": [\"--cap-add\", \"chown\", "
                 "\"--security-opt=no-new-privileges:false\"]}");
  cr_assert (a->docker_caps);
  cr_assert_eq (a->no_new_privileges, 0);
  cr_assert_str_eq (a->hardening_by, ".devcontainer/devcontainer.json \"runArgs\"");
  _cleanup_devcontainer_ devenv_devcontainer *b
      = trusted ("{\"image\": \"x\", \"capAdd\": [\"CAP_NET_RAW\"], \"privileged\": false}");
  cr_assert (b->docker_caps);
  cr_assert_eq (b->no_new_privileges, -1);
  _cleanup_devcontainer_ devenv_devcontainer *c
      = trusted ("{\"image\": \"x\", \"securityOpt\": [\"no-new-privileges\"]}");
  cr_assert_not (c->docker_caps);
  cr_assert_eq (c->no_new_privileges, 1);
  cr_assert_eq (strv_len (c->warnings), 0);
  /* A value missing. */
  put (".devcontainer/devcontainer.json", "{\"image\": \"x\", \"runArgs\": [\"--cap-add\"]}");
  trust ();
  _cleanup_free_ char *m1 = load_error (project);
  cr_assert (strstr (m1, "\"--cap-add\" needs a value"), "%s", m1);
}

static char *
discover_error (const char *dir)
{
  devenv_source src;
  sbx_error *err = NULL;
  cr_assert_lt (devenv_discover (dir, NULL, &src, &err), 0);
  char *msg = xstrdup (err->msg);
  sbx_error_free (err);
  return msg;
}

static void
put (const char *rel, const char *text)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", project, rel);
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f);
  fputs (text, f);
  fclose (f);
}

Test (devcontainer, compose_is_out_of_scope)
{
  _cleanup_free_ char *msg = discover_error (fixture ("compose"));
  cr_assert (strstr (msg, "\"dockerComposeFile\""), "%s", msg);
  cr_assert (strstr (msg, "out of sbx's scope"), "%s", msg);
  /* The file gives the container nothing either. */
  _cleanup_devcontainer_ devenv_devcontainer *dc = load (project);
  cr_assert (dc->compose);
  /* With a Dockerfile of its own, or .sbx/Dockerfile, the project builds
     that, and the file is a warning. */
  put ("Dockerfile", "FROM debian:bookworm\n");
  devenv_source src;
  sbx_error *err = NULL;
  cr_assert_eq (devenv_discover (project, NULL, &src, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (src.origin, DEVENV_ORIGIN_ROOT);
  cr_assert (has (src.dc->warnings, msg));
  devenv_source_clear (&src);
}

Test (devcontainer, registry_feature_is_refused)
{
  _cleanup_free_ char *msg = discover_error (fixture ("registry-feature"));
  cr_assert (strstr (msg, "ghcr.io/devcontainers/features/node:1"), "%s", msg);
  cr_assert (strstr (msg, "registry"), "%s", msg);
  /* When .sbx/Dockerfile builds the image, a warning. */
  _cleanup_free_ char *cmd = xasprintf ("mkdir -p '%s/.sbx'", project);
  cr_assert_eq (system (cmd), 0);
  put (".sbx/Dockerfile", "FROM debian:bookworm\n");
  devenv_source src;
  sbx_error *err = NULL;
  cr_assert_eq (devenv_discover (project, NULL, &src, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (src.origin, DEVENV_ORIGIN_SBX);
  cr_assert (has (src.dc->warnings, msg));
  devenv_source_clear (&src);
}

Test (devcontainer, substitutions)
{
  setenv ("SBX_DC_TEST_VAR", "from-the-host", 1);
  unsetenv ("SBX_DC_TEST_MISSING");
  _cleanup_devcontainer_ devenv_devcontainer *dc = load (fixture ("image"));
  cr_assert (has (dc->container_env, "PROJECT_NAME=image"));
  cr_assert (has (dc->container_env, "FROM_HOST=from-the-host"));
  cr_assert (has (dc->container_env, "WITH_DEFAULT=the-default"));
  _cleanup_free_ char *ws = xasprintf ("WORKSPACE=%s", project);
  _cleanup_free_ char *lws = xasprintf ("LOCAL_WORKSPACE=%s", project);
  _cleanup_free_ char *path = xasprintf ("PATH=${containerEnv:PATH}:%s/bin", project);
  cr_assert (has (dc->remote_env, ws));
  cr_assert (has (dc->remote_env, lws));
  /* ${containerEnv:...} waits for the image's environment. */
  cr_assert (has (dc->remote_env, path), "%s", dc->remote_env[0]);
  cr_assert_eq (strv_len (dc->warnings), 0, "%s", dc->warnings[0]);
}

static const char *
lookup (const char *name, void *ud)
{
  (void) ud;
  return strcmp (name, "PATH") == 0 ? "/usr/bin:/bin" : NULL;
}

Test (devcontainer, container_env_substitution)
{
  _cleanup_free_ char *a = devenv_dc_substitute ("${containerEnv:PATH}:/x", lookup, NULL);
  cr_assert_str_eq (a, "/usr/bin:/bin:/x");
  _cleanup_free_ char *b
      = devenv_dc_substitute ("${containerEnv:NOPE:dflt}-${other}", lookup, NULL);
  cr_assert_str_eq (b, "dflt-${other}");
  _cleanup_free_ char *c = devenv_dc_substitute ("$ {x} ${unterminated", lookup, NULL);
  cr_assert_str_eq (c, "$ {x} ${unterminated");
}

Test (devcontainer, credential_variables_of_the_host_need_trust)
{
  fixture ("image");
  _cleanup_free_ char *path = xasprintf ("%s/.devcontainer/devcontainer.json", project);
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f);
  fputs ("{\"image\": \"debian:bookworm\", \"containerEnv\": {\"T\": \"${localEnv:MY_API_TOKEN}\","
         " \"U\": \"${localEnv:USER_NAME_X}\"}}",
         f);
  fclose (f);
  setenv ("MY_API_TOKEN", "s3cret", 1);
  setenv ("USER_NAME_X", "alice", 1);
  {
    _cleanup_devcontainer_ devenv_devcontainer *dc = load (project);
    cr_assert (has (dc->container_env, "T="));
    cr_assert (has (dc->container_env, "U=alice"));
    cr_assert_eq (strv_len (dc->warnings), 1);
    cr_assert (strstr (dc->warnings[0], "MY_API_TOKEN"));
  }
  sbx_trust_entry *e = NULL;
  size_t n = 0;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_trust_project (project, &e, &n, &err), 0);
  sbx_trust_entries_free (e, n);
  _cleanup_devcontainer_ devenv_devcontainer *dc = load (project);
  cr_assert (has (dc->container_env, "T=s3cret"));
}

Test (devcontainer, lifecycle_forms_are_checked)
{
  fixture ("image");
  _cleanup_free_ char *path = xasprintf ("%s/.devcontainer/devcontainer.json", project);
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f);
  fputs ("{\"image\": \"x\", \"postCreateCommand\": {\"a\": {\"nested\": \"no\"}}}", f);
  fclose (f);
  _cleanup_free_ char *msg = load_error (project);
  cr_assert (strstr (msg, "\"postCreateCommand\""), "%s", msg);
}

static devenv_source
discover (const char *dir)
{
  devenv_source src;
  sbx_error *err = NULL;
  int r = devenv_discover (dir, NULL, &src, &err);
  cr_assert_eq (r, 0, "%s", err ? err->msg : "");
  return src;
}

Test (devcontainer, image_is_a_dockerfile_of_one_from)
{
  devenv_source src = discover (fixture ("image"));
  cr_assert_eq (src.origin, DEVENV_ORIGIN_DEVCONTAINER);
  cr_assert_not_null (src.dockerfile_text);
  cr_assert (strstr (src.dockerfile_text, "\nFROM debian:bookworm\n"), "%s", src.dockerfile_text);
  cr_assert_str_eq (src.context, project);
  devenv_source_clear (&src);
}

Test (devcontainer, build_properties)
{
  devenv_source src = discover (fixture ("build"));
  cr_assert_eq (src.origin, DEVENV_ORIGIN_DEVCONTAINER);
  cr_assert_null (src.dockerfile_text);
  cr_assert (has (src.args, "GREETING=hello from build.args"));
  cr_assert_str_eq (src.target, "dev");
  cr_assert (has (src.cache_from, "debian:bookworm"));
  cr_assert_str_eq (src.context, project);
  _cleanup_free_ char *ws = xasprintf ("%s/src", project);
  cr_assert_str_eq (src.dc->workspace, ws);
  devenv_source_clear (&src);
}

static void
key_of (const char *dir, char key[65], char **text)
{
  _cleanup_project_ sbx_project *p = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_project_open (dir, 1, &p, &err), 0, "%s", err ? err->msg : "");
  _cleanup_plan_ devenv_plan *plan = NULL;
  cr_assert_eq (devenv_plan_new (p, NULL, &plan, &err), 0, "%s", err ? err->msg : "");
  memcpy (key, plan->key, 65);
  if (text)
    *text = xstrdup (plan->src.dockerfile_text);
}

Test (devcontainer, local_features_are_built_and_keyed)
{
  fixture ("local-feature");
  char k1[65], k2[65], k3[65];
  _cleanup_free_ char *text = NULL;
  key_of (project, k1, &text);
  cr_assert (strstr (text, "COPY [\".devcontainer/features/greeter\", \"/tmp/sbx-features/0\"]"),
             "%s", text);
  cr_assert (strstr (text, "GREETING='bonjour'"), "%s", text);
  cr_assert (strstr (text, "SHOUT='true'"), "%s", text);
  cr_assert (strstr (text, "NAME='world'"), "%s", text); /* the default */
  cr_assert (strstr (text, "USER root\n"), "%s", text);
  cr_assert (strstr (text, "\nENV GREETER_HOME=\"/opt/greeter\"\n"), "%s", text);
  /* install.sh is part of the key... */
  _cleanup_free_ char *install
      = xasprintf ("%s/.devcontainer/features/greeter/install.sh", project);
  FILE *f = fopen (install, "a");
  cr_assert_not_null (f);
  fputs ("# changed\n", f);
  fclose (f);
  key_of (project, k2, NULL);
  cr_assert_str_neq (k1, k2);
  /* ...and so are the options. */
  _cleanup_free_ char *dcpath = xasprintf ("%s/.devcontainer/devcontainer.json", project);
  _cleanup_free_ char *cmd = xasprintf ("sed -i s/bonjour/hola/ '%s'", dcpath);
  cr_assert_eq (system (cmd), 0);
  key_of (project, k3, NULL);
  cr_assert_str_neq (k2, k3);
}

Test (devcontainer, no_devcontainer_is_no_error)
{
  fixture ("image");
  _cleanup_free_ char *cmd = xasprintf ("rm -rf '%s/.devcontainer'", project);
  cr_assert_eq (system (cmd), 0);
  devenv_devcontainer *dc = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (devenv_devcontainer_load (project, &dc, &err), 0);
  cr_assert_null (dc);
}

/* The engine Mount of dc->mounts with this target, as compact JSON. */
static char *
mount_at (const devenv_devcontainer *dc, const char *target)
{
  size_t i;
  json_t *m;
  json_array_foreach (dc->mounts, i, m)
  {
    if (strcmp (json_string_value (json_object_get (m, "Target")), target) == 0)
      return json_dumps (m, JSON_COMPACT | JSON_SORT_KEYS);
  }
  return NULL;
}

Test (devcontainer, trusted_mounts_in_both_forms)
{
  char tmpl[] = "/tmp/sbx-dc-src-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  _cleanup_free_ char *json
      = xasprintf ("{\"image\": \"x\", \"mounts\": ["
                   "\"source=%s/,target=/mnt/ro,type=bind,readonly\", "
                   "\"src=%s,dst=/mnt/ro2/,type=bind,ro=true,consistency=cached\", "
                   "\"source=cache,destination=/cache,type=volume\", "
                   "\"type=tmpfs,target=/scratch\", "
                   "{\"source\": \"%s\", \"target\": \"/mnt/rw\", \"type\": \"bind\"}]}",
                   tmpl, tmpl, tmpl);
  _cleanup_devcontainer_ devenv_devcontainer *dc = trusted (json);
  cr_assert_eq (json_array_size (dc->mounts), 5);
  _cleanup_free_ char *ro = mount_at (dc, "/mnt/ro"), *ro2 = mount_at (dc, "/mnt/ro2");
  _cleanup_free_ char *rw = mount_at (dc, "/mnt/rw"), *vol = mount_at (dc, "/cache");
  _cleanup_free_ char *tmp = mount_at (dc, "/scratch");
  _cleanup_free_ char *want_ro = xasprintf (
      "{\"ReadOnly\":true,\"Source\":\"%s\",\"Target\":\"/mnt/ro\",\"Type\":\"bind\"}", tmpl);
  cr_assert_str_eq (ro, want_ro);
  cr_assert (ro2 && strstr (ro2, "\"ReadOnly\":true"), "%s", ro2);
  cr_assert (rw && strstr (rw, "\"ReadOnly\":false"), "%s", rw);
  cr_assert_str_eq (vol, "{\"ReadOnly\":false,\"Source\":\"cache\",\"Target\":\"/cache\","
                         "\"Type\":\"volume\"}");
  cr_assert_str_eq (tmp, "{\"ReadOnly\":false,\"Target\":\"/scratch\",\"Type\":\"tmpfs\"}");
  cr_assert_eq (warned (dc, "mounts"), 0);
  rmdir (tmpl);
}

Test (devcontainer, mounts_need_trust)
{
  fixture ("image");
  put (".devcontainer/devcontainer.json",
       "{\"image\": \"x\", \"mounts\": [\"type=tmpfs,target=/scratch\"]}");
  _cleanup_devcontainer_ devenv_devcontainer *dc = load (project);
  cr_assert_null (dc->mounts);
  cr_assert_eq (warned (dc, "mounts"), 1);
  cr_assert (strstr (dc->warnings[0], "sbx trust"), "%s", dc->warnings[0]);
}

/* The error of a trusted file whose mounts hold this one entry. */
static char *
mount_error (const char *entry)
{
  if (!project)
    fixture ("image");
  _cleanup_free_ char *json = xasprintf ("{\"image\": \"x\", \"mounts\": [%s]}", entry);
  put (".devcontainer/devcontainer.json", json);
  trust ();
  return load_error (project);
}

Test (devcontainer, mounts_outside_the_safe_subset_are_refused)
{
  static const struct
  {
    const char *entry, *why;
  } cases[] = {
    { "\"source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind\"",
      "the engine's socket" },
    { "\"source=/,target=/host,type=bind\"", "the host's root" },
    { "\"source=/proc/self,target=/p,type=bind\"", "in /proc" },
    { "\"source=${localEnv:HOME},target=/h,type=bind\"", "your home" },
    { "\"source=/tmp,target=/t,type=bind\"", "your home" }, /* HOME is under /tmp here */
    { "\"source=${localWorkspaceFolder},target=/w,type=bind\"", "the project or holds it" },
    { "\"source=${localWorkspaceFolder}/.devcontainer,target=/w,type=bind\"",
      "inside the project" },
    { "\"source=${localEnv:XDG_STATE_HOME},target=/s,type=bind\"", "sbx's own directory" },
    { "\"type=tmpfs,target=${localWorkspaceFolder}/build\"", "the project or inside it" },
    { "\"type=tmpfs,target=/\"", "the container's root" },
    { "\"type=tmpfs,target=/.sbx/run\"", "/.sbx" },
    { "\"type=tmpfs,target=/a/../etc\"", "absolute path without" },
    { "\"type=npipe,source=x,target=/x\"", "type \"npipe\" is not allowed" },
    { "\"type=bind,source=/usr,target=/x,bind-propagation=rshared\"",
      "option \"bind-propagation\" is not allowed" },
    { "\"type=volume,target=/x\"", "anonymous volume" },
    { "{\"source\": \"cache\", \"target\": \"/x:ro\", \"type\": \"volume\"}", "holds a ':'" },
    { "\"type=volume,source=../x,target=/x\"", "not a volume name" },
    { "\"type=bind,source=/nonexistent-sbx-dir,target=/x\"", "cannot be used" },
    { "\"type=tmpfs,target=/x\", \"type=tmpfs,target=/x/\"", "another entry has the target" },
    { "{\"source\": \"/usr\", \"target\": \"/x\", \"type\": \"bind\", \"readonly\": true}",
      "property \"readonly\" is not allowed" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      _cleanup_free_ char *msg = mount_error (cases[i].entry);
      cr_expect (strstr (msg, ".devcontainer/devcontainer.json: \"mounts\"")
                     && strstr (msg, cases[i].why) && !strchr (msg, '\n'),
                 "%s: %s", cases[i].entry, msg);
    }
}
