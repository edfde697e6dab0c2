/* context.c: see context.h. */
#include "devenv/image/context.h"
#include "devenv/image/glob.h"
#include "util.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>

typedef struct walk
{
  devenv_context *ctx;
  const devenv_ignore *ig;
  const devenv_dockerfile *df;
  bool *source_hit;
  bool needs_all;     /* a symlink is sent: only the whole context is safe */
  bool needs_key_all; /* a keyed symlink: the whole context must be keyed */
} walk;

void
devenv_context_free (devenv_context *ctx)
{
  if (!ctx)
    return;
  for (size_t i = 0; i < ctx->n; i++)
    {
      free (ctx->v[i].path);
      free (ctx->v[i].link);
    }
  free (ctx->v);
  strv_free (ctx->warnings);
  free (ctx->dir);
  free (ctx);
}

void
devenv_context_freep (devenv_context **ctx)
{
  devenv_context_free (*ctx);
  *ctx = NULL;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Does a link at rel with this target point outside the context? */
static bool
link_escapes (const char *rel, const char *target)
{
  if (target[0] == '/')
    return true;
  const char *slash = strrchr (rel, '/');
  _cleanup_free_ char *joined
      = slash ? xasprintf ("%.*s/%s", (int) (slash - rel), rel, target) : xstrdup (target);
  bool escapes;
  _cleanup_free_ char *clean = devenv_path_clean (joined, &escapes);
  return escapes;
}

static void
warn (devenv_context *ctx, char *msg)
{
  if (!ctx->warnings)
    ctx->warnings = xcalloc (1, sizeof *ctx->warnings);
  strv_append (&ctx->warnings, msg);
  free (msg);
}

static void
add_entry (devenv_context *ctx, const char *path, const struct stat *st, char *link)
{
  if (ctx->n == ctx->cap)
    {
      ctx->cap = ctx->cap ? ctx->cap * 2 : 256;
      ctx->v = xrealloc (ctx->v, ctx->cap * sizeof *ctx->v);
    }
  devenv_entry *e = &ctx->v[ctx->n++];
  memset (e, 0, sizeof *e);
  e->path = xstrdup (path);
  e->st = *st;
  e->link = link;
}

/* Which sources match rel exactly (marking them hit); true if any, *keyed
   set when one of them is keyed. */
static bool
source_match (walk *w, const char *rel, bool *keyed)
{
  bool any = false;
  for (size_t i = 0; w->df && i < w->df->n_sources; i++)
    if (devenv_glob_match (w->df->sources[i], rel, false))
      {
        w->source_hit[i] = true;
        *keyed |= w->df->source_keyed[i];
        any = true;
      }
  return any;
}

static bool
source_below (walk *w, const char *rel)
{
  for (size_t i = 0; w->df && i < w->df->n_sources; i++)
    if (devenv_glob_may_match_below (w->df->sources[i], rel, false))
      return true;
  return false;
}

static int walk_dir (walk *w, int dirfd, const char *rel, bool inside, bool kin,
                     int parent_excluded, sbx_error **err);

/* inside: rel lies in a directory a source reaches (kin: a keyed source);
   parent_excluded: the walk's verdict on rel's directory, -1 at the top
   (see devenv_ignore_match). */
static int
walk_entry (walk *w, int dirfd, const char *name, const char *rel, bool inside, bool kin,
            int parent_excluded, sbx_error **err)
{
  devenv_context *ctx = w->ctx;
  struct stat st;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return 0; /* removed while walking */
      return sbx_fail_errno (err, errno, "cannot stat %s/%s in the build context", ctx->dir, rel);
    }
  bool is_dir = S_ISDIR (st.st_mode);
  if (devenv_ignore_match (w->ig, rel, parent_excluded))
    {
      if (is_dir && devenv_ignore_descend (w->ig, rel))
        {
          /* Excluded, but a '!' pattern may bring back something below. */
          bool hk = false;
          bool hit = (!inside || !kin) && source_match (w, rel, &hk);
          int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd < 0)
            return sbx_fail_errno (err, errno, "cannot open %s/%s", ctx->dir, rel);
          int r = walk_dir (w, fd, rel, inside || hit, kin || hk, 1, err);
          close (fd);
          return r;
        }
      return 0;
    }
  bool kh = false;
  bool sm = (!inside || !kin) && !(ctx->all && ctx->key_all) && source_match (w, rel, &kh);
  bool matched = ctx->all || inside || sm;
  bool keyed = ctx->key_all || kin || kh;
  if (!S_ISREG (st.st_mode) && !is_dir && !S_ISLNK (st.st_mode))
    {
      if (matched)
        warn (ctx, xasprintf ("%s in the build context is not a file, directory or symlink; "
                              "it is left out",
                              rel));
      return 0;
    }
  if (matched)
    {
      char *link = NULL;
      if (S_ISLNK (st.st_mode))
        {
          size_t cap = (size_t) st.st_size + 1 > 64 ? (size_t) st.st_size + 1 : 64;
          link = xmalloc (cap + 1);
          ssize_t n = readlinkat (dirfd, name, link, cap);
          if (n < 0)
            {
              int e = errno;
              free (link);
              return sbx_fail_errno (err, e, "cannot read the symlink %s/%s", ctx->dir, rel);
            }
          link[n] = '\0';
          if (link_escapes (rel, link))
            warn (ctx, xasprintf ("%s is a symlink to %s, outside the build context: it is sent "
                                  "as a link, never followed",
                                  rel, link));
          /* COPY of a link copies what it points to; inside a copied
             directory the link is copied as a link, but the classic
             builder's cache key is the followed path's (the target's name,
             mode and content), so the target must be in the key too: only
             the whole context is safe. */
          if (!ctx->all)
            w->needs_all = true;
          if (keyed && !ctx->key_all)
            w->needs_key_all = true;
        }
      add_entry (ctx, rel, &st, link);
      ctx->v[ctx->n - 1].keyed = keyed;
    }
  if (is_dir && (matched || source_below (w, rel)))
    {
      int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return sbx_fail_errno (err, errno, "cannot open %s/%s in the build context", ctx->dir, rel);
      int r = walk_dir (w, fd, rel, matched, keyed, 0, err);
      close (fd);
      return r;
    }
  return 0;
}

