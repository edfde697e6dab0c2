/* jsonc_fuzz.c: libFuzzer target for JSON with comments (devcontainer.json):
   the stripped copy keeps the length and every newline, and parsing never
   fails without a message. */
#include "fuzz.h"

#include "devenv/image/jsonc.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  char *out = NULL;
  int line = 0;
  sbx_error *err = NULL;
  if (devenv_jsonc_strip (text, size, &out, &line, &err) == 0)
    {
      for (size_t i = 0; i < size; i++)
        if ((text[i] == '\n') != (out[i] == '\n'))
          __builtin_trap ();
      free (out);
    }
  else
    sbx_error_free (err);
  err = NULL;
  json_t *j = NULL;
  if (devenv_jsonc_parse (text, size, "devcontainer.json", &j, &err) == 0)
    json_decref (j);
  else
    {
      if (!err || !err->msg)
        __builtin_trap ();
      sbx_error_free (err);
    }
  return 0;
}
