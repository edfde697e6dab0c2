/* test_config.c: the configuration files: precedence (project over user,
   SBX_CONFIG alone), every field, and errors that name file and line. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "trust.h"
#include "testutil.h"
#include "util.h"

static char *base, *project, *xdg;

static void
put (const char *path, const char *text)
{
  tu_write_file ("", path + 1, text);
}

static void
setup (void)
{
  char tmpl[] = "/tmp/sbx-config-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  base = xstrdup (tmpl);
  project = xasprintf ("%s/project", base);
  xdg = xasprintf ("%s/xdg", base);
  mkdir (project, 0755);
  mkdir (xdg, 0755);
  setenv ("XDG_CONFIG_HOME", xdg, 1);
  setenv ("HOME", base, 1);
  _cleanup_free_ char *state = xasprintf ("%s/state", base);
  setenv ("XDG_STATE_HOME", state, 1);
  unsetenv ("SBX_CONFIG");
}

/* sbx trust: the project's files as they are now. */
static void
trust (void)
{
  sbx_trust_entry *e = NULL;
  size_t n = 0;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_trust_project (project, &e, &n, &err), 0, "%s", err ? err->msg : "");
  sbx_trust_entries_free (e, n);
}

/* The refusal line about key, or NULL. */
static const char *
refused (const sbx_config *cfg, const char *key)
{
  _cleanup_free_ char *k = xasprintf ("'%s' ignored", key);
  for (char **r = cfg->refused; r && *r; r++)
    if (strstr (*r, k))
      return *r;
  return NULL;
}

static void
teardown (void)
{
  _cleanup_free_ char *cmd = xasprintf ("rm -rf '%s'", base);
  (void) !system (cmd);
  free (base);
  free (project);
  free (xdg);
}

static void
project_file (const char *text)
{
  _cleanup_free_ char *p = xasprintf ("%s/.sbx/config.json", project);
  put (p, text);
}

static void
user_file (const char *text)
{
  _cleanup_free_ char *p = xasprintf ("%s/sbx/config.json", xdg);
  put (p, text);
}

/* Load and expect failure; returns the message. */
static char *
load_err (void)
{
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  sbx_error *err = NULL;
  cr_assert_eq (sbx_config_load (&cfg, project, &err), -1, "load should fail");
  cr_assert_eq (err->code, SBX_ERR_INVALID);
  /* On error the configuration is left as it was. */
  cr_expect (cfg.enabled);
  cr_expect_eq (cfg.isolation, SBX_LEVEL_DEFAULT);
  char *msg = xstrdup (err->msg);
  sbx_error_free (err);
  sbx_config_clear (&cfg);
  return msg;
}

TestSuite (config, .init = setup, .fini = teardown);

Test (config, defaults_without_files)
{
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  sbx_error *err = NULL;
  cr_assert_eq (sbx_config_load (&cfg, project, &err), 0);
  cr_expect (cfg.enabled);
  cr_expect_not (cfg.allow_network);
  cr_expect (cfg.allow_write);
  cr_expect_eq (cfg.isolation, SBX_LEVEL_DEFAULT);
  cr_expect_str_eq (cfg.runtime, "runsc");
  cr_expect_null (cfg.source);
  sbx_config_clear (&cfg);
}

