/* dockerfile_fuzz.c: libFuzzer target for the Dockerfile parser
   (instructions, continuation lines, heredocs, ARG substitution,
   --from/--chmod flags): "TARGET\0TEXT" (an empty TARGET: the last stage). */
#include "fuzz.h"

#include "devenv/image/dockerfile.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *target;
  const uint8_t *text;
  size_t len;
  fuzz_split (data, size, &target, &text, &len);
  sbx_error *err = NULL;
  devenv_dockerfile *df = NULL;
  if (devenv_dockerfile_parse ((const char *) text, len, "Dockerfile", *target ? target : NULL, &df,
                               &err)
      == 0)
    {
      /* What the content key and the context scan rely on. */
      for (size_t i = 0; i < df->n; i++)
        if (!df->ins[i].cmd || !df->ins[i].text || df->ins[i].line < 1)
          __builtin_trap ();
      for (size_t i = 0; i < df->n_sources; i++)
        if (!df->sources[i] || df->sources[i][0] == '/' || df->source_lines[i] < 1)
          __builtin_trap ();
      devenv_dockerfile_free (df);
    }
  else
    {
      if (!err || !err->msg)
        __builtin_trap ();
      sbx_error_free (err);
    }
  free (target);
  return 0;
}
