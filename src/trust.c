/* trust.c: see trust.h. */
#include "trust.h"
#include "userdirs.h"
#include "sha256.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#define TRUST_FILE_MAX (4 * 1024 * 1024)
#define TRUST_STORE_MAX (16 * 1024 * 1024)

const char *const sbx_trust_files[]
    = { ".sbx/config.json", ".devcontainer/devcontainer.json", ".devcontainer.json", NULL };

int
sbx_trust_store_path (char **out, sbx_error **err)
{
  _cleanup_free_ char *dir = NULL;
  if (sbx_state_dir (&dir, err) < 0)
    return -1;
  *out = xasprintf ("%s/trust", dir);
  return 0;
}

/* Read an open file whole (at most max bytes). */
static int
read_fd (int fd, const char *path, size_t max, char **text, size_t *len, sbx_error **err)
{
  size_t cap = 4096, n = 0;
  _cleanup_free_ char *buf = xmalloc (cap);
  for (;;)
    {
      if (n + 1 >= cap)
        {
          if (cap > max)
            return sbx_fail (err, SBX_ERR_INVALID, "%s is larger than %zu bytes", path, max);
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      ssize_t r = read (fd, buf + n, cap - 1 - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return sbx_fail_errno (err, errno, "reading %s", path);
      if (r == 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  *text = steal_pointer (&buf);
  *len = n;
  return 0;
}

/* The store's entries.  believe: check the store's owner and mode (a store
   that fails is empty). */
static int
store_read (const char *path, sbx_trust_entry **out, size_t *n, sbx_error **err)
{
  *out = NULL;
  *n = 0;
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return sbx_fail_errno (err, errno, "opening the trust store %s", path);
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    return sbx_fail_errno (err, errno, "trust store %s", path);
  if (!S_ISREG (st.st_mode) || st.st_uid != getuid () || (st.st_mode & 022))
    return sbx_fail (err, SBX_ERR_INVALID,
                     "the trust store %s is not a regular file of yours writable only by you; "
                     "remove it and trust your projects again",
                     path);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_fd (fd, path, TRUST_STORE_MAX, &text, &len, err) < 0)
    return -1;
  size_t cap = 0;
  sbx_trust_entry *v = NULL;
  for (char *line = text; line && *line;)
    {
      char *nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      size_t hl = strspn (line, "0123456789abcdef");
      if (hl == 64 && line[64] == ' ' && line[65] == '/')
        {
          if (*n == cap)
            {
              cap = cap ? cap * 2 : 8;
              v = xrealloc (v, cap * sizeof *v);
            }
          memset (&v[*n], 0, sizeof v[*n]);
          memcpy (v[*n].hash, line, 64);
          v[*n].path = xstrdup (line + 65);
          (*n)++;
        }
      line = nl ? nl + 1 : NULL;
    }
  *out = v;
  return 0;
}

void
sbx_trust_entries_free (sbx_trust_entry *e, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (e[i].path);
  free (e);
}

bool
sbx_trust_check (const char *path, const void *data, size_t len)
{
  _cleanup_free_ char *store = NULL;
  sbx_error *err = NULL;
  if (sbx_trust_store_path (&store, &err) < 0)
    {
      sbx_error_free (err);
      return false;
    }
  sbx_trust_entry *e = NULL;
  size_t n = 0;
  if (store_read (store, &e, &n, &err) < 0)
    {
      sbx_error_free (err);
      return false;
    }
  /* Hash only when the store knows the path. */
  bool known = false, ok = false;
  for (size_t i = 0; i < n && !known; i++)
    known = strcmp (e[i].path, path) == 0;
  char hash[SBX_SHA256_HEX_LEN + 1];
  if (known)
    sbx_sha256_hex (data, len, hash);
  for (size_t i = 0; i < n && known && !ok; i++)
    ok = strcmp (e[i].path, path) == 0 && strcmp (e[i].hash, hash) == 0;
  sbx_trust_entries_free (e, n);
  return ok;
}

/* The hash of the file at path; 1 when it is missing. */
static int
hash_file (const char *path, char hash[65], sbx_error **err)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 1;
      return sbx_fail_errno (err, errno, "reading %s", path);
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    return sbx_fail_errno (err, errno, "%s", path);
  if (!S_ISREG (st.st_mode))
    return sbx_fail (err, SBX_ERR_INVALID, "%s is not a regular file", path);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_fd (fd, path, TRUST_FILE_MAX, &text, &len, err) < 0)
    return -1;
  sbx_sha256_hex (text, len, hash);
  return 0;
}

/* Replace the store with v (atomically). */
static int
store_write (const char *dir, const char *path, const sbx_trust_entry *v, size_t n, sbx_error **err)
{
  _cleanup_free_ char *tmp = xasprintf ("%s/.trust.XXXXXX", dir);
  _cleanup_close_ int fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "creating a file in %s", dir);
  int r = fchmod (fd, 0600);
  for (size_t i = 0; i < n && r == 0; i++)
    {
      _cleanup_free_ char *line = xasprintf ("%s %s\n", v[i].hash, v[i].path);
      r = write_all (fd, line, strlen (line));
    }
  if (r == 0)
    r = fsync (fd);
  if (r == 0)
    r = rename (tmp, path);
  if (r < 0)
    {
      int e = errno;
      unlink (tmp);
      return sbx_fail_errno (err, e, "writing the trust store %s", path);
    }
  return 0;
}

