/* http_fuzz.c: libFuzzer target for the engine's HTTP answer head and the
   chunked body decoder.  A head found in a prefix is the head found in the
   whole (nothing is decided on a partial head); the decoded body is never
   longer than the input. */
#include "fuzz.h"

#include "engine/hijack.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *buf = (const char *) data;
  engine_http_head whole;
  sbx_error *err = NULL;
  long n = engine_http_head_parse (buf, size, &whole, &err);
  sbx_error_free (err);
  if (n > (long) size)
    __builtin_trap ();
  if (n > 0)
    {
      /* Every prefix: more needed, or the same head. */
      for (size_t k = size > 64 ? size - 64 : 0; k <= size; k++)
        {
          engine_http_head part;
          sbx_error *e = NULL;
          long m = engine_http_head_parse (buf, k, &part, &e);
          sbx_error_free (e);
          if (m > 0 && (m != n || part.status != whole.status))
            __builtin_trap ();
          if (m < 0)
            __builtin_trap (); /* a prefix of an HTTP head is not garbage */
        }
      if (whole.content_type[sizeof whole.content_type - 1] != '\0')
        __builtin_trap ();
    }
  char *copy = fuzz_strndup (data, size);
  size_t d = engine_http_dechunk (copy, size);
  if (d > size)
    __builtin_trap ();
  free (copy);
  return 0;
}
