/* sbx.h: the public header of libsbx, the library under the sbx CLI, for
   programs (coding agents, IDEs) that embed it instead of running `sbx`.

   Everything but the CLI verbs, in layers (arrows point down):

     devenv/   project images and the project container:
               devenv_get_or_build, devenv_is_stale, devenv_invalidate,
               devenv_gc (devenv.h); devenv_container_ensure,
               devenv_exec / devenv_exec_auto (agent when it answers, else the
               engine's exec API), devenv_profile (container.h); devenv_swap
               (swap.h); devenv_shell_* (shell.h); the project container as
               a whole: devenv_project_container, devenv_project_swap,
               devenv_resolve_image (project_container.h)
     engine/   the Docker Engine API client (engine.h, build.h, hijack.h)
     host/     host confinement: Landlock, seccomp, bwrap, nsjail, Seatbelt
               profiles, host_run (host.h)
     core      errors (error.h), configuration and isolation levels
               (config.h), backend selection (select.h), project identity
               (project.h), SHA-256 (sha256.h)

   Conventions: a function that can fail returns 0 or a negative value and
   takes `sbx_error **err` last; on failure *err says what failed, with what
   and what to do (free it with sbx_error_free).  Nothing is printed and
   nothing exits.  Objects returned through an out pointer belong to the
   caller.  Link with `pkg-config --libs sbx`; libcurl, libcrypto and
   libarchive are loaded at run time when first needed. */
#ifndef SBX_H
#define SBX_H

#include "error.h"
#include "config.h"
#include "project.h"
#include "select.h"
#include "sha256.h"
#include "engine/engine.h"
#include "engine/build.h"
#include "engine/hijack.h"
#include "devenv/devenv.h"
#include "devenv/container/container.h"
#include "devenv/container/swap.h"
#include "devenv/project_container.h"
#include "devenv/container/shell.h"
#include "devenv/container/agent_client.h"
#include "host/host.h"

/* The version of libsbx ("0.1.0"). */
const char *sbx_version (void);

#endif
