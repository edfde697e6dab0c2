/* The devenv key on real (temporary) contexts, without an engine: what must
   change it and what must not; the encoding; the stat cache; the context
   tar. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "devenv/devenv.h"
#include "devenv/image/key.h"
#include "devenv/image/plan_internal.h"
#include "devenv/image/statcache.h"
#include "devenv/image/tar.h"
#include "project.h"
#include "testutil.h"
#include "util.h"

static char *cache_dir;

static void
setup (void)
{
  cache_dir = tu_mkproject ();
  setenv ("SBX_CACHE_DIR", cache_dir, 1);
}

static void
teardown (void)
{
  tu_rmrf (cache_dir);
  free (cache_dir);
}

TestSuite (key, .init = setup, .fini = teardown);

static void
key_of (const char *dir, char *const *args, const char *target, char out[65])
{
  sbx_project *p = NULL;
  sbx_error *err = NULL;
  cr_assert (sbx_project_open (dir, 1, &p, &err) == 0, "%s", err ? err->msg : "");
  devenv_options o = { .build_args = args, .target = target };
  devenv_plan *plan = NULL;
  cr_assert (devenv_plan_new (p, &o, &plan, &err) == 0, "%s", err ? err->msg : "");
  memcpy (out, plan->key, 65);
  devenv_plan_free (plan);
  sbx_project_free (p);
}

static char *
project (const char *dockerfile)
{
  char *p = tu_mkproject ();
  tu_write_file (p, "Dockerfile", dockerfile);
  tu_write_file (p, "src/main.c", "int main(void){return 0;}\n");
  tu_write_file (p, "src/util.c", "int u;\n");
  tu_write_file (p, "README", "readme\n");
  return p;
}

#define SAME(a, b) cr_assert_str_eq (a, b, "the key changed")
#define DIFF(a, b) cr_assert_str_neq (a, b, "the key did not change")

Test (key, stable_and_mtime_only_change_keeps_it)
{
  char *p = project ("FROM sbx-test/busybox:latest\nCOPY src/ /app/\n");
  char k1[65], k2[65], k3[65];
  key_of (p, NULL, NULL, k1);
  key_of (p, NULL, NULL, k2);
  SAME (k1, k2);
  _cleanup_free_ char *f = xasprintf ("%s/src/main.c", p);
  struct timespec ts[2] = { { 1000000, 0 }, { 1000000, 0 } };
  cr_assert (utimensat (AT_FDCWD, f, ts, 0) == 0);
  key_of (p, NULL, NULL, k3);
  SAME (k1, k3);
  tu_rmrf (p);
  free (p);
}

Test (key, copied_file_bytes_and_mode_change_it)
{
  char *p = project ("FROM sbx-test/busybox:latest\nCOPY src/ /app/\n");
  char k1[65], k2[65], k3[65], k4[65];
  key_of (p, NULL, NULL, k1);
  tu_write_file (p, "src/main.c", "int main(void){return 1;}\n");
  key_of (p, NULL, NULL, k2);
  DIFF (k1, k2);
  _cleanup_free_ char *f = xasprintf ("%s/src/main.c", p);
  chmod (f, 0755);
  key_of (p, NULL, NULL, k3);
  DIFF (k2, k3);
  tu_write_file (p, "src/new.c", "\n"); /* a new file under a copied directory */
  key_of (p, NULL, NULL, k4);
  DIFF (k3, k4);
  tu_rmrf (p);
  free (p);
}

Test (key, uncopied_file_does_not_change_it)
{
  char *p = project ("FROM sbx-test/busybox:latest\nCOPY src/main.c /app/\n");
  char k1[65], k2[65], k3[65];
  key_of (p, NULL, NULL, k1);
  tu_write_file (p, "README", "changed\n");
  tu_write_file (p, "src/util.c", "int changed;\n");
  tu_write_file (p, "docs/new.md", "x\n");
  key_of (p, NULL, NULL, k2);
  SAME (k1, k2);
  tu_write_file (p, "src/main.c", "changed\n");
  key_of (p, NULL, NULL, k3);
  DIFF (k1, k3);
  tu_rmrf (p);
  free (p);
}

