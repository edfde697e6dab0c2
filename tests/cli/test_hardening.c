/* The project container's hardening over the real Debian image, driven
   through the built sbx as root and as a caller who is not root (uid
   4242, as in test_user.c): the writable root filesystem (a layer of the
   container's own, discarded by a swap) and read_only_rootfs; the trusted
   opt-in to Docker's default capabilities (sudo in postCreateCommand), the
   errors for what it does not allow and the trust warning; trusted
   devcontainer.json mounts; remoteUser. */
#include <criterion/criterion.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

#define DEBIAN "sbx-test/debian:bookworm"
#define UID "4242"

TestSuite (hardening, .timeout = 600);

/* ---- projects ---- */

/* A project owned by uid (0: root) with a Dockerfile FROM the Debian image
   (extra: more lines, or NULL) and a devcontainer.json (or NULL). */
static char *
project (uid_t uid, const char *extra, const char *devcontainer)
{
  char *p = tu_mkproject ();
  _cleanup_free_ char *df = xasprintf ("FROM " DEBIAN "\n%s", extra ? extra : "");
  tu_write_file (p, "Dockerfile", df);
  if (devcontainer)
    tu_write_file (p, ".devcontainer/devcontainer.json", devcontainer);
  if (uid)
    {
      _cleanup_free_ char *cmd = xasprintf ("chown -R %u:%u '%s'", uid, uid, p);
      cr_assert_eq (system (cmd), 0);
    }
  return p;
}

/* A home for the caller who is not root (its trust store and data). */
static char *
caller_home (void)
{
  char *h = tu_mkproject ();
  cr_assert_eq (chown (h, 4242, 4242), 0);
  return h;
}

/* sbx as root, with its own state and data directories under home. */
static void
as_root (tu_result *r, const char *p, const char *home, char *const *args)
{
  _cleanup_free_ char *st = xasprintf ("XDG_STATE_HOME=%s/state", home);
  _cleanup_free_ char *cf = xasprintf ("XDG_CONFIG_HOME=%s/config", home);
  _cleanup_strv_ char **argv = NULL;
  strv_append_all (&argv, "/usr/bin/env", "-u", "SBX_CONFIG", st, cf, TU_SBX, "--project", p, NULL);
  for (char *const *a = args; *a; a++)
    strv_append (&argv, *a);
  tu_run (r, p, NULL, NULL, 300, argv);
}

/* The caller's login name (USER). */
static const char *caller_name = "tester";

/* sbx as uid/gid 4242 (no passwd entry on the host, USER=caller_name, in
   the docker group).  SBX_NO_AGENT is kept: it chooses the exec path. */
static void
as_caller (tu_result *r, const char *p, const char *home, char *const *args)
{
  struct group *g = getgrnam ("docker");
  cr_assert_not_null (g, "no docker group: the engine's socket is root's only");
  _cleanup_free_ char *groups = xasprintf ("--groups=%u", (unsigned) g->gr_gid);
  _cleanup_free_ char *h = xasprintf ("HOME=%s", home);
  _cleanup_free_ char *u = xasprintf ("USER=%s", caller_name);
  _cleanup_strv_ char **argv = NULL;
  strv_append_all (&argv, "/usr/bin/setpriv", "--reuid=" UID, "--regid=" UID, groups,
                   "/usr/bin/env", "-u", "XDG_RUNTIME_DIR", "-u", "XDG_STATE_HOME", "-u",
                   "XDG_DATA_HOME", "-u", "XDG_CONFIG_HOME", "-u", "SBX_CONFIG", h, u,
                   "ASAN_OPTIONS=detect_leaks=0", TU_SBX, "--project", p, NULL);
  for (char *const *a = args; *a; a++)
    strv_append (&argv, *a);
  tu_run (r, p, NULL, NULL, 300, argv);
}

typedef void (*runner) (tu_result *, const char *, const char *, char *const *);