Test (config, every_field)
{
  project_file ("{\n"
                "  \"enabled\": true,\n"
                "  \"type\": \"bwrap\",\n"
                "  \"allow_network\": true,\n"
                "  \"allow_write\": false,\n"
                "  \"read_only_dirs\": [\"/opt/sdk\", \"vendor\", \"~/lib\"],\n"
                "  \"writable_dirs\": [\"/var/cache/x\"],\n"
                "  \"max_memory_mb\": 2048,\n"
                "  \"max_cpu_pct\": 150,\n"
                "  \"isolation\": \"enhanced\",\n"
                "  \"runtime\": \"runsc-debug\",\n"
                "  \"image\": \"alpine:3.20\",\n"
                "  \"deny_read\": [\"~/.config/secret\"],\n"
                "  \"protected_paths\": [\"Makefile\"],\n"
                "  \"allow_unix_sockets\": [\"/run/x.sock\"],\n"
                "  \"pass_env\": [\"NPM_TOKEN\", \"AWS_*\"]\n"
                "}\n");
  trust ();
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  sbx_error *err = NULL;
  cr_assert_eq (sbx_config_load (&cfg, project, &err), 0, "%s", err ? err->msg : "");
  cr_expect_str_eq (cfg.type, "bwrap");
  cr_expect (cfg.allow_network);
  cr_expect_not (cfg.allow_write);
  cr_assert_eq (strv_len (cfg.read_only_dirs), 3);
  cr_expect_str_eq (cfg.read_only_dirs[0], "/opt/sdk");
  _cleanup_free_ char *vendor = xasprintf ("%s/vendor", project);
  cr_expect_str_eq (cfg.read_only_dirs[1], vendor);
  _cleanup_free_ char *lib = xasprintf ("%s/lib", base);
  cr_expect_str_eq (cfg.read_only_dirs[2], lib);
  cr_expect_str_eq (cfg.writable_dirs[0], "/var/cache/x");
  cr_expect_eq (cfg.max_memory_mb, 2048);
  cr_expect_eq (cfg.max_cpu_pct, 150);
  cr_expect_eq (cfg.isolation, SBX_LEVEL_ENHANCED);
  cr_expect_str_eq (cfg.runtime, "runsc-debug");
  cr_expect_str_eq (cfg.image, "alpine:3.20");
  _cleanup_free_ char *secret = xasprintf ("%s/.config/secret", base);
  cr_assert_eq (strv_len (cfg.deny_read), 1);
  cr_expect_str_eq (cfg.deny_read[0], secret);
  _cleanup_free_ char *mk = xasprintf ("%s/Makefile", project);
  cr_assert_eq (strv_len (cfg.protected_paths), 1);
  cr_expect_str_eq (cfg.protected_paths[0], mk);
  cr_assert_eq (strv_len (cfg.allow_unix_sockets), 1);
  cr_expect_str_eq (cfg.allow_unix_sockets[0], "/run/x.sock");
  cr_assert_eq (strv_len (cfg.pass_env), 2);
  cr_expect_str_eq (cfg.pass_env[1], "AWS_*");
  cr_expect_null (cfg.refused, "a trusted file refuses nothing");
  cr_expect_not_null (strstr (cfg.type_from, ".sbx/config.json"));
  cr_expect_not_null (strstr (cfg.source, ".sbx/config.json"));
  sbx_config_clear (&cfg);
}

Test (config, project_wins_over_user)
{
  user_file ("{\"allow_network\": true, \"isolation\": \"container\", \"max_memory_mb\": 512}");
  project_file ("{\"isolation\": \"enhanced\"}");
  trust ();
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect_eq (cfg.isolation, SBX_LEVEL_ENHANCED, "the trusted project file wins");
  cr_expect (cfg.allow_network, "keys only in the user file stay");
  cr_expect_eq (cfg.max_memory_mb, 512);
  cr_expect_not_null (strstr (cfg.source, "xdg/sbx/config.json"));
  cr_expect_not_null (strstr (cfg.source, "project/.sbx/config.json"));
  sbx_config_clear (&cfg);
}

Test (config, xdg_default_is_dot_config)
{
  unsetenv ("XDG_CONFIG_HOME");
  _cleanup_free_ char *p = xasprintf ("%s/.config/sbx/config.json", base);
  put (p, "{\"allow_network\": true}");
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect (cfg.allow_network);
  sbx_config_clear (&cfg);
}

Test (config, sbx_config_is_the_only_file)
{
  user_file ("{\"allow_network\": true}");
  project_file ("{\"isolation\": \"enhanced\"}");
  _cleanup_free_ char *only = xasprintf ("%s/only.json", base);
  put (only, "{\"max_cpu_pct\": 50}");
  setenv ("SBX_CONFIG", only, 1);
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect_eq (cfg.max_cpu_pct, 50);
  cr_expect_not (cfg.allow_network);
  cr_expect_eq (cfg.isolation, SBX_LEVEL_DEFAULT);
  sbx_config_clear (&cfg);

  _cleanup_free_ char *missing = xasprintf ("%s/missing.json", base);
  setenv ("SBX_CONFIG", missing, 1);
  _cleanup_free_ char *msg = load_err ();
  cr_expect_not_null (strstr (msg, "missing.json"), "%s", msg);
}

Test (config, unknown_key_names_file_and_line)
{
  project_file ("{\n  \"allow_network\": false,\n\n  \"alow_write\": true\n}\n");
  _cleanup_free_ char *msg = load_err ();
  cr_expect_not_null (strstr (msg, ".sbx/config.json:4:"), "%s", msg);
  cr_expect_not_null (strstr (msg, "unknown key 'alow_write'"), "%s", msg);
}

Test (config, wrong_type_names_line)
{
  project_file ("{\n  \"enabled\": true,\n  \"allow_network\": \"yes\"\n}\n");
  _cleanup_free_ char *msg = load_err ();
  cr_expect_not_null (strstr (msg, "config.json:3:"), "%s", msg);
  cr_expect_not_null (strstr (msg, "'allow_network' must be true or false, not a string"), "%s",
                      msg);
}

