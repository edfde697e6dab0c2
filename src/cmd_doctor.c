/* cmd_doctor.c: sbx doctor: what this machine offers (engine, runtimes,
   Landlock, seccomp, bwrap, nsjail) and what each isolation level selects
   here, and why. */
#include "cli.h"
#include "devenv/project_container.h"
#include "guarantees.h"
#include "select.h"
#include "util.h"

#include <string.h>

static bool
is_gvisor (const char *name, json_t *rt)
{
  const char *path = json_string_value (json_object_get (rt, "path"));
  const char *base = path ? strrchr (path, '/') : NULL;
  base = base ? base + 1 : path;
  return strstr (name, "runsc") != NULL || (base && strcmp (base, "runsc") == 0);
}

/* The engine part; *reason gets why it is unreachable. */
static json_t *
engine_report (cli_ctx *ctx, engine_client *c, char **reason)
{
  sbx_error *err = NULL;
  _cleanup_json_ json_t *v = NULL, *info = NULL;
  const char *api = NULL;
  if (engine_client_api_version (c, &api, &err) < 0 || engine_version (c, &v, &err) < 0
      || engine_info (c, &info, &err) < 0)
    {
      *reason = xstrdup (err->msg);
      sbx_error_free (err);
      return json_pack ("{s:s,s:b,s:s}", "address", engine_client_address (c), "reachable", 0,
                        "error", *reason);
    }
  json_t *runtimes = json_array ();
  const char *name;
  json_t *rt;
  json_object_foreach (json_object_get (info, "Runtimes"), name, rt)
    json_array_append_new (runtimes,
                           json_pack ("{s:s,s:s,s:b}", "name", name, "path",
                                      json_string_value (json_object_get (rt, "path")) ?: name,
                                      "gvisor", is_gvisor (name, rt)));
  return json_pack ("{s:s,s:b,s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:s}", "address",
                    engine_client_address (c), "reachable", 1, "version",
                    json_string_value (json_object_get (v, "Version")) ?: "", "engine_api",
                    json_string_value (json_object_get (v, "ApiVersion")) ?: "", "api", api,
                    "runtimes", runtimes, "default_runtime",
                    json_string_value (json_object_get (info, "DefaultRuntime")) ?: "",
                    "storage_driver", json_string_value (json_object_get (info, "Driver")) ?: "",
                    "cgroup_version", json_string_value (json_object_get (info, "CgroupVersion")) ?: "",
                    "kernel", json_string_value (json_object_get (info, "KernelVersion")) ?: "");
}

/* One line per guarantee: yes/no per level; then why for each "no" of a
   level that is not off. */
static void
print_guarantees (json_t *g)
{
  printf ("guarantees          off  default  enhanced  container  maximum\n");
  const char *name;
  json_t *row;
  json_object_foreach (g, name, row)
    {
      printf ("  %-18s", name);
      for (int l = SBX_LEVEL_OFF; l <= SBX_LEVEL_MAXIMUM; l++)
        {
          const char *lv = sbx_level_name ((sbx_level) l);
          json_t *cell = json_object_get (row, lv);
          printf (" %-*s", l == SBX_LEVEL_OFF ? 4 : (int) strlen (lv) + 1,
                  json_is_true (json_object_get (cell, "given")) ? "yes" : "no");
        }
      printf ("\n");
    }
  json_object_foreach (g, name, row)
    for (int l = SBX_LEVEL_DEFAULT; l <= SBX_LEVEL_MAXIMUM; l++)
      {
        json_t *cell = json_object_get (row, sbx_level_name ((sbx_level) l));
        if (!json_is_true (json_object_get (cell, "given")))
          printf ("  %s at %s: %s\n", name, sbx_level_name ((sbx_level) l),
                  json_string_value (json_object_get (cell, "how")));
      }
}

/* The project of the current directory (or --project), when there is one:
   the hardening its container runs with, and what that loses. */
static json_t *
project_report (cli_ctx *ctx, engine_client *c)
{
  _cleanup_project_ sbx_project *p = NULL;
  sbx_config cfg;
  memset (&cfg, 0, sizeof cfg);
  sbx_error *err = NULL;
  _cleanup_free_ char *mode = NULL, *by = NULL;
  if (cli_open_project (ctx, &p, &cfg, &err) < 0
      || devenv_project_hardening (p, &cfg, &mode, &by, &err) < 0)
    {
      sbx_error_free (err);
      sbx_config_clear (&cfg);
      return NULL;
    }
  sbx_config_clear (&cfg);
  _cleanup_ctr_ devenv_ctr ctr = { 0 };
  if (c && devenv_container_find (c, p, &ctr, &err) < 0)
    sbx_error_free (err);
  const char *running = ctr.json ? ctr.hardening : NULL;
  return json_pack ("{s:s,s:s,s:o,s:o,s:o}", "dir", p->dir, "hardening", mode, "asked_by",
                    by ? json_string (by) : json_null (), "container_hardening",
                    running ? json_string (running) : json_null (), "not_given",
                    sbx_hardening_report (running ? running : mode));
}

