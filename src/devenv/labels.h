/* labels.h: every dev.sbx.* label that sbx puts on images and containers,
   the image tags it gives, and where the agent is mounted in the project
   container.  The engine is the database: these strings are its schema, so
   they live in one place.  (Container and image names are derived from the
   project in project.c: sbx-<basename>-<id>, sbx-devenv/<basename>-<id>.) */
#ifndef SBX_DEVENV_LABELS_H
#define SBX_DEVENV_LABELS_H

/* ---- images and containers ---- */
#define DEVENV_LABEL_PROJECT "dev.sbx.project" /* the project id */

/* ---- images ---- */
#define DEVENV_LABEL_KEY "dev.sbx.key"               /* the full content key */
#define DEVENV_LABEL_DOCKERFILE "dev.sbx.dockerfile" /* the Dockerfile, for people */
/* Tag that marks an invalidated image: the next build skips the layer cache. */
#define DEVENV_TAG_INVALIDATED "invalidated"

/* ---- containers ---- */
#define DEVENV_LABEL_MANAGED "dev.sbx.managed"
#define DEVENV_LABEL_IMAGE_KEY "dev.sbx.image-key"
#define DEVENV_LABEL_IMAGE "dev.sbx.image"
#define DEVENV_LABEL_ISOLATION "dev.sbx.isolation"
#define DEVENV_LABEL_RUNTIME "dev.sbx.runtime"
/* "<level>/<8 hex>": the level and a digest of the configuration that shapes
   the container (network, limits, mounts, runtime); also the agent's tag. */
#define DEVENV_LABEL_PROFILE "dev.sbx.profile"
/* The name of the container's socket in the agent directory. */
#define DEVENV_LABEL_AGENT "dev.sbx.agent"

/* ---- the agent inside the project container ---- */
#define DEVENV_AGENT_TARGET "/.sbx/agent"   /* sbx-agent, read-only */
#define DEVENV_AGENT_RUN_TARGET "/.sbx/run" /* the agent directory */
/* The symlink to the project container's socket in the agent directory. */
#define DEVENV_AGENT_CURRENT "current"

#endif
