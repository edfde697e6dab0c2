/* image.h: the project's development image (src/devenv/image/).  Which Dockerfile builds it,
   its content key, and the image cache that lives in the engine itself:
   images tagged <image_repo>:<key12> and labelled with the project, the full
   key and the Dockerfile.  No state file is the source of truth; a per-user
   stat cache only saves re-reading unchanged files.

   The key is SHA-256 over a versioned, length-prefixed encoding of the
   Dockerfile bytes, every context file that a COPY/ADD source of the built
   stages reaches after .dockerignore (relative path, mode, content digest;
   the whole context when a source cannot be resolved statically), the build
   args and the target.  An mtime-only change or an edit of a file nothing
   copies keeps the key; a changed copied byte or mode changes it. */
#ifndef SBX_DEVENV_IMAGE_H
#define SBX_DEVENV_IMAGE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "project.h"
#include "engine/engine.h"

#include "devenv/labels.h"

#define DEVENV_KEY_VERSION 2

/* ---- discover.c: which Dockerfile ---- */

typedef enum
{
  DEVENV_ORIGIN_FLAG,         /* --file */
  DEVENV_ORIGIN_SBX,          /* .sbx/Dockerfile */
  DEVENV_ORIGIN_DEVCONTAINER, /* devcontainer.json build.dockerfile, or image */
  DEVENV_ORIGIN_ROOT,         /* Dockerfile at the project root */
  DEVENV_ORIGIN_DEFAULT,      /* a shipped dockerfiles/<flavour>/Dockerfile */
} devenv_origin;

typedef struct devenv_source
{
  devenv_origin origin;
  char *dockerfile; /* absolute path */
  char *context;    /* absolute directory */
  char *display;    /* for people and the dev.sbx.dockerfile label */
  char **args;      /* "K=V" from devcontainer.json build.args, or NULL */
  char *target;     /* devcontainer.json build.target, or NULL */
  char *config;     /* the devcontainer.json used, or NULL */
  char *flavour;    /* DEVENV_ORIGIN_DEFAULT: "base", "c", "python"... */
  /* The Dockerfile sbx wrote itself (devcontainer.json "image", or local
     features added to the project's Dockerfile): what is built and keyed
     instead of the bytes of dockerfile; NULL: the file as it is. */
  char *dockerfile_text;
  char **cache_from; /* build.cacheFrom, or NULL */
  struct devenv_devcontainer *dc; /* the project's devcontainer.json, or NULL */
} devenv_source;

const char *devenv_origin_name (devenv_origin o);
/* In order: file (--file, relative to the current directory); .sbx/Dockerfile;
   .devcontainer/devcontainer.json (or .devcontainer.json) build.dockerfile
   with build.context, build.args, build.target, build.cacheFrom, or its
   image; Dockerfile; the default of the project's flavour
   (devenv_default_flavour).  The devcontainer.json is read (out->dc)
   whichever builds; its local features are added to what it builds. */
int devenv_discover (const char *project_dir, const char *file, devenv_source *out,
                     sbx_error **err);
void devenv_source_clear (devenv_source *s);
/* The project's flavour from marker files: rust (Cargo.toml), go (go.mod),
   node (package.json), python (pyproject.toml, setup.py, requirements.txt,
   Pipfile), c (CMakeLists.txt, meson.build, configure.ac, Makefile), else
   base. */
const char *devenv_default_flavour (const char *project_dir);

/* ---- devcontainer.c: devcontainer.json as people write it ---- */

/* What sbx takes from a devcontainer.json (containers.dev), and what it
   does not: every property it does not honour is one line of warnings,
   naming the property; what it cannot do at all (dockerComposeFile,
   features from a registry) is an error.  Local substitutions
   (${localEnv:VAR[:default]}, ${localWorkspaceFolder},
   ${containerWorkspaceFolder}, ${localWorkspaceFolderBasename}) are done;
   ${containerEnv:VAR} is left for devenv_dc_substitute once the image's
   environment is known. */
typedef struct devenv_devcontainer
{
  char *path;    /* absolute path of the file */
  char *name;    /* relative to the project, for messages */
  bool trusted;  /* the user trusted this exact content (sbx trust) */
  char *image;   /* "image", or NULL */
  char **container_env; /* "K=V", containerEnv, in file order */
  char **remote_env;    /* "K=V", remoteEnv, in file order */
  char *workspace;      /* ${containerWorkspaceFolder}: the project's path */
  json_t *lifecycle;    /* {"onCreateCommand": string|array|object, ...} of the
                           five container lifecycle commands it has */
  char *initialize;     /* initializeCommand as a shell command line (trusted
                           files only), or NULL */
  int *ports;           /* forwardPorts and appPort (trusted files only) */
  size_t n_ports;
  char **cache_from;    /* build.cacheFrom */
  /* Section 2 (the container user) reads these; -1: not said. */
  char *remote_user, *container_user;
  int update_remote_user_uid;
  /* The name commands run under (renumbered to the caller's uid/gid):
     remoteUser, else containerUser; NULL: none, or root asked by a caller
     who is not root (a warning). */
  char *user;
  /* Docker's default capability set asked (runArgs --cap-add, capAdd,
     --security-opt no-new-privileges=false, securityOpt; trusted files
     only), and no-new-privileges: -1 not said, 0 off, 1 on. */
  bool docker_caps;
  int no_new_privileges;
  char *hardening_by;   /* the property that asked for it, for messages */
  /* mounts (trusted files only), checked: an array of the engine's Mount
     objects, {"Type": "bind"|"volume"|"tmpfs", "Source", "Target",
     "ReadOnly"}; a bind's Source resolved (realpath), a volume's the name
     as written (the container half makes it the project's); NULL: none. */
  json_t *mounts;
  char **features;      /* absolute folders of local features, in file order */
  json_t *feature_options; /* the options object of each, same order (array) */
  char **warnings;      /* one per property not honoured, NULL-terminated */
  /* Why this file cannot build the project image (dockerComposeFile, a
     feature from a registry), or NULL: an error when it is what builds
     (devenv_discover), else one of the warnings.  A Compose file gives
     the container nothing either (compose). */
  char *unusable;
  bool compose;
} devenv_devcontainer;

