/* test_userdirs.c: sbx's locks, agent sockets and state live in the user's
   own private directories, never under /tmp (which the host levels'
   sandboxes may write). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "testutil.h"
#include "userdirs.h"
#include "util.h"

static char base[] = "/root/.sbx-userdirs-XXXXXX";

static void
setup (void)
{
  cr_assert_not_null (mkdtemp (base));
  unsetenv ("XDG_RUNTIME_DIR");
  _cleanup_free_ char *state = xasprintf ("%s/state", base);
  setenv ("XDG_STATE_HOME", state, 1);
}

static void
teardown (void)
{
  tu_rmrf (base);
}

TestSuite (userdirs, .init = setup, .fini = teardown);

Test (userdirs, locks_live_in_the_private_run_dir)
{
  sbx_error *err = NULL;
  _cleanup_free_ char *lock = NULL;
  cr_assert_eq (sbx_lock_path ("0123456789ab", "swap", true, &lock, &err), 0, "%s",
                err ? err->msg : "");
  _cleanup_free_ char *want = xasprintf ("%s/state/sbx/run/", base);
  cr_expect_eq (strncmp (lock, want, strlen (want)), 0, "%s", lock);
  struct stat st;
  _cleanup_free_ char *dir = xasprintf ("%s/state/sbx/run", base);
  cr_assert_eq (stat (dir, &st), 0);
  cr_expect_eq (st.st_mode & 07777, 0700);
  cr_expect_eq (st.st_uid, getuid ());
}

Test (userdirs, runtime_dir_wins_and_tmp_is_never_used)
{
  _cleanup_free_ char *rt = xasprintf ("%s/rt", base);
  cr_assert_eq (mkdir (rt, 0700), 0);
  setenv ("XDG_RUNTIME_DIR", rt, 1);
  sbx_error *err = NULL;
  _cleanup_free_ char *dir = NULL;
  cr_assert_eq (sbx_run_dir (&dir, &err), 0);
  _cleanup_free_ char *want = xasprintf ("%s/sbx", rt);
  cr_expect_str_eq (dir, want);
  unsetenv ("XDG_STATE_HOME");
  unsetenv ("XDG_RUNTIME_DIR");
  setenv ("HOME", base, 1);
  free (dir);
  dir = NULL;
  cr_assert_eq (sbx_run_dir (&dir, &err), 0);
  cr_expect_null (strstr (dir, "/tmp"), "%s", dir);
}

Test (userdirs, a_dir_not_of_the_caller_is_refused)
{
  _cleanup_free_ char *d = xasprintf ("%s/other", base);
  cr_assert_eq (mkdir (d, 0755), 0);
  cr_assert_eq (chown (d, 65534, 65534), 0);
  sbx_error *err = NULL;
  cr_expect_lt (sbx_private_dir (d, &err), 0);
  cr_expect_not_null (err && strstr (err->msg, "not a directory of yours"));
  sbx_error_free (err);
}
