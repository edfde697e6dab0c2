/* config.h: sbx configuration (.sbx/config.json, $XDG_CONFIG_HOME/sbx/config.json,
   $SBX_CONFIG), merged over sbx_config_init_default's; command-line flags win over it. */
#ifndef SBX_CONFIG_H
#define SBX_CONFIG_H

#include <stdbool.h>
#include "error.h"

typedef enum
{
  SBX_LEVEL_OFF = 0,
  SBX_LEVEL_DEFAULT,
  SBX_LEVEL_ENHANCED,
  SBX_LEVEL_CONTAINER,
  SBX_LEVEL_MAXIMUM,
} sbx_level;

typedef struct sbx_config
{
  bool enabled;          /* false: isolation off whatever the level says */
  char *type;            /* forced backend name, or NULL for automatic */
  bool allow_network;
  bool allow_write;      /* the project is writable */
  char **read_only_dirs; /* NULL-terminated, absolute */
  char **writable_dirs;  /* NULL-terminated, absolute */
  long max_memory_mb;    /* 0: unlimited */
  int max_cpu_pct;       /* 0: unlimited; 100 = one CPU */
  sbx_level isolation;
  char *runtime; /* OCI runtime for the maximum level ("runsc") */
  char *image;   /* image of the project container, NULL: the devenv image */
  char *source;  /* files the values came from, for messages */
} sbx_config;

void sbx_config_init_default (sbx_config *cfg);
void sbx_config_clear (sbx_config *cfg);
/* Load the configuration of the project at project_dir over the defaults. */
int sbx_config_load (sbx_config *cfg, const char *project_dir, sbx_error **err);

const char *sbx_level_name (sbx_level level);
int sbx_level_parse (const char *s, sbx_level *out, sbx_error **err);

#endif