/* The project's devcontainer.json (.devcontainer/devcontainer.json, else
   .devcontainer.json): *out NULL (and 0) when it has none. */
int devenv_devcontainer_load (const char *project_dir, devenv_devcontainer **out,
                              sbx_error **err);
void devenv_devcontainer_free (devenv_devcontainer *dc);
void devenv_devcontainer_freep (devenv_devcontainer **dc);
#define _cleanup_devcontainer_ __attribute__ ((cleanup (devenv_devcontainer_freep)))

/* s with ${containerEnv:VAR} replaced by lookup (NULL: empty), allocated.
   The other variables were replaced when the file was loaded. */
typedef const char *(*devenv_env_lookup) (const char *name, void *ud);
char *devenv_dc_substitute (const char *s, devenv_env_lookup lookup, void *ud);

/* ---- progress ---- */

typedef enum
{
  DEVENV_EV_PLAN,    /* the Dockerfile and key are known (plan set) */
  DEVENV_EV_WARNING, /* text: something the user should know */
  DEVENV_EV_REUSED,  /* the image for the key exists: nothing to build */
  DEVENV_EV_WAITING, /* another sbx builds this project: waiting for it */
  DEVENV_EV_UPLOAD,  /* sending the context (count: files) */
  DEVENV_EV_STEP,    /* step/steps, text: "RUN make", line: its Dockerfile line */
  DEVENV_EV_OUTPUT,  /* text: one line of a step's output */
  DEVENV_EV_NOTE,    /* text: one line of the builder's own chatter */
  DEVENV_EV_STATUS,  /* text: a status line (image pulls) */
  DEVENV_EV_BUILT,   /* text: the image id */
} devenv_event_kind;

typedef struct devenv_plan devenv_plan;

typedef struct devenv_event
{
  devenv_event_kind kind;
  const char *text;
  int step, steps, line;
  size_t count;
  const devenv_plan *plan;
} devenv_event;

typedef void (*devenv_progress_cb) (const devenv_event *ev, void *ud);

typedef struct devenv_options
{
  const char *file;        /* --file, or NULL */
  char *const *build_args; /* "K=V" (over devcontainer.json's), or NULL */
  const char *target;      /* over devcontainer.json's, or NULL */
  bool no_cache;           /* build even if the image exists, without layer cache */
  devenv_progress_cb progress;
  void *progress_ud;
  volatile sig_atomic_t *cancel; /* also set on the engine client */
} devenv_options;

/* ---- plan.c: the plan: discovery, Dockerfile check and key; no engine ---- */

struct devenv_plan
{
  devenv_source src;
  char key[65];      /* 64 hex digits */
  char *repo;        /* sbx-devenv/<basename>-<id12> */
  char *image;       /* <repo>:<key12> */
  char *project_dir;
  char *project_id;
  char **build_args; /* "K=V", sorted, last one of a name wins */
  char *target;
  size_t files;       /* context entries in the key */
  bool whole_context; /* a source could not be resolved statically */
  char *whole_reason;
  char **warnings;    /* NULL-terminated */
  void *internal;     /* the scanned context and parsed Dockerfile */
};

int devenv_plan_new (const sbx_project *p, const devenv_options *o, devenv_plan **out,
                     sbx_error **err);
void devenv_plan_free (devenv_plan *plan);
void devenv_plan_freep (devenv_plan **plan);
#define _cleanup_plan_ __attribute__ ((cleanup (devenv_plan_freep)))

/* ---- cache.c: the image cache in the engine ---- */

/* A dev.sbx.* label (labels.h) of an image, from an inspect answer
   (Config.Labels) or a list entry (Labels); NULL when it has none.  The
   string lives in img. */
const char *devenv_image_label (const json_t *img, const char *label);

typedef struct devenv_failure
{
  int step, steps; /* the failing step, 0 when unknown */
  int line;        /* its Dockerfile line, 0 when unknown */
  char *instruction;
  char *tail; /* the last lines of its output (bounded), or NULL */
} devenv_failure;

typedef struct devenv_result
{
  char *image;    /* <repo>:<key12> */
  char *image_id; /* sha256:... */
  char key[65];
  char *dockerfile; /* display name */
  bool built;       /* false: reused */
  bool waited;      /* another process held the project's build lock */
  size_t upload_bytes;
  devenv_failure failure; /* filled when a build step failed */
} devenv_result;

void devenv_result_clear (devenv_result *r);

/* Compute the key, reuse <repo>:<key12> when it exists with the same full
   key, else build it (one build at a time per project: a second process
   waits, then reuses).  A cache hit never uploads the context. */
int devenv_get_or_build (engine_client *c, const sbx_project *p, const devenv_options *o,
                         devenv_result *res, sbx_error **err);
/* The same with a plan already computed. */
int devenv_get_or_build_plan (engine_client *c, devenv_plan *plan, const devenv_options *o,
                              devenv_result *res, sbx_error **err);

#endif
