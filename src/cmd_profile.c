/* cmd_profile.c: sbx profile seatbelt [--allow-network] [--rw DIR]... [--ro DIR]...
   [--strict]: print the macOS Seatbelt (SBPL) profile sbx would use for the
   project.  It is generated from the configuration and the flags (flags
   win); it can be generated on any OS. */
#include "cli.h"
#include "host/host.h"
#include "util.h"

#include <getopt.h>
#include <limits.h>
#include <string.h>

static void
help (void)
{
  printf ("usage: sbx profile seatbelt [--allow-network] [--rw DIR]... [--ro DIR]... [--strict]\n\n"
          "Print the macOS Seatbelt (SBPL) profile that 'sbx run' gives sandbox-exec for\n"
          "this project: deny by default, read the system, read and write the project and\n"
          "the temp dirs, network only when allowed, never the Docker (or other container\n"
          "daemon) sockets.\n\n"
          "  --allow-network  allow network access\n"
          "  --rw DIR         also allow reading and writing DIR (repeatable)\n"
          "  --ro DIR         also allow reading DIR (repeatable)\n"
          "  --strict         the enhanced level's profile (narrower reads and execs)\n");
}

static char *
absolute (const char *dir)
{
  if (dir[0] == '/')
    return xstrdup (dir);
  char cwd[PATH_MAX];
  if (getcwd (cwd, sizeof cwd) == NULL)
    return xstrdup (dir);
  return xasprintf ("%s/%s", cwd, dir);
}

int
cmd_profile (cli_ctx *ctx, int argc, char **argv)
{
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      help ();
      return 0;
    }
  if (argc < 2)
    return cli_usage_error (ctx, "which profile? (sbx profile seatbelt)");
  if (strcmp (argv[1], "seatbelt") != 0)
    return cli_usage_error (ctx, "unknown profile kind '%s'; the only one is 'seatbelt'", argv[1]);

  static const struct option opts[] = { { "allow-network", no_argument, 0, 'n' },
                                         { "ro", required_argument, 0, 'r' },
                                         { "rw", required_argument, 0, 'w' },
                                         { "strict", no_argument, 0, 's' },
                                         { "help", no_argument, 0, 'h' },
                                         { 0, 0, 0, 0 } };
  bool allow_network = false, strict = false;
  _cleanup_strv_ char **ro = NULL;
  _cleanup_strv_ char **rw = NULL;
  cli_opts op = { .argc = argc - 1, .argv = argv + 1, .shortopts = "", .longopts = opts, .help = help };
  int ch, rc;
  /* argv[1] is "seatbelt": parse from there. */
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    switch (ch)
      {
      case 'n':
        allow_network = true;
        break;
      case 'r':
        {
          _cleanup_free_ char *d = absolute (optarg);
          strv_append (&ro, d);
        }
        break;
      case 'w':
        {
          _cleanup_free_ char *d = absolute (optarg);
          strv_append (&rw, d);
        }
        break;
      case 's':
        strict = true;
        break;
      }
  if (ch == CLI_OPT_RETURN)
    return rc;
  if (cli_opt_no_operands (ctx, &op, &rc) < 0)
    return rc;

  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_project_ sbx_project *project = NULL;
  __attribute__ ((cleanup (sbx_config_clear))) sbx_config cfg = { 0 };
  if (cli_open_project (ctx, &project, &cfg, &err) < 0)
    return cli_report (ctx, err);
  _cleanup_free_ char *project_dir = xstrdup (project->dir);

  for (char **d = ro; d && *d; d++)
    strv_append (&cfg.read_only_dirs, *d);
  for (char **d = rw; d && *d; d++)
    strv_append (&cfg.writable_dirs, *d);
  if (cfg.isolation >= SBX_LEVEL_ENHANCED && cfg.isolation < SBX_LEVEL_CONTAINER)
    strict = true;
  host_policy pol = {
    .project_dir = project_dir,
    .allow_write = cfg.allow_write,
    .allow_network = allow_network || cfg.allow_network,
    .ro_dirs = cfg.read_only_dirs,
    .rw_dirs = cfg.writable_dirs,
  };
  _cleanup_free_ char *profile
      = host_seatbelt_profile (&pol, strict ? HOST_SEATBELT_STRICT : HOST_SEATBELT_WORKSPACE);
  if (ctx->json)
    {
      _cleanup_json_ json_t *o
          = json_pack ("{s:s,s:s,s:s}", "kind", "seatbelt", "mode",
                       strict ? "strict" : "workspace", "profile", profile);
      cli_print_json (o);
    }
  else
    fputs (profile, stdout);
  return 0;
}