#define RUN(fn, r, p, home, ...)                                                                   \
  do                                                                                               \
    {                                                                                              \
      char *a_[] = { __VA_ARGS__, NULL };                                                          \
      fn (r, p, home, a_);                                                                         \
    }                                                                                              \
  while (0)

static void
cleanup (runner fn, char *p, char *home)
{
  tu_result r;
  RUN (fn, &r, p, home, "down", "--volumes");
  tu_result_clear (&r);
  engine_client *c = tu_engine ();
  tu_remove_project_images (c, p);
  engine_client_free (c);
  tu_rmrf (p);
  tu_rmrf (home);
  free (p);
  free (home);
}

/* The engine's inspect of the project's running container (owned). */
static json_t *
inspect (const char *p)
{
  engine_client *c = tu_engine ();
  _cleanup_free_ char *label = xasprintf ("dev.sbx.project=%s", p);
  _cleanup_json_ json_t *list = NULL;
  cr_assert_eq (engine_container_list (c, label, false, &list, NULL), 0);
  cr_assert_eq (json_array_size (list), 1);
  json_t *ins = NULL;
  cr_assert_eq (
      engine_container_inspect (
          c, json_string_value (json_object_get (json_array_get (list, 0), "Id")), &ins, NULL),
      0);
  engine_client_free (c);
  return ins;
}

/* ---- 1. the writable root filesystem ---- */

Test (hardening, root_filesystem_is_writable_and_a_swap_starts_from_the_image)
{
  char *home = caller_home ();
  char *p = project (0, NULL,
                     "{ \"postCreateCommand\": \"echo made-at-create > /usr/local/x && "
                     "mkdir -p /usr/local/lib/extra && grep CapEff /proc/self/status\" }");
  tu_result r;
  RUN (as_root, &r, p, home, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  /* As root, still without a capability. */
  cr_assert (strstr (r.err, "postCreateCommand: CapEff:\t0000000000000000"), "%s", r.err);
  tu_result_clear (&r);
  _cleanup_json_ json_t *ins = inspect (p);
  json_t *hc = json_object_get (ins, "HostConfig");
  cr_assert (json_is_false (json_object_get (hc, "ReadonlyRootfs")));
  cr_assert_eq (tu_default_caps (hc), 0);
  cr_assert_str_eq (json_string_value (json_array_get (json_object_get (hc, "SecurityOpt"), 0)),
                    "no-new-privileges");
  RUN (as_root, &r, p, home, "exec", "--", "sh", "-c",
       "cat /usr/local/x; echo later > /usr/local/y && echo kept > \"$HOME/h\" && echo kept > f");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "made-at-create\n");
  tu_result_clear (&r);
  RUN (as_root, &r, p, home, "swap", "--force");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  /* The new container: the image again, its create-time commands rerun;
     what was written outside the project and the home is gone. */
  RUN (as_root, &r, p, home, "exec", "--", "sh", "-c",
       "cat /usr/local/x; test -e /usr/local/y && echo y-survived; cat \"$HOME/h\" f");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "made-at-create\nkept\nkept\n");
  tu_result_clear (&r);
  cleanup (as_root, p, home);
}

Test (hardening, non_root_caller_gets_eacces_not_erofs_under_usr)
{
  char *home = caller_home (), *p = project (4242, NULL, NULL);
  tu_result r;
  RUN (as_caller, &r, p, home, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  RUN (as_caller, &r, p, home, "exec", "--", "sh", "-c",
       "touch /usr/x; touch /tmp/x && echo tmp-ok");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "tmp-ok\n");
  cr_assert (strstr (r.err, "/usr/x") && strstr (r.err, "Permission denied"), "%s", r.err);
  cr_assert_null (strstr (r.err, "Read-only file system"), "%s", r.err);
  tu_result_clear (&r);
  cleanup (as_caller, p, home);
}

