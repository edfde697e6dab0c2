/* curl_shim.c: the libcurl functions sbx uses, loaded on first use (see
   lazylib.h).  curl_easy_init returns NULL when libcurl cannot be loaded,
   which the client reports as an error; the other functions are only
   reached with a handle. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>

#include "lazylib.h"

static sbx_lazylib curl = { .soname = "libcurl.so.4" };

CURL *
curl_easy_init (void)
{
  __typeof__ (&curl_easy_init) f = (__typeof__ (&curl_easy_init)) sbx_lazylib_sym (&curl, "curl_easy_init");
  return f ? f () : NULL;
}

CURLcode
curl_global_init (long flags)
{
  __typeof__ (&curl_global_init) f
      = (__typeof__ (&curl_global_init)) sbx_lazylib_sym (&curl, "curl_global_init");
  return f ? f (flags) : CURLE_FAILED_INIT;
}

CURLcode
curl_easy_setopt (CURL *h, CURLoption opt, ...)
{
  static __typeof__ (&curl_easy_setopt) fn;
  if (!fn)
    fn = (__typeof__ (&curl_easy_setopt)) sbx_lazylib_need (&curl, "curl_easy_setopt");
  va_list ap;
  va_start (ap, opt);
  CURLcode rc;
  /* The option number says the argument's type. */
  if (opt < CURLOPTTYPE_OBJECTPOINT)
    rc = fn (h, opt, va_arg (ap, long));
  else if (opt < CURLOPTTYPE_OFF_T)
    rc = fn (h, opt, va_arg (ap, void *)); /* object and function pointers */
  else if (opt < CURLOPTTYPE_BLOB)
    rc = fn (h, opt, va_arg (ap, curl_off_t));
  else
    rc = fn (h, opt, va_arg (ap, void *));
  va_end (ap);
  return rc;
}

CURLcode
curl_easy_getinfo (CURL *h, CURLINFO info, ...)
{
  static __typeof__ (&curl_easy_getinfo) fn;
  if (!fn)
    fn = (__typeof__ (&curl_easy_getinfo)) sbx_lazylib_need (&curl, "curl_easy_getinfo");
  va_list ap;
  va_start (ap, info);
  CURLcode rc = fn (h, info, va_arg (ap, void *)); /* always a pointer */
  va_end (ap);
  return rc;
}

SBX_LAZY_FORWARD (curl, void, curl_easy_cleanup, (CURL * h), (h))
SBX_LAZY_FORWARD (curl, void, curl_easy_reset, (CURL * h), (h))
SBX_LAZY_FORWARD (curl, CURLcode, curl_easy_perform, (CURL * h), (h))
SBX_LAZY_FORWARD (curl, const char *, curl_easy_strerror, (CURLcode c), (c))
SBX_LAZY_FORWARD (curl, CURLcode, curl_easy_send,
                  (CURL * h, const void *buf, size_t len, size_t *n), (h, buf, len, n))
SBX_LAZY_FORWARD (curl, CURLcode, curl_easy_recv, (CURL * h, void *buf, size_t len, size_t *n),
                  (h, buf, len, n))
SBX_LAZY_FORWARD (curl, struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s),
                  (l, s))
SBX_LAZY_FORWARD (curl, void, curl_slist_free_all, (struct curl_slist * l), (l))
