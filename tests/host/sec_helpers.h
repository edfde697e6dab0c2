/* sec_helpers.h: for the security tests of the host levels: host_run of a
   shell script in a forked runner as root or as another uid (setresuid
   before host_run, as a non-root user would run sbx), a scratch project
   that looks like a git checkout with sbx config, and a listening
   pathname Unix socket. */
#ifndef SBX_TESTS_HOST_SEC_HELPERS_H
#define SBX_TESTS_HOST_SEC_HELPERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "host_helpers.h"

#define SEC_NOBODY ((uid_t) 65534)

/* hh_tree_make, then: project/.git/{config,HEAD,hooks/pre-commit.sample,
   objects/}, project/.sbx/config.json, base/outside/ (not granted, but
   readable), everything owned by uid. */
void sec_tree_make (hh_tree *t, uid_t uid);
char *sec_outside (const hh_tree *t); /* base/outside, allocated */

/* Run `sh -c script` under host_run(confine, pol) as uid (0: root),
   stdout+stderr in *out; returns host_run's exit status. */
int sec_run (uid_t uid, host_confine confine, const host_policy *pol, const char *script,
             unsigned long max_memory_mb, char **out);

/* The same at the default level where this process cannot create a user
   namespace (a seccomp filter makes unshare(CLONE_NEWUSER) fail). */
int sec_run_no_userns (uid_t uid, const host_policy *pol, const char *script, char **out);

/* A pathname Unix socket listening at path, mode 0777 (anybody may
   connect as far as permissions go). */
int sec_listen_unix (const char *path);

/* How many processes have exactly this command line (argv joined by
   spaces). */
int sec_count_cmdline (const char *cmdline);

/* How many mounts of this process's view (/proc/self/mountinfo) have
   their mount point at or under dir. */
int sec_mounts_under (const char *dir);

/* File content (allocated, "" when unreadable). */
char *sec_read (const char *dir, const char *name);

#endif