Test (key, dockerignore_applies)
{
  char *p = project ("FROM sbx-test/busybox:latest\nCOPY . /app/\n");
  tu_write_file (p, ".dockerignore", "README\nsrc/*.c\n!src/main.c\n");
  char k1[65], k2[65], k3[65];
  key_of (p, NULL, NULL, k1);
  tu_write_file (p, "README", "changed\n");
  tu_write_file (p, "src/util.c", "int changed;\n");
  key_of (p, NULL, NULL, k2);
  SAME (k1, k2);
  tu_write_file (p, "src/main.c", "changed\n");
  key_of (p, NULL, NULL, k3);
  DIFF (k1, k3);
  tu_rmrf (p);
  free (p);
}

Test (key, globs)
{
  char *p = project ("FROM sbx-test/busybox:latest\nCOPY src/*.c /app/\n");
  char k1[65], k2[65], k3[65];
  key_of (p, NULL, NULL, k1);
  tu_write_file (p, "src/notes.txt", "x\n");
  tu_write_file (p, "src/sub/deep.c", "x\n"); /* '*' does not cross '/' */
  key_of (p, NULL, NULL, k2);
  SAME (k1, k2);
  tu_write_file (p, "src/extra.c", "x\n");
  key_of (p, NULL, NULL, k3);
  DIFF (k1, k3);
  tu_rmrf (p);
  free (p);
}

Test (key, from_stage_sources_are_not_context)
{
  char *p = project ("FROM sbx-test/busybox:latest AS a\nCOPY src/main.c /m\n"
                     "FROM sbx-test/busybox:latest\nCOPY --from=a /m /README\n");
  char k1[65], k2[65];
  key_of (p, NULL, NULL, k1);
  tu_write_file (p, "README", "changed\n");
  key_of (p, NULL, NULL, k2);
  SAME (k1, k2);
  tu_rmrf (p);
  free (p);
}

Test (key, unresolvable_source_hashes_whole_context)
{
  char *p = project ("FROM sbx-test/busybox:latest\nARG D=src\nCOPY $D /app/\n");
  char k1[65], k2[65];
  key_of (p, NULL, NULL, k1);
  tu_write_file (p, "README", "changed\n");
  key_of (p, NULL, NULL, k2);
  DIFF (k1, k2);
  tu_rmrf (p);
  free (p);
}

Test (key, dockerfile_args_and_target)
{
  char *p = project ("FROM sbx-test/busybox:latest AS dev\nARG V\nCOPY src/ /app/\n"
                     "FROM dev AS prod\n");
  char k0[65], k1[65], k2[65], k3[65], k4[65], k5[65];
  key_of (p, NULL, NULL, k0);
  char *a1[] = { "V=1", "W=2", NULL };
  char *a1r[] = { "W=2", "V=1", NULL };
  char *a2[] = { "V=2", "W=2", NULL };
  key_of (p, a1, NULL, k1);
  key_of (p, a1r, NULL, k2);
  key_of (p, a2, NULL, k3);
  DIFF (k0, k1);
  SAME (k1, k2); /* order does not matter */
  DIFF (k1, k3);
  char *a3[] = { "V=2", "W=3", NULL };
  char k6[65];
  key_of (p, a3, NULL, k6);
  SAME (k3, k6); /* no ARG declares W: the builder ignores it */
  key_of (p, NULL, "dev", k4);
  DIFF (k0, k4);
  tu_write_file (p, "Dockerfile",
                 "FROM sbx-test/busybox:latest AS dev\nARG V\nCOPY src/ /app/\n"
                 "FROM dev AS prod\n# a comment\n");
  key_of (p, NULL, NULL, k5);
  DIFF (k0, k5); /* the bytes of a stage the target reaches */
  tu_rmrf (p);
  free (p);
}

