/* labels.h: every dev.sbx.* label that sbx puts on images and containers,
   the names and tags it gives them, and where the agent is mounted in the
   project container.  The engine is the database: these strings are its
   schema, so they live in one place.  The two names every other one is
   derived from are the project's own (project.h, made by project.c):
     container  SBX_CONTAINER_NAME_FMT  sbx-<basename>-<id>
     image repo SBX_IMAGE_REPO_FMT      sbx-devenv/<basename>-<id>
   Included by both halves of devenv/; includes nothing. */
#ifndef SBX_DEVENV_LABELS_H
#define SBX_DEVENV_LABELS_H

/* ---- images, containers and volumes ---- */
#define DEVENV_LABEL_PREFIX "dev.sbx."         /* every label below starts so */
#define DEVENV_LABEL_PROJECT "dev.sbx.project" /* the project directory */
/* The uid (decimal) of the user who made it: `sbx gc` acts on the
   caller's own by default. */
#define DEVENV_LABEL_OWNER "dev.sbx.owner"

/* ---- images ---- */
#define DEVENV_LABEL_KEY "dev.sbx.key"               /* the full content key */
#define DEVENV_LABEL_DOCKERFILE "dev.sbx.dockerfile" /* the Dockerfile, for people */

/* ---- image names: <image repo>:<tag> ---- */
/* The devenv image of a key: <repo>:<first 12 hex digits of the key>. */
#define DEVENV_IMAGE_KEY_FMT "%s:%.12s"
/* Tag that marks an invalidated image: the next build skips the layer cache. */
#define DEVENV_TAG_INVALIDATED "invalidated"
/* Tag of the image given last to `sbx up --image`. */
#define DEVENV_TAG_CURRENT "current"

/* ---- containers ---- */
#define DEVENV_LABEL_MANAGED "dev.sbx.managed"
#define DEVENV_LABEL_IMAGE_KEY "dev.sbx.image-key"
#define DEVENV_LABEL_IMAGE "dev.sbx.image"
#define DEVENV_LABEL_ISOLATION "dev.sbx.isolation"
#define DEVENV_LABEL_RUNTIME "dev.sbx.runtime"
/* "<level>/<8 hex>": the level and a digest of the configuration that shapes
   the container (network, limits, mounts, runtime); also the agent's tag. */
#define DEVENV_LABEL_PROFILE "dev.sbx.profile"
/* A digest of what the project's devcontainer.json gives the container
   (environment, ports, lifecycle commands): "" when nothing. */
#define DEVENV_LABEL_DEVCONTAINER "dev.sbx.devcontainer"
/* Its ports published on 127.0.0.1, "HOST:CONTAINER,..." */
#define DEVENV_LABEL_PORTS "dev.sbx.ports"
/* The name of the container's socket in the agent directory. */
#define DEVENV_LABEL_AGENT "dev.sbx.agent"
/* Its hardening (devenv_hardening_name): "strict" (no capabilities,
   no-new-privileges), "docker-default" (Docker's default capabilities,
   without no-new-privileges: a trusted project's opt-in) or
   "docker-default-caps" (those capabilities, no-new-privileges kept). */
#define DEVENV_LABEL_HARDENING "dev.sbx.hardening"

/* ---- the container's hardening (both halves) ---- */
/* Docker's default capability set: the only capabilities a trusted
   project may ask for (runArgs --cap-add, capAdd, container_hardening). */
#define DEVENV_DOCKER_DEFAULT_CAPS                                                                 \
  "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",              \
      "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP"
#define DEVENV_DOCKER_DEFAULT_CAPS_TEXT                                                            \
  "CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW "          \
  "SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP"
/* In the container's environment when it runs without no-new-privileges:
   sbx-agent then installs no seccomp filter of its own (a filter needs
   no-new-privileges, which would stop sudo). */
#define DEVENV_HARDENING_ENV "SBX_CONTAINER_HARDENING"

/* ---- volumes ---- */
/* The project's home volume (also labelled dev.sbx.managed, dev.sbx.project
   and dev.sbx.owner): sbx-home-<basename>-<id>. */
#define DEVENV_HOME_VOLUME_FMT "sbx-home-%s-%s"
/* A volume of the project's devcontainer.json mounts, labelled the same:
   sbx-vol-<basename>-<id>-<name>. */
#define DEVENV_VOLUME_FMT "sbx-vol-%s-%s-%s"

/* ---- container names during a swap: <container name>-next|old-<12 hex> ---- */
#define DEVENV_SWAP_NEXT_FMT "%s-next-%s" /* the new container, until it answers */
#define DEVENV_SWAP_OLD_FMT "%s-old-%s"   /* the old one, until it drained */

/* ---- the agent inside the project container ---- */
#define DEVENV_AGENT_TARGET "/.sbx/agent"   /* sbx-agent, read-only */
#define DEVENV_AGENT_RUN_TARGET "/.sbx/run" /* the agent directory */
/* The symlink to the project container's socket in the agent directory. */
#define DEVENV_AGENT_CURRENT "current"

#endif
