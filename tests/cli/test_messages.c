/* The messages a user reads: each says what happened, once, and nothing
   that is not so (help, ps, status, build progress, swap, exec, shell). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine/engine.h"
#include "testutil.h"
#include "util.h"

TestSuite (messages, .timeout = 300);

static bool
one_line (const char *s)
{
  const char *nl = strchr (s, '\n');
  return nl && nl[1] == '\0';
}

static size_t
count (const char *hay, const char *needle)
{
  size_t n = 0;
  for (const char *p = hay; (p = strstr (p, needle)); p += strlen (needle))
    n++;
  return n;
}

Test (messages, help_command_prints_the_commands_help)
{
  const char *verbs[] = { "exec", "up", "shell", "swap", "ps", "devenv", "run", "gc" };
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    {
      tu_result a, b;
      tu_sbx (&a, NULL, "help", verbs[i], NULL);
      tu_sbx (&b, NULL, verbs[i], "--help", NULL);
      cr_assert_eq (a.status, 0, "sbx help %s: %d %s", verbs[i], a.status, a.err);
      cr_assert_str_eq (a.out, b.out, "sbx help %s is sbx %s --help", verbs[i], verbs[i]);
      _cleanup_free_ char *head = xasprintf ("usage: sbx %s", verbs[i]);
      cr_assert (strncmp (a.out, head, strlen (head)) == 0, "%s", a.out);
      cr_assert_str_eq (a.err, "");
      tu_result_clear (&a);
      tu_result_clear (&b);
    }
  /* Words after the command are never run as its operands. */
  tu_result r;
  tu_sbx (&r, NULL, "help", "exec", "false", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strncmp (r.out, "usage: sbx exec", 15) == 0, "%s", r.out);
  tu_result_clear (&r);

  tu_result g, h;
  tu_sbx (&g, NULL, "help", NULL);
  tu_sbx (&h, NULL, "--help", NULL);
  cr_assert_eq (g.status, 0);
  cr_assert_str_eq (g.out, h.out, "sbx help is sbx --help");
  cr_assert (strstr (g.out, "help") != NULL);
  tu_result_clear (&g);
  tu_result_clear (&h);

  tu_sbx (&r, NULL, "help", "nosuch", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert_str_eq (r.out, "");
  cr_assert (one_line (r.err) && strstr (r.err, "'nosuch'") != NULL, "%s", r.err);
  tu_result_clear (&r);
}

/* The column of the header word `col` in the first line of `out`. */
static long
column_of (const char *out, const char *col)
{
  const char *nl = strchr (out, '\n');
  const char *at = strstr (out, col);
  cr_assert (at && nl && at < nl, "no %s in the header: %s", col, out);
  return at - out;
}

