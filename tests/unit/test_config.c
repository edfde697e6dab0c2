/* test_config.c: the configuration files: precedence (project over user,
   SBX_CONFIG alone), every field, and errors that name file and line. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

static char *base, *project, *xdg;

static void
put (const char *path, const char *text)
{
  _cleanup_free_ char *dir = xstrdup (path);
  *strrchr (dir, '/') = '\0';
  _cleanup_free_ char *cmd = xasprintf ("mkdir -p '%s'", dir);
  cr_assert_eq (system (cmd), 0);
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f);
  fputs (text, f);
  fclose (f);
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
  unsetenv ("SBX_CONFIG");
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
                "  \"image\": \"alpine:3.20\"\n"
                "}\n");
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
  cr_expect_not_null (strstr (cfg.source, ".sbx/config.json"));
  sbx_config_clear (&cfg);
}

Test (config, project_wins_over_user)
{
  user_file ("{\"allow_network\": true, \"isolation\": \"container\", \"max_memory_mb\": 512}");
  project_file ("{\"isolation\": \"enhanced\"}");
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect_eq (cfg.isolation, SBX_LEVEL_ENHANCED, "the project file wins");
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
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_config_load (&cfg, project, NULL), 0);
  cr_expect_null (cfg.image);
  cr_expect_null (cfg.type);
  sbx_config_clear (&cfg);
}
