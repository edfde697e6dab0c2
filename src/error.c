/* error.c: construction and release of sbx_error values. */
#include "error.h"
#include "util.h"

#include <stdarg.h>
#include <string.h>

static int
make (sbx_error **err, sbx_error_code code, int errnum, const char *fmt, va_list ap)
{
  if (err == NULL || *err != NULL)
    return -1;
  char *msg;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  if (msg && errnum)
    {
      char *full = xasprintf ("%s: %s", msg, strerror (errnum));
      free (msg);
      msg = full;
    }
  sbx_error *e = xcalloc (1, sizeof *e);
  e->code = code;
  e->errno_value = errnum;
  e->msg = msg ? msg : xstrdup ("unknown error");
  *err = e;
  return -1;
}

int
sbx_fail (sbx_error **err, sbx_error_code code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  make (err, code, 0, fmt, ap);
  va_end (ap);
  return -1;
}

int
sbx_fail_errno (sbx_error **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  make (err, SBX_ERR_IO, errnum, fmt, ap);
  va_end (ap);
  return -1;
}

int
sbx_error_prefix (sbx_error **err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  char *prefix;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end (ap);
  if (prefix)
    {
      char *full = xasprintf ("%s: %s", prefix, (*err)->msg);
      free (prefix);
      free ((*err)->msg);
      (*err)->msg = full;
    }
  return -1;
}

void
sbx_error_free (sbx_error *e)
{
  if (e)
    {
      free (e->msg);
      free (e);
    }
}

void
sbx_error_freep (sbx_error **e)
{
  sbx_error_free (*e);
  *e = NULL;
}