Test (config, wrong_types)
{
  const char *cases[][2] = {
    { "{\"max_memory_mb\": \"1G\"}", "'max_memory_mb' must be an integer" },
    { "{\"max_memory_mb\": -1}", "between 0 and" },
    { "{\"max_cpu_pct\": 1.5}", "'max_cpu_pct' must be an integer, not a number" },
    { "{\"read_only_dirs\": \"/opt\"}", "'read_only_dirs' must be an array" },
    { "{\"writable_dirs\": [1]}", "'writable_dirs'[0] must be a non-empty string" },
    { "{\"isolation\": \"paranoid\"}", "unknown isolation level 'paranoid'" },
    { "{\"isolation\": 3}", "'isolation' must be a string" },
    { "{\"type\": \"chroot\"}", "'type' is 'chroot'" },
    { "{\"runtime\": null}", "'runtime' must be a string" },
    { "[1, 2]", "must be a JSON object" },
    { "{\"enabled\": true, \"enabled\": false}", "invalid JSON" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      project_file (cases[i][0]);
      _cleanup_free_ char *msg = load_err ();
      cr_expect_not_null (strstr (msg, cases[i][1]), "case %zu: %s", i, msg);
      cr_expect_not_null (strstr (msg, "config.json:1:"), "case %zu: %s", i, msg);
    }
}

Test (config, bad_json_gives_line)
{
  project_file ("{\n  \"enabled\": true,\n  \"allow_network\": tru\n}\n");
  _cleanup_free_ char *msg = load_err ();
  cr_expect_not_null (strstr (msg, "config.json:3: invalid JSON"), "%s", msg);
}

Test (config, user_file_errors_too)
{
  user_file ("{\"bogus\": 1}");
  _cleanup_free_ char *msg = load_err ();
  cr_expect_not_null (strstr (msg, "xdg/sbx/config.json:1: unknown key 'bogus'"), "%s", msg);
}

Test (config, null_clears_nullable)
{
  user_file ("{\"image\": \"a:b\", \"type\": \"landlock\"}");
  project_file ("{\"image\": null, \"type\": null}");
  trust ();
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect_null (cfg.image);
  cr_expect_null (cfg.type);
  sbx_config_clear (&cfg);
}

/* Every widening key of an untrusted project file is ignored and named;
   the rest applies. */
Test (config, untrusted_project_only_narrows)
{
  user_file ("{\"max_memory_mb\": 1024, \"max_cpu_pct\": 200, \"allow_write\": false,"
             " \"writable_dirs\": [\"/srv/a\"], \"isolation\": \"enhanced\"}");
  project_file ("{\n"
                "  \"enabled\": false,\n"
                "  \"type\": \"none\",\n"
                "  \"allow_network\": true,\n"
                "  \"allow_write\": true,\n"
                "  \"writable_dirs\": [\"/var/run\"],\n"
                "  \"read_only_dirs\": [\"/root\"],\n"
                "  \"allow_unix_sockets\": [\"/var/run/docker.sock\"],\n"
                "  \"pass_env\": [\"GITHUB_TOKEN\"],\n"
                "  \"isolation\": \"default\",\n"
                "  \"runtime\": \"runc\",\n"
                "  \"max_memory_mb\": 0,\n"
                "  \"max_cpu_pct\": 400\n"
                "}\n");
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  sbx_error *err = NULL;
  cr_assert_eq (sbx_config_load (&cfg, project, &err), 0, "%s", err ? err->msg : "");
  cr_expect (cfg.enabled);
  cr_expect_null (cfg.type);
  cr_expect_not (cfg.allow_network);
  cr_expect_not (cfg.allow_write);
  cr_assert_eq (strv_len (cfg.writable_dirs), 1);
  cr_expect_str_eq (cfg.writable_dirs[0], "/srv/a");
  cr_expect_null (cfg.read_only_dirs);
  cr_expect_null (cfg.allow_unix_sockets);
  cr_expect_null (cfg.pass_env);
  cr_expect_eq (cfg.isolation, SBX_LEVEL_ENHANCED);
  cr_expect_str_eq (cfg.runtime, "runsc");
  cr_expect_eq (cfg.max_memory_mb, 1024);
  cr_expect_eq (cfg.max_cpu_pct, 200);
  const char *keys[] = { "enabled",   "type",        "allow_network",  "allow_write",
                         "writable_dirs", "read_only_dirs", "allow_unix_sockets", "pass_env",
                         "isolation", "runtime",     "max_memory_mb", "max_cpu_pct" };
  cr_expect_eq (strv_len (cfg.refused), sizeof keys / sizeof keys[0]);
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    {
      const char *line = refused (&cfg, keys[i]);
      cr_assert_not_null (line, "%s not refused", keys[i]);
      cr_expect_not_null (strstr (line, ".sbx/config.json:"), "%s", line);
      cr_expect_not_null (strstr (line, "sbx trust"), "%s", line);
      cr_expect_null (strchr (line, '\n'), "%s", line);
    }
  cr_expect_not_null (strstr (refused (&cfg, "allow_network"), "config.json:4:"));
  sbx_config_clear (&cfg);
}

Test (config, untrusted_project_narrowing_applies)
{
  user_file ("{\"max_memory_mb\": 1024, \"writable_dirs\": [\"/srv/a\", \"/srv/b\"],"
             " \"deny_read\": [\"/srv/user-secret\"]}");
  project_file ("{\"enabled\": true, \"allow_network\": false, \"allow_write\": false,"
                " \"isolation\": \"container\", \"max_memory_mb\": 512, \"max_cpu_pct\": 50,"
                " \"writable_dirs\": [\"/srv/b\"], \"deny_read\": [\"/srv/more\"],"
                " \"protected_paths\": [\"build.sh\"], \"image\": \"x:y\", \"type\": \"auto\"}");
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect_null (cfg.refused, "%s", cfg.refused ? cfg.refused[0] : "");
  cr_expect_not (cfg.allow_write);
  cr_expect_eq (cfg.isolation, SBX_LEVEL_CONTAINER);
  cr_expect_eq (cfg.max_memory_mb, 512);
  cr_expect_eq (cfg.max_cpu_pct, 50, "a limit where the user has none narrows");
  cr_assert_eq (strv_len (cfg.writable_dirs), 1);
  cr_expect_str_eq (cfg.writable_dirs[0], "/srv/b");
  cr_assert_eq (strv_len (cfg.deny_read), 2, "deny lists add up");
  cr_expect_str_eq (cfg.deny_read[0], "/srv/user-secret");
  cr_expect_str_eq (cfg.deny_read[1], "/srv/more");
  cr_expect_str_eq (cfg.image, "x:y");
  cr_assert_eq (strv_len (cfg.protected_paths), 1);
  sbx_config_clear (&cfg);
}

Test (config, trust_follows_the_content)
{
  project_file ("{\"allow_network\": true}");
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect_not (cfg.allow_network, "untrusted");
  cr_expect_not_null (refused (&cfg, "allow_network"));
  sbx_config_clear (&cfg);

  trust ();
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect (cfg.allow_network, "trusted");
  cr_expect_null (cfg.refused);
  sbx_config_clear (&cfg);

  project_file ("{\"allow_network\": true }");
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect_not (cfg.allow_network, "changed: untrusted again");
  sbx_config_clear (&cfg);

  /* The same trusted content in another project is not trusted there. */
  trust ();
  _cleanup_free_ char *other = xasprintf ("%s/other", base);
  _cleanup_free_ char *op = xasprintf ("%s/.sbx/config.json", other);
  put (op, "{\"allow_network\": true }");
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, other, NULL), 0);
  cr_expect_not (cfg.allow_network);
  sbx_config_clear (&cfg);
}

