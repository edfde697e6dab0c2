/* probe.c: what this machine can confine with (host_probe_run: asks
   landlock.c, seccomp.c, bwrap.c and nsjail.c, each about its own). */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
host_probe_run (host_probe *p, bool probe_bwrap)
{
  memset (p, 0, sizeof *p);
  p->landlock_abi = host_landlock_abi ();
  p->seccomp = host_seccomp_available ();
  _cleanup_free_ char *nsjail = host_nsjail_find ();
  p->nsjail = nsjail != NULL;
  int errnum;
  _cleanup_free_ char *runsc = host_find_program ("runsc", &errnum);
  p->runsc = runsc != NULL;
  _cleanup_free_ char *sandbox_exec = host_find_program ("sandbox-exec", &errnum);
  p->seatbelt = sandbox_exec != NULL;
  if (probe_bwrap)
    p->bwrap = host_bwrap_works (&p->bwrap_error);
  else
    p->bwrap_error = xstrdup ("not probed");
}

void
host_probe_clear (host_probe *p)
{
  free (p->bwrap_error);
  memset (p, 0, sizeof *p);
}
