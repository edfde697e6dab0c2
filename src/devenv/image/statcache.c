/* statcache.c: see statcache.h.  The file: a header line naming the format
   and the directory, then one record per file:
     <64 hex digest> <size> <mtime s> <mtime ns> <ctime s> <ctime ns> <ino> <dev> <mode> <path length>\n<path>\n
   Kept in an open-addressing table keyed by path. */
#include "devenv/image/statcache.h"
#include "devenv/image/dirs.h"
#include "sha256.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#define STATCACHE_MAGIC "sbx-statcache 1"
#define STATCACHE_MAX (256 * 1024 * 1024)
/* Files whose ctime is this recent are not cached. */
#define STATCACHE_RACY_NS (2LL * 1000000000LL)

typedef struct record
{
  char *path;
  uint64_t size, ino, dev;
  int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
  uint32_t mode;
  unsigned char digest[DEVENV_DIGEST_LEN];
  bool used;
} record;

struct devenv_statcache
{
  char *file;
  char *dir;
  record *tab;
  size_t cap, n;
  bool dirty;
  size_t loaded;
  int64_t now_ns;
};

static uint64_t
hash_path (const char *s)
{
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211ULL;
  return h;
}

static record *
slot (devenv_statcache *sc, const char *path)
{
  size_t mask = sc->cap - 1;
  for (size_t i = hash_path (path) & mask;; i = (i + 1) & mask)
    if (!sc->tab[i].path || strcmp (sc->tab[i].path, path) == 0)
      return &sc->tab[i];
}

static void
grow (devenv_statcache *sc)
{
  if (sc->cap && (sc->n + 1) * 2 <= sc->cap)
    return;
  size_t old_cap = sc->cap;
  record *old = sc->tab;
  sc->cap = old_cap ? old_cap * 2 : 1024;
  sc->tab = xcalloc (sc->cap, sizeof *sc->tab);
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].path)
      *slot (sc, old[i].path) = old[i];
  free (old);
}

static void
put (devenv_statcache *sc, const record *r)
{
  grow (sc);
  record *s = slot (sc, r->path);
  if (s->path)
    {
      free (s->path);
      *s = *r;
    }
  else
    {
      *s = *r;
      sc->n++;
    }
}

static bool
parse_u64 (const char **p, const char *end, uint64_t *out)
{
  const char *s = *p;
  uint64_t v = 0;
  if (s >= end || *s < '0' || *s > '9')
    return false;
  while (s < end && *s >= '0' && *s <= '9')
    v = v * 10 + (uint64_t) (*s++ - '0');
  if (s < end && (*s == ' ' || *s == '\n'))
    s++;
  else
    return false;
  *p = s;
  *out = v;
  return true;
}

static int
hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

static void
load (devenv_statcache *sc)
{
  _cleanup_close_ int fd = open (sc->file, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size > STATCACHE_MAX
      || st.st_uid != geteuid ())
    return;
  _cleanup_free_ char *buf = xmalloc ((size_t) st.st_size + 1);
  size_t len = 0;
  while (len < (size_t) st.st_size)
    {
      ssize_t r = read (fd, buf + len, (size_t) st.st_size - len);
      if (r <= 0)
        {
          if (r < 0 && errno == EINTR)
            continue;
          return;
        }
      len += (size_t) r;
    }
  const char *p = buf, *end = buf + len;
  _cleanup_free_ char *header = xasprintf ("%s %zu:%s\n", STATCACHE_MAGIC, strlen (sc->dir), sc->dir);
  size_t hl = strlen (header);
  if (len < hl || memcmp (p, header, hl) != 0)
    return;
  p += hl;
  while (p < end)
    {
      record r = { 0 };
      if (end - p < 65 || p[64] != ' ')
        return;
      for (int i = 0; i < DEVENV_DIGEST_LEN; i++)
        {
          int hi = hexval (p[2 * i]), lo = hexval (p[2 * i + 1]);
          if (hi < 0 || lo < 0)
            return;
          r.digest[i] = (unsigned char) (hi << 4 | lo);
        }
      p += 65;
      uint64_t v[9];
      for (int i = 0; i < 9; i++)
        if (!parse_u64 (&p, end, &v[i]))
          return;
      uint64_t plen = v[8];
      if (plen == 0 || (uint64_t) (end - p) < plen + 1 || p[plen] != '\n')
        return;
      r.size = v[0];
      r.mtime_s = (int64_t) v[1];
      r.mtime_ns = (int64_t) v[2];
      r.ctime_s = (int64_t) v[3];
      r.ctime_ns = (int64_t) v[4];
      r.ino = v[5];
      r.dev = v[6];
      r.mode = (uint32_t) v[7];
      r.path = xstrndup (p, plen);
      if (strlen (r.path) != plen)
        {
          free (r.path);
          return;
        }
      p += plen + 1;
      put (sc, &r);
    }
  sc->loaded = sc->n;
}

