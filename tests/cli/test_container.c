/* The CLI against the real engine: up, exec, down, ps, version, errors. */
#include <criterion/criterion.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine/engine.h"
#include "testutil.h"
#include "util.h"

static char *proj;

static void
setup (void)
{
  proj = tu_project_up (NULL);
  tu_write_file (proj, "hello.txt", "hello from the project\n");
}

static void
teardown (void)
{
  tu_project_remove (proj);
}

TestSuite (cli, .init = setup, .fini = teardown, .timeout = 180);

Test (cli, exec_keeps_streams_apart_and_exit_status)
{
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "sh", "-c", "echo out; echo err >&2; exit 7", NULL);
  cr_assert_eq (r.status, 7);
  cr_assert_str_eq (r.out, "out\n");
  cr_assert_str_eq (r.err, "err\n");
  tu_result_clear (&r);
}

Test (cli, project_mounted_at_its_path_and_cwd)
{
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "sh", "-c", "pwd; cat hello.txt; echo made > new.txt", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  _cleanup_free_ char *want = xasprintf ("%s\nhello from the project\n", proj);
  cr_assert_str_eq (r.out, want);
  tu_result_clear (&r);
  _cleanup_free_ char *made = xasprintf ("%s/new.txt", proj);
  struct stat st;
  cr_assert_eq (stat (made, &st), 0, "written in the project on the host");
  cr_assert_eq (st.st_uid, getuid (), "owned by the invoking user");

  /* -w: relative to the project. */
  mkdir (xasprintf ("%s/sub", proj), 0755);
  tu_sbx (&r, proj, "exec", "-w", "sub", "--", "pwd", NULL);
  _cleanup_free_ char *sub = xasprintf ("%s/sub\n", proj);
  cr_assert_str_eq (r.out, sub);
  tu_result_clear (&r);
}

Test (cli, env_flags)
{
  tu_result r;
  char *env[] = { "SBX_TEST_FROM_HOST=hostval", NULL };
  tu_sbx_env (&r, proj, env, "exec", "-e", "A=1", "-e", "SBX_TEST_FROM_HOST", "--", "sh", "-c",
              "echo $A $SBX_TEST_FROM_HOST", NULL);
  cr_assert_eq (r.status, 0);
  cr_assert_str_eq (r.out, "1 hostval\n");
  tu_result_clear (&r);
}

Test (cli, not_found_127_cannot_exec_126)
{
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "no-such-command", NULL);
  cr_assert_eq (r.status, 127);
  cr_assert (strstr (r.err, "no-such-command") != NULL, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "/etc/passwd", NULL);
  cr_assert_eq (r.status, 126);
  tu_result_clear (&r);
}

Test (cli, missing_workdir_is_126_on_stderr)
{
  tu_result r;
  tu_sbx (&r, proj, "exec", "-w", "/nonexistent-sbx-wd", "--", "true", NULL);
  cr_assert_eq (r.status, 126, "%s", r.err);
  cr_assert_str_eq (r.out, "", "nothing but the command's output goes to stdout");
  cr_assert (strstr (r.err, "/nonexistent-sbx-wd") != NULL, "%s", r.err);
  tu_result_clear (&r);
}

Test (cli, output_ending_in_crlf_is_passed_unchanged)
{
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "printf", "only\\r\\n", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "only\r\n");
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "sh", "-c", "printf 'a\\r\\n'; sleep 0.2; printf b; exit 3", NULL);
  cr_assert_eq (r.status, 3, "%s", r.err);
  cr_assert_str_eq (r.out, "a\r\nb");
  tu_result_clear (&r);
}

Test (cli, timeout_kills_inside)
{
  tu_result r;
  tu_sbx (&r, proj, "exec", "--timeout", "1s", "--", "sh", "-c", "echo before; sleep 30", NULL);
  cr_assert_eq (r.status, 124);
  cr_assert_str_eq (r.out, "before\n", "what was printed so far is returned");
  /* Far from the 30 s of sleep: killed at the timeout (the bound leaves
     room for a loaded machine). */
  cr_assert_lt (r.seconds, 10.0, "took %.2fs", r.seconds);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "ps", "-o", "comm", NULL);
  cr_assert_eq (r.status, 0);
  cr_assert (strstr (r.out, "sleep") == NULL, "sleep survived: %s", r.out);
  tu_result_clear (&r);
}

Test (cli, timeout_kills_escaped_children)
{
  /* A child in its own session (setsid) is killed too. */
  tu_result r;
  tu_sbx (&r, proj, "exec", "--timeout", "500ms", "--", "sh", "-c",
          "setsid sleep 41 & sleep 42", NULL);
  cr_assert_eq (r.status, 124);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "ps", "-o", "args", NULL);
  cr_assert (strstr (r.out, "sleep 4") == NULL, "survivor: %s", r.out);
  tu_result_clear (&r);
}

Test (cli, binary_output_is_byte_exact)
{
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "sh", "-c",
          "printf '\\000\\001\\377\\376\\200abc\\n\\303\\050'", NULL);
  cr_assert_eq (r.status, 0);
  cr_assert_eq (r.out_len, 11);
  cr_assert_arr_eq (r.out, "\0\1\377\376\200abc\n\303\050", 11);
  tu_result_clear (&r);
}

