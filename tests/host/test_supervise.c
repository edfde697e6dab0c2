/* test_supervise.c: the default level's supervisor, against the real
   kernel, as root and as uid 65534: pathname Unix sockets outside the
   writable dirs cannot be connected to (absolute, through a symlink planted
   in the project, relative to the working directory) unless allowed; the
   sandbox's own sockets in the project and /tmp work; chmod/chown/utimes/
   setxattr of files outside the writable dirs fail and leave them
   unchanged; in the project chmod +x works, setuid bits and foreign owners
   do not. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sec_helpers.h"
#include "util.h"

static hh_tree tree;

static host_policy
policy (char *const *allow_sockets)
{
  static char *ro[2];
  ro[0] = tree.ro;
  ro[1] = NULL;
  host_policy p = { .project_dir = tree.project,
                    .allow_write = true,
                    .ro_dirs = ro,
                    .allow_unix_sockets = allow_sockets };
  return p;
}

static const char client_py[] = "python3 -c 'import socket, sys\n"
                                "for p in sys.argv[1:]:\n"
                                "  s = socket.socket(socket.AF_UNIX)\n"
                                "  try:\n"
                                "    s.connect(p); print(\"OK\", p)\n"
                                "  except OSError as e:\n"
                                "    print(\"ERR\", e.errno, p)\n' ";

static void
outside_denied (uid_t uid)
{
  sec_tree_make (&tree, uid);
  _cleanup_free_ char *outside = sec_outside (&tree);
  _cleanup_free_ char *sock = xasprintf ("%s/s.sock", outside);
  int lfd = sec_listen_unix (sock);
  _cleanup_free_ char *link = xasprintf ("%s/link.sock", tree.project);
  cr_assert_eq (symlink (sock, link), 0);
  host_policy pol = policy (NULL);
  _cleanup_free_ char *script
      = xasprintf ("%s %s link.sock ../outside/s.sock /var/run/docker.sock", client_py, sock);
  _cleanup_free_ char *out = NULL;
  int st = sec_run (uid, HOST_CONFINE_LANDLOCK, &pol, script, 0, &out);
  cr_expect_eq (st, 0, "%s", out);
  cr_expect_null (strstr (out, "OK"), "a socket outside the writable dirs answered: %s", out);
  _cleanup_free_ char *abs = xasprintf ("ERR 13 %s\n", sock);
  cr_expect_not_null (strstr (out, abs), "absolute path: %s", out);
  cr_expect_not_null (strstr (out, "ERR 13 link.sock\n"), "symlink in the project: %s", out);
  cr_expect_not_null (strstr (out, "ERR 13 ../outside/s.sock\n"), "relative path: %s", out);
  cr_expect_null (strstr (out, "OK /var/run/docker.sock"), "%s", out);
  close (lfd);
  hh_tree_free (&tree);
}

Test (supervise, unix_outside_denied_root)
{
  outside_denied (0);
}

Test (supervise, unix_outside_denied_nonroot)
{
  outside_denied (SEC_NOBODY);
}

static void
allowlisted (uid_t uid)
{
  sec_tree_make (&tree, uid);
  _cleanup_free_ char *outside = sec_outside (&tree);
  _cleanup_free_ char *sock = xasprintf ("%s/s.sock", outside);
  int lfd = sec_listen_unix (sock);
  char *allow[] = { sock, NULL };
  host_policy pol = policy (allow);
  _cleanup_free_ char *script = xasprintf ("%s %s", client_py, sock);
  _cleanup_free_ char *out = NULL;
  int st = sec_run (uid, HOST_CONFINE_LANDLOCK, &pol, script, 0, &out);
  cr_expect_eq (st, 0, "%s", out);
  _cleanup_free_ char *ok = xasprintf ("OK %s\n", sock);
  cr_expect_not_null (strstr (out, ok), "an allowed socket did not answer: %s", out);
  close (lfd);
  hh_tree_free (&tree);
}

Test (supervise, unix_allowlisted_root)
{
  allowlisted (0);
}

Test (supervise, unix_allowlisted_nonroot)
{
  allowlisted (SEC_NOBODY);
}

/* A local server and client, as a test suite would run them. */
static const char pair_py[] = "python3 -c 'import os, socket, threading\n"
                              "for p in (\"srv.sock\", \"/tmp/sbx-sup-%d.sock\" % os.getpid()):\n"
                              "  s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(1)\n"
                              "  def serve():\n"
                              "    c, _ = s.accept(); c.sendall(b\"pong\"); c.close()\n"
                              "  t = threading.Thread(target=serve); t.start()\n"
                              "  c = socket.socket(socket.AF_UNIX); c.connect(os.path.abspath(p))\n"
                              "  print(\"PAIR\", c.recv(4).decode()); t.join(); os.unlink(p)\n'";