static int
walk_dir (walk *w, int dirfd, const char *rel, bool inside, bool kin, int parent_excluded,
          sbx_error **err)
{
  int fd = dup (dirfd);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "dup");
  _cleanup_closedir_ DIR *d = fdopendir (fd);
  if (!d)
    {
      int e = errno;
      close (fd);
      return sbx_fail_errno (err, e, "cannot read the directory %s/%s", w->ctx->dir, rel);
    }
  _cleanup_strv_ char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  errno = 0;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (n + 1 >= cap)
        {
          cap = cap ? cap * 2 : 64;
          names = xrealloc (names, cap * sizeof *names);
        }
      names[n++] = xstrdup (de->d_name);
      names[n] = NULL;
    }
  if (!names)
    return 0;
  qsort (names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++)
    {
      _cleanup_free_ char *child = *rel ? xasprintf ("%s/%s", rel, names[i]) : xstrdup (names[i]);
      if (walk_entry (w, dirfd, names[i], child, inside, kin, *rel ? parent_excluded : -1, err) < 0)
        return -1;
    }
  return 0;
}

/* Is a prefix of the source path a symlink in the context?  Then the
   builder follows it and only the whole context is safe. */
static bool
through_symlink (const char *dir, const char *src)
{
  _cleanup_free_ char *p = xstrdup (src);
  for (char *s = p;; s++)
    {
      char *slash = strchr (s, '/');
      if (slash)
        *slash = '\0';
      _cleanup_free_ char *full = xasprintf ("%s/%s", dir, p);
      struct stat st;
      if (lstat (full, &st) < 0)
        return false;
      if (S_ISLNK (st.st_mode))
        return true;
      if (!slash)
        return false;
      *slash = '/';
      s = slash;
    }
}

static int
scan (devenv_context *ctx, const devenv_ignore *ig, const devenv_dockerfile *df, const char *name,
      bool *needs_all, bool *needs_key_all, sbx_error **err)
{
  _cleanup_close_ int fd = open (ctx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "cannot open the build context %s", ctx->dir);
  _cleanup_free_ bool *hits = xcalloc (df ? df->n_sources + 1 : 1, sizeof *hits);
  walk w = { .ctx = ctx, .ig = ig, .df = df, .source_hit = hits };
  if (walk_dir (&w, fd, "", false, false, -1, err) < 0)
    return -1;
  *needs_all = w.needs_all;
  *needs_key_all = w.needs_key_all;
  for (size_t i = 0; df && i < df->n_sources; i++)
    {
      if (hits[i] || strcmp (df->sources[i], ".") == 0)
        continue;
      if (through_symlink (ctx->dir, df->sources[i]))
        {
          *needs_all = true;
          *needs_key_all |= df->source_keyed[i];
          continue;
        }
      if (ctx->all)
        continue;
      if (devenv_glob_has_magic (df->sources[i]))
        return sbx_fail (err, SBX_ERR_INVALID,
                         "%s:%d: no file of the build context %s matches the COPY/ADD source "
                         "'%s' (after .dockerignore)",
                         name, df->source_lines[i], ctx->dir, df->sources[i]);
      return sbx_fail (err, SBX_ERR_INVALID,
                       "%s:%d: the COPY/ADD source '%s' is not in the build context %s (or "
                       ".dockerignore excludes it)",
                       name, df->source_lines[i], df->sources[i], ctx->dir);
    }
  return 0;
}

