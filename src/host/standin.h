/* standin.h: LOCAL STAND-IN, to be deleted when the seccomp/Landlock API
   below lands from src/host/seccomp.c and src/host/landlock.c.  Until then
   the supervised calls live in a second seccomp filter stacked on the
   default one (the stricter action wins: ERRNO before USER_NOTIF). */
#ifndef SBX_HOST_STANDIN_H
#define SBX_HOST_STANDIN_H

#include "host.h"

/* A filter whose only rules send connect and the file metadata calls to the
   supervisor (SECCOMP_RET_USER_NOTIF); everything else is allowed. */
int host_seccomp_supervised_standin (host_bpf *out, sbx_error **err);
/* Load with SECCOMP_FILTER_FLAG_NEW_LISTENER; *listener = notification fd.
   Async-signal-safe: 0 or -errno. */
int host_seccomp_enforce_listener (const host_bpf *bpf, int *listener);
/* A Landlock domain with only the ABI-6 scopes (abstract Unix sockets,
   signals), no fs rights.  0, or -errno; 0 without doing anything below
   ABI 6.  Async-signal-safe. */
int host_landlock_scope_enforce (void);

#endif
