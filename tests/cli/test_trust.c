/* test_trust.c: a sandbox cannot widen itself through the project's own
   files.  Each widening key of an untrusted .sbx/config.json has no effect
   on the next `sbx run` (against the real kernel and engine), with one
   warning line naming file, key and `sbx trust`; after `sbx trust` the key
   applies; an edited file is refused again; flags and levels asked for are
   never weakened by a file, trusted or not; `sbx trust` itself. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

static char *project, *outside;
static char *env[3];

static void
setup (void)
{
  project = tu_mkproject ();
  char tmpl[] = "/var/tmp/sbx-trust-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  outside = xstrdup (tmpl);
  chmod (outside, 0755);
  tu_write_file (outside, "secret/key", "top-secret\n");
  _cleanup_free_ char *rw = xasprintf ("%s/rw", outside);
  mkdir (rw, 0755);
  env[0] = xasprintf ("XDG_CONFIG_HOME=%s/xdg", outside);
  env[1] = xasprintf ("XDG_STATE_HOME=%s/state", outside);
  unsetenv ("SBX_CONFIG");
}

static void
teardown (void)
{
  tu_down (project);
  tu_rmrf (project);
  tu_rmrf (outside);
  free (project);
  free (outside);
  free (env[0]);
  free (env[1]);
}

TestSuite (trust, .init = setup, .fini = teardown, .timeout = 240);

#define SBX(r, ...) tu_sbx_env (r, project, env, "--project", project, __VA_ARGS__, NULL)

static void
config (const char *json)
{
  tu_write_file (project, ".sbx/config.json", json);
}

static void
trust (void)
{
  tu_result r;
  SBX (&r, "trust");
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
}

/* stderr has exactly one refusal line for key, naming the file and how to
   trust. */
static void
expect_refused (const tu_result *r, const char *key)
{
  _cleanup_free_ char *needle = xasprintf ("'%s' ignored", key);
  const char *hit = strstr (r->err, needle);
  cr_assert_not_null (hit, "no refusal of %s in: %s", key, r->err);
  cr_expect_null (strstr (hit + 1, needle), "one line per key: %s", r->err);
  const char *bol = hit;
  while (bol > r->err && bol[-1] != '\n')
    bol--;
  const char *eol = strchr (hit, '\n');
  _cleanup_free_ char *line = xstrndup (bol, eol ? (size_t)(eol - bol) : strlen (bol));
  _cleanup_free_ char *file = xasprintf ("%s/.sbx/config.json:", project);
  cr_expect_not_null (strstr (line, file), "%s", line);
  cr_expect_not_null (strstr (line, "sbx trust"), "%s", line);
}

static void
expect_no_refusal (const tu_result *r)
{
  cr_expect_null (strstr (r->err, "ignored"), "%s", r->err);
}

