/* demux_fuzz.c: libFuzzer target for the multiplexed stream demuxer
   (application/vnd.docker.multiplexed-stream), fed in the splits the first
   byte chooses: the payload passed on is the same whatever the split, and
   never more than the input. */
#include "fuzz.h"

#include "engine/engine.h"

typedef struct seen
{
  size_t bytes[3];
  unsigned long hash;
} seen;

static int
collect (int stream, const char *d, size_t len, void *ud, sbx_error **err)
{
  seen *s = ud;
  if (stream < 1 || stream > 2)
    __builtin_trap ();
  s->bytes[stream] += len;
  for (size_t i = 0; i < len; i++)
    s->hash = s->hash * 31 + (unsigned char) d[i] + (unsigned long) stream;
  return 0;
}

static int
run (const uint8_t *data, size_t size, size_t step, seen *s)
{
  engine_demux d;
  engine_demux_init (&d, collect, s);
  sbx_error *err = NULL;
  for (size_t off = 0; off < size; off += step)
    {
      size_t n = size - off < step ? size - off : step;
      if (engine_demux_feed (&d, (const char *) data + off, n, &err) < 0)
        {
          sbx_error_free (err);
          return -1;
        }
    }
  int r = engine_demux_finish (&d, &err);
  sbx_error_free (err);
  return r;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  size_t step = (data[0] % 17) + 1;
  data++, size--;
  seen a = { 0 }, b = { 0 };
  int ra = run (data, size, size ? size : 1, &a);
  int rb = run (data, size, step, &b);
  if (ra != rb)
    __builtin_trap ();
  if (ra == 0 && (a.hash != b.hash || a.bytes[1] != b.bytes[1] || a.bytes[2] != b.bytes[2]))
    __builtin_trap ();
  if (a.bytes[1] + a.bytes[2] > size)
    __builtin_trap ();
  return 0;
}
