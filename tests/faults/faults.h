/* faults.h: what the fault suites share: the misbehaving proxy
   (faultproxy.py) started and stopped by the tests, and the checks of what
   sbx left behind (its error line, its project's image tags). */
#ifndef SBX_TEST_FAULTS_H
#define SBX_TEST_FAULTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "engine/engine.h"

#define FP_HANG_S 60 /* sbx is killed (and the test fails) after this long */

typedef struct fp_proxy
{
  char dir[64];       /* a private directory for the socket and the log */
  char sock[96];      /* the proxy's socket */
  char log[96];       /* one line per request it saw */
  char upstream[256]; /* the engine's socket */
  pid_t pid;
  char log_text[4096]; /* the start of the log, after fp_hits */
} fp_proxy;

/* A new directory for px, its upstream the shared engine. */
void fp_dir_init (fp_proxy *px);
void fp_dir_clear (fp_proxy *px);
/* Start the proxy with this fault ("none", "drop:N", ...), on requests
   whose path matches match (NULL: all) and method (NULL: any); returns once
   it listens. */
void fp_start (fp_proxy *px, const char *fault, const char *match, const char *method);
void fp_stop (fp_proxy *px);
/* How many requests the fault applied to (reads the log). */
int fp_hits (fp_proxy *px);

/* stderr holds one error line, the last, that is short, names the engine
   and carries no raw request URL. */
void fp_check_error_line (const char *err, const char *sock);
/* Every tag of the project's image repository is on a whole image (one
   with all of sbx's labels, its key matching a key tag). */
void fp_check_tags (engine_client *c, const char *proj);
/* Remove the project's image tags (the images go with them). */
void fp_remove_images (engine_client *c, const char *proj);

/* A private dockerd (scripts/engine-up --private dir): its own socket,
   data, exec root and containerd, so that a test may kill it. */
typedef struct fp_engine
{
  char dir[64];
  char sock[96];
} fp_engine;

/* Start it (or restart it after a kill); returns dockerd's pid. */
pid_t fp_engine_start (fp_engine *e);
/* SIGKILL dockerd; returns once it is dead (a zombie at worst). */
void fp_engine_kill (fp_engine *e);
/* Remove its containers, stop it, kill by pid whatever of it is left
   (containerd, shims), unmount and remove its directory.  The test fails
   when a process of it outlived all that. */
void fp_engine_destroy (fp_engine *e);

#endif