static void
own_sockets (uid_t uid)
{
  sec_tree_make (&tree, uid);
  host_policy pol = policy (NULL);
  _cleanup_free_ char *out = NULL;
  int st = sec_run (uid, HOST_CONFINE_LANDLOCK, &pol, pair_py, 0, &out);
  cr_expect_eq (st, 0, "%s", out);
  const char *first = strstr (out, "PAIR pong\n");
  cr_expect (first && strstr (first + 1, "PAIR pong\n"),
             "a server in the project or /tmp did not answer its client: %s", out);
  hh_tree_free (&tree);
}

Test (supervise, unix_own_sockets_root)
{
  own_sockets (0);
}

Test (supervise, unix_own_sockets_nonroot)
{
  own_sockets (SEC_NOBODY);
}

/* /tmp is shared with the rest of the machine (tmux, ssh-agent and X11
   keep their sockets there): the sandbox gets its own, so a socket another
   program listens on in /tmp does not answer it, and what it writes there
   stays its own. */
static void
tmp_foreign (uid_t uid)
{
  sec_tree_make (&tree, uid);
  char dir[] = "/tmp/sbx-foreign-XXXXXX";
  cr_assert_not_null (mkdtemp (dir));
  cr_assert_eq (chmod (dir, 0777), 0);
  _cleanup_free_ char *sock = xasprintf ("%s/default", dir);
  int lfd = sec_listen_unix (sock);
  host_policy pol = policy (NULL);
  _cleanup_free_ char *script
      = xasprintf ("%s %s; echo mine > %s/planted; ls /tmp | wc -l", client_py, sock, dir);
  _cleanup_free_ char *out = NULL;
  int st = sec_run (uid, HOST_CONFINE_LANDLOCK, &pol, script, 0, &out);
  cr_expect_eq (st, 0, "%s", out);
  _cleanup_free_ char *answered = xasprintf ("OK %s\n", sock);
  cr_expect_null (strstr (out, answered), "a foreign socket in /tmp answered: %s", out);
  _cleanup_free_ char *err = xasprintf ("ERR 2 %s\n", sock);
  cr_expect_not_null (strstr (out, err), "%s", out);
  _cleanup_free_ char *planted = xasprintf ("%s/planted", dir);
  cr_expect (access (planted, F_OK) != 0, "the sandbox wrote into the host's /tmp");
  close (lfd);
  unlink (sock);
  rmdir (dir);
  hh_tree_free (&tree);
}

Test (supervise, unix_foreign_in_tmp_unreachable_root)
{
  tmp_foreign (0);
}

Test (supervise, unix_foreign_in_tmp_unreachable_nonroot)
{
  tmp_foreign (SEC_NOBODY);
}

static bool
same_stat (const struct stat *a, const struct stat *b)
{
  return a->st_mode == b->st_mode && a->st_uid == b->st_uid && a->st_gid == b->st_gid
         && a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_atim.tv_sec == b->st_atim.tv_sec;
}

