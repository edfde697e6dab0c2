/* devcontainer.json projects over the real Debian image (debian:bookworm,
   scripts/debian-image), driven through the built sbx: the image form,
   containerEnv/remoteEnv with their substitutions on both exec paths,
   lifecycle commands in their three forms and their once-per-container
   semantics, a swap that sets the new container up before it serves,
   failures, ports, local features, initializeCommand and trust, and the
   warnings for what sbx does not honour.  Projects are copies of
   tests/fixtures/devcontainer. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

#define FIXTURES SBX_SOURCE_DIR "/tests/fixtures/devcontainer"

static engine_client *c;
static char *state;     /* XDG_STATE_HOME: the trust store of these tests */
static char *env[4];

static void
setup (void)
{
  c = tu_engine ();
  state = tu_mkproject ();
  env[0] = xasprintf ("XDG_STATE_HOME=%s", state);
  env[1] = xstrdup ("SBX_DC_TEST_VAR=from-the-host");
  env[2] = NULL;
}

static void
teardown (void)
{
  engine_client_free (c);
  tu_rmrf (state);
  free (state);
  for (int i = 0; env[i]; i++)
    free (env[i]);
  memset (env, 0, sizeof env);
}

TestSuite (devcontainer, .init = setup, .fini = teardown, .timeout = 300);

static char *
fixture (const char *name)
{
  char *p = tu_mkproject ();
  _cleanup_free_ char *cmd = xasprintf ("cp -a '%s/%s/.' '%s/'", FIXTURES, name, p);
  cr_assert_eq (system (cmd), 0);
  return p;
}

static void
cleanup (char *p)
{
  tu_down (p);
  tu_remove_project_images (c, p);
  tu_rmrf (p);
  free (p);
}

/* sbx --project p ARGS... with the tests' environment (and extra, "K=V"
   or NULL). */
#define SBX(r, p, extra, ...)                                                                    \
  do                                                                                             \
    {                                                                                            \
      char *e_[] = { env[0], env[1], extra, NULL };                                              \
      tu_sbx_env (r, NULL, e_, "--project", p, __VA_ARGS__, NULL);                               \
    }                                                                                            \
  while (0)

static int
count (const char *hay, const char *needle)
{
  int n = 0;
  for (const char *s = hay; (s = strstr (s, needle)); s += strlen (needle))
    n++;
  return n;
}

static void
check_env (const char *p, char *extra)
{
  tu_result r;
  SBX (&r, p, extra, "exec", "--", "sh", "-c",
       "echo \"$PROJECT_NAME|$FROM_HOST|$WITH_DEFAULT|$WORKSPACE|$LOCAL_WORKSPACE\"; echo \"$PATH\"");
  cr_assert_eq (r.status, 0, "%s", r.err);
  const char *base = strrchr (p, '/') + 1;
  _cleanup_free_ char *want = xasprintf ("%s|from-the-host|the-default|%s|%s\n"
                                         "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:%s/bin\n",
                                         base, p, p, p);
  cr_assert_str_eq (r.out, want);
  tu_result_clear (&r);
}