/* $SBX_CONFIG and the user's file are the user's: trusted. */
Test (config, user_files_are_trusted)
{
  _cleanup_free_ char *only = xasprintf ("%s/only.json", base);
  put (only, "{\"type\": \"none\", \"enabled\": false, \"pass_env\": [\"X_TOKEN\"]}");
  setenv ("SBX_CONFIG", only, 1);
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect_str_eq (cfg.type, "none");
  cr_expect_not (cfg.enabled);
  cr_expect_str_eq (cfg.enabled_from, only);
  cr_expect_null (cfg.refused);
  sbx_config_clear (&cfg);
}

Test (config, new_keys_are_validated)
{
  const char *cases[][2] = {
    { "{\"pass_env\": \"X\"}", "'pass_env' must be an array" },
    { "{\"pass_env\": [\"A=B\"]}", "'pass_env'[0] must be a variable name" },
    { "{\"deny_read\": [2]}", "'deny_read'[0] must be a non-empty string" },
    { "{\"protected_paths\": {}}", "'protected_paths' must be an array" },
    { "{\"allow_unix_sockets\": [\"\"]}", "'allow_unix_sockets'[0] must be a non-empty" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      project_file (cases[i][0]);
      _cleanup_free_ char *msg = load_err ();
      cr_expect_not_null (strstr (msg, cases[i][1]), "case %zu: %s", i, msg);
      cr_expect_not_null (strstr (msg, "config.json:1:"), "case %zu: %s", i, msg);
    }
}
