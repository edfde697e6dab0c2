/* tar.c: see tar.h.  libarchive writes into a small buffer through its
   write callback; each read call drains it and, when empty, advances the
   archive by one step (one header, or one chunk of file data). */
#include "devenv/image/tar.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>

#define CHUNK (64 * 1024)

typedef enum
{
  ST_NEXT,  /* write the next header */
  ST_DATA,  /* copy data of the open file */
  ST_CLOSE, /* all entries written: close the archive */
  ST_DONE,
  ST_FAILED,
} tar_state;

struct devenv_tar
{
  const devenv_context *ctx;
  const devenv_tar_extra *extra;
  size_t next, next_extra;
  struct archive *a;
  tar_state state;
  int dirfd;
  int fd;             /* the file being copied, or -1: */
  const char *mem;    /* the in-memory data being copied */
  off_t left;         /* its bytes still to copy */
  char *cur;          /* its name, for messages */
  char *out;          /* produced, not yet read */
  size_t out_len, out_off, out_cap;
  size_t total;
  sbx_error *err;
  char *chunk;
};

static la_ssize_t
on_write (struct archive *a, void *ud, const void *buf, size_t len)
{
  devenv_tar *t = ud;
  if (t->out_len + len > t->out_cap)
    {
      size_t cap = t->out_cap ? t->out_cap : CHUNK;
      while (cap < t->out_len + len)
        cap *= 2;
      t->out = xrealloc (t->out, cap);
      t->out_cap = cap;
    }
  memcpy (t->out + t->out_len, buf, len);
  t->out_len += len;
  return (la_ssize_t) len;
}

devenv_tar *
devenv_tar_new (const devenv_context *ctx, const devenv_tar_extra *extra)
{
  devenv_tar *t = xcalloc (1, sizeof *t);
  t->ctx = ctx;
  t->extra = extra;
  t->fd = -1;
  t->dirfd = -1;
  t->chunk = xmalloc (CHUNK);
  t->a = archive_write_new ();
  if (!t->a)
    {
      sbx_fail (&t->err, SBX_ERR_UNAVAILABLE,
                "cannot load libarchive.so.13 to send the build context; install libarchive13");
      t->state = ST_FAILED;
      return t;
    }
  archive_write_set_format_pax_restricted (t->a);
  archive_write_set_bytes_per_block (t->a, 10240);
  archive_write_set_bytes_in_last_block (t->a, 1);
  return t;
}

static void
fail (devenv_tar *t, sbx_error *e)
{
  if (!t->err)
    t->err = e;
  else
    sbx_error_free (e);
  t->state = ST_FAILED;
}

static void
fail_msg (devenv_tar *t, const char *what)
{
  sbx_error *e = NULL;
  sbx_fail (&e, SBX_ERR_IO, "writing the build context (%s): %s", what,
            archive_error_string (t->a) ? archive_error_string (t->a) : "libarchive error");
  fail (t, e);
}

static void
fail_errno (devenv_tar *t, int errnum, const char *fmt, const char *arg)
{
  sbx_error *e = NULL;
  sbx_fail_errno (&e, errnum, fmt, arg);
  fail (t, e);
}

static bool
same_file (const struct stat *a, const struct stat *b)
{
  return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size
         && a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec
         && a->st_mode == b->st_mode;
}

