/* container.h: the project container: its hardened create body, finding,
   starting, replacing and removing it, and running commands in it. */
#ifndef SBX_DEVENV_CONTAINER_H
#define SBX_DEVENV_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"
#include "project.h"
#include "engine/engine.h"

#define DEVENV_LABEL_MANAGED "dev.sbx.managed"
#define DEVENV_LABEL_PROJECT "dev.sbx.project"
#define DEVENV_LABEL_IMAGE_KEY "dev.sbx.image-key"
#define DEVENV_LABEL_IMAGE "dev.sbx.image"
#define DEVENV_LABEL_ISOLATION "dev.sbx.isolation"
#define DEVENV_LABEL_RUNTIME "dev.sbx.runtime"

/* Where sbx-agent is mounted inside the container. */
#define DEVENV_AGENT_TARGET "/.sbx/agent"

typedef struct devenv_spec
{
  const sbx_project *project;
  const sbx_config *cfg; /* network, memory, cpu */
  const char *image;     /* reference to run */
  const char *image_key; /* devenv key of the image, or NULL */
  sbx_level level;       /* SBX_LEVEL_CONTAINER or SBX_LEVEL_MAXIMUM */
  const char *runtime;   /* for maximum: the gVisor runtime name */
  const char *agent_path; /* host path of sbx-agent */
  uid_t uid;
  gid_t gid;
} devenv_spec;

/* The host path of the sbx-agent binary: $SBX_AGENT, else next to the
   running program, else the installed libexec directory. */
int devenv_agent_path (char **out, sbx_error **err);

/* The create body for the spec (pure: no I/O). */
json_t *devenv_container_config (const devenv_spec *spec);

/* Inspect the project container; *out is NULL (and 0 returned) when there is
   none. */
int devenv_container_find (engine_client *c, const sbx_project *p, json_t **out, sbx_error **err);

/* Does the engine know an OCI runtime called name? */
int devenv_runtime_available (engine_client *c, const char *name, bool *available,
                              char **known, sbx_error **err);

/* Create (under name) and start a container for spec; *id its id. */
int devenv_container_create_started (engine_client *c, const devenv_spec *spec, const char *name,
                                     char **id, sbx_error **err);

/* Make the project container run: start it if stopped, create it from spec
   if missing.  *id its id; *created whether it was created. */
int devenv_container_ensure (engine_client *c, const devenv_spec *spec, char **id, bool *created,
                             sbx_error **err);

/* Stop and remove the project container (and any leftover of a swap). */
int devenv_container_remove_all (engine_client *c, const sbx_project *p, int *removed,
                                 sbx_error **err);

/* ---- running commands ---- */

typedef struct devenv_exec_opts
{
  char *const *argv;
  char *const *env;
  const char *workdir; /* NULL: the project directory */
  const char *user;    /* "uid:gid" */
  long timeout_ms;     /* 0: none */
  engine_output_cb output;
  void *output_ud;
} devenv_exec_opts;

typedef struct devenv_exec_result
{
  int exit_code;  /* the command's status (126/127 when it could not run) */
  bool timed_out; /* killed after timeout_ms */
  bool interrupted;
} devenv_exec_result;

/* Run argv in the container through the engine's exec API.  On timeout or
   cancellation every process of the command is killed inside the container
   before this returns. */
int devenv_exec (engine_client *c, const char *container, const devenv_exec_opts *opts,
                 devenv_exec_result *res, sbx_error **err);

#endif
