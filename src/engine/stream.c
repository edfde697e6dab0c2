/* stream.c: demultiplexer for application/vnd.docker.multiplexed-stream:
   frames of an 8-byte header {type, 0, 0, 0, size (big-endian u32)} and a
   payload.  Payload bytes go straight to the callback: nothing is buffered
   beyond the header, whatever the frame size. */
#include "engine.h"

#include <string.h>

void
engine_demux_init (engine_demux *d, engine_output_cb cb, void *ud)
{
  memset (d, 0, sizeof *d);
  d->cb = cb;
  d->ud = ud;
}

int
engine_demux_feed (engine_demux *d, const char *data, size_t len, sbx_error **err)
{
  while (len > 0)
    {
      if (d->remaining == 0)
        {
          size_t need = sizeof d->header - d->header_len;
          size_t n = len < need ? len : need;
          memcpy (d->header + d->header_len, data, n);
          d->header_len += n;
          data += n;
          len -= n;
          if (d->header_len < sizeof d->header)
            return 0;
          d->header_len = 0;
          const unsigned char *h = d->header;
          if (h[0] > 2 || h[1] || h[2] || h[3])
            return sbx_fail (err, SBX_ERR_ENGINE,
                             "malformed output stream from the engine (frame header %02x %02x %02x %02x)",
                             h[0], h[1], h[2], h[3]);
          d->stream = h[0] == 2 ? 2 : 1; /* 0 (stdin) is written to stdout, as docker does */
          d->remaining = (size_t) h[4] << 24 | (size_t) h[5] << 16 | (size_t) h[6] << 8 | h[7];
          continue;
        }
      size_t n = len < d->remaining ? len : d->remaining;
      if (d->cb (d->stream, data, n, d->ud, err) < 0)
        return -1;
      d->remaining -= n;
      data += n;
      len -= n;
    }
  return 0;
}

int
engine_demux_finish (engine_demux *d, sbx_error **err)
{
  if (d->header_len || d->remaining)
    return sbx_fail (err, SBX_ERR_ENGINE,
                     "the engine's output stream ended in the middle of a frame");
  return 0;
}
