/* ignore.h: .dockerignore as the Docker 20.10 client applies it when it
   sends a build context (the engine itself only drops the Dockerfile and the
   .dockerignore): ignorefile reading (a line starting with '#' is a comment,
   surrounding spaces trimmed, '!' re-includes, patterns cleaned as Go's
   filepath.Clean does, a leading '/' dropped), each pattern translated into
   a regular expression the way Docker's pattern matcher does it ('*' and
   '?' within a component, '**' across components, '.' and '$' literal, '\'
   escapes the next character, every other character, '[' '^' '+' '(' '|'
   '{' included, with its regular-expression meaning: so "[!x]" is a class
   holding '!' and 'x', not a negation), and the client's walk: an entry at
   the top of the context is matched with its parent directories, a deeper
   one starts from its directory's verdict (a later pattern that matches the
   directory does not re-exclude what an exception brought back), and an
   excluded directory is entered only when an exception pattern starts with
   its path.  Where this and Docker's documentation disagree, this follows
   the implementation: it decides what the engine receives. */
#ifndef SBX_DEVENV_IGNORE_H
#define SBX_DEVENV_IGNORE_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"

typedef struct devenv_ignore devenv_ignore;

/* name: the file, for messages.  A pattern Docker rejects is an error; so is
   one using a regular-expression feature that sbx cannot match exactly as
   Docker's (Go) engine does (a '\' before a letter or digit, a class holding
   a non-ASCII character, a repetition of a repetition or of nothing). */
int devenv_ignore_parse (const char *text, size_t len, const char *name, devenv_ignore **out,
                         sbx_error **err);
/* <context_dir>/.dockerignore; no file gives an empty set. */
int devenv_ignore_load (const char *context_dir, devenv_ignore **out, sbx_error **err);
void devenv_ignore_free (devenv_ignore *ig);
void devenv_ignore_freep (devenv_ignore **ig);
#define _cleanup_ignore_ __attribute__ ((cleanup (devenv_ignore_freep)))

/* The walk's verdict on path (relative, '/'-separated, cleaned): is it
   excluded?  parent: the verdict on its directory (0 or 1), or -1 for an
   entry at the top of the context (then its parent directories are matched
   too). */
bool devenv_ignore_match (const devenv_ignore *ig, const char *path, int parent);
/* Does the walk enter the excluded directory dir (an exception pattern
   starts with "dir/")? */
bool devenv_ignore_descend (const devenv_ignore *ig, const char *dir);
/* Is path left out of the context sent to the engine (its parents taken as
   directories, walked as the client walks them)? */
bool devenv_ignore_excluded (const devenv_ignore *ig, const char *path);
size_t devenv_ignore_count (const devenv_ignore *ig);

#endif