Test (devcontainer, image_form_environment_and_lifecycle)
{
  char *p = fixture ("image");
  tu_result r;
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  /* Each line of output after its step's name. */
  cr_assert (strstr (r.err, "onCreateCommand: creating\n"), "%s", r.err);
  cr_assert (strstr (r.err, "postCreateCommand: [second] second says hi\n"), "%s", r.err);
  /* An image, not sbx's default Dockerfile. */
  cr_assert (strstr (r.err, "FROM debian:bookworm") || strstr (r.err, "up to date"), "%s", r.err);
  tu_result_clear (&r);
  /* containerEnv and remoteEnv, through the agent and through the API. */
  check_env (p, NULL);
  check_env (p, "SBX_NO_AGENT=1");
  /* The order of the spec; the object's commands both ran. */
  SBX (&r, p, NULL, "exec", "--", "cat", "/tmp/lifecycle.log");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strncmp (r.out, "on-create\nupdate-content\n", 25) == 0, "%s", r.out);
  cr_assert (strstr (r.out, "post-create-first\n") && strstr (r.out, "post-create-second\n"),
             "%s", r.out);
  cr_assert (strstr (r.out, "post-start\npost-attach\n"), "%s", r.out);
  tu_result_clear (&r);
  /* Once per container: a second up only attaches. */
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_null (strstr (r.err, "onCreateCommand"), "%s", r.err);
  tu_result_clear (&r);
  SBX (&r, p, NULL, "exec", "--", "cat", "/tmp/lifecycle.log");
  cr_assert_eq (count (r.out, "on-create\n"), 1, "%s", r.out);
  cr_assert_eq (count (r.out, "post-start\n"), 1, "%s", r.out);
  cr_assert_eq (count (r.out, "post-attach\n"), 2, "%s", r.out);
  tu_result_clear (&r);
  /* Nothing to warn about in this file. */
  SBX (&r, p, NULL, "devenv", "status");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_null (strstr (r.out, "warning"), "%s", r.out);
  cr_assert (strstr (r.out, "devcontainer.json"), "%s", r.out);
  tu_result_clear (&r);
  cleanup (p);
}

Test (devcontainer, swap_sets_the_new_container_up_before_it_serves)
{
  char *p = fixture ("image");
  _cleanup_free_ char *dc = xasprintf ("%s/.devcontainer/devcontainer.json", p);
  tu_write_file (p, ".devcontainer/devcontainer.json",
                 "{\"image\": \"debian:bookworm\", \"postCreateCommand\": "
                 "\"sleep 1; echo one > /tmp/generation\"}");
  tu_result r;
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_write_file (p, ".devcontainer/devcontainer.json",
                 "{\"image\": \"debian:bookworm\", \"postCreateCommand\": "
                 "\"sleep 1; echo two | tee /tmp/generation\"}");
  /* A changed devcontainer.json is a reason to swap... */
  SBX (&r, p, NULL, "swap");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "postCreateCommand: two\n"), "%s", r.err);
  tu_result_clear (&r);
  /* ...and the container that took over had run it: the first command
     finds its result. */
  SBX (&r, p, NULL, "exec", "--", "cat", "/tmp/generation");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "two\n");
  tu_result_clear (&r);
  /* A swap whose setup fails leaves the old container serving. */
  tu_write_file (p, ".devcontainer/devcontainer.json",
                 "{\"image\": \"debian:bookworm\", \"postCreateCommand\": \"exit 7\"}");
  SBX (&r, p, NULL, "swap");
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "keeps serving"), "%s", r.err);
  cr_assert (strstr (r.err, "postCreateCommand failed with exit status 7"), "%s", r.err);
  tu_result_clear (&r);
  SBX (&r, p, NULL, "exec", "--", "cat", "/tmp/generation");
  cr_assert_str_eq (r.out, "two\n");
  tu_result_clear (&r);
  cleanup (p);
}

Test (devcontainer, failing_command_is_reported_and_the_container_removed)
{
  char *p = fixture ("failing");
  tu_result r;
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "onCreateCommand: setting up\n"), "%s", r.err);
  cr_assert (strstr (r.err, "postCreateCommand: about to fail\n"), "%s", r.err);
  cr_assert (strstr (r.err, "postCreateCommand failed with exit status 3"), "%s", r.err);
  tu_result_clear (&r);
  /* No half-set-up container is left to serve. */
  SBX (&r, p, NULL, "ps", "--json");
  cr_assert_null (strstr (r.out, p), "%s", r.out);
  tu_result_clear (&r);
  cleanup (p);
}

Test (devcontainer, sudo_failure_says_why)
{
  char *p = fixture ("sudo");
  tu_result r;
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "postCreateCommand failed"), "%s", r.err);
  cr_assert (strstr (r.err, "sudo cannot work here"), "%s", r.err);
  tu_result_clear (&r);
  cleanup (p);
}