Test (messages, ps_columns_hold_a_100_char_image_name)
{
  engine_client *c = tu_engine ();
  /* repo/name:tag of 100 characters, the busybox image under it. */
  char repo[80], tag[48], ref[128];
  snprintf (repo, sizeof repo, "sbx-test/msgs-long-%060d", 0);
  memset (repo + strlen ("sbx-test/msgs-long-"), 'x', 60);
  int pad = 100 - (int) strlen (repo) - 1 - 6;
  snprintf (tag, sizeof tag, "t%05d%0*d", (int) getpid () % 100000, pad, 0);
  snprintf (ref, sizeof ref, "%s:%s", repo, tag);
  cr_assert_eq (strlen (ref), 100, "%s", ref);
  sbx_error *err = NULL;
  cr_assert_eq (engine_image_tag (c, TU_IMAGE, repo, tag, &err), 0, "%s", err ? err->msg : "");
  char *proj = tu_mkproject ();
  tu_result r;
  tu_sbx (&r, proj, "up", "--image", ref, NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);

  tu_sbx (&r, proj, "ps", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  long c_state = column_of (r.out, "STATE"), c_iso = column_of (r.out, "ISOLATION"),
       c_image = column_of (r.out, "IMAGE"), c_proj = column_of (r.out, "PROJECT");
  bool found = false;
  for (char *line = strchr (r.out, '\n') + 1; *line;)
    {
      char *nl = strchr (line, '\n');
      cr_assert_not_null (nl);
      *nl = '\0';
      long len = nl - line;
      /* Every row's fields start under their header, after a blank. */
      cr_assert (len > c_image && line[c_state - 1] == ' ' && line[c_state] != ' '
                     && line[c_iso - 1] == ' ' && line[c_iso] != ' ' && line[c_image - 1] == ' '
                     && line[c_image] != ' '
                     && (len <= c_proj || (line[c_proj - 1] == ' ' && line[c_proj] != ' ')),
                 "misaligned row: '%s'", line);
      if (strncmp (line + c_image, ref, strlen (ref)) == 0)
        {
          found = true;
          cr_assert (strncmp (line + c_proj, proj, strlen (proj)) == 0, "'%s'", line);
        }
      line = nl + 1;
    }
  cr_assert (found, "the container with the long image is listed whole: %s", r.out);
  tu_result_clear (&r);

  /* --json has the full values too. */
  tu_sbx (&r, proj, "--json", "ps", NULL);
  cr_assert (strstr (r.out, ref) != NULL, "%s", r.out);
  tu_result_clear (&r);
  tu_project_remove (proj);
  engine_image_remove (c, ref, false, NULL);
  engine_client_free (c);
}

Test (messages, status_after_up_image_says_which_image_not_stale)
{
  char *proj = tu_mkproject ();
  tu_write_file (proj, "Dockerfile", "FROM " TU_IMAGE "\nRUN echo built\n");
  tu_result r;
  tu_sbx (&r, proj, "up", "--image", TU_IMAGE, NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);

  tu_sbx (&r, proj, "devenv", "status", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  const char *state = strstr (r.out, "state:");
  cr_assert_not_null (state, "%s", r.out);
  cr_assert (strstr (state, "stale") == NULL, "not stale: %s", r.out);
  cr_assert (strstr (state, TU_IMAGE) && strstr (state, "--image")
                 && strstr (state, "not built from the project"),
             "says what runs and why: %s", r.out);
  tu_result_clear (&r);

  tu_sbx (&r, proj, "--json", "devenv", "status", NULL);
  json_t *o = json_loads (r.out, 0, NULL);
  cr_assert_not_null (o, "%s", r.out);
  cr_assert (json_is_false (json_object_get (o, "stale")), "%s", r.out);
  cr_assert (json_is_true (json_object_get (o, "other_image")), "%s", r.out);
  cr_assert_str_eq (json_string_value (json_object_get (o, "container_image")), TU_IMAGE);
  json_decref (o);
  tu_result_clear (&r);

  tu_sbx (&r, proj, "-q", "devenv", "status", NULL);
  cr_assert_str_eq (r.out, "other-image\n");
  tu_result_clear (&r);

  /* Back on the project's image: its own state again. */
  tu_down (proj);
  tu_sbx (&r, proj, "-q", "up", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "-q", "devenv", "status", NULL);
  cr_assert_str_eq (r.out, "fresh\n");
  tu_result_clear (&r);
  tu_project_remove (proj);
}

Test (messages, build_steps_name_only_lines_of_the_users_dockerfile)
{
  char *proj = tu_mkproject ();
  /* Three stages, the target the second: the builder runs steps 1-5, then
     sbx's LABELs, which lines 6-9 (the third stage) must not be blamed
     for. */
  tu_write_file (proj, "Dockerfile",
                 "ARG V=1\nFROM " TU_IMAGE " AS a\nRUN echo a\nFROM a AS b\nRUN echo b\n"
                 "FROM a AS c\nRUN echo c\nRUN echo c2\nRUN echo c3\n");
  tu_result r;
  tu_sbx (&r, proj, "devenv", "build", "--target", "b", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "[5/5] RUN echo b  (Dockerfile:5)\n") != NULL, "%s", r.err);
  cr_assert (strstr (r.err, "LABEL") == NULL, "sbx's LABEL steps are not the user's: %s", r.err);
  for (int line = 6; line <= 9; line++)
    {
      _cleanup_free_ char *at = xasprintf ("(Dockerfile:%d)", line);
      cr_assert (strstr (r.err, at) == NULL, "%s: %s", at, r.err);
    }
  tu_result_clear (&r);

  /* A stage the target does not need, before it (podman skips it, Docker
     runs it): the steps still name their own lines. */
  tu_write_file (proj, "Dockerfile",
                 "FROM " TU_IMAGE " AS unused\nRUN echo same\nFROM " TU_IMAGE
                 " AS final\nRUN echo same\n");
  tu_sbx (&r, proj, "devenv", "build", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "[3/4] FROM " TU_IMAGE " AS final  (Dockerfile:3)\n") != NULL, "%s",
             r.err);
  cr_assert (strstr (r.err, "[4/4] RUN echo same  (Dockerfile:4)\n") != NULL, "%s", r.err);
  tu_result_clear (&r);

  /* With -v they are shown, as sbx's own, at no line of the file. */
  tu_write_file (proj, "Dockerfile", "FROM " TU_IMAGE "\nRUN echo one\n\n# two\n");
  tu_sbx (&r, proj, "-v", "devenv", "build", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "[2/2] RUN echo one  (Dockerfile:2)\n") != NULL, "%s", r.err);
  cr_assert (strstr (r.err, "dev.sbx.key") != NULL, "%s", r.err); /* podman quotes it */
  for (const char *l = strstr (r.err, "LABEL"); l; l = strstr (l + 1, "LABEL"))
    {
      const char *nl = strchr (l, '\n');
      _cleanup_free_ char *line = xstrndup (l, nl ? (size_t) (nl - l) : strlen (l));
      cr_assert (strstr (line, "(added by sbx)") != NULL && strstr (line, "Dockerfile:") == NULL,
                 "%s", line);
    }
  tu_result_clear (&r);
  tu_rmrf (proj);
  free (proj);
}

