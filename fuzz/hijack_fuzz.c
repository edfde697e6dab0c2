/* hijack_fuzz.c: libFuzzer target for the hijack upgrade as
   engine_exec_start_hijack reads it: the answer arrives in pieces (sizes
   from the first byte), the head is looked for after each, and once it is
   complete the bytes after it (the start of the stream) go through the
   demuxer, as the pump would feed them. */
#include "fuzz.h"

#include "engine/hijack.h"

static int
sink (int stream, const char *d, size_t len, void *ud, sbx_error **err)
{
  *(size_t *) ud += len;
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  size_t step = (data[0] % 29) + 1;
  const char *buf = (const char *) data + 1;
  size--;
  size_t have = 0;
  long head = 0;
  engine_http_head hd;
  while (head == 0 && have < size)
    {
      have += size - have < step ? size - have : step;
      sbx_error *err = NULL;
      head = engine_http_head_parse (buf, have, &hd, &err);
      if (head < 0)
        {
          if (!err)
            __builtin_trap ();
          sbx_error_free (err);
          return 0;
        }
      if (head > (long) have)
        __builtin_trap ();
    }
  if (head <= 0)
    return 0;
  if (hd.status == 101 && !hd.upgraded)
    __builtin_trap ();
  size_t out = 0;
  engine_demux d;
  engine_demux_init (&d, sink, &out);
  sbx_error *err = NULL;
  size_t rest = size - (size_t) head;
  if (engine_demux_feed (&d, buf + head, rest, &err) == 0)
    {
      if (engine_demux_finish (&d, &err) < 0)
        sbx_error_free (err);
    }
  else
    sbx_error_free (err);
  if (out > rest)
    __builtin_trap ();
  return 0;
}