Test (hardening, read_only_rootfs_narrows_even_from_an_untrusted_project_file)
{
  char *home = caller_home (), *p = project (0, NULL, NULL);
  tu_write_file (p, ".sbx/config.json", "{ \"read_only_rootfs\": true }\n");
  tu_result r;
  RUN (as_root, &r, p, home, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_null (strstr (r.err, "ignored"), "%s", r.err);
  tu_result_clear (&r);
  _cleanup_json_ json_t *ins = inspect (p);
  cr_assert (
      json_is_true (json_object_get (json_object_get (ins, "HostConfig"), "ReadonlyRootfs")));
  RUN (as_root, &r, p, home, "exec", "--", "sh", "-c",
       "touch /usr/local/x; touch /tmp/x && echo tmp-ok");
  cr_assert_str_eq (r.out, "tmp-ok\n");
  cr_assert (strstr (r.err, "Read-only file system"), "%s", r.err);
  tu_result_clear (&r);
  /* Back to writable in the project file: a widening, ignored untrusted,
     kept read-only by the user's own file. */
  _cleanup_free_ char *ucfg = xasprintf ("%s/config", home);
  cr_assert_eq (mkdir (ucfg, 0755), 0);
  tu_write_file (ucfg, "sbx/config.json", "{ \"read_only_rootfs\": true }\n");
  tu_write_file (p, ".sbx/config.json", "{ \"read_only_rootfs\": false }\n");
  RUN (as_root, &r, p, home, "exec", "--", "sh", "-c", "touch /usr/local/x");
  cr_assert_neq (r.status, 0);
  cr_assert (strstr (r.err, "'read_only_rootfs' ignored"), "%s", r.err);
  cr_assert (strstr (r.err, "sbx trust"), "%s", r.err);
  cr_assert (strstr (r.err, "Read-only file system"), "%s", r.err);
  tu_result_clear (&r);
  cleanup (as_root, p, home);
}

/* ---- 2. the trusted opt-in to Docker's default hardening ---- */

/* The image's user (as the Dev Containers images have one: with a shadow
   entry, which sudo's account check needs), renumbered to the caller's
   uid by sbx, may use sudo. */
#define SUDOERS                                                                                    \
  "RUN useradd -m tester && echo 'tester ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/tester\n"

Test (hardening, trusted_runargs_give_sudo_in_post_create_command)
{
  char *home = caller_home ();
  char *p = project (4242, SUDOERS,
                     "{ \"runArgs\": [\"--cap-add=NET_RAW\", \"--security-opt\", "
                     "\"no-new-privileges=false\"],\n"
                     "  \"postCreateCommand\": \"sudo -n sh -c 'echo via-sudo > "
                     "/usr/local/sudo-made' && id -un\" }\n");
  tu_result r;
  /* Untrusted: the property is named with what to do; sudo then fails,
     and says why. */
  RUN (as_caller, &r, p, home, "up");
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "\"runArgs\" not honoured: it widens isolation and this file is not "
                            "trusted; run 'sbx trust'"),
             "%s", r.err);
  cr_assert (strstr (r.err, "sudo cannot work here"), "%s", r.err);
  tu_result_clear (&r);
  RUN (as_caller, &r, p, home, "trust");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  RUN (as_caller, &r, p, home, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "postCreateCommand: tester\n"), "%s", r.err);
  tu_result_clear (&r);
  RUN (as_caller, &r, p, home, "exec", "--", "sh", "-c",
       "cat /usr/local/sudo-made; id -u; sudo -n id -u");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "via-sudo\n4242\n0\n");
  tu_result_clear (&r);
  _cleanup_json_ json_t *ins = inspect (p);
  json_t *hc = json_object_get (ins, "HostConfig");
  cr_assert_eq (tu_default_caps (hc), 14);
  cr_assert_eq (json_array_size (json_object_get (hc, "SecurityOpt")), 0);
  cr_assert_str_eq (
      json_string_value (json_object_get (
          json_object_get (json_object_get (ins, "Config"), "Labels"), "dev.sbx.hardening")),
      "docker-default");
  /* status and doctor say that the project runs with weaker hardening. */
  RUN (as_caller, &r, p, home, "devenv", "status");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, "hardening:   docker-default, asked by .devcontainer/devcontainer.json "
                            "\"runArgs\" (weaker than strict)"),
             "%s", r.out);
  cr_assert (strstr (r.out, "not given: no-setuid:"), "%s", r.out);
  tu_result_clear (&r);
  RUN (as_caller, &r, p, home, "--json", "devenv", "status");
  _cleanup_json_ json_t *st = json_loads (r.out, 0, NULL);
  cr_assert_not_null (st, "%s", r.out);
  json_t *h = json_object_get (st, "hardening");
  cr_assert_str_eq (json_string_value (json_object_get (h, "container")), "docker-default", "%s",
                    r.out);
  cr_assert (json_is_true (json_object_get (h, "weaker")));
  tu_result_clear (&r);
  RUN (as_caller, &r, p, home, "doctor");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, "  hardening        docker-default, asked by"), "%s", r.out);
  cr_assert (strstr (r.out, "  root             no: Docker's default capabilities"), "%s", r.out);
  tu_result_clear (&r);
  RUN (as_caller, &r, p, home, "--json", "doctor");
  _cleanup_json_ json_t *doc = json_loads (r.out, 0, NULL);
  cr_assert_not_null (doc, "%s", r.out);
  cr_assert_str_eq (
      json_string_value (json_object_get (json_object_get (doc, "project"), "container_hardening")),
      "docker-default");
  tu_result_clear (&r);
  cleanup (as_caller, p, home);
}