/* Run argv in a child; its result comes back through a pipe as
   "status\nstderr".  *fd: the read end. */
static pid_t
run_in_child (const char *proj, char **argv, int *fd)
{
  int pfd[2];
  cr_assert_eq (pipe (pfd), 0);
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      close (pfd[0]);
      tu_result r;
      tu_run (&r, proj, NULL, NULL, 120, argv);
      dprintf (pfd[1], "%d\n%s", r.status, r.err);
      _exit (0);
    }
  close (pfd[1]);
  *fd = pfd[0];
  return pid;
}

static char *
read_all (int fd)
{
  size_t cap = 4096, len = 0;
  char *buf = xmalloc (cap);
  ssize_t n;
  while ((n = read (fd, buf + len, cap - len - 1)) > 0)
    if ((len += (size_t) n) + 1 >= cap)
      buf = xrealloc (buf, cap *= 2);
  buf[len] = '\0';
  close (fd);
  return buf;
}

static void
wait_for_file (const char *path)
{
  for (int i = 0; i < 1200 && access (path, F_OK) != 0; i++)
    usleep (50 * 1000);
  cr_assert_eq (access (path, F_OK), 0, "%s did not appear within 60 s", path);
}

Test (messages, shell_cut_by_a_swap_says_only_why)
{
  char *proj = tu_project_up (NULL);
  _cleanup_free_ char *started = xasprintf ("%s/started", proj);
  char *argv[]
      = { (char *) TU_SBX, "shell", "-T", "--", "sh", "-c", "touch started; sleep 60", NULL };
  int fd;
  pid_t pid = run_in_child (proj, argv, &fd);
  wait_for_file (started);
  tu_result r;
  tu_sbx (&r, proj, "swap", "--force", "--drain", "300ms", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.err, "killed") != NULL, "the swap says it cut a command: %s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *got = read_all (fd);
  waitpid (pid, NULL, 0);
  cr_assert (strncmp (got, "125\n", 4) == 0, "the cut shell exits 125: %s", got);
  const char *err = got + 4;
  cr_assert (strstr (err, "run it again") != NULL, "says why and what to do: %s", err);
  cr_assert (strstr (err, "could not be killed") == NULL && strstr (err, "Broken pipe") == NULL,
             "the expected end is not reported as an error: %s", err);
  cr_assert (one_line (err), "one line: %s", err);
  tu_project_remove (proj);
}