static void
print_project (json_t *pr)
{
  if (!pr)
    return;
  printf ("project %s\n", json_string_value (json_object_get (pr, "dir")));
  const char *mode = json_string_value (json_object_get (pr, "hardening"));
  const char *by = json_string_value (json_object_get (pr, "asked_by"));
  const char *running = json_string_value (json_object_get (pr, "container_hardening"));
  printf ("  hardening        %s%s%s%s\n", mode, by ? ", asked by " : "", by ? by : "",
          strcmp (mode, "strict") ? " (weaker than strict)" : "");
  if (running && strcmp (running, mode) != 0)
    printf ("  container        runs with '%s' ('sbx up' replaces it)\n", running);
  const char *name;
  json_t *row;
  json_object_foreach (json_object_get (pr, "not_given"), name, row)
      printf ("  %-16s no: %s\n", name, json_string_value (json_object_get (row, "how")));
}

static void
print_text (json_t *eng, json_t *host)
{
  printf ("engine\n");
  printf ("  address          %s\n", json_string_value (json_object_get (eng, "address")));
  if (!json_is_true (json_object_get (eng, "reachable")))
    printf ("  reachable        no: %s\n", json_string_value (json_object_get (eng, "error")));
  else
    {
      printf ("  reachable        yes\n");
      printf ("  version          %s (API %s, sbx uses %s)\n",
              json_string_value (json_object_get (eng, "version")),
              json_string_value (json_object_get (eng, "engine_api")),
              json_string_value (json_object_get (eng, "api")));
      printf ("  storage driver   %s\n", json_string_value (json_object_get (eng, "storage_driver")));
      printf ("  cgroups          v%s\n", json_string_value (json_object_get (eng, "cgroup_version")));
      size_t i;
      json_t *rt;
      printf ("  runtimes        ");
      json_array_foreach (json_object_get (eng, "runtimes"), i, rt)
        printf (" %s%s", json_string_value (json_object_get (rt, "name")),
                json_is_true (json_object_get (rt, "gvisor")) ? " (gVisor)" : "");
      printf ("  [default %s]\n", json_string_value (json_object_get (eng, "default_runtime")));
    }
  printf ("host\n");
  const char *k;
  json_t *v;
  json_object_foreach (json_object_get (host, "probes"), k, v)
    {
      _cleanup_free_ char *s = json_dumps (v, JSON_ENCODE_ANY);
      printf ("  %-16s %s\n", k, json_is_string (v) ? json_string_value (v) : s);
    }
  printf ("isolation levels\n");
  json_object_foreach (json_object_get (host, "levels"), k, v)
    {
      json_t *b = json_object_get (v, "backend");
      printf ("  %-10s %-20s %s\n", k, json_is_string (b) ? json_string_value (b) : "UNAVAILABLE",
              json_string_value (json_object_get (v, "reason")) ?: "");
    }
  print_guarantees (json_object_get (host, "guarantees"));
}

int
cmd_doctor (cli_ctx *ctx, int argc, char **argv)
{
  static const char usage[]
      = "usage: sbx doctor\n\nReport the engine (address, versions, runtimes, storage\n"
        "driver), the host probes (Landlock ABI, seccomp, bwrap, nsjail) and which\n"
        "backend each isolation level selects here, and why; then which guarantees\n"
        "each level gives on this machine (yes/no, and why not); in a project, the\n"
        "hardening of its container and what a trusted opt-in to Docker's default\n"
        "capabilities takes away.  Exit 0 even when something is missing: the\n"
        "report says what.\n";
  int rc;
  if (cli_opt_bare (ctx, argc, argv, usage, &rc))
    return rc;
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_json_ json_t *eng = NULL, *host = NULL;
  _cleanup_free_ char *why = NULL;
  sbx_probes probes;
  memset (&probes, 0, sizeof probes);
  sbx_probe_host (&probes, true);
  if (cli_open_engine (ctx, &c, &err) < 0)
    {
      const char *addr = ctx->host ? ctx->host : getenv ("DOCKER_HOST");
      eng = json_pack ("{s:s,s:b,s:s}", "address", addr ? addr : ENGINE_DEFAULT_HOST, "reachable",
                       0, "error", err->msg);
      sbx_probe_engine (&probes, NULL, err->msg);
    }
  else
    {
      eng = engine_report (ctx, c, &why);
      sbx_probe_engine (&probes, why ? NULL : c, why);
    }
  host = sbx_host_report (&probes);
  sbx_kernel_caps kc;
  sbx_kernel_caps_probe (&kc);
  json_object_set_new (host, "guarantees", sbx_guarantees_report (&probes, &kc));
  _cleanup_json_ json_t *project = project_report (ctx, why ? NULL : c);
  if (ctx->json)
    {
      _cleanup_json_ json_t *o = json_pack ("{s:O,s:O}", "engine", eng, "host", host);
      if (project)
        json_object_set (o, "project", project);
      cli_print_json (o);
    }
  else
    {
      print_text (eng, host);
      print_project (project);
    }
  return 0;
}
