/* util.h: ownership helpers (cleanup attributes) shared by every layer. */
#ifndef SBX_UTIL_H
#define SBX_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <dirent.h>
#include <jansson.h>

/* Each *p helper releases what *p holds and leaves *p empty (NULL, -1),
   so that calling it twice, or by hand before the scope ends, is safe. */
static inline void
sbx_freep (void *p)
{
  void **pp = p;
  free (*pp);
  *pp = NULL;
}

static inline void
sbx_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
      *fd = -1;
    }
}

static inline void
sbx_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
  *f = NULL;
}

static inline void
sbx_closedirp (DIR **d)
{
  if (*d)
    closedir (*d);
  *d = NULL;
}

static inline void
sbx_json_decrefp (json_t **j)
{
  json_decref (*j);
  *j = NULL;
}

static inline void
sbx_strvfreep (char ***v)
{
  if (*v)
    {
      for (char **p = *v; *p; p++)
        free (*p);
      free (*v);
    }
  *v = NULL;
}

#define _cleanup_free_ __attribute__ ((cleanup (sbx_freep)))
#define _cleanup_close_ __attribute__ ((cleanup (sbx_closep)))
#define _cleanup_fclose_ __attribute__ ((cleanup (sbx_fclosep)))
#define _cleanup_closedir_ __attribute__ ((cleanup (sbx_closedirp)))
#define _cleanup_json_ __attribute__ ((cleanup (sbx_json_decrefp)))
#define _cleanup_strv_ __attribute__ ((cleanup (sbx_strvfreep)))

static inline void *
sbx_steal_pointer (void *pp)
{
  void **p = (void **) pp;
  void *ret = *p;
  *p = NULL;
  return ret;
}
#define steal_pointer(pp) sbx_steal_pointer (pp)

static inline int
steal_fd (int *fd)
{
  int ret = *fd;
  *fd = -1;
  return ret;
}

/* Allocation failure is not recoverable in sbx: abort with a message. */
void *xmalloc (size_t n);
void *xcalloc (size_t n, size_t m);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t strv_len (char *const *v);
char **strv_dup (char *const *v);
void strv_append (char ***v, const char *s);
/* Append each string up to the NULL. */
void strv_append_all (char ***v, ...) __attribute__ ((sentinel));
void strv_free (char **v);

/* The current directory when it is dir or lies below it, else dir
   (allocated). */
char *sbx_cwd_within (const char *dir);

/* CLOCK_MONOTONIC in milliseconds; sleeping for ms milliseconds. */
long sbx_now_ms (void);
void sbx_sleep_ms (long ms);

/* nbytes random bytes as 2*nbytes lowercase hex digits and a NUL in out
   (/dev/urandom; the clock and pid if it cannot be read). */
void sbx_random_hex (char *out, size_t nbytes);

/* The write-everything loop, for any sink.  step takes what it can of
   buf[0..len): how many bytes (> 0), 0 when it can take none now, or -1 on
   an error (which step has recorded, in errno or through ud).  wait
   (NULL: none) blocks until the sink may take more: 0, or -1 on an error.
   0 once all of buf went; -1 as soon as a step or a wait fails, or when a
   step takes nothing and there is no wait (errno EIO). */
typedef ssize_t (*sbx_write_step) (void *ud, const void *buf, size_t len);
typedef int (*sbx_write_wait) (void *ud);
int sbx_write_loop (sbx_write_step step, sbx_write_wait wait, void *ud, const void *buf,
                    size_t len);

/* Write all of buf to fd, retrying on EINTR and short writes; a write that
   takes nothing is an error (EIO). */
int write_all (int fd, const void *buf, size_t len);

/* 32-bit FNV-1a of the string s: a cheap hash for tables and names, not
   for anything an adversary chooses. */
uint32_t sbx_fnv1a (const char *s);

#endif