static void
reset (devenv_context *ctx)
{
  for (size_t i = 0; i < ctx->n; i++)
    {
      free (ctx->v[i].path);
      free (ctx->v[i].link);
    }
  ctx->n = 0;
  strv_free (ctx->warnings);
  ctx->warnings = NULL;
}

int
devenv_context_scan (const char *dir, const devenv_ignore *ig, const devenv_dockerfile *df,
                     const char *name, devenv_context **out, sbx_error **err)
{
  _cleanup_context_ devenv_context *ctx = xcalloc (1, sizeof *ctx);
  ctx->dir = xstrdup (dir);
  ctx->all = df == NULL || df->whole_context;
  ctx->key_all = df == NULL || df->whole_keyed;
  for (size_t i = 0; df && i < df->n_sources; i++)
    if (strcmp (df->sources[i], ".") == 0)
      {
        ctx->all = true;
        ctx->key_all |= df->source_keyed[i];
      }
  for (;;)
    {
      bool needs_all = false, needs_key_all = false;
      if (scan (ctx, ig, df, name, &needs_all, &needs_key_all, err) < 0)
        return -1;
      if ((!needs_all || ctx->all) && (!needs_key_all || ctx->key_all))
        break;
      /* Each pass widens a flag that never narrows again: at most three. */
      reset (ctx);
      ctx->all |= needs_all;
      ctx->key_all |= needs_key_all;
    }
  *out = steal_pointer (&ctx);
  return 0;
}

static int
hash_file (devenv_context *ctx, int dirfd, devenv_entry *e, sbx_error **err)
{
  _cleanup_close_ int fd = openat (dirfd, e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "cannot read %s/%s from the build context", ctx->dir,
                           e->path);
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  if (!md || !EVP_DigestInit_ex (md, EVP_sha256 (), NULL))
    abort ();
  char buf[65536];
  int ret = 0;
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          ret = sbx_fail_errno (err, errno, "cannot read %s/%s", ctx->dir, e->path);
          break;
        }
      if (n == 0)
        break;
      EVP_DigestUpdate (md, buf, (size_t) n);
    }
  unsigned int len = 0;
  EVP_DigestFinal_ex (md, e->digest, &len);
  EVP_MD_CTX_free (md);
  if (ret < 0)
    return ret;
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_size != e->st.st_size
      || st.st_mtim.tv_sec != e->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != e->st.st_mtim.tv_nsec
      || st.st_ino != e->st.st_ino)
    return sbx_fail (err, SBX_ERR_IO, "%s/%s changed while sbx was reading it; run again", ctx->dir,
                     e->path);
  ctx->hashed++;
  return 0;
}

int
devenv_context_digest (devenv_context *ctx, devenv_statcache *sc, sbx_error **err)
{
  _cleanup_close_ int dirfd = open (ctx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return sbx_fail_errno (err, errno, "cannot open the build context %s", ctx->dir);
  for (size_t i = 0; i < ctx->n; i++)
    {
      devenv_entry *e = &ctx->v[i];
      if (S_ISDIR (e->st.st_mode))
        memset (e->digest, 0, sizeof e->digest);
      else if (S_ISLNK (e->st.st_mode))
        {
          unsigned int len = 0;
          EVP_Digest (e->link, strlen (e->link), e->digest, &len, EVP_sha256 (), NULL);
        }
      else if (sc && devenv_statcache_lookup (sc, e->path, &e->st, e->digest))
        ctx->cached++;
      else
        {
          if (hash_file (ctx, dirfd, e, err) < 0)
            return -1;
          if (sc)
            devenv_statcache_store (sc, e->path, &e->st, e->digest);
        }
    }
  return 0;
}