Test (key, symlinks_are_not_followed)
{
  char *p = project ("FROM sbx-test/busybox:latest\nCOPY . /app/\n");
  char *outside = tu_mkproject ();
  tu_write_file (outside, "secret", "one\n");
  _cleanup_free_ char *target = xasprintf ("%s/secret", outside);
  _cleanup_free_ char *link = xasprintf ("%s/link", p);
  cr_assert (symlink (target, link) == 0);
  sbx_project *pr = NULL;
  sbx_error *err = NULL;
  cr_assert (sbx_project_open (p, 1, &pr, &err) == 0);
  devenv_plan *plan = NULL;
  cr_assert (devenv_plan_new (pr, NULL, &plan, &err) == 0, "%s", err ? err->msg : "");
  cr_assert_not_null (plan->warnings[0]);
  cr_assert (strstr (plan->warnings[0], "outside the build context"), "%s", plan->warnings[0]);
  char k1[65], k2[65];
  memcpy (k1, plan->key, 65);
  devenv_plan_free (plan);
  tu_write_file (outside, "secret", "two\n");
  key_of (p, NULL, NULL, k2);
  SAME (k1, k2);
  sbx_project_free (pr);
  tu_rmrf (outside);
  free (outside);
  tu_rmrf (p);
  free (p);
}

Test (key, link_inside_a_copied_directory_keys_its_target)
{
  /* The classic builder's cache key follows a link inside a copied
     directory: editing its target changes the image. */
  char *p = project ("FROM sbx-test/busybox:latest\nCOPY src/ /app/\n");
  _cleanup_free_ char *link = xasprintf ("%s/src/ln", p);
  cr_assert (symlink ("../README", link) == 0);
  char k1[65], k2[65];
  key_of (p, NULL, NULL, k1);
  tu_write_file (p, "README", "changed\n");
  key_of (p, NULL, NULL, k2);
  DIFF (k1, k2);
  tu_rmrf (p);
  free (p);
}

Test (key, stages_the_target_does_not_reach)
{
  char *p = project ("FROM sbx-test/busybox:latest AS tools\nCOPY README /r\n"
                     "FROM sbx-test/busybox:latest AS dev\nCOPY src/ /app/\n");
  char k1[65], k2[65], k3[65];
  key_of (p, NULL, NULL, k1);
  tu_write_file (p, "README", "changed\n"); /* copied by an unreached stage only */
  key_of (p, NULL, NULL, k2);
  SAME (k1, k2);
  tu_write_file (p, "Dockerfile",
                 "FROM sbx-test/busybox:latest AS tools\nCOPY README /r2\n"
                 "FROM sbx-test/busybox:latest AS dev\nCOPY src/ /app/\n");
  key_of (p, NULL, NULL, k3);
  SAME (k1, k3);
  /* once dev copies from tools, both count */
  tu_write_file (p, "Dockerfile",
                 "FROM sbx-test/busybox:latest AS tools\nCOPY README /r2\n"
                 "FROM sbx-test/busybox:latest AS dev\nCOPY src/ /app/\n"
                 "COPY --from=tools /r2 /r2\n");
  key_of (p, NULL, NULL, k1);
  tu_write_file (p, "README", "again\n");
  key_of (p, NULL, NULL, k2);
  DIFF (k1, k2);
  tu_rmrf (p);
  free (p);
}

Test (key, copy_class_with_bang_is_a_class)
{
  char *p = project ("FROM sbx-test/busybox:latest\nCOPY [!x]*.txt /t/\n");
  tu_write_file (p, "xa.txt", "x\n");
  char k1[65], k2[65];
  key_of (p, NULL, NULL, k1); /* xa.txt matches: no "matches nothing" error */
  tu_write_file (p, "xa.txt", "y\n");
  key_of (p, NULL, NULL, k2);
  DIFF (k1, k2);
  tu_rmrf (p);
  free (p);
}

Test (key, re_exclusion_after_an_exception_follows_docker)
{
  char *p = project ("FROM sbx-test/busybox:latest\nCOPY . /app/\n");
  tu_write_file (p, ".dockerignore", "d\n!d/f\nd\n");
  tu_write_file (p, "d/f", "1\n");
  char k1[65], k2[65];
  key_of (p, NULL, NULL, k1);
  tu_write_file (p, "d/f", "2\n"); /* the Docker client still sends d/f */
  key_of (p, NULL, NULL, k2);
  DIFF (k1, k2);
  tu_rmrf (p);
  free (p);
}

