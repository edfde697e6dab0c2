/* cmd_trust.c: sbx trust [--revoke | --list]

   Trust the project's own configuration files as they are now (trust.h):
   their keys may then widen isolation.  A file changed afterwards is
   untrusted again. */
#include "cli.h"
#include "trust.h"
#include "util.h"

#include <getopt.h>
#include <string.h>

static void
help (void)
{
  printf ("usage: sbx trust [--revoke | --list]\n\n"
          "A project's own files (.sbx/config.json, .devcontainer/devcontainer.json,\n"
          ".devcontainer.json) can be written by what runs in its sandbox, so sbx lets\n"
          "them only narrow isolation: a key that would widen it (enabled: false, type,\n"
          "allow_network, writable_dirs, pass_env, a lower isolation, runtime...) is\n"
          "ignored with a warning.  'sbx trust' records the SHA-256 of each of these\n"
          "files as it is now, so that its keys apply; a file changed afterwards is\n"
          "untrusted again.  The record is kept in $XDG_STATE_HOME/sbx/trust (default\n"
          "~/.local/state/sbx/trust).  Command-line flags still win over every file.\n\n"
          "  --revoke   forget the project's files\n"
          "  --list     every trusted file, and whether it is still as it was trusted\n");
}

static const char *
state_name (sbx_trust_state s)
{
  switch (s)
    {
    case SBX_TRUST_OK:
      return "trusted";
    case SBX_TRUST_CHANGED:
      return "changed";
    case SBX_TRUST_MISSING:
      return "missing";
    }
  return "unknown";
}

static int
list (cli_ctx *ctx)
{
  _cleanup_error_ sbx_error *err = NULL;
  sbx_trust_entry *e = NULL;
  size_t n = 0;
  if (sbx_trust_list (&e, &n, &err) < 0)
    return cli_report (ctx, err);
  if (ctx->json)
    {
      json_t *arr = json_array ();
      for (size_t i = 0; i < n; i++)
        json_array_append_new (arr, json_pack ("{s:s,s:s,s:s}", "path", e[i].path, "sha256",
                                               e[i].hash, "state", state_name (e[i].state)));
      _cleanup_json_ json_t *o = json_pack ("{s:o}", "trusted", arr);
      cli_print_json (o);
    }
  else
    for (size_t i = 0; i < n; i++)
      printf ("%-8s %.12s  %s\n", state_name (e[i].state), e[i].hash, e[i].path);
  sbx_trust_entries_free (e, n);
  return 0;
}

int
cmd_trust (cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "revoke", no_argument, 0, 'r' },
                                        { "list", no_argument, 0, 'l' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  bool revoke = false, do_list = false;
  cli_opts op = { .argc = argc, .argv = argv, .shortopts = "", .longopts = opts, .help = help };
  int ch, rc;
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    switch (ch)
      {
      case 'r':
        revoke = true;
        break;
      case 'l':
        do_list = true;
        break;
      }
  if (ch == CLI_OPT_RETURN)
    return rc;
  if (cli_opt_no_operands (ctx, &op, &rc) < 0)
    return rc;
  if (revoke && do_list)
    return cli_usage_error (ctx, "--revoke and --list do not go together");
  if (do_list)
    return list (ctx);

  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_free_ char *dir = NULL;
  if (sbx_project_locate (ctx->project_arg, ctx->project_arg != NULL, &dir, &err) < 0)
    return cli_report (ctx, err);
  if (revoke)
    {
      size_t removed = 0;
      if (sbx_trust_revoke (dir, &removed, &err) < 0)
        return cli_report (ctx, err);
      if (ctx->json)
        {
          _cleanup_json_ json_t *o
              = json_pack ("{s:s,s:I}", "project", dir, "revoked", (json_int_t)removed);
          cli_print_json (o);
        }
      else if (ctx->verbosity >= 0)
        printf ("%s: %zu file%s no longer trusted\n", dir, removed, removed == 1 ? "" : "s");
      return 0;
    }
  sbx_trust_entry *e = NULL;
  size_t n = 0;
  if (sbx_trust_project (dir, &e, &n, &err) < 0)
    return cli_report (ctx, err);
  if (ctx->json)
    {
      json_t *arr = json_array ();
      for (size_t i = 0; i < n; i++)
        json_array_append_new (arr,
                               json_pack ("{s:s,s:s}", "path", e[i].path, "sha256", e[i].hash));
      _cleanup_json_ json_t *o = json_pack ("{s:s,s:o}", "project", dir, "trusted", arr);
      cli_print_json (o);
    }
  else if (n == 0)
    fprintf (stderr,
             "%s: nothing to trust: %s has no .sbx/config.json, .devcontainer/devcontainer.json "
             "or .devcontainer.json\n",
             ctx->prog, dir);
  else if (ctx->verbosity >= 0)
    for (size_t i = 0; i < n; i++)
      printf ("trusted %s (sha256 %.12s)\n", e[i].path, e[i].hash);
  sbx_trust_entries_free (e, n);
  return 0;
}