static void
metadata_outside (uid_t uid)
{
  sec_tree_make (&tree, uid);
  _cleanup_free_ char *outside = sec_outside (&tree);
  _cleanup_free_ char *f1 = xasprintf ("%s/file", outside);
  _cleanup_free_ char *f2 = xasprintf ("%s/data", tree.ro);
  struct stat b1, b2, a1, a2;
  cr_assert_eq (stat (f1, &b1), 0);
  cr_assert_eq (stat (f2, &b2), 0);
  host_policy pol = policy (NULL);
  _cleanup_free_ char *script = xasprintf (
      "for f in %s %s; do chmod 777 $f && echo CHMOD-OK; chown 1:1 $f && echo CHOWN-OK; "
      "touch -m -d 2001-01-01 $f && echo TOUCH-OK; "
      "python3 -c 'import os, sys\nfor call in (lambda f: os.utime(f, (0, 0)), lambda f: "
      "os.setxattr(f, \"user.x\", b\"1\"), lambda f: os.chmod(f, 0o4777)):\n  try:\n    "
      "call(sys.argv[1]); print(\"PY-OK\")\n  except OSError as e: print(\"PY-ERR\", e.errno)' "
      "$f; done",
      f1, f2);
  _cleanup_free_ char *out = NULL;
  sec_run (uid, HOST_CONFINE_LANDLOCK, &pol, script, 0, &out);
  cr_expect_null (strstr (out, "-OK"), "metadata of a file outside changed: %s", out);
  cr_expect_not_null (strstr (out, "PY-ERR"), "the probe did not run: %s", out);
  cr_assert_eq (stat (f1, &a1), 0);
  cr_assert_eq (stat (f2, &a2), 0);
  cr_expect (same_stat (&b1, &a1), "%s changed: %s", f1, out);
  cr_expect (same_stat (&b2, &a2), "%s changed: %s", f2, out);
  hh_tree_free (&tree);
}

Test (supervise, metadata_outside_root)
{
  metadata_outside (0);
}

Test (supervise, metadata_outside_nonroot)
{
  metadata_outside (SEC_NOBODY);
}

static void
metadata_project (uid_t uid)
{
  sec_tree_make (&tree, uid);
  host_policy pol = policy (NULL);
  const char *script = "echo '#!/bin/sh' > tool && chmod +x tool && echo X-OK; "
                       "chmod u+s tool && echo SUID-OK; chmod g+s tool && echo SGID-OK; "
                       "chown 1234 tool && echo CHOWN-OK; "
                       "touch -m -d 2001-01-01 tool && echo TOUCH-OK; "
                       "mkdir -p sub && chmod 700 sub && echo DIR-OK";
  _cleanup_free_ char *out = NULL;
  sec_run (uid, HOST_CONFINE_LANDLOCK, &pol, script, 0, &out);
  cr_expect_not_null (strstr (out, "X-OK"), "chmod +x in the project failed: %s", out);
  cr_expect_not_null (strstr (out, "TOUCH-OK"), "touch -d in the project failed: %s", out);
  cr_expect_not_null (strstr (out, "DIR-OK"), "chmod of a project dir failed: %s", out);
  cr_expect_null (strstr (out, "SUID-OK"), "chmod u+s worked: %s", out);
  cr_expect_null (strstr (out, "SGID-OK"), "chmod g+s worked: %s", out);
  cr_expect_null (strstr (out, "CHOWN-OK"), "chown to another uid worked: %s", out);
  _cleanup_free_ char *tool = xasprintf ("%s/tool", tree.project);
  struct stat st;
  cr_assert_eq (stat (tool, &st), 0);
  cr_expect_eq (st.st_mode & 07777, 0755, "mode %o", st.st_mode & 07777);
  cr_expect_eq (st.st_uid, uid);
  cr_expect_eq (st.st_mtim.tv_sec, 978307200, "mtime %ld", (long) st.st_mtim.tv_sec);
  hh_tree_free (&tree);
}

Test (supervise, metadata_project_root)
{
  metadata_project (0);
}

Test (supervise, metadata_project_nonroot)
{
  metadata_project (SEC_NOBODY);
}
