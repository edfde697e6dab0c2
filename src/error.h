/* error.h: crun-style errors.  A function that can fail returns 0 or a
   negative value and takes `sbx_error **err` last; on failure it fills *err
   with a code and a message that says what failed, with what, and what to
   do.  Messages are never printed below the CLI. */
#ifndef SBX_ERROR_H
#define SBX_ERROR_H

typedef enum
{
  SBX_ERR_GENERIC = 1,
  SBX_ERR_INVALID,     /* bad input from the user: flags, config, files */
  SBX_ERR_UNREACHABLE, /* the engine cannot be reached */
  SBX_ERR_ENGINE,      /* the engine answered with an error */
  SBX_ERR_NOT_FOUND,   /* engine 404 or a missing object */
  SBX_ERR_CONFLICT,    /* engine 409 */
  SBX_ERR_UNAVAILABLE, /* a capability (runtime, backend) is missing here */
  SBX_ERR_TIMEOUT,     /* a deadline expired */
  SBX_ERR_INTERRUPTED, /* cancelled by a signal */
  SBX_ERR_IO,          /* a local system call failed */
} sbx_error_code;

typedef struct sbx_error
{
  sbx_error_code code;
  int errno_value; /* errno when the failure came from a system call, else 0 */
  int http_status; /* engine status code when it came from the engine, else 0 */
  char *msg;
} sbx_error;

/* Fill *err (when err is not NULL and *err is empty) and return -1. */
int sbx_fail (sbx_error **err, sbx_error_code code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Same, appending ": strerror(errnum)". */
int sbx_fail_errno (sbx_error **err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Prefix the message of an existing error with context; returns -1. */
int sbx_error_prefix (sbx_error **err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void sbx_error_free (sbx_error *e);
void sbx_error_freep (sbx_error **e);
#define _cleanup_error_ __attribute__ ((cleanup (sbx_error_freep)))

#endif
