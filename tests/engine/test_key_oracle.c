/* The devenv key against Docker itself: seeded random small projects, one
   mutation at a time (edits of copied, ignored and unreached files, mtime
   only, modes, renames, deletions, new files that globs match, .dockerignore
   lines and '!' exceptions, symlinks and their targets, declared and
   undeclared build args, Dockerfile comments and unreached stages), and
   after each one: does sbx say stale (its key changed) next to: did the
   classic builder return a different image ID?  The context Docker gets is
   the one the Docker 20.10 client would send, made here independently of
   sbx: the ignore file read as the client reads it, each pattern turned
   into a regular expression by Docker's own rules and matched by regcomp,
   the client's walk (a deeper entry starts from its directory's verdict, an
   excluded directory is entered only when an exception starts with its
   path), the Dockerfile and .dockerignore always sent.  The patterns drawn
   here keep to what RE2 and POSIX read alike, so regcomp is Go's regexp for
   them.

   Pass: no case where sbx says fresh while Docker's image changed.  The
   needless rebuilds (stale while Docker's image stayed) are counted by
   mutation kind and printed, as are builds that failed.
   SBX_ORACLE_CASES and SBX_ORACLE_SEED set the run (SBX_ORACLE_VERBOSE=1
   names every case that is not "both-same"); a longer run:
   SBX_ORACLE_CASES=1000 build/test-engine --filter
   'key_oracle/sbx_never_fresh_when_docker_changed'. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devenv/devenv.h"
#include "engine/build.h"
#include "project.h"
#include "testutil.h"
#include "util.h"

/* ---- the random source ---- */

static uint64_t rng;

static uint64_t
next (void)
{
  uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static size_t
pick (size_t n)
{
  return (size_t) (next () % n);
}

#define PICK(a) ((a)[pick (sizeof (a) / sizeof *(a))])

/* ---- files ---- */

static void
write_at (const char *dir, const char *rel, const char *content)
{
  tu_write_file (dir, rel, content);
}

static bool
exists (const char *dir, const char *rel, struct stat *st)
{
  _cleanup_free_ char *p = xasprintf ("%s/%s", dir, rel);
  struct stat s;
  return lstat (p, st ? st : &s) == 0;
}

/* Every path under dir (relative), but the Dockerfile and .dockerignore. */
static void
list_paths (const char *root, const char *rel, char ***out, bool files_only)
{
  _cleanup_free_ char *p = *rel ? xasprintf ("%s/%s", root, rel) : xstrdup (root);
  DIR *d = opendir (p);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      _cleanup_free_ char *r = *rel ? xasprintf ("%s/%s", rel, de->d_name) : xstrdup (de->d_name);
      if (strcmp (r, "Dockerfile") == 0 || strcmp (r, ".dockerignore") == 0)
        continue;
      struct stat st;
      if (!exists (root, r, &st))
        continue;
      if (S_ISDIR (st.st_mode))
        {
          if (!files_only)
            strv_append (out, r);
          list_paths (root, r, out, files_only);
        }
      else if (S_ISREG (st.st_mode) || !files_only)
        strv_append (out, r);
    }
  closedir (d);
}

static char *
random_path (const char *root, bool files_only)
{
  _cleanup_strv_ char **v = xcalloc (1, sizeof *v);
  list_paths (root, "", &v, files_only);
  size_t n = strv_len (v);
  return n ? xstrdup (v[pick (n)]) : NULL;
}

/* ---- the Docker client's context, made independently of sbx ---- */

typedef struct rpat
{
  char *text;
  bool exception;
  regex_t re;
} rpat;

typedef struct rignore
{
  rpat v[64];
  size_t n;
  bool exceptions;
} rignore;

/* Docker's translation of a pattern into a regular expression. */
static char *
docker_regexp (const char *p)
{
  size_t cap = strlen (p) * 8 + 8, o = 0;
  char *s = xmalloc (cap);
  s[o++] = '^';
  while (*p)
    {
      if (p[0] == '*' && p[1] == '*')
        {
          p += 2;
          if (*p == '/')
            p++;
          o += (size_t) sprintf (s + o, "%s", *p ? "(.*/)?" : ".*");
          continue;
        }
      if (*p == '*')
        o += (size_t) sprintf (s + o, "[^/]*");
      else if (*p == '?')
        o += (size_t) sprintf (s + o, "[^/]");
      else if (*p == '.' || *p == '$')
        o += (size_t) sprintf (s + o, "\\%c", *p);
      else
        s[o++] = *p;
      p++;
    }
  s[o++] = '$';
  s[o] = '\0';
  return s;
}

