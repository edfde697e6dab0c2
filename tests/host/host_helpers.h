/* host_helpers.h: a scratch tree outside /tmp (which the sandbox may
   write), a runner that calls host_run in a forked child with its output
   captured, and a loopback TCP listener. */
#ifndef SBX_TESTS_HOST_HELPERS_H
#define SBX_TESTS_HOST_HELPERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "host/host.h"

typedef struct hh_tree
{
  char *base;    /* /var/tmp/sbx-host-XXXXXX */
  char *project; /* base/project: read-write */
  char *ro;      /* base/ro: read-only, holds "data" */
  char *secret;  /* base/secret: not granted, holds "key" */
} hh_tree;

void hh_tree_make (hh_tree *t);
void hh_tree_free (hh_tree *t);

typedef struct hh_proc
{
  pid_t pid;  /* the runner (calls host_run) */
  int out_fd; /* its stdout+stderr */
} hh_proc;

/* Start host_run(confine, pol, argv) in a forked runner. */
void hh_start (hh_proc *p, host_confine confine, const host_policy *pol, char *const *argv);
/* Read the runner's output until a line containing want (or EOF); true if
   seen. */
bool hh_wait_for (hh_proc *p, const char *want, char **out);
/* Collect the rest of the output and the exit status of host_run. */
int hh_finish (hh_proc *p, char **out);
/* Start + finish. */
int hh_run (host_confine confine, const host_policy *pol, char *const *argv, char **out);

/* A TCP listener on 127.0.0.1, ephemeral port. */
int hh_listen_tcp (int *port);

bool hh_file_exists (const char *dir, const char *name);

#endif