Test (key, missing_copy_source_is_an_error)
{
  char *p = project ("FROM sbx-test/busybox:latest\nRUN true\nCOPY nothere.txt /x\n");
  sbx_project *pr = NULL;
  sbx_error *err = NULL;
  cr_assert (sbx_project_open (p, 1, &pr, &err) == 0);
  devenv_plan *plan = NULL;
  cr_assert (devenv_plan_new (pr, NULL, &plan, &err) < 0);
  cr_assert (strstr (err->msg, "Dockerfile:3"), "%s", err->msg);
  cr_assert (strstr (err->msg, "nothere.txt"), "%s", err->msg);
  sbx_error_free (err);
  sbx_project_free (pr);
  tu_rmrf (p);
  free (p);
}

/* Two inputs that a naive concatenation would confuse. */
Test (key, encoding_is_unambiguous)
{
  char k1[65], k2[65];
  char *a1[] = { "A=bc", NULL };
  char *a2[] = { "Ab=c", NULL };
  devenv_key_input in = { .dockerfile = "FROM x\n", .dockerfile_len = 7, .build_args = a1 };
  devenv_key_compute (&in, k1);
  in.build_args = a2;
  devenv_key_compute (&in, k2);
  DIFF (k1, k2);
  devenv_entry e1[1] = { { .path = "ab" } }, e2[1] = { { .path = "a" } };
  in.build_args = NULL;
  in.entries = e1;
  in.n_entries = 1;
  devenv_key_compute (&in, k1);
  in.entries = e2;
  in.target = "b";
  devenv_key_compute (&in, k2);
  DIFF (k1, k2);
  cr_assert_eq (strlen (k1), 64);
}

/* A small key is hashed in plain C, a large one by libcrypto: the same
   stream gives the same key either way (entries not keyed are not
   hashed, but count towards the size that chooses). */
Test (key, same_key_whichever_code_hashes)
{
  size_t n = 1500;
  devenv_entry *many = xcalloc (n, sizeof *many);
  for (size_t i = 0; i < n; i++)
    many[i].path = "unkeyed";
  devenv_entry one = { .path = "src/main.c", .keyed = true };
  one.st.st_mode = S_IFREG | 0644;
  memset (one.digest, 0xab, sizeof one.digest);
  many[700] = one;
  char *args[] = { "A=1", NULL };
  devenv_key_input small = { .dockerfile = "FROM x\n", .dockerfile_len = 7, .entries = &one,
                             .n_entries = 1, .build_args = args, .target = "t" };
  devenv_key_input large = small;
  large.entries = many;
  large.n_entries = n;
  char k1[65], k2[65];
  devenv_key_compute (&small, k1);
  devenv_key_compute (&large, k2);
  cr_assert_str_eq (k1, k2);
  free (many);
}

Test (key, build_args_normalize)
{
  char *a[] = { "B=1", "A=1", "B=2", NULL };
  char *b[] = { "A=3", NULL };
  char **v = devenv_build_args_normalize (a, b);
  cr_assert_eq (strv_len (v), 2);
  cr_assert_str_eq (v[0], "A=3");
  cr_assert_str_eq (v[1], "B=2");
  strv_free (v);
}