/* Write the header of one entry; open its data when it has some. */
static void
write_header (devenv_tar *t, const char *name, const struct stat *st, const char *link, int fd)
{
  struct archive_entry *e = archive_entry_new ();
  archive_entry_copy_pathname (e, name);
  archive_entry_set_mode (e, st->st_mode);
  archive_entry_set_uid (e, 0);
  archive_entry_set_gid (e, 0);
  archive_entry_set_mtime (e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
  if (S_ISREG (st->st_mode))
    archive_entry_set_size (e, st->st_size);
  else
    archive_entry_set_size (e, 0);
  if (link)
    archive_entry_copy_symlink (e, link);
  int r = archive_write_header (t->a, e);
  archive_entry_free (e);
  if (r < ARCHIVE_WARN)
    {
      if (fd >= 0)
        close (fd);
      fail_msg (t, name);
      return;
    }
  if (S_ISREG (st->st_mode) && st->st_size > 0)
    {
      t->fd = fd;
      t->mem = NULL;
      t->left = st->st_size;
      free (t->cur);
      t->cur = xstrdup (name);
      t->state = ST_DATA;
    }
  else if (fd >= 0)
    close (fd);
}

static bool
replaced (const devenv_tar *t, const char *path)
{
  for (const devenv_tar_extra *x = t->extra; x && x->name; x++)
    if (strcmp (x->name, path) == 0)
      return true;
  return false;
}

static void
next_entry (devenv_tar *t)
{
  while (t->next < t->ctx->n && replaced (t, t->ctx->v[t->next].path))
    t->next++;
  if (t->next < t->ctx->n)
    {
      const devenv_entry *e = &t->ctx->v[t->next++];
      int fd = -1;
      if (S_ISREG (e->st.st_mode))
        {
          fd = openat (t->dirfd, e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
          struct stat st;
          if (fd < 0)
            {
              fail_errno (t, errno, "cannot read %s of the build context", e->path);
              return;
            }
          if (fstat (fd, &st) < 0 || !same_file (&st, &e->st))
            {
              close (fd);
              sbx_error *er = NULL;
              sbx_fail (&er, SBX_ERR_IO, "%s/%s changed after sbx hashed it; run the build again",
                        t->ctx->dir, e->path);
              fail (t, er);
              return;
            }
        }
      write_header (t, e->path, &e->st, e->link, fd);
      return;
    }
  if (t->extra && t->extra[t->next_extra].name)
    {
      const devenv_tar_extra *x = &t->extra[t->next_extra++];
      if (!x->source)
        {
          struct stat st = { .st_mode = S_IFREG | 0644, .st_size = (off_t) x->len };
          write_header (t, x->name, &st, NULL, -1);
          if (t->state == ST_DATA)
            t->mem = x->data;
          return;
        }
      int fd = open (x->source, O_RDONLY | O_CLOEXEC);
      struct stat st;
      if (fd < 0 || fstat (fd, &st) < 0)
        {
          int er = errno;
          if (fd >= 0)
            close (fd);
          fail_errno (t, er, "cannot read %s", x->source);
          return;
        }
      if (!S_ISREG (st.st_mode))
        {
          close (fd);
          sbx_error *er = NULL;
          sbx_fail (&er, SBX_ERR_INVALID, "%s is not a regular file", x->source);
          fail (t, er);
          return;
        }
      st.st_mode = S_IFREG | (st.st_mode & 0777);
      write_header (t, x->name, &st, NULL, fd);
      return;
    }
  t->state = ST_CLOSE;
}

static void
copy_data (devenv_tar *t)
{
  size_t want = t->left < CHUNK ? (size_t) t->left : CHUNK;
  if (t->mem)
    {
      if (archive_write_data (t->a, t->mem, want) < 0)
        {
          fail_msg (t, t->cur);
          return;
        }
      t->mem += want;
      t->left -= (off_t) want;
      if (t->left == 0)
        {
          t->mem = NULL;
          t->state = ST_NEXT;
        }
      return;
    }
  ssize_t n = read (t->fd, t->chunk, want);
  if (n < 0 && errno == EINTR)
    return;
  if (n <= 0)
    {
      if (n == 0)
        {
          sbx_error *e = NULL;
          sbx_fail (&e, SBX_ERR_IO, "%s/%s shrank while it was sent; run the build again",
                    t->ctx->dir, t->cur);
          fail (t, e);
        }
      else
        fail_errno (t, errno, "cannot read %s of the build context", t->cur);
      return;
    }
  if (archive_write_data (t->a, t->chunk, (size_t) n) < 0)
    {
      fail_msg (t, t->cur);
      return;
    }
  t->left -= n;
  if (t->left == 0)
    {
      close (t->fd);
      t->fd = -1;
      t->state = ST_NEXT;
    }
}

static void
step (devenv_tar *t)
{
  switch (t->state)
    {
    case ST_NEXT:
      next_entry (t);
      break;
    case ST_DATA:
      copy_data (t);
      break;
    case ST_CLOSE:
      if (archive_write_close (t->a) != ARCHIVE_OK)
        fail_msg (t, "end of archive");
      else
        t->state = ST_DONE;
      break;
    default:
      break;
    }
}

ssize_t
devenv_tar_read (char *buf, size_t len, void *ud)
{
  devenv_tar *t = ud;
  if (t->state == ST_FAILED && t->out_off == t->out_len)
    return -1;
  if (t->dirfd < 0 && t->state != ST_FAILED && t->state != ST_DONE)
    {
      t->dirfd = open (t->ctx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (t->dirfd < 0)
        {
          fail_errno (t, errno, "cannot open the build context %s", t->ctx->dir);
          return -1;
        }
      if (archive_write_open2 (t->a, t, NULL, on_write, NULL, NULL) != ARCHIVE_OK)
        {
          fail_msg (t, "opening");
          return -1;
        }
    }
  while (t->out_off == t->out_len)
    {
      t->out_off = t->out_len = 0;
      if (t->state == ST_FAILED)
        return -1;
      if (t->state == ST_DONE)
        return 0;
      step (t);
    }
  size_t n = t->out_len - t->out_off;
  if (n > len)
    n = len;
  memcpy (buf, t->out + t->out_off, n);
  t->out_off += n;
  t->total += n;
  return (ssize_t) n;
}

int
devenv_tar_error (devenv_tar *t, sbx_error **err)
{
  if (!t->err)
    return 0;
  if (err && !*err)
    *err = steal_pointer (&t->err);
  return -1;
}

size_t
devenv_tar_bytes (const devenv_tar *t)
{
  return t->total;
}

void
devenv_tar_free (devenv_tar *t)
{
  if (!t)
    return;
  if (t->a)
    archive_write_free (t->a);
  if (t->fd >= 0)
    close (t->fd);
  if (t->dirfd >= 0)
    close (t->dirfd);
  sbx_error_free (t->err);
  free (t->cur);
  free (t->out);
  free (t->chunk);
  free (t);
}

void
devenv_tar_freep (devenv_tar **t)
{
  devenv_tar_free (*t);
  *t = NULL;
}
