/* build_fuzz.c: libFuzzer target for the build-progress stream (JSON lines
   of POST /build), fed in the splits the first byte chooses: the events do
   not depend on the split. */
#include "fuzz.h"

#include "engine/build.h"

typedef struct seen
{
  size_t events, bytes;
  unsigned long hash;
} seen;

static int
collect (const engine_build_event *ev, void *ud, sbx_error **err)
{
  seen *s = ud;
  if (ev->len && !ev->text)
    __builtin_trap ();
  s->events++;
  s->bytes += ev->len;
  s->hash = s->hash * 131 + (unsigned long) ev->kind + ev->len;
  for (size_t i = 0; i < ev->len; i++)
    s->hash = s->hash * 31 + (unsigned char) ev->text[i];
  return 0;
}

static void
run (const uint8_t *data, size_t size, size_t step, seen *s)
{
  engine_build_parser p;
  engine_build_parser_init (&p, collect, s);
  sbx_error *err = NULL;
  for (size_t off = 0; off < size; off += step)
    {
      size_t n = size - off < step ? size - off : step;
      if (engine_build_parser_feed (&p, (const char *) data + off, n, &err) < 0)
        __builtin_trap (); /* the callback never fails */
    }
  if (engine_build_parser_finish (&p, &err) < 0)
    __builtin_trap ();
  engine_build_parser_clear (&p);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  size_t step = (data[0] % 23) + 1;
  data++, size--;
  seen a = { 0 }, b = { 0 };
  run (data, size, size ? size : 1, &a);
  run (data, size, step, &b);
  if (a.events != b.events || a.bytes != b.bytes || a.hash != b.hash)
    __builtin_trap ();
  return 0;
}
