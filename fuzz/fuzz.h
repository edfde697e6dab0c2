/* fuzz.h: what the libFuzzer targets in fuzz/ share: the entry point, and
   the input cut in two at the first NUL (a parameter, then the text). */
#ifndef SBX_FUZZ_H
#define SBX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A NUL-terminated copy of data[0..size) (the caller frees). */
static inline char *
fuzz_strndup (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1);
  if (!s)
    abort ();
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

/* Split at the first NUL: *head (NUL-terminated copy) and the rest. */
static inline void
fuzz_split (const uint8_t *data, size_t size, char **head, const uint8_t **rest, size_t *rest_len)
{
  const uint8_t *nul = memchr (data, 0, size);
  size_t n = nul ? (size_t) (nul - data) : 0;
  *head = fuzz_strndup (data, n);
  *rest = nul ? nul + 1 : data;
  *rest_len = nul ? size - n - 1 : size;
}

#endif