static char *
port_bindings (const char *p)
{
  _cleanup_free_ char *label = xasprintf ("dev.sbx.project=%s", p);
  json_t *list = NULL;
  cr_assert_eq (engine_container_list (c, label, false, &list, NULL), 0);
  cr_assert_eq (json_array_size (list), 1);
  json_t *ins = NULL;
  cr_assert_eq (engine_container_inspect (
                    c, json_string_value (json_object_get (json_array_get (list, 0), "Id")), &ins,
                    NULL),
                0);
  char *s = json_dumps (json_object_get (json_object_get (ins, "HostConfig"), "PortBindings"),
                        JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  json_decref (ins);
  json_decref (list);
  return s;
}

Test (devcontainer, ports_need_trust_and_the_network)
{
  char *p = fixture ("ports");
  tu_result r;
  /* Untrusted: named, not published. */
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_eq (count (r.err, "\"forwardPorts\" not honoured"), 1, "%s", r.err);
  cr_assert_eq (count (r.err, "\"appPort\" not honoured"), 1, "%s", r.err);
  tu_result_clear (&r);
  /* A port on the command line needs the network. */
  SBX (&r, p, NULL, "up", "-p", "18090:80");
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "needs the project's network"), "%s", r.err);
  tu_result_clear (&r);
  /* Trusted, with the network: published on 127.0.0.1 only. */
  tu_write_file (p, ".sbx/config.json", "{\"allow_network\": true}");
  SBX (&r, p, NULL, "trust");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  SBX (&r, p, NULL, "up", "-p", "18090:80");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_null (strstr (r.err, "not honoured"), "%s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *b = port_bindings (p);
  cr_assert_str_eq (b, "{\"18080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"18080\"}],"
                       "\"18081/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"18081\"}],"
                       "\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"18090\"}]}");
  SBX (&r, p, NULL, "ps");
  cr_assert (strstr (r.out, "127.0.0.1:18090->80/tcp"), "%s", r.out);
  cr_assert (strstr (r.out, "127.0.0.1:18080->18080/tcp"), "%s", r.out);
  tu_result_clear (&r);
  /* A swap cannot hand ports over: it says so, the container stays. */
  SBX (&r, p, NULL, "swap", "--force");
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "publishes ports"), "%s", r.err);
  tu_result_clear (&r);
  cleanup (p);
}

Test (devcontainer, local_feature_installed_at_build_time)
{
  char *p = fixture ("local-feature");
  tu_result r;
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "postCreateCommand: bonjour world (shout=true, installed as "),
             "%s", r.err);
  tu_result_clear (&r);
  SBX (&r, p, NULL, "exec", "--", "sh", "-c", "ls -l /usr/local/bin/greet; echo $GREETER_HOME");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, " root root "), "%s", r.out);
  cr_assert (strstr (r.out, "\n/opt/greeter\n"), "%s", r.out);
  tu_result_clear (&r);
  cleanup (p);
}

Test (devcontainer, compose_and_registry_features_are_errors)
{
  char *p = fixture ("compose");
  tu_result r;
  SBX (&r, p, NULL, "devenv", "build");
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "\"dockerComposeFile\""), "%s", r.err);
  tu_result_clear (&r);
  cleanup (p);
  p = fixture ("registry-feature");
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "registry"), "%s", r.err);
  tu_result_clear (&r);
  cleanup (p);
}

Test (devcontainer, initialize_command_only_when_trusted)
{
  char *p = fixture ("initialize");
  _cleanup_free_ char *marker = xasprintf ("%s/initialized.txt", p);
  tu_result r;
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "\"initializeCommand\" not run"), "%s", r.err);
  tu_result_clear (&r);
  struct stat st;
  cr_assert_neq (stat (marker, &st), 0);
  SBX (&r, p, NULL, "trust");
  tu_result_clear (&r);
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *text = tu_read_file (marker);
  cr_assert_str_eq (text, "initialized-on-the-host\n");
  cleanup (p);
}

