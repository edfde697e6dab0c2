/* config_load.c: reading config files.  Placeholder until the loader lands:
   defaults only. */
#include "config.h"

int
sbx_config_load (sbx_config *cfg, const char *project_dir, sbx_error **err)
{
  (void) cfg;
  (void) project_dir;
  (void) err;
  return 0;
}
