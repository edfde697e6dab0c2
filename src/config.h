/* config.h: sbx configuration (.sbx/config.json, $XDG_CONFIG_HOME/sbx/config.json,
   $SBX_CONFIG), merged over sbx_config_init_default's; command-line flags win over it.

   The user's files ($XDG_CONFIG_HOME/sbx/config.json, $SBX_CONFIG) are
   trusted.  The project's own file (.sbx/config.json) may only narrow
   isolation unless the user trusted its exact content (trust.h): from an
   untrusted project file, each key that would widen isolation relative to
   the defaults and the user's file is ignored and listed in
   sbx_config.refused (the loader never prints; the CLI does). */
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

typedef enum
{
  SBX_HARDENING_STRICT = 0,
  SBX_HARDENING_DOCKER_DEFAULT,
} sbx_hardening;

typedef struct sbx_config
{
  bool enabled; /* false: isolation off whatever the level says */
  char *type;   /* forced backend name, or NULL for automatic */
  bool allow_network;
  bool allow_write;      /* the project is writable */
  char **read_only_dirs; /* NULL-terminated, absolute */
  char **writable_dirs;  /* NULL-terminated, absolute */
  long max_memory_mb;    /* 0: unlimited */
  int max_cpu_pct;       /* 0: unlimited; 100 = one CPU */
  sbx_level isolation;
  char *runtime; /* OCI runtime for the maximum level ("runsc") */
  char *image;   /* image of the project container, NULL: the devenv image */
  /* The project container's root filesystem is read-only (narrowing; the
     default is a writable layer of its own, which a swap discards). */
  bool read_only_rootfs;
  /* The project container's hardening: strict (no capabilities,
     no-new-privileges) or, asked by a trusted file, Docker's default
     capability set without no-new-privileges (widening). */
  sbx_hardening hardening;
  char *source;  /* files the values came from, for messages */
  /* Narrowing lists: each file's entries are added, never replaced. */
  char **deny_read;       /* extra paths never readable (credentials) */
  char **protected_paths; /* extra paths in the project that stay read-only */
  /* Widening lists (a later file replaces them). */
  char **allow_unix_sockets; /* pathname sockets the command may connect to */
  char **pass_env;           /* credential-looking variables passed anyway (envfilter.h) */
  /* The file that set these keys (NULL: the default), for messages. */
  char *enabled_from, *type_from, *isolation_from, *runtime_from;
  /* One line per key of an untrusted project file that was ignored because
     it would widen isolation: "FILE:LINE: ..." (NULL-terminated, may be
     NULL). */
  char **refused;
} sbx_config;

void sbx_config_init_default (sbx_config *cfg);
void sbx_config_clear (sbx_config *cfg);
/* Load the configuration of the project at project_dir (a real path) over
   the defaults. */
int sbx_config_load (sbx_config *cfg, const char *project_dir, sbx_error **err);

const char *sbx_level_name (sbx_level level);
/* "strict" or "docker-default", and back. */
const char *sbx_hardening_name (sbx_hardening h);
int sbx_hardening_parse (const char *s, sbx_hardening *out, sbx_error **err);
int sbx_level_parse (const char *s, sbx_level *out, sbx_error **err);

#endif
