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
  /* The unsupervised rules of host_seccomp_default_profile.  EPERM is 1,
     EACCES 13, ENOSYS 38.  AF_UNIX is 1.  CLONE_NEWUSER is 0x10000000.
     Arguments that the kernel reads as int are masked to their low 32 bits
     where a value is matched (0x100005412 is TIOCSTI); a "not this value"
     compare stays on 64 bits (stricter).  ioctl: TIOCSTI 0x5412, TIOCLINUX
     0x541c, FS_IOC_SETFLAGS 0x40086602, FS_IOC_FSSETXATTR 0x401c5820.
     personality: ADDR_NO_RANDOMIZE 0x40000, READ_IMPLIES_EXEC 0x400000,
     MMAP_PAGE_ZERO 0x100000, ADDR_COMPAT_LAYOUT 0x200000 (bit 31 in the mask
     keeps the query 0xffffffff allowed).  mknod modes: S_IFMT 0xf000,
     S_IFCHR 0x2000, S_IFBLK 0x6000.  process_madvise and process_mrelease
     are named by number (440, 448: the same on x86-64 and aarch64), which an
     older Kafel also knows. */
  return xasprintf (
      "POLICY sbx {\n"
      "  ERRNO(1) {\n"
      "    ptrace, process_vm_readv, process_vm_writev, mount, umount2, pivot_root, chroot,\n"
      "    fsopen, fsconfig, fsmount, fspick, move_mount, open_tree, mount_setattr,\n"
      "    kexec_load, kexec_file_load, bpf, perf_event_open, keyctl, add_key, request_key,\n"
      "    init_module, finit_module, delete_module, reboot, swapon, swapoff,\n"
      "    io_uring_setup, io_uring_enter, io_uring_register, userfaultfd,\n"
      "    acct, settimeofday, clock_settime, adjtimex, clock_adjtime, quotactl, vhangup,\n"
      "    syslog, kcmp, SYSCALL[440], SYSCALL[448], sethostname, setdomainname,\n"
      "    open_by_handle_at,\n"
      "    unshare(flags) { (flags & 0x10000000) == 0x10000000 },\n"
      "    clone(flags) { (flags & 0x10000000) == 0x10000000 },\n"
      "    setns(fd, nstype) { (nstype & 0xffffffff) == 0 || (nstype & 0x10000000) == 0x10000000 },\n"
      "    personality(persona) {\n"
      "      (persona & 0x80040000) == 0x40000 || (persona & 0x80400000) == 0x400000\n"
      "      || (persona & 0x80100000) == 0x100000 || (persona & 0x80200000) == 0x200000\n"
      "    },\n"
      "    ioctl(fd, cmd) {\n"
      "      (cmd & 0xffffffff) == 0x5412 || (cmd & 0xffffffff) == 0x541c\n"
      "      || (cmd & 0xffffffff) == 0x40086602 || (cmd & 0xffffffff) == 0x401c5820\n"
      "    },\n"
      "    prlimit64(pid) { pid != 0 },\n"
      "    sched_setscheduler(pid) { pid != 0 },\n"
      "    sched_setparam(pid) { pid != 0 },\n"
      "    sched_setattr(pid) { pid != 0 },\n"
      "    sched_setaffinity(pid) { pid != 0 },\n"
      "    migrate_pages(pid) { pid != 0 },\n"
      "    move_pages(pid) { pid != 0 },\n"
      "    setpriority(which, who) { which != 0 || who != 0 },\n"
      "    ioprio_set(which, who) { which != 1 || who != 0 },\n"
      "    mknod(path, mode) { (mode & 0xf000) == 0x2000 || (mode & 0xf000) == 0x6000 },\n"
      "    mknodat(dirfd, path, mode) { (mode & 0xf000) == 0x2000 || (mode & 0xf000) == 0x6000 }%s\n"
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
