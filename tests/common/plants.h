/* plants.h: what a hostile command does to make a protected name that was
   missing when its sandbox started, shared by the host-level and the
   container tests of the watch (agent/guard.c). */
#ifndef SBX_TEST_PLANTS_H
#define SBX_TEST_PLANTS_H

#include <stddef.h>

#include "testutil.h"

#define TU_PLANT_MARKER "PLANTED-MARKER"
#define TU_GUARD_LINE                                                                              \
  "which would make your git run code outside the sandbox; it was removed and the command was "    \
  "ended"

/* git A B in dir (B may be NULL). */
void tu_git (tu_result *r, const char *dir, const char *a, const char *b);
/* A new project made by git init with, beside its .git, a git dir "evil"
   whose config runs a planted fsmonitor (printing TU_PLANT_MARKER),
   checked to work once .git/commondir names it (allocated). */
char *tu_evil_repo (void);

/* A command that makes a missing protected name (%1$s: the project), and
   the name that must be gone afterwards. */
typedef struct
{
  const char *script;
  const char *gone;
} tu_plant;
extern const tu_plant tu_plants[];
extern const size_t tu_n_plants;

#endif