Test (cli, container_removed_behind_our_back_is_recreated)
{
  engine_client *c = tu_engine ();
  tu_result r;
  tu_sbx (&r, proj, "--json", "up", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  json_t *o = json_loads (r.out, 0, NULL);
  cr_assert_not_null (o, "one JSON object: %s", r.out);
  const char *name = json_string_value (json_object_get (o, "container"));
  sbx_error *err = NULL;
  cr_assert_eq (engine_container_remove (c, name, true, &err), 0);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "cat", "hello.txt", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "hello from the project\n");
  tu_result_clear (&r);
  json_decref (o);
  engine_client_free (c);
}

Test (cli, stopped_container_is_started)
{
  engine_client *c = tu_engine ();
  tu_result r;
  tu_sbx (&r, proj, "--json", "up", NULL);
  json_t *o = json_loads (r.out, 0, NULL);
  sbx_error *err = NULL;
  cr_assert_eq (engine_container_stop (c, json_string_value (json_object_get (o, "id")), 5, &err), 0);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "true", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  json_decref (o);
  engine_client_free (c);
}

Test (cli, hardening_visible_in_inspect)
{
  engine_client *c = tu_engine ();
  tu_result r;
  tu_sbx (&r, proj, "--json", "up", NULL);
  json_t *o = json_loads (r.out, 0, NULL);
  json_t *ins = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (engine_container_inspect (c, json_string_value (json_object_get (o, "id")), &ins, &err), 0);
  json_t *hc = json_object_get (ins, "HostConfig");
  cr_assert_eq (tu_default_caps (hc), 0, "no capability is left");
  cr_assert_str_eq (json_string_value (json_array_get (json_object_get (hc, "SecurityOpt"), 0)),
                    "no-new-privileges");
  cr_assert_gt (json_integer_value (json_object_get (hc, "PidsLimit")), 0);
  cr_assert_str_eq (json_string_value (json_object_get (hc, "NetworkMode")), "none");
  /* The root filesystem is a writable layer of the container's own. */
  cr_assert (json_is_false (json_object_get (hc, "ReadonlyRootfs")));
  cr_assert_not_null (json_object_get (json_object_get (hc, "Tmpfs"), "/tmp"));
  json_t *labels = json_object_get (json_object_get (ins, "Config"), "Labels");
  cr_assert_str_eq (json_string_value (json_object_get (labels, "dev.sbx.managed")), "true");
  cr_assert_str_eq (json_string_value (json_object_get (labels, "dev.sbx.project")), proj);
  _cleanup_free_ char *user = xasprintf ("%u:%u", getuid (), getgid ());
  cr_assert_str_eq (json_string_value (json_object_get (json_object_get (ins, "Config"), "User")), user);
  const char *cname = json_string_value (json_object_get (ins, "Name"));
  cr_assert (strncmp (cname, "/sbx-", 5) == 0, "%s", cname);
  tu_result_clear (&r);

  /* And for real inside: no network, a writable root (root owns /etc),
     writable /tmp, no caps. */
  tu_sbx (&r, proj, "exec", "--", "sh", "-c",
          "touch /etc/x 2>/dev/null && echo root-writable; touch /tmp/x && echo tmp-ok; "
          "echo net=$(ls /sys/class/net); grep CapEff /proc/self/status",
          NULL);
  cr_assert (strstr (r.out, "root-writable") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "tmp-ok") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "CapEff:\t0000000000000000") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "net=lo\n") != NULL, "loopback only, no network: %s", r.out);
  tu_result_clear (&r);
  json_decref (ins);
  json_decref (o);
  engine_client_free (c);
}

Test (cli, init_reaps_zombies)
{
  tu_result r;
  /* The orphaned children of an exec are reparented to the init, which must
     reap them. */
  tu_sbx (&r, proj, "exec", "--", "sh", "-c", "for i in 1 2 3 4 5; do (sleep 0.1 &) ; done", NULL);
  cr_assert_eq (r.status, 0);
  tu_result_clear (&r);
  sleep (1);
  tu_sbx (&r, proj, "exec", "--", "ps", "-o", "stat,comm", NULL);
  cr_assert (strstr (r.out, "Z ") == NULL, "zombies left: %s", r.out);
  tu_result_clear (&r);
}

Test (cli, ps_lists_the_container)
{
  tu_result r;
  tu_sbx (&r, proj, "--json", "ps", NULL);
  cr_assert_eq (r.status, 0);
  json_t *o = json_loads (r.out, 0, NULL);
  cr_assert_not_null (o);
  bool found = false;
  size_t i;
  json_t *row;
  json_array_foreach (json_object_get (o, "containers"), i, row)
    found |= strcmp (json_string_value (json_object_get (row, "project")), proj) == 0;
  cr_assert (found, "%s", r.out);
  json_decref (o);
  tu_result_clear (&r);
}

