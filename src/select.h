/* select.h: which backend an isolation level gets on this machine, and why.

   The table (shared/DESIGN.md, "Isolation levels and backends"):

     level      Linux                                         macOS
     off        none                                          none
     default    Landlock+seccomp, else nsjail, bwrap, docker  seatbelt (workspace)
     enhanced   nsjail or bwrap (namespaces) + seccomp,       seatbelt (strict)
                else Landlock+seccomp
     container  docker (hardened HostConfig)                  docker
     maximum    docker with runsc (gVisor)                    docker with runsc

   A level is never silently weakened: when none of its backends is here,
   sbx_select fails with SBX_ERR_UNAVAILABLE and the reason, unless fallback
   is asked for; then the next level down is tried (maximum -> container ->
   enhanced -> default -> off) and the reason says what was given instead.
   Every outcome carries a reason. */
#ifndef SBX_SELECT_H
#define SBX_SELECT_H

#include <stdbool.h>
#include <jansson.h>

#include "config.h"
#include "error.h"

typedef enum
{
  SBX_OS_LINUX = 0,
  SBX_OS_MACOS,
} sbx_os;

/* What this machine offers.  Every field can be set by hand (tests inject
   them); sbx_probe_host fills the host fields, the caller the engine ones. */
typedef struct sbx_probes
{
  sbx_os os;
  int landlock_abi;      /* 0: no Landlock */
  bool seccomp;          /* seccomp filters with SECCOMP_RET_ERRNO */
  bool bwrap;            /* bwrap really ran a sandbox here */
  bool bwrap_probed;     /* false: bwrap was not tried (see sbx_select_needs_bwrap) */
  bool nsjail;           /* nsjail in $PATH */
  bool seatbelt;         /* sandbox-exec exists (macOS) */
  bool engine;           /* the Docker engine answered */
  bool engine_probed;    /* false: the engine was not asked */
  bool runsc;            /* the engine lists the runsc runtime */
  char bwrap_error[256]; /* why bwrap does not work, when known */
  char engine_error[256]; /* why the engine is not reachable, when known */
} sbx_probes;

typedef enum
{
  SBX_BACKEND_NONE = 0,
  SBX_BACKEND_LANDLOCK, /* Landlock + seccomp in the child */
  SBX_BACKEND_NSJAIL,
  SBX_BACKEND_BWRAP,
  SBX_BACKEND_SEATBELT,
  SBX_BACKEND_DOCKER,       /* hardened container */
  SBX_BACKEND_DOCKER_RUNSC, /* hardened container on gVisor */
} sbx_backend;

typedef struct sbx_selection
{
  sbx_level requested;
  sbx_level level;     /* the level given (lower than requested after a fallback) */
  sbx_backend backend;
  bool seccomp;        /* seccomp filter on top (nsjail, bwrap) */
  bool strict;         /* Seatbelt strict profile */
  bool fallback;       /* the requested level could not be had */
  char reason[768];
} sbx_selection;

/* Host probes (Landlock ABI, seccomp, nsjail, sandbox-exec and, when
   probe_bwrap, a real bwrap run).  Engine fields are left false/unprobed. */
void sbx_probe_host (sbx_probes *p, bool probe_bwrap);
/* Run the bwrap probe now (fills bwrap, bwrap_probed, bwrap_error). */
void sbx_probe_bwrap (sbx_probes *p);
/* Take bwrap as working when it is installed, for a caller that finds out
   when it runs it (host_run: SBX_ERR_UNAVAILABLE before the command starts),
   and then records that with sbx_probe_bwrap_failed. */
void sbx_probe_bwrap_installed (sbx_probes *p);
void sbx_probe_bwrap_failed (sbx_probes *p, const char *why);
/* Ask the engine (ping, then info for the runtimes): fills engine,
   engine_probed, engine_error, runsc.  c may be NULL (engine false, with
   client_error as the reason). */
struct engine_client;
void sbx_probe_engine (sbx_probes *p, struct engine_client *c, const char *client_error);

/* Whether the engine's runtime called name runs gVisor.  info: the
   engine's /info.  The name alone is not believed (a runtime registered as
   "runsc" may run runc): Runtimes[name] must exist and the program dockerd
   runs for it ("path") must be runsc (basename "runsc" or "runsc-*"), or
   its shim ("runtimeType") must be gVisor's (io.containerd.runsc.*).  On
   false, *why (allocated, may be NULL) says what the runtime is. */
bool sbx_runtime_is_gvisor (json_t *info, const char *name, char **why);
/* The same asking the engine; SBX_ERR_UNAVAILABLE naming the runtime and
   who chose it (from: "--runtime", a file, NULL: the default) when it is
   not gVisor. */
int sbx_check_gvisor (struct engine_client *c, const char *name, const char *from,
                      sbx_error **err);

/* Whether selecting level with these probes would look at bwrap or at the
   engine (so that a caller probes only what matters: `sbx run` at the default
   level does not pay for a bwrap run when Landlock is here). */
bool sbx_select_needs_bwrap (sbx_level level, const sbx_probes *p, bool fallback);
bool sbx_select_needs_engine (sbx_level level, const sbx_probes *p, bool fallback);

int sbx_select (sbx_level level, const sbx_probes *p, bool fallback, sbx_selection *out,
                sbx_error **err);

/* "none", "landlock+seccomp", "nsjail+seccomp", "bwrap+seccomp", "bwrap",
   "seatbelt-workspace", "seatbelt-strict", "docker", "docker+runsc". */
const char *sbx_selection_backend_name (const sbx_selection *s);
const char *sbx_backend_name (sbx_backend b);

/* {"probes":{...},"levels":{"off":{"backend":..,"reason":..,"available":bool},
   ...}}; an unavailable level has "backend": null and, under "fallback", what
   --fallback would give. */
json_t *sbx_host_report (const sbx_probes *p);

#endif
