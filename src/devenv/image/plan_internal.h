/* plan_internal.h: what a devenv_plan keeps for its build (src/devenv only). */
#ifndef SBX_DEVENV_PLAN_INTERNAL_H
#define SBX_DEVENV_PLAN_INTERNAL_H

#include "devenv/image/context.h"
#include "devenv/image/dockerfile.h"
#include "devenv/image/tar.h"

typedef struct plan_internal
{
  char *text; /* the Dockerfile */
  size_t len;
  devenv_dockerfile *df;
  devenv_context *ctx;
  char *df_name;          /* the Dockerfile's path inside the tar */
  devenv_tar_extra extra[3]; /* Dockerfile, .dockerignore, end */
  char *extra_name[2];
  char *extra_source[2];
  char *ignore_data;      /* a .dockerignore written for the engine */
} plan_internal;

#endif
