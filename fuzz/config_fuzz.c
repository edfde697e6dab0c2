/* config_fuzz.c: libFuzzer target for the configuration file
   (.sbx/config.json: its keys, types and line numbers), through
   sbx_config_load as sbx reads it ($SBX_CONFIG names a file that holds the
   input). */
#include "fuzz.h"

#include <stdio.h>
#include <unistd.h>

#include "config.h"

static char path[64];

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (!path[0])
    {
      snprintf (path, sizeof path, "/tmp/sbx-config-fuzz-%d.json", (int) getpid ());
      setenv ("SBX_CONFIG", path, 1);
    }
  FILE *f = fopen (path, "w");
  if (!f)
    abort ();
  if (size && fwrite (data, 1, size, f) != size)
    abort ();
  fclose (f);
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  sbx_error *err = NULL;
  if (sbx_config_load (&cfg, "/nonexistent-project", &err) < 0)
    {
      if (!err || !err->msg)
        __builtin_trap ();
      sbx_error_free (err);
    }
  sbx_config_clear (&cfg);
  return 0;
}