Test (devcontainer, every_property_not_honoured_is_listed_once)
{
  char *p = fixture ("every-property");
  tu_result r;
  SBX (&r, p, NULL, "devenv", "build");
  cr_assert_eq (r.status, 0, "%s", r.err);
  static const char *const props[]
      = { "workspaceFolder", "workspaceMount", "appPort", "forwardPorts", "portsAttributes",
          "otherPortsAttributes", "userEnvProbe", "overrideCommand", "shutdownAction", "init",
          "privileged", "capAdd", "securityOpt", "mounts", "runArgs",
          "overrideFeatureInstallOrder", "customizations", "hostRequirements",
          "initializeCommand", "waitFor", "somethingNew", "build.options", NULL };
  for (const char *const *k = props; *k; k++)
    {
      _cleanup_free_ char *q = xasprintf ("\"%s\" not", *k);
      cr_expect_eq (count (r.err, q), 1, "%s: %d\n%s", *k, count (r.err, q), r.err);
    }
  tu_result_clear (&r);
  /* up says them once too, status lists them, --json carries them. */
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_eq (count (r.err, "\"mounts\" not honoured"), 1, "%s", r.err);
  tu_result_clear (&r);
  SBX (&r, p, NULL, "devenv", "status");
  cr_assert_eq (count (r.out, "\"runArgs\" not honoured"), 1, "%s", r.out);
  tu_result_clear (&r);
  SBX (&r, p, NULL, "--json", "devenv", "status");
  json_t *j = json_loads (r.out, 0, NULL);
  cr_assert_not_null (j, "%s", r.out);
  cr_assert_eq (json_array_size (json_object_get (j, "warnings")), 22, "%s", r.out);
  json_decref (j);
  tu_result_clear (&r);
  /* The feature was installed; the initializeCommand did not run. */
  SBX (&r, p, NULL, "exec", "--", "test", "-e", "/usr/local/bin/tool-installed");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  struct stat st;
  cr_assert_neq (stat ("/tmp/sbx-dc-initialize-must-not-run", &st), 0);
  cleanup (p);
}

Test (devcontainer, build_properties_over_debian)
{
  char *p = fixture ("build");
  tu_result r;
  SBX (&r, p, NULL, "exec", "--", "cat", "/greeting", "/stage");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "hello from build.args\ndev\n");
  tu_result_clear (&r);
  cleanup (p);
}

/* The project's volume called name in its devcontainer.json: its labels'
   project, or NULL when the engine has no such volume. */
static char *
volume_project (const char *p, const char *name)
{
  _cleanup_json_ json_t *list = NULL;
  cr_assert_eq (engine_get_json (c, "/volumes", &list, NULL), 0);
  _cleanup_free_ char *suffix = xasprintf ("-%s", name);
  const char *prefix = "sbx-vol-";
  size_t i;
  json_t *v;
  json_array_foreach (json_object_get (list, "Volumes"), i, v)
  {
    const char *n = json_string_value (json_object_get (v, "Name"));
    const char *pr
        = json_string_value (json_object_get (json_object_get (v, "Labels"), "dev.sbx.project"));
    if (n && pr && strcmp (pr, p) == 0 && strncmp (n, prefix, strlen (prefix)) == 0
        && strlen (n) > strlen (suffix) && strcmp (n + strlen (n) - strlen (suffix), suffix) == 0)
      return xstrdup (pr);
  }
  return NULL;
}

/* The mounts fixture's four mounts, seen from inside on one exec path. */
static void
check_mounts (const char *p, const char *dirs, char *extra)
{
  tu_result r;
  SBX (&r, p, extra, "exec", "--", "cat", "/mnt/ro/hello");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "from the host\n");
  tu_result_clear (&r);
  /* Read-only: writing fails inside, nothing reaches the host. */
  SBX (&r, p, extra, "exec", "--", "sh", "-c", "echo x > /mnt/ro/new");
  cr_assert_neq (r.status, 0, "%s", r.out);
  cr_assert (strstr (r.err, "Read-only file system"), "%s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *ro_new = xasprintf ("%s/ro/new", dirs);
  struct stat st;
  cr_assert_neq (stat (ro_new, &st), 0);
  /* Read-write: the file is on the host, the caller's. */
  SBX (&r, p, extra, "exec", "--", "sh", "-c", "echo written inside > /mnt/rw/out");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *rw_out = xasprintf ("%s/rw/out", dirs);
  _cleanup_free_ char *text = tu_read_file (rw_out);
  cr_assert_str_eq (text, "written inside\n");
  cr_assert_eq (stat (rw_out, &st), 0);
  cr_assert_eq (st.st_uid, getuid ());
  unlink (rw_out);
  /* A tmpfs, writable by the user. */
  SBX (&r, p, extra, "exec", "--", "sh", "-c",
       "grep ' /scratch tmpfs ' /proc/mounts >/dev/null && echo ok > /scratch/f && cat /scratch/f");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "ok\n");
  tu_result_clear (&r);
}

