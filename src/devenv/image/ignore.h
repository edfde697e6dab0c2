/* ignore.h: .dockerignore, with Docker's rules: one pattern a line, '#'
   comments, surrounding spaces trimmed, patterns cleaned and relative to the
   context root, '*' '?' '[...]' within a path component, '**' across
   components, '!' re-includes; the last pattern that matches a path (or one
   of its parent directories) decides. */
#ifndef SBX_DEVENV_IGNORE_H
#define SBX_DEVENV_IGNORE_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"

typedef struct devenv_ignore devenv_ignore;

/* name: the file, for messages. */
int devenv_ignore_parse (const char *text, size_t len, const char *name, devenv_ignore **out,
                         sbx_error **err);
/* <context_dir>/.dockerignore; no file gives an empty set. */
int devenv_ignore_load (const char *context_dir, devenv_ignore **out, sbx_error **err);
void devenv_ignore_free (devenv_ignore *ig);
void devenv_ignore_freep (devenv_ignore **ig);
#define _cleanup_ignore_ __attribute__ ((cleanup (devenv_ignore_freep)))

/* Is path (relative, '/'-separated, cleaned) excluded from the context? */
bool devenv_ignore_excluded (const devenv_ignore *ig, const char *path);
/* Could a path below the excluded directory dir be re-included by a '!'
   pattern?  (When not, the directory need not be walked.) */
bool devenv_ignore_may_reinclude (const devenv_ignore *ig, const char *dir);
size_t devenv_ignore_count (const devenv_ignore *ig);

#endif