Test (hardening, config_key_opt_in_needs_trust_and_a_change_replaces_the_container)
{
  char *home = caller_home (), *p = project (0, NULL, NULL);
  tu_write_file (p, ".sbx/config.json", "{ \"container_hardening\": \"docker-default\" }\n");
  tu_result r;
  RUN (as_root, &r, p, home, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "'container_hardening' ignored (it would give the container Docker's "
                            "default capabilities without no-new-privileges): this file is not "
                            "trusted; run 'sbx trust'"),
             "%s", r.err);
  tu_result_clear (&r);
  RUN (as_root, &r, p, home, "exec", "--", "grep", "CapEff", "/proc/self/status");
  cr_assert_str_eq (r.out, "CapEff:\t0000000000000000\n");
  tu_result_clear (&r);
  RUN (as_root, &r, p, home, "trust");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  /* The change replaces the container, and says so. */
  RUN (as_root, &r, p, home, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "runs with hardening 'strict'; replacing it with one with hardening "
                            "'docker-default', asked by \"container_hardening\" in"),
             "%s", r.err);
  tu_result_clear (&r);
  /* Root has Docker's default capabilities, and no more. */
  RUN (as_root, &r, p, home, "exec", "--", "grep", "CapEff", "/proc/self/status");
  cr_assert_str_eq (r.out, "CapEff:\t00000000a80425fb\n");
  tu_result_clear (&r);
  /* Back to strict: replaced again. */
  tu_write_file (p, ".sbx/config.json", "{ \"container_hardening\": \"strict\" }\n");
  RUN (as_root, &r, p, home, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "runs with hardening 'docker-default'; replacing it with one with "
                            "hardening 'strict'"),
             "%s", r.err);
  tu_result_clear (&r);
  RUN (as_root, &r, p, home, "exec", "--", "grep", "CapEff", "/proc/self/status");
  cr_assert_str_eq (r.out, "CapEff:\t0000000000000000\n");
  tu_result_clear (&r);
  RUN (as_root, &r, p, home, "devenv", "status");
  cr_assert (strstr (r.out, "hardening:   strict (no capabilities, no-new-privileges)"), "%s",
             r.out);
  tu_result_clear (&r);
  cleanup (as_root, p, home);
}

/* A trusted devcontainer.json asking for more than the safe subset: an
   error (exit 125) naming the property and the option. */
