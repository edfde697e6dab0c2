/* cli.c: helpers shared by the verbs: reporting, project/engine opening,
   durations. */
#include "cli.h"
#include "util.h"

#include <stdarg.h>
#include <string.h>

int
cli_report (cli_ctx *ctx, sbx_error *err)
{
  const char *msg = err && err->msg ? err->msg : "unknown error";
  /* Interrupted by a signal: 128 + its number, as a shell reports it. */
  int sig = ctx->signalled ? (int) *ctx->signalled : 0;
  int rc
      = err && err->code == SBX_ERR_INTERRUPTED && sig > 0 && sig < 64 ? 128 + sig : SBX_EXIT_ERROR;
  if (ctx->json)
    {
      _cleanup_json_ json_t *o = json_pack ("{s:s,s:i}", "error", msg, "exit", rc);
      cli_print_json (o);
    }
  fprintf (stderr, "%s: %s\n", ctx->prog, msg);
  return rc;
}

int
cli_usage_error (cli_ctx *ctx, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  _cleanup_free_ char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  fprintf (stderr, "%s %s: %s; see '%s %s --help'\n", ctx->prog, ctx->command ? ctx->command : "",
           msg ? msg : "bad usage", ctx->prog, ctx->command ? ctx->command : "");
  return SBX_EXIT_ERROR;
}

void
cli_verbose (cli_ctx *ctx, const char *fmt, ...)
{
  if (ctx->verbosity < 1)
    return;
  va_list ap;
  va_start (ap, fmt);
  fprintf (stderr, "%s: ", ctx->prog);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
}

void
cli_print_json (json_t *obj)
{
  _cleanup_free_ char *s = json_dumps (obj, JSON_COMPACT | JSON_ENSURE_ASCII);
  if (s)
    printf ("%s\n", s);
  fflush (stdout);
}

int
cli_env_append (char ***env, const char *arg, sbx_error **err)
{
  const char *v;
  if (arg[0] == '\0' || arg[0] == '=')
    return sbx_fail (err, SBX_ERR_INVALID, "-e needs K=V or K, not '%s'", arg);
  if (strchr (arg, '='))
    strv_append (env, arg);
  else if ((v = getenv (arg)))
    {
      _cleanup_free_ char *kv = xasprintf ("%s=%s", arg, v);
      strv_append (env, kv);
    }
  return 0;
}

/* The keys of an untrusted project file that were ignored, one line each. */
static void
config_refusals (cli_ctx *ctx, const sbx_config *cfg)
{
  for (char **r = cfg->refused; r && *r; r++)
    fprintf (stderr, "%s: warning: %s\n", ctx->prog, *r);
}

int
cli_open_project (cli_ctx *ctx, sbx_project **project, sbx_config *cfg, sbx_error **err)
{
  _cleanup_project_ sbx_project *p = NULL;
  if (sbx_project_open (ctx->project_arg, ctx->project_arg != NULL, &p, err) < 0)
    return -1;
  if (cfg)
    {
      sbx_config_init_default (cfg);
      if (sbx_config_load (cfg, p->dir, err) < 0)
        return -1;
      config_refusals (ctx, cfg);
    }
  if (project)
    *project = steal_pointer (&p);
  return 0;
}

int
cli_open_project_dir (cli_ctx *ctx, char **dir, sbx_config *cfg, sbx_error **err)
{
  _cleanup_free_ char *root = NULL;
  if (sbx_project_locate (ctx->project_arg, ctx->project_arg != NULL, &root, err) < 0)
    return -1;
  sbx_config_init_default (cfg);
  if (sbx_config_load (cfg, root, err) < 0)
    return -1;
  config_refusals (ctx, cfg);
  *dir = steal_pointer (&root);
  return 0;
}

int
cli_open_engine (cli_ctx *ctx, engine_client **client, sbx_error **err)
{
  if (engine_client_new (ctx->host, client, err) < 0)
    return -1;
  engine_client_set_cancel (*client, ctx->cancel);
  return 0;
}

