/* test_nsjail.c: the nsjail argv builder (nsjail is not packaged here; it is
   used when present) and its Kafel policy. */
#include <criterion/criterion.h>
#include <string.h>

#include "host/host.h"
#include "util.h"

static ssize_t
find (char **v, const char *a, const char *b)
{
  for (size_t i = 0; v[i]; i++)
    if (strcmp (v[i], a) == 0 && (b == NULL || (v[i + 1] && strcmp (v[i + 1], b) == 0)))
      return (ssize_t) i;
  return -1;
}

Test (nsjail, argv_network_off)
{
  host_policy pol = { .project_dir = "/work/proj", .allow_write = true };
  char *const cmd[] = { "make", "-j2", NULL };
  char **v = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (host_nsjail_argv ("/usr/bin/nsjail", &pol, true, cmd, &v, &err), 0);
  size_t n = strv_len (v);
  cr_expect_str_eq (v[0], "/usr/bin/nsjail");
  cr_expect_geq (find (v, "-Mo", NULL), 0);
  cr_expect_geq (find (v, "-B", "/work/proj"), 0, "project not bound read-write");
  cr_expect_geq (find (v, "--cwd", "/work/proj"), 0);
  cr_expect_geq (find (v, "-T", "/tmp"), 0);
  cr_expect_geq (find (v, "-R", "/usr"), 0);
  cr_expect_geq (find (v, "--time_limit", "0"), 0);
  cr_expect_lt (find (v, "--disable_clone_newnet", NULL), 0, "network shared while off");
  ssize_t sc = find (v, "--seccomp_string", NULL);
  cr_assert_geq (sc, 0);
  cr_expect_not_null (strstr (v[sc + 1], "ptrace"));
  cr_expect_not_null (strstr (v[sc + 1], "socket(domain) { domain != 1 }"));
  cr_expect_not_null (strstr (v[sc + 1], "USE sbx DEFAULT ALLOW"));
  cr_expect_str_eq (v[n - 3], "--");
  cr_expect_str_eq (v[n - 2], "make");
  cr_expect_str_eq (v[n - 1], "-j2");
  strv_free (v);
}

Test (nsjail, argv_network_on_readonly_project)
{
  char *ro[] = { "/opt/sdk", NULL };
  char *rw[] = { "/var/cache/x", NULL };
  host_policy pol = { .project_dir = "/work/proj", .allow_write = false, .allow_network = true,
                      .ro_dirs = ro, .rw_dirs = rw, .workdir = "/work/proj/sub" };
  char *const cmd[] = { "true", NULL };
  char **v = NULL;
  cr_assert_eq (host_nsjail_argv (NULL, &pol, false, cmd, &v, NULL), 0);
  cr_expect_str_eq (v[0], "nsjail");
  cr_expect_geq (find (v, "--disable_clone_newnet", NULL), 0);
  cr_expect_geq (find (v, "-R", "/work/proj"), 0, "project must be read-only");
  cr_expect_lt (find (v, "-B", "/work/proj"), 0);
  cr_expect_geq (find (v, "-R", "/opt/sdk"), 0);
  cr_expect_geq (find (v, "-B", "/var/cache/x"), 0);
  cr_expect_geq (find (v, "--cwd", "/work/proj/sub"), 0);
  cr_expect_lt (find (v, "--seccomp_string", NULL), 0);
  strv_free (v);
}

Test (nsjail, no_command)
{
  host_policy pol = { 0 };
  char *const cmd[] = { NULL };
  char **v = NULL;
  sbx_error *err = NULL;
  cr_expect_eq (host_nsjail_argv (NULL, &pol, true, cmd, &v, &err), -1);
  cr_expect_eq (err->code, SBX_ERR_INVALID);
  sbx_error_free (err);
}

Test (nsjail, kafel_policy_follows_network)
{
  _cleanup_free_ char *off = host_nsjail_kafel_policy (false);
  _cleanup_free_ char *on = host_nsjail_kafel_policy (true);
  cr_expect_not_null (strstr (off, "socket(domain)"));
  cr_expect_null (strstr (on, "socket(domain)"));
  cr_expect_not_null (strstr (on, "mount"));
  cr_expect_not_null (strstr (on, "ERRNO(38) { clone3 }"));
}

Test (nsjail, kafel_policy_mirrors_the_seccomp_filter)
{
  _cleanup_free_ char *p = host_nsjail_kafel_policy (true);
  /* ioctl numbers on their low 32 bits: TIOCSTI and TIOCLINUX. */
  cr_expect_not_null (strstr (p, "(cmd & 0xffffffff) == 0x5412"));
  cr_expect_not_null (strstr (p, "(cmd & 0xffffffff) == 0x541c"));
  /* Other processes: only pid 0 (the caller). */
  cr_expect_not_null (strstr (p, "prlimit64(pid) { pid != 0 }"));
  cr_expect_not_null (strstr (p, "sched_setaffinity(pid) { pid != 0 }"));
  cr_expect_not_null (strstr (p, "setpriority(which, who) { which != 0 || who != 0 }"));
  cr_expect_not_null (strstr (p, "ioprio_set(which, who) { which != 1 || who != 0 }"));
  cr_expect_not_null (strstr (p, "kcmp"));
  /* Root: no device nodes, no hostname. */
  cr_expect_not_null (strstr (p, "(mode & 0xf000) == 0x2000 || (mode & 0xf000) == 0x6000"));
  cr_expect_not_null (strstr (p, "sethostname, setdomainname"));
}
