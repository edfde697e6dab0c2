/* cli.h: what the CLI verbs (src/cmd_*.c) share.  Only the CLI prints and
   only the CLI exits. */
#ifndef SBX_CLI_H
#define SBX_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

#include "config.h"
#include "duration.h"
#include "error.h"
#include "project.h"
#include "engine/engine.h"

/* Exit statuses, as docker and timeout(1). */
#define SBX_EXIT_TIMEOUT 124
#define SBX_EXIT_ERROR 125
#define SBX_EXIT_CANNOT_EXEC 126
#define SBX_EXIT_NOT_FOUND 127

typedef struct cli_ctx
{
  const char *project_arg; /* --project */
  const char *host;        /* --host */
  bool json;               /* --json */
  int verbosity;           /* -1 quiet, 0 normal, 1 verbose */
  const char *prog;        /* "sbx" */
  const char *command;     /* the verb, for messages */
  volatile sig_atomic_t *cancel; /* set by SIGINT/SIGTERM/SIGHUP */
  /* The last of those signals, never cleared (cancel is, when a signal is
     passed on to a command): the exit status of an interrupted verb. */
  volatile sig_atomic_t *signalled;
} cli_ctx;

/* Print "sbx: <message>" on stderr (or the JSON error object with --json) and
   return 125. */
int cli_report (cli_ctx *ctx, sbx_error *err);
/* Same for a usage error of the current verb. */
int cli_usage_error (cli_ctx *ctx, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Verbose (-v) message on stderr. */
void cli_verbose (cli_ctx *ctx, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Print the JSON object on stdout (one line). */
void cli_print_json (json_t *obj);

/* -e K=V: append it; -e K: append K=$K when K is set here.  An empty name
   is a usage error. */
int cli_env_append (char ***env, const char *arg, sbx_error **err);

/* A verb's options: getopt_long over argv (argv[0] the verb) with what
   every verb does alike.  -h and --help print help; an unknown option or
   one without its value is a usage error. */
typedef struct cli_opts
{
  int argc;
  char **argv;
  const char *shortopts; /* getopt's, without the leading '+' and 'h' */
  const struct option *longopts; /* {"help", no_argument, 0, 'h'} among them */
  void (*help) (void);
  bool started;
} cli_opts;

#define CLI_OPT_END (-1)    /* no more options: optind is the first operand */
#define CLI_OPT_RETURN (-2) /* the verb returns *rc (0 after help, 125 after a usage error) */

int cli_opt_next (cli_ctx *ctx, cli_opts *o, int *rc);
/* After the options: 0 when no operand follows, else a usage error (-1,
   *rc set). */
int cli_opt_no_operands (cli_ctx *ctx, const cli_opts *o, int *rc);
/* A verb that takes no argument: -h/--help prints usage (*rc 0), anything
   else is a usage error (*rc 125); 1 then, the verb returns *rc; 0: go on. */
int cli_opt_bare (cli_ctx *ctx, int argc, char **argv, const char *usage, int *rc);

/* The project, its configuration and an engine client, as the global options
   say.  Each out pointer may be NULL. */
int cli_open_project (cli_ctx *ctx, sbx_project **project, sbx_config *cfg, sbx_error **err);
/* The project directory and its configuration, without computing the
   project's identity (no hashing: for host-level commands that must start
   fast). */
int cli_open_project_dir (cli_ctx *ctx, char **dir, sbx_config *cfg, sbx_error **err);
int cli_open_engine (cli_ctx *ctx, engine_client **client, sbx_error **err);

/* The verbs. */
int cmd_version (cli_ctx *ctx, int argc, char **argv);
int cmd_doctor (cli_ctx *ctx, int argc, char **argv);
int cmd_up (cli_ctx *ctx, int argc, char **argv);
int cmd_exec (cli_ctx *ctx, int argc, char **argv);
int cmd_down (cli_ctx *ctx, int argc, char **argv);
int cmd_ps (cli_ctx *ctx, int argc, char **argv);
int cmd_devenv (cli_ctx *ctx, int argc, char **argv);
int cmd_gc (cli_ctx *ctx, int argc, char **argv);
int cmd_shell (cli_ctx *ctx, int argc, char **argv);
int cmd_swap (cli_ctx *ctx, int argc, char **argv);
int cmd_run (cli_ctx *ctx, int argc, char **argv);
int cmd_profile (cli_ctx *ctx, int argc, char **argv);
int cmd_trust (cli_ctx *ctx, int argc, char **argv);

#endif