devenv_statcache *
devenv_statcache_open (const char *path, const char *dir)
{
  devenv_statcache *sc = xcalloc (1, sizeof *sc);
  sc->file = path ? xstrdup (path) : NULL;
  sc->dir = xstrdup (dir);
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  sc->now_ns = (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
  grow (sc);
  if (sc->file)
    load (sc);
  return sc;
}

char *
devenv_statcache_default_path (const char *dir)
{
  _cleanup_free_ char *base = NULL;
  if (devenv_cache_dir ("stat", &base, NULL) < 0)
    return NULL;
  char hex[SBX_SHA256_HEX_LEN + 1];
  sbx_sha256_hex (dir, strlen (dir), hex);
  hex[16] = '\0';
  return xasprintf ("%s/%s", base, hex);
}

static bool
same (const record *r, const struct stat *st)
{
  return r->size == (uint64_t) st->st_size && r->mtime_s == (int64_t) st->st_mtim.tv_sec
         && r->mtime_ns == (int64_t) st->st_mtim.tv_nsec && r->ctime_s == (int64_t) st->st_ctim.tv_sec
         && r->ctime_ns == (int64_t) st->st_ctim.tv_nsec && r->ino == (uint64_t) st->st_ino
         && r->dev == (uint64_t) st->st_dev && r->mode == (uint32_t) st->st_mode;
}

bool
devenv_statcache_lookup (devenv_statcache *sc, const char *rel, const struct stat *st,
                         unsigned char digest[DEVENV_DIGEST_LEN])
{
  record *r = slot (sc, rel);
  if (!r->path || !same (r, st))
    return false;
  memcpy (digest, r->digest, DEVENV_DIGEST_LEN);
  r->used = true;
  return true;
}

void
devenv_statcache_store (devenv_statcache *sc, const char *rel, const struct stat *st,
                        const unsigned char digest[DEVENV_DIGEST_LEN])
{
  int64_t ct = (int64_t) st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
  int64_t mt = (int64_t) st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
  if (ct > sc->now_ns - STATCACHE_RACY_NS || mt > sc->now_ns - STATCACHE_RACY_NS
      || st->st_mtim.tv_sec < 0 || st->st_ctim.tv_sec < 0)
    return; /* too recent to trust: hashed again next time */
  record r = { .path = xstrdup (rel), .size = (uint64_t) st->st_size,
               .mtime_s = st->st_mtim.tv_sec, .mtime_ns = st->st_mtim.tv_nsec,
               .ctime_s = st->st_ctim.tv_sec, .ctime_ns = st->st_ctim.tv_nsec,
               .ino = (uint64_t) st->st_ino, .dev = (uint64_t) st->st_dev,
               .mode = (uint32_t) st->st_mode, .used = true };
  memcpy (r.digest, digest, DEVENV_DIGEST_LEN);
  put (sc, &r);
  sc->dirty = true;
}

int
devenv_statcache_save (devenv_statcache *sc, sbx_error **err)
{
  if (!sc->file)
    return 0;
  size_t used = 0;
  for (size_t i = 0; i < sc->cap; i++)
    if (sc->tab[i].path && sc->tab[i].used)
      used++;
  /* Rewrite when something was added, or when many entries went unused
     (files deleted, or moved out of the key). */
  if (!sc->dirty && used * 2 >= sc->loaded)
    return 0;
  _cleanup_free_ char *tmp = xasprintf ("%s.%ld.tmp", sc->file, (long) getpid ());
  FILE *f = fopen (tmp, "we");
  if (!f)
    return sbx_fail_errno (err, errno, "cannot write the stat cache %s", tmp);
  fprintf (f, "%s %zu:%s\n", STATCACHE_MAGIC, strlen (sc->dir), sc->dir);
  for (size_t i = 0; i < sc->cap; i++)
    {
      const record *r = &sc->tab[i];
      if (!r->path || !r->used)
        continue;
      char hex[2 * DEVENV_DIGEST_LEN + 1];
      sbx_hex_encode (r->digest, DEVENV_DIGEST_LEN, hex);
      fprintf (f, "%s %" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRIu32 " %zu\n",
               hex, r->size, r->mtime_s, r->mtime_ns, r->ctime_s, r->ctime_ns, r->ino, r->dev,
               r->mode, strlen (r->path));
      fputs (r->path, f);
      fputc ('\n', f);
    }
  if (fflush (f) != 0 || ferror (f))
    {
      int e = errno;
      fclose (f);
      unlink (tmp);
      return sbx_fail_errno (err, e, "cannot write the stat cache %s", tmp);
    }
  fclose (f);
  if (rename (tmp, sc->file) < 0)
    {
      int e = errno;
      unlink (tmp);
      return sbx_fail_errno (err, e, "cannot replace the stat cache %s", sc->file);
    }
  sc->dirty = false;
  return 0;
}

void
devenv_statcache_free (devenv_statcache *sc)
{
  if (!sc)
    return;
  for (size_t i = 0; i < sc->cap; i++)
    free (sc->tab[i].path);
  free (sc->tab);
  free (sc->file);
  free (sc->dir);
  free (sc);
}

void
devenv_statcache_freep (devenv_statcache **sc)
{
  devenv_statcache_free (*sc);
  *sc = NULL;
}