Test (devcontainer, mounts_of_a_trusted_file)
{
  char *p = fixture ("mounts");
  char *dirs = tu_mkproject ();
  tu_write_file (dirs, "ro/hello", "from the host\n");
  tu_write_file (dirs, "rw/.keep", "");
  free (env[1]);
  env[1] = xasprintf ("SBX_DC_MOUNTS=%s", dirs);
  tu_result r;
  /* Untrusted: one warning, no mount. */
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_eq (count (r.err, "\"mounts\" not honoured"), 1, "%s", r.err);
  cr_assert (strstr (r.err, "sbx trust"), "%s", r.err);
  tu_result_clear (&r);
  SBX (&r, p, NULL, "exec", "--", "sh", "-c", "test -e /mnt/ro/hello || test -d /cache");
  cr_assert_neq (r.status, 0, "untrusted mounts are there: %s", r.out);
  tu_result_clear (&r);
  /* Trusted: the mounts are part of the container's configuration, so
     `up` replaces it. */
  SBX (&r, p, NULL, "trust");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  SBX (&r, p, NULL, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_null (strstr (r.err, "not honoured"), "%s", r.err);
  tu_result_clear (&r);
  check_mounts (p, dirs, NULL);
  check_mounts (p, dirs, "SBX_NO_AGENT=1");
  /* The named volume is the project's: kept by down, removed by down
     --volumes. */
  SBX (&r, p, NULL, "exec", "--", "sh", "-c", "echo kept > /cache/v");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *owner = volume_project (p, "cache");
  cr_assert_str_eq (owner, p);
  SBX (&r, p, NULL, "down");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  SBX (&r, p, "SBX_NO_AGENT=1", "exec", "--", "cat", "/cache/v");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "kept\n");
  tu_result_clear (&r);
  SBX (&r, p, NULL, "down", "--volumes");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *gone = volume_project (p, "cache");
  cr_assert_null (gone, "down --volumes left the volume");
  cleanup (p);
  tu_rmrf (dirs);
  free (dirs);
}

Test (devcontainer, mounts_outside_the_safe_subset_are_refused)
{
  char *p = fixture ("mounts");
  static const struct
  {
    const char *entry, *why;
  } cases[] = {
    { "source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind", "engine's socket" },
    { "source=${localEnv:HOME},target=/h,type=bind", "your home" },
    { "source=/tmp,target=/t,type=bind", "the project or holds it" },
    { "type=tmpfs,target=${localWorkspaceFolder}/build", "the project or inside it" },
    { "source=${localEnv:XDG_STATE_HOME},target=/s,type=bind", "sbx's own directory" },
    { "type=npipe,source=x,target=/x", "type \"npipe\" is not allowed" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      _cleanup_free_ char *json = xasprintf (
          "{\"image\": \"sbx-test/busybox:latest\", \"mounts\": [\"%s\"]}", cases[i].entry);
      tu_write_file (p, ".devcontainer/devcontainer.json", json);
      tu_result r;
      SBX (&r, p, NULL, "trust");
      cr_assert_eq (r.status, 0, "%s", r.err);
      tu_result_clear (&r);
      SBX (&r, p, NULL, "up");
      cr_expect_eq (r.status, 125, "%s: %s", cases[i].entry, r.err);
      const char *nl = strchr (r.err, '\n');
      cr_expect (strstr (r.err, ".devcontainer/devcontainer.json: \"mounts\": entry \"")
                     && strstr (r.err, cases[i].why) && nl && !nl[1],
                 "%s: %s", cases[i].entry, r.err);
      tu_result_clear (&r);
    }
  cleanup (p);
}
