/* buildlock.h: one build at a time per project, across processes: an
   flock(2) on the project's "build" lock file (sbx_lock_path of lock.h),
   released when the process ends however it ends; waiting can be
   cancelled. */
#ifndef SBX_DEVENV_BUILDLOCK_H
#define SBX_DEVENV_BUILDLOCK_H

#include <signal.h>
#include <stdbool.h>
#include "error.h"

/* Take the lock of project id; *fd holds it (close it to release).
   *waited: another process held it.  on_wait (may be NULL) is called once
   before waiting.  cancel (may be NULL): waiting stops with
   SBX_ERR_INTERRUPTED when it becomes non-zero. */
int devenv_lock_project (const char *id, volatile sig_atomic_t *cancel, void (*on_wait) (void *),
                         void *ud, int *fd, bool *waited, sbx_error **err);

#endif
