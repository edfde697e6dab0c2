/* cli_pending.c: verbs whose implementation is not linked in yet answer with
   a clear error.  Each is a weak symbol that the real verb replaces. */
#include "cli.h"

#define PENDING(name)                                                                            \
  __attribute__ ((weak)) int cmd_##name (cli_ctx *ctx, int argc, char **argv)                    \
  {                                                                                              \
    fprintf (stderr, "%s: '%s' is not available in this build\n", ctx->prog, #name);             \
    return SBX_EXIT_ERROR;                                                                       \
  }

PENDING (devenv)
PENDING (gc)
PENDING (run)
PENDING (profile)