Test (key, statcache_persists_and_notices_changes)
{
  _cleanup_free_ char *file = xasprintf ("%s/sc", cache_dir);
  struct stat st = { .st_size = 5, .st_ino = 42, .st_dev = 7, .st_mode = S_IFREG | 0644 };
  st.st_mtim.tv_sec = 1000;
  st.st_ctim.tv_sec = 1000;
  unsigned char d[DEVENV_DIGEST_LEN], got[DEVENV_DIGEST_LEN];
  memset (d, 0xab, sizeof d);
  devenv_statcache *sc = devenv_statcache_open (file, "/ctx");
  cr_assert_not (devenv_statcache_lookup (sc, "a b\nc", &st, got));
  devenv_statcache_store (sc, "a b\nc", &st, d);
  cr_assert (devenv_statcache_save (sc, NULL) == 0);
  devenv_statcache_free (sc);

  sc = devenv_statcache_open (file, "/ctx");
  cr_assert (devenv_statcache_lookup (sc, "a b\nc", &st, got));
  cr_assert (memcmp (d, got, sizeof d) == 0);
  struct stat ch = st;
  ch.st_ctim.tv_nsec = 1; /* any write or chmod moves ctime */
  cr_assert_not (devenv_statcache_lookup (sc, "a b\nc", &ch, got));
  ch = st;
  ch.st_mode = S_IFREG | 0755;
  cr_assert_not (devenv_statcache_lookup (sc, "a b\nc", &ch, got));
  devenv_statcache_free (sc);

  /* Another directory's cache is not used. */
  sc = devenv_statcache_open (file, "/other");
  cr_assert_not (devenv_statcache_lookup (sc, "a b\nc", &st, got));
  devenv_statcache_free (sc);

  /* Damage: ignored. */
  tu_write_file (cache_dir, "sc", "sbx-statcache 1 4:/ctx\nnot a record\n");
  sc = devenv_statcache_open (file, "/ctx");
  cr_assert_not (devenv_statcache_lookup (sc, "a b\nc", &st, got));
  devenv_statcache_free (sc);

  /* A file changed just now is never cached. */
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  st.st_ctim = now;
  st.st_mtim = now;
  sc = devenv_statcache_open (NULL, "/ctx");
  devenv_statcache_store (sc, "fresh", &st, d);
  cr_assert_not (devenv_statcache_lookup (sc, "fresh", &st, got));
  devenv_statcache_free (sc);
}

/* The tar holds the keyed entries with their modes, the symlink as a link,
   the Dockerfile, and names with spaces, unicode and newlines. */
Test (key, context_tar)
{
  char *p = project ("FROM sbx-test/busybox:latest\nCOPY . /app/\n");
  tu_write_file (p, "odd name \xc3\xa9\ntab", "x\n");
  _cleanup_free_ char *exe = xasprintf ("%s/src/main.c", p);
  chmod (exe, 0751);
  _cleanup_free_ char *link = xasprintf ("%s/link", p);
  cr_assert (symlink ("/etc/passwd", link) == 0);
  sbx_project *pr = NULL;
  sbx_error *err = NULL;
  cr_assert (sbx_project_open (p, 1, &pr, &err) == 0);
  devenv_plan *plan = NULL;
  cr_assert (devenv_plan_new (pr, NULL, &plan, &err) == 0, "%s", err ? err->msg : "");
  plan_internal *in = plan->internal;
  devenv_tar *t = devenv_tar_new (in->ctx, in->extra);
  _cleanup_free_ char *path = xasprintf ("%s/ctx.tar", cache_dir);
  FILE *f = fopen (path, "w");
  char buf[1000]; /* small reads: the stream is produced in pieces */
  ssize_t n;
  while ((n = devenv_tar_read (buf, sizeof buf, t)) > 0)
    fwrite (buf, 1, (size_t) n, f);
  cr_assert_eq (n, 0);
  fclose (f);
  cr_assert_eq (devenv_tar_error (t, NULL), 0);
  devenv_tar_free (t);

  struct archive *a = archive_read_new ();
  archive_read_support_format_tar (a);
  cr_assert (archive_read_open_filename (a, path, 4096) == ARCHIVE_OK);
  struct archive_entry *e;
  int seen = 0;
  while (archive_read_next_header (a, &e) == ARCHIVE_OK)
    {
      const char *name = archive_entry_pathname (e);
      if (strcmp (name, "src/main.c") == 0)
        {
          cr_assert_eq (archive_entry_perm (e), 0751);
          seen |= 1;
        }
      else if (strcmp (name, "link") == 0)
        {
          cr_assert_eq (archive_entry_filetype (e), AE_IFLNK);
          cr_assert_str_eq (archive_entry_symlink (e), "/etc/passwd");
          seen |= 2;
        }
      else if (strcmp (name, "odd name \xc3\xa9\ntab") == 0)
        seen |= 4;
      else if (strcmp (name, "Dockerfile") == 0)
        seen |= 8;
      cr_assert_eq (archive_entry_uid (e), 0);
    }
  archive_read_free (a);
  cr_assert_eq (seen, 15, "entries seen: %d", seen);
  devenv_plan_free (plan);
  sbx_project_free (pr);
  tu_rmrf (p);
  free (p);
}
