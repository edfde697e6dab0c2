/* main.c: global options and dispatch to the verbs. */
#include "cli.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t cancel_flag, signalled;

static void
on_signal (int sig)
{
  cancel_flag = sig;
  signalled = sig;
}

typedef struct verb
{
  const char *name;
  int (*fn) (cli_ctx *, int, char **);
  const char *summary;
} verb;

static const verb verbs[] = {
  { "version", cmd_version, "client and engine versions, negotiated API version" },
  { "doctor", cmd_doctor, "what this machine offers and what each isolation level selects" },
  { "devenv", cmd_devenv, "build, inspect or invalidate the project image" },
  { "up", cmd_up, "start the project container" },
  { "exec", cmd_exec, "run a command in the project container" },
  { "shell", cmd_shell, "interactive shell in the project container" },
  { "swap", cmd_swap, "replace the running container with one on the new image" },
  { "down", cmd_down, "stop and remove the project container" },
  { "trust", cmd_trust, "trust the project's own config files as they are now" },
  { "ps", cmd_ps, "list sbx-managed containers" },
  { "gc", cmd_gc, "remove unused sbx images and exited containers" },
  { "run", cmd_run, "run a command confined on the host" },
  { "profile", cmd_profile, "print a generated sandbox profile" },
};

static void
usage (FILE *f)
{
  fprintf (f, "usage: sbx [--project DIR] [--host URL] [--json] [-q|-v] COMMAND ...\n\n"
              "Run commands in isolation: a per-project container (Docker Engine API)\n"
              "or host confinement (Landlock, seccomp, bubblewrap, nsjail).\n\ncommands:\n");
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    fprintf (f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
  fprintf (f, "  %-9s %s\n", "help",
           "this help, or a command's: sbx help COMMAND (as COMMAND --help)");
  fprintf (
      f, "\nglobal options:\n"
         "  --project DIR  the project (default: git root of the current directory)\n"
         "  --host URL     engine address (default: $DOCKER_HOST or unix:///var/run/docker.sock)\n"
         "  --json         one JSON object on stdout\n"
         "  -q, --quiet    print only results\n"
         "  -v, --verbose  say more on stderr\n\n"
         "exit status: the command's own; 124 timeout; 125 sbx or engine error;\n"
         "126 cannot execute; 127 command not found.\n");
}

static const char *
option_value (int argc, char **argv, int *i, const char *name)
{
  size_t n = strlen (name);
  if (strncmp (argv[*i], name, n) == 0 && argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (strcmp (argv[*i], name) == 0 && *i + 1 < argc)
    return argv[++*i];
  return NULL;
}

int
main (int argc, char **argv)
{
  cli_ctx ctx = { .prog = "sbx", .cancel = &cancel_flag, .signalled = &signalled };
  /* A standard descriptor the caller closed would be taken by the first
     file or socket opened here, and read or written as if it were stdio. */
  for (int fd = 0; fd <= 2; fd++)
    if (fcntl (fd, F_GETFD) < 0 && errno == EBADF && open ("/dev/null", O_RDWR) != fd)
      return SBX_EXIT_ERROR;
  struct sigaction sa = { .sa_handler = on_signal };
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);

  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      const char *a = argv[i], *v;
      if (strcmp (a, "--json") == 0)
        ctx.json = true;
      else if (strcmp (a, "-q") == 0 || strcmp (a, "--quiet") == 0)
        ctx.verbosity = -1;
      else if (strcmp (a, "-v") == 0 || strcmp (a, "--verbose") == 0)
        ctx.verbosity = 1;
      else if (strcmp (a, "-h") == 0 || strcmp (a, "--help") == 0)
        {
          usage (stdout);
          return 0;
        }
      else if (strcmp (a, "--version") == 0)
        {
          printf ("sbx %s\n", SBX_VERSION);
          return 0;
        }
      else if (strncmp (a, "--project", 9) == 0 && (v = option_value (argc, argv, &i, "--project")))
        ctx.project_arg = v;
      else if (strncmp (a, "--host", 6) == 0 && (v = option_value (argc, argv, &i, "--host")))
        ctx.host = v;
      else
        {
          fprintf (stderr, "sbx: unknown or incomplete global option '%s'; see 'sbx --help'\n", a);
          return SBX_EXIT_ERROR;
        }
    }
  if (i >= argc)
    {
      usage (stderr);
      return SBX_EXIT_ERROR;
    }
  /* sbx help [COMMAND]: the general help, or COMMAND --help (only that:
     the words after COMMAND are never passed on as operands). */
  const char *help_of = NULL;
  if (strcmp (argv[i], "help") == 0)
    {
      if (i + 1 >= argc)
        {
          usage (stdout);
          return 0;
        }
      help_of = argv[++i];
    }
  const char *name = help_of ? help_of : argv[i];
  char *help_argv[] = { (char *) name, (char *) "--help", NULL };
  for (size_t k = 0; k < sizeof verbs / sizeof verbs[0]; k++)
    if (strcmp (name, verbs[k].name) == 0)
      {
        ctx.command = verbs[k].name;
        int rc
            = help_of ? verbs[k].fn (&ctx, 2, help_argv) : verbs[k].fn (&ctx, argc - i, argv + i);
        fflush (stdout);
        return rc;
      }
  fprintf (stderr, "sbx: unknown command '%s'; see 'sbx --help'\n", name);
  return SBX_EXIT_ERROR;
}
