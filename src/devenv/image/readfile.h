/* readfile.h: read a whole small regular file, with messages that name it. */
#ifndef SBX_DEVENV_READFILE_H
#define SBX_DEVENV_READFILE_H

#include <stddef.h>
#include "error.h"

/* *buf is NUL-terminated (allocated); what: how to name the file in errors
   ("the Dockerfile"). */
int devenv_read_file (const char *path, const char *what, size_t max, char **buf, size_t *len,
                      sbx_error **err);

#endif