static void
rignore_add (rignore *ig, const char *line)
{
  cr_assert (ig->n < 64);
  rpat *p = &ig->v[ig->n++];
  p->exception = line[0] == '!';
  p->text = xstrdup (line + p->exception);
  _cleanup_free_ char *re = docker_regexp (p->text);
  cr_assert_eq (regcomp (&p->re, re, REG_EXTENDED | REG_NOSUB), 0, "regcomp %s", re);
  ig->exceptions |= p->exception;
}

static bool
rmatch (const rpat *p, const char *s)
{
  return regexec (&p->re, s, 0, NULL, 0) == 0;
}

/* The last pattern that matches the name decides (top of the context). */
static bool
rtop (const rignore *ig, const char *name)
{
  bool m = false;
  for (size_t i = 0; i < ig->n; i++)
    if (rmatch (&ig->v[i], name))
      m = !ig->v[i].exception;
  return m;
}

/* Deeper: the directory's verdict, then the patterns on the path itself. */
static bool
rdeep (const rignore *ig, const char *path, bool parent)
{
  bool m = parent;
  for (size_t i = 0; i < ig->n; i++)
    if (m != !ig->v[i].exception && rmatch (&ig->v[i], path))
      m = !ig->v[i].exception;
  return m;
}

static bool
rdescend (const rignore *ig, const char *dir)
{
  size_t dl = strlen (dir);
  for (size_t i = 0; i < ig->n; i++)
    {
      if (!ig->v[i].exception)
        continue;
      _cleanup_free_ char *a = xasprintf ("%s/", ig->v[i].text);
      if (strncmp (a, dir, dl) == 0 && a[dl] == '/')
        return true;
    }
  return false;
}