typedef struct
{
  char *dir, *path;
  int lock;
  sbx_trust_entry *v;
  size_t n;
} store_tx;

static int
tx_begin (store_tx *t, sbx_error **err)
{
  memset (t, 0, sizeof *t);
  t->lock = -1;
  if (sbx_state_dir (&t->dir, err) < 0 || sbx_private_dir (t->dir, err) < 0)
    return -1;
  t->path = xasprintf ("%s/trust", t->dir);
  _cleanup_free_ char *lp = xasprintf ("%s/trust.lock", t->dir);
  t->lock = open (lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (t->lock < 0)
    return sbx_fail_errno (err, errno, "opening %s", lp);
  while (flock (t->lock, LOCK_EX) < 0)
    if (errno != EINTR)
      return sbx_fail_errno (err, errno, "locking %s", lp);
  return store_read (t->path, &t->v, &t->n, err);
}

static void
tx_end (store_tx *t)
{
  sbx_trust_entries_free (t->v, t->n);
  if (t->lock >= 0)
    close (t->lock);
  free (t->dir);
  free (t->path);
}

/* Drop the entries of the project's files; returns how many went. */
static size_t
drop_project (store_tx *t, const char *project_dir)
{
  size_t kept = 0, removed = 0;
  for (size_t i = 0; i < t->n; i++)
    {
      bool mine = false;
      for (const char *const *f = sbx_trust_files; *f && !mine; f++)
        {
          _cleanup_free_ char *p = xasprintf ("%s/%s", project_dir, *f);
          mine = strcmp (p, t->v[i].path) == 0;
        }
      if (mine)
        {
          free (t->v[i].path);
          removed++;
        }
      else
        t->v[kept++] = t->v[i];
    }
  t->n = kept;
  return removed;
}

int
sbx_trust_project (const char *project_dir, sbx_trust_entry **out, size_t *n, sbx_error **err)
{
  *out = NULL;
  *n = 0;
  if (strchr (project_dir, '\n'))
    return sbx_fail (err, SBX_ERR_INVALID,
                     "the project path holds a newline; sbx cannot record trust for it");
  /* Hash first: a file that cannot be read leaves the store untouched. */
  size_t nf = 0;
  sbx_trust_entry *mine = xcalloc (4, sizeof *mine);
  for (const char *const *f = sbx_trust_files; *f; f++)
    {
      _cleanup_free_ char *p = xasprintf ("%s/%s", project_dir, *f);
      int r = hash_file (p, mine[nf].hash, err);
      if (r < 0)
        {
          sbx_trust_entries_free (mine, nf);
          return -1;
        }
      if (r == 0)
        mine[nf++].path = steal_pointer (&p);
    }
  store_tx t;
  int rc = tx_begin (&t, err);
  if (rc == 0)
    {
      drop_project (&t, project_dir);
      t.v = xrealloc (t.v, (t.n + nf + 1) * sizeof *t.v);
      for (size_t i = 0; i < nf; i++)
        {
          t.v[t.n] = mine[i];
          t.v[t.n].path = xstrdup (mine[i].path);
          t.n++;
        }
      rc = store_write (t.dir, t.path, t.v, t.n, err);
    }
  tx_end (&t);
  if (rc < 0)
    {
      sbx_trust_entries_free (mine, nf);
      return -1;
    }
  *out = mine;
  *n = nf;
  return 0;
}

int
sbx_trust_revoke (const char *project_dir, size_t *removed, sbx_error **err)
{
  *removed = 0;
  store_tx t;
  int rc = tx_begin (&t, err);
  if (rc == 0)
    {
      *removed = drop_project (&t, project_dir);
      if (*removed)
        rc = store_write (t.dir, t.path, t.v, t.n, err);
    }
  tx_end (&t);
  return rc;
}

int
sbx_trust_list (sbx_trust_entry **out, size_t *n, sbx_error **err)
{
  _cleanup_free_ char *store = NULL;
  if (sbx_trust_store_path (&store, err) < 0 || store_read (store, out, n, err) < 0)
    return -1;
  for (size_t i = 0; i < *n; i++)
    {
      char hash[65];
      sbx_error *e = NULL;
      int r = hash_file ((*out)[i].path, hash, &e);
      sbx_error_free (e);
      (*out)[i].state = r != 0                          ? SBX_TRUST_MISSING
                        : strcmp (hash, (*out)[i].hash) ? SBX_TRUST_CHANGED
                                                        : SBX_TRUST_OK;
    }
  return 0;
}