Test (cli, down_leaves_nothing)
{
  engine_client *c = tu_engine ();
  tu_result r;
  tu_sbx (&r, proj, "down", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *label = xasprintf ("dev.sbx.project=%s", proj);
  json_t *list = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (engine_container_list (c, label, true, &list, &err), 0);
  cr_assert_eq (json_array_size (list), 0, "containers left after down");
  json_decref (list);
  tu_sbx (&r, proj, "down", NULL);
  cr_assert_eq (r.status, 0, "down twice is fine");
  tu_result_clear (&r);
  engine_client_free (c);
}

#ifdef __SANITIZE_ADDRESS__
#define RSS_LIMIT_KB (160 * 1024) /* ASan's shadow and quarantine, still flat */
#else
#define RSS_LIMIT_KB (16 * 1024)
#endif

/* Run a bash pipeline ($0 is sbx) whose last command is wc -c: want bytes
   arrive, and the peak RSS of sbx (the largest process the shell waited
   for) stays small. */
static void
bytes_through_sbx (const char *pipeline, long long want)
{
  char *argv[] = { "/bin/bash", "-c", (char *) pipeline, (char *) TU_SBX, NULL };
  tu_result r;
  tu_run (&r, proj, NULL, NULL, 240, argv);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_eq (atoll (r.out), want, "got %s bytes", r.out);
  cr_assert_lt (r.maxrss_kb, RSS_LIMIT_KB, "peak RSS %ld KiB", r.maxrss_kb);
  tu_result_clear (&r);
}

Test (cli, large_output_streams_with_flat_memory)
{
  bytes_through_sbx ("set -o pipefail; \"$0\" exec -- dd if=/dev/zero bs=1048576 count=1024 2>/dev/null | wc -c",
                     1073741824LL);
}

static void
sbx_with_stdin (tu_result *r, const char *input, char *const *args)
{
  char *argv[16] = { (char *) TU_SBX };
  size_t n = 1;
  for (; args[n - 1] && n < 15; n++)
    argv[n] = args[n - 1];
  argv[n] = NULL;
  tu_run (r, proj, NULL, input, 60, argv);
}

Test (cli, exec_i_passes_stdin_and_its_end)
{
  tu_result r;
  char *with_i[] = { "exec", "-i", "--", "sh", "-c", "cat; echo end of input", NULL };
  sbx_with_stdin (&r, "line 1\nline 2\n", with_i);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "line 1\nline 2\nend of input\n");
  tu_result_clear (&r);

  char *without[] = { "exec", "--", "sh", "-c", "cat; echo end of input", NULL };
  sbx_with_stdin (&r, "line 1\n", without);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "end of input\n", "without -i stdin is /dev/null");
  tu_result_clear (&r);

  /* A closed stdin is an empty one. */
  char *argv[] = { "/bin/bash", "-c", "\"$0\" exec -i -- sh -c 'cat; echo end' <&-; echo rc=$?",
                   (char *) TU_SBX, NULL };
  tu_run (&r, proj, NULL, NULL, 60, argv);
  cr_assert_str_eq (r.out, "end\nrc=0\n", "%s", r.err);
  tu_result_clear (&r);

  char *timed[] = { "exec", "-i", "--timeout", "1s", "--", "sh", "-c", "cat; sleep 30", NULL };
  sbx_with_stdin (&r, "x\n", timed);
  cr_assert_eq (r.status, 124, "%s", r.err);
  cr_assert_str_eq (r.out, "x\n");
  cr_assert_lt (r.seconds, 5.0);
  tu_result_clear (&r);
}

Test (cli, exec_i_large_stdin_with_flat_memory)
{
  bytes_through_sbx ("set -o pipefail; head -c 268435456 /dev/zero | \"$0\" exec -i -- wc -c",
                     268435456LL);
}

Test (cli, signals_reach_the_command)
{
  /* SIGTERM sent to sbx exec reaches the command inside, which handles it;
     its own status comes back. */
  char *argv[] = { TU_SBX, "exec", "--", "sh", "-c", TU_TRAP_TERM, NULL };
  tu_result r;
  tu_signal_when_ready (&r, proj, NULL, argv, SIGTERM);
  cr_assert_str_eq (r.out, "got-term\n");
  cr_assert_eq (r.status, 42, "status %d", r.status);
  tu_result_clear (&r);
}

Test (cli, interrupt_kills_inside_and_exits_130)
{
  /* Ctrl-C (SIGINT to sbx) ends the command inside the container too. */
  pid_t pid = fork ();
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, 1);
      dup2 (null, 2);
      if (chdir (proj) < 0)
        _exit (121);
      execl (TU_SBX, TU_SBX, "exec", "--", "sleep", "43", (char *) NULL);
      _exit (122);
    }
  usleep (1500 * 1000);
  kill (pid, SIGINT);
  int st;
  waitpid (pid, &st, 0);
  cr_assert (WIFEXITED (st) && WEXITSTATUS (st) == 130, "exit %d", WEXITSTATUS (st));
  tu_result r;
  tu_sbx (&r, proj, "exec", "--", "ps", "-o", "args", NULL);
  cr_assert (strstr (r.out, "sleep 43") == NULL, "survivor: %s", r.out);
  tu_result_clear (&r);
}
