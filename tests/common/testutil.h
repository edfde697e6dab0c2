/* testutil.h: helpers for the Criterion suites: run a program (the built
   sbx) with captured stdout/stderr, temporary projects, the engine. */
#ifndef SBX_TESTUTIL_H
#define SBX_TESTUTIL_H

#include <stddef.h>
#include <stdbool.h>

#include "engine/engine.h"

#define TU_IMAGE "sbx-test/busybox:latest"
#define TU_SBX SBX_BUILD_DIR "/sbx"

typedef struct tu_result
{
  int status; /* exit status, or 128+signal */
  char *out;  /* NUL-terminated, at most TU_CAPTURE_MAX bytes kept */
  size_t out_len;
  char *err;
  size_t err_len;
  double seconds; /* wall time */
  long maxrss_kb; /* peak RSS of the child and the descendants it waited for */
} tu_result;

#define TU_CAPTURE_MAX (16 * 1024 * 1024)

/* Run argv (argv[0] a path) in cwd (NULL: here), with extra "K=V" env
   entries (NULL-terminated, may be NULL) and stdin_data (NULL: /dev/null).
   Killed after timeout_s seconds (status 128+9 then). */
void tu_run (tu_result *r, const char *cwd, char *const *env, const char *stdin_data,
             int timeout_s, char *const *argv);
/* Run the built sbx with the NULL-terminated arguments, in cwd. */
void tu_sbx (tu_result *r, const char *cwd, ...) __attribute__ ((sentinel));
/* Same with extra environment entries. */
void tu_sbx_env (tu_result *r, const char *cwd, char *const *env, ...) __attribute__ ((sentinel));
void tu_result_clear (tu_result *r);

/* A new empty directory under /tmp (realpath'ed); caller frees. */
char *tu_mkproject (void);
void tu_rmrf (const char *path);
/* Write content to dir/rel (parents created). */
void tu_write_file (const char *dir, const char *rel, const char *content);
/* Run argv (argv[0] a path) in cwd with extra env entries; once it prints
   "ready" on a line, send it sig; r gets the rest of stdout and the status
   (stderr is inherited). */
/* A shell script for it: prints ready, reports SIGTERM and exits 42. */
#define TU_TRAP_TERM                                                                             \
  "trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.05; done"
void tu_signal_when_ready (tu_result *r, const char *cwd, char *const *env, char *const *argv,
                           int sig);
/* The whole file, NUL-terminated (allocated), or NULL when it cannot be
   read. */
char *tu_read_file (const char *path);
/* Remove the project's containers (sbx down), quietly. */
void tu_down (const char *project);
/* A new project (tu_mkproject) whose container runs TU_IMAGE at isolation
   (NULL: container); tu_project_remove takes it down, deletes and frees it. */
char *tu_project_up (const char *isolation);
void tu_project_remove (char *project);
/* Remove, quietly, every image labelled as the project's (dev.sbx.project). */
void tu_remove_project_images (engine_client *c, const char *project);
/* A client for the test engine; the test fails if it does not answer. */
engine_client *tu_engine (void);

/* The Unix socket of the test engine (DOCKER_HOST's, or Docker's). */
const char *tu_engine_socket (void);
/* Is the test engine podman (its /version names "Podman Engine")?  For the
   few cases podman cannot do, where a test asserts sbx's error instead. */
bool tu_engine_is_podman (void);
/* How many of Docker's 14 default capabilities a container has, from its
   inspect's HostConfig: Docker lists CapDrop ["ALL"] and what it adds back;
   podman lists what it dropped from, and added to, its default set (the
   same 14). */
size_t tu_default_caps (json_t *host_config);
/* podman 4.3's Docker API ignores HostConfig.Runtime: isolation maximum
   cannot be had there.  On podman, asserts that `sbx up --isolation
   maximum` in a new project fails with sbx's one-line error naming the
   runtime podman gave instead, and returns true (the test is then done);
   on Docker, returns false. */
bool tu_maximum_refused_on_podman (void);

/* sbx up in proj, then the engine's inspect of its container (owned). */
json_t *tu_up_inspect (const char *proj);

#endif
