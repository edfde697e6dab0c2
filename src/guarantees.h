/* guarantees.h: what an isolation level's backend guarantees on this
   machine.  The rows are DESIGN's "what a sandbox may never do"; each
   backend gives a row always, never, or when the kernel has a feature (a
   Landlock ABI, seccomp user notification, a mount namespace).  `sbx doctor`
   prints the table; selection refuses a backend that misses a row its level
   promises, naming the level that gives it (never silently weaker). */
#ifndef SBX_GUARANTEES_H
#define SBX_GUARANTEES_H

#include <jansson.h>
#include <stdbool.h>

#include "select.h"

typedef enum
{
  SBX_G_NO_WIDENING = 0, /* project files only narrow isolation unless trusted */
  SBX_G_PROTECTED,       /* .git/config, .git/hooks, .sbx, .devcontainer stay read-only */
  SBX_G_NO_DAEMON,       /* no pathname Unix socket outside the writable dirs */
  SBX_G_NO_ABSTRACT,     /* no abstract Unix socket of the host */
  SBX_G_CREDENTIALS,     /* ~/.ssh, ~/.aws, /etc/shadow... unreadable */
  SBX_G_ENVIRONMENT,     /* credential-like variables not passed */
  SBX_G_TERMINAL,        /* no TIOCSTI/TIOCLINUX */
  SBX_G_PROCESSES,       /* no signal, limit, priority or /proc read of other processes */
  SBX_G_NO_SURVIVORS,    /* nothing the command started outlives it */
  SBX_G_ROOT,            /* as root: no capability, device node, hostname, metadata outside */
  SBX_G_NO_SETUID,       /* no setuid/setgid bit created */
  SBX_G_BOUNDED,         /* pids and memory bounded */
  SBX_G_COUNT
} sbx_guarantee;

/* The kernel features the rows depend on. */
typedef struct sbx_kernel_caps
{
  int landlock_abi;
  bool seccomp;
  bool seccomp_notify; /* user notification + pidfd_getfd */
  bool mount_ns;       /* a mount namespace for this user */
} sbx_kernel_caps;

void sbx_kernel_caps_probe (sbx_kernel_caps *k);
const char *sbx_guarantee_name (sbx_guarantee g);
const char *sbx_guarantee_text (sbx_guarantee g);
/* Whether backend gives g with these kernel features; *how says by what, or
   why not (static strings). */
bool sbx_guarantee_given (sbx_backend b, sbx_guarantee g, const sbx_kernel_caps *k,
                          const char **how);
/* The project container's row g under its hardening ("strict", or a
   trusted project's opt-in: "docker-default", Docker's default
   capabilities without no-new-privileges, or "docker-default-caps", those
   capabilities with no-new-privileges). */
bool sbx_guarantee_given_hardening (sbx_guarantee g, const char *hardening, const char **how);
/* {"name": {"given": false, "how": why}} for each row the project
   container loses under hardening (empty for "strict"). */
json_t *sbx_hardening_report (const char *hardening);
/* The first row that backend misses here, or SBX_G_COUNT. */
sbx_guarantee sbx_guarantee_first_missing (sbx_backend b, const sbx_kernel_caps *k);
/* {"name": {"text":..., "off": {"given":b,"how":s}, "default": ..., ...}} for
   the backend each level selects with probes p. */
json_t *sbx_guarantees_report (const sbx_probes *p, const sbx_kernel_caps *k);

#endif