static void
refused (const char *json, const char *property, const char *option)
{
  char *home = caller_home (), *p = project (0, NULL, json);
  tu_result r;
  RUN (as_root, &r, p, home, "trust");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  RUN (as_root, &r, p, home, "up");
  cr_assert_eq (r.status, 125, "%s: %s", json, r.err);
  _cleanup_free_ char *want = xasprintf ("\"%s\": ", property);
  cr_assert (strstr (r.err, want), "%s: %s", json, r.err);
  cr_assert (strstr (r.err, option), "%s: %s", json, r.err);
  cr_assert (strstr (r.err, "remove it"), "%s: %s", json, r.err);
  cr_assert_eq (strchr (r.err, '\n'), r.err + strlen (r.err) - 1, "one line: %s", r.err);
  tu_result_clear (&r);
  cleanup (as_root, p, home);
}

Test (hardening, what_the_opt_in_does_not_allow_is_an_error)
{
  refused ("{\"runArgs\": [\"--privileged\"]}", "runArgs", "--privileged");
  refused ("{\"runArgs\": [\"--cap-add\", \"SYS_ADMIN\"]}", "runArgs", "SYS_ADMIN");
  refused ("{\"runArgs\": [\"--cap-add=ALL\"]}", "runArgs", "ALL");
  refused ("{\"runArgs\": [\"--security-opt\", \"seccomp=unconfined\"]}", "runArgs",
           "seccomp=unconfined");
  refused ("{\"runArgs\": [\"--network=host\"]}", "runArgs", "--network=host");
  refused ("{\"runArgs\": [\"-v\", \"/:/host\"]}", "runArgs", "\"-v\"");
  refused ("{\"runArgs\": [\"--device\", \"/dev/kvm\"]}", "runArgs", "--device");
  refused ("{\"capAdd\": [\"SYS_PTRACE\"]}", "capAdd", "SYS_PTRACE");
  refused ("{\"securityOpt\": [\"apparmor=unconfined\"]}", "securityOpt", "apparmor=unconfined");
  refused ("{\"privileged\": true}", "privileged", "true");
}

/* ---- 4. remoteUser / containerUser / updateRemoteUserUID ---- */

Test (hardening, remote_user_names_the_image_user_renumbered_to_the_caller)
{
  /* The image has a user tester (with a home); the caller is alice. */
  caller_name = "alice";
  char *home = caller_home ();
  char *p = project (4242, SUDOERS,
                     "{ \"remoteUser\": \"tester\", \"containerUser\": \"root\",\n"
                     "  \"updateRemoteUserUID\": false,\n"
                     "  \"postCreateCommand\": \"whoami\" }\n");
  tu_result r;
  RUN (as_caller, &r, p, home, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "postCreateCommand: tester\n"), "%s", r.err);
  cr_assert (strstr (r.err, "\"updateRemoteUserUID\": false not honoured: sbx always gives the "
                            "container user your uid:gid"),
             "%s", r.err);
  cr_assert_null (strstr (r.err, "\"remoteUser\" not honoured"), "%s", r.err);
  tu_result_clear (&r);
  RUN (as_caller, &r, p, home, "exec", "--", "sh", "-c",
       "whoami; id -u; id -g; echo \"$HOME $USER\"; stat -c %u \"$HOME\"");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "tester\n4242\n4242\n/home/tester tester\n4242\n");
  tu_result_clear (&r);
  cleanup (as_caller, p, home);
  caller_name = "tester";
}

Test (hardening, remote_user_root_for_a_caller_who_is_not_root_runs_as_the_caller)
{
  char *home = caller_home ();
  char *p = project (4242, NULL, "{ \"remoteUser\": \"root\" }\n");
  tu_result r;
  RUN (as_caller, &r, p, home, "up");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "\"remoteUser\": \"root\" not honoured: commands run as your uid:gid "
                            "(4242:4242) under your login name"),
             "%s", r.err);
  tu_result_clear (&r);
  RUN (as_caller, &r, p, home, "exec", "--", "sh", "-c", "whoami; id -u");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "tester\n4242\n");
  tu_result_clear (&r);
  cleanup (as_caller, p, home);
}
