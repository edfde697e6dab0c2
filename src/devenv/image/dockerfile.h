/* dockerfile.h: what sbx needs to know of a Dockerfile: its instructions
   (with their line numbers, to name a failing step) and the build-context
   paths its COPY/ADD instructions can read. */
#ifndef SBX_DEVENV_DOCKERFILE_H
#define SBX_DEVENV_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"

typedef struct devenv_instruction
{
  int line;   /* 1-based line where it starts */
  char *cmd;  /* upper case: "COPY" */
  char *text; /* the instruction as one line, continuations joined */
} devenv_instruction;

typedef struct devenv_dockerfile
{
  devenv_instruction *ins;
  size_t n;
  /* The instructions the classic builder runs as its steps 1..n_built:
     every stage up to the target (ARGs before the first FROM included);
     the steps after those are the LABELs the build request adds. */
  size_t n_built;
  /* Context sources of COPY/ADD (cleaned, relative, may be globs), for the
     stages that the build runs: the classic builder runs every stage up to
     the target, but only those the target reaches (FROM <stage>, COPY
     --from=<stage>, transitively) make the image. */
  char **sources;
  int *source_lines;  /* the line of each source */
  bool *source_keyed; /* its stage is one the target reaches */
  size_t n_sources;
  /* A source that cannot be resolved statically ($VAR, "..", a heredoc):
     the whole context is sent; whole_keyed: from a stage the target
     reaches, so the whole context counts in the key. */
  bool whole_context;
  bool whole_keyed;
  char *whole_reason;
  /* Names declared by ARG before the first FROM or in a reached stage
     (NULL-terminated): a build arg no ARG declares leaves the image as it
     is (the builder only warns). */
  char **args;
  /* The Dockerfile as the key sees it: its lines before the first FROM and
     those of the reached stages, each stage under its index. */
  char *key_text;
  size_t key_len;
} devenv_dockerfile;

/* Parse text (name: for messages).  target: the stage the build stops at
   (NULL: the last).  Errors (SBX_ERR_INVALID, "name:line: what"): no
   instruction, an unknown instruction, a first instruction other than
   FROM/ARG, COPY/ADD without a destination, an unknown target. */
int devenv_dockerfile_parse (const char *text, size_t len, const char *name, const char *target,
                             devenv_dockerfile **out, sbx_error **err);
void devenv_dockerfile_free (devenv_dockerfile *df);
void devenv_dockerfile_freep (devenv_dockerfile **df);
#define _cleanup_dockerfile_ __attribute__ ((cleanup (devenv_dockerfile_freep)))

#endif
