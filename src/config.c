/* config.c: defaults and isolation level names.  (File loading: see
   config_load.c.) */
#include "config.h"
#include "util.h"

#include <string.h>

void
sbx_config_init_default (sbx_config *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->enabled = true;
  cfg->allow_network = false;
  cfg->allow_write = true;
  cfg->isolation = SBX_LEVEL_DEFAULT;
  cfg->runtime = xstrdup ("runsc");
}

void
sbx_config_clear (sbx_config *cfg)
{
  free (cfg->type);
  strv_free (cfg->read_only_dirs);
  strv_free (cfg->writable_dirs);
  free (cfg->runtime);
  free (cfg->image);
  free (cfg->source);
  strv_free (cfg->deny_read);
  strv_free (cfg->protected_paths);
  strv_free (cfg->allow_unix_sockets);
  strv_free (cfg->pass_env);
  free (cfg->enabled_from);
  free (cfg->type_from);
  free (cfg->isolation_from);
  free (cfg->runtime_from);
  strv_free (cfg->refused);
  memset (cfg, 0, sizeof *cfg);
}

static const char *const level_names[] = {
  [SBX_LEVEL_OFF] = "off",           [SBX_LEVEL_DEFAULT] = "default",
  [SBX_LEVEL_ENHANCED] = "enhanced", [SBX_LEVEL_CONTAINER] = "container",
  [SBX_LEVEL_MAXIMUM] = "maximum",
};

const char *
sbx_level_name (sbx_level level)
{
  if ((unsigned)level < sizeof level_names / sizeof level_names[0])
    return level_names[level];
  return "unknown";
}

int
sbx_level_parse (const char *s, sbx_level *out, sbx_error **err)
{
  for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
    if (strcmp (s, level_names[i]) == 0)
      {
        *out = (sbx_level)i;
        return 0;
      }
  return sbx_fail (err, SBX_ERR_INVALID,
                   "unknown isolation level '%s'; use off, default, enhanced, container or maximum",
                   s);
}

const char *
sbx_hardening_name (sbx_hardening h)
{
  return h == SBX_HARDENING_DOCKER_DEFAULT ? "docker-default" : "strict";
}

int
sbx_hardening_parse (const char *s, sbx_hardening *out, sbx_error **err)
{
  if (strcmp (s, "strict") == 0)
    *out = SBX_HARDENING_STRICT;
  else if (strcmp (s, "docker-default") == 0)
    *out = SBX_HARDENING_DOCKER_DEFAULT;
  else
    return sbx_fail (err, SBX_ERR_INVALID,
                     "unknown container hardening '%s'; use strict (the default: no capabilities, "
                     "no-new-privileges) or docker-default (Docker's default capabilities, "
                     "without no-new-privileges)",
                     s);
  return 0;
}