static void
rignore_load (const char *root, rignore *ig)
{
  memset (ig, 0, sizeof *ig);
  _cleanup_free_ char *path = xasprintf ("%s/.dockerignore", root);
  _cleanup_free_ char *text = tu_read_file (path);
  char *save = NULL;
  for (char *line = text ? strtok_r (text, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    if (line[0] && line[0] != '#')
      rignore_add (ig, line);
  /* The client always sends these two; the engine drops them again when
     the patterns exclude them. */
  if (rtop (ig, ".dockerignore"))
    rignore_add (ig, "!.dockerignore");
  if (rtop (ig, "Dockerfile"))
    rignore_add (ig, "!Dockerfile");
}

static void
rignore_clear (rignore *ig)
{
  for (size_t i = 0; i < ig->n; i++)
    {
      free (ig->v[i].text);
      regfree (&ig->v[i].re);
    }
}

typedef struct membuf
{
  char *p;
  size_t n, cap, off;
} membuf;

static la_ssize_t
mem_write (struct archive *a, void *ud, const void *buf, size_t len)
{
  (void) a;
  membuf *m = ud;
  if (m->n + len > m->cap)
    {
      m->cap = (m->n + len) * 2;
      m->p = xrealloc (m->p, m->cap);
    }
  memcpy (m->p + m->n, buf, len);
  m->n += len;
  return (la_ssize_t) len;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static char **sent; /* the regular files of the last context sent */

static void
tar_add (struct archive *a, const char *root, const char *rel, const struct stat *st)
{
  if (S_ISREG (st->st_mode) && strcmp (rel, "Dockerfile") && strcmp (rel, ".dockerignore"))
    strv_append (&sent, rel);
  _cleanup_free_ char *full = xasprintf ("%s/%s", root, rel);
  struct archive_entry *e = archive_entry_new ();
  _cleanup_free_ char *name = S_ISDIR (st->st_mode) ? xasprintf ("%s/", rel) : xstrdup (rel);
  archive_entry_set_pathname (e, name);
  archive_entry_set_mode (e, st->st_mode);
  archive_entry_set_uid (e, 0);
  archive_entry_set_gid (e, 0);
  archive_entry_set_mtime (e, st->st_mtim.tv_sec, 0);
  char link[4096] = "";
  if (S_ISLNK (st->st_mode))
    {
      ssize_t n = readlink (full, link, sizeof link - 1);
      cr_assert (n >= 0);
      link[n] = '\0';
      archive_entry_set_symlink (e, link);
    }
  archive_entry_set_size (e, S_ISREG (st->st_mode) ? st->st_size : 0);
  cr_assert_eq (archive_write_header (a, e), ARCHIVE_OK, "%s", archive_error_string (a));
  if (S_ISREG (st->st_mode))
    {
      _cleanup_free_ char *data = tu_read_file (full);
      cr_assert_not_null (data);
      archive_write_data (a, data, (size_t) st->st_size);
    }
  archive_entry_free (e);
}

/* filepath.Walk in lexical order, with the client's decisions. */
static void
rwalk (struct archive *a, const rignore *ig, const char *root, const char *rel, bool parent)
{
  _cleanup_free_ char *p = *rel ? xasprintf ("%s/%s", root, rel) : xstrdup (root);
  DIR *d = opendir (p);
  cr_assert_not_null (d);
  _cleanup_strv_ char **names = xcalloc (1, sizeof *names);
  struct dirent *de;
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      strv_append (&names, de->d_name);
  closedir (d);
  qsort (names, strv_len (names), sizeof *names, cmp_str);
  for (char **n = names; *n; n++)
    {
      _cleanup_free_ char *r = *rel ? xasprintf ("%s/%s", rel, *n) : xstrdup (*n);
      struct stat st;
      cr_assert (exists (root, r, &st));
      bool skip = *rel ? rdeep (ig, r, parent) : rtop (ig, r);
      if (skip)
        {
          if (S_ISDIR (st.st_mode) && ig->exceptions && rdescend (ig, r))
            rwalk (a, ig, root, r, true);
          continue;
        }
      tar_add (a, root, r, &st);
      if (S_ISDIR (st.st_mode))
        rwalk (a, ig, root, r, false);
    }
}

static void
docker_context (const char *root, membuf *m)
{
  rignore ig;
  rignore_load (root, &ig);
  strv_free (sent);
  sent = xcalloc (1, sizeof *sent);
  struct archive *a = archive_write_new ();
  archive_write_set_format_pax_restricted (a);
  archive_write_set_bytes_in_last_block (a, 1);
  cr_assert_eq (archive_write_open (a, m, NULL, mem_write, NULL), ARCHIVE_OK);
  rwalk (a, &ig, root, "", false);
  archive_write_close (a);
  archive_write_free (a);
  rignore_clear (&ig);
}

static ssize_t
mem_read (char *buf, size_t len, void *ud)
{
  membuf *m = ud;
  size_t k = m->n - m->off < len ? m->n - m->off : len;
  memcpy (buf, m->p + m->off, k);
  m->off += k;
  return (ssize_t) k;
}

/* ---- a case ---- */

typedef struct proj
{
  char *dir;
  char *args[4]; /* "K=V", NULL-terminated */
  char argv_buf[4][64];
  const char *target;
  char **links; /* the symlinks made */
  int tmpl;
} proj;

static engine_client *c;
static char **built; /* every image id, removed at the end */
static char token[32];

/* Docker's image id for the project now, or NULL when the build fails. */
static char *
docker_id (proj *p)
{
  membuf m = { 0 };
  docker_context (p->dir, &m);
  json_t *ba = json_object ();
  for (char **a = p->args; *a; a++)
    {
      const char *eq = strchr (*a, '=');
      _cleanup_free_ char *k = xstrndup (*a, (size_t) (eq - *a));
      json_object_set_new (ba, k, json_string (eq + 1));
    }
  engine_build_opts o
      = { .context = mem_read, .context_ud = &m, .buildargs = ba, .target = p->target };
  char *id = NULL;
  sbx_error *err = NULL;
  int r = engine_build (c, &o, &id, &err);
  json_decref (ba);
  free (m.p);
  if (r < 0)
    {
      sbx_error_free (err);
      return NULL;
    }
  strv_append (&built, id);
  return id;
}

/* sbx's key for the project now, or NULL when sbx refuses. */
static char *
sbx_key (proj *p)
{
  sbx_project *sp = NULL;
  sbx_error *err = NULL;
  cr_assert (sbx_project_open (p->dir, 1, &sp, &err) == 0, "%s", err ? err->msg : "");
  devenv_options o = { .build_args = p->args, .target = p->target };
  devenv_plan *plan = NULL;
  char *key = NULL;
  if (devenv_plan_new (sp, &o, &plan, &err) == 0)
    key = xstrdup (plan->key);
  else
    sbx_error_free (err);
  devenv_plan_free (plan);
  sbx_project_free (sp);
  return key;
}

static const char *const base_files[]
    = { "a.txt",         "xa.txt",    "!b.txt",     "c.md",       "xc.md",       "y.log",
        "k.c",           "kk.c",      "src/main.c", "src/util.c", "src/sub/s.c", "src/sub/keep.c",
        "src/gen/g.c",   "src/x.tmp", "d/f",        "d/g",        "d/e/h",       "docs/keep.md",
        "docs/other.md", "vendor/v.c" };

static const char *const ignore_pool[]
    = { "*.log",    "d",      "!d/f",          "[!x]*.txt", "[^x]*.md",
        "**/*.tmp", "docs/*", "!docs/keep.md", "src/sub",   "!src/sub/keep.c",
        "?.c",      "*/*.c",  "**/gen",        "!**/keep*", "vendor",
        "d/e",      "!d",     "src/*/s.c",     "x*",        "!xa.txt",
        "[a-c].*",  "**",     "!src",          "*" };

/* The Dockerfiles: %1$s the base image line suffix (a per-run label). */
static const char *const templates[] = {
  "COPY src /app/src\n",
  "COPY . /app/\n",
  "COPY [!x]*.txt /t/\nCOPY d /d\n",
  "COPY d /d\nCOPY *.c /c/\n",
  "COPY docs/*.md /m/\nCOPY src/sub /s/\n",
  "ARG V\nARG W=1\nLABEL v=\"$V\" w=\"$W\"\nCOPY a.txt /a\n",
  "#stages\n",
};

static void
write_dockerfile (proj *p, const char *extra)
{
  _cleanup_free_ char *old = NULL;
  char *df;
  if (p->tmpl == 6)
    df = xasprintf ("FROM %s AS unused\nLABEL t=%s\nCOPY docs /docs\n"
                    "FROM %s AS base\nLABEL t=%s\nCOPY src /src\n"
                    "FROM %s AS final\nLABEL t=%s\nCOPY --from=base /src /src\nCOPY d /d\n%s",
                    TU_IMAGE, token, TU_IMAGE, token, TU_IMAGE, token, extra ? extra : "");
  else
    df = xasprintf ("FROM %s\nLABEL t=%s\n%s%s", TU_IMAGE, token, templates[p->tmpl],
                    extra ? extra : "");
  write_at (p->dir, "Dockerfile", df);
  free (df);
}

enum kind
{
  K_EDIT,
  K_MTIME,
  K_CHMOD,
  K_RENAME,
  K_DELETE,
  K_NEW_FILE,
  K_NEW_DIR,
  K_IGNORE_ADD,
  K_IGNORE_DROP,
  K_LINK_ADD,
  K_LINK_TARGET_EDIT,
  K_LINK_RETARGET,
  K_ARG_DECLARED,
  K_ARG_UNDECLARED,
  K_COMMENT,
  K_UNREACHED_STAGE,
  K_N
};

static const char *const kind_name[K_N] = { "edit",
                                            "mtime",
                                            "chmod",
                                            "rename",
                                            "delete",
                                            "new-file",
                                            "new-dir",
                                            "ignore-add",
                                            "ignore-drop",
                                            "link-add",
                                            "link-target-edit",
                                            "link-retarget",
                                            "arg-declared",
                                            "arg-undeclared",
                                            "df-comment",
                                            "unreached-stage" };

static bool mutate (proj *p, enum kind k, char *desc, size_t dl);

static void
new_project (proj *p)
{
  memset (p, 0, sizeof *p);
  p->dir = tu_mkproject ();
  p->links = xcalloc (1, sizeof *p->links);
  for (size_t i = 0; i < sizeof base_files / sizeof *base_files; i++)
    if (pick (4))
      {
        _cleanup_free_ char *content
            = xasprintf ("%s %llu\n", base_files[i], (unsigned long long) next ());
        write_at (p->dir, base_files[i], content);
      }
  /* what the templates name must exist */
  write_at (p->dir, "src/main.c", "int main(void){return 0;}\n");
  write_at (p->dir, "d/f", "f\n");
  write_at (p->dir, "docs/keep.md", "keep\n");
  write_at (p->dir, "xa.txt", "xa\n");
  write_at (p->dir, "a.txt", "a\n");
  write_at (p->dir, "k.c", "k\n");
  write_at (p->dir, "src/sub/s.c", "s\n");
  /* COPY . twice as often: it reaches everything Docker receives. */
  p->tmpl = (int) pick (sizeof templates / sizeof *templates + 1);
  if (p->tmpl == (int) (sizeof templates / sizeof *templates))
    p->tmpl = 1;
  if (p->tmpl == 6 && pick (2))
    p->target = "final";
  write_dockerfile (p, NULL);
  size_t n = pick (4);
  _cleanup_free_ char *ig = xstrdup ("");
  for (size_t i = 0; i < n; i++)
    {
      char *s = xasprintf ("%s%s\n", ig, PICK (ignore_pool));
      free (ig);
      ig = s;
    }
  /* Half the projects get one of the places where Docker's implementation
     and its documentation part ways. */
  static const char *const quirks[]
      = { "[!x]*.txt\n", "d\n!d/f\nd\n", "*\n!d\nd/e\n!d/e/h\nd/e\n", "[!a]*.md\n", "d\n!*/f\n" };
  if (pick (2))
    {
      char *s = xasprintf ("%s%s", ig, PICK (quirks));
      free (ig);
      ig = s;
    }
  if (*ig)
    write_at (p->dir, ".dockerignore", ig);
  char desc[256];
  for (size_t i = pick (2) == 0 ? 1 + pick (2) : 0; i > 0; i--)
    mutate (p, K_LINK_ADD, desc, sizeof desc);
  int k = 0;
  snprintf (p->argv_buf[k], sizeof p->argv_buf[k], "V=%d", (int) pick (3));
  p->args[k] = p->argv_buf[k];
  k++;
  if (pick (2))
    {
      snprintf (p->argv_buf[k], sizeof p->argv_buf[k], "U=%d", (int) pick (3));
      p->args[k] = p->argv_buf[k];
      k++;
    }
  p->args[k] = NULL;
}

static void
free_project (proj *p)
{
  tu_rmrf (p->dir);
  free (p->dir);
  strv_free (p->links);
}

static const char *const new_names[]
    = { "n.txt", "xn.txt",     "!n.txt",         "n.log",       "n.c",         "src/n.c",
        "d/n",   "docs/n.md",  "src/sub/n.c",    "n.tmp",       "src/gen/n.c", ".hidden",
        "d/e/n", "vendor/n.c", "src/sub/keep.c", "docs/keep.md" };

/* Apply one mutation of kind k; a description in desc.  false when it does
   not apply to this project. */
static bool
mutate (proj *p, enum kind k, char *desc, size_t dl)
{
  switch (k)
    {
    case K_EDIT:
    case K_MTIME:
    case K_CHMOD:
    case K_DELETE:
    case K_RENAME:
      {
        /* Half the time a file Docker receives, to reach what is copied. */
        size_t ns = strv_len (sent);
        _cleanup_free_ char *f = ns && pick (2) ? xstrdup (sent[pick (ns)])
                                                : random_path (p->dir, k != K_CHMOD || pick (3));
        if (!f)
          return false;
        _cleanup_free_ char *full = xasprintf ("%s/%s", p->dir, f);
        struct stat st;
        cr_assert (lstat (full, &st) == 0);
        if (S_ISLNK (st.st_mode) && k != K_DELETE && k != K_RENAME)
          return false;
        snprintf (desc, dl, "%s %s", kind_name[k], f);
        if (k == K_EDIT)
          {
            if (!S_ISREG (st.st_mode))
              return false;
            FILE *fp = fopen (full, "a");
            fprintf (fp, "edit %llu\n", (unsigned long long) next ());
            fclose (fp);
          }
        else if (k == K_MTIME)
          {
            struct timespec ts[2] = { { 1500000000 + (time_t) pick (1000000), 0 },
                                      { 1500000000 + (time_t) pick (1000000), 0 } };
            cr_assert (utimensat (AT_FDCWD, full, ts, AT_SYMLINK_NOFOLLOW) == 0);
          }
        else if (k == K_CHMOD)
          cr_assert (chmod (full, st.st_mode ^ 0111) == 0);
        else if (k == K_DELETE)
          {
            if (S_ISDIR (st.st_mode))
              tu_rmrf (full);
            else
              cr_assert (unlink (full) == 0);
          }
        else
          {
            const char *slash = strrchr (f, '/');
            _cleanup_free_ char *to
                = slash ? xasprintf ("%s/%.*s/r%s", p->dir, (int) (slash - f), f, slash + 1)
                        : xasprintf ("%s/r%s", p->dir, f);
            cr_assert (rename (full, to) == 0);
          }
        return true;
      }
    case K_NEW_FILE:
      {
        const char *n = PICK (new_names);
        snprintf (desc, dl, "new-file %s", n);
        _cleanup_free_ char *content = xasprintf ("new %llu\n", (unsigned long long) next ());
        write_at (p->dir, n, content);
        return true;
      }
    case K_NEW_DIR:
      {
        static const char *const dirs[] = { "src/empty", "d/empty", "docs/empty", "empty" };
        const char *n = PICK (dirs);
        snprintf (desc, dl, "new-dir %s", n);
        _cleanup_free_ char *full = xasprintf ("%s/%s", p->dir, n);
        return mkdir (full, 0755) == 0;
      }
    case K_IGNORE_ADD:
      {
        const char *pat = PICK (ignore_pool);
        snprintf (desc, dl, "ignore-add %s", pat);
        _cleanup_free_ char *path = xasprintf ("%s/.dockerignore", p->dir);
        FILE *fp = fopen (path, "a");
        fprintf (fp, "%s\n", pat);
        fclose (fp);
        return true;
      }
    case K_IGNORE_DROP:
      {
        _cleanup_free_ char *path = xasprintf ("%s/.dockerignore", p->dir);
        _cleanup_free_ char *text = tu_read_file (path);
        if (!text || !*text)
          return false;
        _cleanup_strv_ char **lines = xcalloc (1, sizeof *lines);
        char *save = NULL;
        for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
          strv_append (&lines, l);
        size_t n = strv_len (lines), drop = pick (n);
        snprintf (desc, dl, "ignore-drop %s", lines[drop]);
        FILE *fp = fopen (path, "w");
        for (size_t i = 0; i < n; i++)
          if (i != drop)
            fprintf (fp, "%s\n", lines[i]);
        fclose (fp);
        return true;
      }
    case K_LINK_ADD:
      {
        static const char *const links[][2] = { { "src/ln", "../docs/keep.md" },
                                                { "src/dl", "../docs" },
                                                { "d/ln", "f" },
                                                { "src/sub/ln", "../../a.txt" },
                                                { "src/abs", "/docs/keep.md" },
                                                { "d/dangling", "nothere" } };
        size_t i = pick (sizeof links / sizeof *links);
        if (exists (p->dir, links[i][0], NULL))
          return false;
        _cleanup_free_ char *full = xasprintf ("%s/%s", p->dir, links[i][0]);
        _cleanup_free_ char *parent = xstrdup (full);
        *strrchr (parent, '/') = '\0';
        mkdir (parent, 0755);
        cr_assert (symlink (links[i][1], full) == 0);
        strv_append (&p->links, links[i][0]);
        snprintf (desc, dl, "link-add %s -> %s", links[i][0], links[i][1]);
        return true;
      }
    case K_LINK_TARGET_EDIT:
    case K_LINK_RETARGET:
      {
        size_t n = strv_len (p->links);
        if (!n)
          return false;
        const char *l = p->links[pick (n)];
        _cleanup_free_ char *full = xasprintf ("%s/%s", p->dir, l);
        if (!exists (p->dir, l, NULL))
          return false;
        if (k == K_LINK_RETARGET)
          {
            static const char *const targets[]
                = { "../a.txt", "../xa.txt", "../docs/keep.md", "f", "../k.c" };
            const char *t = PICK (targets);
            snprintf (desc, dl, "link-retarget %s -> %s", l, t);
            unlink (full);
            cr_assert (symlink (t, full) == 0);
            return true;
          }
        struct stat st;
        if (stat (full, &st) < 0 || !S_ISREG (st.st_mode))
          return false;
        snprintf (desc, dl, "link-target-edit %s", l);
        FILE *fp = fopen (full, "a");
        fprintf (fp, "via link %llu\n", (unsigned long long) next ());
        fclose (fp);
        return true;
      }
    case K_ARG_DECLARED:
    case K_ARG_UNDECLARED:
      {
        int slot = k == K_ARG_DECLARED ? 0 : 1;
        if (slot == 1 && !p->args[1])
          p->args[1] = p->argv_buf[1], p->args[2] = NULL, snprintf (p->argv_buf[1], 64, "U=0");
        snprintf (p->argv_buf[slot], 64, "%c=%llu", slot ? 'U' : 'V',
                  (unsigned long long) next () % 1000);
        snprintf (desc, dl, "%s %s", kind_name[k], p->argv_buf[slot]);
        return true;
      }
    case K_COMMENT:
      {
        _cleanup_free_ char *c2 = xasprintf ("# comment %llu\n", (unsigned long long) next ());
        snprintf (desc, dl, "df-comment");
        write_dockerfile (p, c2);
        return true;
      }
    case K_UNREACHED_STAGE:
      {
        if (p->tmpl != 6)
          return false;
        _cleanup_free_ char *path = xasprintf ("%s/Dockerfile", p->dir);
        _cleanup_free_ char *text = tu_read_file (path);
        char *at = strstr (text, "COPY docs /docs");
        cr_assert_not_null (at);
        _cleanup_free_ char *s
            = xasprintf ("%.*sCOPY docs /docs%llu%s", (int) (at - text), text,
                         (unsigned long long) next () % 100, at + strlen ("COPY docs /docs"));
        write_at (p->dir, "Dockerfile", s);
        snprintf (desc, dl, "unreached-stage");
        return true;
      }
    default:
      return false;
    }
}

/* ---- the run ---- */

enum outcome
{
  O_BOTH_CHANGED,
  O_BOTH_SAME,
  O_NEEDLESS,
  O_MISSED,
  O_DOCKER_FAILED,
  O_SBX_REFUSED,
  O_N
};

static const char *const outcome_name[O_N]
    = { "both-changed", "both-same", "needless", "MISSED", "docker-failed", "sbx-refused" };

static void
dump (const proj *p, const char *desc)
{
  _cleanup_free_ char *df = xasprintf ("%s/Dockerfile", p->dir);
  _cleanup_free_ char *ig = xasprintf ("%s/.dockerignore", p->dir);
  _cleanup_free_ char *dft = tu_read_file (df);
  _cleanup_free_ char *igt = tu_read_file (ig);
  fprintf (stderr, "key_oracle: MISSED after '%s'\n--- Dockerfile\n%s--- .dockerignore\n%s---\n",
           desc, dft ? dft : "", igt ? igt : "(none)\n");
  _cleanup_strv_ char **v = xcalloc (1, sizeof *v);
  list_paths (p->dir, "", &v, false);
  for (char **s = v; *s; s++)
    fprintf (stderr, "  %s\n", *s);
}

static void
setup (void)
{
  c = tu_engine ();
  built = xcalloc (1, sizeof *built);
  static char cache[] = "/tmp/sbx-oracle-cache-XXXXXX";
  cr_assert_not_null (mkdtemp (cache));
  setenv ("SBX_CACHE_DIR", cache, 1);
}

static void
teardown (void)
{
  size_t n = strv_len (built);
  for (size_t i = n; i-- > 0;)
    {
      sbx_error *err = NULL;
      if (engine_image_remove (c, built[i], true, &err) < 0)
        sbx_error_free (err);
    }
  strv_free (built);
  strv_free (sent);
  sent = NULL;
  engine_client_free (c);
  const char *cache = getenv ("SBX_CACHE_DIR");
  if (cache)
    tu_rmrf (cache);
}

TestSuite (key_oracle, .init = setup, .fini = teardown, .timeout = 1800);

Test (key_oracle, sbx_never_fresh_when_docker_changed)
{
  /* CI runs the engine suite three times (normal build, SBX_NO_AGENT=1,
     sanitizers): each run takes its own seed and share of the ~100 cases. */
  const char *cs = getenv ("SBX_ORACLE_CASES"), *ss = getenv ("SBX_ORACLE_SEED");
  const char *vs = getenv ("SBX_ORACLE_VERBOSE");
  bool verbose = vs && *vs && strcmp (vs, "0") != 0;
  long cases = 50;
  uint64_t seed = 14;
#if defined(__SANITIZE_ADDRESS__)
  cases = 25, seed = 16;
#else
  if (getenv ("SBX_NO_AGENT"))
    cases = 25, seed = 15;
#endif
  if (cs)
    cases = strtol (cs, NULL, 10);
  if (ss)
    seed = strtoull (ss, NULL, 10);
  rng = seed;
  snprintf (token, sizeof token, "%llx-%ld", (unsigned long long) next (), (long) getpid ());
  int count[K_N][O_N] = { { 0 } };
  long done = 0;
  while (done < cases)
    {
      proj p;
      new_project (&p);
      _cleanup_free_ char *id = docker_id (&p);
      _cleanup_free_ char *key = sbx_key (&p);
      for (int m = 0; m < 8 && done < cases && id && key; m++)
        {
          /* edits and mode changes more often than the rest */
          size_t w = pick (K_N + 4);
          enum kind k = w < K_N ? (enum kind) w : w < K_N + 3 ? K_EDIT : K_CHMOD;
          char desc[256] = "";
          if (!mutate (&p, k, desc, sizeof desc))
            continue;
          done++;
          char *id2 = docker_id (&p);
          char *key2 = sbx_key (&p);
          enum outcome o;
          if (!id2)
            o = O_DOCKER_FAILED;
          else if (!key2)
            o = O_SBX_REFUSED;
          else
            {
              bool dchanged = strcmp (id, id2) != 0, schanged = strcmp (key, key2) != 0;
              o = dchanged ? (schanged ? O_BOTH_CHANGED : O_MISSED)
                           : (schanged ? O_NEEDLESS : O_BOTH_SAME);
            }
          count[k][o]++;
          if (o == O_MISSED)
            dump (&p, desc);
          if (verbose && o != O_BOTH_SAME && o != O_MISSED)
            fprintf (stderr, "key_oracle: %s after '%s'\n", outcome_name[o], desc);
          if (o == O_SBX_REFUSED)
            fprintf (stderr, "key_oracle: sbx refused after '%s' where docker built\n", desc);
          free (id);
          free (key);
          id = id2;
          key = key2;
        }
      free_project (&p);
    }
  int total[O_N] = { 0 };
  fprintf (stderr, "key_oracle: seed %llu, %ld cases\n%-18s", (unsigned long long) seed, done,
           "kind");
  for (int o = 0; o < O_N; o++)
    fprintf (stderr, " %13s", outcome_name[o]);
  fprintf (stderr, "\n");
  for (int k = 0; k < K_N; k++)
    {
      fprintf (stderr, "%-18s", kind_name[k]);
      for (int o = 0; o < O_N; o++)
        {
          fprintf (stderr, " %13d", count[k][o]);
          total[o] += count[k][o];
        }
      fprintf (stderr, "\n");
    }
  fprintf (stderr, "%-18s", "total");
  for (int o = 0; o < O_N; o++)
    fprintf (stderr, " %13d", total[o]);
  fprintf (stderr, "\n");
  cr_expect_eq (total[O_MISSED], 0, "%d cases where sbx said fresh and Docker's image changed",
                total[O_MISSED]);
  /* The run must be able to fail: Docker's image changed in some cases and
     stayed in others. */
  cr_expect_gt (total[O_BOTH_CHANGED], 0);
  cr_expect_gt (total[O_BOTH_SAME], 0);
}
