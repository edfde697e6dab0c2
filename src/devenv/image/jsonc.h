/* jsonc.h: JSON with comments, as devcontainer.json allows: '//' and
   block comments outside strings, trailing commas before '}' or ']'. */
#ifndef SBX_DEVENV_JSONC_H
#define SBX_DEVENV_JSONC_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"

/* A copy of text in which comments and trailing commas are blanks (newlines
   kept, so that line and column numbers stay those of the file).  An
   unterminated block comment is an error naming *line. */
int devenv_jsonc_strip (const char *text, size_t len, char **out, int *line, sbx_error **err);
/* Parse text as JSONC into *out; errors say "name:line:column: what". */
int devenv_jsonc_parse (const char *text, size_t len, const char *name, json_t **out,
                        sbx_error **err);

#endif