static int
listen_tcp (int *port)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  cr_assert_eq (bind (fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq (listen (fd, 8), 0);
  socklen_t l = sizeof a;
  getsockname (fd, (struct sockaddr *)&a, &l);
  *port = ntohs (a.sin_port);
  return fd;
}

Test (trust, allow_network_untrusted_then_trusted_then_edited)
{
  int port;
  int lfd = listen_tcp (&port);
  _cleanup_free_ char *tcp = xasprintf ("echo hi > /dev/tcp/127.0.0.1/%d", port);
  config ("{\n  \"allow_network\": true\n}\n");
  tu_result r;
  SBX (&r, "run", "--", "/bin/bash", "-c", tcp);
  cr_expect_neq (r.status, 0, "an untrusted file gave the network");
  expect_refused (&r, "allow_network");
  cr_expect_not_null (strstr (r.err, "config.json:2:"), "%s", r.err);
  tu_result_clear (&r);

  trust ();
  SBX (&r, "run", "--", "/bin/bash", "-c", tcp);
  cr_expect_eq (r.status, 0, "trusted: %s", r.err);
  expect_no_refusal (&r);
  tu_result_clear (&r);

  config ("{\n  \"allow_network\": true, \"allow_write\": true\n}\n");
  SBX (&r, "run", "--", "/bin/bash", "-c", tcp);
  cr_expect_neq (r.status, 0, "an edited file is untrusted again");
  expect_refused (&r, "allow_network");
  tu_result_clear (&r);
  close (lfd);
}

Test (trust, type_none_and_enabled_false_still_confine)
{
  const char *files[] = { "{\"type\": \"none\"}", "{\"enabled\": false}" };
  const char *keys[] = { "type", "enabled" };
  for (int i = 0; i < 2; i++)
    {
      /* A new file each time (touching an existing one is another matter). */
      _cleanup_free_ char *touch = xasprintf ("touch %s/rw/x%d", outside, i);
      config (files[i]);
      tu_result r;
      SBX (&r, "run", "--", "/bin/sh", "-c", touch);
      cr_expect_neq (r.status, 0, "%s untrusted: wrote outside the project", keys[i]);
      expect_refused (&r, keys[i]);
      tu_result_clear (&r);
      SBX (&r, "run", "--isolation", "enhanced", "--", "/bin/sh", "-c", touch);
      cr_expect_neq (r.status, 0, "%s untrusted at enhanced", keys[i]);
      tu_result_clear (&r);

      /* Trusted, the key applies at the level the file leaves... */
      trust ();
      SBX (&r, "run", "--", "/bin/sh", "-c", touch);
      cr_expect_eq (r.status, 0, "%s trusted: %s", keys[i], r.err);
      tu_result_clear (&r);
      /* ...but never below a level asked for: 125, naming file and key. */
      _cleanup_free_ char *marker = xasprintf ("%s/rw/y%d", outside, i);
      _cleanup_free_ char *touch_y = xasprintf ("touch %s", marker);
      SBX (&r, "run", "--isolation", "enhanced", "--", "/bin/sh", "-c", touch_y);
      cr_expect_eq (r.status, 125, "%s trusted under --isolation enhanced: %s", keys[i], r.err);
      cr_expect_not_null (strstr (r.err, ".sbx/config.json"), "%s", r.err);
      _cleanup_free_ char *quoted = xasprintf ("\"%s\"", keys[i]);
      cr_expect_not_null (strstr (r.err, quoted), "%s", r.err);
      cr_expect_neq (access (marker, F_OK), 0, "the command ran");
      tu_result_clear (&r);
    }
}

Test (trust, dirs_isolation_and_env_do_not_widen_untrusted)
{
  _cleanup_free_ char *json
      = xasprintf ("{\"writable_dirs\": [\"%s/rw\"], \"read_only_dirs\": [\"%s/secret\"],"
                   " \"isolation\": \"off\", \"pass_env\": [\"GITHUB_TOKEN\"]}",
                   outside, outside);
  config (json);
  _cleanup_free_ char *script
      = xasprintf ("touch %s/rw/x && echo wrote; cat %s/secret/key; echo \"token=$GITHUB_TOKEN\"",
                   outside, outside);
  char *tok_env[] = { env[0], env[1], "GITHUB_TOKEN=ghp_secret", NULL };
  tu_result r;
  tu_sbx_env (&r, project, tok_env, "--project", project, "run", "--", "/bin/sh", "-c", script,
              NULL);
  cr_expect_null (strstr (r.out, "wrote"), "%s", r.out);
  cr_expect_null (strstr (r.out, "top-secret"), "%s", r.out);
  cr_expect_null (strstr (r.out, "ghp_secret"), "%s", r.out);
  expect_refused (&r, "writable_dirs");
  expect_refused (&r, "read_only_dirs");
  expect_refused (&r, "isolation");
  expect_refused (&r, "pass_env");
  tu_result_clear (&r);

  trust ();
  tu_sbx_env (&r, project, tok_env, "--project", project, "run", "--", "/bin/sh", "-c", script,
              NULL);
  cr_expect_not_null (strstr (r.out, "wrote"), "%s %s", r.out, r.err);
  cr_expect_not_null (strstr (r.out, "top-secret"), "%s", r.out);
  cr_expect_not_null (strstr (r.out, "token=ghp_secret"), "%s", r.out);
  expect_no_refusal (&r);
  tu_result_clear (&r);
}

/* Limits and sockets: looser than the user's is refused; a narrower
   limit applies without a word. */
Test (trust, limits_and_sockets_untrusted)
{
  tu_write_file (outside, "xdg/sbx/config.json", "{\"max_memory_mb\": 256, \"max_cpu_pct\": 100}");
  config ("{\"max_memory_mb\": 0, \"max_cpu_pct\": 400,"
          " \"allow_unix_sockets\": [\"/var/run/docker.sock\"], \"deny_read\": [\"/srv\"]}");
  tu_result r;
  SBX (&r, "run", "--", "true");
  cr_expect_eq (r.status, 0, "%s", r.err);
  expect_refused (&r, "max_memory_mb");
  expect_refused (&r, "max_cpu_pct");
  expect_refused (&r, "allow_unix_sockets");
  cr_expect_null (strstr (r.err, "'deny_read'"), "narrowing applies: %s", r.err);
  tu_result_clear (&r);
  config ("{\"max_memory_mb\": 128}");
  SBX (&r, "run", "--", "true");
  cr_expect_eq (r.status, 0, "%s", r.err);
  expect_no_refusal (&r);
  tu_result_clear (&r);
}

/* `run --isolation maximum -- dmesg` ran on gVisor; on podman, whose
   Docker API cannot give a container runsc, it failed with sbx's error. */
static void
expect_gvisor (const tu_result *r)
{
  if (tu_engine_is_podman ())
    {
      cr_expect_eq (r->status, 125, "%s", r->err);
      cr_expect_not_null (strstr (r->err, "not 'runsc' as asked"), "%s", r->err);
      return;
    }
  cr_expect_eq (r->status, 0, "%s", r->err);
  cr_expect_not_null (strstr (r->out, "gVisor"), "not on gVisor: %s", r->out);
}

/* The container levels: an untrusted runtime or writable dir never reaches
   the container; maximum never runs without gVisor, trusted or not. */
Test (trust, container_runtime_and_binds)
{
  config ("{\"image\": \"" TU_IMAGE
          "\", \"runtime\": \"runc\", \"writable_dirs\": [\"/var/run\"]}");
  tu_result r;
  SBX (&r, "run", "--isolation", "maximum", "--", "dmesg");
  expect_gvisor (&r);
  expect_refused (&r, "runtime");
  expect_refused (&r, "writable_dirs");
  tu_result_clear (&r);
  SBX (&r, "run", "--isolation", "container", "--", "ls", "/var/run/docker.sock");
  cr_expect_neq (r.status, 0, "docker.sock reached the container: %s", r.out);
  tu_result_clear (&r);

  /* Trusted, a runtime that is not gVisor is still refused at maximum. */
  config ("{\"image\": \"" TU_IMAGE "\", \"runtime\": \"runc\"}");
  trust ();
  SBX (&r, "run", "--isolation", "maximum", "--", "true");
  cr_expect_eq (r.status, 125, "%s", r.err);
  cr_expect_not_null (strstr (r.err, "gVisor"), "%s", r.err);
  cr_expect_not_null (strstr (r.err, ".sbx/config.json"), "%s", r.err);
  tu_result_clear (&r);
  /* --runtime wins over the file (runsc-nonet runs runsc here). */
  SBX (&r, "run", "--isolation", "maximum", "--runtime", "runsc", "--", "dmesg");
  expect_gvisor (&r);
  tu_result_clear (&r);
  SBX (&r, "run", "--isolation", "maximum", "--runtime", "runc", "--", "true");
  cr_expect_eq (r.status, 125, "%s", r.err);
  tu_result_clear (&r);
}

/* The attack as it happens: a sandboxed command writes the project's
   config; the user's next runs are not widened. */
Test (trust, sandboxed_command_writing_config_does_not_widen_next_run)
{
  config ("{\"image\": \"" TU_IMAGE "\"}");
  const char *evil = "{\"image\": \"" TU_IMAGE "\", \"type\": \"none\", \"enabled\": false,"
                     " \"isolation\": \"off\", \"allow_network\": true, \"runtime\": \"runc\","
                     " \"writable_dirs\": [\"/\"]}";
  _cleanup_free_ char *write = xasprintf ("printf '%%s' '%s' > .sbx/config.json", evil);
  tu_result r;
  SBX (&r, "run", "--isolation", "container", "--", "/bin/sh", "-c", write);
  tu_result_clear (&r);
  _cleanup_free_ char *cfg = xasprintf ("%s/.sbx/config.json", project);
  _cleanup_free_ char *now = tu_read_file (cfg);
  if (now == NULL || strstr (now, "\"none\"") == NULL)
    config (evil); /* the sandbox could not write it: the next run is what matters */

  _cleanup_free_ char *touch = xasprintf ("touch %s/rw/x", outside);
  SBX (&r, "run", "--", "/bin/sh", "-c", touch);
  cr_expect_neq (r.status, 0, "widened at the default level");
  expect_refused (&r, "type");
  expect_refused (&r, "enabled");
  tu_result_clear (&r);
  SBX (&r, "run", "--isolation", "enhanced", "--", "/bin/sh", "-c", touch);
  cr_expect_neq (r.status, 0, "widened at enhanced");
  tu_result_clear (&r);
  SBX (&r, "run", "--isolation", "maximum", "--", "dmesg");
  expect_gvisor (&r);
  tu_result_clear (&r);
}

Test (trust, the_verb)
{
  tu_result r;
  SBX (&r, "trust", "--help");
  cr_expect_eq (r.status, 0);
  cr_expect_not_null (strstr (r.out, "usage: sbx trust"));
  cr_expect_not_null (strstr (r.out, "--revoke"));
  tu_result_clear (&r);
  SBX (&r, "trust", "--bogus");
  cr_expect_eq (r.status, 125);
  tu_result_clear (&r);

  /* A .sbx directory without config.json: nothing to trust, nothing recorded. */
  _cleanup_free_ char *dot = xasprintf ("%s/.sbx", project);
  mkdir (dot, 0755);
  SBX (&r, "trust");
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_not_null (strstr (r.err, "nothing to trust"), "%s", r.err);
  tu_result_clear (&r);

  config ("{\"allow_network\": true}");
  tu_write_file (project, ".devcontainer/devcontainer.json", "{\"image\": \"x\"}");
  SBX (&r, "--json", "trust");
  cr_expect_eq (r.status, 0, "%s", r.err);
  cr_expect_not_null (strstr (r.out, "\"sha256\""), "%s", r.out);
  cr_expect_not_null (strstr (r.out, ".sbx/config.json"), "%s", r.out);
  cr_expect_not_null (strstr (r.out, ".devcontainer/devcontainer.json"), "%s", r.out);
  tu_result_clear (&r);

  _cleanup_free_ char *dir = xasprintf ("%s/state/sbx", outside);
  _cleanup_free_ char *file = xasprintf ("%s/state/sbx/trust", outside);
  struct stat st;
  cr_assert_eq (stat (dir, &st), 0);
  cr_expect_eq (st.st_mode & 07777, 0700);
  cr_assert_eq (stat (file, &st), 0);
  cr_expect_eq (st.st_mode & 07777, 0600);
  _cleanup_free_ char *store = tu_read_file (file);
  cr_expect_not_null (strstr (store, project), "%s", store);

  config ("{\"allow_network\": false}");
  SBX (&r, "trust", "--list");
  cr_expect_eq (r.status, 0);
  cr_expect_not_null (strstr (r.out, "changed"), "%s", r.out);
  cr_expect_not_null (strstr (r.out, "trusted"), "%s", r.out);
  tu_result_clear (&r);

  SBX (&r, "trust", "--revoke");
  cr_expect_eq (r.status, 0);
  tu_result_clear (&r);
  SBX (&r, "--json", "trust", "--list");
  cr_expect_eq (r.status, 0);
  cr_expect_str_eq (r.out, "{\"trusted\":[]}\n");
  tu_result_clear (&r);
}
