/* glob.h: path pattern matching as Docker's classic builder does it for
   COPY/ADD sources (Go's filepath.Match: '*' and '?' never cross '/', a
   class is negated by '^' only).  (.dockerignore has its own matcher, in
   ignore.c.)  double_star gives '**' the meaning of any number of
   directories. */
#ifndef SBX_DEVENV_GLOB_H
#define SBX_DEVENV_GLOB_H

#include <stdbool.h>
#include "error.h"

/* Does pattern match the whole of path?  double_star: give '**' its
   .dockerignore meaning.  Invalid patterns never match (check them first
   with devenv_glob_check). */
bool devenv_glob_match (const char *pattern, const char *path, bool double_star);
/* Could pattern match some path strictly below the directory dir?  (Compared
   component by component; with double_star, '**' could match anything.) */
bool devenv_glob_may_match_below (const char *pattern, const char *dir, bool double_star);
/* Is pattern well formed ('[' closed, no trailing '\')? */
int devenv_glob_check (const char *pattern, sbx_error **err);
/* Does pattern contain a wildcard? */
bool devenv_glob_has_magic (const char *pattern);
/* Clean a relative path the way Go's path.Clean does (no "." or ".."
   components where they can be resolved, no duplicate or trailing '/'),
   after dropping leading '/'.  "" becomes ".".  Allocated.  *escapes is set
   when ".." climbs above the root. */
char *devenv_path_clean (const char *path, bool *escapes);

#endif
