/* cmd_exec.c: sbx exec [-i] [--timeout DUR] [-e K=V]... [-w DIR] -- CMD... */
#include "cli.h"
#include "cli_project.h"
#include "util.h"

#include <getopt.h>
#include <string.h>

static void
help (void)
{
  printf ("usage: sbx exec [-i] [--timeout DUR] [-e K=V]... [-w DIR] -- CMD...\n\n"
          "Run CMD in the project container, starting (or creating) it if needed.\n"
          "stdout and stderr are kept apart; the exit status is CMD's.\n\n"
          "  -i             pass stdin on to CMD (without -i, as with docker exec, CMD's\n"
          "                 stdin is /dev/null); no TTY: for one, use 'sbx shell CMD...'\n"
          "  --timeout DUR  kill CMD (inside the container) after DUR (1.5s, 200ms, 2m); exit 124\n"
          "  -e K=V         set an environment variable (-e K takes K from this environment)\n"
          "  -w DIR         working directory (relative: to the project; default: the current\n"
          "                 directory when inside the project, else the project)\n");
}

int
cmd_exec (cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "timeout", required_argument, 0, 't' },
                                         { "env", required_argument, 0, 'e' },
                                         { "workdir", required_argument, 0, 'w' },
                                         { "interactive", no_argument, 0, 'i' },
                                         { "help", no_argument, 0, 'h' },
                                         { 0, 0, 0, 0 } };
  cli_exec_opts o = { 0 };
  _cleanup_strv_ char **env = xcalloc (1, sizeof *env);
  _cleanup_error_ sbx_error *err = NULL;
  cli_opts op = { .argc = argc, .argv = argv, .shortopts = "ie:w:", .longopts = opts, .help = help };
  int ch, rc;
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    switch (ch)
      {
      case 't':
        if (sbx_parse_duration (optarg, &o.timeout_ms, &err) < 0)
          return cli_report (ctx, err);
        break;
      case 'e':
        if (cli_env_append (&env, optarg, &err) < 0)
          return cli_usage_error (ctx, "%s", err->msg);
        break;
      case 'w':
        o.workdir = optarg;
        break;
      case 'i':
        o.stdin = true;
        break;
      }
  if (ch == CLI_OPT_RETURN)
    return rc;
  if (optind >= argc)
    return cli_usage_error (ctx, "no command given (sbx exec -- CMD...)");
  o.argv = argv + optind;
  o.env = env;
  return cli_exec_in_project (ctx, &o);
}