/* The last line of s (allocated). */
static char *
last_line (const char *s)
{
  size_t n = strlen (s);
  while (n && s[n - 1] == '\n')
    n--;
  const char *start = s + n;
  while (start > s && start[-1] != '\n')
    start--;
  return xstrndup (start, (size_t) (s + n - start));
}

/* The one build log under state (a fresh XDG_STATE_HOME), or NULL. */
static char *
build_log_path (const char *state)
{
  _cleanup_free_ char *dir = xasprintf ("%s/sbx/builds", state);
  DIR *d = opendir (dir);
  if (!d)
    return NULL;
  char *found = NULL;
  struct dirent *de;
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      {
        cr_assert_null (found, "one log per project: %s and %s", found, de->d_name);
        found = xasprintf ("%s/%s", dir, de->d_name);
      }
  closedir (d);
  return found;
}

Test (messages, swap_whose_build_failed_says_the_old_container_serves)
{
  char *proj = tu_mkproject ();
  char *state = tu_mkproject ();
  _cleanup_free_ char *xdg = xasprintf ("XDG_STATE_HOME=%s", state);
  char *env[] = { xdg, NULL };
  tu_write_file (proj, "Dockerfile", "FROM " TU_IMAGE "\nCOPY a.txt /a.txt\n");
  tu_write_file (proj, "a.txt", "one\n");
  tu_result r;
  tu_sbx_env (&r, proj, env, "-q", "up", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_write_file (proj, "Dockerfile",
                 "FROM " TU_IMAGE "\nCOPY a.txt /a.txt\nRUN seq 1 500; exit 3\n");
  tu_write_file (proj, "a.txt", "two\n");
  tu_sbx_env (&r, proj, env, "swap", NULL);
  cr_assert_eq (r.status, 125, "%s", r.err);
  _cleanup_free_ char *last = last_line (r.err);
  _cleanup_free_ char *log = build_log_path (state);
  cr_assert_not_null (log, "the build's log is kept");
  cr_assert (strstr (last, "swap aborted") && strstr (last, "still runs its previous image")
                 && strstr (last, "Dockerfile:3") && strstr (last, log),
             "one line: what failed, the log, what still runs: %s", last);
  _cleanup_free_ char *text = tu_read_file (log);
  cr_assert (strstr (text, "\n    500\n") && strstr (text, "failed:"), "%s", text);
  tu_result_clear (&r);
  tu_sbx_env (&r, proj, env, "exec", "--", "cat", "/a.txt", NULL);
  cr_assert_str_eq (r.out, "one\n", "the old container serves: %s", r.err);
  tu_result_clear (&r);
  tu_project_remove (proj);
  tu_rmrf (state);
  free (state);
}

Test (messages, exec_on_a_stale_image_says_so_once)
{
  char *proj = tu_mkproject ();
  tu_write_file (proj, "Dockerfile", "FROM " TU_IMAGE "\nCOPY a.txt /a.txt\n");
  tu_write_file (proj, "a.txt", "one\n");
  tu_result r;
  tu_sbx (&r, proj, "-q", "up", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "cat", "/a.txt", NULL);
  cr_assert_str_eq (r.out, "one\n");
  cr_assert_str_eq (r.err, "", "fresh: nothing said");
  tu_result_clear (&r);

  tu_write_file (proj, "a.txt", "two\n");
  tu_sbx (&r, proj, "exec", "--", "cat", "/a.txt", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "one\n", "exec does not replace the container");
  cr_assert (one_line (r.err) && strstr (r.err, "older image") && strstr (r.err, "sbx swap"),
             "one line, what and how: %s", r.err);
  tu_result_clear (&r);
  /* Said once: the next commands run without it. */
  for (int i = 0; i < 2; i++)
    {
      tu_sbx (&r, proj, "exec", "--", "cat", "/a.txt", NULL);
      cr_assert_eq (r.status, 0);
      cr_assert_str_eq (r.err, "", "said once only: %s", r.err);
      tu_result_clear (&r);
    }
  /* Once per change. */
  tu_write_file (proj, "a.txt", "three\n");
  tu_sbx (&r, proj, "exec", "--", "cat", "/a.txt", NULL);
  cr_assert (one_line (r.err) && strstr (r.err, "older image"), "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "swap", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "cat", "/a.txt", NULL);
  cr_assert_str_eq (r.out, "three\n");
  cr_assert_str_eq (r.err, "");
  tu_result_clear (&r);
  tu_project_remove (proj);
}

Test (messages, exec_building_keeps_the_build_log_in_a_file)
{
  char *proj = tu_mkproject ();
  char *state = tu_mkproject ();
  _cleanup_free_ char *xdg = xasprintf ("XDG_STATE_HOME=%s", state);
  char *env[] = { xdg, NULL };
  /* The project's path makes the step new to the layer cache. */
  _cleanup_free_ char *df = xasprintf ("FROM " TU_IMAGE "\nRUN echo %s; seq 1 3000\n", proj);
  tu_write_file (proj, "Dockerfile", df);
  tu_result r;
  tu_sbx_env (&r, proj, env, "exec", "--", "echo", "hi", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "hi\n");
  cr_assert (strstr (r.err, "2999") == NULL, "the build's output is not the command's: %s", r.err);
  cr_assert_leq (count (r.err, "\n"), 3, "%s", r.err);
  _cleanup_free_ char *log = build_log_path (state);
  cr_assert_not_null (log);
  cr_assert (strstr (r.err, log) != NULL, "names its log: %s", r.err);
  _cleanup_free_ char *text = tu_read_file (log);
  cr_assert (strstr (text, "\n    2999\n") != NULL, "%s", text);
  struct stat st;
  cr_assert_eq (stat (log, &st), 0);
  cr_assert_eq (st.st_mode & 0777, 0600);
  tu_result_clear (&r);
  tu_down (proj);

  /* A failing build: one line that says what failed, where the log is and
     what to do; the log has it all. */
  tu_write_file (proj, "Dockerfile", "FROM " TU_IMAGE "\nRUN seq 1 3000; exit 3\n");
  tu_sbx_env (&r, proj, env, "exec", "--", "echo", "hi", NULL);
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert_str_eq (r.out, "");
  cr_assert (strstr (r.err, "2999") == NULL, "%s", r.err);
  _cleanup_free_ char *last = last_line (r.err);
  cr_assert (strstr (last, "Dockerfile:2") && strstr (last, log) && strstr (last, "run it again"),
             "%s", last);
  cr_assert_leq (count (r.err, "\n"), 2, "%s", r.err);
  free (text);
  text = tu_read_file (log);
  cr_assert (strstr (text, "\n    2999\n") && strstr (text, "failed: Dockerfile:2"), "%s", text);
  tu_result_clear (&r);
  tu_project_remove (proj);
  tu_rmrf (state);
  free (state);
}

/* sbx's own peak is ~14 MiB here: holding the 12 MB of output would pass
   the bound. */
#ifdef __SANITIZE_ADDRESS__
#define BUILD_RSS_LIMIT_KB (160 * 1024) /* ASan's shadow and quarantine */
#else
#define BUILD_RSS_LIMIT_KB (24 * 1024)
#endif

Test (messages, build_log_and_memory_stay_bounded)
{
  char *proj = tu_mkproject ();
  char *state = tu_mkproject ();
  _cleanup_free_ char *xdg = xasprintf ("XDG_STATE_HOME=%s", state);
  char *env[] = { xdg, NULL };
  /* 12 MB of output in 100-byte lines, more than the log keeps. */
  tu_write_file (proj, "Dockerfile",
                 "FROM " TU_IMAGE "\nRUN yes $(printf '%099d' 0) | head -n 120000; exit 3\n");
  tu_result r;
  tu_sbx_env (&r, proj, env, "exec", "--", "true", NULL);
  cr_assert_eq (r.status, 125, "%s", r.err);
  /* The log is cut before the failure: its last lines come to stderr, a
     bounded few. */
  cr_assert_lt (r.err_len, 4096, "%s", r.err);
  cr_assert (strstr (r.err, "returned a non-zero code: 3"), "%s", r.err);
  _cleanup_free_ char *log = build_log_path (state);
  cr_assert_not_null (log);
  struct stat st;
  cr_assert_eq (stat (log, &st), 0);
  cr_log_info ("build log %lld bytes, sbx peak RSS %ld kB", (long long) st.st_size, r.maxrss_kb);
  cr_assert_leq (st.st_size, 8 * 1024 * 1024 + 4096, "the log is cut: %lld",
                 (long long) st.st_size);
  cr_assert_geq (st.st_size, 8 * 1024 * 1024, "it holds its bound's worth");
  _cleanup_free_ char *text = tu_read_file (log);
  const char *failed = strstr (text + 8 * 1024 * 1024 - 4096, "\nfailed: ");
  cr_assert (failed && strstr (failed, "returned a non-zero code: 3"),
             "the log ends with the failure");
  cr_assert_lt (r.maxrss_kb, BUILD_RSS_LIMIT_KB, "memory stays bounded: %ld kB", r.maxrss_kb);
  tu_result_clear (&r);
  tu_project_remove (proj);
  tu_rmrf (state);
  free (state);
}

Test (messages, shell_runs_post_attach_and_goes_on_when_it_fails)
{
  char *proj = tu_mkproject ();
  tu_write_file (
      proj, ".devcontainer/devcontainer.json",
      "{ \"image\": \"" TU_IMAGE "\",\n"
      "  \"postAttachCommand\": \"echo attached; echo post-attach >> /tmp/attach.log\" }\n");
  tu_result r;
  tu_sbx (&r, proj, "shell", "-T", "--", "cat", "/tmp/attach.log", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "post-attach\n", "it ran before the session: %s", r.err);
  cr_assert (strstr (r.err, "postAttachCommand: attached\n"), "its output, named: %s", r.err);
  tu_result_clear (&r);
  /* Every session attaches; sbx exec does not. */
  tu_sbx (&r, proj, "shell", "-T", "--", "true", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  tu_result_clear (&r);
  tu_sbx (&r, proj, "exec", "--", "cat", "/tmp/attach.log", NULL);
  cr_assert_str_eq (r.out, "post-attach\npost-attach\n");
  cr_assert_str_eq (r.err, "");
  tu_result_clear (&r);

  /* A failing postAttachCommand is said, and the session opens. */
  tu_write_file (proj, ".devcontainer/devcontainer.json",
                 "{ \"image\": \"" TU_IMAGE "\",\n"
                 "  \"postAttachCommand\": \"echo nope; exit 4\" }\n");
  tu_sbx (&r, proj, "shell", "-T", "--", "echo", "in-shell", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.out, "in-shell\n");
  cr_assert (strstr (r.err, "postAttachCommand failed with exit status 4; the session goes on"),
             "%s", r.err);
  tu_result_clear (&r);
  /* sbx up keeps it an error, as before. */
  tu_sbx (&r, proj, "up", NULL);
  cr_assert_eq (r.status, 125, "%s", r.err);
  cr_assert (strstr (r.err, "postAttachCommand failed with exit status 4"), "%s", r.err);
  tu_result_clear (&r);
  tu_project_remove (proj);
}

Test (messages, up_says_when_it_replaces_the_container_on_a_config_change)
{
  char *proj = tu_project_up (NULL);
  json_t *before = tu_up_inspect (proj);
  _cleanup_free_ char *old_id = xstrdup (json_string_value (json_object_get (before, "Id")));
  json_decref (before);
  tu_result r;
  tu_sbx (&r, proj, "up", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert_str_eq (r.err, "", "nothing changed, nothing said");
  tu_result_clear (&r);
  /* A narrower memory bound: a new container, and up says so. */
  tu_write_file (proj, ".sbx/config.json", "{ \"max_memory_mb\": 300 }\n");
  tu_sbx (&r, proj, "up", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (one_line (r.err) && strstr (r.err, "created with another configuration")
                 && strstr (r.err, "replacing it"),
             "%s", r.err);
  tu_result_clear (&r);
  json_t *after = tu_up_inspect (proj);
  cr_assert_str_neq (json_string_value (json_object_get (after, "Id")), old_id);
  json_decref (after);
  tu_project_remove (proj);
}
