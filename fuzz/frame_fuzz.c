/* frame_fuzz.c: libFuzzer target for the sbx-agent frame decoder: arbitrary
   bytes go through the parser as the agent feeds them (frame after frame),
   then each frame's payload through the checks it would meet.

   cmake -S . -B build-fuzz -DSBX_FUZZ=ON -DCMAKE_C_COMPILER=clang -DSBX_TESTS=OFF
   cmake --build build-fuzz --target frame_fuzz
   ./build-fuzz/frame_fuzz -max_total_time=600 -artifact_prefix=/tmp/ CORPUS_DIR */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "agent/frame.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  size_t pos = 0;
  while (pos < size)
    {
      sbx_frame f;
      size_t used = 0;
      int r = sbx_frame_parse (data + pos, size - pos, &f, &used);
      if (r != SBX_FRAME_OK)
        break;
      if (used < SBX_FRAME_HEADER || used > size - pos || f.len > SBX_FRAME_MAX)
        __builtin_trap ();
      if (sbx_frame_check (&f) == SBX_FRAME_OK && f.type == SBX_FRAME_EXEC)
        {
          sbx_exec_request req;
          if (sbx_exec_request_parse (f.payload, f.len, &req) == SBX_FRAME_OK)
            {
              /* What the agent then relies on. */
              uint32_t args = 0;
              size_t off = 0;
              uint8_t tag;
              const uint8_t *d;
              uint32_t n;
              while (sbx_field_next (f.payload, f.len, &off, &tag, &d, &n) == SBX_FRAME_OK)
                {
                  if (d < f.payload || d + n > f.payload + f.len)
                    __builtin_trap ();
                  if (tag != SBX_EXEC_TIMEOUT && tag != SBX_EXEC_TTY && memchr (d, 0, n))
                    __builtin_trap ();
                  args += tag == SBX_EXEC_ARG;
                }
              if (args != req.argc || args == 0)
                __builtin_trap ();
            }
        }
      pos += used;
    }
  return 0;
}
