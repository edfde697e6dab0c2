/* nsjail.c: the nsjail backend: argv builder and presence probe.  nsjail
   takes seccomp policies in Kafel syntax, so the default filter is written
   out as Kafel here (same calls as seccomp.c). */
#include "host.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static const char *const nsjail_dev_nodes[] = {
  "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", NULL,
};

char *
host_nsjail_kafel_policy (bool allow_network)
{
  /* EPERM is 1.  AF_UNIX is 1.  CLONE_NEWUSER is 0x10000000. */
  return xasprintf (
      "POLICY sbx {\n"
      "  ERRNO(1) {\n"
      "    ptrace, process_vm_readv, process_vm_writev, mount, umount2, pivot_root, chroot,\n"
      "    fsopen, fsconfig, fsmount, fspick, move_mount, open_tree, mount_setattr,\n"
      "    kexec_load, kexec_file_load, bpf, perf_event_open, keyctl, add_key, request_key,\n"
      "    init_module, finit_module, delete_module, reboot, swapon, swapoff,\n"
      "    io_uring_setup, io_uring_enter, io_uring_register, userfaultfd,\n"
      "    unshare(flags) { (flags & 0x10000000) == 0x10000000 },\n"
      "    clone(flags) { (flags & 0x10000000) == 0x10000000 },\n"
      "    setns(fd, nstype) { nstype == 0 || (nstype & 0x10000000) == 0x10000000 }%s\n"
      "  },\n"
      "  ERRNO(38) { clone3 }\n"
      "}\n"
      "USE sbx DEFAULT ALLOW\n",
      allow_network ? ""
                    : ",\n    socket(domain) { domain != 1 },\n"
                      "    socketpair(domain) { domain != 1 }");
}

int
host_nsjail_argv (const char *nsjail, const host_policy *pol, bool seccomp, char *const *cmd,
                  char ***out, sbx_error **err)
{
  if (cmd == NULL || cmd[0] == NULL)
    return sbx_fail (err, SBX_ERR_INVALID, "no command to run under nsjail");
  _cleanup_strv_ char **v = NULL;
  strv_append (&v, nsjail ? nsjail : "nsjail");
  strv_append (&v, "-Mo");
  strv_append (&v, "--quiet");
  strv_append (&v, "--keep_env");
  strv_append_all (&v, "--time_limit", "0", NULL);
  strv_append_all (&v, "--rlimit_as", "inf", NULL);
  strv_append_all (&v, "--rlimit_cpu", "inf", NULL);
  strv_append_all (&v, "--rlimit_fsize", "inf", NULL);
  strv_append_all (&v, "--rlimit_nofile", "max", NULL);
  strv_append_all (&v, "--rlimit_nproc", "max", NULL);
  strv_append_all (&v, "--rlimit_stack", "max", NULL);
  if (pol->allow_network)
    strv_append (&v, "--disable_clone_newnet");
  struct stat st;
  for (const char *const *p = host_system_ro_paths; *p; p++)
    if (strcmp (*p, "/proc") != 0 && stat (*p, &st) == 0)
      strv_append_all (&v, "-R", *p, NULL);
  for (const char *const *p = nsjail_dev_nodes; *p; p++)
    if (stat (*p, &st) == 0)
      strv_append_all (&v, "-B", *p, NULL);
  strv_append_all (&v, "-T", "/tmp", NULL);
  for (char *const *p = pol->ro_dirs; p && *p; p++)
    strv_append_all (&v, "-R", *p, NULL);
  for (char *const *p = pol->rw_dirs; p && *p; p++)
    strv_append_all (&v, "-B", *p, NULL);
  if (pol->project_dir)
    {
      strv_append_all (&v, pol->allow_write ? "-B" : "-R", pol->project_dir, NULL);
    }
  if (pol->workdir || pol->project_dir)
    strv_append_all (&v, "--cwd", pol->workdir ? pol->workdir : pol->project_dir, NULL);
  if (seccomp)
    {
      _cleanup_free_ char *policy = host_nsjail_kafel_policy (pol->allow_network);
      strv_append_all (&v, "--seccomp_string", policy, NULL);
    }
  strv_append (&v, "--");
  for (char *const *p = cmd; *p; p++)
    strv_append (&v, *p);
  *out = steal_pointer (&v);
  return 0;
}

char *
host_nsjail_find (void)
{
  int errnum;
  return host_find_program ("nsjail", &errnum);
}
