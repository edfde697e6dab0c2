/* cli_opts.c: the part of option parsing that every verb does alike. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int
cli_opt_next (cli_ctx *ctx, cli_opts *o, int *rc)
{
  if (!o->started)
    {
      /* 0, not 1: glibc then starts afresh, whatever parsed before. */
      optind = 0;
      opterr = 0;
      o->started = true;
    }
  char spec[64];
  snprintf (spec, sizeof spec, "+:%sh", o->shortopts ? o->shortopts : "");
  int ch = getopt_long (o->argc, o->argv, spec, o->longopts, NULL);
  switch (ch)
    {
    case -1:
      return CLI_OPT_END;
    case 'h':
      o->help ();
      *rc = 0;
      return CLI_OPT_RETURN;
    case ':':
      *rc = cli_usage_error (ctx, "option '%s' needs a value", o->argv[optind - 1]);
      return CLI_OPT_RETURN;
    case '?':
      if (optopt)
        *rc = cli_usage_error (ctx, "unknown option '-%c'", optopt);
      else
        *rc = cli_usage_error (ctx, "unknown option '%s'", o->argv[optind - 1]);
      return CLI_OPT_RETURN;
    default:
      return ch;
    }
}

int
cli_opt_no_operands (cli_ctx *ctx, const cli_opts *o, int *rc)
{
  if (optind >= o->argc)
    return 0;
  *rc = cli_usage_error (ctx, "unexpected argument '%s'", o->argv[optind]);
  return -1;
}

int
cli_opt_bare (cli_ctx *ctx, int argc, char **argv, const char *usage, int *rc)
{
  if (argc < 2)
    return 0;
  if (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    {
      fputs (usage, stdout);
      *rc = 0;
    }
  else
    *rc = cli_usage_error (ctx, "unexpected argument '%s'", argv[1]);
  return 1;
}
